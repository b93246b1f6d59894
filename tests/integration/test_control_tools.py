"""mcpmon's own tools for agents, opt-in (issue 15): with --control-tools
(YAML control_tools: true) the client's tool list also holds
mcpmon__status, mcpmon__restart and mcpmon__logs, after the servers'
tools; an agent that edits a server can restart it and read why it
crashed, even in a client that never re-lists tools.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_control_tools.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import start  # noqa: E402
from gatewaymode import (config_path, config_text, start_gateway,  # noqa
                         write_backend_spec, write_config_text)
from tuitest import cli, ctl_env  # noqa: E402

OURS = ["mcpmon__status", "mcpmon__restart", "mcpmon__logs"]
SPEC = {"tools": [{"name": "hello", "description": "Say hello",
                   "reply": "hello v1"}],
        "stderr_on_start": "testserver starting up"}


def names(m):
    """Every page of tools/list."""
    got, cursor = [], None
    while True:
        r = m.call("tools/list", {"cursor": cursor} if cursor else {})
        got += [t["name"] for t in r["tools"]]
        cursor = r.get("nextCursor")
        if not cursor:
            return got


def status_pid(m, server):
    text = text_of(m.call_tool("mcpmon__status"))
    found = re.search(r"^%s: (\w+), pid (\d+)" % server, text, re.M)
    assert found, text
    return found.group(1), int(found.group(2))


def test_single_mode_lists_and_answers_them():
    with tmpdir() as d, start(d, SPEC, args=["--control-tools"],
                              env=ctl_env(d)) as m:
        init = m.initialize()
        assert init["capabilities"]["tools"]["listChanged"] is True, init
        got = names(m)
        assert got[-3:] == OURS, got  # after the server's own
        assert "hello" in got and "crash" in got, got
        tools = {t["name"]: t for t in m.call("tools/list")["tools"]}
        assert tools["mcpmon__logs"]["inputSchema"]["properties"]["lines"][
            "maximum"] == 500, tools["mcpmon__logs"]
        state, pid = status_pid(m, "server")
        assert state == "ready", state
        assert "restarts 0" in text_of(m.call_tool("mcpmon__status"))
        # Logs: the server's stderr and mcpmon's lines about it.
        logs = text_of(m.call_tool("mcpmon__logs", {"lines": 20}))
        assert "testserver starting up" in logs, logs
        assert "stderr:" in logs and "mcpmon:" in logs, logs
        # Restart: a new process, the session kept.
        text = text_of(m.call_tool("mcpmon__restart"))
        assert text.startswith("Restarting 'server' (it was ready, pid %d)"
                               % pid), text
        wait_until(lambda: status_pid(m, "server")[1] != pid and
                   status_pid(m, "server")[0] == "ready", 15,
                   message="a new ready process")
        assert text_of(m.call_tool("hello")) == "hello v1"
        # A crash: the agent reads why.
        resp = m.request("tools/call", {"name": "crash",
                                        "arguments": {"code": 3}})
        assert "error" in resp, resp
        logs = text_of(m.call_tool("mcpmon__logs"))
        assert "crash: exit code 3" in logs, logs
        # Bad arguments are tool errors that say what is wrong.
        r = m.call_tool("mcpmon__logs", {"lines": 0})
        assert r.get("isError") is True and "1 to 500" in text_of(r), r
        r = m.call_tool("mcpmon__restart", {"server": "srever"})
        assert r.get("isError") is True, r
        assert "Did you mean 'server'?" in text_of(r), r
        # A name of ours that is not a tool is an unknown tool (-32602).
        resp = m.request("tools/call", {"name": "mcpmon__nope"})
        assert resp["error"]["code"] == -32602, resp


def test_off_by_default():
    with tmpdir() as d, start(d, SPEC, env=ctl_env(d)) as m:
        m.initialize()
        got = names(m)
        assert not [n for n in got if n.startswith("mcpmon__")], got
        # Forwarded to the server, which knows no such tool.
        resp = m.request("tools/call", {"name": "mcpmon__status",
                                        "arguments": {}})
        assert "error" in resp or resp["result"].get("isError"), resp


def test_gateway_lists_and_routes_them():
    with tmpdir() as d:
        with start_gateway(d, {"alpha": SPEC, "beta": SPEC},
                           config={"alpha": None, "beta": None},
                           extra_top="control_tools: true",
                           env=ctl_env(d)) as m:
            m.initialize()
            got = names(m)
            assert got[-3:] == OURS, got
            assert "alpha__hello" in got and "beta__hello" in got, got
            text = text_of(m.call_tool("mcpmon__status"))
            assert text.index("alpha: ready") < text.index("beta: ready"), \
                text
            _, apid = status_pid(m, "alpha")
            _, bpid = status_pid(m, "beta")
            r = m.call_tool("mcpmon__restart", {"server": "alpha"})
            assert "Restarting 'alpha'" in text_of(r), r
            wait_until(lambda: status_pid(m, "alpha")[1] != apid and
                       status_pid(m, "alpha")[0] == "ready", 15,
                       message="alpha restarted")
            assert status_pid(m, "beta")[1] == bpid  # only alpha
            logs = text_of(m.call_tool("mcpmon__logs", {"server": "beta"}))
            assert "The last lines of 'beta' (ready)" in logs, logs
            r = m.call_tool("mcpmon__logs", {})
            assert r.get("isError") is True, r
            assert "Say which server" in text_of(r) and "alpha, beta" in \
                text_of(r), r


def test_gateway_server_named_mcpmon_is_refused():
    with tmpdir() as d:
        write_backend_spec(d, "mcpmon", {})
        text = config_text(d, {"mcpmon": None}, extra_top="control_tools: on")
        path = write_config_text(d, text.replace("control_tools: on",
                                                 "control_tools: true"))
        rc, out, err = cli(["--config", path], d)
        assert rc == 2, (rc, err)
        assert re.search(r"\.mcpmon\.yaml:2:3: the server name 'mcpmon' is "
                         r"taken by mcpmon's own tools", err), err
        # The same from the command line's --control-tools.
        write_config_text(d, config_text(d, {"mcpmon": None}))
        rc, out, err = cli(["--control-tools", "--config", path], d)
        assert rc == 2 and "taken by mcpmon's own tools" in err, (rc, err)


run_tests(globals())
