"""The dashboard's detail screens (issue 15): Enter on a tool (Tab to the
tools pane, j/k to move) shows its whole description and input schema,
wrapped; the detail of a traffic entry wraps a long value instead of
cutting it at the border; status-line messages go away by themselves.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_tui_details.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403

LONG = ("Look a word up in the big dictionary of everything and answer its "
        "meaning, its origin and three examples of its use, THE-END-OF-IT")
SPEC = {"tools": [{"name": "lookup", "description": LONG,
                   "inputSchema": {"type": "object", "properties": {
                       "word": {"type": "string",
                                "description": "the word to look up"}},
                       "required": ["word"]},
                   "reply": "found"}]}


def test_tool_detail_and_wrapped_traffic_detail():
    with tmpdir() as d, core(d, spec=SPEC) as (m, sock):
        with Tmux(d, width=80, height=24) as tm:
            tm.start([mcpmon_path(), "tui", sock])
            tm.wait_for("restarts 0")
            tm.wait_for("lookup")  # the tools have arrived
            tm.keys("Tab")  # the tools pane; lookup is listed first
            tm.keys("Enter")
            text = tm.wait_for("Tool lookup of server")
            assert "Description" in text and "Input schema" in text, text
            # The whole description, wrapped at 80 columns.
            assert "THE-END-OF-IT" in text, text
            assert '"required": [' in text, text
            tm.keys("Escape")
            tm.wait_for(lambda t: "Tool lookup" not in t and "Log:" in t,
                        message="back on the dashboard")
            # A call with a long argument: its detail wraps the value.
            arg = "w" * 150 + "-TAIL"
            assert text_of(m.call_tool("lookup", {"word": arg})) == "found"
            tm.keys("t")
            tm.wait_for("lookup")
            tm.keys("Enter")
            text = tm.wait_for("Request")
            tm.wait_for("-TAIL")
            tm.keys("NPage")  # the response is on the next page
            tm.wait_for("Response")
            tm.keys("Escape", "t")
            tm.wait_for("Log:")
            # A status message goes away by itself.
            tm.keys("n")
            tm.wait_for("No search yet")
            tm.wait_for(lambda t: "No search yet" not in t, timeout=10,
                        message="the message expired")
            tm.keys("q")
            assert tm.exit_status() == 0


def test_tool_detail_of_a_tool_that_went_away():
    with tmpdir() as d, core(d, spec=SPEC) as (m, sock):
        wait_snapshot(sock, lambda s: any(
            t["name"] == "lookup" for t in s["backends"][0]["tools"]))
        with ControlClient(sock) as c:
            r = c.request({"cmd": "tool", "backend": "server",
                           "name": "lookup", "id": 7}, "tool_detail")
            assert r["id"] == 7 and r["tool"]["description"] == LONG, r
            assert r["tool"]["inputSchema"]["required"] == ["word"], r
            r = c.request({"cmd": "tool", "backend": "server",
                           "name": "nope"}, "tool_detail")
            assert r["type"] == "error", r
            assert "has no tool 'nope'" in r["message"], r
            r = c.request({"cmd": "tool", "name": "x"}, "tool_detail")
            assert r["type"] == "error" and "needs a 'backend'" in \
                r["message"], r


run_tests(globals())
