"""mcpmon tui on a real terminal: tmux runs the dashboard against a live
core and the test reads the screen (capture-pane). The backend's name,
pid, restart count, tools and log lines appear; r restarts it; resizing
keeps the layout whole; the traffic view shows a request and its
response; the dashboard survives the core going away and reattaches; q
exits 0 and the core keeps serving.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_tui_screen.py
"""
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from tuitest import *  # noqa: E402,F401,F403


def backend(snap, name="server"):
    return next(b for b in snap["backends"] if b["name"] == name)


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)


def layout_whole(text, w, h, ascii_borders=False):
    """None when the screen is a whole dashboard of w x h, else why not."""
    rows = text.split("\n")
    while len(rows) < h:
        rows.append("")
    rows = rows[:h]
    tl, tr, bl, br = ("+", "+", "+", "+") if ascii_borders else \
        ("\u250c", "\u2510", "\u2514", "\u2518")
    if not rows[0].startswith(" mcpmon"):
        return "no header on the first row"
    if "Quit" not in rows[h - 1] and "q Quit" not in text:
        return "no key line on the last row"
    for i, r in enumerate(rows):
        if width(r) > w:
            return "row %d is wider than %d" % (i, w)
    # The servers box spans the width under the header.
    if not (rows[1].startswith(tl) and rows[1].rstrip().endswith(tr)
            and width(rows[1].rstrip()) == w):
        return "servers box top border broken: %r" % rows[1]
    # The body boxes end on the row above the status line at the right
    # edge.
    last = rows[h - 2].rstrip()
    if not (last.startswith(bl) and last.endswith(br) and width(last) == w):
        return "bottom border broken: %r" % last
    if ascii_borders:
        return None
    counts = [text.count(c) for c in (tl, tr, bl, br)]
    if len(set(counts)) != 1 or counts[0] < 2:
        return "box corners do not match: %r" % counts
    return None


def wait_whole(tm, w, h, **kw):
    why = [None]

    def ok(text):
        why[0] = layout_whole(text, w, h, **kw)
        return why[0] is None
    try:
        return tm.wait_for(ok, message="a whole %dx%d layout" % (w, h))
    except TimeoutError as e:
        raise AssertionError("%s (last problem: %s)" % (e, why[0]))


def test_dashboard():
    with tmpdir() as d, core(d) as (m, sock):
        m.call_tool("hello")
        snap = wait_snapshot(sock, lambda s: backend(s)["state"] == "ready"
                             and backend(s)["tools"]
                             and backend(s)["traffic"])
        pid = backend(snap)["pid"]
        with Tmux(d) as tm:
            tm.start([mcpmon_path(), "tui", sock])
            tm.wait_for("restarts 0")
            text = tm.wait_for("pid %d" % pid)
            assert "server" in text
            assert "pid %d" % m.pid in text.split("\n")[0], text
            # Its tools and its backlog of log lines, UTF-8 drawn right.
            text = tm.wait_for("testserver says hi: h\u00e9llo \u2713 "
                               "\u65e5\u672c")
            for tool in ("hello", "echo", "Say hello"):
                assert tool in text, (tool, text)
            assert "mcpmon: Started" in text, text
            assert "following" in text, text
            assert "list_changed not sent yet" in text, text
            wait_whole(tm, 120, 40)

            # r reloads the selected backend (overlap, issue 14): the same
            # row shows the new process; its tools did not change, so the
            # client was told nothing.
            tm.keys("r")
            tm.wait_for("Reloading")
            snap = wait_snapshot(sock, lambda s: backend(s)["restarts"] == 1
                                 and backend(s)["state"] == "ready")
            tm.wait_for("restarts 1")
            text = tm.wait_for("pid %d" % backend(snap)["pid"])
            assert "list_changed not sent yet" in text, text
            # With a new tool the client is told the list changed; it has
            # not re-listed yet, then it does.
            spec_file(d, dict(DEFAULT_SPEC, tools=DEFAULT_SPEC["tools"] + [
                {"name": "extra", "reply": "x"}]), name="spec-mcpmon.json")
            tm.keys("r")
            wait_snapshot(sock, lambda s: backend(s)["restarts"] == 2
                          and backend(s)["state"] == "ready")
            tm.wait_for("client re-listed: no")
            m.call("tools/list")
            tm.wait_for("client re-listed: yes")

            # Resizing keeps the layout whole, down to the smallest size
            # that has room for it; below that, a note.
            for w, h in ((80, 24), (60, 20), (50, 12), (100, 30)):
                tm.resize(w, h)
                text = wait_whole(tm, w, h)
                assert "restarts 2" in text, text
            tm.resize(20, 6)
            tm.wait_for("Terminal too small")
            tm.resize(120, 40)
            text = wait_whole(tm, 120, 40)
            assert "says hi" in text and "hello" in text, text

            # Traffic view: a call made while the dashboard is attached
            # (the core keeps bodies only then), Enter shows it in full.
            assert text_of(m.call_tool("echo", {"text": "h\u00e9"})) == \
                "h\u00e9"
            m.call("tools/list")
            tm.keys("t")
            text = tm.wait_for("Traffic (")
            assert "tools/call" in text and "METHOD" in text, text
            tm.wait_for(lambda t: t.count("tools/list") == 2,
                        message="the second tools/list")
            # The newest is that tools/list; the call is one up.
            tm.keys("G", "k", "Enter")
            text = tm.wait_for("Response")
            assert "Request" in text, text
            assert '"method": "tools/call"' in text, text
            assert '"name": "echo"' in text, text
            assert '"text": "h\u00e9"' in text, text
            tm.keys("Escape")
            tm.wait_for(lambda t: "Traffic (" in t and "Response" not in t,
                        message="back in the traffic list")
            tm.keys("t")
            tm.wait_for(lambda t: "Log: server" in t and "Traffic (" not in t,
                        message="back in the dashboard")

            # Search the log: three start lines of the server (the first
            # and two reloads), then no more.
            tm.keys("/")
            tm.wait_for("Search log:")
            tm.literal("says hi")
            tm.keys("Enter")
            tm.wait_for(lambda t: "Search log:" not in t,
                        message="the prompt closed")
            tm.keys("n")
            tm.keys("n")
            tm.keys("n")
            tm.wait_for("No older match for: says hi")
            tm.keys("/")
            tm.literal("no such text")
            tm.keys("Enter")
            tm.wait_for("Not found: no such text")
            tm.keys("PPage")
            tm.keys("G")
            tm.wait_for("following")

            # A log line longer than the pane wraps: its end is on screen,
            # on a row of its own under where its text began.
            long_line = "long-line-start " + "0123456789" * 20 + " LONG-END"
            m.call_tool("stderr", {"text": long_line})
            text = tm.wait_for("LONG-END")
            rows = text.split("\n")
            first = next(r for r in rows if "long-line-start" in r)
            end = next(r for r in rows if "LONG-END" in r)
            col = first.index("long-line-start")
            assert "\u2026" not in first[col:], first
            assert end.index("LONG-END") >= col, (first, end)
            # Between the log box's border and the text: blank.
            border = first.rindex("\u2502", 0, col)
            assert end[border] == "\u2502" and \
                end[border + 1:col].strip() == "", (first, end)
            # Words are not cut where a row ends: each shows whole.
            words = ["w%02d-abcdefg" % i for i in range(30)]
            m.call_tool("stderr", {"text": " ".join(words)})
            text = tm.wait_for("w29-abcdefg")
            for w in words:
                assert w in text, (w, text)

            # Help, and any key closes it.
            tm.keys("?")
            tm.wait_for("restart the selected server")
            tm.keys("x")
            tm.wait_for(lambda t: "restart the selected server" not in t,
                        message="help closed")

            # q leaves with status 0; the core keeps serving.
            tm.keys("q")
            assert tm.exit_status() == 0
        assert text_of(m.call_tool("hello")) == "hello v1"
        rc, out, err = cli(["status", sock], d)
        assert rc == 0, err


def test_traffic_running_and_errors():
    """Issue 15 defect 4: a call in flight is on the list at once, marked
    running with its start time; a tool result with isError shows as an
    error with its text; a cancelled call ends as an error; f shows
    errors only."""
    spec = dict(DEFAULT_SPEC, tools=DEFAULT_SPEC["tools"] + [
        {"name": "broken", "reply": "disk on fire", "is_error": True}])
    with tmpdir() as d, core(d, spec=spec) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        with Tmux(d) as tm:
            tm.start([mcpmon_path(), "tui", sock])
            tm.wait_for("restarts 0")
            tm.keys("t")
            tm.wait_for("Traffic (")
            # Slow enough never to end by itself during the test.
            rid = m.send_request("tools/call", {"name": "slow",
                                                "arguments": {"ms": 600000}})
            text = tm.wait_for(lambda t: "slow" in t and "running" in t,
                               message="the slow call, running")
            row = next(r for r in text.split("\n") if "slow" in r)
            assert "tools/call" in row and "running" in row, row
            m.call_tool("broken")
            text = tm.wait_for("error: disk on fire")
            row = next(r for r in text.split("\n") if "broken" in r)
            assert "tools/call" in row, row
            assert "running" in text, text  # the slow one still is
            m.call("tools/list")
            tm.wait_for("tools/list")
            # CAN-1: the client gives up; the entry ends as an error.
            m.notify("notifications/cancelled", {"requestId": rid})
            text = tm.wait_for("error: cancelled by the client")
            assert "running" not in text, text
            # f: errors only, then the selected server's, then its errors.
            tm.keys("f")
            text = tm.wait_for("Traffic (2 of 3) errors")
            assert "tools/list" not in text and "disk on fire" in text, text
            tm.keys("f")
            text = tm.wait_for("Traffic (3) server")
            assert "tools/list" in text, text
            tm.keys("f")
            tm.wait_for("Traffic (2 of 3) server, errors")
            tm.keys("f")
            tm.wait_for("Traffic (3) all")
            tm.keys("q")
            assert tm.exit_status() == 0


def test_reattach_when_the_core_comes_back():
    with tmpdir() as d:
        sock = os.path.join(d, "ctl.sock")
        with Tmux(d) as tm:
            with core(d, sock=sock, name="first") as (m1, _):
                wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
                tm.start([mcpmon_path(), "tui", sock])
                tm.wait_for("pid %d" % m1.pid)
                tm.wait_for("restarts 0")
            # Gone: said so, and the last state stays on screen.
            text = tm.wait_for("mcpmon pid %d ended" % m1.pid)
            assert "reattaching to %s" % sock in text, text
            assert "pid %d" % m1.pid in text and "Log: server" in text, text
            with core(d, sock=sock, name="second") as (m2, _):
                text = tm.wait_for("pid %d" % m2.pid, timeout=15)
                tm.wait_for(lambda t: "ended" not in t,
                            message="the note gone")
                tm.wait_for("Attached again to pid %d" % m2.pid)
                tm.keys("q")
                assert tm.exit_status() == 0


def test_chooser_and_only_instance():
    with tmpdir() as d:
        with core(d, sock=False, name="one") as (m1, s1):
            with Tmux(d) as tm:
                # One instance: attached at once.
                tm.start([mcpmon_path(), "tui"])
                tm.wait_for("pid %d" % m1.pid)
                tm.wait_for("restarts 0")
                tm.keys("q")
                assert tm.exit_status() == 0
            with core(d, sock=False, name="two") as (m2, s2):
                with Tmux(d) as tm:
                    tm.start([mcpmon_path(), "tui"])
                    text = tm.wait_for("Running mcpmon instances")
                    assert "pid %d" % m1.pid in text, text
                    assert "pid %d" % m2.pid in text, text
                    assert "2 running instances" in text, text
                    second = sorted([m1.pid, m2.pid])[1]
                    tm.keys("j", "Enter")
                    tm.wait_for(lambda t: t.startswith(" mcpmon") and
                                "pid %d" % second in t.split("\n")[0],
                                message="attached to pid %d" % second)
                    tm.wait_for("restarts 0")
                    tm.keys("q")
                    assert tm.exit_status() == 0
                # Issue 15 defect 9: a pid from that list, bare or --pid,
                # attaches without the chooser.
                first = sorted([m1.pid, m2.pid])[0]
                for argv in (["tui", str(first)], ["tui", "--pid", str(first)]):
                    with Tmux(d) as tm:
                        tm.start([mcpmon_path()] + argv)
                        tm.wait_for(lambda t: t.startswith(" mcpmon") and
                                    "pid %d" % first in t.split("\n")[0],
                                    message="attached to pid %d" % first)
                        tm.keys("q")
                        assert tm.exit_status() == 0


def test_gateway_with_a_crashed_backend():
    with tmpdir() as d:
        good = spec_file(d, name="good.json")
        bad = spec_file(d, {"exit_on_start": 3,
                            "stderr_on_start": "SyntaxError: boom"},
                        name="bad.json")
        cfg = os.path.join(d, "mcpmon.yaml")
        with open(cfg, "w") as f:
            f.write("servers:\n")
            for name, spec in (("good", good), ("bad", bad)):
                f.write("  %s:\n    command: %s\n    args: [--spec, %s]\n"
                        "    watch: %s\n" % (name, testserver_cmd()[0], spec,
                                              d))
        sock = os.path.join(d, "gw.sock")
        with Mcpmon(["--config", cfg, "--tui", sock], env=ctl_env(d)) as m:
            wait_until(lambda: os.path.exists(sock), 10)
            m.initialize()
            with Tmux(d) as tm:
                tm.start([mcpmon_path(), "tui", sock])
                tm.wait_for("Servers (2)")
                text = tm.wait_for("crashed", timeout=20)
                assert "gateway" in text.split("\n")[0], text
                tm.keys("j")
                text = tm.wait_for("Log: bad")
                tm.wait_for("SyntaxError: boom")
                tm.wait_for("last exit: exit code 3")
                tm.keys("k")
                tm.wait_for("Log: good")
                wait_whole(tm, 120, 40)
                tm.keys("q")
                assert tm.exit_status() == 0


def test_stop_and_start_keys():
    """Issue 15: x stops the selected server, s starts it; a disabled one
    is a row marked disabled, startable; the help lists both keys."""
    with tmpdir() as d:
        good = spec_file(d, name="good.json")
        cfg = os.path.join(d, "mcpmon.yaml")
        with open(cfg, "w") as f:
            f.write("servers:\n")
            for name, extra in (("good", ""), ("later", "    enabled: false\n")):
                f.write("  %s:\n    command: %s\n    args: [--spec, %s]\n"
                        "    watch: %s\n%s" % (name, testserver_cmd()[0], good,
                                              d, extra))
        sock = os.path.join(d, "gw.sock")
        with Mcpmon(["--config", cfg, "--tui", sock], env=ctl_env(d)) as m:
            wait_until(lambda: os.path.exists(sock), 10)
            m.initialize()
            with Tmux(d) as tm:
                tm.start([mcpmon_path(), "tui", sock])
                tm.wait_for("Servers (2)")
                tm.wait_for(lambda t: "disabled" in t and "ready" in t)
                tm.keys("?")
                text = tm.wait_for("stop, start the selected server")
                assert "Any key closes this help" in text, text
                tm.keys("Escape")
                tm.keys("j")
                tm.wait_for("Log: later")
                tm.keys("s")
                wait_snapshot(sock, lambda s: backend(s, "later")["state"]
                              == "ready")
                tm.wait_for(lambda t: "disabled" not in t.split("Log:")[0])
                tm.keys("x")
                wait_snapshot(sock, lambda s: backend(s, "later")["state"]
                              == "stopped")
                tm.wait_for(lambda t: "stopped" in t.split("Log:")[0])
                tm.keys("x")
                tm.wait_for("'later' is already stopped")
                tm.keys("q")
                assert tm.exit_status() == 0


def test_ascii_and_monochrome():
    with tmpdir() as d, core(d) as (m, sock):
        wait_snapshot(sock, lambda s: backend(s)["state"] == "ready")
        with Tmux(d) as tm:
            tm.start([mcpmon_path(), "tui", sock], lang="C",
                     env={"NO_COLOR": "1"})
            text = tm.wait_for("restarts 0")
            text = tm.wait_for("says hi")
            assert "\u250c" not in text and "+" in text, text
            # Non-ASCII text in a non-UTF-8 locale: replaced, one column
            # per byte, never garbage that shifts the layout.
            assert "testserver says hi: h??llo" in text, text
            assert "Up/Dn Select" in text, text
            wait_whole(tm, 120, 40, ascii_borders=True)
            styled = tm.tmux("capture-pane", "-p", "-e", "-t", "0")
            colours = [p for sgr in re.findall(r"\x1b\[([0-9;]*)m", styled)
                       for p in sgr.split(";") if p and
                       (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or
                        90 <= int(p) <= 107)]
            assert not colours, colours[:5]
            tm.keys("q")
            assert tm.exit_status() == 0


def test_signal_restores_and_exits():
    with tmpdir() as d, core(d) as (m, sock):
        with Tmux(d) as tm:
            tm.start([mcpmon_path(), "tui", sock])
            tm.wait_for("restarts 0")
            tui = [p for p in descendants(tm.server_pid)
                   if (proc_info(p) or {}).get("comm") == "mcpmon"]
            assert len(tui) == 1, tui
            os.kill(tui[0], signal.SIGTERM)
            assert tm.exit_status() == 128 + signal.SIGTERM
            # The terminal is back: the shell's output is on a clean
            # screen, not inside the dashboard.
            tm.wait_for(lambda t: "Quit" not in t,
                        message="the dashboard gone")
        assert text_of(m.call_tool("hello")) == "hello v1"


def test_incompatible_core():
    with tmpdir() as d:
        path = os.path.join(d, "fake.sock")
        stop = fake_core(path, b'{"type":"hello","mcpmon":2,"pid":1}\n')
        try:
            with Tmux(d) as tm:
                tm.start([mcpmon_path(), "tui", path])
                text = tm.wait_for("cannot attach to mcpmon at %s" % path)
                assert "speaks control protocol version 2" in text, text
                tm.keys("q")
                assert tm.exit_status() == 0
        finally:
            stop()


run_tests(globals())
