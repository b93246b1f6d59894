"""How mcpmon starts a server (issue 18: clone and exec, no uv_spawn and
no exec shim, src/core/proc/spawn.h): a script without "#!" runs through
/bin/sh as execvp would run it; the server starts in its configured
working directory with only fds 0-2, no signal blocked and every signal
at its default disposition, whatever mcpmon inherited; an exec that
fails after the checks (a "#!" naming a missing interpreter) is named in
the log and the proxy keeps answering. (The parent-death signal:
test_shutdown.test_mcpmon_sigkilled_server_still_stops; the messages of
the checks before a start: test_start_errors.)

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_spawn.py
"""
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from pyserver import FACTS_SERVER as SERVER  # noqa: E402


# A shell script without "#!": the kernel cannot exec it (ENOEXEC), so it
# runs only if mcpmon falls back to /bin/sh. It records $0 and the signal
# state of a plain child of that shell (grep: what the shell inherited,
# as Python itself ignores SIGPIPE and SIGXFSZ), then becomes the server.
SCRIPT = '''echo "$0" > "$MARK"
grep -E "^Sig(Blk|Ign|Cgt)" /proc/self/status > "$MARK.sig"
exec "$PY" "$SRV" "$@"
'''

# Runs argv[1:] (mcpmon) with SIGUSR2 blocked and SIGUSR1 and SIGHUP
# ignored, which an exec keeps: mcpmon inherits them, its server must not.
WRAP = r'''
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])
'''


def bit(sig):
    return 1 << (sig - 1)


def write_files(d):
    server = os.path.join(d, "server.py")
    with open(server, "w") as f:
        f.write(SERVER)
    script = os.path.join(d, "run-server")
    with open(script, "w") as f:
        f.write(SCRIPT)
    os.chmod(script, 0o755)
    return server, script


def read_json(path):
    wait_until(lambda: os.path.exists(path), message=path)
    with open(path) as f:
        return json.load(f)


def read_sig_lines(path):
    wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0,
               message=path)
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = int(v.strip(), 16)
    return out


def single(d, argv_prefix=()):
    """mcpmon in single mode running the script without "#!"."""
    server, script = write_files(d)
    out = os.path.join(d, "facts.json")
    mark = os.path.join(d, "mark")
    env = {"MARK": mark, "PY": sys.executable, "SRV": server}
    argv = list(argv_prefix) + [mcpmon_path(), "--watch", d, "--no-tui",
                                "--", script, out]
    return Proc(argv, cwd=d, env=env, name="mcpmon", strict=True), out, mark


def test_script_without_shebang_runs_through_sh():
    with tmpdir() as d:
        m, out, mark = single(d)
        with m:
            m.initialize()
            assert m.call("ping") == {}
            with open(mark) as f:
                assert f.read().strip() == os.path.join(d, "run-server")
            facts = read_json(out)
            # Its own session and group (setsid), of which it is the leader.
            assert facts["sid"] == facts["pid"] == facts["pgid"], facts
            assert facts["fds"] == {}, facts
            m.close_stdin()
            assert m.wait_exit() == 0


def test_signals_default_and_unblocked():
    with tmpdir() as d:
        m, out, mark = single(d, [sys.executable, "-c", WRAP])
        with m:
            m.initialize()
            assert m.call("ping") == {}
            wait_until(lambda: os.path.exists("/proc/%d/status" % m.pid))
            with open("/proc/%d/status" % m.pid) as f:
                status = f.read()
            own = {k: int(v, 16) for k, v in
                   re.findall(r"^(Sig\w+):\s*([0-9a-f]+)$", status, re.M)}
            # mcpmon got them from the wrapper ...
            assert own["SigIgn"] & bit(signal.SIGUSR1), own
            assert own["SigBlk"] & bit(signal.SIGUSR2), own
            # ... a plain child of the server's shell has none of them.
            sh = read_sig_lines(mark + ".sig")
            assert sh["SigBlk"] == 0, sh
            assert sh["SigIgn"] == 0, sh
            # Python ignores SIGPIPE and SIGXFSZ itself, nothing else.
            facts = read_json(out)
            assert facts["sig"]["SigBlk"] == 0, facts
            python_own = bit(signal.SIGPIPE) | bit(signal.SIGXFSZ)
            assert facts["sig"]["SigIgn"] & ~python_own == 0, facts
            m.close_stdin()
            assert m.wait_exit() == 0


def gateway(d, servers):
    cfg = os.path.join(d, "mcpmon.yaml")
    with open(cfg, "w") as f:
        f.write("servers:\n")
        for name, fields in servers.items():
            f.write("  %s:\n" % name)
            for k, v in fields.items():
                f.write("    %s: %s\n" % (k, json.dumps(v)))
    return Mcpmon(["--config", cfg, "--no-tui"])


def test_server_starts_in_configured_cwd():
    with tmpdir() as d:
        server, _ = write_files(d)
        sub = os.path.join(d, "sub")
        os.mkdir(sub)
        out = os.path.join(d, "facts.json")
        with gateway(d, {"facts": {"command": sys.executable,
                                   "args": [server, out], "cwd": "./sub"}}
                     ) as m:
            m.initialize()
            assert m.call("ping") == {}
            facts = read_json(out)
            assert os.path.realpath(facts["cwd"]) == os.path.realpath(sub)
            assert facts["fds"] == {}, facts
            m.close_stdin()
            assert m.wait_exit() == 0


def test_missing_interpreter_named_and_proxy_answers():
    with tmpdir() as d:
        broken = os.path.join(d, "broken")
        with open(broken, "w") as f:
            f.write("#!/nonexistent/interp\n")
        os.chmod(broken, 0o755)
        # The checks before the start pass (an executable file); the exec
        # itself fails with ENOENT, which names the interpreter.
        with gateway(d, {"broken": {"command": broken},
                         "good": {"command": testserver_path()}}) as m:
            m.wait_log(r"\[mcpmon [0-9:]+ broken pid:[0-9]+\] Cannot run "
                       r"'%s': its interpreter '/nonexistent/interp' "
                       r"\(its #! line\) was not found" % re.escape(broken))
            m.initialize()
            tools = [t["name"] for t in m.call("tools/list")["tools"]]
            assert tools and all(t.startswith("good__") for t in tools), \
                tools
            assert m.call("ping") == {}
            m.close_stdin()
            assert m.wait_exit() == 0


run_tests(globals())
