"""The control snapshot is bounded by construction (docs/control-protocol.md,
"Limits"). It used to be built from every backend's whole backlog: with
servers that write long stderr lines, a snapshot passed the 1 MiB line
limit and was silently never sent, so `mcpmon status` timed out and the
dashboard stayed at "connecting". Now each backend's log and traffic are
cut to fit, newest kept, with the number left out in logOmitted and
trafficOmitted; and a snapshot that cannot fit at all (a command line of
over a megabyte) gets an error object and a log line, never silence."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from faults import Ctl  # noqa: E402
from tuitest import cli, ctl_env  # noqa: E402

LINE_MAX = 1024 * 1024
LINES = 600  # more than the ring's 500
WIDTH = 3000  # bytes per stderr line

# A small MCP server: writes LINES long lines to stderr at start, then a
# marker; its tool "fail" answers an error with a long message.
SERVER = r'''
import json, sys
name = sys.argv[1]
for i in range(%d):
    sys.stderr.write("%%s line %%04d %%s\n" %% (name, i, "x" * %d))
sys.stderr.write("%%s stderr done\n" %% name)
sys.stderr.flush()
for line in sys.stdin:
    msg = json.loads(line)
    if "id" not in msg or "method" not in msg:
        continue
    m = msg["method"]
    if m == "initialize":
        res = {"protocolVersion": msg["params"]["protocolVersion"],
               "capabilities": {"tools": {}},
               "serverInfo": {"name": name, "version": "1"}}
    elif m == "tools/list":
        res = {"tools": [{"name": "fail", "description": "fails",
                          "inputSchema": {"type": "object"}}]}
    elif m == "tools/call":
        out = {"jsonrpc": "2.0", "id": msg["id"],
               "error": {"code": -32000, "message": "no: " + "e" * 20000}}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
        continue
    else:
        res = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                 "result": res}) + "\n")
    sys.stdout.flush()
''' % (LINES, WIDTH)


def server_file(d):
    path = os.path.join(d, "chatty.py")
    with open(path, "w") as f:
        f.write(SERVER)
    return path


def raw_snapshot(sock):
    """The snapshot as raw bytes and parsed, asked on a fresh connection."""
    c = Ctl(sock)
    try:
        c.send({"cmd": "snapshot", "id": "big"})
        while b"\n" not in c.buf:
            chunk = c.s.recv(65536)
            if not chunk:
                raise EOFError("control socket closed")
            c.buf += chunk
        line = c.buf.split(b"\n", 1)[0]
        return line, json.loads(line)
    finally:
        c.close()


def check_backend(b, name):
    stderr = [l["text"] for l in b["log"] if l["source"] == "stderr"]
    assert stderr, b["name"]
    # Newest kept: the last line the server wrote is the last of its lines
    # shown (mcpmon's own lines about it may follow), and what is shown is
    # the ring's tail, in order, without gaps.
    assert stderr[-1] == "%s stderr done" % name, [t[:40] for t in
                                                   stderr[-3:]]
    nums = [int(t.split()[2]) for t in stderr if t.startswith(name + " line")]
    assert nums and nums[-1] == LINES - 1, nums[-3:]
    assert nums == list(range(nums[0], LINES)), nums[:3]
    last = b["log"][-1]
    assert last["source"] == "mcpmon" or last["text"] == stderr[-1], last
    assert b.get("logOmitted", 0) > 0, {k: v for k, v in b.items()
                                         if k not in ("log", "traffic")}
    assert len(b["log"]) + b["logOmitted"] <= 500, b["logOmitted"]
    # The traffic kept is the newest too, each error text cut to 4 KiB.
    seqs = [t["seq"] for t in b["traffic"]]
    assert seqs == sorted(seqs), seqs
    for t in b["traffic"]:
        assert len(t["error"].encode()) <= 4096, len(t["error"])


def test_gateway_of_chatty_servers_snapshot_fits():
    with tmpdir() as d:
        path = server_file(d)
        cfg = os.path.join(d, "mcpmon.yaml")
        names = ["alpha", "beta", "gamma"]
        with open(cfg, "w") as f:
            f.write("servers:\n")
            for n in names:
                f.write("  %s:\n    command: %s\n    args: [%s, %s]\n" %
                        (n, json.dumps(sys.executable), json.dumps(path), n))
        sock = os.path.join(d, "gw.sock")
        with Mcpmon(["--config", cfg, "--tui", sock],
                    env=ctl_env(d)) as m:
            for n in names:
                m.wait_log(r"%s stderr done" % n)
            m.initialize()
            for n in names:
                for _ in range(3):
                    try:
                        m.call_tool(n + "__fail")
                    except RpcError:
                        pass
            line, snap = raw_snapshot(sock)
            assert len(line) < LINE_MAX, len(line)
            assert snap["type"] == "snapshot" and snap["id"] == "big", snap
            assert [b["name"] for b in snap["backends"]] == names
            for b, n in zip(snap["backends"], names):
                check_backend(b, n)
                assert len(b["traffic"]) == 3, b["traffic"]
            # mcpmon status gets it too, table and JSON.
            rc, out, err = cli(["status", sock], d)
            assert rc == 0, (rc, err)
            assert [l.split()[0] for l in out.splitlines()[4:]] == names, out
            rc, out, err = cli(["status", sock, "--json"], d)
            assert rc == 0, (rc, err)
            js = json.loads(out)
            for b, n in zip(js["backends"], names):
                check_backend(b, n)
            # A subscriber gets the same bounded snapshot, then events.
            c = Ctl(sock)
            c.send({"cmd": "subscribe", "id": 1})
            sub = c.until(lambda o: o["type"] == "snapshot")
            assert sub["id"] == 1 and len(sub["backends"]) == 3
            try:
                m.call_tool("beta__fail")
            except RpcError:
                pass
            t = c.until(lambda o: o["type"] == "traffic" and not o["running"])
            assert t["backend"] == "beta" and t["ok"] is False, t
            assert len(t["error"].encode()) <= 4096, len(t["error"])
            c.close()


def test_single_mode_chatty_server_snapshot_fits():
    with tmpdir() as d:
        path = server_file(d)
        sock = os.path.join(d, "one.sock")
        with Mcpmon(["--tui", sock, "--", sys.executable, path, "server"],
                    env=ctl_env(d)) as m:
            m.wait_log(r"server stderr done")
            m.initialize()
            line, snap = raw_snapshot(sock)
            assert len(line) < LINE_MAX, len(line)
            (b,) = snap["backends"]
            check_backend(b, "server")


def test_snapshot_that_cannot_fit_gets_an_error():
    # A command line of over a megabyte leaves no room in any snapshot:
    # the client that asked gets an error object, the core logs why, and
    # both keep working.
    with tmpdir() as d:
        path = server_file(d)
        sock = os.path.join(d, "huge.sock")
        pad = ["p" * 100000 for _ in range(6)]
        with Mcpmon(["--tui", sock, "--", sys.executable, path, "server"] +
                    pad, env=ctl_env(d)) as m:
            m.wait_log(r"server stderr done")
            m.initialize()
            c = Ctl(sock)
            c.send({"cmd": "snapshot", "id": 5})
            err = c.until(lambda o: o["type"] in ("error", "snapshot"))
            assert err["type"] == "error" and err["id"] == 5, err
            assert "snapshot" in err["message"], err
            m.wait_log(r"snapshot .*over the")
            # The connection stays up and answers the next command.
            c.send({"cmd": "restart", "backend": "nope", "id": 6})
            res = c.until(lambda o: o["type"] in ("result", "error"))
            assert res["type"] == "result" and res["id"] == 6, res
            c.close()
            rc, out, err = cli(["status", sock], d)
            assert rc == 1 and "refused the snapshot" in err, (rc, err)
            m.request("ping")


run_tests(globals())
