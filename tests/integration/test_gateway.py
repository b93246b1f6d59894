"""Gateway mode (mcpmon --config): several test servers behind one MCP
endpoint. initialize answered by mcpmon (GW-1, GW-2, GW-4), exposed names
(NAME-1..5), routing by table (NAME-3, GW-6), concurrent calls with
colliding ids (GW-7, ID-1), server->client requests (ID-2, §4.9),
cancellation and progress (CAN-1, PROG-1), logging (LOG-1, LOG-2), one
backend crashing or restarting while the others keep serving (GW-5), and
shutdown. Config edits: test_gateway_config.py; resources, prompts and
completion: test_gateway_resources.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

CLIENT_PARAMS = {
    "protocolVersion": "2025-06-18",
    "capabilities": {"roots": {"listChanged": True}, "sampling": {},
                     "elicitation": {"form": {}}},
    "clientInfo": {"name": "gw-client", "version": "2.0"},
}


def send_sample(m, server, method, params=None):
    """Start <server>__sample: the test server sends the client a request
    with method and params and answers the call with the client's
    answer. Returns the call's id."""
    args = {"method": method}
    if params is not None:
        args["params"] = params
    return m.send_request("tools/call", {"name": server + "__sample",
                                         "arguments": args})


def test_initialize_answered_by_mcpmon():
    """Issue 13 (in place of GW-2's fixed superset): mcpmon answers once
    the backends have answered theirs, with the union of their
    capabilities (listChanged added where mcpmon sends it; tasks too,
    routed by TASK-3), the version they negotiated
    and their instructions under headings; GW-1: each backend gets the
    client's params verbatim; GW-4: and one notifications/initialized."""
    with tmpdir() as d:
        caps = {"tools": {"listChanged": True}, "logging": {},
                "tasks": {"list": {}, "cancel": {}},
                "experimental": {"x": {}}}
        with start_gateway(d, {"alpha": {"capabilities": caps,
                                         "instructions": "alpha rules"},
                               "beta": {"instructions": "beta rules"}}) as m:
            r = m.call("initialize", CLIENT_PARAMS)
            m.notify("notifications/initialized")
            assert r == {
                "protocolVersion": "2025-06-18",
                "capabilities": {
                    "tools": {"listChanged": True},
                    "logging": {}, "tasks": {"list": {}, "cancel": {}},
                    "experimental": {"x": {}}},
                "serverInfo": {"name": "mcpmon",
                               "version": r["serverInfo"]["version"]},
                "instructions": "## alpha (alpha__*)\n\nalpha rules\n\n"
                                "## beta (beta__*)\n\nbeta rules",
            }, r
            for name in ("alpha", "beta"):
                st = state(m, name)
                assert st["init_params"] == CLIENT_PARAMS, st
                assert st["initialize_count"] == 1, st
                assert st["notifications"] == [
                    "notifications/initialized"], st
            # A second initialize gets the same answer; the backends see
            # nothing of it.
            again = m.call("initialize", dict(CLIENT_PARAMS,
                                              protocolVersion="2024-11-05"))
            assert again == r, again
            assert state(m, "beta")["initialize_count"] == 1
        # A version mcpmon does not know: what the backends answer to it
        # (the test server answers its newest).
        with start_gateway(d, {"alpha": {}}) as m:
            r = m.initialize(protocol="1999-01-01")
            assert r["protocolVersion"] == "2025-11-25", r
            assert "tasks" not in r["capabilities"], r
            assert "instructions" not in r, r


def test_initialize_versions_and_capabilities_like_the_backends():
    """Issue 13: never a version a backend did not accept (GW-3): with
    one that only speaks 2024-11-05 the client gets 2024-11-05, and the
    log names the backend; nothing is advertised that no backend has;
    a backend that cannot start does not hold the answer up."""
    with tmpdir() as d:
        old = {"protocol_versions": ["2024-11-05"],
               "capabilities": {"prompts": {}, "completions": {}}}
        with start_gateway(d, {"new": {}, "old": old,
                               "broken": {"exit_on_start": 3}}) as m:
            r = m.initialize(protocol="2025-11-25")
            assert r["protocolVersion"] == "2024-11-05", r
            assert r["capabilities"] == {
                "tools": {"listChanged": True},
                "prompts": {"listChanged": True},
                "completions": {}}, r
            m.wait_log(r"the client gets 2024-11-05, the oldest, because "
                       r"of old")
            assert "resources" not in r["capabilities"]
            assert m.call("resources/list") == {"resources": []}


def test_requests_before_initialize():
    """VER-1: anything but initialize and ping before initialize gets
    -32601; nothing reaches a backend."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.wait_log(r"alpha.*Started:")
            error_of(m.request("tools/list"), -32601)
            error_of(m.request("tools/call", {"name": "alpha__echo"}),
                     -32601)
            assert m.call("ping") == {}
            m.initialize()
            st = state(m, "alpha")
            assert st["requests"].count("tools/call") == 1, st


def test_first_list_has_every_backend():
    """PAG-4: a tools/list right after initialize waits (bounded) for
    backends still starting, so it has the tools of all three; none of
    them is announced again with list_changed afterwards."""
    with tmpdir() as d:
        specs = {
            "fast": {"builtin_tools": False,
                     "tools": [{"name": "f", "reply": "f"}]},
            "slow1": {"builtin_tools": False, "init_delay_ms": 300,
                      "tools": [{"name": "s1", "reply": "s1"}]},
            "slow2": {"builtin_tools": False, "init_delay_ms": 700,
                      "tools": [{"name": "s2", "reply": "s2"}]},
        }
        with start_gateway(d, specs) as m:
            m.initialize()
            names = tool_names(m)
            assert sorted(names) == ["fast__f", "slow1__s1", "slow2__s2"], \
                names
            # The list waited for every backend's lists: none is left to
            # announce (each answered mcpmon's list requests before a call
            # through it).
            for n, tool in (("fast", "f"), ("slow1", "s1"), ("slow2", "s2")):
                m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                           **through(n, tool))
            assert text_of(m.call_tool("slow2__s2")) == "s2"


def test_first_list_without_a_broken_backend():
    """PAG-4: a backend that crashes during its handshake does not hold up
    the first list (it is not waited for through its backoff); once it is
    fixed and up, the client gets list_changed with its tools."""
    with tmpdir() as d:
        with start_gateway(d, {"good": {},
                               "bad": {"exit_on_initialize": 3}}) as m:
            m.initialize()
            names = tool_names(m)
            assert "good__echo" in names, names
            assert not any(n.startswith("bad__") for n in names), names
            assert text_of(m.call_tool("good__echo", {"text": "x"})) == "x"
            e = error_of(m.request("tools/call", {"name": "bad__echo"}),
                         -32602)
            assert "bad" in e["message"], e
            m.wait_log(r"bad.*Restarting in \d+ ms")
            write_backend_spec(d, "bad", {})
            m.next_message(notification(TOOLS_CHANGED), timeout=15)
            assert "bad__echo" in tool_names(m)
            assert text_of(m.call_tool("bad__echo", {"text": "y"})) == "y"


def test_names_prefixed_even_with_one_backend():
    """NAME-1: <server>__<tool> with a single backend too; titles,
    descriptions and schemas unchanged (NAME-4)."""
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    with tmpdir() as d:
        with start_gateway(d, {"solo": {"builtin_tools": False, "tools": [
                {"name": "lookup", "description": "Look it up",
                 "reply": "found", "inputSchema": schema}]}}) as m:
            m.initialize()
            tools = m.call("tools/list")["tools"]
            assert tools == [{"name": "solo__lookup",
                              "description": "Look it up",
                              "inputSchema": schema}], tools
            assert text_of(m.call_tool("solo__lookup")) == "found"
            # Routing never goes by the bare name.
            error_of(m.request("tools/call", {"name": "lookup"}), -32602)


def test_names_sanitized_and_shortened():
    """NAME-2: characters outside [A-Za-z0-9_-] become '_'; a name over 64
    characters is cut and gets a stable hash, and stays callable; NAME-5:
    long names get a warning with their length."""
    long_tool = "t" * 40 + "." + "x" * 59  # 100 characters
    with tmpdir() as d:
        spec = {"builtin_tools": False, "tools": [
            {"name": "get.item", "reply": "item"},
            {"name": "has space/slash", "reply": "spaced"},
            {"name": long_tool, "reply": "long"},
            {"name": "b" * 50, "reply": "fifty"}]}
        with start_gateway(d, {"srv": spec, "my.server": {
                "builtin_tools": False,
                "tools": [{"name": "ok", "reply": "dotted server"}]}}) as m:
            m.initialize()
            names = tool_names(m)
            for n in names:
                assert re.match(NAME_RX, n), n
            assert "srv__get_item" in names, names
            assert "srv__has_space_slash" in names, names
            assert "my_server__ok" in names, names
            long_names = [n for n in names if n.startswith("srv__tttt")]
            assert len(long_names) == 1, names
            exposed = long_names[0]
            assert len(exposed) == 64, exposed
            assert re.match(r"^srv__t{40}_x+_[0-9a-f]{6}$", exposed), exposed
            assert text_of(m.call_tool("srv__get_item")) == "item"
            assert text_of(m.call_tool("srv__has_space_slash")) == "spaced"
            assert text_of(m.call_tool(exposed)) == "long"
            assert text_of(m.call_tool("my_server__ok")) == "dotted server"
            # NAME-5: the long names are named with their length.
            m.wait_log(r"'%s' is 64 characters" % exposed)
            m.wait_log(r"'srv__b{50}' is 55 characters")
            assert count_log(m, r"'srv__get_item' is") == 0
            # The hash is stable: the same name after a restart.
            restart_backend(m, d, "srv", dict(spec, server_name="v2"))
            assert exposed in tool_names(m)
            assert text_of(m.call_tool(exposed)) == "long"


def test_separator_from_config():
    """NAME-1: separator "::" from the config gives the original mcpmon's
    names (kept as given; only the parts are sanitized)."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {"tools": [
                {"name": "get.it", "reply": "got"}]}}, separator="::") as m:
            m.initialize()
            names = tool_names(m)
            assert "alpha::echo" in names and "beta::get_it" in names, names
            assert not any("__" in n for n in names), names
            assert text_of(m.call_tool("beta::get_it")) == "got"
            assert text_of(m.call_tool("alpha::echo", {"text": "e"})) == "e"
            error_of(m.request("tools/call", {"name": "alpha__echo"}),
                     -32602)


def test_calls_routed_to_their_backend():
    """NAME-3: the same tool name on three backends; each call goes to its
    own server, with the original name."""
    with tmpdir() as d:
        specs = {n: {"tools": [{"name": "hello", "reply": "hello from " + n}]}
                 for n in ("alpha", "beta", "gamma")}
        with start_gateway(d, specs) as m:
            m.initialize()
            pids = {n: backend_pid(m, n) for n in specs}
            assert len(set(pids.values())) == 3, pids
            for n in specs:
                assert text_of(m.call_tool(n + "__hello")) == "hello from " + n
            for n in specs:
                st = state(m, n)
                assert st["pid"] == pids[n], st
                # pid, hello, state: the original names arrived.
                assert st["requests"].count("tools/call") == 3, st


def test_unknown_tool():
    """GW-6: an unknown name gets -32602 listing the servers; so does a
    known tool under the wrong prefix, a bare name, and a missing name."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            for name in ("nosuch", "alpha__nosuch", "gamma__echo", "echo"):
                e = error_of(m.request("tools/call", {"name": name}), -32602)
                assert name in e["message"], e
                assert "alpha" in e["message"] and "beta" in e["message"], e
            error_of(m.request("tools/call", {"arguments": {}}), -32602)
            error_of(m.request("prompts/get", {"name": "alpha__none"}),
                     -32602)
            # Unknown methods: -32601 in gateway mode (§4).
            error_of(m.request("tasks/list"), -32601)
            error_of(m.request("foo/bar", {}), -32601)
            assert text_of(m.call_tool("beta__echo", {"text": "ok"})) == "ok"


def test_concurrent_calls_with_colliding_ids():
    """GW-7, ID-1: the client sends ids 1..N, integers and the same values
    as strings, to three backends interleaved, as slow calls of different
    lengths, so answers come back out of order. Every answer reaches its
    own id exactly once, type preserved; a ping is answered meanwhile."""
    with tmpdir() as d:
        names = ["alpha", "beta", "gamma"]
        with start_gateway(d, {n: {} for n in names}) as m:
            m.initialize()
            expect = {}
            n = 24
            for i in range(1, n + 1):
                for rid in (i, str(i)):
                    backend = names[(i + (rid == str(i))) % 3]
                    # Different and decreasing lengths: later ids answer
                    # first; each answer's text names its call.
                    ms = 40 + (n - i) * 25 + (7 if isinstance(rid, str)
                                              else 0)
                    m.send_request("tools/call", {
                        "name": backend + "__slow",
                        "arguments": {"ms": ms}}, id=rid)
                    expect[json.dumps(rid)] = "slept %d ms" % ms
            assert m.call("ping", timeout=2) == {}
            got = {}
            order = []
            for _ in range(len(expect)):
                msg = m.next_message(lambda x: "id" in x and "method" not in x,
                                     timeout=15)
                key = json.dumps(msg["id"])
                assert key in expect, msg
                assert key not in got, ("answered twice", msg)
                assert "result" in msg, msg
                got[key] = text_of(msg["result"])
                order.append(key)
            assert got == expect, (got, expect)
            # Nothing else comes: no duplicate answers (a backend's would
            # come before its answer to a later call through it).
            for n in names:
                m.expect_none_before_reply(lambda x: "id" in x, **through(n))
            # The answers really came back out of order.
            assert order != sorted(order, key=lambda k: expect[k]), order


def test_server_request_relayed():
    """ID-2, §4.9: two backends ask the client at once (both use their own
    id 0); the client sees two different mcpmon ids, answers in reverse
    order, and each answer reaches the backend that asked."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize(capabilities=CLIENT_PARAMS["capabilities"])
            sampling = {"messages": [{"role": "user", "content": {
                "type": "text", "text": "hi"}}], "maxTokens": 5}
            ca = send_sample(m, "alpha", "sampling/createMessage", sampling)
            ra = m.next_message(server_request("sampling/createMessage"))
            cb = send_sample(m, "beta", "roots/list")
            rb = m.next_message(server_request("roots/list"))
            assert ra["params"] == sampling, ra
            assert not same_id(ra["id"], rb["id"]), (ra, rb)
            roots = {"roots": [{"uri": "file:///work", "name": "work"}]}
            m.respond(rb, roots)
            answer = {"role": "assistant", "content": {
                "type": "text", "text": "hello"}, "model": "m"}
            m.respond(ra, answer)
            b = m.next_message(response_to(cb))
            a = m.next_message(response_to(ca))
            assert json.loads(text_of(b["result"])) == {"result": roots}, b
            assert json.loads(text_of(a["result"])) == {"result": answer}, a
            # An error answer goes back as an error.
            cc = send_sample(m, "beta", "elicitation/create",
                             {"message": "?"})
            rc = m.next_message(server_request("elicitation/create"))
            assert not same_id(rc["id"], ra["id"]) and \
                not same_id(rc["id"], rb["id"]), rc
            err = {"code": -32601, "message": "no elicitation here"}
            m.respond(rc, error=err)
            c = m.next_message(response_to(cc))
            assert c["result"].get("isError") is True, c
            assert json.loads(text_of(c["result"])) == {"error": err}, c
            # An answer to an unknown id is dropped quietly.
            m.send({"jsonrpc": "2.0", "id": 9999, "result": {}})
            assert m.call("ping") == {}


def test_server_request_outside_a_call():
    """§4.9: a request a backend sends on its own after initialized
    (server-everything's roots/list) is relayed and answered too."""
    with tmpdir() as d:
        spec = {"on_initialized": [{"method": "roots/list",
                                    "request": True}]}
        with start_gateway(d, {"alpha": spec, "beta": spec}) as m:
            m.initialize(capabilities={"roots": {}})
            r1 = m.next_message(server_request("roots/list"))
            r2 = m.next_message(server_request("roots/list"))
            assert not same_id(r1["id"], r2["id"]), (r1, r2)
            m.respond(r1, {"roots": [{"uri": "file:///one"}]})
            m.respond(r2, {"roots": [{"uri": "file:///two"}]})
            got = []
            for n in ("alpha", "beta"):
                st = wait_until(lambda: (lambda s: s if s["client_responses"]
                                         else None)(state(m, n)), 5)
                assert len(st["client_responses"]) == 1, st
                # The backend sees its own id 0 again.
                assert st["client_responses"][0]["id"] == 0, st
                got.append(st["client_responses"][0]["result"]["roots"][0]
                           ["uri"])
            assert sorted(got) == ["file:///one", "file:///two"], got


def test_server_request_cancelled_when_its_backend_dies():
    """CAN-3: beta crashes while its request to the client is open: the
    client gets notifications/cancelled for it; its late answer is dropped;
    alpha's open request is untouched."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize(capabilities={"roots": {}})
            tool_names(m)
            ca = send_sample(m, "alpha", "roots/list")
            ra = m.next_message(server_request("roots/list"))
            cb = send_sample(m, "beta", "roots/list")
            rb = m.next_message(server_request("roots/list"))
            m.send_request("tools/call", {"name": "beta__crash"})
            n = m.next_message(notification("notifications/cancelled"))
            assert same_id(n["params"]["requestId"], rb["id"]), (n, rb)
            error_of(m.next_message(response_to(cb)))
            m.respond(rb, {"roots": []})  # too late: dropped
            m.respond(ra, {"roots": [{"uri": "file:///a"}]})
            a = m.next_message(response_to(ca))
            assert json.loads(text_of(a["result"]))["result"] == {
                "roots": [{"uri": "file:///a"}]}, a
            # One cancellation: beta's crash is handled (its call got its
            # error), the late answer was read before this ping, and
            # alpha's request was answered, not cancelled.
            m.expect_none_before_reply(
                notification("notifications/cancelled"))


def test_server_cancels_its_request():
    """CAN-2: a backend's notifications/cancelled for its own request
    reaches the client under the id the client knows; an answer sent
    afterwards is dropped."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize(capabilities={"roots": {}})
            tool_names(m)
            send_sample(m, "beta", "roots/list")
            r = m.next_message(server_request("roots/list"))
            # The test server's first own request has its id 0.
            m.call_tool("beta__notify", {
                "method": "notifications/cancelled",
                "params": {"requestId": 0, "reason": "no longer needed"}})
            n = m.next_message(notification("notifications/cancelled"))
            assert n["params"] == {"requestId": r["id"],
                                   "reason": "no longer needed"}, (n, r)
            m.respond(r, {"roots": []})
            # A cancellation for something the client never saw is
            # dropped.
            m.call_tool("alpha__notify", {
                "method": "notifications/cancelled",
                "params": {"requestId": 0}})
            # alpha sent it before answering that call: it would have
            # been relayed before the answer.
            m.expect_none_before_reply(
                notification("notifications/cancelled"))
            assert state(m, "beta")["client_responses"] == []


def test_client_progress_for_a_relayed_request():
    """PROG-2: the client's progress for a backend's request (by the token
    in that request's _meta) goes to that backend only."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize(capabilities={"sampling": {}})
            tool_names(m)
            params = {"messages": [], "maxTokens": 1,
                      "_meta": {"progressToken": "beta-tok"}}
            cb = send_sample(m, "beta", "sampling/createMessage", params)
            r = m.next_message(server_request("sampling/createMessage"))
            assert r["params"]["_meta"] == {"progressToken": "beta-tok"}, r
            m.notify("notifications/progress", {"progressToken": "beta-tok",
                                                "progress": 1, "total": 2})
            m.notify("notifications/progress", {"progressToken": "other",
                                                "progress": 1})
            m.respond(r, {"role": "assistant", "model": "m", "content": {
                "type": "text", "text": "x"}})
            m.next_message(response_to(cb))
            assert state(m, "beta")["notifications"].count(
                "notifications/progress") == 1
            assert "notifications/progress" not in state(
                m, "alpha")["notifications"]


def test_roots_list_changed_broadcast():
    """§4.9: the client's notifications/roots/list_changed reaches every
    backend."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}, "gamma": {}}) as m:
            m.initialize(capabilities={"roots": {"listChanged": True}})
            tool_names(m)
            m.notify("notifications/roots/list_changed")
            for n in ("alpha", "beta", "gamma"):
                assert state(m, n)["notifications"] == [
                    "notifications/initialized",
                    "notifications/roots/list_changed"], n


def test_call_before_any_list():
    """PAG-4: a client that calls a tool right after initialize, without
    listing (it cached the names), is served once the backend is up. The
    calls go out before initialize is answered: that answer waits for the
    backends' handshakes (issue 13)."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {"init_delay_ms": 300},
                               "beta": {"init_delay_ms": 500}}) as m:
            init = m.send_request("initialize", CLIENT_PARAMS)
            ids = [m.send_request("tools/call", {
                "name": n + "__echo", "arguments": {"text": n}})
                for n in ("beta", "alpha")]
            unknown = m.send_request("tools/call", {"name": "beta__nope"})
            # CAN-1: one the client cancels while it waits is never sent.
            gone = m.send_request("tools/call", {
                "name": "beta__echo", "arguments": {"text": "cancelled"}})
            m.notify("notifications/cancelled", {"requestId": gone})
            assert "result" in m.next_message(response_to(init))
            m.notify("notifications/initialized")
            assert text_of(m.next_message(response_to(ids[0]))["result"]) \
                == "beta"
            assert text_of(m.next_message(response_to(ids[1]))["result"]) \
                == "alpha"
            error_of(m.next_message(response_to(unknown)), -32602)
            # Had it been sent, beta would answer it before this call.
            m.expect_none_before_reply(response_to(gone), **through("beta"))
            # echo, the probe, and this state call.
            assert state(m, "beta")["requests"].count("tools/call") == 3


def test_cancel_reaches_only_its_backend():
    """CAN-1: the client cancels its id 5, a call on beta, while alpha has
    a call with id "5" in flight; only beta's call is cancelled, under
    beta's own id, and alpha's is answered."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)  # both ready: the calls are sent, not queued
            m.send_request("tools/call", {"name": "alpha__slow",
                                          "arguments": {"ms": 600}}, id="5")
            m.send_request("tools/call", {"name": "beta__slow",
                                          "arguments": {"ms": 60000}}, id=5)
            m.notify("notifications/cancelled", {"requestId": 5,
                                                 "reason": "changed my mind"})
            a = m.next_message(response_to("5"))
            assert text_of(a["result"]) == "slept 600 ms", a
            st = state(m, "beta")
            assert len(st["cancelled"]) == 1, st
            assert isinstance(st["cancelled"][0], int), st
            assert state(m, "alpha")["cancelled"] == []
            # beta dropped the call when it read the cancellation (its
            # state above), and mcpmon does not answer it either.
            m.expect_none_before_reply(response_to(5), **through("beta"))


def test_progress_reaches_the_caller():
    """PROG-1: progress tokens pass through unchanged from each backend."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            ia = m.send_request("tools/call", {
                "name": "alpha__progress", "arguments": {
                    "steps": 3, "interval_ms": 20},
                "_meta": {"progressToken": "tok-a"}})
            ib = m.send_request("tools/call", {
                "name": "beta__progress", "arguments": {
                    "steps": 2, "interval_ms": 30},
                "_meta": {"progressToken": 7}})
            assert text_of(m.next_message(response_to(ia))["result"]) == "done"
            assert text_of(m.next_message(response_to(ib))["result"]) == "done"
            prog = m.messages(notification("notifications/progress"))
            a = [p["params"]["progress"] for p in prog
                 if p["params"]["progressToken"] == "tok-a"]
            b = [p["params"]["progress"] for p in prog
                 if same_id(p["params"]["progressToken"], 7)]
            assert a == [1, 2, 3] and b == [1, 2], prog


def test_log_messages_name_the_backend():
    """LOG-2: a backend's notifications/message reaches the client with
    the backend's name in logger."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            m.call_tool("beta__log", {"level": "warning", "data": "careful"})
            n = m.next_message(notification("notifications/message"))
            assert n["params"]["level"] == "warning", n
            assert n["params"]["data"] == "careful", n
            assert n["params"]["logger"].startswith("beta"), n
            assert "testserver" in n["params"]["logger"], n
            m.call_tool("alpha__notify", {
                "method": "notifications/message",
                "params": {"level": "info", "data": {"k": 1}}})
            n = m.next_message(notification("notifications/message"))
            assert n["params"] == {"level": "info", "data": {"k": 1},
                                   "logger": "alpha"}, n


def test_client_notifications_reach_every_backend():
    """Issue 13: a client notification the gateway has no rule for (a
    custom one, notifications/tasks/status) reaches every backend instead
    of being dropped."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            m.notify("vendor/custom", {"x": 1})
            m.notify("notifications/tasks/status", {"taskId": "t1",
                                                    "status": "working"})
            for n in ("alpha", "beta"):
                # state is a request after the notifications: read in order.
                notes = state(m, n)["notifications"]
                assert notes[-2:] == ["vendor/custom",
                                      "notifications/tasks/status"], notes


def test_set_level_fanned_out_and_replayed():
    """LOG-1: logging/setLevel is answered {} by mcpmon, sent to every
    backend that declares logging, and applied again after a restart."""
    caps = {"tools": {}, "logging": {}}
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {"capabilities": caps},
                               "beta": {"capabilities": caps},
                               "nolog": {}}) as m:
            m.initialize()
            tool_names(m)  # all ready: each setLevel is sent at once
            assert m.call("logging/setLevel", {"level": "debug"}) == {}
            assert m.call("logging/setLevel", {"level": "warning"}) == {}
            for n in ("alpha", "beta"):
                st = wait_until(lambda: (lambda s: s if s["log_level"] ==
                                         "warning" else None)(state(m, n)), 5)
                assert st["requests"].count("logging/setLevel") == 2, st
            assert "logging/setLevel" not in state(m, "nolog")["requests"]
            error_of(m.request("logging/setLevel", {}), -32602)
            # Issue 13: a level that is not a LoggingLevel is refused, as
            # a server refuses it, and never stored or sent.
            err = error_of(m.request("logging/setLevel", {"level": "loud"}),
                           -32602)
            assert "got loud" in err["message"], err
            assert state(m, "alpha")["log_level"] == "warning"
            pid = backend_pid(m, "beta")
            restart_backend(m, d, "beta", {"capabilities": caps,
                                           "server_name": "beta2"})
            st = state(m, "beta")
            assert st["pid"] != pid, st
            assert st["log_level"] == "warning", st
            # Only the replayed one reached the new process.
            assert st["requests"].count("logging/setLevel") == 1, st
            # The replay's answer is mcpmon's, never the client's: beta
            # gave it before answering the state call above.
            m.expect_none_before_reply(lambda x: "id" in x)


def test_backend_crash_leaves_others_serving():
    """GW-5, ERR: beta crashes with a call in flight: that call and the
    crash call get -32603 naming beta; alpha's call in flight meanwhile is
    answered and alpha keeps serving; beta comes back and is announced
    with list_changed."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            pa = backend_pid(m, "alpha")
            pb = backend_pid(m, "beta")
            slow_a = m.send_request("tools/call", {
                "name": "alpha__slow", "arguments": {"ms": 800}})
            slow_b = m.send_request("tools/call", {
                "name": "beta__slow", "arguments": {"ms": 60000}})
            crash = m.send_request("tools/call", {
                "name": "beta__crash", "arguments": {"code": 3}})
            for rid in (slow_b, crash):
                e = error_of(m.next_message(response_to(rid)))
                assert e["data"]["backend"] == "beta", e
                assert e["data"]["reason"] == "crashed", e
                assert "beta" in e["message"], e
            # alpha is untouched.
            assert text_of(m.call_tool("alpha__echo", {"text": "up"})) == "up"
            r = m.next_message(response_to(slow_a))
            assert text_of(r["result"]) == "slept 800 ms", r
            assert backend_pid(m, "alpha") == pa
            m.wait_log(r"beta.*Restarting in \d+ ms")
            # beta is back (its lists refreshed: list_changed).
            m.next_message(notification(TOOLS_CHANGED), timeout=10)
            pb2 = backend_pid(m, "beta")
            assert pb2 != pb and not pid_alive(pb), (pb, pb2)
            assert state(m, "alpha")["initialize_count"] == 1


def test_file_change_restarts_only_that_backend():
    """GW-5: a change in beta's directory restarts beta only; the client
    gets one tools/list_changed, after which tools/list shows beta's new
    tool; alpha keeps its process and handshake."""
    with tmpdir() as d:
        v1 = {"builtin_tools": True, "tools": [{"name": "old", "reply": "o"}]}
        v2 = {"builtin_tools": True, "tools": [{"name": "new", "reply": "n"}]}
        with start_gateway(d, {"alpha": {}, "beta": v1}) as m:
            m.initialize()
            names = tool_names(m)
            assert "beta__old" in names and "beta__new" not in names
            pa, pb = backend_pid(m, "alpha"), backend_pid(m, "beta")
            restart_backend(m, d, "beta", v2)
            names = tool_names(m)
            assert "beta__new" in names and "beta__old" not in names, names
            assert "alpha__echo" in names, names
            assert text_of(m.call_tool("beta__new")) == "n"
            assert backend_pid(m, "beta") != pb
            assert backend_pid(m, "alpha") == pa
            assert state(m, "alpha")["initialize_count"] == 1
            assert count_log(m, r"alpha.*Restart") == 0, m.logs()
            # Exactly one notification for one restart: the new beta
            # answered mcpmon's list requests before this call through it,
            # and the one change is handled (it restarted beta).
            m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                       **through("beta"))
            assert len(m.messages(notification(TOOLS_CHANGED))) == 1


def test_calls_during_a_restart_are_queued():
    """A call for a backend that is restarting waits for it and is
    answered by the new process; the other backend answers at once."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {},
                               "beta": {"init_delay_ms": 0}}) as m:
            m.initialize()
            pb = backend_pid(m, "beta")
            mark = m.log_mark()
            write_backend_spec(d, "beta", {"init_delay_ms": 400})
            m.wait_log(r"beta.*Restarting server", start=mark)
            rid = m.send_request("tools/call", {"name": "beta__pid"})
            assert text_of(m.call_tool("alpha__echo", {"text": "a"})) == "a"
            r = m.next_message(response_to(rid))
            assert int(text_of(r["result"])) != pb, r


def test_backend_list_changed_forwarded_once():
    """PAG-1, GW-5: a backend's own tools/list_changed refreshes mcpmon's
    copy; the client gets one notification, never the backend's twice."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            mark = m.log_mark()
            m.call_tool("beta__notify_list_changed")
            m.next_message(notification(TOOLS_CHANGED))
            # Once: beta's own copy came before its answer to the call;
            # mcpmon's (logged) after beta answered its tools/list, which
            # is before beta answers this call through it.
            m.wait_log(r"Sent tools/list_changed", start=mark)
            m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                       **through("beta"))
            assert tool_names(m)
            assert count_log(m, r"Sent tools/list_changed", start=mark) == 1


def _stop_and_check(m, pids, how):
    if how == "eof":
        m.close_stdin()
    else:
        m.terminate()
    assert m.wait_exit(timeout=5) == 0
    wait_until(lambda: not any(pid_alive(p) for p in pids), 5,
               message="backends to exit")


def test_shutdown_on_stdin_eof():
    """STDIO-11: stdin EOF stops every backend and mcpmon exits 0 with
    nothing left behind (the strict Mcpmon checks for leftovers)."""
    with tmpdir() as d:
        with start_gateway(d, {"a": {}, "b": {}, "c": {}}) as m:
            m.initialize()
            pids = [backend_pid(m, n) for n in ("a", "b", "c")]
            m.send_request("tools/call", {"name": "b__slow",
                                          "arguments": {"ms": 60000}})
            _stop_and_check(m, pids, "eof")


def test_shutdown_on_sigterm():
    """STDIO-12: SIGTERM too, also with a backend that ignores SIGTERM and
    a grandchild in its group (SIGKILL after the grace)."""
    with tmpdir() as d:
        gpid = os.path.join(d, "grandchild.pid")
        with start_gateway(d, {"a": {}, "stubborn": {
                "ignore_sigterm": True, "ignore_stdin_eof": True,
                "grandchild": True, "grandchild_pidfile": gpid}}) as m:
            m.initialize()
            pids = [backend_pid(m, "a"), backend_pid(m, "stubborn"),
                    read_pidfile(gpid)]
            _stop_and_check(m, pids, "term")


def test_second_sigterm_kills_now():
    """A second SIGTERM during the shutdown SIGKILLs what is still
    stopping (a backend ignoring SIGTERM, inside its grace)."""
    with tmpdir() as d:
        with start_gateway(d, {"a": {}, "stubborn": {
                "ignore_sigterm": True, "ignore_stdin_eof": True}}) as m:
            m.initialize()
            pids = [backend_pid(m, "a"), backend_pid(m, "stubborn")]
            mark = m.log_mark()
            m.terminate()
            m.wait_log(r"Shutting down \(SIGTERM\)", start=mark)
            m.terminate()
            m.wait_log(r"Second SIGTERM", start=mark)
            assert m.wait_exit(timeout=5) == 0
            wait_until(lambda: not any(pid_alive(p) for p in pids), 5,
                       message="backends to exit")


run_tests(globals())
