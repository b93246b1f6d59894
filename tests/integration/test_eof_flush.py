"""The end of the client's input flushes what was accepted (issue 12
item 6): a client that pipes its requests and closes stdin gets every
answer, as it would from the server directly. mcpmon delivers what it
read (also what waits for a server still starting), ends the server's
stdin after the last byte, lets it answer within --grace, then stops it;
a signal during that wait stops at once."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
import singlemode as sm  # noqa: E402
import gatewaymode as gm  # noqa: E402
from faults import Ctl  # noqa: E402

N = 2000
INIT = {"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "pipe", "version": "1"}}


def _line(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def _pipe_all(m, tool, n=N):
    """initialize, initialized and n calls of tool in one write, then EOF;
    returns the call ids."""
    data = [_line({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                   "params": INIT}),
            _line({"jsonrpc": "2.0", "method": "notifications/initialized"})]
    ids = []
    for i in range(n):
        ids.append(i)
        data.append(_line({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                           "params": {"name": tool,
                                      "arguments": {"text": "t%d" % i}}}))
    m.send_raw(b"".join(data))
    m.close_stdin()
    return ids


def _all_answered(m, ids):
    for i in ids:
        r = m.next_message(response_to(i), timeout=30)
        assert "result" in r, r
        assert text_of(r["result"]) == "t%d" % i, r
    assert m.wait_exit(timeout=30) == 0, m.logs()


def test_piped_requests_then_eof_single():
    # Before: 890 of 2,000 answered, 1,110 got "shutdown". First while
    # the server is still in its handshake (everything queued), then with
    # it ready (the calls stream in as they are read).
    for spec in ({"init_delay_ms": 300}, {}):
        with tmpdir() as d:
            with sm.start(d, spec) as m:
                if not spec:
                    m.wait_log(r"Started:")
                ids = _pipe_all(m, "echo")
                _all_answered(m, ids)


def test_piped_requests_then_eof_gateway():
    with tmpdir() as d:
        with gm.start_gateway(d, {"alpha": {"init_delay_ms": 300},
                                  "beta": {}}) as m:
            ids = _pipe_all(m, "alpha__echo")
            _all_answered(m, ids)


def test_server_never_ready_after_eof():
    # What waits for a server that never gets ready waits no longer than
    # --queue-timeout, also after the EOF; then mcpmon stops and exits.
    with tmpdir() as d:
        with sm.start(d, {"init_delay_ms": 600000},
                      args=["--queue-timeout", "300"]) as m:
            m.wait_log(r"Started:")
            ids = _pipe_all(m, "echo", n=3)
            for i in ids:
                r = m.next_message(response_to(i))
                assert "error" in r, r
            assert m.wait_exit() == 0, m.logs()


def test_answer_in_flight_at_eof():
    # A call still running when the input ends is answered (the server
    # ignores its EOF and answers after 300 ms, within the grace).
    with tmpdir() as d:
        with sm.start(d, {"ignore_stdin_eof": True},
                      args=["--grace", "20000"]) as m:
            sm.init(m)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 300}})
            m.close_stdin()
            r = m.next_message(response_to(rid))
            assert "result" in r, r
            assert m.wait_exit() == 0, m.logs()
            m.wait_log(r"Every request answered after the end of input")


def test_signal_during_the_wait_stops_at_once():
    # The grace (60 s) is far longer than the wait for the exit: SIGTERM
    # must end the wait, answering the call "shutdown".
    with tmpdir() as d:
        with sm.start(d, {"ignore_stdin_eof": True},
                      args=["--grace", "60000"]) as m:
            sm.init(m)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 600000}})
            m.close_stdin()
            m.wait_log(r"Client closed its input.*to answer 1 in flight")
            os.kill(m.pid, signal.SIGTERM)
            err = sm.error_of(m.next_message(response_to(rid)))
            assert err["data"]["reason"] == "shutdown", err
            assert m.wait_exit(timeout=10) == 0, m.logs()
            m.wait_log(r"Shutting down now \(SIGTERM\)")


def test_no_restart_after_the_input_ended():
    # A restart command while the server answers after its EOF must not
    # start a new server that would never see the end of input.
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with sm.start(d, {"ignore_stdin_eof": True},
                      args=["--grace", "20000", "--tui", sock]) as m:
            sm.init(m)
            pid = sm.server_pid(m)
            c = Ctl(sock)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 1000}})
            m.close_stdin()
            m.wait_log(r"Client closed its input")
            c.restart()
            m.wait_log(r"Not restarting: the client has closed its input")
            r = m.next_message(response_to(rid))
            assert "result" in r, r
            assert m.wait_exit() == 0, m.logs()
            assert not any("Restarting server" in ln
                           for ln in m.log_lines()), m.logs()
            assert not pid_alive(pid)


if __name__ == "__main__":
    run_tests(globals())
