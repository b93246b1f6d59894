"""Issue 18's watcher section of bench.py (`--only watchscale`): mcpmon's
watcher at 1k/20k/100k files against the floor program
(bench/watch_floor.c), and the first answer to initialize with a 100k-file
tree against an empty watch. See bench/README.md.

The function takes the Bench of bench.py (rows, notes, failures, paths).
"""

import os
import re
import subprocess
import time

from bench_common import Proc, inotify_watches, kb_status, log, med, \
    parse_kv

PER_DIR = 10


def make_tree(root, nfiles):
    """nfiles files, PER_DIR to a folder, in folders of 100 folders."""
    t = time.monotonic()
    ndirs = nfiles // PER_DIR
    for i in range(ndirs):
        d = os.path.join(root, "g%d" % (i // 100), "d%d" % i)
        os.makedirs(d, exist_ok=True)
        for j in range(PER_DIR):
            with open(os.path.join(d, "f%d.py" % j), "w") as f:
                f.write("# %d/%d\n" % (i, j))
    return ndirs + (ndirs + 99) // 100 + 1, time.monotonic() - t


def floor(b, tree, what):
    """The floor program on tree: (spawn -> its line ms, figures)."""
    path = os.path.join(b.logs, what + ".log")
    p = Proc([os.path.join(b.a.bin, "watch_floor"), tree], path)
    try:
        got = p.wait(lambda s, t: s == "out" and "watches=" in t, 120)
        if got is None:
            b.fail(what, "no report from watch_floor", path)
            return None, None
        return got[0] - p.t_spawn, parse_kv(got[2])
    finally:
        p.end()


WATCHING = re.compile(r"\] Watching .*\b(\d[\d,]*) director")


def mcpmon_start(b, tree, what):
    """mcpmon watching tree: ms from spawn to the initialize answer and
    to its "Watching ... N directories" line, VmHWM and watches once
    both came; or None."""
    path = os.path.join(b.logs, what + ".log")
    p = Proc([b.mcpmon, "--no-tui", "--watch", tree, "--ext", "py", "--",
              b.server], path)
    try:
        init = p.handshake(60)
        if init is None:
            b.fail(what, "no initialize answer", path)
            return None
        got = next((x for x in p.seen if x[1] == "err" and
                    WATCHING.search(x[2])), None) or \
            p.wait(lambda s, t: s == "err" and WATCHING.search(t) is not None,
                   120)
        if got is None:
            b.fail(what, "no \"Watching ... directories\" line", path)
            return None
        # The scan done: the memory it kept, the watches it holds.
        time.sleep(0.2)
        return {"init": init - p.t_spawn, "watch": got[0] - p.t_spawn,
                "hwm": kb_status(p.p.pid, "VmHWM"),
                "watches": inotify_watches(p.p.pid)}
    finally:
        p.end()


def scale(b):
    S = "Watcher scale"
    q = b.a.quick
    runs = 1 if q else 3
    sizes = (1000, 20000, 100000)
    trees = {}
    for n in sizes:
        root = os.path.join(b.tmp, "wtree%d" % n)
        nd, secs = make_tree(root, n)
        trees[n] = root
        log("watcher scale: %d files in %d folders written in %.1f s" % (
            n, nd, secs))
    subprocess.run(["sync"], timeout=120)
    res = {}
    for r in range(runs):
        for n in sizes:
            log("watcher scale, %d files, round %d of %d" % (n, r + 1, runs))
            ms, f = floor(b, trees[n], "wfloor-%d" % n)
            if f is not None:
                res.setdefault((n, "floor"), []).append(
                    {"watch": ms, "hwm": int(f["hwm_kb"]),
                     "watches": int(f["watches"])})
            m = mcpmon_start(b, trees[n], "wmcpmon-%d" % n)
            if m is not None:
                res.setdefault((n, "mcpmon"), []).append(m)
        m = mcpmon_start(b, b.empty, "wmcpmon-empty")
        if m is not None:
            res.setdefault((0, "mcpmon"), []).append(m)

    def v(n, side, key):
        return med(x[key] for x in res.get((n, side), [])
                   if x.get(key) is not None)

    for n in sizes:
        label = "%dk files" % (n // 1000)
        b.ratio_row(S, "watcher start (spawn → \"Watching\" line; floor: "
                    "spawn → its report), %s" % label, v(n, "mcpmon",
                                                         "watch"),
                    v(n, "floor", "watch"), "ms", "floor", 2.0, "<=")
        hm, hf = v(n, "mcpmon", "hwm"), v(n, "floor", "hwm")
        if hm is None or hf is None:
            b.row(S, "memory (VmHWM), %s" % label, "failed", "", "",
                  "report", "?")
        else:
            b.row(S, "memory (VmHWM), %s" % label, "%d kB" % hm,
                  "%d kB (floor)" % hf, "%.2fx" % (hm / hf), "report", "")
        wm, wf = v(n, "mcpmon", "watches"), v(n, "floor", "watches")
        if wm is not None and wf is not None:
            b.row(S, "inotify watches, %s" % label, "%d" % wm,
                  "%d (floor)" % wf, "%.2fx" % (wm / wf) if wf else "",
                  "report", "")
    i100, i0 = v(100000, "mcpmon", "init"), v(0, "mcpmon", "init")
    if i100 is None or i0 is None:
        b.row(S, "first initialize answer, 100k files", "failed", "", "",
              "no later than without a watch", "?")
    else:
        b.row(S, "first initialize answer (spawn → answered), 100k files",
              "%.1f ms" % i100, "%.1f ms (empty watch)" % i0,
              "%.2fx (%+.1f ms)" % (i100 / i0, i100 - i0),
              "≤ 1.10x (no later, within noise)",
              "met" if i100 <= i0 * 1.10 else "**not met**")
    b.note(S, "Trees of %s files, %d to a folder in folders of 100 "
           "(1k files: 102 folders; 100k: 10,101). mcpmon: `mcpmon --watch "
           "TREE --ext py -- mcp_bench_server`, timed by the bench from the "
           "spawn to reading its `Watching ... N directories` line and to "
           "the initialize answer (sent at once); memory and watches "
           "(/proc/PID/status, /proc/PID/fdinfo) 200 ms after both. The "
           "floor (`watch_floor TREE`) walks the tree with readdir and adds "
           "one inotify watch per folder, nothing else, and prints its "
           "figures; timed from its spawn to reading that line. Median of "
           "%d runs." % ("/".join("%dk" % (n // 1000) for n in sizes),
                         PER_DIR, runs))
