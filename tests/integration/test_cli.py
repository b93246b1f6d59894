"""Single mode, the command line: help, version, bad arguments, a command
that does not exist, and the logging options (-q, -v, -l, -t)."""
import json
import os
import re
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403

PREFIX = r"^\[mcpmon \d\d:\d\d:\d\d( pid:\d+)?\] "
PREFIX_T = r"^\[mcpmon \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}( pid:\d+)?\] "


def run_cli(args, timeout=10):
    """mcpmon run to completion with stdin closed: (status, out, err)."""
    p = subprocess.run([mcpmon_path()] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def test_help():
    for flag in ("--help", "-h"):
        rc, out, err = run_cli([flag])
        assert rc == 0, (flag, rc, err)
        assert "--watch" in out and "--ext" in out, out
        assert "Usage: mcpmon" in out, out
        assert err == "", err


def test_version():
    for flag in ("--version", "-V"):
        rc, out, err = run_cli([flag])
        assert rc == 0, (flag, rc, err)
        assert re.fullmatch(r"mcpmon \d+\.\d+\.\d+\S*\n", out), out
        assert err == "", err


def test_subcommand_typos_and_words():
    """Issue 15 defect 8: help and version as words; a typo of a
    subcommand that is no program exits 2 with a hint instead of being
    started as the server."""
    rc, out, err = run_cli(["help"])
    assert rc == 0 and "Usage: mcpmon" in out, (rc, out, err)
    rc, out, err = run_cli(["version"])
    assert rc == 0 and out.startswith("mcpmon "), (rc, out, err)
    for word, meant in (("stauts", "status"), ("restrat", "restart"),
                        ("tiu", "tui")):
        rc, out, err = run_cli([word])
        assert rc == 2, (word, rc, err)
        assert ("mcpmon: unknown command '%s' (did you mean '%s'?)"
                % (word, meant)) in err, err
        assert out == "", out
    # A program of that name on PATH is still run as the server.
    with tmpdir() as d:
        prog = os.path.join(d, "stauts")
        with open(prog, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(prog, 0o755)
        env = dict(os.environ, PATH=d + os.pathsep + os.environ["PATH"],
                   XDG_RUNTIME_DIR=d)
        p = subprocess.run([mcpmon_path(), "stauts"], input=b"",
                           capture_output=True, timeout=10, env=env)
        assert "unknown command" not in p.stderr.decode(), p.stderr
        assert "Started: stauts" in p.stderr.decode(), p.stderr


def test_bad_arguments_exit_2_naming_them():
    server = [testserver_path()]
    cases = [
        (["--bogus", "--"] + server, "--bogus"),
        (["-Z", "--"] + server, "-Z"),
        (["--delay", "soon", "--"] + server, "--delay"),
        (["--grace", "-5", "--"] + server, "--grace"),
        (["--max-line", "lots", "--"] + server, "--max-line"),
        (["--watch"], "--watch"),
        # Issue 15: contradictory, not "last wins"; both are named.
        (["--no-tui", "--tui", "/tmp/x.sock", "--"] + server, "'--no-tui'"),
        (["--tui=/tmp/x.sock", "--no-tui", "--"] + server, "'--tui'"),
    ]
    for args, name in cases:
        rc, out, err = run_cli(args)
        assert rc == 2, (args, rc, err)
        assert out == "", (args, out)
        lines = err.splitlines()
        assert lines and name in lines[0], (args, err)
        assert lines[0].startswith("mcpmon: "), (args, err)
        # A usage hint follows; the error itself is one line.
        assert len(lines) <= 3 and "--help" in err, (args, err)


def test_missing_command_exits_2():
    for args in ([], ["--watch", "."], ["--watch", ".", "--"]):
        rc, out, err = run_cli(args)
        assert rc == 2, (args, rc, err)
        assert "command" in err.splitlines()[0], (args, err)
        assert out == ""


def test_options_after_the_command_belong_to_it():
    # Without "--", mcpmon's options end at the command: --spec and
    # --name are the test server's.
    with tmpdir() as d:
        spec = write_spec(spec_file(d), {"server_name": "fromspec"})
        with Mcpmon(["-w", d, "-e", "json", testserver_path(), "--spec",
                     spec, "--name", "fromflag"]) as m:
            r = init(m)
            assert r["serverInfo"]["name"] == "fromflag", r


def test_directory_counts_in_words():
    """Issue 15: "1 directory", "2 directories"."""
    with tmpdir() as d:
        one = os.path.join(d, "one")
        os.makedirs(one)
        with Mcpmon(["-v", "--watch", one, "--"] + testserver_cmd()) as m:
            m.wait_log(r"watching 1 directory, 0 files$")
            m.wait_log(r"Watching .*one \(extensions py, the default; "
                       r"1 directory\)$")
        os.makedirs(os.path.join(one, "sub"))
        with Mcpmon(["-v", "--watch", one, "--"] + testserver_cmd()) as m:
            m.wait_log(r"watching 2 directories, 0 files$")
            m.wait_log(r"; 2 directories\)$")


def test_rs_typed_on_a_terminal():
    """Issue 15: nodemon's "rs" typed into a terminal that runs mcpmon
    gets a hint on stderr, not a parse error on stdout; from a pipe (an
    MCP client) it is a line that is not JSON: -32700 with "id": null."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen([mcpmon_path(), "--no-tui", "--"] +
                         testserver_cmd(), stdin=slave,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(slave)
    try:
        os.write(master, b"rs\n")
        err = b""
        want = b"mcpmon is not nodemon: 'rs' does not restart anything " \
            b"here; run 'mcpmon restart' in another terminal, or press r " \
            b"in 'mcpmon tui'"
        deadline = time.time() + 10
        while want not in err:
            assert time.time() < deadline, err
            r, _, _ = select.select([p.stderr], [], [], 0.5)
            if r:
                chunk = os.read(p.stderr.fileno(), 4096)
                assert chunk, err
                err += chunk
        # The next thing on stdout answers the ping: "rs" got no reply.
        os.write(master, b'{"jsonrpc":"2.0","id":7,"method":"ping"}\n')
        r, _, _ = select.select([p.stdout], [], [], 10)
        assert r, "no answer to ping"
        line = p.stdout.readline()
        assert json.loads(line) == {"jsonrpc": "2.0", "id": 7, "result": {}}, \
            line
    finally:
        os.close(master)  # the terminal hangs up: mcpmon ends
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with Mcpmon(["--no-tui", "--"] + testserver_cmd()) as m:
        m.send_raw(b"rs\n")
        r = m.next_message(lambda msg: "error" in msg)
        assert r["id"] is None and r["error"]["code"] == -32700, r
        assert "nodemon" not in m.logs()
        assert m.call("ping") == {}


def test_command_not_found_answers_errors():
    with tmpdir() as d:
        script = os.path.join(d, "server.sh")
        with Mcpmon(["--watch", d, "--ext", "sh", "--", script]) as m:
            m.wait_log(r"Cannot run '.*server\.sh': command not found")
            m.wait_log(r"waiting for file changes")
            # Answered at once, never left hanging.
            r = m.request("initialize", {"protocolVersion": "2025-11-25",
                                         "capabilities": {}}, timeout=3)
            err = error_of(r)
            assert "command not found" in err["message"], err
            assert "server.sh" in err["message"], err
            r = m.request("tools/list", timeout=3)
            assert "command not found" in error_of(r)["message"], r
            assert m.call("ping") == {}
            # The command appears: mcpmon starts it, and the client can
            # initialize now.
            tmp = script + ".tmp"
            with open(tmp, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % testserver_path())
            os.chmod(tmp, stat.S_IRWXU)
            os.rename(tmp, script)
            m.wait_log(r"Server ready")
            r = m.call("initialize", {"protocolVersion": "2025-11-25",
                                      "capabilities": {}})
            assert r["serverInfo"]["name"] == "testserver", r
            m.notify("notifications/initialized")
            assert text_of(m.call_tool("echo", {"text": "hi"})) == "hi"


def test_default_log_format():
    with tmpdir() as d:
        with start(d, {"stderr_on_start": "from server"}) as m:
            init(m)
            lines = m.log_lines()
            assert re.match(PREFIX + r"Watching ", lines[0]), lines
            m.wait_log(PREFIX + r"Started: ")
            m.wait_log(PREFIX + r"Server ready")
            m.wait_log(r"^\[mcpmon \d\d:\d\d:\d\d pid:\d+\] \| from server$")


def test_quiet_prints_no_startup_lines():
    with tmpdir() as d:
        with start(d, {"stderr_on_start": "from server"}, args=["-q"]) as m:
            m.initialize()
            write_spec(spec_file(d), {})
            m.next_message(notification(LIST_CHANGED))
            mark = m.log_mark()
            m.send_request("tools/call", {"name": "crash",
                                          "arguments": {"code": 5}})
            # Errors still show.
            m.wait_log(r"Server exited unexpectedly \(exit code 5\)",
                       start=mark)
            m.next_message(notification(LIST_CHANGED))
            for pattern in (r"Watching", r"Started", r"Server ready",
                            r"Restart #", r"File modified", r"Sent tools"):
                assert count_log(m, pattern) == 0, (pattern, m.logs())


def test_verbose_lists_each_changed_file():
    with tmpdir() as d:
        with start(d, args=["-v", "--delay", "300"]) as m:
            init(m)
            mark = m.log_mark()
            names = ["a%d.json" % i for i in range(4)]
            for name in names:
                with open(os.path.join(d, name), "w") as f:
                    f.write("{}")
            m.wait_log(r"Restart #1 complete", start=mark)
            for name in names:
                m.wait_log(r"File added: (.*/)?%s$" % re.escape(name),
                           start=mark)
            assert count_log(m, r"Restarting server", mark) == 1
        # Without -v, one line names the first and counts the rest.
        with start(d, args=["--delay", "300"]) as m:
            init(m)
            mark = m.log_mark()
            for name in names:
                with open(os.path.join(d, name), "w") as f:
                    f.write("{ }")
            m.wait_log(r"Restart #1 complete", start=mark)
            assert count_log(m, r"File modified: .*\.json \(and 3 more\)$",
                             mark) == 1, m.logs()
            assert count_log(m, r"File ", mark) == 1, m.logs()


def test_timestamps_show_dates():
    with tmpdir() as d:
        with start(d, args=["-t"]) as m:
            init(m)
            lines = m.log_lines()
            assert lines and all(re.match(PREFIX_T, line)
                                 for line in lines), lines


def test_log_file_gets_the_same_lines_and_never_restarts():
    with tmpdir() as d:
        log = os.path.join(d, "mcpmon.log")
        with start(d, {"stderr_on_start": "from server"},
                   args=["-l", log], ext="json,log") as m:
            init(m)
            # Every log line is a write to a watched file (by extension):
            # none of them may restart the server.
            m.call_tool("stderr", {"text": "more", "count": 5})
            m.wait_log(r"\| more$", n=5)
            # A real change restarts once; neither the lines logged before
            # it nor those logged meanwhile add a restart. Each line is in
            # the file as soon as it is on stderr (log.c writes both at
            # once), before the next change below is made: one that
            # counted would restart the server before that change, or
            # join its burst, and name mcpmon.log in a "File" line.
            reload(m, d, {"server_name": "v2"})
            watcher_barrier(m, d, 2)
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restart #") == 2, m.logs()
            assert count_log(m, r"mcpmon\.log") == 0, m.logs()
            m.close_stdin()
            assert m.wait_exit() == 0
            with open(log) as f:
                logged = f.read().splitlines()
            assert logged == m.log_lines(), (logged, m.log_lines())
            assert any("Restart #1 complete" in line for line in logged)
            assert any("| from server" in line for line in logged)


if __name__ == "__main__":
    run_tests(globals())
