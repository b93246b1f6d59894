"""mcpmon status and mcpmon restart against a live core: the table, --json,
restarts by name and of all servers, and the exit codes and messages when
no instance runs, several do, a name is unknown, or the usage is wrong.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_status_restart.py
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403


def backend(snap, name="server"):
    return next(b for b in snap["backends"] if b["name"] == name)


def test_usage_errors():
    with tmpdir() as d:
        for args in (["status", "a.sock", "b.sock"], ["status", "--bogus"],
                     ["restart", "a", "b"], ["restart", "--socket"],
                     ["restart", "--frobnicate"], ["tui", "--bogus"],
                     ["tui", "a.sock", "b.sock"], ["tui", "--socket"],
                     ["tui", "--pid", "0"], ["status", "--pid"],
                     ["status", "--socket="], ["status", "12", "34"],
                     ["restart", "a", "b", "c"],
                     ["restart", "--pid", "1", "--socket", "x"]):
            rc, out, err = cli(args, d)
            assert rc == 2, (args, rc, out, err)
            assert "Usage: mcpmon %s" % args[0] in err, (args, err)
            assert out == "", (args, out)
        for cmd in ("status", "restart", "tui"):
            rc, out, err = cli([cmd, "--help"], d)
            assert rc == 0 and "Usage: mcpmon %s" % cmd in out, (cmd, out)


def test_no_instance_running():
    with tmpdir() as d:
        where = os.path.join(ctl_env(d)["XDG_RUNTIME_DIR"], "mcpmon")
        msg = "mcpmon: no running mcpmon instance found (looked in %s)" % where
        for args in (["status"], ["status", "--json"], ["restart"],
                     ["restart", "server"]):
            rc, out, err = cli(args, d)
            assert rc == 1, (args, rc, err)
            assert err.strip() == msg, (args, err)
            assert out == "", out
        # A stale socket (nobody listening) is not an instance.
        os.makedirs(where, mode=0o700)
        stale = os.path.join(where, "4242.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        rc, out, err = cli(["status"], d)
        assert rc == 1 and err.strip() == msg, (rc, err)
        # Named explicitly, it says why.
        rc, out, err = cli(["status", stale], d)
        assert rc == 1 and "stale socket" in err, (rc, err)
        rc, out, err = cli(["restart", "--socket", stale], d)
        assert rc == 1 and "stale socket" in err, (rc, err)
        rc, out, err = cli(["status", os.path.join(d, "nothing.sock")], d)
        assert rc == 1 and "No such file" in err, (rc, err)


def test_status_table_and_json():
    with tmpdir() as d, core(d) as (m, sock):
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready"
                             and backend(s)["tools"])
        pid = backend(snap)["pid"]
        rc, out, err = cli(["status", sock], d)
        assert rc == 0, (rc, err)
        lines = out.splitlines()
        assert lines[0].split() == ["PID", "MODE", "UPTIME", "COMMAND"], out
        assert lines[1].split()[:2] == [str(m.pid), "single"], out
        assert "mcp_testserver" in lines[1], out
        assert lines[2] == "", out
        assert lines[3].split() == ["NAME", "STATE", "PID", "RESTARTS",
                                    "CRASHES", "UPTIME", "TOOLS"], out
        row = lines[4].split()
        ntools = len(backend(snap)["tools"])
        assert row[:5] == ["server", "ready", str(pid), "0", "0"], out
        assert row[6] == str(ntools), out
        # Columns line up: each header starts where its values start.
        for word in ("STATE", "PID", "RESTARTS", "CRASHES"):
            col = lines[3].index(word)
            assert lines[4][col - 1] == " " and lines[4][col] != " ", out

        rc, out, err = cli(["status", sock, "--json"], d)
        assert rc == 0, err
        js = json.loads(out)
        assert js["type"] == "snapshot", js
        assert js["instance"]["pid"] == m.pid, js
        assert js["instance"]["mode"] == "single", js
        assert backend(js)["pid"] == pid, js
        assert [t["name"] for t in backend(js)["tools"]][0] == "hello", js
        # The only instance is found without naming it (it has --tui
        # elsewhere, so it is not in the directory: none found).
        rc, out, err = cli(["status"], d)
        assert rc == 1, (rc, out, err)
        # The core keeps serving the client.
        assert text_of(m.call_tool("hello")) == "hello v1"


def test_status_finds_the_only_instance():
    with tmpdir() as d, core(d, sock=False) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        rc, out, err = cli(["status"], d)
        assert rc == 0, (rc, err)
        assert out.splitlines()[1].split()[0] == str(m.pid), out
        rc, out, err = cli(["status", "--json"], d)
        assert rc == 0 and json.loads(out)["instance"]["pid"] == m.pid
        assert os.path.basename(sock) == "%d.sock" % m.pid


def test_several_instances_ask_to_pick():
    """Issue 15 defect 9: with several instances, a usage error (2) that
    lists them with their pids; a pid from that list picks one."""
    with tmpdir() as d, core(d, sock=False, name="one") as (m1, s1), \
            core(d, sock=False, name="two") as (m2, s2):
        for args, head, example in (
                (["status"], "2 mcpmon instances are running; pick one",
                 "for example: mcpmon status %d, or mcpmon status --socket %s"),
                (["restart"], "2 mcpmon instances are running; pick one",
                 "for example: mcpmon restart %d, or mcpmon restart "
                 "--socket %s"),
                (["restart", "server"],
                 "2 running mcpmon instances have a server 'server'; pick "
                 "one", "for example: mcpmon restart %d server, or mcpmon "
                 "restart server --socket %s")):
            rc, out, err = cli(args, d)
            assert rc == 2, (args, rc, err)
            assert head in err, err
            assert "pid %d" % m1.pid in err and "pid %d" % m2.pid in err, err
            assert s1 in err and s2 in err, err
            assert example % (m1.pid, s1) in err, (example, err)
            assert out == "", out
        rc, out, err = cli(["status", s2], d)
        assert rc == 0 and out.splitlines()[1].split()[0] == str(m2.pid)
        # A pid, bare or with --pid, as status, restart and tui take it.
        for args in (["status", str(m2.pid)], ["status", "--pid", str(m2.pid)],
                     ["status", "--socket", s2]):
            rc, out, err = cli(args, d)
            assert rc == 0, (args, rc, err)
            assert out.splitlines()[1].split()[0] == str(m2.pid), (args, out)
        rc, out, err = cli(["restart", str(m1.pid)], d)
        assert rc == 0 and out == "Restarting all servers\n", (rc, out, err)
        wait_snapshot(s1, lambda s: backend(s)["restarts"] == 1,
                      message="restarts 1")
        rc, out, err = cli(["restart", str(m2.pid), "server"], d)
        assert rc == 0 and out == "Restarting server\n", (rc, out, err)
        wait_snapshot(s2, lambda s: backend(s)["restarts"] == 1,
                      message="restarts 1")
        rc, out, err = cli(["restart", "server", "--pid", str(m2.pid)], d)
        assert rc == 0 and out == "Restarting server\n", (rc, out, err)
        # A pid no instance has: 1, and the list of those that run.
        rc, out, err = cli(["status", "999999999"], d)
        assert rc == 1, (rc, err)
        assert "no running mcpmon instance has pid 999999999; these run" \
            in err and "pid %d" % m1.pid in err, err
        # Two instances named at once are a usage error.
        rc, out, err = cli(["status", str(m1.pid), "--socket", s2], d)
        want = "one instance at most ('%d' and '%s')" % (m1.pid, s2)
        assert rc == 2 and want in err, (rc, err)
        rc, out, err = cli(["restart", "--pid", "x1"], d)
        assert rc == 2 and "--pid needs the process id of an instance, not " \
            "'x1'" in err, (rc, err)


def gateway_instance(d, tag, names):
    """A gateway mcpmon (default socket path) serving the test server under
    each of names; returns the Mcpmon context manager's target after its
    servers are ready, with .sock set."""
    spec = spec_file(d)
    cfg = os.path.join(d, "%s.yaml" % tag)
    with open(cfg, "w") as f:
        f.write("servers:\n")
        for name in names:
            f.write("  %s:\n    command: %s\n    args: [--spec, %s]\n"
                    % (name, testserver_cmd()[0], spec))
    return Mcpmon(["--config", cfg], env=ctl_env(d), name=tag)


def test_restart_finds_the_instance_by_server_name():
    """restart NAME picks the one instance that has NAME; names get "did
    you mean"; a name in several instances asks to pick (issue 15 defect
    9)."""
    with tmpdir() as d, gateway_instance(d, "a", ["everything", "fs"]) as a, \
            gateway_instance(d, "b", ["other", "fs"]) as b:
        xdg = os.path.join(ctl_env(d)["XDG_RUNTIME_DIR"], "mcpmon")
        socks = {}
        for m in (a, b):
            socks[m] = os.path.join(xdg, "%d.sock" % m.pid)
            wait_until(lambda: os.path.exists(socks[m]), 10)
            m.initialize()
            wait_snapshot(socks[m], lambda s: len(s["backends"]) == 2 and all(
                x["state"] == "ready" for x in s["backends"]))
        rc, out, err = cli(["restart", "everything"], d)
        assert rc == 0 and out == "Restarting everything\n", (rc, out, err)
        wait_snapshot(socks[a], lambda s: backend(s, "everything")["restarts"]
                      == 1, message="everything restarted")
        rc, out, err = cli(["restart", "evrything"], d)
        assert rc == 2, (rc, out, err)
        assert err == "mcpmon: no server 'evrything' (did you mean " \
            "'everything'?)\n", err
        rc, out, err = cli(["restart", "nothing-like-it"], d)
        assert rc == 2, (rc, out, err)
        assert err == "mcpmon: no server 'nothing-like-it' (servers: " \
            "everything, fs, other)\n", err
        rc, out, err = cli(["restart", "fs"], d)
        assert rc == 2, (rc, out, err)
        assert "2 running mcpmon instances have a server 'fs'; pick one" \
            in err and "pid %d" % a.pid in err and "pid %d" % b.pid in err, err
        assert "mcpmon restart %d fs" % a.pid in err, err
        # In a named instance, the names are that instance's.
        rc, out, err = cli(["restart", "everything", "--pid", str(b.pid)], d)
        assert rc == 2 and err == "mcpmon: no server 'everything' in mcpmon " \
            "pid %d (servers: other, fs)\n" % b.pid, (rc, err)
        rc, out, err = cli(["restart", "othr", "--socket", socks[b]], d)
        assert rc == 2 and err == "mcpmon: no server 'othr' in mcpmon pid " \
            "%d (did you mean 'other'?)\n" % b.pid, (rc, err)
        rc, out, err = cli(["restart", str(b.pid), "fs"], d)
        assert rc == 0 and out == "Restarting fs\n", (rc, out, err)


def test_status_exit_code_is_the_health():
    """mcpmon status exits 3 when a server is waiting or its last reload
    failed, 0 while all are ready (issue 15)."""
    with tmpdir() as d, core(d) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        for args in (["status", sock], ["status", sock, "--json"]):
            rc, out, err = cli(args, d)
            assert rc == 0, (args, rc, err)
        write_spec(os.path.join(d, "spec-mcpmon.json"),
                   dict(DEFAULT_SPEC, exit_on_start=3))
        with open(os.path.join(d, "watched-mcpmon", "edit.py"), "w") as f:
            f.write("# a broken edit\n")
        wait_snapshot(sock, lambda s: (backend(s).get("lastReload") or {})
                      .get("outcome", "ok") != "ok", message="failed reload")
        for args in (["status", sock], ["status", sock, "--json"]):
            rc, out, err = cli(args, d)
            assert rc == 3, (args, rc, out, err)
            assert err == "", err
        assert "ready" in out, out  # the old process still serves
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with Mcpmon(["--watch", d, "--tui", sock, "--",
                     os.path.join(d, "missing")], env=ctl_env(d)) as m:
            wait_until(lambda: os.path.exists(sock), 10)
            wait_snapshot(sock, lambda s: backend(s)["state"] == "waiting")
            rc, out, err = cli(["status", sock], d)
            assert rc == 3, (rc, out, err)
            assert "waiting" in out, out
        rc, out, err = cli(["status", "--help"], d)
        assert rc == 0 and "3 a server is crashed or waiting" in out, out


def test_restart_by_name_and_all():
    with tmpdir() as d, core(d) as (m, sock):
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        pid0 = backend(snap)["pid"]
        rc, out, err = cli(["restart", "server", "--socket", sock], d)
        assert rc == 0, (rc, err)
        assert out == "Restarting server\n", out
        snap = wait_snapshot(sock, lambda s: backend(s)["restarts"] == 1
                             and backend(s)["state"] == "ready",
                             message="restarts 1")
        assert backend(snap)["pid"] != pid0
        rc, out, err = cli(["restart", "--socket=" + sock], d)
        assert rc == 0 and out == "Restarting all servers\n", (rc, out, err)
        wait_snapshot(sock, lambda s: backend(s)["restarts"] == 2
                      and backend(s)["state"] == "ready",
                      message="restarts 2")
        rc, out, err = cli(["restart", "nosuch", "--socket", sock], d)
        assert rc == 2, (rc, out, err)
        assert err.strip() == "mcpmon: no server 'nosuch' in mcpmon pid " \
            "%d (servers: server)" % m.pid, err
        rc, out, err = cli(["restart", "servr", "--socket", sock], d)
        assert rc == 2, (rc, out, err)
        assert err.strip() == "mcpmon: no server 'servr' in mcpmon pid " \
            "%d (did you mean 'server'?)" % m.pid, err
        assert out == ""
        # And the client never noticed anything but working calls.
        assert text_of(m.call_tool("hello")) == "hello v1"


def test_restart_finds_the_only_instance():
    with tmpdir() as d, core(d, sock=False) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        rc, out, err = cli(["restart"], d)
        assert rc == 0 and out == "Restarting all servers\n", (rc, out, err)
        wait_snapshot(sock, lambda s: backend(s)["restarts"] == 1,
                      message="restarts 1")


def test_status_gateway():
    with tmpdir() as d:
        spec = spec_file(d)
        cfg = os.path.join(d, "mcpmon.yaml")
        with open(cfg, "w") as f:
            f.write("servers:\n")
            for name in ("alpha", "b\u00e9ta"):
                f.write("  %s:\n    command: %s\n    args: [--spec, %s]\n"
                        "    watch: %s\n" % (name, testserver_cmd()[0], spec,
                                              d))
        sock = os.path.join(d, "gw.sock")
        with Mcpmon(["--config", cfg, "--tui", sock],
                    env=ctl_env(d)) as m:
            wait_until(lambda: os.path.exists(sock), 10)
            m.initialize()
            wait_snapshot(sock, lambda s: len(s["backends"]) == 2 and all(
                b["state"] == "ready" for b in s["backends"]))
            rc, out, err = cli(["status", sock], d)
            assert rc == 0, err
            lines = out.splitlines()
            assert lines[0].split()[3] == "CONFIG", out
            assert lines[1].split()[1] == "gateway", out
            assert cfg in lines[1], out
            names = [l.split()[0] for l in lines[4:]]
            assert names == ["alpha", "b\u00e9ta"], out
            # Wide characters do not shift the columns.
            col = lines[3].index("STATE")
            assert all(l[col - 1] == " " and l[col] != " "
                       for l in lines[4:]), out
            rc, out, err = cli(["restart", "b\u00e9ta", "--socket", sock], d)
            assert rc == 0 and out == "Restarting b\u00e9ta\n", (rc, err)
            rc, out, err = cli(["restart", "gamma", "--socket", sock], d)
            assert rc == 2 and "no server 'gamma' in mcpmon pid %d " \
                "(servers: alpha, b\u00e9ta)" % m.pid in err, (rc, err)


def test_not_an_mcpmon_core():
    with tmpdir() as d:
        cases = [
            (b'{"type":"hello","mcpmon":2,"pid":1}\n',
             "speaks control protocol version 2, this mcpmon speaks "
             "version 1"),
            (b"garbage\n", "not a JSON object"),
            (b'{"type":"snapshot"}\n', "did not greet like an mcpmon"),
            (None, "did not answer within"),
            (b"", "did not answer within"),
        ]
        for i, (greeting, why) in enumerate(cases):
            path = os.path.join(d, "fake%d.sock" % i)
            stop = fake_core(path, greeting)
            try:
                for args in (["status", path],
                             ["restart", "--socket", path]):
                    rc, out, err = cli(args, d)
                    assert rc == 1, (args, greeting, rc, err)
                    assert why in err, (args, greeting, err)
                    assert out == "", out
            finally:
                stop()


run_tests(globals())
