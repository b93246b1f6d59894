"""Gateway mode, reloads with overlap (issue 14): one server's reload
leaves the others alone and loses no call of its own; a broken edit keeps
that server's old process serving; reload: per server or at the top level,
checked like every other key."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

V1 = {"tools": [{"name": "v", "reply": "one"}]}
V2 = {"tools": [{"name": "v", "description": "second", "reply": "two"}]}


def test_reload_of_one_server_loses_no_call():
    """Calls in flight on alpha and beta while alpha reloads: both get
    their real results; alpha's next call reaches its new version, beta
    keeps its process; one tools/list_changed (alpha's tool changed)."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": V1, "beta": {}}, reload=None) as m:
            m.initialize()
            m.call("tools/list")
            pa, pb = backend_pid(m, "alpha"), backend_pid(m, "beta")
            ra = m.send_request("tools/call", {"name": "alpha__slow",
                                               "arguments": {"ms": 800}})
            rb = m.send_request("tools/call", {"name": "beta__slow",
                                               "arguments": {"ms": 800}})
            wait_until(lambda: "tools/call" in state(m, "alpha")["requests"])
            mark = m.log_mark()
            write_backend_spec(d, "alpha", V2)
            m.wait_log(r"alpha pid:\d+\] Restart #1 complete \(.*overlap",
                       start=mark)
            assert text_of(m.call_tool("alpha__v")) == "two"
            for rid in (ra, rb):
                r = m.next_message(response_to(rid), timeout=10)
                assert text_of(r["result"]) == "slept 800 ms", r
            m.next_message(notification(TOOLS_CHANGED))
            assert backend_pid(m, "beta") == pb
            assert backend_pid(m, "alpha") != pa
            m.wait_log(r"alpha pid:%d\] Server stopped" % pa, start=mark)
            m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                       **through("alpha"))


def test_broken_edit_keeps_the_old_server():
    with tmpdir() as d:
        with start_gateway(d, {"alpha": V1, "beta": {}}, reload=None) as m:
            m.initialize()
            pa = backend_pid(m, "alpha")
            mark = m.log_mark()
            write_backend_spec(d, "alpha", dict(V2, exit_on_start=1))
            line = m.wait_log(r"alpha\] Reload failed: .*", start=mark).string
            assert "still serving pid %d" % pa in line, line
            assert text_of(m.call_tool("alpha__v")) == "one"
            assert backend_pid(m, "alpha") == pa
            m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                       **through("alpha"))


def test_stop_first_per_server():
    """reload: stop-first on one server: it restarts the old way (stopped,
    then started), the other reloads with overlap."""
    with tmpdir() as d:
        servers = {"alpha": {"raw": ["reload: stop-first"]}, "beta": None}
        with start_gateway(d, {"alpha": V1, "beta": V1}, config=servers,
                           reload=None) as m:
            m.initialize()
            mark = m.log_mark()
            write_backend_spec(d, "alpha", V2)
            m.wait_log(r"alpha pid:\d+\] Restarting server", start=mark)
            m.wait_log(r"alpha pid:\d+\] Restart #1 complete", start=mark)
            write_backend_spec(d, "beta", V2)
            m.wait_log(r"beta pid:\d+\] Restart #1 complete \(.*overlap",
                       start=mark)
            assert count_log(m, r"alpha.*Reloading", mark) == 0


def test_build_of_one_server_blocks_no_other():
    """build: per server. alpha's slow, failing build runs while beta
    reloads; alpha's old process keeps serving afterwards."""
    with tmpdir() as d:
        servers = {"alpha": {"raw": ["build: 'sleep 1; echo no >&2; "
                                     "exit 1'"]},
                   "beta": None}
        with start_gateway(d, {"alpha": V1, "beta": V1}, config=servers,
                           reload=None) as m:
            m.initialize()
            pa = backend_pid(m, "alpha")
            mark = m.log_mark()
            write_backend_spec(d, "alpha", V2)
            m.wait_log(r"alpha pid:\d+\] Building: sleep 1", start=mark)
            write_backend_spec(d, "beta", V2)
            m.wait_log(r"beta pid:\d+\] Restart #1 complete", start=mark)
            assert text_of(m.call_tool("beta__v")) == "two"
            line = m.wait_log(r"alpha\] Reload failed: the build failed "
                              r"\(exit code 1 after \d+ ms\)", start=mark)
            assert "still serving pid %d" % pa in line.string, line.string
            m.wait_log(r"alpha pid:\d+\] build \| no", start=mark)
            assert text_of(m.call_tool("alpha__v")) == "one"
            assert backend_pid(m, "alpha") == pa


def test_reload_key_checked():
    with tmpdir() as d:
        write_backend_spec(d, "alpha", {})
        write_config(d, {"alpha": {"raw": ["reload: sideways"]}},
                     reload=None)
        m = Gateway(["--config", config_path(d)])
        with m:
            assert m.wait_exit(10) == 2
            assert re.search(r"\.mcpmon\.yaml:\d+:\d+: expected overlap or "
                             r"stop-first for 'reload', got 'sideways'",
                             m.logs()), m.logs()


run_tests(globals())
