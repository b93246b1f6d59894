"""Single mode, hot reload: file changes restart the server invisibly
(replayed handshake and client state), one restart per burst, ignored
files, requests queued during a restart and in flight when it begins."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403

V1 = {"builtin_tools": False, "tools": [
    {"name": "hello", "description": "Say hello", "reply": "hello v1"},
    {"name": "old", "description": "Going away", "reply": "old"},
    {"name": "same", "description": "Unchanged", "reply": "same v1"}]}
V2 = {"builtin_tools": False, "tools": [
    {"name": "hello", "description": "Say hello, politely",
     "reply": "hello v2"},
    {"name": "same", "description": "Unchanged", "reply": "same v2"},
    {"name": "goodbye", "description": "Say goodbye", "reply": "bye"}]}


def test_edit_restarts_with_new_tools():
    with tmpdir() as d:
        with start(d, V1) as m:
            init(m)
            pid = server_pid(m)
            names = [t["name"] for t in m.call("tools/list")["tools"]]
            assert names == ["hello", "old", "same"], names
            mark = m.log_mark()
            write_spec(spec_file(d), V2)
            m.wait_log(r"File modified: (.*/)?spec\.json$", start=mark)
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            m.wait_log(r"Sent tools/list_changed notification", start=mark)
            # mcpmon's own tools/list after the restart, as a diff.
            mt = m.wait_log(r"Tools: (.*)$", start=mark)
            marks = sorted(mt.group(1).split())
            assert marks == ["+goodbye", "-old", "~hello"], mt.group(0)
            names = [t["name"] for t in m.call("tools/list")["tools"]]
            assert names == ["hello", "same", "goodbye"], names
            assert text_of(m.call_tool("hello")) == "hello v2"
            assert text_of(m.call_tool("goodbye")) == "bye"
            assert server_pid(m) != pid
            # Exactly one notification for one restart. The one change was
            # handled (it restarted the server), so a second notification
            # would have been sent before mcpmon read this ping.
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restart #") == 1, m.logs()


def test_each_edit_is_one_more_restart():
    with tmpdir() as d:
        with start(d, V1) as m:
            init(m)
            for n in (1, 2, 3):
                spec = dict(V1, tools=[{"name": "t%d" % n, "reply": "r"}])
                reload(m, d, spec, n=n)
                names = [t["name"] for t in m.call("tools/list")["tools"]]
                assert names == ["t%d" % n], names
            # Each change was handled (each restarted the server).
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert len(m.messages(notification(LIST_CHANGED))) == 3


def test_replayed_initialize_carries_client_params():
    client_params = {
        "protocolVersion": "2025-06-18",
        "capabilities": {"roots": {"listChanged": True}, "sampling": {},
                         "elicitation": {"form": {}},
                         "experimental": {"x": {"deep": [1, 2.5, None]}}},
        "clientInfo": {"name": "exact-client", "version": "9.8.7",
                       "title": "T\u00eftle"},
        "_meta": {"trace": "abc"}}
    with tmpdir() as d:
        with start(d) as m:
            r = m.call("initialize", client_params)
            m.notify("notifications/initialized")
            assert r["protocolVersion"] == "2025-06-18", r
            st1 = state(m)
            assert st1["init_params"] == client_params, st1
            assert st1["initialize_count"] == 1, st1
            assert st1["initialized_count"] == 1, st1
            reload(m, d, {"server_name": "v2"})
            st2 = state(m)
            assert st2["pid"] != st1["pid"], (st1, st2)
            assert st2["init_params"] == client_params, st2
            assert st2["initialize_count"] == 1, st2
            assert st2["initialized_count"] == 1, st2
            assert st2["notifications"] == ["notifications/initialized"], st2
            # The replayed handshake is invisible: no second initialize
            # result, nothing but the one notification. The new server
            # answered the handshake before the state call above, and
            # mcpmon relays its lines in order.
            assert len(m.messages(lambda x: "result" in x and
                                  "serverInfo" in x["result"])) == 1
            m.expect_none_before_reply()


def test_log_level_and_subscriptions_replayed():
    caps = {"tools": {}, "logging": {}, "resources": {"subscribe": True}}
    with tmpdir() as d:
        with start(d, {"capabilities": caps}) as m:
            r = init(m)
            assert r["capabilities"]["resources"] == {
                "subscribe": True, "listChanged": True}, r
            assert m.call("logging/setLevel", {"level": "debug"}) == {}
            assert m.call("logging/setLevel", {"level": "error"}) == {}
            for uri in ("file:///a", "file:///b", "file:///c"):
                m.call("resources/subscribe", {"uri": uri})
            m.call("resources/unsubscribe", {"uri": "file:///a"})
            pid = server_pid(m)
            mark = m.log_mark()
            write_spec(spec_file(d), {"capabilities": caps,
                                      "server_name": "2"})
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            # resources were advertised, so their list_changed comes too;
            # prompts were not.
            m.next_message(
                notification("notifications/resources/list_changed"))
            st = state(m)
            assert st["pid"] != pid, st
            assert st["log_level"] == "error", st
            assert st["subscriptions"] == ["file:///b", "file:///c"], st
            # The answers to the replays are mcpmon's, never the client's:
            # the server gave them before its answer to the state call.
            # And no prompts/list_changed (sent with the others if at all).
            m.expect_none_before_reply(lambda x: "id" in x or x.get(
                "method") == "notifications/prompts/list_changed")


def test_burst_of_writes_to_many_files_restarts_once():
    with tmpdir() as d:
        # --delay: the quiet time that ends a burst, generous so that a
        # loaded machine cannot split the burst.
        with start(d, args=["--delay", "300"]) as m:
            init(m)
            mark = m.log_mark()
            for i in range(50):
                with open(os.path.join(d, "f%02d.json" % i), "w") as f:
                    f.write("{}")
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            # No write of the burst is left to restart the server again:
            # a later change is the next restart, caused by itself alone.
            watcher_barrier(m, d, 2)
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restart #") == 2, m.logs()
            assert count_log(m, r"Restarting server") == 2, m.logs()
            assert count_log(m, r"File added: .*f\d\d\.json \(and 49 more\)"
                             ) == 1, m.logs()


def test_burst_of_rewrites_restarts_once():
    with tmpdir() as d:
        with start(d, args=["--delay", "300"]) as m:
            init(m)
            mark = m.log_mark()
            for i in range(50):
                write_spec(spec_file(d), {"builtin_tools": False, "tools": [
                    {"name": "v%d" % i, "reply": "r%d" % i}]})
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            # The server started after the burst: it has the last spec.
            names = [t["name"] for t in m.call("tools/list")["tools"]]
            assert names == ["v49"], names
            # No rewrite of the burst is left to restart it again.
            watcher_barrier(m, d, 2)
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restart #") == 2, m.logs()


def test_ignored_files_do_not_restart():
    with tmpdir() as d:
        for sub in ("node_modules", "generated", ".git", "__pycache__"):
            os.mkdir(os.path.join(d, sub))
        with open(os.path.join(d, ".gitignore"), "w") as f:
            f.write("generated/\nsecret.json\n")
        ignored = ["notes.txt", "spec.json.bak", "node_modules/pkg.json",
                   "generated/out.json", "secret.json", "tmp_1.json",
                   ".git/x.json", "__pycache__/c.json", "spec.json~"]
        with start(d, args=["-v", "--ignore", "tmp_*.json"]) as m:
            init(m)
            mark = m.log_mark()
            for rel in ignored:
                with open(os.path.join(d, rel), "w") as f:
                    f.write("{}")
            # A watched write restarts once, naming only itself. The
            # ignored writes came first in the one inotify queue: had one
            # counted, it would have restarted the server before this
            # write or joined its burst, and shown in the "File" lines
            # checked below (-v lists every file of a burst).
            write_spec(spec_file(d), {"server_name": "after"})
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            # Every event was handled before that restart (the write was
            # the last): nothing is left to send another notification.
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restart #") == 1, m.logs()
            changed = [line for line in m.log_lines()[mark:]
                       if "File " in line]
            assert changed and all(
                re.search(r"File modified: (.*/)?spec\.json$", line)
                for line in changed), changed
            for rel in ignored:
                assert rel not in m.logs(), rel


def test_new_directories_are_watched():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            deep = os.path.join(d, "new", "deeper")
            os.makedirs(deep)
            with open(os.path.join(deep, "x.json"), "w") as f:
                f.write("{}")
            m.wait_log(r"Restart #1 complete")
            m.next_message(notification(LIST_CHANGED))
            # The new directory stays watched.
            mark = m.log_mark()
            with open(os.path.join(deep, "y.json"), "w") as f:
                f.write("{}")
            m.wait_log(r"File (added|modified): .*y\.json", start=mark)
            m.wait_log(r"Restart #2 complete", start=mark)


def test_requests_during_restart_answered_by_new_server_in_order():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            old = server_pid(m)
            mark = m.log_mark()
            # The new server takes its time with initialize, so the
            # requests below arrive while it is not ready.
            write_spec(spec_file(d), {"init_delay_ms": 300})
            m.wait_log(r"Restarting server", start=mark)
            ids = [m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": "q%d" % i}})
                for i in range(5)]
            pid_call = m.send_request("tools/call", {"name": "pid"})
            for i, rid in enumerate(ids):
                r = m.next_message(response_to(rid))
                assert text_of(r["result"]) == "q%d" % i, r
            r = m.next_message(response_to(pid_call))
            new = int(text_of(r["result"]))
            assert new != old, (new, old)
            order = [x["id"] for x in m.messages(lambda x: x.get("id") in
                                                  ids + [pid_call])]
            assert order == ids + [pid_call], order
            # They reached the new server after its handshake, in order.
            st = state(m)
            assert st["pid"] == new, st
            assert st["requests"][:7] == (["initialize"] +
                                          ["tools/call"] * 6), st
            assert st["notifications"] == ["notifications/initialized"], st
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))


def test_restart_during_handshake():
    # A second change arrives while the first replacement is still in its
    # handshake; that server (ignoring SIGTERM and stdin EOF, so it lives
    # through the grace period) answers initialize while being stopped. Its
    # late answer must not make it the ready server: the queued requests
    # go to the next one.
    with tmpdir() as d:
        with start(d, args=["--grace", "2000"]) as m:
            init(m)
            pidfile = os.path.join(d, "dying.pid")
            write_spec(spec_file(d), {"init_delay_ms": 1000,
                                      "ignore_sigterm": True,
                                      "ignore_stdin_eof": True,
                                      "server_name": "dying",
                                      "pidfile": pidfile})
            # The pidfile is written once the server has read its spec.
            dying = read_pidfile(pidfile)
            queued = [m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": "q%d" % i}})
                for i in range(3)]
            write_spec(spec_file(d), {"server_name": "final"})
            m.wait_log(r"Restarting server", n=2)
            for i, rid in enumerate(queued):
                r = m.next_message(response_to(rid))
                assert text_of(r.get("result", {})) == "q%d" % i, r
            m.next_message(notification(LIST_CHANGED))
            assert state(m)["name"] == "final"
            wait_until(lambda: not pid_alive(dying), timeout=5)
            # Its late initialize answer came (at 1 s) while it was being
            # stopped, before it was killed (at 2 s) and before the final
            # server's restart was announced: a second announcement made
            # from it would have come before this ping's answer.
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert len(m.messages(notification(LIST_CHANGED))) == 1
            assert count_log(m, r"Restart #") == 1, m.logs()


def test_inflight_request_fails_on_restart():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            slow = m.send_request("tools/call", {
                "name": "slow", "arguments": {"ms": 60000}}, id="slow-1")
            assert m.call("ping") == {}
            # The slow call is in the server once a later call is answered.
            m.call_tool("echo", {"text": "x"})
            write_spec(spec_file(d), {"server_name": "v2"})
            err = error_of(m.next_message(response_to(slow)))
            assert err["data"]["reason"] == "restart", err
            assert err["data"]["backend"], err
            assert "restarted" in err["message"], err
            assert "timed out" not in err["message"], err
            m.next_message(notification(LIST_CHANGED))
            r = m.call_tool("slow", {"ms": 10})
            assert text_of(r) == "slept 10 ms", r
            # Answered once: the old server's reply can never come.
            assert len(m.messages(response_to(slow))) == 1


def test_pending_server_request_cancelled_on_restart():
    with tmpdir() as d:
        with start(d) as m:
            init(m, capabilities={"sampling": {}})
            call = m.send_request("tools/call", {
                "name": "sample", "arguments": {
                    "method": "sampling/createMessage", "params": {}}})
            req = m.next_message(server_request("sampling/createMessage"))
            write_spec(spec_file(d), {"server_name": "v2"})
            n = m.next_message(notification("notifications/cancelled"))
            assert same_id(n["params"]["requestId"], req["id"]), (n, req)
            err = error_of(m.next_message(response_to(call)))
            assert err["data"]["reason"] == "restart", err
            m.next_message(notification(LIST_CHANGED))
            # A late answer to the old server's request is dropped.
            m.respond(req, {"role": "assistant", "model": "m",
                            "content": {"type": "text", "text": "late"}})
            # The new server's first request gets a fresh client-side id.
            call = m.send_request("tools/call", {
                "name": "sample", "arguments": {"method": "roots/list"}})
            req2 = m.next_message(server_request("roots/list"))
            assert req2["id"] != req["id"], (req, req2)
            m.respond(req2, {"roots": []})
            r = m.next_message(response_to(call))["result"]
            assert json.loads(text_of(r)) == {"result": {"roots": []}}, r


if __name__ == "__main__":
    run_tests(globals())
