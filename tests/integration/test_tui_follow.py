"""mcpmon tui follows its instance to the next one (issue 15 defect 2).

A client restarts mcpmon (a new Claude Code session, /mcp reconnect): the
new instance has a new pid, so a new socket. The dashboard keeps the last
rows it saw with the reason the instance ended, and attaches by itself to
the next instance that serves the same command in the same directory
(single mode) or the same config file (gateway), saying so.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_tui_follow.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403


def test_hello_names_what_the_instance_serves():
    with tmpdir() as d, core(d, sock=False, name="one") as (m, sock):
        with ControlClient(sock) as c:
            h = c.hello
        assert h["mode"] == "single", h
        assert "spec-one.json" in h["command"], h
        assert h["cwd"] == os.getcwd(), h
        assert "config" not in h, h


def test_follows_the_next_instance_of_the_same_command():
    with tmpdir() as d:
        with Tmux(d) as tm:
            with core(d, sock=False, name="same") as (m1, s1):
                tm.start([mcpmon_path(), "tui"])
                tm.wait_for("pid %d" % m1.pid)
                tm.wait_for("restarts 0")
                m1.close_stdin()  # the client went: mcpmon ends
                assert m1.wait_exit() == 0
            # Ended: why, and the rows as they were (not "Servers (0)").
            text = tm.wait_for("mcpmon pid %d ended" % m1.pid)
            assert "(the client closed stdin)" in text, text
            assert "Servers (1)" in text and "hello" in text, text
            # An instance of something else is not followed ...
            with core(d, sock=False, name="other") as (mo, so):
                # ... while the next one of the same is, by itself.
                with core(d, sock=False, name="same") as (m2, s2):
                    tm.wait_for("Followed to pid %d (pid %d ended), the next "
                                "mcpmon of" % (m2.pid, m1.pid), timeout=15)
                    tm.wait_for(lambda t: "ended" not in t.split("\n")[-1]
                                or "Followed" in t,
                                message="the note gone")
                    text = tm.wait_for("restarts 0")
                    assert "pid %d" % mo.pid not in text, text
                    tm.keys("q")
                    assert tm.exit_status() == 0


def test_follows_a_gateway_of_the_same_config():
    with tmpdir() as d:
        spec = spec_file(d)
        cfg = os.path.join(d, ".mcpmon.yaml")
        with open(cfg, "w") as f:
            f.write("servers:\n  alpha:\n    command: %s\n    args: [%s]\n"
                    % (testserver_cmd(spec)[0],
                       ", ".join('"%s"' % a for a in testserver_cmd(spec)[1:])))
        with Tmux(d) as tm:
            with Mcpmon(["--config", cfg], env=ctl_env(d), name="g1") as g1:
                g1.initialize()
                tm.start([mcpmon_path(), "tui"])
                tm.wait_for("pid %d" % g1.pid)
                tm.wait_for("alpha")
                g1.signal(15)
                assert g1.wait_exit() == 0
            text = tm.wait_for("mcpmon pid %d ended" % g1.pid)
            assert "(SIGTERM)" in text and "alpha" in text, text
            with Mcpmon(["--config", cfg], env=ctl_env(d), name="g2") as g2:
                g2.initialize()
                text = tm.wait_for("Followed to pid %d" % g2.pid, timeout=15)
                assert "the config %s" % cfg in text, text
                tm.keys("q")
                assert tm.exit_status() == 0


run_tests(globals())
