"""Helpers shared by the single-mode integration tests (test_proxy.py,
test_reload.py, test_crash.py, test_malformed.py, test_shutdown.py,
test_cli.py): mcpmon in front of the C test server, whose spec file lives
in the watched directory so that rewriting it restarts the server.
"""
import json
import os
import re

from mcptest import (Mcpmon, notification, testserver_cmd, text_of,
                     write_spec)

LIST_CHANGED = "notifications/tools/list_changed"

# A probe for Proc.expect_none_before_reply that goes through the server:
# its answer comes after everything the server wrote before it, and mcpmon
# relays the server's lines in order.
THROUGH_SERVER = {"method": "tools/call",
                  "params": {"name": "echo", "arguments": {"text": "probe"}}}


def spec_file(d):
    return os.path.join(d, "spec.json")


def start(d, spec=None, args=(), ext="json", reload="stop-first", **kw):
    """mcpmon watching d for ext (default json) and running the test server
    with d/spec.json (written first); args go before "--". reload: the
    --reload mode; these tests were written for stop-first (a restart
    stops the old server, then starts the new one), so that is their
    default; reload=None leaves mcpmon's own default (overlap, issue 14,
    test_reload_overlap.py)."""
    path = write_spec(spec_file(d), {} if spec is None else spec)
    argv = ["--watch", d, "--ext", ext]
    if reload is not None:
        argv += ["--reload", reload]
    argv += [str(a) for a in args]
    return Mcpmon(argv + ["--"] + testserver_cmd(path), **kw)


def init(m, **kw):
    """initialize (kw as for Proc.initialize), then wait until mcpmon has
    logged "Server ready": every log line of the start has been read, so
    a log_mark() taken now only sees what comes next."""
    result = m.initialize(**kw)
    m.wait_log(r"Server ready")
    return result


def state(m):
    """The test server's recorded state, through mcpmon."""
    return json.loads(text_of(m.call_tool("state")))


def server_pid(m):
    return int(text_of(m.call_tool("pid")))


def error_of(resp, code=-32603):
    """The error object of a response, checking its code."""
    assert "error" in resp and "result" not in resp, resp
    assert resp["error"]["code"] == code, resp
    return resp["error"]


def reload(m, d, spec, n=1, timeout=10):
    """Rewrite the spec, wait for "Restart #n complete" and the
    tools/list_changed notification that follows it."""
    mark = m.log_mark()
    write_spec(spec_file(d), spec)
    m.wait_log(r"Restart #%d complete" % n, timeout, start=mark)
    return m.next_message(notification(LIST_CHANGED), timeout)


def watcher_barrier(m, d, n, name="barrier.json"):
    """Prove that every file event before now has been handled: add the
    watched file d/name (new: remove it first when reused) and wait for
    the restart it causes, "Restart #n complete", which must name that
    file alone. mcpmon reads all its watches through one inotify queue,
    in order, so an earlier change still pending would have restarted the
    server before this one or joined its burst: either shows in the
    "File" lines checked here. Consumes that restart's list_changed."""
    mark = m.log_mark()
    with open(os.path.join(d, name), "w") as f:
        f.write("{}")
    m.wait_log(r"Restart #%d complete" % n, start=mark)
    files = [line for line in m.log_lines()[mark:m.last_log_index]
             if re.search(r"\bFile (added|modified|removed): ", line)]
    assert len(files) == 1 and re.search(
        r"File added: (.*/)?%s$" % re.escape(name), files[0]), files
    m.next_message(notification(LIST_CHANGED))


def count_log(m, pattern, start=0):
    """How many stderr lines from index start match the regex (only lines
    already read: wait_log first for anything that must be there)."""
    rx = re.compile(pattern)
    return sum(1 for line in m.log_lines()[start:] if rx.search(line))


def error_null_id(code):
    """Predicate: an error response with "id": null, what JSON-RPC 2.0
    (section 5) requires when the id could not be read."""
    def pred(msg):
        return ("id" in msg and msg["id"] is None and "method" not in msg
                and msg.get("error", {}).get("code") == code)
    pred.desc = "error %d with id null" % code
    return pred


def error_with_id(code, rid):
    """Predicate: an error response to id rid."""
    def pred(msg):
        return (msg.get("id") == rid and "method" not in msg
                and msg.get("error", {}).get("code") == code)
    pred.desc = "error %d for id %r" % (code, rid)
    return pred
