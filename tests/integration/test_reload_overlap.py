"""Single mode, reloads with overlap (issue 14, mcpmon's default): the new
server starts beside the old one, which serves until the new one is ready;
calls in flight finish on the old one (its progress and its requests to
the client still pass); a new server that fails before it is ready leaves
the old one serving, with "Reload failed" and why in the log; list_changed
only when a list changed. --reload stop-first keeps the old behaviour."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403

V1 = {"tools": [{"name": "version", "reply": "v1"}]}
V2 = {"tools": [{"name": "version", "description": "the second",
                 "reply": "v2"}]}


def status(sock, *args):
    """mcpmon status's output for the instance at sock."""
    return subprocess.run([mcpmon_path(), "status", sock] + list(args),
                          capture_output=True, text=True, timeout=10).stdout


def assert_stopped_before_started(m, mark, pid):
    """In the log since mark, pid stopped before a server started."""
    lines = m.log_lines()[mark:]
    stopped = next(i for i, ln in enumerate(lines)
                   if "pid:%d] Server stopped" % pid in ln)
    started = next(i for i, ln in enumerate(lines) if "Started:" in ln)
    assert stopped < started, lines


def version(m):
    return text_of(m.call_tool("version"))


def edit(m, d, spec, pattern=r"Restart #\d+ complete \(.*overlap"):
    """Rewrite the spec and wait for the reload's outcome line."""
    mark = m.log_mark()
    write_spec(spec_file(d), spec)
    return m.wait_log(pattern, start=mark).string


def test_call_in_flight_finishes_on_the_old_server():
    """A slow call sent before the reload gets its real answer from the
    old server; a call after the swap gets the new version at once; the
    old process is gone afterwards."""
    with tmpdir() as d:
        with start(d, V1, reload=None) as m:
            init(m)
            old = server_pid(m)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 1500}})
            wait_until(lambda: "tools/call" in state(m)["requests"])
            edit(m, d, V2)
            assert version(m) == "v2"  # the new server, while slow runs
            r = m.next_message(response_to(rid), timeout=10)
            assert text_of(r["result"]) == "slept 1500 ms", r
            m.wait_log(r"pid:%d\] Server stopped" % old)
            assert not pid_alive(old)
            assert server_pid(m) != old


def test_progress_and_requests_of_the_old_server_pass_during_its_drain():
    """The old server's call asks the client something (sampling) after
    the swap: the request reaches the client, its answer reaches the old
    server, and the call ends with it."""
    with tmpdir() as d:
        with start(d, V1, reload=None) as m:
            init(m, capabilities={"sampling": {}})
            rid = m.send_request("tools/call", {
                "name": "slow", "arguments": {"ms": 300}})
            sid = m.send_request("tools/call", {
                "name": "progress", "arguments": {"steps": 3,
                                                  "interval_ms": 150},
                "_meta": {"progressToken": "p1"}})
            wait_until(lambda: state_count(m, "tools/call") >= 2)
            edit(m, d, V2)
            assert version(m) == "v2"
            done = m.next_message(response_to(sid), timeout=10)
            assert text_of(done["result"]) == "done", done
            steps = [n for n in m.messages(notification(
                "notifications/progress"))
                if n["params"]["progressToken"] == "p1"]
            assert len(steps) >= 3, steps
            m.next_message(response_to(rid), timeout=10)


def state_count(m, method):
    return state(m)["requests"].count(method)


def test_sampling_of_the_old_server_during_its_drain():
    with tmpdir() as d:
        with start(d, V1, reload=None) as m:
            init(m, capabilities={"sampling": {}})
            edit_done = []
            cid = m.send_request("tools/call", {
                "name": "sample",
                "arguments": {"method": "sampling/createMessage",
                              "params": {"messages": [], "maxTokens": 1}}})
            q = m.next_message(server_request("sampling/createMessage"))
            edit_done.append(edit(m, d, V2))
            assert version(m) == "v2"
            m.respond(q, {"role": "assistant", "model": "m",
                          "content": {"type": "text", "text": "ok"}})
            r = m.next_message(response_to(cid), timeout=10)
            assert '"text": "ok"' in text_of(r["result"]) or \
                '"text":"ok"' in text_of(r["result"]), r


def test_broken_edit_keeps_the_old_server():
    """A new server that exits during its start: the old one keeps
    serving, the log says why with its stderr, the client hears nothing;
    the next good edit reloads."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start(d, V1, args=["--tui", sock], reload=None) as m:
            init(m)
            old = server_pid(m)
            line = edit(m, d, dict(V2, exit_on_start=3,
                                   stderr_on_start="SyntaxError: bad edit"),
                        pattern=r"Reload failed: .*")
            assert "it exited (exit code 3) during its handshake" in line, line
            assert "still serving pid %d" % old in line, line
            m.wait_log(r"\| SyntaxError: bad edit")
            assert version(m) == "v1"
            assert server_pid(m) == old
            # mcpmon status says so, as text and as JSON.
            out = status(sock)
            assert "LAST RELOAD" in out, out
            assert "start failed: it exited (exit code 3)" in out, out
            rl = json.loads(status(sock, "--json"))["backends"][0][
                "lastReload"]
            assert rl["outcome"] == "start failed", rl
            assert "exit code 3" in rl["message"], rl
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **THROUGH_SERVER)
            edit(m, d, V2)
            assert version(m) == "v2"
            m.next_message(notification(LIST_CHANGED))


def test_new_server_that_never_answers_initialize():
    with tmpdir() as d:
        with start(d, V1, args=["--init-timeout", "300"],
                   reload=None) as m:
            init(m)
            old = server_pid(m)
            line = edit(m, d, dict(V2, no_initialize_answer=True),
                        pattern=r"Reload failed: .*")
            assert "did not answer initialize within 300 ms" in line, line
            assert version(m) == "v1" and server_pid(m) == old


def test_list_changed_only_when_a_list_changed():
    """An edit that changes no list (here a spec key the tools do not
    show) reloads without a list_changed; one that changes a tool sends
    exactly one."""
    with tmpdir() as d:
        with start(d, V1, reload=None) as m:
            init(m)
            old = server_pid(m)
            edit(m, d, dict(V1, server_name="same tools"))
            assert server_pid(m) != old
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **THROUGH_SERVER)
            edit(m, d, V2)
            m.next_message(notification(LIST_CHANGED))
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **THROUGH_SERVER)


def test_state_replayed_to_the_new_server():
    """The new server gets the client's initialize params, the log level
    and the subscriptions before it serves."""
    with tmpdir() as d:
        spec = dict(V1, resources=[{"uri": "r://a", "text": "a"}],
                    capabilities={"tools": {}, "logging": {},
                                  "resources": {"subscribe": True}})
        with start(d, spec, reload=None) as m:
            init(m, client_info={"name": "overlap-client", "version": "9"})
            m.call("logging/setLevel", {"level": "warning"})
            m.call("resources/subscribe", {"uri": "r://a"})
            edit(m, d, dict(spec, tools=V2["tools"]))
            st = state(m)
            assert st["init_params"]["clientInfo"]["name"] == \
                "overlap-client", st
            assert st["log_level"] == "warning", st
            assert st["subscriptions"] == ["r://a"], st


def test_stop_first_never_overlaps():
    with tmpdir() as d:
        with start(d, V1, args=["-v"], reload="stop-first") as m:
            init(m)
            old = server_pid(m)
            mark = m.log_mark()
            write_spec(spec_file(d), V2)
            m.wait_log(r"Restart #1 complete", start=mark)
            assert_stopped_before_started(m, mark, old)
            assert version(m) == "v2"


def test_cancel_reaches_the_old_server():
    """CAN-1: a cancellation of a call the old server still runs reaches
    it (and the call gets no answer)."""
    with tmpdir() as d:
        with start(d, V1, reload=None) as m:
            init(m)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 5000}})
            wait_until(lambda: "tools/call" in state(m)["requests"])
            old = server_pid(m)
            edit(m, d, V2)
            m.notify("notifications/cancelled", {"requestId": rid})
            m.wait_log(r"pid:%d\] Server stopped" % old)
            m.expect_none_before_reply(response_to(rid), **THROUGH_SERVER)


def test_at_most_two_processes():
    """A reload asked for while the old server still drains a call waits
    for it: the third process starts only after the first has stopped,
    and the slow call still gets its result."""
    with tmpdir() as d:
        with start(d, V1, args=["-v"], reload=None) as m:
            init(m)
            first = server_pid(m)
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 1000}})
            wait_until(lambda: "tools/call" in state(m)["requests"])
            edit(m, d, V2)
            mark = m.log_mark()
            write_spec(spec_file(d), dict(V2, server_name="third"))
            m.wait_log(r"waits for the old server to finish", start=mark)
            r = m.next_message(response_to(rid), timeout=10)
            assert text_of(r["result"]) == "slept 1000 ms", r
            m.wait_log(r"Restart #2 complete", start=mark)
            assert_stopped_before_started(m, mark, first)


def test_build_fails_and_the_old_server_stays():
    """--build: its output goes to the log as "build | ..."; when it
    fails the old server keeps serving (in both reload modes) and mcpmon
    status says "build failed"; when it passes the reload goes on."""
    for mode in ("overlap", "stop-first"):
        with tmpdir() as d:
            flag = os.path.join(d, "broken")
            open(flag, "w").close()
            build = ("echo compiling; if [ -e %s ]; then echo 'error: bad "
                     "line' >&2; exit 2; fi" % flag)
            sock = os.path.join(d, "ctl.sock")
            with start(d, V1, args=["--build", build, "--tui", sock],
                       reload=mode) as m:
                init(m)
                old = server_pid(m)
                line = edit(m, d, V2, pattern=r"Reload failed: .*")
                assert ("the build failed (exit code 2 after" in line and
                        "still serving pid %d" % old in line), line
                m.wait_log(r"build \| compiling")
                m.wait_log(r"build \| error: bad line")
                assert version(m) == "v1" and server_pid(m) == old, mode
                rl = json.loads(status(sock, "--json"))["backends"][0][
                    "lastReload"]
                assert rl["outcome"] == "build failed", rl
                os.unlink(flag)
                edit(m, d, dict(V2, server_name="fixed"),
                     pattern=r"Restart #1 complete")
                assert version(m) == "v2", mode
                assert count_log(m, r"Build passed in \d+ ms") == 1


def test_dashboard_sees_an_overlap_reload_under_way():
    """Issue 15: during an overlap reload the state stays ready (the old
    server serves), so the snapshot says "reloading": "starting" until
    the swap, and null after it; a failed one clears it too."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start(d, V1, args=["--tui", sock], reload=None) as m:
            init(m)
            def snap():
                return json.loads(status(sock, "--json"))["backends"][0]
            assert snap()["reloading"] is None, snap()
            mark = m.log_mark()
            write_spec(spec_file(d), dict(V2, init_delay_ms=1500))
            m.wait_log(r"Reloading .*a new server starts beside", start=mark)
            b = snap()
            assert b["state"] == "ready" and b["reloading"] == "starting", b
            m.wait_log(r"Restart #1 complete", start=mark)
            wait_until(lambda: snap()["reloading"] is None, 10,
                       message="reloading cleared after the swap")
            mark = m.log_mark()
            write_spec(spec_file(d), dict(V2, exit_on_start=1))
            m.wait_log(r"Reload failed: ", start=mark)
            wait_until(lambda: snap()["reloading"] is None, 10,
                       message="reloading cleared after a failure")


def test_save_during_a_build_starts_it_again():
    """A save while the build runs kills that build and starts another;
    exactly one new server starts, after the second build."""
    with tmpdir() as d:
        runs = os.path.join(d, "runs.txt")
        build = "echo start >> %s; sleep 1; echo done >> %s" % (runs, runs)
        with start(d, V1, args=["--build", build], reload=None) as m:
            init(m)
            mark = m.log_mark()
            write_spec(spec_file(d), dict(V1, server_name="a"))
            wait_until(lambda: os.path.exists(runs))
            write_spec(spec_file(d), V2)
            m.wait_log(r"Files changed during the build", start=mark)
            m.wait_log(r"Restart #1 complete", start=mark, timeout=15)
            assert version(m) == "v2"
            with open(runs) as f:
                assert f.read().split() == ["start", "start", "done"]
            assert count_log(m, r"Started:", mark) == 1


run_tests(globals())
