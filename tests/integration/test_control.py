"""The control socket as the core serves it (docs/control-protocol.md):
hello, snapshot and events, restart, permissions, other users refused,
garbage answered, a client that stops reading dropped while MCP traffic
keeps flowing, stale sockets replaced, the file removed on exit."""
import socket
import stat

from mcptest import *
from faults import Ctl
from gatewaymode import start_gateway
from singlemode import init, server_pid, spec_file, start


def with_core(d, sock, args=(), **kw):
    return start(d, args=["--tui", sock] + list(args), **kw)


def wait_socket(path):
    wait_until(lambda: os.path.exists(path), message="control socket " + path)


def test_hello_snapshot_events_and_restart():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with with_core(d, sock) as m:
            init(m)
            wait_socket(sock)
            c = Ctl(sock)
            hello = c.hello
            assert hello["type"] == "hello" and hello["mcpmon"] == 1, hello
            assert hello["pid"] == m.pid
            c.send({"cmd": "subscribe", "id": "s1"})
            snap = c.until(lambda o: o["type"] == "snapshot")
            assert snap["id"] == "s1"
            assert snap["instance"]["mode"] == "single"
            assert snap["instance"]["socket"] == sock
            (b,) = snap["backends"]
            assert b["name"] == "server" and b["state"] == "ready", b
            assert b["pid"] == server_pid(m)
            assert b["restarts"] == 0
            assert any("Server ready" in l["text"] for l in b["log"]), b["log"]
            # A request produces a traffic event with the tool's name.
            m.call_tool("echo", {"text": "hi"})
            t = c.until(lambda o: o["type"] == "traffic" and
                        o.get("tool") == "echo" and not o["running"])
            assert t["method"] == "tools/call" and t["ok"] is True
            c.send({"cmd": "traffic", "seq": t["seq"], "id": 2})
            det = c.until(lambda o: o["type"] == "traffic_detail")
            assert det["request"]["params"]["name"] == "echo", det
            assert det["response"]["result"]["content"][0]["text"] == "hi"
            # restart: answered, then the state goes around to restarts 1.
            c.send({"cmd": "restart", "id": 7})
            res = c.until(lambda o: o["type"] == "result")
            assert res == {"type": "result", "id": 7, "ok": True}, res
            c.until(lambda o: o["type"] == "state" and o["state"] == "ready"
                    and o["restarts"] == 1)
            c.until(lambda o: o["type"] == "list_changed" and
                    o["relisted"] is False)
            m.request("tools/list")
            c.until(lambda o: o["type"] == "list_changed" and
                    o["relisted"] is True)
            c.send({"cmd": "restart", "backend": "nope"})
            bad = c.until(lambda o: o["type"] == "result")
            assert bad["ok"] is False and "nope" in bad["error"], bad
            assert bad["backends"] == ["server"]
            c.close()


def test_traffic_counts_queue_time_and_unsent_requests():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with with_core(d, sock) as m:
            init(m)
            wait_socket(sock)
            c = Ctl(sock)
            c.send({"cmd": "subscribe"})
            c.until(lambda o: o["type"] == "snapshot")
            # The detail shows both bodies with the client's own id.
            rid = m.send_request("tools/call",
                                 {"name": "echo", "arguments": {"text": "x"}},
                                 id="req-1")
            m.wait_message(response_to(rid))
            t = c.until(lambda o: o["type"] == "traffic" and not o["running"])
            c.send({"cmd": "traffic", "seq": t["seq"]})
            det = c.until(lambda o: o["type"] == "traffic_detail")
            assert det["request"]["id"] == "req-1", det
            assert det["response"]["id"] == "req-1", det
            # The server's own error (passed on as text): a failed line
            # with its message, and the body the client got.
            resp = m.request("tools/call", {"name": "nope", "arguments": {}},
                             id="req-2")
            assert "error" in resp, resp
            bad = c.until(lambda o: o["type"] == "traffic" and
                          o["ok"] is False)
            assert bad["error"] == resp["error"]["message"], bad
            c.send({"cmd": "traffic", "seq": bad["seq"]})
            det = c.until(lambda o: o["type"] == "traffic_detail")
            assert det["response"] == resp, det
            # A server that crashes for good: calls never reach it, yet each
            # one shows up as a failed traffic line.
            write_spec(spec_file(d), {"exit_on_start": 3})
            m.wait_log(r"waiting for file changes", timeout=20)
            resp = m.request("tools/call", {"name": "echo",
                                            "arguments": {"text": "y"}})
            assert resp["error"]["code"] == -32603, resp
            bad = c.until(lambda o: o["type"] == "traffic" and
                          o["ok"] is False)
            assert bad.get("tool") == "echo" and "crashed" in bad["error"], bad
            c.close()


def test_traffic_in_flight_errors_and_what_mcpmon_answers():
    """Issue 15 defects 4 and 5: a call shows while it runs (start time,
    then its answer under the same seq); a tool result with isError is a
    failure with its text; ping (mcpmon's answer) and tools/list are
    traffic too; a server's request to the client shows with direction
    "server" until the client answers; the server's notifications/message
    is a log line of source "server" with its level."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        spec = {"tools": [{"name": "broken", "reply": "disk on fire",
                           "is_error": True}]}
        with with_core(d, sock, spec=spec) as m:
            init(m, capabilities={"sampling": {}})
            c = Ctl(sock)
            c.send({"cmd": "subscribe"})
            c.until(lambda o: o["type"] == "snapshot")
            # In flight: the entry comes before the answer.
            rid = m.send_request("tools/call",
                                 {"name": "slow", "arguments": {"ms": 300}})
            run = c.until(lambda o: o["type"] == "traffic" and
                          o.get("tool") == "slow")
            assert run["running"] is True and run["direction"] == "client"
            m.wait_message(response_to(rid))
            done = c.until(lambda o: o["type"] == "traffic" and
                           o["seq"] == run["seq"])
            assert done["running"] is False and done["ok"] is True, done
            assert done["t"] == run["t"], (run, done)  # TIME is the start
            # isError: ok false with the tool's text.
            m.call_tool("broken")
            bad = c.until(lambda o: o["type"] == "traffic" and
                          o.get("tool") == "broken" and not o["running"])
            assert bad["ok"] is False and bad["error"] == "disk on fire", bad
            # Methods other than tools/call, mcpmon's own answers included.
            assert m.call("ping") == {}
            p = c.until(lambda o: o["type"] == "traffic" and
                        o["method"] == "ping")
            assert p["ok"] is True and p["backend"] == "server", p
            m.request("tools/list")
            c.until(lambda o: o["type"] == "traffic" and
                    o["method"] == "tools/list" and not o["running"])
            # A server-to-client request: running until the client answers.
            call = m.send_request("tools/call", {"name": "sample",
                                                 "arguments": {
                                                     "method": "sampling/createMessage",
                                                     "params": {}}})
            req = m.next_message(server_request("sampling/createMessage"))
            s = c.until(lambda o: o["type"] == "traffic" and
                        o["method"] == "sampling/createMessage")
            assert s["running"] is True and s["direction"] == "server", s
            m.respond(req, {"role": "assistant", "model": "m",
                            "content": {"type": "text", "text": "x"}})
            m.next_message(response_to(call))
            s2 = c.until(lambda o: o["type"] == "traffic" and
                         o["seq"] == s["seq"])
            assert s2["running"] is False and s2["ok"] is True, s2
            c.send({"cmd": "traffic", "seq": s["seq"]})
            det = c.until(lambda o: o["type"] == "traffic_detail")
            assert det["request"]["method"] == "sampling/createMessage", det
            assert det["response"]["result"]["model"] == "m", det
            # LOG-2: the server's own log message, with its level.
            m.call_tool("log", {"level": "warning", "data": "disk 91% full"})
            line = c.until(lambda o: o["type"] == "log" and
                           o["source"] == "server")
            assert line["level"] == "warn", line
            assert line["text"] == "testserver: disk 91% full", line  # logger: data
            assert line["backend"] == "server", line
            c.close()


def test_bodies_kept_while_nobody_is_subscribed():
    """Issue 15: an entry recorded before any dashboard attached still
    has its request and response."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with with_core(d, sock) as m:
            init(m)
            m.call_tool("echo", {"text": "before anyone looked"})
            c = Ctl(sock)
            snap = c.ask({"cmd": "snapshot"}, "snapshot")
            (t,) = [t for t in snap["backends"][0]["traffic"]
                    if t.get("tool") == "echo"]
            assert t["running"] is False, t
            det = c.ask({"cmd": "traffic", "seq": t["seq"]}, "traffic_detail")
            assert det["request"]["params"]["name"] == "echo", det
            text = det["response"]["result"]["content"][0]["text"]
            assert text == "before anyone looked", det
            assert "note" not in det, det
            c.close()


def test_gateway_unknown_tool_is_traffic_of_the_server_meant():
    """Issue 15: errors the gateway answers itself are traffic: an unknown
    tool of a known server on that server's row, a name of no server and
    the merged tools/list at gateway level ("backend": null)."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"a": {}, "b": {}},
                           args=["--tui", sock]) as m:
            m.initialize()
            m.call("tools/list")
            c = Ctl(sock)
            c.send({"cmd": "subscribe"})
            c.until(lambda o: o["type"] == "snapshot")
            resp = m.request("tools/call", {"name": "a__nope",
                                            "arguments": {}})
            assert resp["error"]["code"] == -32602, resp
            t = c.until(lambda o: o["type"] == "traffic" and
                        o.get("tool") == "a__nope")
            assert t["backend"] == "a" and t["ok"] is False, t
            assert "Unknown tool" in t["error"], t
            m.request("tools/call", {"name": "zzz", "arguments": {}})
            t = c.until(lambda o: o["type"] == "traffic" and
                        o.get("tool") == "zzz")
            assert t["backend"] is None and t["ok"] is False, t
            det = c.ask({"cmd": "traffic", "seq": t["seq"]}, "traffic_detail")
            assert det["backend"] is None, det
            assert det["response"]["error"]["code"] == -32602, det
            m.call("tools/list")
            t = c.until(lambda o: o["type"] == "traffic" and
                        o["method"] == "tools/list")
            assert t["backend"] is None and t["ok"] is True, t
            assert m.call("ping") == {}
            c.until(lambda o: o["type"] == "traffic" and
                    o["method"] == "ping" and o["backend"] is None)
            c.close()
            # A dashboard that attaches later sees them too: the
            # snapshot's top-level traffic (the gateway's own).
            snap = Ctl(sock).ask({"cmd": "snapshot"}, "snapshot")
            own = [(e["method"], e.get("tool")) for e in snap["traffic"]]
            assert ("tools/list", None) in own and ("ping", None) in own, own
            assert ("tools/call", "zzz") in own, own
            assert all(e["backend"] is None for e in snap["traffic"]), snap


def test_gateway_answers_given_later_are_traffic_too():
    """Issue 15: a first tools/list that waits for a server still starting,
    and a call held until the lists arrive, are traffic when the gateway
    answers them, timed from their arrival."""
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"a": {}, "slow": {"tools_list_delay_ms": 800}},
                           args=["--tui", sock]) as m:
            m.initialize()
            lid = m.send_request("tools/list", {})
            cid = m.send_request("tools/call", {"name": "slow__nope",
                                                "arguments": {}})
            r = m.next_message(response_to(lid), timeout=10)
            assert "slow__echo" in [t["name"] for t in r["result"]["tools"]]
            r = m.next_message(response_to(cid), timeout=10)
            assert r["error"]["code"] == -32602, r
            snap = Ctl(sock).ask({"cmd": "snapshot"}, "snapshot")
            lists = [e for e in snap["traffic"]
                     if e["method"] == "tools/list"]
            assert lists and lists[0]["ok"] is True, snap["traffic"]
            assert lists[0]["ms"] >= 100, lists  # it waited for "slow"
            slow = [b for b in snap["backends"] if b["name"] == "slow"][0]
            calls = [e for e in slow["traffic"] if e.get("tool") ==
                     "slow__nope"]
            assert calls and calls[0]["ok"] is False, slow["traffic"]


def test_permissions_and_removal_on_exit():
    with tmpdir() as d:
        run = os.path.join(d, "run")
        os.mkdir(run, 0o755)
        env = {"XDG_RUNTIME_DIR": run}
        with start(d, env=env) as m:
            init(m)
            sock = os.path.join(run, "mcpmon", "%d.sock" % m.pid)
            wait_socket(sock)
            assert stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700
            st = os.stat(sock)
            assert stat.S_ISSOCK(st.st_mode)
            assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
            m.close_stdin()
            assert m.wait_exit() == 0
            assert not os.path.exists(sock), "socket left behind"


def _connect_as_nobody(path):
    """Connects as uid 65534 in a child; returns what it read, or the
    error it got."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            os.write(w, b"read:" + data)
        except Exception as e:
            os.write(w, ("error:%s" % e).encode())
        os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode()


def test_other_user_refused():
    if os.getuid() != 0:
        raise Skip("needs root to act as another user")
    with tmpdir() as d:
        pub = os.path.join(d, "pub")
        os.mkdir(pub)
        os.chmod(d, 0o755)
        # Open to all as /tmp is: sticky, or the core refuses the folder.
        os.chmod(pub, 0o1777)
        sock = os.path.join(pub, "ctl.sock")
        with with_core(d, sock) as m:
            init(m)
            wait_socket(sock)
            # As created, the socket (0600) keeps other users out.
            got = _connect_as_nobody(sock)
            assert got.startswith("error:") and "ermission" in got, got
            # Even if the file is opened up, the peer check refuses them.
            os.chmod(sock, 0o666)
            got = _connect_as_nobody(sock)
            assert got.startswith("read:"), got
            assert "permission denied" in got, got
            assert '"hello"' not in got, got
            m.wait_log(r"Refused a control connection from uid 65534")
            # The owner still gets in, and MCP is unaffected.
            c = Ctl(sock)
            c.close()
            assert text_of(m.call_tool("echo", {"text": "ok"})) == "ok"


def test_garbage_gets_errors_core_unaffected():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with with_core(d, sock) as m:
            init(m)
            wait_socket(sock)
            c = Ctl(sock)
            for junk in [b"garbage", b"[1,2]", b'{"cmd": 5}',
                         b'{"cmd":"nope","id":3}', b'{"cmd":"traffic"}',
                         b"\xff\xfe{", b"{" * 5000]:
                c.send(junk)
                err = c.until(lambda o: o["type"] == "error")
                assert err["message"], err
            c.send({"cmd": "snapshot"})
            assert c.until(lambda o: o["type"] == "snapshot")["backends"]
            # An over-long command is refused and the connection closed.
            try:  # the core may close while we are still sending
                c.send(b"x" * (5 * 64 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass
            # The core closes the connection: EOF (or a reset, when our
            # unread bytes were still in its buffer). A connection still
            # open at the read timeout (Ctl's, 10 s) fails the test.
            with_err = None
            try:
                while True:
                    o = c.line()
                    if o["type"] == "error":
                        with_err = o
            except (EOFError, ConnectionResetError):
                pass
            except socket.timeout:
                raise AssertionError("the connection is still open after "
                                     "an over-long command")
            assert with_err is not None and "limit" in with_err["message"]
            assert text_of(m.call_tool("echo", {"text": "still"})) == "still"


def test_client_that_never_reads_is_dropped():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        # The log file, not stderr: with 60,000 lines in flight stderr may
        # drop some (it never blocks the loop); the file gets every line.
        logf = os.path.join(d, "ml.log")
        with with_core(d, sock, args=["-v", "-l", logf]) as m:
            init(m)
            wait_socket(sock)
            lazy = Ctl(sock)
            lazy.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            lazy.send({"cmd": "subscribe"})
            # Each stderr line becomes a log event; 60,000 lines of ~100
            # bytes are well over the 4 MiB a client may have waiting.
            for _ in range(6):
                m.call_tool("stderr", {"text": "z" * 90, "count": 10000},
                            timeout=30)
            def dropped():
                with open(logf, errors="replace") as f:
                    return "Control client dropped: it stopped reading" \
                        in f.read()
            wait_until(dropped, timeout=30, interval=0.1,
                       message="the dropped client in " + logf)
            # MCP kept flowing all along and still does.
            assert text_of(m.call_tool("echo", {"text": "alive"})) == "alive"
            lazy.close()


def test_stale_socket_replaced_live_one_kept():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(sock)
        stale.close()  # the file stays, nobody listens: stale
        with with_core(d, sock) as m:
            init(m)
            c = Ctl(sock)
            c.close()
            # A second core on the same path must not steal it.
            with tmpdir() as d2, with_core(d2, sock) as m2:
                init(m2)
                m2.wait_log(r"another mcpmon is serving")
                c = Ctl(sock)
                assert c.hello["pid"] == m.pid
                c.close()


run_tests(globals())
