"""Starting and stopping one server (issue 15): the control socket's stop
and start commands, in gateway and single mode, and servers disabled in
the config (enabled: false) shown as disabled and startable for the run.

A stopped server's tools leave the gateway's lists (with list_changed),
calls to it get an error that says it is stopped and how to start it, a
call in flight gets an error answer, a save while it is stopped does not
start it, and start brings it back.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_start_stop.py
"""
import os
import re

from mcptest import *
from faults import Ctl
from gatewaymode import (TOOLS_CHANGED, error_of, start_gateway, tool_names,
                         write_backend_spec)
import singlemode

STOPPED_MSG = ("server '%s' is stopped; start it with `mcpmon start %s` "
               "or `s` in `mcpmon tui`")


def ctl(sock, cmd, name):
    with_id = {"cmd": cmd, "backend": name, "id": cmd}
    c = Ctl(sock)
    try:
        return c.ask(with_id, "result")
    finally:
        c.close()


def snapshot_backend(sock, name):
    c = Ctl(sock)
    try:
        snap = c.ask({"cmd": "snapshot"}, "snapshot")
    finally:
        c.close()
    return next(b for b in snap["backends"] if b["name"] == name)


def wait_state(sock, name, state):
    return wait_until(
        lambda: (lambda b: b if b["state"] == state else None)(
            snapshot_backend(sock, name)),
        10, message="%s %s" % (name, state))


def echo(server):
    return {"name": server + "__echo", "arguments": {"text": "probe"}}


def test_gateway_stop_start():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"alpha": {}, "beta": {}},
                           args=["--tui", sock]) as m:
            m.initialize()
            names = tool_names(m)
            assert "alpha__echo" in names and "beta__echo" in names, names
            # A call in flight when its server stops gets an error answer.
            slow = m.send_request("tools/call", {
                "name": "alpha__slow", "arguments": {"ms": 60000}})
            res = ctl(sock, "stop", "alpha")
            assert res["ok"] is True and "note" not in res, res
            err = error_of(m.next_message(response_to(slow)))
            assert "was stopped before it answered" in err["message"], err
            assert err["data"]["reason"] == "stopped", err
            m.next_message(notification(TOOLS_CHANGED))
            names = tool_names(m)
            assert not any(n.startswith("alpha__") for n in names), names
            assert "beta__echo" in names, names
            err = error_of(m.request("tools/call", echo("alpha")))
            assert err["message"] == STOPPED_MSG % ("alpha", "alpha"), err
            b = wait_state(sock, "alpha", "stopped")
            assert b["pid"] is None, b
            # Stopping it again is no error; it says so.
            again = ctl(sock, "stop", "alpha")
            assert again["ok"] is True and "already stopped" in \
                again["note"], again
            # A save while it is stopped does not start it: the log says
            # so, and a harmless request after it finds it still stopped.
            mark = m.log_mark()
            write_backend_spec(d, "alpha", {"tools": [
                {"name": "extra", "reply": "x"}]})
            m.wait_log(r"alpha.*Not restarting.*the server is stopped",
                       start=mark)
            m.call("tools/call", echo("beta"))
            assert snapshot_backend(sock, "alpha")["state"] == "stopped"
            # Start: it rejoins, list_changed follows, calls reach it.
            res = ctl(sock, "start", "alpha")
            assert res["ok"] is True and "note" not in res, res
            m.next_message(notification(TOOLS_CHANGED))
            names = tool_names(m)
            assert "alpha__echo" in names and "alpha__extra" in names, names
            assert text_of(m.call("tools/call", echo("alpha"))) == "probe"
            again = ctl(sock, "start", "alpha")
            assert again["ok"] is True and "already running" in \
                again["note"], again
            # restart of a stopped server starts it.
            ctl(sock, "stop", "alpha")
            m.next_message(notification(TOOLS_CHANGED))
            wait_state(sock, "alpha", "stopped")
            # restart of all leaves a stopped server stopped.
            mark = m.log_mark()
            c = Ctl(sock)
            assert c.ask({"cmd": "restart"}, "result")["ok"] is True
            c.close()
            m.wait_log(r"beta.*Restart #1 complete", start=mark)
            m.next_message(notification(TOOLS_CHANGED))  # beta's
            assert snapshot_backend(sock, "alpha")["state"] == "stopped"
            res = ctl(sock, "restart", "alpha")
            assert res["ok"] is True, res
            m.next_message(notification(TOOLS_CHANGED))
            assert "alpha__echo" in tool_names(m)
            bad = ctl(sock, "stop", "nope")
            assert bad["ok"] is False and "nope" in bad["error"], bad
            c = Ctl(sock)
            nameless = c.ask({"cmd": "start"}, "result")
            c.close()
            assert nameless["ok"] is False and "backend" in \
                nameless["error"], nameless


def test_gateway_disabled_listed_and_startable():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"alpha": {}, "gamma": {}},
                           config={"alpha": None,
                                   "gamma": {"enabled": False}},
                           args=["--tui", sock]) as m:
            m.initialize()
            names = tool_names(m)
            assert not any(n.startswith("gamma__") for n in names), names
            b = snapshot_backend(sock, "gamma")
            assert b["state"] == "disabled" and b["pid"] is None, b
            err = error_of(m.request("tools/call", echo("gamma")))
            assert err["message"].startswith(
                "server 'gamma' is disabled in the config"), err
            assert "`mcpmon start gamma`" in err["message"], err
            assert err["data"]["reason"] == "disabled", err
            res = ctl(sock, "start", "gamma")
            assert res["ok"] is True, res
            m.next_message(notification(TOOLS_CHANGED))
            assert "gamma__echo" in tool_names(m)
            assert text_of(m.call("tools/call", echo("gamma"))) == "probe"
            assert snapshot_backend(sock, "gamma")["state"] == "ready"
            # Started for this run, its watcher runs now: a save restarts.
            mark = m.log_mark()
            write_backend_spec(d, "gamma", {"tools": [
                {"name": "more", "reply": "y"}]})
            m.wait_log(r"gamma.*Restart #1 complete", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            # A config reload that leaves its entry alone keeps it running.
            with open(os.path.join(d, ".mcpmon.yaml"), "a") as f:
                f.write("# touched\n")
            m.wait_log(r"Configuration reloaded: 0 added, 0 changed",
                       start=mark)
            assert "gamma__more" in tool_names(m)
            assert snapshot_backend(sock, "gamma")["state"] == "ready"


def test_single_stop_start():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with singlemode.start(d, args=["--tui", sock]) as m:
            singlemode.init(m)
            m.call("tools/list")
            res = ctl(sock, "stop", "server")
            assert res["ok"] is True, res
            wait_state(sock, "server", "stopped")
            err = error_of(m.request("tools/call", {
                "name": "echo", "arguments": {"text": "x"}}))
            assert err["message"] == STOPPED_MSG % ("server", "server"), err
            # The session stays: ping is answered by mcpmon itself.
            m.call("ping")
            # Started again with the same tools: no list_changed.
            mark = m.log_mark()
            ctl(sock, "start", "server")
            m.wait_log(r"Server started again", start=mark)
            m.expect_none_before_reply(
                notification(TOOLS_CHANGED), method="tools/call",
                params={"name": "echo", "arguments": {"text": "x"}})
            # Stopped, the spec changed (no start), then started: the
            # lists differ, so list_changed goes out.
            ctl(sock, "stop", "server")
            wait_state(sock, "server", "stopped")
            mark = m.log_mark()
            write_spec(singlemode.spec_file(d), {"tools": [
                {"name": "fresh", "reply": "new"}]})
            m.wait_log(r"Not restarting.*the server is stopped", start=mark)
            m.call("ping")
            assert snapshot_backend(sock, "server")["state"] == "stopped"
            ctl(sock, "start", "server")
            m.next_message(notification(TOOLS_CHANGED))
            names = [t["name"] for t in m.call("tools/list")["tools"]]
            assert "fresh" in names, names


def test_cli_stop_start():
    from tuitest import cli
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"alpha": {}, "beta": {}},
                           args=["--tui", sock]) as m:
            m.initialize()
            rc, out, err = cli(["stop", "alpha", "--socket", sock], d)
            assert rc == 0, (rc, out, err)
            assert out.strip() == "Stopping alpha", out
            wait_state(sock, "alpha", "stopped")
            rc, out, err = cli(["status", sock], d)
            assert re.search(r"^alpha\s+stopped\b", out, re.M), out
            rc, out, err = cli(["stop", "alpha", "--socket", sock], d)
            assert rc == 0 and "already stopped" in out, (rc, out, err)
            rc, out, err = cli(["start", "alpha", "--socket", sock], d)
            assert rc == 0 and out.strip() == "Starting alpha", (rc, out, err)
            wait_state(sock, "alpha", "ready")
            rc, out, err = cli(["start", "nope", "--socket", sock], d)
            assert rc == 2 and "nope" in err, (rc, out, err)  # usage: no such server
            rc, out, err = cli(["start", "--socket", sock], d)
            assert rc == 2 and "Usage: mcpmon start" in err, (rc, out, err)
            rc, out, err = cli(["stop", "--help"], d)
            assert rc == 0 and "Usage: mcpmon stop" in out, (rc, out, err)


run_tests(globals())
