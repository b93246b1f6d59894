"""Gateway mode, tasks (TASK-3, issue 13): the tasks capability relayed,
each task's id named <server>__<id> wherever it appears (two test servers
both count "1", "2", ...), tasks/get|result|cancel routed to the server
that made the task, tasks/list across servers with a cursor of mcpmon's
own, notifications/tasks/status and the related-task _meta of a task's
elicitation renamed, and a task whose server restarted, was replaced or
removed answered with why it is gone."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

TASKS = {"tasks": {"ms": 0}, "page_size": 1}
SLOW = {"tasks": {"ms": 60000}}
RELATED = "io.modelcontextprotocol/related-task"
STATUS = "notifications/tasks/status"


def make_task(m, tool):
    """A task-augmented tools/call; returns the task the client got."""
    r = m.call("tools/call", {"name": tool, "arguments": {},
                              "task": {"ttl": 60000}})
    assert set(r) == {"task"}, r
    return r["task"]


def test_capability_and_ids_named_per_server():
    """Both servers hand out task "1"; the client gets a__1 and b__1, and
    each id reaches the server that made it, as that server's own id."""
    with tmpdir() as d:
        with start_gateway(d, {"a": TASKS, "b": TASKS, "plain": {}}) as m:
            caps = m.initialize()["capabilities"]
            assert caps["tasks"] == {"list": {}, "cancel": {},
                                     "requests": {"tools": {"call": {}}}}
            ta = make_task(m, "a__echo")
            tb = make_task(m, "b__echo")
            assert ta["taskId"] == "a__1" and tb["taskId"] == "b__1", (ta, tb)
            assert ta["status"] == "working", ta
            got = m.call("tasks/get", {"taskId": "b__1"})
            assert got["taskId"] == "b__1", got
            r = m.call("tasks/result", {"taskId": "a__1"})
            assert text_of(r) == "task 1 of testserver ran echo", r
            assert r["_meta"][RELATED] == {"taskId": "a__1"}, r
            # The status notification of each task names it as the client
            # knows it.
            ids = set()
            while len(ids) < 2:
                n = m.next_message(notification(STATUS))
                ids.add(n["params"]["taskId"])
            assert ids == {"a__1", "b__1"}, ids
            assert "tasks/get" in state(m, "b")["requests"]
            assert "tasks/get" not in state(m, "a")["requests"]
            # A server without tasks runs a task-augmented call as a
            # normal one (tasks.mdx); its answer passes unchanged.
            r = m.call("tools/call", {"name": "plain__echo",
                                      "arguments": {"text": "x"},
                                      "task": {}})
            assert text_of(r) == "x", r


def test_unknown_and_malformed_ids():
    """An id no server could have made, or one that is not a string,
    gets -32602 naming what a task id looks like through the gateway."""
    with tmpdir() as d:
        with start_gateway(d, {"a": TASKS}) as m:
            m.initialize()
            e = error_of(m.request("tasks/get", {"taskId": "nobody__1"}),
                         -32602)
            assert "Unknown task: nobody__1" in e["message"], e
            assert "<server>__<id>" in e["message"], e
            error_of(m.request("tasks/get", {"taskId": 7}), -32602)
            # An id with a server's prefix that the server never made: the
            # server's own answer.
            e = error_of(m.request("tasks/get", {"taskId": "a__99"}), -32602)
            assert e["message"] == "Task not found", e


def test_list_walks_every_server():
    """tasks/list: each server's pages in config order, the cursor naming
    the server and its own cursor; the ids prefixed; a cursor mcpmon did
    not make is refused."""
    with tmpdir() as d:
        with start_gateway(d, {"a": TASKS, "plain": {}, "b": TASKS}) as m:
            m.initialize()
            make_task(m, "a__echo")
            make_task(m, "a__echo")
            make_task(m, "b__echo")
            seen, cursors = [], []
            params = {}
            while True:
                r = m.call("tasks/list", params)
                seen += [t["taskId"] for t in r["tasks"]]
                if "nextCursor" not in r:
                    break
                cursors.append(r["nextCursor"])
                params = {"cursor": r["nextCursor"]}
            assert seen == ["a__1", "a__2", "b__1"], seen
            assert all(c.startswith("mcpmon-tasks:") for c in cursors), cursors
            error_of(m.request("tasks/list", {"cursor": "3"}), -32602)
            error_of(m.request("tasks/list",
                               {"cursor": "mcpmon-tasks:4:gone"}), -32602)


def test_list_without_task_servers_is_method_not_found():
    with tmpdir() as d:
        with start_gateway(d, {"plain": {}}) as m:
            caps = m.initialize()["capabilities"]
            assert "tasks" not in caps, caps
            error_of(m.request("tasks/list"), -32601)


def test_cancel_routed():
    with tmpdir() as d:
        with start_gateway(d, {"a": SLOW, "b": SLOW}) as m:
            m.initialize()
            make_task(m, "a__echo")
            make_task(m, "b__echo")
            r = m.call("tasks/cancel", {"taskId": "b__1"})
            assert r["taskId"] == "b__1" and r["status"] == "cancelled", r
            assert m.call("tasks/get", {"taskId": "a__1"})["status"] == \
                "working"


def test_task_of_a_restarted_server_is_gone():
    """After its server restarts, a task's id is answered by mcpmon with
    why it is gone (data.reason "restart"), not passed to the new process
    (which would make a task "1" of its own, another one); the other
    server's tasks stay."""
    with tmpdir() as d:
        with start_gateway(d, {"a": SLOW, "b": SLOW}) as m:
            m.initialize()
            make_task(m, "a__echo")
            make_task(m, "b__echo")
            restart_backend(m, d, "a", dict(SLOW, tools=[{"name": "v2",
                                                          "reply": "2"}]))
            e = error_of(m.request("tasks/get", {"taskId": "a__1"}), -32602)
            assert e["data"] == {"taskId": "a__1", "backend": "a",
                                 "reason": "restart"}, e
            assert "server 'a' restarted" in e["message"], e
            assert m.call("tasks/get", {"taskId": "b__1"})["status"] == \
                "working"
            # The new process's own tasks work as before.
            assert make_task(m, "a__echo")["taskId"] == "a__1"
            assert m.call("tasks/get", {"taskId": "a__1"})["status"] == \
                "working"


def test_task_of_a_removed_server_is_gone():
    with tmpdir() as d:
        with start_gateway(d, {"a": SLOW, "b": SLOW}) as m:
            m.initialize()
            make_task(m, "b__echo")
            mark = m.log_mark()
            write_config(d, {"a": None})
            m.wait_log(r"b.*(stopped|Stopped|removed)", start=mark)
            e = error_of(m.request("tasks/get", {"taskId": "b__1"}), -32602)
            assert e["data"]["reason"] == "removed", e


def test_elicitation_of_a_task_names_the_task():
    """A task asks the client something (elicitation/create with the
    related-task _meta): the client sees the task's id as it knows it, and
    its answer reaches the server."""
    with tmpdir() as d:
        with start_gateway(d, {"a": {"tasks": {"ms": 60000,
                                               "elicit": True}}}) as m:
            m.initialize(capabilities={"elicitation": {}})
            make_task(m, "a__echo")
            q = m.next_message(server_request("elicitation/create"))
            assert q["params"]["_meta"][RELATED] == {"taskId": "a__1"}, q
            m.respond(q, {"action": "accept", "content": {}})
            wait_until(lambda: state(m, "a")["client_responses"],
                       message="the answer did not reach the server")
            assert state(m, "a")["client_responses"][0]["result"] == {
                "action": "accept", "content": {}}


def test_cancelled_wait_gets_no_answer():
    """CAN-1: a tasks/result the client cancels is never answered (the
    gateway forgets its own record of it); the next request is."""
    with tmpdir() as d:
        with start_gateway(d, {"a": SLOW}) as m:
            m.initialize()
            make_task(m, "a__echo")
            rid = m.send_request("tasks/result", {"taskId": "a__1"})
            wait_until(lambda: "tasks/result" in state(m, "a")["requests"],
                       message="tasks/result did not reach the server")
            m.notify("notifications/cancelled", {"requestId": rid})
            m.expect_none_before_reply(response_to(rid), **through("a"))


run_tests(globals())
