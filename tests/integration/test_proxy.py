"""Single mode, pass-through: what the client sees of the server through
mcpmon when nothing restarts (initialize, ids, tools, notifications,
progress, server->client requests, ping, stderr)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403


def test_initialize_result_advertises_list_changed():
    with tmpdir() as d:
        with start(d, {"server_name": "specname", "instructions": "be nice",
                       "capabilities": {"tools": {}, "logging": {},
                                        "prompts": {}}}) as m:
            r = init(m, protocol="2025-06-18")
            # LIFE-3: only capabilities change; listChanged on every list
            # kind the server has, although the server declared none.
            assert r["protocolVersion"] == "2025-06-18", r
            assert r["serverInfo"] == {"name": "specname",
                                       "version": "1.0"}, r
            assert r["instructions"] == "be nice", r
            assert r["capabilities"] == {
                "tools": {"listChanged": True}, "logging": {},
                "prompts": {"listChanged": True}}, r
        # The default capabilities {"tools":{}} and an unknown version.
        with start(d) as m:
            r = init(m, protocol="1999-01-01")
            assert r["protocolVersion"] == "2025-11-25", r
            assert r["capabilities"] == {"tools": {"listChanged": True}}, r
            assert r["serverInfo"]["name"] == "testserver", r
        # Issue 13: no tools capability is invented for a server without.
        with start(d, {"capabilities": {"prompts": {}}}) as m:
            r = init(m)
            assert r["capabilities"] == {"prompts": {"listChanged": True}}, r


def test_requests_before_initialize():
    with tmpdir() as d:
        with start(d) as m:
            # The server is spawned at once; its handshake waits for the
            # client's initialize.
            m.wait_log(r"Started:")
            r = m.request("tools/list")
            error_of(r, -32601)
            r = m.request("tools/call", {"name": "echo",
                                         "arguments": {"text": "x"}},
                          id="early")
            error_of(r, -32601)
            # ping is mcpmon's own and works at any time.
            assert m.call("ping") == {}
            init(m)
            assert m.call("tools/list")["tools"]
            # The early requests never reached the server: its one
            # tools/call is this state call.
            st = state(m)
            assert st["requests"][0] == "initialize", st
            assert st["requests"].count("tools/call") == 1, st


def test_second_initialize_answered_from_stored_result():
    with tmpdir() as d:
        with start(d) as m:
            first = init(m, client_info={"name": "one", "version": "1"})
            pid = server_pid(m)
            again = m.call("initialize", {"protocolVersion": "2024-11-05",
                                          "capabilities": {},
                                          "clientInfo": {"name": "two",
                                                         "version": "2"}})
            assert again == first, (again, first)
            st = state(m)
            assert st["pid"] == pid, st
            assert st["initialize_count"] == 1, st
            assert st["init_params"]["clientInfo"]["name"] == "one", st
            assert count_log(m, r"Restart|Started") == 1, m.logs()
            # The second initialize is answered as mcpmon reads it.
            m.expect_none_before_reply(notification(LIST_CHANGED))


def test_tools_list_and_call():
    with tmpdir() as d:
        schema = {"type": "object",
                  "properties": {"who": {"type": "string"}}}
        with start(d, {"tools": [
                {"name": "hello", "description": "Say hello",
                 "reply": "hello v1", "inputSchema": schema}]}) as m:
            init(m)
            tools = m.call("tools/list")["tools"]
            assert tools[0] == {"name": "hello", "description": "Say hello",
                                "inputSchema": schema}, tools[0]
            names = [t["name"] for t in tools]
            for builtin in ("echo", "crash", "slow", "sample", "state"):
                assert builtin in names, names
            assert text_of(m.call_tool("hello")) == "hello v1"
            text = "h\u00e9llo \u2603 \"quoted\" \\ back"
            assert text_of(m.call_tool("echo", {"text": text})) == text
            # The server's own errors come through unchanged.
            r = m.request("tools/call", {"name": "nope"})
            assert r["error"] == {"code": -32602,
                                  "message": "Unknown tool: nope"}, r
            r = m.request("resources/list")
            assert r["error"] == {"code": -32601,
                                  "message": "Method not found"}, r


def test_ids_restored_exactly():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            ids = [0, 1, "1", "", "abc", "\u00e9t\u00e9 \u2603", -7,
                   2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), "9007199254740993",
                   "0"]
            # All in flight at once: integer 1 and string "1" (and 0 and
            # "0") must not be confused; mcpmon's own ids count from 0 too.
            for i in ids:
                m.send_request("tools/call", {"name": "echo",
                                              "arguments": {"text": repr(i)}},
                               id=i)
            for i in ids:
                r = m.next_message(response_to(i))
                assert same_id(r["id"], i), (r, i)
                assert text_of(r["result"]) == repr(i), (r, i)
            # The raw bytes of a large id are exactly what was sent.
            m.send_raw(b'{"jsonrpc":"2.0","id":9007199254740991,'
                       b'"method":"tools/list"}\n')
            m.next_message(response_to(2 ** 53 - 1))
            assert any(line.startswith(b'{"jsonrpc":"2.0",'
                                       b'"id":9007199254740991,')
                       for line in m.raw_stdout), m.raw_stdout[-1][:80]
            # Nothing else arrived: no response to an id never sent.
            assert not m.pending(), m.pending()


def test_concurrent_requests_each_answered():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            slow = [m.send_request("tools/call", {
                "name": "slow", "arguments": {"ms": ms}})
                for ms in (300, 100, 200)]
            fast = [m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": "e%d" % i}})
                for i in range(20)]
            # One slow call never blocks the others (GW-7).
            for i, rid in enumerate(fast):
                r = m.next_message(response_to(rid))
                assert text_of(r["result"]) == "e%d" % i, r
            for rid, ms in zip(slow, (300, 100, 200)):
                r = m.next_message(response_to(rid))
                assert text_of(r["result"]) == "slept %d ms" % ms, r
            # The slow ones came back in the order they finished.
            got = [msg["id"] for msg in m.messages()
                   if msg.get("id") in slow]
            assert got == [slow[1], slow[2], slow[0]], got


def test_big_messages_pass_through():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            text = "y" * (3 * 1024 * 1024)
            assert text_of(m.call_tool("echo", {"text": text})) == text
            r = m.call_tool("big", {"bytes": 5 * 1024 * 1024})
            assert text_of(r) == "x" * (5 * 1024 * 1024)


def test_server_notifications_forwarded():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            assert text_of(m.call_tool("log", {"level": "warning",
                                               "data": "careful"})) == "logged"
            n = m.next_message(notification("notifications/message"))
            assert n == {"jsonrpc": "2.0", "method": "notifications/message",
                         "params": {"level": "warning", "logger": "testserver",
                                    "data": "careful"}}, n
            # A list_changed of the server's own goes to the client too.
            m.call_tool("notify_list_changed")
            m.next_message(notification(LIST_CHANGED))
            # Once: a copy of mcpmon's own (after a tools/list of its
            # own to the server, say) would come before the server's
            # answer to a later call.
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **THROUGH_SERVER)


def test_client_notifications_forwarded():
    with tmpdir() as d:
        with start(d) as m:
            init(m, capabilities={"roots": {"listChanged": True}})
            m.notify("notifications/roots/list_changed")
            m.notify("notifications/custom", {"x": 1})
            st = state(m)
            # notifications/initialized reaches the server exactly once.
            assert st["notifications"] == [
                "notifications/initialized",
                "notifications/roots/list_changed",
                "notifications/custom"], st
            assert st["initialized_count"] == 1, st


def test_cancel_translated_to_server_id():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            slow = m.send_request("tools/call", {
                "name": "slow", "arguments": {"ms": 60000}}, id="client-slow")
            # The call is in flight once the server answers a later one.
            assert m.call("tools/list")["tools"]
            m.notify("notifications/cancelled", {"requestId": slow,
                                                  "reason": "user"})
            st = state(m)
            # The server saw one cancellation, under the id it was sent
            # (mcpmon's integer), not the client's string.
            assert len(st["cancelled"]) == 1, st
            assert isinstance(st["cancelled"][0], int), st
            # The server dropped the call (CAN-1); nor does mcpmon answer
            # it itself: it read the cancellation before this probe.
            m.expect_none_before_reply(response_to(slow), **THROUGH_SERVER)


def test_progress_notifications_keep_client_token():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            for token in ("tok", 7):
                call = m.send_request("tools/call", {
                    "name": "progress", "arguments": {"steps": 3,
                                                      "interval_ms": 5},
                    "_meta": {"progressToken": token}})
                for i in (1, 2, 3):
                    n = m.next_message(notification("notifications/progress"))
                    assert n["params"] == {"progressToken": token,
                                           "progress": i, "total": 3}, n
                    assert same_id(n["params"]["progressToken"], token)
                r = m.next_message(response_to(call))
                assert text_of(r["result"]) == "done", r


def test_progress_only_for_requests_in_flight():
    # PROG-1: a server's progress goes to the client only while a request
    # of the client with that token is in flight.
    with tmpdir() as d:
        with start(d) as m:
            init(m)

            def notify(token, own=None):
                params = {"name": "notify", "arguments": {
                    "method": "notifications/progress",
                    "params": {"progressToken": token, "progress": 1}}}
                if own is not None:
                    params["_meta"] = {"progressToken": own}
                return m.call("tools/call", params)
            notify("mine", own="mine")
            n = m.next_message(notification("notifications/progress"))
            assert n["params"]["progressToken"] == "mine", n
            # A token nobody asked for, and one whose request is answered.
            notify("stranger", own="mine")
            notify("mine")
            # Each progress was written before its call's answer, so it
            # would have been relayed before that answer too.
            m.expect_none_before_reply(
                notification("notifications/progress"))


def test_sampling_request_relayed():
    with tmpdir() as d:
        with start(d) as m:
            init(m, capabilities={"sampling": {}, "roots": {}})
            params = {"messages": [{"role": "user", "content": {
                "type": "text", "text": "hi"}}], "maxTokens": 10}
            seen = set()
            for text in ("one", "two"):
                call = m.send_request("tools/call", {
                    "name": "sample", "arguments": {
                        "method": "sampling/createMessage",
                        "params": params}})
                req = m.next_message(server_request("sampling/createMessage"))
                assert req["params"] == params, req
                assert isinstance(req["id"], int), req
                assert req["id"] not in seen, (req, seen)  # ID-2
                seen.add(req["id"])
                # mcpmon keeps serving while the client thinks.
                assert m.call("ping") == {}
                answer = {"role": "assistant", "model": "m",
                          "content": {"type": "text", "text": text}}
                m.respond(req, answer)
                r = m.next_message(response_to(call))["result"]
                assert json.loads(text_of(r)) == {"result": answer}, r
            # An error answer goes back to the server as an error.
            call = m.send_request("tools/call", {"name": "sample",
                                                 "arguments": {
                                                     "method": "roots/list"}})
            req = m.next_message(server_request("roots/list"))
            assert req["id"] not in seen and "params" not in req, req
            err = {"code": -32601, "message": "no roots here"}
            m.respond(req, error=err)
            r = m.next_message(response_to(call))["result"]
            assert json.loads(text_of(r)) == {"error": err}, r
            assert r["isError"] is True, r
            # A response to an id mcpmon never sent is dropped.
            m.send({"jsonrpc": "2.0", "id": 424242, "result": {}})
            assert m.call("ping") == {}
            assert not m.pending(), m.pending()


def test_ping_answered_by_mcpmon():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            for i in ("p", 5):
                r = m.request("ping", id=i)
                assert r == {"jsonrpc": "2.0", "id": i, "result": {}}, r
            # The server never saw a ping (PING-1).
            st = state(m)
            assert "ping" not in st["requests"], st


def test_ping_answered_while_server_restarts():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            mark = m.log_mark()
            # The new server never answers initialize: the restart stays
            # unfinished, and ping is still answered at once.
            pidfile = os.path.join(d, "new.pid")
            write_spec(spec_file(d), {"no_initialize_answer": True,
                                      "pidfile": pidfile})
            m.wait_log(r"Restarting server", start=mark)
            read_pidfile(pidfile)  # the new server has read its spec
            assert m.call("ping", timeout=3) == {}
            queued = m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": "queued"}})
            assert m.call("ping", timeout=3) == {}
            assert not m.messages(response_to(queued))
            assert count_log(m, r"Restart #") == 0
            # A working server again: the queued request goes to it.
            reload(m, d, {})
            r = m.next_message(response_to(queued))
            assert text_of(r["result"]) == "queued", r


def test_ping_answered_while_server_is_down():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            mark = m.log_mark()
            m.send_request("tools/call", {"name": "crash",
                                          "arguments": {"code": 9}})
            m.wait_log(r"Restarting in 250 ms", start=mark)
            assert m.call("ping", timeout=1) == {}


def test_server_stderr_passed_through():
    with tmpdir() as d:
        with start(d, {"stderr_on_start": "hello from stderr"}) as m:
            init(m)
            pid = server_pid(m)
            mt = m.wait_log(r"^\[mcpmon \d\d:\d\d:\d\d pid:(\d+)\] \| "
                            r"hello from stderr$")
            assert int(mt.group(1)) == pid, mt.group(0)
            r = m.call_tool("stderr", {"text": "line of log", "count": 3})
            assert text_of(r) == "ok"
            pat = r"^\[mcpmon \d\d:\d\d:\d\d pid:%d\] \| line of log$" % pid
            m.wait_log(pat, n=3)
            # stderr never reaches the client's stdout.
            assert not any(b"line of log" in line for line in m.raw_stdout)
            # A server's colours pass; other control bytes (a bell, a
            # carriage return, a lone escape) are shown, not obeyed.
            r = m.call_tool("stderr", {
                "text": "\x1b[31mred\x1b[0m\tbell\x07 cr\r esc\x1b]0;t"})
            m.wait_log(r"\| \x1b\[31mred\x1b\[0m\tbell\\x07 cr\\x0d "
                       r"esc\\x1b\]0;t$")


if __name__ == "__main__":
    run_tests(globals())
