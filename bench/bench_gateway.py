"""Issue 18's gateway sections of bench.py: start -> full tools/list at
1/10/50/100 backends against starting the same servers directly
(`--only gateway`), one backend of 10,000 tools against the byte relay
(`--only biglist`), and one backend restarting in a loop while a client
calls another (`--only interference`). See bench/README.md.

Each function takes the Bench of bench.py (rows, notes, failures, paths).
"""

import os
import threading
import time

from bench_common import log, med, run_tool

MIB_KB = 1024


def fleet(b, opts, cmd, timeout, what):
    """One run of mcp_bench_fleet; its key=value figures or None."""
    return run_tool(b, "mcp_bench_fleet", opts, cmd, timeout, what)[0]


def gw_config(b, name, servers, top=""):
    """A gateway config: servers is [(name, [command, args...], watch,
    extra yaml lines)]."""
    path = os.path.join(b.tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(top)
        f.write("servers:\n")
        for sname, cmd, watch, extra in servers:
            # Relative paths would be read from the config's folder.
            f.write("  %s:\n    command: %s\n" % (sname,
                                                   os.path.abspath(cmd[0])))
            if len(cmd) > 1:
                f.write("    args: [%s]\n" % ", ".join(
                    '"%s"' % a for a in cmd[1:]))
            f.write("    watch: %s\n" % watch)
            for line in extra:
                f.write("    %s\n" % line)
    return path


# ---- 1/10/50/100 backends ----------------------------------------------------

def scale(b):
    S = "Gateway start"
    q = b.a.quick
    runs = 2 if q else 5
    sizes = (1, 10, 50, 100)
    res = {}
    for n in sizes:
        cfg = gw_config(b, "gwscale%d" % n, [
            ("b%d" % i, [b.server], b.empty, []) for i in range(n)])
        for r in range(runs):
            log("gateway start, %d backends, round %d of %d" % (n, r + 1,
                                                                 runs))
            for side, opts, cmd in (
                    ("direct", ["--direct", n], [b.server]),
                    ("gateway", ["--tools", n],
                     [b.mcpmon, "--no-tui", "--config", cfg])):
                f = fleet(b, opts + ["--runs", 1], cmd, 120,
                          "gwscale-%d-%s" % (n, side))
                if f is not None:
                    res.setdefault((n, side), []).append(
                        float(f["full_ms"]))
    for n in sizes:
        g, d = med(res.get((n, "gateway"), [])), med(res.get((n, "direct"),
                                                             []))
        fig = "start → full tools/list, %d backend%s" % (n, "" if n == 1
                                                         else "s")
        if n == 100:
            b.ratio_row(S, fig, g, d, "ms", "direct", 1.5, "<=")
        elif g is None or d is None:
            b.row(S, fig, "failed", "", "", "report", "?")
        else:
            b.row(S, fig, "%.1f ms" % g, "%.1f ms (direct)" % d,
                  "%.2fx" % (g / d), "report", "")
    b.note(S, "`mcp_bench_fleet`: from spawning mcpmon (`--config`, N "
           "C bench servers of one tool each) to a tools/list holding all "
           "N tools, asked again on each list_changed while shorter; the "
           "baseline spawns the same N servers at once itself, initializes "
           "each and reads each one's tools/list, timed to the last "
           "answer. Median of %d runs per side, interleaved." % runs)


# ---- one backend of 10,000 tools ---------------------------------------------

def big_list(b):
    S = "Gateway lists, 10,000 tools"
    q = b.a.quick
    runs = 1 if q else 3
    count = 10 if q else 30
    ntools = 10000
    tf = os.path.join(b.tmp, "tools-10k.txt")
    with open(tf, "w") as f:
        for i in range(ntools):
            f.write("tool_%05d_with_a_longer_name_for_the_bench\n" % i)
    srv = [b.server, "--tools-file", tf]
    cfg = gw_config(b, "gwbig", [("b0", srv, b.empty, [])])
    sides = (("relay", [b.relay] + srv),
             ("gateway", [b.mcpmon, "--no-tui", "--config", cfg]))
    res = {}
    for r in range(runs):
        for side, cmd in sides:
            log("gateway lists, 10,000 tools, %s, round %d of %d" % (
                side, r + 1, runs))
            f = fleet(b, ["--tools", ntools + 1, "--runs", 3 if q else 5,
                          "--count", count, "--timeout-ms", 60000], cmd, 300,
                      "gwbig-%s" % side)
            if f is not None:
                res.setdefault(side, []).append(f)

    def m(side, key):
        return med(float(f[key]) for f in res.get(side, []) if key in f)

    b.ratio_row(S, "tools/list p50 (every page), 10,000 tools",
                m("gateway", "list_p50_us"), m("relay", "list_p50_us"), "µs",
                "relay", 2.0, "<=")
    b.ratio_row(S, "start → full tools/list, 10,000 tools",
                m("gateway", "full_ms"), m("relay", "full_ms"), "ms",
                "relay", 2.0, "<=")
    rss, hwm = m("gateway", "rss_kb"), m("gateway", "hwm_kb")
    if rss is None:
        b.row(S, "mcpmon RSS, 10,000 tools", "failed", "", "", "≤ 12 MiB",
              "?")
    else:
        rr, rh = m("relay", "rss_kb"), m("relay", "hwm_kb")
        b.row(S, "mcpmon VmRSS / VmHWM, 10,000 tools",
              "%.1f / %.1f MiB" % (rss / MIB_KB, hwm / MIB_KB),
              "%s (relay)" % ("%.1f / %.1f MiB" % (rr / MIB_KB, rh / MIB_KB)
                              if rr is not None else "?"),
              "%.1fx" % (rss / rr) if rr else "",
              "≤ 12 MiB", "met" if max(rss, hwm) <= 12 * MIB_KB
              else "**not met**")
    pages = [f.get("pages") for f in res.get("gateway", [])]
    b.note(S, "One C bench server with %d tools from a file (a tools/list "
           "of about 1.4 MB, which the server prints once and then sends "
           "as text), through the gateway against `relay`. "
           "`mcp_bench_fleet --tools %d`: start = spawn → a full list "
           "(every page, following nextCursor; the gateway gave %s pages, "
           "the relay passes the server's one), median of the runs; then "
           "%d full lists timed one after another (p50), and VmRSS / VmHWM "
           "of the process the client spawned (mcpmon or relay, servers "
           "excluded) after them." % (ntools, ntools + 1,
                                      "/".join(str(p) for p in pages)
                                      or "?", count))


# ---- restart interference ----------------------------------------------------

def interference(b):
    S = "Restart interference"
    q = b.a.quick
    pairs = 1 if q else 3
    count = 5000 if q else 20000
    period = 0.08  # s between writes: more than the default --delay
    d0 = b.mkdir("interf-b0")
    tools = os.path.join(d0, "tools.txt")
    open(tools, "w").close()
    cfg = gw_config(b, "gwinterf", [
        ("b0", [b.server, "--tools-file", tools], d0, ["extensions: txt"]),
        ("b1", [b.server], b.empty, [])])
    cmd = [b.mcpmon, "--no-tui", "--config", cfg]
    opts = ["--op", "call", "--tool", "b1__blob", "--bytes", 16, "--count",
            count, "--warmup", 500]
    res = {"idle": [], "restarting": []}
    nrestarts = []
    for r in range(pairs):
        for side in ("idle", "restarting"):
            log("restart interference, %s, round %d of %d" % (side, r + 1,
                                                              pairs))
            stop = threading.Event()
            writes = [0]

            def loop():
                # Wait for the handshake (the client's first calls), then
                # a new tool every period until the calls end.
                time.sleep(0.3)
                while not stop.is_set():
                    with open(tools, "w") as f:
                        f.write("t%d\n" % writes[0])
                    writes[0] += 1
                    stop.wait(period)

            th = threading.Thread(target=loop, daemon=True)
            if side == "restarting":
                th.start()
            f, path = b.run(opts, cmd, 180, "interf-%s" % side)
            stop.set()
            if side == "restarting":
                th.join(timeout=5)
            if f is None:
                continue
            res[side].append(f)
            if side == "restarting":
                with open(path, errors="replace") as lf:
                    nrestarts.append(sum(1 for l in lf if "Restart #" in l))
    for key, label in (("p50_us", "p50"), ("p99_us", "p99"),
                       ("p999_us", "p99.9")):
        v = med(float(f[key]) for f in res["restarting"] if key in f)
        base = med(float(f[key]) for f in res["idle"] if key in f)
        fig = "tools/call %s of b1 while b0 restarts in a loop" % label
        if key == "p999_us":
            b.ratio_row(S, fig, v, base, "µs", "idle", 1.5, "<=")
        elif v is None or base is None:
            b.row(S, fig, "failed", "", "", "report", "?")
        else:
            b.row(S, fig, "%.1f µs" % v, "%.1f µs (idle)" % base,
                  "%.2fx" % (v / base), "report", "")
    b.note(S, "Gateway of two C bench servers; the client (`mcp_bench_client "
           "--op call --tool b1__blob --count %d`) calls b1 while the bench "
           "writes a new tool into b0's watched file every %d ms (b0 "
           "restarts with overlap, each restart a spawn, a handshake, a "
           "tools/list and a list_changed); baseline: the same gateway "
           "idle. Restarts of b0 per run: %s. Median of %d runs per side, "
           "interleaved." % (count, period * 1000, ", ".join(
               str(n) for n in nrestarts) or "?", pairs))
    if nrestarts and min(nrestarts) == 0:
        b.note(S, "**b0 did not restart in some run: the figure measures "
               "nothing there.**")
