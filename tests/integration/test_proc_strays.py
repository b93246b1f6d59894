"""A process a server started that left the server's process group (a
"stray": it called setsid(), as Node's spawn(..., {detached: true}) does)
is stopped with the server: after a restart and at mcpmon's exit it is
gone, whether it is still the server's child or was orphaned to mcpmon
(the child subreaper) before the stop. In gateway mode a restart stops
the strays of that server only (issue 12, item 8).

Before the fix kill(-pgid) missed such a process: it survived every
restart and mcpmon's exit, one more on each save."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from pyserver import PY_SERVE, starts  # noqa: E402

# A tiny MCP server: python3 server.py DIR MODE. At start it appends its
# pid to DIR/starts and starts a stray that writes its pid to
# DIR/stray.<server pid> and sleeps:
#   detached  its child, which calls setsid();
#   orphaned  its grandchild, which waits until its parent (an
#             intermediate process that exits at once) is gone, so that
#             it is orphaned to mcpmon, then calls setsid();
#   cleared   as orphaned, then re-executes itself with an empty
#             environment (found only by the sweep at mcpmon's exit).
SERVER = r'''
import json, os, signal, sys, time
d, mode = sys.argv[1], sys.argv[2]
me = os.getpid()
with open(os.path.join(d, "starts"), "a") as f:
    f.write("%d\n" % me)

def stray():
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.setsid()
    if mode == "cleared":
        code = ("import os, sys, time\n"
                "open(sys.argv[1] + '.tmp', 'w').write('%d' % os.getpid())\n"
                "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
                "while True: time.sleep(1)\n")
        os.execve(sys.executable, [sys.executable, "-c", code,
                                   os.path.join(d, "stray.%d" % me)], {})
    tmp = os.path.join(d, "stray.%d.tmp" % me)
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, os.path.join(d, "stray.%d" % me))
    while True:
        time.sleep(1)

if mode == "detached":
    if os.fork() == 0:
        stray()
else:
    mid = os.fork()
    if mid == 0:
        parent = os.getpid()
        if os.fork() == 0:
            while os.getppid() == parent:
                time.sleep(0.005)
            stray()
        os._exit(0)
    os.waitpid(mid, 0)

NAME, TOOLS, ON_CALL = "strays", [], None
''' + PY_SERVE


def write_server(d):
    path = os.path.join(d, "server.py")
    with open(path, "w") as f:
        f.write(SERVER)
    return path


def exists(pid):
    """True until kill(pid, 0) says ESRCH: a zombie still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def wait_gone(pid, what):
    wait_until(lambda: not exists(pid), message="%s (pid %d) to be gone, "
               "state now %r" % (what, pid, proc_info(pid)))


def stray_of(d, server, parent=None):
    """The stray the server started; with parent, it must be orphaned to
    that pid (mcpmon) and outside the server's group."""
    pid = read_pidfile(os.path.join(d, "stray.%d" % server))
    info = proc_info(pid)
    assert info is not None and info["pgid"] != server, info
    if parent is not None:
        wait_until(lambda: proc_info(pid)["ppid"] == parent,
                   message="the stray to be orphaned to mcpmon")
    return pid


def start(d, mode):
    server = write_server(d)
    return Mcpmon(["--watch", d, "--ext", "txt", "--",
                   sys.executable, server, d, mode])


def first_server(d):
    return wait_until(lambda: starts(d) and starts(d)[0],
                      message="the server to start")


def restart(m, d):
    mark = m.log_mark()
    with open(os.path.join(d, "trigger.txt"), "a") as f:
        f.write("x\n")
    m.wait_log(r"Restart #1 complete", start=mark)


def test_detached_child_gone_after_restart():
    with tmpdir() as d:
        with start(d, "detached") as m:
            m.initialize()
            stray = stray_of(d, first_server(d))
            restart(m, d)
            wait_gone(stray, "the detached child of the old server")
            # The new generation's stray is there, and left at exit too.
            new = stray_of(d, starts(d)[1])
            assert exists(new)
            m.close_stdin()
            assert m.wait_exit() == 0
            wait_gone(new, "the new server's detached child")


def test_orphaned_detached_grandchild_gone_after_restart():
    with tmpdir() as d:
        with start(d, "orphaned") as m:
            m.initialize()
            stray = stray_of(d, first_server(d), parent=m.pid)
            restart(m, d)
            wait_gone(stray, "the orphaned stray of the old server")
            new = stray_of(d, starts(d)[1], parent=m.pid)
            m.close_stdin()
            assert m.wait_exit() == 0
            wait_gone(new, "the new server's orphaned stray")


def test_detached_child_gone_after_sigterm():
    with tmpdir() as d:
        with start(d, "detached") as m:
            m.initialize()
            stray = stray_of(d, first_server(d))
            m.signal(signal.SIGTERM)
            m.wait_exit()
            wait_gone(stray, "the detached child")


def test_cleared_environment_orphan_gone_at_exit():
    """Orphaned with its environment cleared, a stray cannot be told to
    be the server's by its stop sequence; the sweep at exit stops it."""
    with tmpdir() as d:
        with start(d, "cleared") as m:
            m.initialize()
            stray = stray_of(d, first_server(d), parent=m.pid)
            m.close_stdin()
            assert m.wait_exit() == 0
            wait_gone(stray, "the stray with a cleared environment")
            assert any("At exit, 1 process started by servers is still "
                       "running" in line for line in m.log_lines()), m.logs()


def _gateway_config(d, server):
    lines = ["servers:"]
    for name, mode in (("a", "detached"), ("b", "orphaned")):
        os.makedirs(os.path.join(d, name), exist_ok=True)
        lines += ["  %s:" % name,
                  "    command: %s" % json.dumps(sys.executable),
                  "    args: [%s, %s, %s]" % (
                      json.dumps(server), json.dumps(os.path.join(d, name)),
                      json.dumps(mode)),
                  "    watch: %s" % json.dumps(os.path.join(d, name)),
                  "    extensions: txt",
                  "    delay: 20",
                  "    grace: 1000"]
    path = os.path.join(d, ".mcpmon.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def test_gateway_restart_stops_that_servers_strays_only():
    with tmpdir() as d:
        config = _gateway_config(d, write_server(d))
        da, db = os.path.join(d, "a"), os.path.join(d, "b")
        with Mcpmon(["--config", config]) as m:
            m.initialize()
            a = stray_of(da, first_server(da))
            b = stray_of(db, first_server(db), parent=m.pid)
            restart(m, da)
            wait_gone(a, "server a's detached child")
            # b's orphan, also mcpmon's child, belongs to b: still there
            # once a's stop sequence has ended.
            assert pid_alive(b), proc_info(b)
            a2 = stray_of(da, starts(da)[1])
            m.close_stdin()
            assert m.wait_exit() == 0
            wait_gone(a2, "server a's new detached child")
            wait_gone(b, "server b's orphaned stray")


run_tests(globals())
