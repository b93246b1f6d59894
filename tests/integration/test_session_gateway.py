"""The gateway on the shared session stack (issue 11): held calls keep
their order, a config reload applies its global settings, a second signal
during shutdown kills every backend without touching freed memory (the
sanitizer build checks that), and the client's session rules are the same
as in single mode."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403


def test_held_calls_keep_their_order():
    """Calls for a tool of a backend that has not listed yet are held and
    routed once its list arrives, in the order the client sent them."""
    with tmpdir() as d:
        with start_gateway(d, {"fast": {},
                               "slow": {"init_delay_ms": 3000}}) as m:
            # Sent before mcpmon answers initialize (that answer waits
            # for the backends' handshakes, issue 13).
            init = m.send_request("initialize", {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}})
            ids = [m.send_request("tools/call", {
                "name": "slow__echo", "arguments": {"text": str(i)}})
                for i in range(4)]
            # Held, not queued: the server had not even answered
            # initialize when they were sent.
            m.call("ping")
            assert count_log(m, r"slow pid:\d+\] Server ready") == 0, \
                m.logs()
            assert "result" in m.next_message(response_to(init), timeout=20)
            m.notify("notifications/initialized")
            got = []
            for _ in ids:
                r = m.next_message(
                    lambda x: "id" in x and "method" not in x and
                    any(same_id(x["id"], i) for i in ids), timeout=20)
                got.append(text_of(r["result"]))
            assert got == ["0", "1", "2", "3"], got


def test_held_calls_for_unknown_names_answered_in_order():
    """Held calls for names no backend will ever list are answered
    "unknown" once every backend has listed, oldest first. (Every pass
    that kept them, here when "fast" listed, pushed them back at the head
    of the list: three calls came back 3, 2, 1.)"""
    with tmpdir() as d:
        with start_gateway(d, {"fast": {},
                               "slow": {"init_delay_ms": 2000}}) as m:
            m.initialize()
            ids = [m.send_request("tools/call", {
                "name": "slow__nothing%d" % i, "arguments": {}})
                for i in range(3)]
            order = []
            for _ in ids:
                r = m.next_message(
                    lambda x: "id" in x and "method" not in x and
                    any(same_id(x["id"], i) for i in ids), timeout=20)
                err = error_of(r, -32602)
                assert "Unknown tool" in err["message"], err
                order.append(r["id"])
            assert order == ids, (order, ids)


def test_reload_applies_queue_timeout():
    """A config edit that changes only queue_timeout takes effect: it used
    to log "0 added, 0 changed" and change nothing, because the gateway
    diffed the servers by hand and ignored the globals."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            assert text_of(m.call_tool("alpha__echo", {"text": "a"})) == "a"
            mark = m.log_mark()
            write_config(d, {"alpha": None}, extra_top="queue_timeout: 250")
            m.wait_log(r"Queue timeout changed from 30000 to 250 ms",
                       start=mark)
            m.wait_log(r"Configuration reloaded: 0 added, 0 changed, "
                       r"0 removed, settings changed", start=mark)
            # alpha restarts into a server that answers initialize only
            # after 20 s: a call waits in the queue for 250 ms, not 30 s.
            mark = m.log_mark()
            write_backend_spec(d, "alpha", {"init_delay_ms": 20000})
            m.wait_log(r"alpha pid:\d+\] Started", start=mark)
            r = m.request("tools/call", {"name": "alpha__echo",
                                         "arguments": {"text": "b"}})
            err = error_of(r)
            assert "did not become ready within 250 ms" in err["message"], \
                err


def test_second_signal_kills_retiring_backends():
    """SIGTERM, then SIGINT while a removed backend (ignoring SIGTERM) is
    still stopping and the others are stopping too: every backend is
    killed at once and mcpmon exits 0 (under ASan: without touching a
    backend freed during the walk)."""
    with tmpdir() as d:
        # Each server ignores both SIGTERM and stdin EOF: only SIGKILL
        # (the second signal) ends it.
        stubborn = {"ignore_sigterm": True, "ignore_stdin_eof": True}
        specs = {n: dict(stubborn) for n in ("alpha", "beta", "gamma")}
        cfg = {n: {"raw": ["grace: 60000"]} for n in specs}
        for n in specs:
            write_backend_spec(d, n, specs[n])
        text = config_text(d, cfg).replace("    grace: 1000\n", "")
        write_config_text(d, text)
        with Mcpmon(["--config", config_path(d)]) as m:
            m.initialize()
            assert "beta__echo" in tool_names(m)
            mark = m.log_mark()
            # beta leaves the config: it is retiring, ignoring SIGTERM.
            del cfg["beta"]
            write_config_text(d, config_text(d, cfg).replace(
                "    grace: 1000\n", ""))
            m.wait_log(r"beta.*Removed from the configuration", start=mark)
            m.signal(signal.SIGTERM)
            m.wait_log(r"Shutting down \(SIGTERM\)", start=mark)
            m.signal(signal.SIGINT)
            m.wait_log(r"Second SIGINT: killing the servers now", start=mark)
            assert m.wait_exit(timeout=20) == 0, m.logs()


def test_gateway_and_single_share_session_rules():
    """Requests before initialize, and an initialize without params, get
    the same answers in both modes (one session stack)."""
    answers = []
    with tmpdir() as d:
        for mode in ("single", "gateway"):
            if mode == "gateway":
                m = start_gateway(d, {"alpha": {}})
            else:
                spec = os.path.join(d, "spec.json")
                write_spec(spec, {})
                m = Mcpmon(["--watch", d, "--ext", "json", "--"] +
                           testserver_cmd(spec))
            with m:
                early = m.request("tools/list")
                bare = m.request("initialize")
                answers.append((early["error"], bare["error"]))
                m.initialize()
                m.close_stdin()
                assert m.wait_exit() == 0, m.logs()
    assert answers[0] == answers[1], answers
    assert answers[0][0]["code"] == -32601, answers
    assert answers[0][1]["code"] == -32602, answers


run_tests(globals())
