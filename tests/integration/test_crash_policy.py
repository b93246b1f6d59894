"""Issue 15: the crash policy is configurable (--crash-retries and
--crash-window, crash_retries and crash_window in .mcpmon.yaml), and crash
restarts are counted: `crashes` beside `restarts` in the control snapshot
and state events, and a CRASHES column in `mcpmon status`.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_crash_policy.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403
import gatewaymode  # noqa: E402


def backend(snap, name="server"):
    return next(b for b in snap["backends"] if b["name"] == name)


def count_log(m, pattern, start=0):
    rx = re.compile(pattern)
    return sum(1 for line in m.log_lines()[start:] if rx.search(line))


def crash(m, name="crash"):
    return m.send_request("tools/call", {"name": name,
                                         "arguments": {"code": 3}})


def test_crash_retries_and_crashes_in_status():
    args = ["--crash-retries", "2", "--crash-window", "600000"]
    with tmpdir() as d, core(d, args=args) as (m, sock):
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        assert backend(snap)["crashes"] == 0, snap
        mark = m.log_mark()
        crash(m)
        m.wait_log(r"Restarting in 250 ms \(crash 1 of 2\)", start=mark)
        m.wait_log(r"Restart #1 complete", start=mark)
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        assert backend(snap)["crashes"] == 1, snap
        assert backend(snap)["restarts"] == 1, snap
        crash(m)
        # The second crash within the window: no third start.
        m.wait_log(r"Server crashed 2 times within 600000 ms; waiting for "
                   r"file changes before restarting", start=mark)
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "waiting")
        assert backend(snap)["crashes"] == 2, snap
        assert backend(snap)["restarts"] == 1, snap
        err = m.request("tools/call", {"name": "echo", "arguments": {}},
                        timeout=5)["error"]
        assert "crashed 2 times within 600000 ms" in err["message"], err
        assert count_log(m, r"Started:", mark) == 1, m.logs()

        rc, out, _ = cli(["status", sock], d)
        assert rc == 3, out  # a server is down (waiting)
        lines = out.splitlines()
        head = lines[3].split()
        assert head[:5] == ["NAME", "STATE", "PID", "RESTARTS",
                            "CRASHES"], out
        row = lines[4].split()
        assert row[:2] == ["server", "waiting"], out
        assert row[3:5] == ["1", "2"], out
        col = lines[3].index("CRASHES")
        assert lines[4][col] == "2", out
        # A restart command starts it again; the count stays.
        rc, out, err = cli(["restart", "--socket", sock], d)
        assert rc == 0, (out, err)
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        assert backend(snap)["crashes"] == 2, snap


def test_crash_window_resets_the_count():
    # Crashes further apart than the window each count as the first.
    args = ["--crash-retries", "2", "--crash-window", "1"]
    with tmpdir() as d, core(d, args=args) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        mark = m.log_mark()
        for n in (1, 2, 3):
            crash(m)
            m.wait_log(r"Restart #%d complete" % n, start=mark)
        assert count_log(m, r"\(crash 1 of 2\)", mark) == 3, m.logs()
        assert count_log(m, r"waiting for file changes", mark) == 0, m.logs()
        snap = wait_snapshot(sock, lambda s: backend(s)["crashes"] == 3)
        assert backend(snap)["state"] == "ready", snap


def test_crash_keys_in_the_config_file():
    # crash_retries at the top level is every server's default; a
    # server's own wins.
    with tmpdir() as d:
        servers = {"alpha": {"raw": ["crash_retries: 1"]}, "beta": None}
        with gatewaymode.start_gateway(
                d, {"alpha": {}, "beta": {}}, config=servers,
                extra_top="crash_retries: 3\ncrash_window: 600000") as m:
            m.initialize()
            mark = m.log_mark()
            crash(m, "alpha__crash")
            m.wait_log(r"alpha.*Server crashed 1 time within 600000 ms; "
                       r"waiting for file changes", start=mark)
            crash(m, "beta__crash")
            m.wait_log(r"beta.*Restarting in 250 ms \(crash 1 of 3\)",
                       start=mark)
            m.wait_log(r"beta.*Restart #1 complete", start=mark)


if __name__ == "__main__":
    run_tests(globals())
