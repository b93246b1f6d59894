"""A server gets exactly stdin, stdout and stderr: descriptors that
mcpmon's own parent left open (here fd 3 on /dev/null and fd 7 on a file)
do not reach it (issue 12, item 9). Before the fix every server, and what
it started, inherited them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from pyserver import FACTS_SERVER  # noqa: E402


def test_server_gets_only_fds_0_to_2():
    with tmpdir() as d:
        server = os.path.join(d, "server.py")
        with open(server, "w") as f:
            f.write(FACTS_SERVER)
        out = os.path.join(d, "fds.json")
        held = os.path.join(d, "held")
        # sh opens fd 3 and fd 7 (not close-on-exec) and becomes mcpmon.
        argv = ["sh", "-c", 'exec "$0" "$@" 3</dev/null 7>>"$HELD"',
                mcpmon_path(), "--", sys.executable, server, out]
        with Proc(argv, env={"HELD": held}, name="mcpmon",
                  strict=True) as m:
            wait_until(lambda: os.path.exists(held), message="sh's fd 7")
            fds = os.listdir("/proc/%d/fd" % m.pid)
            assert "3" in fds and "7" in fds, fds  # mcpmon has them
            m.initialize()
            m.request("ping")
            with open(out) as f:
                extra = json.load(f)["fds"]
            assert extra == {}, "the server inherited %r" % extra
            m.close_stdin()
            assert m.wait_exit() == 0


run_tests(globals())
