"""A client that stops reading mcpmon's stdout while a server floods it
(issue 12 item 5): mcpmon stops reading the server's stdout once 64 MiB
wait for the client, so its memory stays bounded whatever the server
sends, and resumes when the client reads again: nothing is lost, the
order is kept. Before: the whole flood was held (198 MiB RSS for a
notification flood)."""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
import singlemode as sm  # noqa: E402
import gatewaymode as gm  # noqa: E402
from faults import MIB, is_asan, memory_env, peak_kib  # noqa: E402

STEPS = 1500000  # about 110 bytes each: 160 MiB of notifications
PAUSED = b"pausing the servers' output"


class RawClient:
    """mcpmon on pipes the test reads only when it wants to."""

    def __init__(self, argv):
        env = dict(os.environ, **memory_env())
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        self.err = []
        self.cv = threading.Condition()
        self.t = threading.Thread(target=self._stderr, daemon=True)
        self.t.start()

    def _stderr(self):
        for line in self.p.stderr:
            with self.cv:
                self.err.append(line)
                self.cv.notify_all()

    def wait_err(self, needle, timeout=60):
        with self.cv:
            ok = self.cv.wait_for(lambda: any(needle in ln
                                              for ln in self.err), timeout)
        assert ok, b"".join(self.err[-20:]).decode(errors="replace")

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj).encode() + b"\n")
        self.p.stdin.flush()

    def until_id(self, rid):
        want = json.dumps(rid).encode()
        while True:
            line = self.p.stdout.readline()
            assert line, "stdout closed before the answer to %r" % rid
            if b'"id":' + want in line.replace(b" ", b""):
                return json.loads(line)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.t.join(5)


def _flood(argv, tool):
    c = RawClient(argv)
    try:
        c.send({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                "params": {"protocolVersion": "2025-06-18",
                           "capabilities": {},
                           "clientInfo": {"name": "t", "version": "1"}}})
        c.until_id("init")
        c.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        c.send({"jsonrpc": "2.0", "id": "warm", "method": "tools/list"})
        c.until_id("warm")
        base = peak_kib(c.p.pid)
        c.send({"jsonrpc": "2.0", "id": "flood", "method": "tools/call",
                "params": {"name": tool, "arguments": {"steps": STEPS},
                           "_meta": {"progressToken": "f"}}})
        # Not reading stdout until mcpmon says it paused the server.
        c.wait_err(PAUSED)
        # Now read everything: each step once, in order, then the answer.
        seen = 0
        while True:
            line = c.p.stdout.readline()
            assert line, "stdout closed after %d notifications" % seen
            if b'"notifications/progress"' in line:
                seen += 1
                if seen % 250000 == 0 or seen == 1:
                    msg = json.loads(line)
                    assert msg["params"]["progress"] == seen, msg
                continue
            msg = json.loads(line)
            if msg.get("id") == "flood":
                break
        assert seen == STEPS, seen
        assert "result" in msg, msg
        grown = (peak_kib(c.p.pid) - base) * 1024
        print("  %d notifications (%d MiB) held back; mcpmon grew %.1f MiB"
              % (STEPS, STEPS * 110 // MIB, grown / MIB))
        # 64 MiB of pending writes plus what is being read; under ASan each
        # small block also carries its redzones (115 MiB seen). Without
        # the pause the whole flood is held: 503 MiB.
        bound = (200 if is_asan() else 110) * MIB
        assert grown < bound, grown / MIB
        if "--verbose" in argv:
            c.wait_err(b"The client reads again; resuming")
        c.p.stdin.close()
        assert c.p.wait(30) == 0, b"".join(c.err[-20:])
    finally:
        c.close()


def test_client_that_stops_reading_single():
    with tmpdir() as d:
        spec = write_spec(sm.spec_file(d), {})
        _flood([mcpmon_path(), "--verbose", "--watch", d, "--ext", "json",
                "--"] + testserver_cmd(spec), "progress")


def test_client_that_stops_reading_gateway():
    with tmpdir() as d:
        gm.write_config(d, {"alpha": None, "beta": None})
        _flood([mcpmon_path(), "--config", gm.config_path(d)],
               "alpha__progress")


if __name__ == "__main__":
    run_tests(globals())
