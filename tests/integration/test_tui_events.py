"""mcpmon's own events in the dashboard (issue 15 defect 3).

A config error used to reach the dashboard as "The config file has an
error; still serving the last good configuration", its file:line:col only
on stderr, which under a client is a log file nobody reads. Now the error
is one line in full, kept by the core apart from any server's log
(snapshot "events"), and the dashboard's servers list ends with an events
row that counts warnings and errors and shows them in the log pane.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_tui_events.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403
from gatewaymode import (config_path, config_text, start_gateway,  # noqa
                         write_config_text)


def test_config_error_in_full_in_snapshot_and_dashboard():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"alpha": {}}, args=["--tui", sock],
                           env=ctl_env(d)) as m:
            m.initialize()
            wait_snapshot(sock, lambda s: s["backends"][0]["state"] == "ready")
            mark = m.log_mark()
            text = config_text(d, {"alpha": None})
            write_config_text(d, text.replace("    args:",
                                              "    extensionz: py\n    args:"))
            m.wait_log(r"still serving the last good configuration",
                       start=mark)
            snap = wait_snapshot(sock, lambda s: any(
                "extensionz" in e["text"] for e in s.get("events", [])))
            ev = [e for e in snap["events"] if "extensionz" in e["text"]][0]
            assert ev["level"] == "error" and ev["backend"] is None, ev
            assert ("%s:4:5: unknown key 'extensionz'" % config_path(d)
                    in ev["text"]), ev
            assert ev["text"].endswith(
                "; still serving the last good configuration"), ev
            # A dashboard attached after the fact sees it: the events row
            # counts it, e shows it whole in the log pane.
            with Tmux(d, width=200, height=40) as tm:
                tm.start([mcpmon_path(), "tui", sock])
                text = tm.wait_for("1 error")
                assert "events" in text, text
                tm.keys("e")
                text = tm.wait_for("mcpmon's own events")
                assert "unknown key 'extensionz'" in text, text
                assert "Log: " + "mcpmon events" in text, text
                # r there restarts nothing, and says what to do.
                tm.keys("r")
                tm.wait_for("Select a server to restart it")
                tm.keys("q")
                assert tm.exit_status() == 0
            # Still serving the last good configuration.
            assert m.call("tools/list")["tools"], "alpha's tools"


run_tests(globals())
