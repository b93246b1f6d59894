"""Single mode, a server's process group after the server exits: a member
of its group that outlives it (a worker the server started) is adopted by
mcpmon (a child subreaper), reaped by it when it exits, and only then is
the group gone and the server restarted; one that ignores SIGTERM is
SIGKILLed after the grace period. No zombie is left under mcpmon.

Before mcpmon was a subreaper, the orphaned member went to whoever was
the nearest subreaper above mcpmon (here the test process), and mcpmon
scanned all of /proc every 5 ms to see whether the group was gone."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from pyserver import PY_SERVE, starts  # noqa: E402

# A tiny MCP server. At start it appends its pid to DIR/starts and forks a
# worker in its own process group that closes its stdio, writes its pid to
# DIR/worker.pid and then (MODE "linger") notes SIGTERM in DIR/term and
# exits once DIR/release exists, or (MODE "stubborn") ignores SIGTERM and
# never exits. The tool "die" makes the server exit without an answer.
SERVER = r'''
import json, os, signal, sys, time
d, mode = sys.argv[1], sys.argv[2]
with open(os.path.join(d, "starts"), "a") as f:
    f.write("%d\n" % os.getpid())
if not os.path.exists(os.path.join(d, "worker.pid")):
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if mode == "stubborn":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            def term(signum, frame):
                open(os.path.join(d, "term"), "w").close()
            signal.signal(signal.SIGTERM, term)
        tmp = os.path.join(d, "worker.tmp")
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, os.path.join(d, "worker.pid"))
        while mode == "stubborn" or not os.path.exists(
                os.path.join(d, "release")):
            time.sleep(0.01)
        os._exit(0)

NAME = "group"
TOOLS = [{"name": "die", "inputSchema": {"type": "object"}}]
ON_CALL = lambda msg: os._exit(3)  # noqa: E731
''' + PY_SERVE


def zombies_under(pid):
    return [p for p in _procs() if p["ppid"] == pid and p["state"] == "Z"]


def _procs():
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_info(int(name))
            if info is not None:
                out.append(info)
    return out


def start_group(d, mode, grace):
    path = os.path.join(d, "server.py")
    with open(path, "w") as f:
        f.write(SERVER)
    return Mcpmon(["--watch", d, "--ext", "none", "--grace", str(grace), "--",
                   sys.executable, path, d, mode])


def crash_with_worker(m, d):
    """initialize, check the worker is in the server's group, then make the
    server exit with tools/call in flight; returns (server, worker, id)."""
    m.initialize()
    server = wait_until(lambda: starts(d) and starts(d)[0],
                        message="the server to start")
    worker = read_pidfile(os.path.join(d, "worker.pid"))
    assert proc_info(worker)["pgid"] == server, proc_info(worker)
    rid = m.send_request("tools/call", {"name": "die", "arguments": {}})
    wait_until(lambda: not pid_alive(server), message="the server to exit")
    return server, worker, rid


def test_lingering_worker_is_adopted_reaped_and_then_restarted():
    with tmpdir() as d:
        with start_group(d, "linger", 60000) as m:
            server, worker, rid = crash_with_worker(m, d)
            # mcpmon's SIGTERM reached the worker, which lives on.
            wait_until(lambda: os.path.exists(os.path.join(d, "term")),
                       message="the worker to get SIGTERM")
            # Orphaned, it belongs to mcpmon now, not to the test process.
            wait_until(lambda: (proc_info(worker) or {}).get("ppid") == m.pid,
                       message="the worker to be re-parented to mcpmon")
            assert pid_alive(worker)
            # The group is not gone while the worker lives: the request is
            # still unanswered when a ping sent after it is answered.
            assert m.call("ping") == {}
            assert not m.messages(response_to(rid))
            assert starts(d) == [server]
            open(os.path.join(d, "release"), "w").close()
            # Now the group is gone: the request is answered, and by then
            # mcpmon has reaped the worker (no zombie, no process).
            resp = m.next_message(response_to(rid))
            assert resp["error"]["data"]["reason"] == "crashed", resp
            assert proc_info(worker) is None, proc_info(worker)
            assert not zombies_under(m.pid), zombies_under(m.pid)
            # ... and the server is started again.
            wait_until(lambda: len(starts(d)) == 2,
                       message="the server to be restarted")
            m.wait_log(r"Restart #1 complete")
            assert m.call("ping") == {}
            assert not zombies_under(m.pid), zombies_under(m.pid)
            m.close_stdin()
            assert m.wait_exit() == 0


def test_worker_ignoring_sigterm_is_killed_after_grace():
    with tmpdir() as d:
        with start_group(d, "stubborn", 300) as m:
            server, worker, rid = crash_with_worker(m, d)
            resp = m.next_message(response_to(rid))
            assert resp["error"]["data"]["reason"] == "crashed", resp
            m.wait_log(r"did not stop within 300 ms of SIGTERM; "
                       r"sending SIGKILL")
            # Killed and reaped by mcpmon before the group counted as gone.
            assert proc_info(worker) is None, proc_info(worker)
            assert not zombies_under(m.pid), zombies_under(m.pid)
            wait_until(lambda: len(starts(d)) == 2,
                       message="the server to be restarted")
            m.close_stdin()
            assert m.wait_exit() == 0


def test_stubborn_worker_at_shutdown():
    with tmpdir() as d:
        with start_group(d, "stubborn", 300) as m:
            m.initialize()
            worker = read_pidfile(os.path.join(d, "worker.pid"))
            m.close_stdin()
            assert m.wait_exit() == 0
            assert not pid_alive(worker)


run_tests(globals())
