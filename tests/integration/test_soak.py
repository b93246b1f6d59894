"""Soak: N restarts (MCPMON_SOAK_RESTARTS, 200 by default) under continuous
client traffic, most asked for on the control socket and every tenth by a
file edit, while a thread keeps calls in flight. Checked: every request is
answered exactly once, and mcpmon's open descriptors and resident memory
are the same after the last restart as after the warm-up ones. Single
mode reloads with overlap (issue 14): every answer is the echo, never an
error, and since the tools never change no list_changed is sent. The
gateway restarts stop-first: a call a restart took gets -32603 with
data.reason "restart", and each restart gives one list_changed.

The full run of the issue (about a minute on 2 cores):

    MCPMON_SOAK_RESTARTS=10000 python3 tests/integration/test_soak.py

The gateway soak restarts one backend of two in turn (a quarter as many),
with traffic to both.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from mcptest import _jsonrpc_problem  # noqa: E402
import gatewaymode as gm  # noqa: E402
from faults import (MIB, Ctl, finish, fd_count, is_asan,  # noqa: E402
                    memory_env, rss_kib)

RESTARTS = int(os.environ.get("MCPMON_SOAK_RESTARTS", "200"))
WINDOW = 4  # calls the traffic thread keeps in flight
LIST_CHANGED = "notifications/tools/list_changed"


class Traffic:
    """Calls echo on tools in turn with WINDOW calls in flight, ids "t0",
    "t1", ...; checks and counts every answer as it arrives (through
    SoakMcpmon), so a long run keeps no queue of messages."""

    def __init__(self, m, tools, errors_allowed=True):
        self.m = m
        self.tools = tools
        self.errors_allowed = errors_allowed
        self.cond = threading.Condition()
        self.sent = {}      # id -> text, until answered
        self.answered = {}  # id -> times (ids answered at least once)
        self.results = 0
        self.errors = {}    # data.reason -> count
        self.bad = []
        self.n = 0
        self.paused = False
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def _run(self):
        while True:
            with self.cond:
                while not self.stopping and (
                        self.paused or len(self.sent) >= WINDOW):
                    self.cond.wait(0.2)
                if self.stopping:
                    return
                rid = "t%d" % self.n
                text = "m%d" % self.n
                tool = self.tools[self.n % len(self.tools)]
                self.sent[rid] = text
                self.n += 1
            try:
                self.m.send({"jsonrpc": "2.0", "id": rid,
                             "method": "tools/call",
                             "params": {"name": tool,
                                        "arguments": {"text": text}}})
            except RuntimeError as e:  # mcpmon gone: the test reports it
                with self.cond:
                    self.bad.append("send %s: %s" % (rid, e))
                    self.stopping = True
                    self.cond.notify_all()
                return

    def on_answer(self, msg):
        rid = msg["id"]
        with self.cond:
            times = self.answered.get(rid, 0) + 1
            self.answered[rid] = times
            text = self.sent.pop(rid, None)
            if times > 1:
                self.bad.append("answered twice: %s" % json.dumps(msg))
            elif text is None:
                self.bad.append("never sent: %s" % json.dumps(msg))
            elif "result" in msg:
                if text_of(msg["result"]) != text:
                    self.bad.append("wrong answer to %s: %s"
                                    % (text, json.dumps(msg)))
                self.results += 1
            else:
                err = msg.get("error", {})
                reason = (err.get("data") or {}).get("reason")
                if (err.get("code") != -32603 or reason != "restart"
                        or not self.errors_allowed):
                    self.bad.append("unexpected error: %s" % json.dumps(msg))
                self.errors[reason] = self.errors.get(reason, 0) + 1
            self.cond.notify_all()

    def quiet(self, timeout=20):
        """Pause and wait until every call sent is answered."""
        with self.cond:
            self.paused = True
            deadline = time.monotonic() + timeout
            while self.sent and time.monotonic() < deadline:
                self.cond.wait(0.2)
            assert not self.sent, "unanswered: %s" % sorted(self.sent)[:10]

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    def stop(self):
        self.quiet()
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(10)


class SoakMcpmon(gm.Gateway):
    """mcpmon (either mode; Gateway only adds the clean-exit check) whose
    traffic answers and list_changed notifications are counted as they
    arrive rather than queued, still checked as strict JSON-RPC."""

    traffic = None
    list_changed = 0

    def _on_stdout(self, line):
        try:
            msg = json.loads(line.decode("utf-8"))
        except ValueError:
            msg = None
        if isinstance(msg, dict) and _jsonrpc_problem(msg) is None:
            rid = msg.get("id")
            if ("method" not in msg and isinstance(rid, str)
                    and rid.startswith("t") and self.traffic is not None):
                self.traffic.on_answer(msg)
                return
            if msg.get("method") == LIST_CHANGED and "id" not in msg:
                self.list_changed += 1
                return
        super()._on_stdout(line)


def sample(m, traffic, servers):
    """(open fds, RSS KiB) of mcpmon with no call in flight, once only its
    servers run (an overlap reload's old server stops a moment after the
    swap) and their pipes are closed: the descriptors are given a moment
    to reach the first sample's count (a leak still shows: the count
    measured then is the one compared)."""
    traffic.quiet()
    wait_until(lambda: len(descendants(m.pid)) == servers,
               message="an old server is still running")
    base = getattr(m, "fd_base", None)
    if base is not None:
        try:
            wait_until(lambda: fd_count(m.pid) == base, timeout=2)
        except TimeoutError:
            pass
    out = (fd_count(m.pid), rss_kib(m.pid))
    if base is None:
        m.fd_base = out[0]
    traffic.resume()
    return out


def check_flat(what, samples, first_at):
    """fds equal and RSS within 1 MiB from the warm-up sample on. Under
    ASan only within 8 MiB: its allocator keeps taking memory for a
    while (size-class caches, the quarantine, a record of every
    allocation's stack), about 6 MiB over the first 3,000 restarts and
    less and less after; the normal build is the one that shows RSS
    flat, the ASan one that nothing leaks at exit."""
    first = samples[first_at]
    last = samples[max(samples)]
    slack = (8 if is_asan() else 1) * 1024
    print("  %s: %d restarts; fds %d after %d, %d after %d; RSS %d KiB "
          "after %d, %d KiB after %d" % (
              what, max(samples), first[0], first_at, last[0],
              max(samples), first[1], first_at, last[1], max(samples)))
    if len(samples) > 3:
        print("  %s samples (restarts: fds, RSS KiB): %s" % (what, ", ".join(
            "%d: %d, %d" % (k, v[0], v[1]) for k, v in sorted(samples.items()))))
    assert last[0] == first[0], samples
    assert last[1] - first[1] <= slack, samples


def soak(m, d, restart, count, tools, sock, errors_allowed=True):
    servers = len(tools)
    """Drive count restarts through restart(i, ctl) (which returns the log
    pattern of restart i's completion) with traffic on tools; returns the
    samples {restart number: (fds, RSS)}."""
    ctl = Ctl(sock)
    traffic = Traffic(m, tools, errors_allowed)
    m.traffic = traffic
    traffic.start()
    samples = {0: sample(m, traffic, servers)}
    warm = min(100, max(1, count // 2))
    t0 = time.monotonic()
    for i in range(1, count + 1):
        mark = m.log_mark()
        pattern = restart(i, ctl)
        m.wait_log(pattern, start=mark)
        if i in (warm, count) or i % 1000 == 0:
            samples[i] = sample(m, traffic, servers)
        assert not traffic.bad, traffic.bad[:5]
    traffic.stop()
    elapsed = time.monotonic() - t0
    ctl.close()
    print("  %d restarts in %.1f s; %d calls: %d answered, %s" % (
        count, elapsed, traffic.n, traffic.results,
        ", ".join("%d %s errors" % (n, r) for r, n in traffic.errors.items())
        or "no errors"))
    assert not traffic.bad, traffic.bad[:5]
    assert len(traffic.answered) == traffic.n
    assert traffic.results > 0
    return samples, warm


def test_soak_single():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {})
        sock = os.path.join(d, "ctl.sock")
        with SoakMcpmon(["--watch", d, "--ext", "json", "--delay", "5",
                         "--tui", sock, "--"] + testserver_cmd(spec),
                        env=memory_env()) as m:
            m.initialize()
            m.wait_log(r"Server ready")

            def restart(i, ctl):
                if i % 10 == 0:
                    write_spec(spec, {"generation": i})
                else:
                    ctl.restart()
                return r"Restart #%d complete" % i
            samples, warm = soak(m, d, restart, RESTARTS, ["echo"], sock,
                                 errors_allowed=False)
            # The tools never changed: nothing to announce (issue 14).
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert m.list_changed == 0, m.list_changed
            check_flat("single mode", samples, warm)
            finish(m)


test_soak_single.timeout = 60 + RESTARTS * 0.2


def test_soak_gateway():
    count = max(2, RESTARTS // 4)
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        for name in ("alpha", "beta"):
            gm.write_backend_spec(d, name, {})
        gm.write_config(d, {"alpha": None, "beta": None})
        with SoakMcpmon(["--config", gm.config_path(d), "--tui", sock],
                        env=memory_env()) as m:
            m.initialize()
            gm.tool_names(m)
            done = {"alpha": 0, "beta": 0}

            def restart(i, ctl):
                name = ("alpha", "beta")[i % 2]
                done[name] += 1
                if i % 10 == 0:
                    gm.write_backend_spec(d, name, {"generation": i})
                else:
                    ctl.restart(name)
                return r"%s pid:\d+\] Restart #%d complete" % (name,
                                                               done[name])
            samples, warm = soak(m, d, restart, count,
                                 ["alpha__echo", "beta__echo"], sock)
            check_flat("gateway", samples, warm)


test_soak_gateway.timeout = 60 + RESTARTS * 0.1


if __name__ == "__main__":
    run_tests(globals())
