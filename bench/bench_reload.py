"""Issue 18's reload sections of bench.py: where the time of one reload
goes (`--only breakdown`), and mcpmon against nodemon and entr on the same
server and tree (`--only compare`). See bench/README.md.

Each function takes the Bench of bench.py (rows, notes, failures, paths).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

from bench_common import Proc, log, log_message, med, now_ms

PY_TOOL = ("\n\n@tool(\"added by the reload benchmark\")\ndef %s():\n"
           "    return \"ok\"\n")
STARTED = re.compile(r"(mcp_bench_server|hello_server): started")


def write_tool(path, kind, name):
    """Before-write time in ms; a new tool in the server's file."""
    t = now_ms()
    if kind == "py":
        with open(path, "a") as f:
            f.write(PY_TOOL % name)
    else:
        with open(path, "w") as f:
            f.write(name + "\n")
    return t


def servers(b, name):
    """(label, folder, file, kind, command, ext) of the C bench server and
    of a copy of examples/hello_server, each in its own folder."""
    out = []
    d = b.mkdir(name + "-c")
    tools = os.path.join(d, "tools.txt")
    open(tools, "w").close()
    out.append(("C server", d, tools, "txt",
                [b.server, "--hello", "--tools-file", tools], "txt"))
    h = os.path.join(b.tmp, name + "-py")
    if not os.path.isdir(h):
        shutil.copytree(os.path.join(b.a.root, "examples", "hello_server"), h)
    out.append(("Python server (examples/hello_server)", h,
                os.path.join(h, "tools.py"), "py",
                [sys.executable, os.path.join(h, "server.py")], "py"))
    return out


def cold_start(b, cmd, what):
    """Spawn -> initialize -> tools/list answered, no mcpmon: ms or None."""
    p = Proc(cmd, os.path.join(b.logs, "%s.log" % what))
    try:
        if p.handshake() is None:
            return None
        r = p.tools()
        return None if r is None else r[0] - p.t_spawn
    finally:
        p.end()


# ---- breakdown ---------------------------------------------------------------

# (step, the mark it ends at), in order; each step runs from the previous
# mark found. Marks come from mcpmon's --debug log lines (their arrival)
# and from the client's own reads.
STEPS = [
    ("write → inotify event seen", "event"),
    ("event → debounce over (\"File ...:\")", "settled"),
    ("→ reload begins (\"Reloading\" / \"Restarting\")", "reload"),
    ("→ old server stopped (stop-first)", "stopped"),
    ("→ new server spawned (\"Started:\")", "spawned"),
    ("→ its first line (exec, interpreter start)", "hello"),
    ("→ initialize answered", "init"),
    ("→ list_changed at the client", "list_changed"),
    ("→ tools/list answered with the new tool", "visible"),
]


def marks(seen, t0, old_pid):
    """The time of each mark of one reload from the lines seen after t0
    (ms, stream, text)."""
    m = {}
    new_pid = None
    for t, stream, text in seen:
        if t < t0 or stream != "err":
            continue
        msg, pid = log_message(text)
        if msg is None:
            continue
        if "event" not in m and re.match(r"[a-z][a-z ]*: /", msg):
            m["event"] = t
        elif "settled" not in m and re.match(r"Files? [a-z ]+: ", msg):
            m["settled"] = t
        elif "reload" not in m and re.match(r"(Reloading|Restarting)", msg):
            m["reload"] = t
        elif ("stopped" not in m and pid == old_pid and "spawned" not in m
              and msg.startswith("Server stopped")):
            m["stopped"] = t
        elif ("spawned" not in m and pid is not None and pid != old_pid and
              msg.startswith("Started:")):
            m["spawned"] = t
            new_pid = pid
        elif ("hello" not in m and pid == new_pid and msg.startswith("| ") and
              STARTED.search(msg)):
            m["hello"] = t
        elif ("init" not in m and pid == new_pid and
              (msg.startswith("state initializing -> ready") or
               ("<- server" in msg and "protocolVersion" in msg))):
            m["init"] = t
    return m, new_pid


def one_breakdown(b, label, d, tools, kind, cmd, ext, mode, n):
    """n reloads of one server under mcpmon (default --delay), each after
    a cold start of the same server. Returns ([marks], [cold ms], log)."""
    what = "breakdown-%s-%s" % ("py" if kind == "py" else "c", mode)
    path = os.path.join(b.logs, what + ".log")
    if kind == "txt":
        open(tools, "w").close()
    p = Proc([b.mcpmon, "--no-tui", "--debug", "-t", "--reload", mode,
              "--watch", d, "--ext", ext, "--"] + cmd, path)
    runs, colds = [], []
    try:
        if p.handshake() is None or p.tools() is None:
            b.fail(what, "no handshake through mcpmon", path)
            return runs, colds, path
        pid = None
        for t, s, text in p.seen:
            msg, lp = log_message(text)
            if msg is not None and msg.startswith("Started:"):
                pid = lp
        for i in range(n):
            colds.append(cold_start(b, cmd, what + "-cold"))
            time.sleep(0.15)
            name = "bench_b%d_%d" % (i, os.getpid())
            t0 = write_tool(tools, kind, name)
            got = p.wait(lambda s, t: s == "out" and
                         "notifications/tools/list_changed" in t, 20)
            if got is None:
                b.fail(what, "no list_changed within 20 s of write %d" % i,
                       path)
                break
            lc = got[0]
            r = p.tools()
            if r is None or name not in r[1]:
                # An earlier restart's list_changed: wait for the next.
                got = p.wait(lambda s, t: s == "out" and
                             "notifications/tools/list_changed" in t, 20)
                r = p.tools() if got else None
                if r is None or name not in r[1]:
                    b.fail(what, "tool %s not listed after the reload" % name,
                           path)
                    break
                lc = got[0]
            p.drain(0.3)  # the old server's stop, late lines
            m, new_pid = marks(p.seen, t0, pid)
            m["write"] = t0
            m["list_changed"] = lc
            m["visible"] = r[0]
            runs.append(m)
            pid = new_pid or pid
    finally:
        p.end()
    return runs, colds, path


def breakdown(b):
    S = "Reload breakdown"
    q = b.a.quick
    n = 3 if q else 10
    for label, d, tools, kind, cmd, ext in servers(b, "breakdown"):
        for mode in ("overlap", "stop-first"):
            log("reload breakdown, %s, %s" % (label, mode))
            runs, colds, path = one_breakdown(b, label, d, tools, kind, cmd,
                                              ext, mode, n)
            name = "%s, %s" % (label, mode)
            if not runs:
                b.row(S, "save → visible, %s" % name, "failed", "", "",
                      "≤ cold start + 5 ms", "?")
                continue
            total = med(m["visible"] - m["write"] for m in runs)
            cold = med(colds)
            if cold is None:
                b.row(S, "save → visible, %s" % name, "%.1f ms" % total,
                      "failed", "", "≤ cold start + 5 ms", "?")
            else:
                extra = total - cold
                b.row(S, "save → new tool visible (default settings, "
                      "debounce included), %s" % name, "%.1f ms" % total,
                      "%.1f ms cold start" % cold,
                      "%.2fx (%+.1f ms)" % (total / cold, extra),
                      "≤ cold start + 5 ms",
                      "met" if extra <= 5 else "**not met**")
            parts, missing = [], []
            for step, key in STEPS:
                if key == "stopped" and mode == "overlap":
                    continue
                vals = []
                for m in runs:
                    prev = max((m[k] for _, k in STEPS[:STEPS.index(
                        (step, key))] if k in m), default=m["write"])
                    prev = max(prev, m["write"])
                    if key in m:
                        vals.append(m[key] - prev)
                v = med(vals)
                if v is None:
                    missing.append(key)
                    continue
                parts.append("%s %.2f" % (step, v))
            b.note(S, "%s, %d reloads, median ms of each step (from the "
                   "previous mark found): %s.%s" % (
                       name, len(runs), "; ".join(parts),
                       " Marks not found in the log: %s." % ", ".join(
                           missing) if missing else ""))
            b.row(S, "of which mcpmon's own debounce (event → settled), "
                  "%s" % name,
                  "%.1f ms" % (med(m["settled"] - m["event"] for m in runs
                                   if "settled" in m and "event" in m) or 0),
                  "", "", "report", "")
    b.note(S, "Each reload: the client writes a new tool into the watched "
           "file (the time just before the write), mcpmon (`--debug -t`, "
           "default `--delay`) reloads, the client reads "
           "`notifications/tools/list_changed` and asks `tools/list`; each "
           "mark is the moment the bench read mcpmon's log line for it (or "
           "the client's answer) from the pipe, with µs resolution: mcpmon "
           "writes log lines at once. The baseline is the same server's "
           "cold start (spawn → initialize → tools/list answered, no "
           "mcpmon) through the same Python client, one before each "
           "reload. The C server prints `started` at the top of main, "
           "hello_server after importing its tools.")


# ---- comparison with nodemon and entr ----------------------------------------

def nodemon_bin(b):
    """nodemon from bench/node_modules (npm ci --prefix bench when
    missing): (path, None) or (None, why)."""
    here = os.path.join(b.a.root, "bench")
    nm = os.path.join(here, "node_modules", ".bin", "nodemon")
    if os.path.exists(nm):
        return nm, None
    if shutil.which("npm") is None:
        return None, "npm not installed"
    log("installing nodemon: npm ci --prefix bench")
    try:
        r = subprocess.run(["npm", "ci", "--prefix", here, "--no-audit",
                            "--no-fund"], capture_output=True, text=True,
                           timeout=300)
    except subprocess.TimeoutExpired:
        return None, "npm ci timed out"
    if r.returncode != 0 or not os.path.exists(nm):
        return None, "npm ci failed: %s" % r.stderr.strip()[-200:]
    return nm, None


def entr_bin():
    e = shutil.which("entr")
    if e is not None:
        return e, None
    if os.geteuid() != 0:
        return None, "entr not installed and not root (apt-get install entr)"
    log("installing entr: apt-get install -y entr")
    try:
        r = subprocess.run(["apt-get", "install", "-y", "entr"],
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ,
                                    DEBIAN_FRONTEND="noninteractive"))
    except subprocess.TimeoutExpired:
        return None, "apt-get install entr timed out"
    e = shutil.which("entr")
    if e is None:
        return None, "apt-get install entr failed: %s" % (
            r.stderr.strip()[-200:])
    return e, None


def restarts(b, tool, argv, d, tools, kind, n, what, files=None):
    """n writes under one long-running watcher; for each, ms from the
    write to the new server's first line ("... started"). Returns the list
    (None for a write that gave no start) and starts beyond one per
    write."""
    path = os.path.join(b.logs, what + ".log")
    stdin = subprocess.PIPE
    p = Proc(argv, path, stdin=stdin, merge=(tool != "mcpmon"))
    if tool == "entr":
        p.p.stdin.write(("\n".join(files) + "\n").encode())
        p.p.stdin.close()
    out, extra = [], 0
    try:
        if tool == "mcpmon" and p.handshake() is None:
            b.fail(what, "no handshake through mcpmon", path)
            return out, extra
        if not any(STARTED.search(x[2]) for x in p.seen) and p.wait(
                lambda s, t: STARTED.search(t) is not None, 20) is None:
            b.fail(what, "the server never started", path)
            return out, extra
        p.drain(0.5)
        for i in range(n):
            t0 = write_tool(tools, kind, "bench_c%d_%d" % (i, os.getpid()))
            got = p.wait(lambda s, t: STARTED.search(t) is not None, 20)
            if got is None:
                b.fail(what, "no restart within 20 s of write %d" % i, path)
                out.append(None)
                break
            out.append(got[0] - t0)
            while p.wait(lambda s, t: STARTED.search(t) is not None,
                         0.6) is not None:
                extra += 1
    finally:
        if tool == "mcpmon":
            p.end(3)
        else:
            stop_watcher(p)
    return out, extra


def stop_watcher(p):
    """SIGTERM to nodemon or entr (each stops its child), SIGKILL to the
    group after 3 s, then SIGKILL to any server still alive (a server in
    a group of its own), by the pids it printed."""
    try:
        os.killpg(p.p.pid, signal.SIGTERM)
    except OSError:
        pass
    try:
        p.p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    p.kill()
    for _, _, text in p.seen:
        m = re.search(r"mcp_bench_server: started pid (\d+)", text)
        if m is None:
            continue
        pid = int(m.group(1))
        try:  # still ours (the pid not reused)?
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"mcp_bench_server" in f.read():
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def cold_first_line(b, cmd, what):
    """Spawn -> the server's "started" line, no watcher: ms or None."""
    p = Proc(cmd, os.path.join(b.logs, what + ".log"), merge=True)
    try:
        got = p.wait(lambda s, t: STARTED.search(t) is not None, 20)
        return None if got is None else got[0] - p.t_spawn
    finally:
        p.end()


def compare(b):
    S = "Reload: mcpmon, nodemon, entr"
    q = b.a.quick
    n = 3 if q else 8
    nm, nm_why = nodemon_bin(b)
    en, en_why = entr_bin()
    for label, d, tools, kind, cmd, ext in servers(b, "compare"):
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(d)
                       for f in fs if f.endswith("." + ext))
        shell = " ".join(cmd)
        tools_ = [
            ("mcpmon", [b.mcpmon, "--no-tui", "--watch", d, "--ext", ext,
                        "--"] + cmd, None),
            ("nodemon", [nm, "--watch", d, "--ext", ext, "--exec", shell]
             if nm else None, nm_why),
            ("entr", [en, "-n", "-r"] + cmd if en else None, en_why),
        ]
        colds = [cold_first_line(b, cmd, "compare-cold") for _ in range(n)]
        cold = med(colds)
        for tool, argv, why in tools_:
            fig = "save → new server's first line, %s, %s" % (label, tool)
            if argv is None:
                b.row(S, fig, "skipped: %s" % why, "", "", "report", "")
                continue
            log("comparison, %s, %s" % (label, tool))
            if kind == "txt":
                open(tools, "w").close()
            v, extra = restarts(b, tool, argv, d, tools, kind, n,
                                "compare-%s-%s" % (tool, kind), files)
            v = med(v)
            if v is None or cold is None:
                b.row(S, fig, "failed", "", "", "report", "?")
                continue
            target = "≤ cold start + 5 ms" if tool == "mcpmon" else "report"
            met = ("met" if v - cold <= 5 else "**not met**") \
                if tool == "mcpmon" else ""
            b.row(S, fig, "%.1f ms" % v, "%.1f ms cold start" % cold,
                  "%.2fx (%+.1f ms)" % (v / cold, v - cold), target, met)
            if extra:
                b.note(S, "%s, %s: %d starts beyond one per write." % (
                    label, tool, extra))
    b.note(S, "The same server and folder under each tool; the figure is "
           "the median of %d writes, from the moment just before the write "
           "to the moment the bench read the new server's first line "
           "(`mcp_bench_server --hello`, hello_server's `started`): nodemon "
           "and entr do not speak MCP, so mcpmon is timed the same way "
           "here (its figure to the new tool being visible is in Reload "
           "breakdown). nodemon and entr pass the server's output straight "
           "to the bench; mcpmon relays the server's stderr through its "
           "log (one more pipe hop, tens of µs). Each tool with its "
           "defaults: `mcpmon --watch DIR --ext EXT`, `nodemon --watch DIR "
           "--ext EXT --exec CMD` (nodemon 3.1 from bench/package-lock.json), "
           "`entr -n -r CMD` given the folder's files. Baseline: the "
           "server's cold start to the same line, no watcher." % n)
