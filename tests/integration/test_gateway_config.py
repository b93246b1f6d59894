"""Gateway mode, the config file: errors at start (exit 2 with
file:line:col), hot add / remove / change of backends with list_changed
(GW-5), an invalid edit that changes nothing, disabled servers, and name
collisions between servers (NAME-2)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403


def _exit_2(d, text, pattern):
    path = write_config_text(d, text)
    with Mcpmon(["--config", path]) as m:
        assert m.wait_exit() == 2, m.logs()
        assert re.search(pattern, m.logs()), m.logs()
        assert m.messages() == [], m.messages()
    return m


def test_config_error_at_start_exits_2():
    """A config that fails to load: one clear file:line:col message on
    stderr, nothing on stdout, exit 2, no server started."""
    with tmpdir() as d:
        write_backend_spec(d, "alpha", {})
        good = config_text(d, {"alpha": None})
        # An unknown key, with a suggestion: line 4 (after servers:,
        # alpha:, command:), column 5.
        bad = good.replace("    args:", "    watchh: x\n    args:", 1)
        _exit_2(d, bad, r"mcpmon: .*\.mcpmon\.yaml:4:5: unknown key "
                r"'watchh'.*\(did you mean 'watch'\?\)")
        # A missing command.
        lines = [ln for ln in good.splitlines()
                 if not ln.startswith("    command:")]
        _exit_2(d, "\n".join(lines) + "\n",
                r"\.mcpmon\.yaml:\d+:\d+: .*command")
        # A wrong type.
        _exit_2(d, good.replace("    delay: 20", "    delay: soon"),
                r"\.mcpmon\.yaml:\d+:\d+: .*delay")
        # Not YAML at all.
        _exit_2(d, "servers: [\n", r"\.mcpmon\.yaml:\d+:\d+: ")
        # An empty file, and no file.
        _exit_2(d, "", r"\.mcpmon\.yaml")
        with Mcpmon(["--config", os.path.join(d, "none.yaml")]) as m:
            assert m.wait_exit() == 2
            assert "none.yaml" in m.logs(), m.logs()
        assert leftover_processes() == []


def test_relative_paths_variables_env_and_anchors():
    """The config as a user writes it: watch and cwd relative to the
    config file, $VAR in args, env added to the server's environment, an
    anchor for shared settings; a change in the relative watch directory
    restarts that server."""
    with tmpdir() as d:
        write_backend_spec(d, "alpha", {"tools": [{"name": "v",
                                                   "reply": "one"}]})
        text = "\n".join([
            "x-common: &common",
            "  extensions: json",
            "  delay: 20",
            "servers:",
            "  alpha:",
            "    <<: *common",
            "    command: %s" % json.dumps(testserver_cmd()[0]),
            '    args: ["--spec", "${GW_SPEC_DIR}/spec.json"]',
            "    watch: alpha",
            "    cwd: ./alpha",
            "    env:",
            "      GW_MARK: marked",
            ""])
        path = write_config_text(d, text)
        with Gateway(["--config", path],
                     env={"GW_SPEC_DIR": backend_dir(d, "alpha")}) as m:
            m.initialize()
            assert text_of(m.call_tool("alpha__v")) == "one"
            pid = backend_pid(m, "alpha")
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            assert b"GW_MARK=marked" in env, env
            assert os.readlink("/proc/%d/cwd" % pid) == os.path.realpath(
                backend_dir(d, "alpha"))
            m.wait_log(r"alpha.*Watching %s" % re.escape(
                backend_dir(d, "alpha")))
            # Its default reload (overlap): one list_changed, since the
            # tool's description changed.
            restart_backend(m, d, "alpha", {"tools": [{
                "name": "v", "description": "second", "reply": "two"}]})
            assert text_of(m.call_tool("alpha__v")) == "two"


def test_hot_add():
    """GW-5: a server added to the config starts; the client gets
    list_changed and sees its tools; the others keep their processes and
    names (adding a backend never renames another's tools)."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            before = tool_names(m)
            pa = backend_pid(m, "alpha")
            mark = m.log_mark()
            write_backend_spec(d, "beta", {"tools": [{"name": "hi",
                                                      "reply": "beta hi"}]})
            write_config(d, {"alpha": None, "beta": None})
            m.wait_log(r"Configuration reloaded: 1 added, 0 changed, "
                       r"0 removed", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            names = wait_until(lambda: (lambda n: n if "beta__hi" in n
                                        else None)(tool_names(m)), 5)
            assert [n for n in names if n.startswith("alpha__")] == before
            # One notification, once beta's tools are there (GW-5); none
            # for prompts or resources, which did not change: they would
            # be sent with it, once beta's lists are in, and beta answered
            # mcpmon's list requests before this call through it.
            m.expect_none_before_reply(lambda x: x.get("method", "").endswith(
                "/list_changed"), **through("beta"))
            assert len(m.messages(notification(TOOLS_CHANGED))) == 1
            assert text_of(m.call_tool("beta__hi")) == "beta hi"
            assert backend_pid(m, "alpha") == pa
            st = state(m, "beta")
            assert st["init_params"]["clientInfo"]["name"] == "mcptest", st
            assert st["initialize_count"] == 1, st


def test_hot_added_backend_gets_the_client_state():
    """GW-1, LOG-1: a backend added later is initialized with the client's
    params and gets the log level the client set before it existed."""
    caps = {"tools": {}, "logging": {}}
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {"capabilities": caps}}) as m:
            params = {"protocolVersion": "2025-06-18",
                      "capabilities": {"roots": {}},
                      "clientInfo": {"name": "late", "version": "3"}}
            m.call("initialize", params)
            m.notify("notifications/initialized")
            tool_names(m)
            assert m.call("logging/setLevel", {"level": "error"}) == {}
            write_backend_spec(d, "beta", {"capabilities": caps})
            write_config(d, {"alpha": None, "beta": None})
            m.next_message(notification(TOOLS_CHANGED))
            st = state(m, "beta")
            assert st["init_params"] == params, st
            assert st["log_level"] == "error", st
            assert state(m, "alpha")["log_level"] == "error"


def test_hot_remove():
    """GW-5: a server removed from the config is stopped: its call in
    flight gets -32603 with reason "removed", its tools leave the list,
    its process is gone; the client gets list_changed."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            pa, pb = backend_pid(m, "alpha"), backend_pid(m, "beta")
            slow = m.send_request("tools/call", {
                "name": "beta__slow", "arguments": {"ms": 60000}})
            slow_a = m.send_request("tools/call", {
                "name": "alpha__slow", "arguments": {"ms": 300}})
            mark = m.log_mark()
            write_config(d, {"alpha": None})
            e = error_of(m.next_message(response_to(slow)))
            assert e["data"]["backend"] == "beta", e
            assert e["data"]["reason"] == "removed", e
            assert "removed" in e["message"], e
            m.next_message(notification(TOOLS_CHANGED))
            names = tool_names(m)
            assert names and not any(n.startswith("beta__") for n in names)
            wait_until(lambda: not pid_alive(pb), 5, message="beta to exit")
            assert text_of(m.next_message(response_to(slow_a))["result"]) \
                == "slept 300 ms"
            assert backend_pid(m, "alpha") == pa
            e = error_of(m.request("tools/call", {"name": "beta__echo"}),
                         -32602)
            assert "beta" not in e["message"].split("servers:")[1], e
            m.wait_log(r"Configuration reloaded: 0 added, 0 changed, "
                       r"1 removed", start=mark)


def test_hot_remove_while_queued():
    """GW-5: a call queued for a backend that is restarting when the config
    removes it gets -32603 "removed" too."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            mark = m.log_mark()
            write_backend_spec(d, "beta", {"init_delay_ms": 60000})
            m.wait_log(r"beta.*Started:", start=mark)
            rid = m.send_request("tools/call", {"name": "beta__echo",
                                                "arguments": {"text": "x"}})
            write_config(d, {"alpha": None})
            e = error_of(m.next_message(response_to(rid)))
            assert e["data"]["reason"] == "removed", e
            assert e["data"]["backend"] == "beta", e
            assert text_of(m.call_tool("alpha__echo", {"text": "a"})) == "a"


def test_hot_change():
    """GW-5: a server whose settings changed restarts with them; an
    unchanged one keeps its pid."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            tool_names(m)
            pa, pb = backend_pid(m, "alpha"), backend_pid(m, "beta")
            mark = m.log_mark()
            write_config(d, {"alpha": None,
                             "beta": {"args": ["--name", "renamed"]}})
            m.wait_log(r"Configuration reloaded: 0 added, 1 changed, "
                       r"0 removed", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            st = wait_until(lambda: (lambda s: s if s["name"] == "renamed"
                                     else None)(state(m, "beta")), 5)
            assert st["pid"] != pb, st
            # One notification for one change: the new beta answered
            # mcpmon's list requests before this call through it.
            m.expect_none_before_reply(notification(TOOLS_CHANGED),
                                       **through("beta"))
            assert not pid_alive(pb)
            assert backend_pid(m, "alpha") == pa
            assert state(m, "alpha")["initialize_count"] == 1
            # The environment is part of the settings too.
            write_config(d, {"alpha": {"env": {"GW_TEST": "1"}},
                             "beta": {"args": ["--name", "renamed"]}})
            m.wait_log(r"Configuration reloaded: 0 added, 1 changed, "
                       r"0 removed", start=mark, n=2)
            wait_until(lambda: backend_pid(m, "alpha") != pa, 5)
            assert state(m, "beta")["pid"] == st["pid"]


def test_change_to_a_server_that_cannot_start():
    """GW-5: a server changed to a command that cannot run: its tools leave
    the list, with one list_changed, and its calls get -32603; enabled:
    false on a running server stops it the same way."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}, "gamma": {}}) as m:
            m.initialize()
            tool_names(m)
            pg = backend_pid(m, "gamma")
            text = config_text(d, {"alpha": None, "beta": None,
                                   "gamma": None})
            text = text.replace(testserver_cmd()[0], "/nonexistent/server", 2)
            text = text.replace("/nonexistent/server",
                                testserver_cmd()[0], 1)  # alpha keeps it
            write_config_text(d, text)
            m.wait_log(r"beta.*(Cannot run|Cannot start)")
            m.next_message(notification(TOOLS_CHANGED))
            names = tool_names(m)
            assert not any(n.startswith("beta__") for n in names), names
            assert "gamma__echo" in names and "alpha__echo" in names, names
            # One notification: beta waits for a file change (no retry
            # timer), and the end of its old process, the last thing that
            # could announce a change, is handled by now.
            m.wait_log(r"beta.*waiting for file changes")
            m.wait_log(r"beta pid:\d+\] Server stopped")
            m.expect_none_before_reply(notification(TOOLS_CHANGED))
            assert backend_pid(m, "gamma") == pg
            write_config(d, {"alpha": None, "beta": None,
                             "gamma": {"enabled": False}})
            m.next_message(notification(TOOLS_CHANGED))
            wait_until(lambda: not pid_alive(pg), 5, message="gamma to exit")
            names = tool_names(m)
            assert not any(n.startswith("gamma__") for n in names), names
            wait_until(lambda: "beta__echo" in tool_names(m), 5)


def test_invalid_edit_changes_nothing():
    """An invalid edit (an unknown key) is logged with file:line:col; the
    gateway keeps serving the last good config: same processes, tools
    still callable, no list_changed. A later valid edit applies."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}}) as m:
            m.initialize()
            names = tool_names(m)
            pa, pb = backend_pid(m, "alpha"), backend_pid(m, "beta")
            mark = m.log_mark()
            text = config_text(d, {"alpha": None})  # also drops beta
            text = text.replace("    args:", "    extensionz: py\n    args:")
            write_config_text(d, text)
            m.wait_log(r"\.mcpmon\.yaml:4:5: unknown key 'extensionz'.*"
                       r"\(did you mean 'extensions'\?\)", start=mark)
            m.wait_log(r"still serving the last good configuration",
                       start=mark)
            # The edit is handled and refused: nothing was started or
            # stopped that could announce a change later (the pids below).
            m.expect_none_before_reply(notification(TOOLS_CHANGED))
            assert tool_names(m) == names
            assert backend_pid(m, "alpha") == pa
            assert backend_pid(m, "beta") == pb
            assert text_of(m.call_tool("beta__echo", {"text": "b"})) == "b"
            assert count_log(m, r"Configuration reloaded", start=mark) == 0
            # Broken YAML changes nothing either.
            write_config_text(d, "servers:\n  alpha: [\n")
            m.wait_log(r"\.mcpmon\.yaml:\d+:\d+: ", start=m.log_mark())
            assert backend_pid(m, "beta") == pb
            # Fixed: applied.
            write_config(d, {"alpha": None})
            m.wait_log(r"Configuration reloaded: 0 added, 0 changed, "
                       r"1 removed", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            assert backend_pid(m, "alpha") == pa


def test_disabled_server():
    """enabled: false keeps a server out (not started, no tools); enabling
    it in the config starts it."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": {}},
                           config={"alpha": None,
                                   "beta": {"enabled": False}}) as m:
            m.initialize()
            m.wait_log(r"beta.*Disabled in the config")
            names = tool_names(m)
            assert "alpha__echo" in names, names
            assert not any(n.startswith("beta__") for n in names), names
            assert count_log(m, r"beta.*Started") == 0
            write_config(d, {"alpha": None, "beta": {"enabled": True}})
            m.next_message(notification(TOOLS_CHANGED))
            wait_until(lambda: "beta__echo" in tool_names(m), 5)
            assert text_of(m.call_tool("beta__echo", {"text": "on"})) == "on"


def test_separator_change():
    """A new separator renames every tool, with list_changed; backends keep
    running."""
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            assert "alpha__echo" in tool_names(m)
            pa = backend_pid(m, "alpha")
            write_config(d, {"alpha": None}, separator="-")
            m.next_message(notification(TOOLS_CHANGED))
            names = tool_names(m)
            assert "alpha-echo" in names and "alpha__echo" not in names, names
            assert backend_pid(m, "alpha", sep="-") == pa


def test_name_collision_between_servers():
    """NAME-2: server "a" with tool "b__c" and server "a__b" with tool "c"
    both map to "a__b__c": both are exposed, the second disambiguated
    (deterministically), with a warning naming both servers; each name
    calls its own tool."""
    with tmpdir() as d:
        specs = {"a": {"builtin_tools": False,
                       "tools": [{"name": "b__c", "reply": "from a"}]},
                 "a__b": {"builtin_tools": False,
                          "tools": [{"name": "c", "reply": "from a__b"}]}}
        with start_gateway(d, specs) as m:
            m.initialize()
            names = tool_names(m)
            assert len(names) == 2, names
            assert "a__b__c" in names, names
            other = [n for n in names if n != "a__b__c"][0]
            assert re.match(NAME_RX, other), other
            assert other.startswith("a__b__c_"), other
            # "a" comes first in the config: it keeps the plain name.
            w = m.wait_log(r"collision: 'b__c' of server 'a' and 'c' of "
                           r"server 'a__b' both map to 'a__b__c'")
            assert "'%s'" % other in w.string, w.string
            assert other.startswith("a__b__c_"), other
            assert text_of(m.call_tool("a__b__c")) == "from a"
            assert text_of(m.call_tool(other)) == "from a__b"
            # Stable across a relist.
            assert tool_names(m) == names


def test_name_collision_within_a_server():
    """NAME-2: three tools of one server that sanitize to the same name
    are all exposed under different names (never dropped), all callable,
    with one warning each for the two that moved."""
    with tmpdir() as d:
        spec = {"builtin_tools": False, "tools": [
            {"name": "get_item", "reply": "underscore"},
            {"name": "get.item", "reply": "dot"},
            {"name": "get item", "reply": "space"}]}
        with start_gateway(d, {"srv": spec}) as m:
            m.initialize()
            names = tool_names(m)
            assert len(names) == 3 and len(set(names)) == 3, names
            assert names[0] == "srv__get_item", names
            for n in names:
                assert re.match(NAME_RX, n), n
            replies = sorted(text_of(m.call_tool(n)) for n in names)
            assert replies == ["dot", "space", "underscore"], replies
            m.wait_log(r"collision: 'get_item' of server 'srv' and "
                       r"'get.item' of server 'srv'")
            m.wait_log(r"collision: 'get_item' of server 'srv' and "
                       r"'get item' of server 'srv'")
            # Warned once, although every refresh rebuilds the table; the
            # names stay the same after a restart.
            restart_backend(m, d, "srv", dict(spec, server_name="v2"))
            assert tool_names(m) == names
            assert count_log(m, r"collision") == 2, m.logs()


def test_dashboard_rows_follow_the_file_order():
    """Issue 15 defect 1: a changed server keeps its row and its place on
    every attached dashboard (its backend_added event replaces the row by
    name, and no backend_removed follows), an added one comes where the
    file puts it, and mcpmon status lists them in the file's order."""
    from faults import Ctl
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with start_gateway(d, {"alpha": {}, "beta": {}, "gamma": {}},
                           args=["--tui", sock]) as m:
            m.initialize()
            c = Ctl(sock)
            c.send({"cmd": "subscribe"})
            snap = c.until(lambda o: o["type"] == "snapshot")
            assert [b["name"] for b in snap["backends"]] == [
                "alpha", "beta", "gamma"]
            # beta changes (env added), delta is added between alpha and
            # beta.
            mark = m.log_mark()
            write_config(d, {"alpha": None, "delta": None,
                             "beta": {"env": {"X": "1"}}, "gamma": None})
            m.wait_log(r"Configuration reloaded: 1 added, 1 changed",
                       start=mark)
            seen = []
            while len([e for e in seen if e["type"] == "backend_added"]) < 2:
                seen.append(c.until(lambda o: o["type"] in (
                    "backend_added", "backend_removed")))
            added = {e["backend"]["name"]: e["index"] for e in seen
                     if e["type"] == "backend_added"}
            assert added == {"delta": 1, "beta": 2}, seen
            m.wait_log(r"beta pid:\d+\] Server ready", start=mark)
            m.wait_log(r"beta.*Server stopped", start=mark)
            # The old beta stopped: still no backend_removed for it. A
            # status made now comes after any such event.
            out = subprocess.run([mcpmon_path(), "status", sock, "--json"],
                                 capture_output=True, text=True, timeout=10)
            js = json.loads(out.stdout)
            assert [b["name"] for b in js["backends"]] == [
                "alpha", "delta", "beta", "gamma"], js["backends"]
            c.send({"cmd": "restart", "backend": "nope", "id": "probe"})
            seen.append(c.until(lambda o: o["type"] == "result"
                                or o["type"] == "backend_removed"))
            assert not [e for e in seen if e["type"] == "backend_removed"], \
                seen
            c.close()


run_tests(globals())
