"""A server gets exactly stdin, stdout and stderr: descriptors that
mcpmon's own parent left open (here fd 3 on /dev/null and fd 7 on a file)
do not reach it (issue 12, item 9). Before the fix every server, and what
it started, inherited them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403

# python3 server.py OUT: writes {fd: target} of its open descriptors above
# 2 to OUT (the one os.listdir opened to list them is closed by then),
# then answers initialize and ping.
SERVER = r'''
import json, os, sys
out = sys.argv[1]
extra = {}
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    if fd > 2:
        try:
            extra[fd] = os.readlink("/proc/self/fd/%d" % fd)
        except OSError:
            pass  # the listing's own descriptor, closed
with open(out + ".tmp", "w") as f:
    json.dump(extra, f)
os.rename(out + ".tmp", out)
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("id") is None:
        continue
    result = {}
    if msg["method"] == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"],
                  "capabilities": {}, "serverInfo": {"name": "fds",
                                                     "version": "1"}}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                 "result": result}) + "\n")
    sys.stdout.flush()
'''


def test_server_gets_only_fds_0_to_2():
    with tmpdir() as d:
        server = os.path.join(d, "server.py")
        with open(server, "w") as f:
            f.write(SERVER)
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
                extra = json.load(f)
            assert extra == {}, "the server inherited %r" % extra
            m.close_stdin()
            assert m.wait_exit() == 0


run_tests(globals())
