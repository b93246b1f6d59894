"""Single mode, shutdown: every way mcpmon ends stops the server's whole
process group (grandchildren, servers that ignore SIGTERM), exits 0, and
answers what was still pending; a SIGKILLed mcpmon still stops its server
(PR_SET_PDEATHSIG, set between clone and exec: spawn.h)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403


def family_spec(d, **extra):
    spec = {"pidfile": os.path.join(d, "server.pid"), "grandchild": True,
            "grandchild_pidfile": os.path.join(d, "grandchild.pid")}
    spec.update(extra)
    return spec


def family(d, m):
    """(server pid, grandchild pid), checked to be one process group under
    mcpmon."""
    server = read_pidfile(os.path.join(d, "server.pid"))
    grandchild = read_pidfile(os.path.join(d, "grandchild.pid"))
    assert server in m.descendants(), (server, m.descendants())
    assert proc_info(server)["pgid"] == server
    assert proc_info(grandchild)["pgid"] == server
    assert server != m.pid and proc_info(server)["pgid"] != m.pid
    return server, grandchild


def assert_all_gone(server, grandchild):
    wait_until(lambda: not pid_alive(server) and not pid_alive(grandchild)
               and not processes_in_group(server), timeout=5,
               message="the server's process group to be gone")


def shutdown_case(how, **extra):
    with tmpdir() as d:
        with start(d, family_spec(d, **extra), args=["--grace", "300"]) as m:
            init(m)
            server, grandchild = family(d, m)
            mark = m.log_mark()
            how(m)
            assert m.wait_exit() == 0, m.returncode
            # Gone by the time mcpmon exits, not just eventually.
            assert not pid_alive(server)
            assert not pid_alive(grandchild)
            assert not processes_in_group(server)
            m.wait_log(r"Shutting down", start=mark)
            return m


def test_stdin_eof():
    m = shutdown_case(lambda m: m.close_stdin())
    assert count_log(m, r"Shutting down \(the client closed stdin\)") == 1


def test_sigterm():
    m = shutdown_case(lambda m: m.signal(signal.SIGTERM))
    assert count_log(m, r"Shutting down \(SIGTERM\)") == 1


def test_sigint():
    m = shutdown_case(lambda m: m.signal(signal.SIGINT))
    assert count_log(m, r"Shutting down \(SIGINT\)") == 1


def test_sighup():
    m = shutdown_case(lambda m: m.signal(signal.SIGHUP))
    assert count_log(m, r"Shutting down \(SIGHUP\)") == 1


def test_server_ignoring_sigterm_is_killed_after_grace():
    # Both the server and its grandchild ignore SIGTERM and stdin EOF.
    m = shutdown_case(lambda m: m.close_stdin(), ignore_sigterm=True,
                      ignore_stdin_eof=True)
    assert count_log(m, r"did not stop within 300 ms of SIGTERM; sending "
                     r"SIGKILL") == 1, m.logs()


def test_sigterm_with_server_ignoring_sigterm():
    m = shutdown_case(lambda m: m.signal(signal.SIGTERM),
                      ignore_sigterm=True, ignore_stdin_eof=True)
    assert count_log(m, r"sending SIGKILL") == 1, m.logs()


def test_grandchild_keeping_the_pipes_open():
    # Like a real server under a launcher (npx, uv run): the grandchild
    # holds the server's stdio, so stdout EOF never comes by itself.
    m = shutdown_case(lambda m: m.close_stdin(), grandchild_keep_stdio=True)
    assert m.returncode == 0


def test_second_signal_kills_at_once():
    with tmpdir() as d:
        with start(d, family_spec(d, ignore_sigterm=True,
                                  ignore_stdin_eof=True),
                   args=["--grace", "60000"]) as m:
            init(m)
            server, grandchild = family(d, m)
            m.signal(signal.SIGTERM)
            m.wait_log(r"Shutting down \(SIGTERM\)")
            m.signal(signal.SIGINT)
            m.wait_log(r"Second SIGINT: killing the server now")
            # Well before the 60 s grace period.
            assert m.wait_exit(timeout=10) == 0
            assert_all_gone(server, grandchild)


def test_pending_requests_answered_at_shutdown():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            slow = m.send_request("tools/call", {
                "name": "slow", "arguments": {"ms": 60000}})
            m.call_tool("echo", {"text": "slow is in flight"})
            m.close_stdin()
            err = error_of(m.next_message(response_to(slow)))
            assert err["data"]["reason"] == "shutdown", err
            assert m.wait_exit() == 0


def test_queued_requests_answered_at_shutdown():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            mark = m.log_mark()
            write_spec(spec_file(d), {"no_initialize_answer": True})
            m.wait_log(r"Restarting server", start=mark)
            queued = m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": "x"}})
            m.signal(signal.SIGTERM)
            err = error_of(m.next_message(response_to(queued)))
            assert "shutting down" in err["message"], err
            assert m.wait_exit() == 0


def test_shutdown_while_crash_looping():
    with tmpdir() as d:
        with start(d, {"exit_on_start": 1}) as m:
            m.wait_log(r"Restarting in 250 ms")
            m.close_stdin()
            assert m.wait_exit() == 0
            assert count_log(m, r"Started:") < 5, m.logs()


def test_mcpmon_sigkilled_server_still_stops():
    with tmpdir() as d:
        # The server ignores stdin EOF: only the parent-death signal can
        # stop it when mcpmon dies.
        spec = {"pidfile": os.path.join(d, "server.pid"),
                "ignore_stdin_eof": True}
        with start(d, spec, strict=False) as m:
            init(m)
            server = read_pidfile(os.path.join(d, "server.pid"))
            assert int(text_of(m.call_tool("pid"))) == server
            # mcpmon cloned and exec'd the server: mcpmon is its parent.
            assert proc_info(server)["ppid"] == m.pid
            m.signal(signal.SIGKILL)
            assert m.wait_exit() == -signal.SIGKILL
            wait_until(lambda: not pid_alive(server), timeout=5,
                       message="server %d to exit after mcpmon died" % server)


if __name__ == "__main__":
    run_tests(globals())
