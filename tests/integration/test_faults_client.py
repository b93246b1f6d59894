"""Faults of the client and of mcpmon's own life: an unknown method, a
response to a request nobody sent, a 100 MiB line, stdin closed in the
middle of a restart, the client killed with SIGKILL, and mcpmon stopped by
SIGTERM, SIGINT or SIGHUP in every state a backend can be held in. Each
time every request gets one answer, mcpmon exits 0 when it ends, and no
process is left. (Malformed JSON, batches and over-long lines at a small
--max-line are in test_malformed.py; SIGTERM/SIGINT/SIGHUP with a ready
server in test_shutdown.py.)"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
import singlemode as sm  # noqa: E402
import gatewaymode as gm  # noqa: E402
from faults import (MIB, Ctl, finish, is_asan, memory_env,  # noqa: E402
                    peak_kib)

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def test_unknown_method():
    # Single mode forwards it (the server may know it) and relays the
    # server's -32601; the gateway answers -32601 itself and sends it
    # nowhere. Both keep the client's id exactly.
    with tmpdir() as d:
        with sm.start(d) as m:
            sm.init(m)
            r = m.request("vendor/frobnicate", {"x": 1}, id="u-1")
            assert r["error"]["code"] == -32601, r
            assert same_id(r["id"], "u-1"), r
            assert "vendor/frobnicate" in sm.state(m)["requests"]
            assert text_of(m.call_tool("echo", {"text": "a"})) == "a"
            finish(m)
    with tmpdir() as d:
        with gm.start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            r = m.request("vendor/frobnicate", {"x": 1}, id=4242)
            assert r["error"]["code"] == -32601, r
            assert "vendor/frobnicate" in r["error"]["message"], r
            assert same_id(r["id"], 4242), r
            assert "vendor/frobnicate" not in gm.state(m, "alpha")["requests"]


def _stray_responses(m):
    """Responses to requests that nobody sent, and a second answer to
    one that was answered already; all dropped."""
    for line in ({"jsonrpc": "2.0", "id": 987654, "result": {}},
                 {"jsonrpc": "2.0", "id": "nobody", "result": {"x": 1}},
                 {"jsonrpc": "2.0", "id": 3, "error": {
                     "code": -32000, "message": "no such request"}}):
        m.send(line)
    # mcpmon reads them before this ping: whatever it answered to them
    # would come first.
    m.expect_none_before_reply()


def test_response_to_a_request_nobody_sent():
    with tmpdir() as d:
        with sm.start(d, args=["--debug"]) as m:
            sm.init(m)
            _stray_responses(m)
            m.wait_log(r"dropped a client response to unknown id 987654")
            # A server request answered twice: the server gets the first.
            call = m.send_request("tools/call", {
                "name": "sample", "arguments": {"method": "roots/list"}})
            req = m.next_message(server_request("roots/list"))
            m.respond(req, {"roots": [{"uri": "file:///one"}]})
            m.respond(req, {"roots": [{"uri": "file:///two"}]})
            r = m.next_message(response_to(call))
            assert "file:///one" in text_of(r["result"]), r
            assert text_of(m.call_tool("echo", {"text": "on"})) == "on"
            # stderr is read by its own thread: wait for the fourth line.
            wait_until(lambda: sm.count_log(m, r"response to unknown id") >= 4,
                       message="four 'response to unknown id' lines")
            assert sm.count_log(m, r"response to unknown id") == 4, m.logs()
            assert "testserver: response to unknown id" not in m.logs()
            finish(m)
    with tmpdir() as d:
        with gm.start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            _stray_responses(m)
            for name in ("alpha", "beta"):
                r = m.call_tool(name + "__echo", {"text": name})
                assert text_of(r) == name, r
            assert "response to unknown id" not in m.logs()


def test_100mib_line_from_the_client():
    # Refused with -32600 naming the limit (the id read from the line's
    # start), never held whole, never forwarded; the session goes on.
    body = b'"params":{"name":"echo","arguments":{"text":"' + \
        b"z" * (100 * MIB) + b'"}}}\n'
    for args, limit in (([], 64 * MIB), (["--max-line", "1M"], MIB)):
        with tmpdir() as d:
            with sm.start(d, args=args, env=memory_env()) as m:
                sm.init(m)
                base = peak_kib(m.pid)
                m.send_raw(b'{"jsonrpc":"2.0","id":77,"method":"tools/call",'
                           + body)
                err = sm.error_of(m.next_message(response_to(77),
                                                 timeout=60), -32600)
                assert "limit of %d bytes (--max-line)" % limit in \
                    err["message"], err
                m.wait_log(r"Client sent a 1048\d{5}-byte message, over the "
                           r"%d-byte limit" % limit)
                grown = (peak_kib(m.pid) - base) * 1024
                bound = limit * (9 if is_asan() else 4) // 4 + 16 * MIB
                print("  client's 100 MiB line, --max-line %d MiB: peak RSS "
                      "grew %.1f MiB" % (limit // MIB, grown / MIB))
                assert grown < bound, (args, grown // MIB)
                assert text_of(m.call_tool("echo", {"text": "s"})) == "s"
                assert sm.state(m)["requests"].count("tools/call") == 2
                finish(m)


test_100mib_line_from_the_client.timeout = 120


def test_stdin_closed_in_the_middle_of_a_restart():
    # 1: the new server is in its (slow) handshake; 2: the old one ignores
    # SIGTERM and is still being stopped. Either way the request queued
    # before the client's EOF is delivered once the new server is ready
    # and answered (issue 12 item 6), the one the old server had gets its
    # error, everything stops and mcpmon exits 0.
    for spec, args, wait_for in (
            ({"init_delay_ms": 1500}, [], r"Started:"),
            ({"ignore_sigterm": True, "ignore_stdin_eof": True,
              "grandchild": True}, ["--grace", "800"], r"Restarting server")):
        with tmpdir() as d:
            first = dict(spec)
            first.pop("init_delay_ms", None)
            with sm.start(d, first, args=args) as m:
                sm.init(m)
                old = processes_in_group(sm.server_pid(m))
                slow = m.send_request("tools/call", {
                    "name": "slow", "arguments": {"ms": 60000}})
                assert text_of(m.call_tool("echo", {"text": "x"})) == "x"
                mark = m.log_mark()
                write_spec(sm.spec_file(d), dict(spec, server_name="new"))
                m.wait_log(r"Restarting server", start=mark)
                m.wait_log(wait_for, start=mark)
                queued = m.send_request("tools/call", {
                    "name": "echo", "arguments": {"text": "q"}})
                m.close_stdin()
                err = sm.error_of(m.next_message(response_to(slow)))
                assert err["data"]["reason"] == "restart", err
                r = m.next_message(response_to(queued))
                assert text_of(r.get("result")) == "q", r
                assert m.wait_exit() == 0, m.logs()
                assert not any(pid_alive(p) for p in old), old
                m.wait_log(r"Shutting down \(the client closed stdin\)")
                m.wait_log(r"Every request answered after the end of input")
    # Gateway: alpha in its restart, beta busy with a call longer than its
    # grace (1000 ms in gatewaymode's config): the queued call is answered, the busy one gets "shutdown"
    # once the grace is over.
    with tmpdir() as d:
        with gm.start_gateway(d, {"alpha": {},
                                  "beta": {"ignore_stdin_eof": True}}) as m:
            m.initialize()
            gm.tool_names(m)
            busy = m.send_request("tools/call", {
                "name": "beta__slow", "arguments": {"ms": 60000}})
            mark = m.log_mark()
            gm.write_backend_spec(d, "alpha", {"init_delay_ms": 1500})
            m.wait_log(r"alpha.*Started:", start=mark)
            queued = m.send_request("tools/call", {
                "name": "alpha__echo", "arguments": {"text": "q"}})
            m.close_stdin()
            r = m.next_message(response_to(queued))
            assert text_of(r.get("result")) == "q", r
            err = gm.error_of(m.next_message(response_to(busy)))
            assert err["data"]["reason"] == "shutdown", err
            assert m.wait_exit() == 0, m.logs()
            m.wait_log(r"beta.*1 request still unanswered 1000 ms after the "
                       r"end of input")


def test_requests_during_a_slow_start_are_bounded():
    # Issue 12 item 5: 160 MiB of requests while the server is still in
    # its handshake. Before: all of it queued (163 MiB RSS). Now at most
    # 64 MiB waits; the rest is answered at once with "backpressure", and
    # mcpmon answers ping meanwhile.
    with tmpdir() as d:
        with sm.start(d, {"init_delay_ms": 600000},
                      args=["--queue-timeout", "600000"],
                      env=memory_env()) as m:
            m.send_request("initialize", {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}})
            m.wait_log(r"Started:")
            base = peak_kib(m.pid)
            text = "x" * MIB
            ids = [m.send_request("tools/call", {
                "name": "echo", "arguments": {"text": text}})
                for _ in range(160)]
            refused = 0
            for rid in ids[64:]:
                err = sm.error_of(m.next_message(response_to(rid),
                                                 timeout=60))
                assert err["data"]["reason"] == "backpressure", err
                refused += 1
            assert m.request("ping")["result"] == {}
            grown = (peak_kib(m.pid) - base) * 1024
            print("  160 MiB sent: %d refused, mcpmon grew %.0f MiB"
                  % (refused, grown / MIB))
            assert grown < 110 * MIB, grown / MIB
            m.wait_log(r"messages \(\d+ MiB\) are waiting for the server; "
                       r"refusing more until it is ready")
            os.kill(m.pid, signal.SIGTERM)
            for rid in ids[:64]:
                r = m.next_message(response_to(rid), timeout=60)
                assert "error" in r, r
            assert m.wait_exit() == 0, m.logs()


# The client of test_client_killed: starts mcpmon (argv[2:]) as an MCP
# client would, initializes, calls the tools named in argv[1] to learn the
# servers' pids, reports them as one JSON line, and waits to be killed.
CLIENT = r"""
import json, subprocess, sys, time
tools = json.loads(sys.argv[1])
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
def rpc(i, method, params):
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                               "params": params}) + "\n").encode())
    p.stdin.flush()
    while True:
        msg = json.loads(p.stdout.readline())
        if msg.get("id") == i:
            return msg["result"]
rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                      "clientInfo": {"name": "doomed", "version": "1"}})
p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
pids = [int(rpc(n + 1, "tools/call", {"name": t, "arguments": {}})
            ["content"][0]["text"]) for n, t in enumerate(tools)]
print(json.dumps({"jsonrpc": "2.0", "method": "doomed/ready",
                  "params": {"mcpmon": p.pid, "servers": pids}}), flush=True)
time.sleep(3600)
"""


def _client_killed(argv, tools, server_tree):
    """Run CLIENT over mcpmon argv, SIGKILL the client, and check that
    mcpmon (now the test's child, as subreaper) exits 0 having stopped
    every server process (server_tree(pid) -> the pids that must go)."""
    with Proc([sys.executable, "-c", CLIENT, json.dumps(tools),
               mcpmon_path()] + argv, name="client") as client:
        ready = client.next_message(notification("doomed/ready"),
                                    timeout=20)["params"]
        pid = ready["mcpmon"]
        doomed = []
        for s in ready["servers"]:
            doomed += server_tree(s)
        assert all(pid_alive(p) for p in doomed), doomed
        os.kill(client.pid, signal.SIGKILL)
        assert client.wait_exit() == -signal.SIGKILL
        # mcpmon sees stdin EOF (and EPIPE on stdout) and shuts down.
        status = {}

        def reaped():
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return not pid_alive(pid) and "gone"
            if got == pid:
                status["st"] = st
            return got == pid
        wait_until(reaped, 10, message="mcpmon %d to exit" % pid)
        if "st" in status:  # reaped by us: its status is known
            assert os.waitstatus_to_exitcode(status["st"]) == 0, status
        assert not any(pid_alive(p) for p in doomed), [
            proc_info(p) for p in doomed if pid_alive(p)]
        assert not leftover_processes(), leftover_processes()


def test_client_killed():
    with tmpdir() as d:
        spec = sm.spec_file(d)
        write_spec(spec, {"grandchild": True, "ignore_stdin_eof": True})
        _client_killed(["--watch", d, "--ext", "json", "--"] +
                       testserver_cmd(spec), ["pid"], processes_in_group)
    with tmpdir() as d:
        for name in ("alpha", "beta"):
            gm.write_backend_spec(d, name, {"grandchild": True})
        gm.write_config(d, {"alpha": None, "beta": None})
        _client_killed(["--config", gm.config_path(d)],
                       ["alpha__pid", "beta__pid"], processes_in_group)


# ---- mcpmon stopped by a signal in every backend state -------------------

def _family(ctl, name="server"):
    """The processes of a backend's group, from its pid in a snapshot."""
    pid = ctl.backends()[name]["pid"]
    return processes_in_group(pid) if pid else []


def _single_in_state(d, state, sock):
    """Start single-mode mcpmon and bring its backend to state; returns
    (mcpmon, the processes that must be gone after it exits)."""
    # restarting lasts as long as the grace period of a server that
    # ignores SIGTERM: long enough to look even on a loaded machine.
    base = ["--tui", sock, "--grace",
            "1500" if state == "restarting" else "300"]
    if state == "waiting":  # the command cannot start: waiting at once
        m = Mcpmon(["--watch", d, "--ext", "json"] + base +
                   ["--", os.path.join(d, "no-such-server")])
        return m, []
    spec = {"grandchild": True}
    if state == "initializing":
        spec["no_initialize_answer"] = True
    elif state == "restarting":
        spec.update(ignore_sigterm=True, ignore_stdin_eof=True)
    elif state == "crashed":
        spec["exit_on_start"] = 3
    m = sm.start(d, spec, args=base)
    if state == "initializing":
        m.send_request("initialize", {"protocolVersion": "2025-11-25",
                                      "capabilities": {}})
    elif state == "restarting":
        sm.init(m)
        write_spec(sm.spec_file(d), dict(spec, server_name="next"))
    elif state == "crashed":
        # The third backoff is a second long: time to look.
        m.wait_log(r"Restarting in 1000 ms \(crash 3 of 5\)")
    return m, None


def test_signals_in_every_state_single():
    # ready is test_shutdown.py's.
    for state in ("starting", "initializing", "restarting", "crashed",
                  "waiting"):
        for sig in SIGNALS:
            with tmpdir() as d:
                sock = os.path.join(d, "ctl.sock")
                m, family = _single_in_state(d, state, sock)
                with m:
                    ctl = Ctl(sock)
                    ctl.wait_state("server", state)
                    if family is None:
                        family = _family(ctl)
                    ctl.close()
                    m.signal(sig)
                    rc = m.wait_exit()
                    assert rc == 0, (state, sig, rc, m.logs())
                    m.wait_log(r"Shutting down \(%s\)" % sig.name)
                    assert not any(pid_alive(p) for p in family), (
                        state, sig, family)


test_signals_in_every_state_single.timeout = 90


def _gateway_every_state(d, sock):
    """A gateway whose backends are ready (alpha), initializing (beta),
    restarting (gamma: ignores SIGTERM, 2 s grace), crashed (delta: in its
    backoff) and waiting (epsilon: its command does not exist)."""
    specs = {"alpha": {}, "beta": {"no_initialize_answer": True},
             "gamma": {"ignore_sigterm": True, "ignore_stdin_eof": True,
                       "grandchild": True},
             "delta": {"exit_on_start": 3}, "epsilon": {}}
    for name, spec in specs.items():
        gm.write_backend_spec(d, name, spec)
    text = gm.config_text(d, {n: None for n in specs})
    out, block = [], None
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            block = json.loads(line.strip().rstrip(":"))
        if block == "epsilon" and line.startswith("    command:"):
            line = "    command: %s" % json.dumps(os.path.join(d, "nothing"))
        if block == "gamma" and line.startswith("    grace:"):
            line = "    grace: 2000"
        out.append(line)
    gm.write_config_text(d, "\n".join(out) + "\n")
    m = gm.Gateway(["--config", gm.config_path(d), "--tui", sock])
    return m, specs


def test_signals_in_every_state_gateway():
    for sig in SIGNALS:
        with tmpdir() as d:
            sock = os.path.join(d, "ctl.sock")
            m, specs = _gateway_every_state(d, sock)
            with m:
                ctl = Ctl(sock)
                # Before the client's initialize every backend is starting.
                assert ctl.wait_state("alpha", "starting")
                m.initialize()
                m.wait_log(r"delta.*Restarting in 1000 ms \(crash 3 of 5\)",
                           timeout=15)
                gm.write_backend_spec(d, "gamma", dict(specs["gamma"],
                                                       server_name="g2"))
                want = {"alpha": "ready", "beta": "initializing",
                        "gamma": "restarting", "delta": "crashed",
                        "epsilon": "waiting"}
                seen = {}

                def all_there():
                    seen.update(ctl.backends())
                    return all(seen[n]["state"] == s for n, s in want.items())
                wait_until(all_there, 10, interval=0.02,
                           message="every state at once")
                family = []
                for name in want:
                    family += _family(ctl, name)
                assert family
                ctl.close()
                m.signal(sig)
                assert m.wait_exit() == 0, m.logs()
                m.wait_log(r"Shutting down \(%s\)" % sig.name)
                assert not any(pid_alive(p) for p in family), family
        # And before any initialize, every backend starting.
        with tmpdir() as d:
            sock = os.path.join(d, "ctl.sock")
            with gm.start_gateway(d, {"alpha": {"grandchild": True},
                                      "beta": {}},
                                  args=["--tui", sock]) as m:
                ctl = Ctl(sock)
                ctl.wait_state("beta", "starting")
                family = _family(ctl, "alpha") + _family(ctl, "beta")
                ctl.close()
                m.signal(sig)
                assert m.wait_exit() == 0, m.logs()
                assert not any(pid_alive(p) for p in family), family


test_signals_in_every_state_gateway.timeout = 90


if __name__ == "__main__":
    run_tests(globals())
