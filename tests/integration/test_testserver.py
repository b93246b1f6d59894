"""The test server run directly (no mcpmon): checks the server the other
integration tests stand on, and the harness with it.

    MCP_TESTSERVER=build/tests/mcp_testserver python3 test_testserver.py
"""
import array
import fcntl
import os
import sys
import termios

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403

PING = b'{"jsonrpc":"2.0","id":"unread","method":"ping"}\n'


def unread_bytes(f):
    """Bytes in the pipe of f (either end) that its reader has not read
    (FIONREAD)."""
    n = array.array("i", [0])
    fcntl.ioctl(f.fileno(), termios.FIONREAD, n, True)
    return n[0]


def ping_stays_unread(s):
    """Send a ping to a server that no longer reads stdin and check that
    its bytes are still in the pipe. "Never reads" has no event to wait
    for: this is what can be seen at once (a reading server would take
    the line out of the pipe before answering it), without waiting."""
    assert unread_bytes(s.popen.stdin) == 0
    s.send_raw(PING)
    assert unread_bytes(s.popen.stdin) == len(PING)


def test_initialize_result():
    with TestServer() as s:
        r = s.initialize()
        assert r["protocolVersion"] == "2025-11-25", r
        assert r["capabilities"] == {"tools": {}}, r
        assert r["serverInfo"] == {"name": "testserver", "version": "1.0"}, r
        r = s.call("initialize", {"protocolVersion": "2024-11-05",
                                  "capabilities": {}})
        assert r["protocolVersion"] == "2024-11-05", r
        r = s.call("initialize", {"protocolVersion": "1999-01-01",
                                  "capabilities": {}})
        assert r["protocolVersion"] == "2025-11-25", r


def test_spec_name_and_capabilities():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "server_name": "fromspec", "instructions": "be nice",
            "capabilities": {"tools": {}, "logging": {}}})
        with TestServer(spec) as s:
            r = s.initialize()
            assert r["serverInfo"]["name"] == "fromspec", r
            assert r["instructions"] == "be nice", r
            assert r["capabilities"] == {"tools": {}, "logging": {}}, r
        with TestServer(spec, ["--name", "fromflag"]) as s:
            assert s.initialize()["serverInfo"]["name"] == "fromflag"
        # The spec also comes from the environment.
        with TestServer(env={"MCP_TESTSERVER_SPEC": spec}) as s:
            assert s.initialize()["serverInfo"]["name"] == "fromspec"


def test_tools_list_with_spec_tools():
    with tmpdir() as d:
        schema = {"type": "object",
                  "properties": {"who": {"type": "string"}}}
        spec = write_spec(os.path.join(d, "spec.json"), {"tools": [
            {"name": "hello", "description": "Say hello",
             "reply": "hello v1"},
            {"name": "greet", "description": "Greet", "reply": "hi",
             "inputSchema": schema}]})
        with TestServer(spec) as s:
            s.initialize()
            tools = s.call("tools/list")["tools"]
            names = [t["name"] for t in tools]
            assert names[:2] == ["hello", "greet"], names
            for builtin in ("echo", "pid", "crash", "slow", "sample",
                            "progress", "state", "big"):
                assert builtin in names, names
            assert tools[0] == {"name": "hello", "description": "Say hello",
                                "inputSchema": {"type": "object"}}, tools[0]
            assert tools[1]["inputSchema"] == schema
            assert text_of(s.call_tool("hello")) == "hello v1"
        write_spec(spec, {"builtin_tools": False,
                          "tools": [{"name": "only", "reply": "x"}]})
        with TestServer(spec) as s:
            s.initialize()
            names = [t["name"] for t in s.call("tools/list")["tools"]]
            assert names == ["only"], names
            assert text_of(s.call_tool("echo", {"text": "still"})) == "still"


def test_echo_pid_ping_and_errors():
    with TestServer() as s:
        s.initialize()
        assert s.call("ping") == {}
        assert text_of(s.call_tool("echo", {"text": "héllo"})) == "héllo"
        assert int(text_of(s.call_tool("pid"))) == s.pid
        r = s.request("no/such/method")
        assert r["error"]["code"] == -32601, r
        r = s.request("tools/call", {"name": "nope"})
        assert r["error"]["code"] == -32602, r
        # String ids come back as strings.
        r = s.request("ping", id="abc")
        assert r["id"] == "abc" and r["result"] == {}, r


def test_malformed_and_split_lines():
    with TestServer() as s:
        s.initialize()
        s.send_raw(b"this is not json\n[1,2]\n\n   \n")
        # One request split over two writes, then two requests in one.
        s.send_raw(b'{"jsonrpc":"2.0","id":"a","meth')
        s.send_raw(b'od":"ping"}\r\n{"jsonrpc":"2.0","id":"b","method":"ping"}'
                   b'\n{"jsonrpc":"2.0","id":"c","method":"ping"}\n')
        for i in ("a", "b", "c"):
            assert s.next_message(response_to(i))["result"] == {}
        s.wait_log(r"ignoring malformed line", n=2)


def test_long_lines():
    with TestServer() as s:
        s.initialize()
        text = "y" * (3 * 1024 * 1024)
        assert text_of(s.call_tool("echo", {"text": text})) == text
        big = text_of(s.call_tool("big", {"bytes": 5 * 1024 * 1024}))
        assert big == "x" * (5 * 1024 * 1024)


def test_slow_does_not_block_ping():
    with TestServer() as s:
        s.initialize()
        slow = s.send_request("tools/call", {"name": "slow",
                                             "arguments": {"ms": 60000}})
        assert s.call("ping") == {}
        assert s.call("tools/list")["tools"]
        # A shorter slow call overtakes the long one.
        r = s.call_tool("slow", {"ms": 20})
        assert text_of(r) == "slept 20 ms", r
        assert not s.messages(response_to(slow))


def test_cancel_slow():
    with TestServer() as s:
        s.initialize()
        slow = s.send_request("tools/call", {"name": "slow",
                                             "arguments": {"ms": 60000}})
        s.notify("notifications/cancelled", {"requestId": slow,
                                             "reason": "test"})
        state = json.loads(text_of(s.call_tool("state")))
        assert state["cancelled"] == [slow], state
        assert not s.messages(response_to(slow))


def test_sample_round_trip():
    with TestServer() as s:
        s.initialize(capabilities={"sampling": {}})
        params = {"messages": [{"role": "user", "content": {
            "type": "text", "text": "hi"}}], "maxTokens": 10}
        call = s.send_request("tools/call", {"name": "sample", "arguments": {
            "method": "sampling/createMessage", "params": params}})
        req = s.next_message(server_request("sampling/createMessage"))
        assert req["id"] == 0 and req["params"] == params, req
        # The server keeps serving while it waits for us.
        assert s.call("ping") == {}
        answer = {"role": "assistant", "content": {"type": "text",
                                                   "text": "hello"},
                  "model": "m"}
        s.respond(req, answer)
        r = s.next_message(response_to(call))["result"]
        assert json.loads(text_of(r)) == {"result": answer}, r
        assert "isError" not in r

        call = s.send_request("tools/call", {"name": "sample", "arguments": {
            "method": "roots/list"}})
        req = s.next_message(server_request("roots/list"))
        assert req["id"] == 1 and "params" not in req, req
        err = {"code": -32601, "message": "no roots"}
        s.respond(req, error=err)
        r = s.next_message(response_to(call))["result"]
        assert json.loads(text_of(r)) == {"error": err} and r["isError"], r

        # A response to an id it never sent is logged and dropped.
        s.send({"jsonrpc": "2.0", "id": 77, "result": {}})
        s.wait_log(r"response to unknown id 77")


def test_progress_notifications():
    with TestServer() as s:
        s.initialize()
        call = s.send_request("tools/call", {
            "name": "progress", "arguments": {"steps": 3},
            "_meta": {"progressToken": "tok"}})
        for i in (1, 2, 3):
            n = s.next_message(notification("notifications/progress"))
            assert n["params"] == {"progressToken": "tok", "progress": i,
                                   "total": 3}, n
        assert text_of(s.next_message(response_to(call))["result"]) == "done"
        # Spaced by a timer, and none without a token.
        r = s.call_tool("progress", {"steps": 2, "interval_ms": 20},
                        meta={"progressToken": 5})
        assert text_of(r) == "done"
        got = s.messages(notification("notifications/progress"))
        assert [n["params"]["progressToken"] for n in got] == \
            ["tok"] * 3 + [5] * 2, got
        assert text_of(s.call_tool("progress", {"steps": 4})) == "done"
        assert len(s.messages(notification("notifications/progress"))) == 5


def test_state_records_session():
    with TestServer() as s:
        s.initialize(capabilities={"roots": {"listChanged": True}})
        assert s.call("logging/setLevel", {"level": "debug"}) == {}
        s.call("resources/subscribe", {"uri": "file:///a"})
        s.call("resources/subscribe", {"uri": "file:///b"})
        s.call("resources/unsubscribe", {"uri": "file:///a"})
        s.notify("notifications/roots/list_changed")
        st = json.loads(text_of(s.call_tool("state")))
        assert st["pid"] == s.pid
        assert st["initialize_count"] == 1 and st["initialized"] is True
        assert st["init_params"]["capabilities"] == {
            "roots": {"listChanged": True}}, st
        assert st["init_params"]["clientInfo"]["name"] == "mcptest"
        assert st["log_level"] == "debug"
        assert st["subscriptions"] == ["file:///b"], st
        assert st["notifications"] == ["notifications/initialized",
                                       "notifications/roots/list_changed"]
        assert st["requests"][:2] == ["initialize", "logging/setLevel"], st


def test_notifications_from_tools():
    with TestServer() as s:
        s.initialize()
        assert text_of(s.call_tool("notify_list_changed")) == "sent"
        s.next_message(notification("notifications/tools/list_changed"))
        assert text_of(s.call_tool("log", {"level": "warning",
                                           "data": "careful"})) == "logged"
        n = s.next_message(notification("notifications/message"))
        assert n["params"] == {"level": "warning", "logger": "testserver",
                               "data": "careful"}, n


def test_notify_tool():
    with TestServer() as s:
        s.initialize()
        assert text_of(s.call_tool("notify", {
            "method": "notifications/prompts/list_changed"})) == "sent"
        s.next_message(notification("notifications/prompts/list_changed"))
        s.call_tool("notify", {"method": "notifications/resources/updated",
                               "params": {"uri": "test://a"}})
        n = s.next_message(notification("notifications/resources/updated"))
        assert n["params"] == {"uri": "test://a"}, n


def test_prompts_resources_completion():
    spec_doc = {
        "prompts": [{"name": "greet", "description": "Greeting",
                     "text": "Say hi", "arguments": [{"name": "who"}]}],
        "resources": [{"uri": "test://doc/1", "name": "Doc 1",
                       "mimeType": "text/plain", "text": "one"}],
        "resourceTemplates": [{"uriTemplate": "test://item/{id}",
                               "name": "Item"},
                              {"uriTemplate": "test://fixed/{id}/x",
                               "name": "Fixed", "text": "fixed"}],
        "completions": ["alpha", "beta"]}
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), spec_doc)
        with TestServer(spec, ["--name", "ts1"]) as s:
            r = s.initialize()
            # Capabilities follow what the spec serves.
            assert r["capabilities"] == {"tools": {}, "prompts": {},
                                         "resources": {},
                                         "completions": {}}, r
            assert s.call("prompts/list") == {"prompts": [
                {"name": "greet", "description": "Greeting",
                 "arguments": [{"name": "who"}]}]}
            g = s.call("prompts/get", {"name": "greet"})
            assert g == {"description": "Greeting", "messages": [
                {"role": "user", "content": {"type": "text",
                                             "text": "Say hi"}}]}, g
            g = s.call("prompts/get", {"name": "greet",
                                       "arguments": {"who": "Bo"}})
            assert g["messages"][1]["content"]["text"] == '{"who":"Bo"}', g
            assert s.request("prompts/get", {"name": "nope"})[
                "error"]["code"] == -32602
            assert s.call("resources/list") == {"resources": [
                {"uri": "test://doc/1", "name": "Doc 1",
                 "mimeType": "text/plain"}]}
            t = s.call("resources/templates/list")["resourceTemplates"]
            assert [x["uriTemplate"] for x in t] == [
                "test://item/{id}", "test://fixed/{id}/x"], t
            c = s.call("resources/read", {"uri": "test://doc/1"})
            assert c == {"contents": [{"uri": "test://doc/1",
                                       "mimeType": "text/plain",
                                       "text": "one"}]}, c
            c = s.call("resources/read", {"uri": "test://item/42"})
            assert c["contents"][0]["text"] == "ts1 test://item/42", c
            c = s.call("resources/read", {"uri": "test://fixed/7/x"})
            assert c["contents"][0]["text"] == "fixed", c
            for uri in ("test://item/4/2", "test://item/", "test://none"):
                e = s.request("resources/read", {"uri": uri})["error"]
                assert e["code"] == -32002 and e["data"] == {"uri": uri}, e
            ref = {"type": "ref/prompt", "name": "greet"}
            c = s.call("completion/complete", {
                "ref": ref, "argument": {"name": "who", "value": "a"}})
            assert c == {"completion": {"values": ["alpha", "beta"],
                                        "total": 2, "hasMore": False}}, c
            st = json.loads(text_of(s.call_tool("state")))
            assert st["completion_refs"] == [ref], st
    # Without those keys: -32601, and the default capabilities.
    with TestServer() as s:
        assert s.initialize()["capabilities"] == {"tools": {}}
        for method in ("prompts/list", "resources/list", "resources/read",
                       "completion/complete"):
            assert s.request(method, {})["error"]["code"] == -32601, method


def test_page_size():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "page_size": 2, "builtin_tools": False,
            "tools": [{"name": "t%d" % i} for i in range(5)],
            "prompts": [{"name": "p%d" % i} for i in range(3)]})
        with TestServer(spec) as s:
            s.initialize()
            names, cursor, pages = [], None, 0
            while True:
                r = s.call("tools/list", {"cursor": cursor} if cursor else {})
                names += [t["name"] for t in r["tools"]]
                pages += 1
                cursor = r.get("nextCursor")
                if cursor is None:
                    break
            assert names == ["t0", "t1", "t2", "t3", "t4"], names
            assert pages == 3
            r = s.call("prompts/list", {"cursor": "2"})
            assert r == {"prompts": [{"name": "p2"}]}, r
            assert s.request("tools/list", {"cursor": "x"})[
                "error"]["code"] == -32602


def test_on_initialized_messages():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {"on_initialized": [
            {"method": "notifications/tools/list_changed"},
            {"method": "roots/list", "request": True},
            {"method": "notifications/message",
             "params": {"level": "info", "data": "hi"}}]})
        with TestServer(spec) as s:
            s.initialize(capabilities={"roots": {}})
            first = s.next_message()
            assert first == {"jsonrpc": "2.0",
                             "method": "notifications/tools/list_changed"}
            req = s.next_message()
            assert req["method"] == "roots/list" and req["id"] == 0, req
            n = s.next_message()
            assert n["params"] == {"level": "info", "data": "hi"}, n
            s.respond(req, {"roots": []})
            st = json.loads(text_of(s.call_tool("state")))
            assert st["client_responses"] == [
                {"id": 0, "result": {"roots": []}}], st


def test_stdout_and_stderr_output():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "stdout_on_start": "hello from print()",
            "stderr_on_start": "starting up"})
        with TestServer(spec) as s:
            s.wait_log(r"^starting up$")
            s.initialize()
            assert text_of(s.call_tool("print_stdout",
                                       {"text": "debug output"})) == "printed"
            r = s.call_tool("stderr", {"text": "line of log", "count": 3})
            assert text_of(r) == "ok"
            m = s.wait_log(r"line (of) log", n=3)
            assert m.group(1) == "of"
            third = s.last_log_index
            assert s.log_lines()[third] == "line of log"
            s.wait_log(r"line of log", start=third)
            raw = [v[0] for v in s.violations]
            assert raw == [b"hello from print()\n", b"debug output\n"], raw


def test_crash_exit_code_and_signal():
    with TestServer() as s:
        s.initialize()
        s.send_request("tools/call", {"name": "crash",
                                      "arguments": {"code": 3}})
        assert s.wait_exit() == 3
        s.wait_log(r"crash: exit code 3")
    with TestServer() as s:
        s.initialize()
        s.send_request("tools/call", {"name": "crash",
                                      "arguments": {"signal": "SEGV"}})
        assert s.wait_exit() == -signal.SIGSEGV


def test_exit_on_start_and_initialize():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "exit_on_start": 4, "stderr_on_start": "boom"})
        with TestServer(spec) as s:
            assert s.wait_exit() == 4
            s.wait_log("boom")
        write_spec(spec, {"exit_on_initialize": 5})
        with TestServer(spec) as s:
            assert s.call("ping") == {}
            s.send_request("initialize", {"protocolVersion": "2025-11-25",
                                          "capabilities": {}})
            assert s.wait_exit() == 5


def test_no_initialize_answer_and_delay():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"),
                          {"no_initialize_answer": True})
        with TestServer(spec) as s:
            init = s.send_request("initialize", {"protocolVersion":
                                                 "2025-11-25"})
            assert s.call("ping") == {}
            st = json.loads(text_of(s.call_tool("state")))
            assert st["initialize_count"] == 1
            assert not s.messages(response_to(init))
        write_spec(spec, {"init_delay_ms": 1000})
        with TestServer(spec) as s:
            init = s.send_request("initialize", {"protocolVersion":
                                                 "2025-11-25"})
            ping = s.send_request("ping")  # served during the delay
            r = s.next_message(response_to(init))
            assert r["result"]["protocolVersion"] == "2025-11-25"
            order = [m.get("id") for m in s.messages()]
            assert order == [ping, init], order


def test_stdin_eof():
    with TestServer() as s:
        s.initialize()
        s.close_stdin()
        assert s.wait_exit() == 0
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"),
                          {"ignore_stdin_eof": True})
        with TestServer(spec) as s:
            s.initialize()
            s.close_stdin()
            s.terminate()
            assert s.wait_exit() == -signal.SIGTERM


def test_sigterm():
    with TestServer() as s:
        s.initialize()
        s.terminate()
        assert s.wait_exit() == -signal.SIGTERM
    with TestServer(args=["--ignore-sigterm"]) as s:
        s.initialize()
        s.terminate()
        # Answering after the signal was sent proves it survived it.
        assert s.call("ping") == {}
        s.kill()
        assert s.wait_exit() == -signal.SIGKILL


def test_grandchild_pidfiles():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "ignore_sigterm": True, "grandchild": True,
            "pidfile": os.path.join(d, "server.pid"),
            "grandchild_pidfile": os.path.join(d, "grandchild.pid")})
        with TestServer(spec) as s:
            s.initialize()
            assert read_pidfile(os.path.join(d, "server.pid")) == s.pid
            g = read_pidfile(os.path.join(d, "grandchild.pid"))
            assert pid_alive(g)
            info = proc_info(g)
            assert info["pgid"] == s.pid and info["ppid"] == s.pid, info
            assert sorted(processes_in_group(s.pid)) == sorted([s.pid, g])
            assert s.descendants() == [g]
            os.killpg(s.pid, signal.SIGTERM)
            assert s.call("ping") == {}
            assert pid_alive(g)
            os.killpg(s.pid, signal.SIGKILL)
            assert s.wait_exit() == -signal.SIGKILL
            wait_until(lambda: not pid_alive(g), message="grandchild dies")



def test_fault_keys_and_tools():
    # What test_faults_*.py make the server do, checked on the server alone.
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "stdout_garbage_bytes": 300, "grandchildren": 2,
            "grandchild_ignore_sigterm": True,
            "stderr_flood_bytes_per_s": 100000})
        with TestServer(spec) as s:
            s.initialize()
            assert s.violations, "garbage at start"
            s.wait_log(r"^e{999}$")  # the flood, in 1000-byte lines
            family = processes_in_group(s.pid)
            assert len(family) == 4, family  # server, 2 grandchildren, flood
            n = len(s.violations)
            r = s.call_tool("garbage", {"bytes": 5000})
            assert text_of(r) == "garbage written" and len(s.violations) > n
            r = s.call_tool("huge", {"bytes": 3 * 1024 * 1024 + 5})
            assert text_of(r) == "x" * (3 * 1024 * 1024 + 5)
            os.killpg(s.pid, signal.SIGTERM)  # the grandchildren stay
            assert s.wait_exit() == -signal.SIGTERM
            wait_until(lambda: len(processes_in_group(s.pid)) == 2,
                       message="only the grandchildren left")
        spec = write_spec(os.path.join(d, "spec.json"), {})
        with TestServer(spec) as s:
            s.initialize()
            s.send_request("tools/call", {"name": "partial_exit",
                                          "arguments": {"text": "{\"a\":",
                                                        "code": 4}})
            assert s.wait_exit() == 4
            assert s.raw_stdout[-1] == b'{"a":', s.raw_stdout
        with TestServer(spec) as s:
            s.initialize()
            s.send_request("tools/call", {"name": "close_stdout"})
            wait_until(lambda: s.stdout_closed, message="stdout closed")
            assert s.returncode is None  # still running
        with TestServer(spec) as s:
            s.initialize()
            assert text_of(s.call_tool("stop_reading")) == "stopped reading"
            ping_stays_unread(s)
            assert s.returncode is None
        spec = write_spec(os.path.join(d, "spec.json"),
                          {"close_stdout_after_init": True})
        with TestServer(spec) as s:
            s.initialize()
            rid = s.send_request("ping")
            # EOF: nothing can come after it, the ping's answer included.
            wait_until(lambda: s.stdout_closed, message="stdout closed")
            assert s.messages(response_to(rid)) == []
            assert s.returncode is None
        spec = write_spec(os.path.join(d, "spec.json"),
                          {"stop_reading_stdin_after_init": True})
        with TestServer(spec) as s:
            s.initialize()
            s.wait_log(r"no longer reading stdin")
            ping_stays_unread(s)
            assert s.returncode is None
        spec = write_spec(os.path.join(d, "spec.json"), {
            "stdout_partial_then_exit": "{\"half\""})
        with TestServer(spec) as s:
            assert s.wait_exit() == 1
            assert s.raw_stdout == [b'{"half"'], s.raw_stdout

def test_cleanup_kills_orphans_and_sessions():
    # The server exits and leaves its grandchild behind; the harness finds
    # it through the subreaper, reports it as left over, and kills it.
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"), {
            "ignore_sigterm": True, "grandchild": True,
            "grandchild_pidfile": os.path.join(d, "grandchild.pid"),
            "exit_on_initialize": 0})
        with TestServer(spec) as s:
            g = read_pidfile(os.path.join(d, "grandchild.pid"))
            s.send_request("initialize", {})
            assert s.wait_exit() == 0
            assert pid_alive(g)
            assert g in leftover_processes()
        assert not pid_alive(g)
        assert not leftover_processes()
        # A whole session goes, whatever its members do with SIGTERM.
        os.unlink(os.path.join(d, "grandchild.pid"))
        with TestServer(spec) as s:
            g = read_pidfile(os.path.join(d, "grandchild.pid"))
            assert sorted(processes_in_session(s.sid)) == sorted([s.pid, g])
        assert not pid_alive(g) and not pid_alive(s.pid)


def test_strict_proc_reports_violations():
    with tmpdir() as d:
        spec = write_spec(os.path.join(d, "spec.json"),
                          {"stdout_on_start": "not json"})
        try:
            with Proc(testserver_cmd(spec), strict=True) as p:
                p.initialize()
        except AssertionError as e:
            assert "not JSON" in str(e), e
        else:
            raise AssertionError("a strict Proc accepted non-JSON stdout")


def test_waits_fail_clearly():
    with TestServer() as s:
        s.initialize()
        try:
            s.next_message(notification("never/sent"), timeout=0.2)
        except TimeoutError as e:
            assert "notification never/sent" in str(e), e
        else:
            raise AssertionError("next_message did not time out")
        # A negative check by order passes when nothing came first...
        s.expect_none_before_reply()
        # ...and fails when something did: the answer to an earlier call.
        rid = s.send_request("tools/call", {"name": "echo",
                                            "arguments": {"text": "x"}})
        try:
            s.expect_none_before_reply(response_to(rid))
        except AssertionError as e:
            assert "response to id %r before the answer to ping" % rid \
                in str(e), e
        else:
            raise AssertionError("expect_none_before_reply missed a message")
        s.close_stdin()
        s.wait_exit()
        try:
            s.next_message(timeout=30)
        except TimeoutError as e:
            assert "stdout closed" in str(e), e


if __name__ == "__main__":
    run_tests(globals())
