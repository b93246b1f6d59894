"""Issue 15 defect 6: a server that cannot be started gets a message that
names the real cause: a working directory that does not exist (not "no
such file or directory" about the program), a directory given as the
command, a whole command line in `command:` or in one client argument.
The message reaches the client as the JSON-RPC error's message text (what
Claude Code shows), and the log; in single mode it sends the user to the
client's configuration, not to "save a watched file".

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_start_errors.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import error_of  # noqa: E402


def single_error(d, command):
    """Run mcpmon in single mode with argv command; the message of the
    error initialize gets, after the log has said why."""
    with Mcpmon(["--watch", d, "--no-tui", "--"] + command, cwd=d) as m:
        m.wait_log(r"waiting for file changes")
        r = m.request("initialize", {"protocolVersion": "2025-11-25",
                                     "capabilities": {}}, timeout=5)
        msg = error_of(r)["message"]
        assert "save a watched file" not in msg, msg
        assert "MCP client's configuration" in msg, msg
        assert m.call("ping") == {}
        return msg, m.logs()


def test_single_directory_as_command():
    with tmpdir() as d:
        sub = os.path.join(d, "src")
        os.mkdir(sub)
        msg, log = single_error(d, [sub])
        want = "Cannot run '%s': it is a directory, not a program" % sub
        assert want in msg, msg
        assert want in log, log
        assert "command not found" not in msg, msg
        # A bare word: not on PATH, and a directory of that name is here.
        msg, log = single_error(d, ["src"])
        assert "Cannot run 'src': command not found ('src' in the working " \
            "directory is a directory, not a program)" in msg, msg


def test_single_whole_command_line_in_one_argument():
    with tmpdir() as d:
        msg, log = single_error(d, ["python3 server.py --flag"])
        assert "Cannot run 'python3 server.py --flag': command not found" \
            in msg, msg
        assert 'give the program and each argument separately ("python3", ' \
            '"server.py", "--flag")' in msg, msg
        assert "args:" not in msg, msg  # that is the gateway's YAML
        assert "separately" in log, log


def test_single_file_here_but_not_on_path():
    with tmpdir() as d:
        path = os.path.join(d, "srv")
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(path, 0o755)
        msg, _ = single_error(d, ["srv"])
        assert "command not found on PATH (to run the file 'srv' of the " \
            "working directory, write './srv')" in msg, msg
        os.chmod(path, 0o644)
        msg, _ = single_error(d, ["./srv"])
        assert "Cannot run './srv': it is not an executable file" in msg, msg


def test_gateway_causes_in_the_log():
    with tmpdir() as d:
        os.mkdir(os.path.join(d, "adir"))
        cfg = os.path.join(d, "mcpmon.yaml")
        with open(cfg, "w") as f:
            f.write("servers:\n"
                    "  nocwd:\n    command: %s\n    cwd: ./nope\n"
                    "  isdir:\n    command: ./adir\n"
                    "  line:\n    command: python3 server.py --flag\n"
                    "  good:\n    command: %s\n"
                    % (testserver_path(), testserver_path()))
        with Mcpmon(["--config", cfg, "--no-tui"]) as m:
            m.wait_log(r"\[mcpmon [0-9:]+ nocwd\] Cannot start '%s': working "
                       r"directory '%s' does not exist; waiting"
                       % (re.escape(testserver_path()),
                          re.escape(os.path.join(d, "nope"))))
            m.wait_log(r"\[mcpmon [0-9:]+ isdir\] Cannot run '%s': it is a "
                       r"directory, not a program"
                       % re.escape(os.path.join(d, "adir")))
            m.wait_log(re.escape(
                "Cannot run 'python3 server.py --flag': command not found; "
                "'command:' names the program only: put its arguments in "
                "'args:' (command: python3, args: [server.py, --flag])"))
            # The others serve on.
            m.initialize()
            tools = [t["name"] for t in m.call("tools/list")["tools"]]
            assert tools and all(t.startswith("good__") for t in tools), \
                tools


run_tests(globals())
