#!/usr/bin/env python3
"""Runs mcpmon's benchmarks and writes bench/RESULTS.md (issue 6).

Started by bench/run.sh, which builds the binaries first; see there.
Every figure is compared with a baseline measured in the same run, each
side run several times (interleaved, so a noisy moment hits all sides)
and reported as the median. Every process runs under a timeout; nothing
here asserts on time: figures that miss a target are reported as such.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import bench_gateway
import bench_reload
import bench_watch

MIB = 1 << 20


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.a = args
        self.mcpmon = args.mcpmon
        self.client = os.path.join(args.bin, "mcp_bench_client")
        self.server = os.path.join(args.bin, "mcp_bench_server")
        self.relay = os.path.join(args.bin, "relay")
        self.runs = args.runs
        self.tmp = tempfile.mkdtemp(prefix="mcpmon-bench-")
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.empty = self.mkdir("empty")
        self.rows = []      # (section, figure, measured, baseline, ratio,
                            #  target, met)
        self.notes = {}     # section -> [text]
        self.failures = []
        self.nlog = 0
        self.t0 = time.monotonic()
        self.load_start = self.wait_quiet()
        self.cpu_start = cpu_busy()

    def wait_quiet(self):
        """The 1-minute load average, after waiting (2 minutes at most)
        for it to fall below 1: the figures of a busy machine mean
        little."""
        deadline = time.monotonic() + (10 if self.a.quick else 120)
        while True:
            load = os.getloadavg()[0]
            if load < 1.0 or time.monotonic() >= deadline:
                return load
            log("load average %.2f; waiting for a quieter machine" % load)
            time.sleep(10)

    def mkdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    # ---- running the client ------------------------------------------------

    def client_cmd(self, opts, cmd, prefix=()):
        return [str(x) for x in
                list(prefix) + [self.client] + list(opts) + ["--"] +
                list(cmd)]

    def run(self, opts, cmd, timeout, what, prefix=()):
        """Runs the client once; returns its key=value figures, or None
        (the failure is recorded). stderr (mcpmon's log) goes to a file;
        returns (figures, log path)."""
        return self.run_argv(self.client_cmd(opts, cmd, prefix), timeout,
                             what)

    def run_argv(self, argv, timeout, what):
        """Runs argv once as run() runs the client: stderr to a numbered
        log file, under a timeout, its own process group killed on
        timeout. Returns (key=value figures or None, log path)."""
        self.nlog += 1
        path = os.path.join(self.logs, "%03d-%s.log" % (
            self.nlog, re.sub(r"[^A-Za-z0-9_.-]", "_", what)))
        with open(path, "w") as err:
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                                 start_new_session=True, text=True)
            try:
                out, _ = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
                self.fail(what, "timed out after %d s" % timeout, path)
                return None, path
        if p.returncode != 0:
            self.fail(what, "exit status %d" % p.returncode, path)
            return None, path
        return parse_kv(out), path

    def start(self, opts, cmd, what):
        """Starts the client in the background; finish() collects it."""
        self.nlog += 1
        path = os.path.join(self.logs, "%03d-%s.log" % (self.nlog, what))
        err = open(path, "w")
        p = subprocess.Popen(self.client_cmd(opts, cmd),
                             stdout=subprocess.PIPE, stderr=err,
                             start_new_session=True, text=True)
        return (p, err, path, what)

    def finish(self, job, timeout):
        p, err, path, what = job
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            err.close()
            self.fail(what, "timed out after %d s" % timeout, path)
            return None, path
        err.close()
        if p.returncode != 0:
            self.fail(what, "exit status %d" % p.returncode, path)
            return None, path
        return parse_kv(out), path

    def fail(self, what, why, path):
        tail = ""
        try:
            with open(path, errors="replace") as f:
                tail = "".join(f.readlines()[-5:])
        except OSError:
            pass
        log("FAILED %s: %s\n%s" % (what, why, tail))
        self.failures.append("%s: %s (last log lines: %s)" % (
            what, why, " / ".join(l.strip() for l in tail.splitlines())))

    # ---- results -----------------------------------------------------------

    def row(self, section, figure, measured, baseline, ratio, target, met):
        self.rows.append((section, figure, measured, baseline, ratio, target,
                          met))

    def note(self, section, text):
        self.notes.setdefault(section, []).append(text)

    # ---- sides -------------------------------------------------------------

    def write_gateway(self, n):
        path = os.path.join(self.tmp, "gw%d.yaml" % n)
        with open(path, "w") as f:
            f.write("servers:\n")
            for i in range(n):
                f.write("  b%d:\n    command: %s\n    watch: %s\n" % (
                    i, self.server, self.empty))
        return path

    def sides(self):
        gw1 = self.write_gateway(1)
        gw10 = self.write_gateway(10)
        single = [self.mcpmon, "--no-tui", "--watch", self.empty, "--",
                  self.server]
        return [
            ("direct", [self.server], "blob"),
            ("relay", [self.relay, self.server], "blob"),
            ("relay --copy", [self.relay, "--copy", self.server], "blob"),
            ("relay --big-pipes", [self.relay, "--big-pipes", self.server],
             "blob"),
            ("mcpmon", single, "blob"),
            ("gateway-1", [self.mcpmon, "--no-tui", "--config", gw1],
             "b0__blob"),
            ("gateway-10", [self.mcpmon, "--no-tui", "--config", gw10],
             "b0__blob"),
        ]

    @staticmethod
    def side_runs(sname, wname):
        """The relay with big pipes only runs where pipes fill: large
        results."""
        return sname != "relay --big-pipes" or "MiB" in wname

    # ---- 1. proxy cost -----------------------------------------------------

    def placements(self):
        """Where the client, the proxy and the server run. One CPU: all
        three share CPU 0, so a round trip costs context switches and the
        proxy's own work, nothing else; the figures repeat within a few
        per cent. Two CPUs: the scheduler's choice, as in real use; here a
        wake-up on the other CPU of a VM costs tens of microseconds, and
        whether a run gets them is luck, so these figures are noisy."""
        out = []
        if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
            out.append(("one CPU", ["taskset", "-c", "0"]))
        out.append(("%d CPUs" % (os.cpu_count() or 1), []))
        return out

    def proxy_cost(self):
        S = "Proxy cost"
        q = self.a.quick
        workloads = [
            ("ping", ["--op", "ping", "--count", 1000 if q else 5000,
                      "--warmup", 200]),
            ("call 16 B", ["--op", "call", "--bytes", 16, "--count",
                           1000 if q else 5000, "--warmup", 200]),
            ("call 1 MiB", ["--op", "call", "--bytes", MIB, "--count",
                            10 if q else 40, "--warmup", 3]),
            ("call 16 MiB", ["--op", "call", "--bytes", 16 * MIB, "--count",
                             2 if q else 4, "--warmup", 1]),
        ]
        sides = self.sides()
        places = self.placements()
        res = {}  # (placement, side, workload) -> [figures]
        for r in range(self.runs):
            log("proxy cost, round %d of %d" % (r + 1, self.runs))
            for pname, prefix in places:
                for wname, opts in workloads:
                    for sname, cmd, tool in sides:
                        if not self.side_runs(sname, wname):
                            continue
                        f, _ = self.run(opts + ["--tool", tool], cmd, 120,
                                        "proxy-%s-%s-%s" % (pname, sname,
                                                            wname),
                                        prefix)
                        if f is not None:
                            res.setdefault((pname, sname, wname),
                                           []).append(f)
        self.proxy = res
        self.free_place = places[-1][0]

        def med(place, side, w, key):
            v = [float(f[key]) for f in res.get((place, side, w), [])
                 if key in f]
            return statistics.median(v) if v else None

        # A table of everything, then the targets.
        lines = ["| CPUs | workload | side | p50 µs | p99 µs | req/s | MB/s "
                 "| child CPU µs/req |",
                 "|---|---|---|---:|---:|---:|---:|---:|"]
        for pname, _ in places:
            for wname, _ in workloads:
                for sname, _, _ in sides:
                    p50 = med(pname, sname, wname, "p50_us")
                    if not self.side_runs(sname, wname):
                        continue
                    if p50 is None:
                        lines.append("| %s | %s | %s | failed | | | | |" %
                                     (pname, wname, sname))
                        continue
                    mb = med(pname, sname, wname, "mbps")
                    cpu = med(pname, sname, wname, "child_cpu_us")
                    lines.append("| %s | %s | %s | %.1f | %.1f | %.0f | %s | "
                                 "%s |" % (
                                     pname, wname, sname, p50,
                                     med(pname, sname, wname, "p99_us"),
                                     med(pname, sname, wname, "rps"),
                                     "%.0f" % mb if mb is not None and
                                     "MiB" in wname else "",
                                     fmt(cpu)))
        self.proxy_table = "\n".join(lines)

        for pname, _ in places:
            wname = "call 16 B"
            base = med(pname, "relay", wname, "p50_us")
            for sname in ("mcpmon", "gateway-1", "gateway-10"):
                v = med(pname, sname, wname, "p50_us")
                self.ratio_row(S, "p50 latency, tools/call (16 B), %s, %s" % (
                    sname, pname), v, base, "µs", "relay", 1.25, "<=")
        for pname, _ in places:
            for wname in ("call 1 MiB", "call 16 MiB"):
                base = med(pname, "relay", wname, "mbps")
                for sname in ("mcpmon", "gateway-1", "gateway-10"):
                    v = med(pname, sname, wname, "mbps")
                    self.ratio_row(S, "throughput, %s, %s, %s" % (
                        wname, sname, pname), v, base, "MB/s", "relay", 0.7,
                        ">=")
        self.note(S, "The baseline is `relay`, which moves bytes with "
                  "splice(2) and never reads them. `relay --copy` reads and "
                  "writes them through user space instead, as any proxy "
                  "that looks at messages must (informational: cheaper than "
                  "splice for small messages, dearer for large ones).")
        for pname, _ in places:
            parts = []
            for wname in ("call 1 MiB", "call 16 MiB"):
                big = med(pname, "relay --big-pipes", wname, "mbps")
                v = med(pname, "mcpmon", wname, "mbps")
                if big and v:
                    parts.append("%s: %s MB/s, mcpmon %.2fx of it" % (
                        wname, fmt(big), v / big))
            if parts:
                self.note(S, "mcpmon grows a pipe it finds full to 1 MiB "
                          "(fewer reads, writes and context switches per "
                          "large result); the baseline relay keeps the "
                          "default 64 KiB pipes. For comparison, the splice "
                          "relay with 1 MiB pipes too (`relay --big-pipes`, "
                          "informational), %s: %s." % (pname,
                                                       "; ".join(parts)))
        self.note(S, "`ping` is answered by mcpmon itself (PING-1) and "
                  "never reaches the server, so it is in the table above but "
                  "not held to the proxy targets.")
        for pname, _ in places:
            d = med(pname, "direct", "call 16 B", "p50_us")
            rl = med(pname, "relay", "call 16 B", "p50_us")
            if d is not None and rl is not None:
                self.note(S, "For scale (%s): a direct round trip (no proxy) "
                          "of `call 16 B` takes %.1f µs at p50, through the "
                          "relay %.1f µs; direct 16 MiB results run at %s "
                          "MB/s." % (pname, d, rl, fmt(med(
                              pname, "direct", "call 16 MiB", "mbps"))))

    def ratio_row(self, S, fig, v, base, unit, bname, target, op):
        if v is None or base is None or base == 0:
            self.row(S, fig, "failed", "", "", "%s %sx %s" % (op, target,
                                                            bname), "?")
            return
        ratio = v / base
        met = ratio <= target if op == "<=" else ratio >= target
        self.row(S, fig, "%s %s" % (fmt(v), unit),
                 "%s %s (%s)" % (fmt(base), unit, bname), "%.2fx" % ratio,
                 "%s %.2fx" % ("≤" if op == "<=" else "≥", target),
                 "met" if met else "**not met**")

    # ---- 2. allocation growth ----------------------------------------------

    def growth(self):
        S = "Allocation growth"
        n = 20000 if self.a.quick else 100000
        sides = [s for s in self.sides() if s[0] in ("mcpmon", "gateway-1")]
        runs = 1 if self.a.quick else 3
        res = {}
        for r in range(runs):
            for sname, cmd, tool in sides:
                log("allocation growth, %s, round %d of %d" % (sname, r + 1,
                                                               runs))
                f, _ = self.run(["--op", "call", "--bytes", 16, "--count", n,
                                 "--warmup", 0, "--tool", tool,
                                 "--rss-at", "1000,%d" % n], cmd, 300,
                                "growth-%s" % sname)
                if f is not None:
                    res.setdefault(sname, []).append(f)
        for sname, _, _ in sides:
            fs = res.get(sname, [])
            if not fs:
                self.row(S, "VmHWM growth, %s" % sname, "failed", "", "",
                         "≤ 1024 kB", "?")
                continue
            a = statistics.median(int(f["hwm_kb@1000"]) for f in fs)
            b = statistics.median(int(f["hwm_kb@%d" % n]) for f in fs)
            growths = [int(f["hwm_kb@%d" % n]) - int(f["hwm_kb@1000"])
                       for f in fs]
            g = statistics.median(growths)
            self.row(S, "mcpmon VmHWM after %dk tools/call, %s" % (
                n // 1000, sname), "%d kB" % b, "%d kB (after 1k)" % a,
                "%+d kB" % g, "≤ +1024 kB",
                "met" if g <= 1024 else "**not met**")
            self.note(S, "%s: growth per run %s kB." % (
                sname, ", ".join("%+d" % x for x in growths)))

    # ---- 3. reload ---------------------------------------------------------

    def reload(self):
        S = "Reload"
        q = self.a.quick
        delay = 30
        n = 5 if q else 15

        # C server: tools from tools.txt in a watched folder. Before each
        # reload the client also cold-starts the same server (--cold-cmd),
        # so that the baseline sees the same load as the reload.
        d = self.mkdir("reload-c")
        tools = os.path.join(d, "tools.txt")
        open(tools, "w").close()
        srv = [self.server, "--tools-file", tools]
        # Issue 14: each server reloads with overlap (the default) and with
        # stop-first, in the same run.
        got = {}
        for mode in ("overlap", "stop-first"):
            log("reload, C server, %s" % mode)
            open(tools, "w").close()
            rel, rlog = self.run(
                ["--reload", n, "--reload-file", tools, "--reload-kind", "txt",
                 "--cold-cmd", " ".join(srv)],
                [self.mcpmon, "--no-tui", "--watch", d, "--ext", "txt",
                 "--delay", delay, "--reload", mode, "--"] + srv, 300,
                "reload-c-" + mode)
            self.reload_row(S, "C server, %s" % mode, rel, rlog, delay)
            got[mode] = rel
        self.mode_row(S, "C server", got)

        # Python: examples/hello_server, a tool appended to tools.py.
        src = os.path.join(self.a.root, "examples", "hello_server")
        np = 5 if q else 15
        got = {}
        for mode in ("overlap", "stop-first"):
            h = os.path.join(self.tmp, "reload-py-" + mode)
            shutil.copytree(src, h)
            py = [sys.executable, os.path.join(h, "server.py")]
            log("reload, Python server, %s" % mode)
            rel_py, plog = self.run(
                ["--reload", np, "--reload-file", os.path.join(h, "tools.py"),
                 "--reload-kind", "py", "--cold-cmd", " ".join(py)],
                [self.mcpmon, "--no-tui", "--watch", h, "--ext", "py",
                 "--delay", delay, "--reload", mode, "--"] + py, 300,
                "reload-py-" + mode)
            self.reload_row(S, "Python server (examples/hello_server), %s"
                            % mode, rel_py, plog, delay)
            got[mode] = rel_py
        self.mode_row(S, "Python server", got)

        # A server that ignores SIGTERM and stdin EOF: bounded by --grace.
        # Its cold start is the same binary's without --stubborn (which
        # would never exit).
        grace = 500
        d2 = self.mkdir("reload-stubborn")
        tools2 = os.path.join(d2, "tools.txt")
        open(tools2, "w").close()
        ns = 3
        log("reload, server ignoring SIGTERM")
        rel_s, slog = self.run(
            ["--reload", ns, "--reload-file", tools2, "--reload-kind", "txt",
             "--cold-cmd", " ".join([self.server, "--tools-file", tools2])],
            [self.mcpmon, "--no-tui", "--watch", d2, "--ext", "txt",
             "--delay", delay, "--grace", grace, "--reload", "stop-first",
             "--", self.server, "--stubborn", "--tools-file", tools2], 120,
            "reload-stubborn")
        if rel_s is None:
            self.row(S, "reload, server ignoring SIGTERM", "failed", "", "",
                     "", "?")
        else:
            r = float(rel_s["reload_ms"])
            c = float(rel_s["coldstart_ms"])
            extra = r - delay - grace - c
            self.row(S, "reload, C server ignoring SIGTERM and stdin EOF "
                     "(--grace %d)" % grace, "%.1f ms" % r,
                     "%d ms grace + %d ms delay + %.1f ms cold start" % (
                         grace, delay, c),
                     "%.2fx grace; %+.1f ms beyond grace + delay + cold "
                     "start" % (r / grace, extra),
                     "≤ +15 ms beyond", "met" if extra <= 15 else
                     "**not met**")
            self.note(S, "SIGTERM-ignoring server, stop-first, each reload "
                      "(ms): %s." % rel_s.get("all_ms", "").replace(",", ", "))
        # The same server with overlap: its --grace is off the path (the
        # old process drains and is stopped after the swap).
        open(tools2, "w").close()
        rel_o, _ = self.run(
            ["--reload", ns, "--reload-file", tools2, "--reload-kind", "txt",
             "--cold-cmd", " ".join([self.server, "--tools-file", tools2])],
            [self.mcpmon, "--no-tui", "--watch", d2, "--ext", "txt",
             "--delay", delay, "--grace", grace, "--", self.server,
             "--stubborn", "--tools-file", tools2], 120,
            "reload-stubborn-overlap")
        if rel_o is not None and rel_s is not None:
            ro = float(rel_o["reload_ms"])
            self.row(S, "reload, C server ignoring SIGTERM, overlap",
                     "%.1f ms" % ro, "%.1f ms stop-first" % float(
                         rel_s["reload_ms"]),
                     "%.2fx" % (ro / float(rel_s["reload_ms"])),
                     "grace off the path",
                     "met" if ro < grace else "**not met**")

    def mode_row(self, S, name, got):
        """Issue 14: save -> new tool visible, overlap against stop-first
        measured in the same run (overlap must not be slower)."""
        o, f = got.get("overlap"), got.get("stop-first")
        if o is None or f is None:
            self.row(S, "reload, %s: overlap vs stop-first" % name, "failed",
                     "", "", "≤ 1.00x", "?")
            return
        ro, rf = float(o["reload_ms"]), float(f["reload_ms"])
        self.row(S, "reload, %s: overlap vs stop-first" % name,
                 "%.1f ms" % ro, "%.1f ms stop-first" % rf,
                 "%.2fx" % (ro / rf), "≤ 1.00x",
                 "met" if ro <= rf * 1.02 else "**not met**")

    def reload_row(self, S, name, rel, logpath, delay):
        if rel is None:
            self.row(S, "reload, %s" % name, "failed", "", "", "≤ 15 ms", "?")
            return
        r = float(rel["reload_ms"])
        c = float(rel["coldstart_ms"])
        share = r - delay - c
        self.row(S, "reload, %s: mcpmon's share = reload − delay − cold "
                 "start" % name, "%.1f ms reload" % r,
                 "%.1f ms cold start + %d ms delay" % (c, delay),
                 "share %.1f ms (%.2fx cold start + delay)" % (
                     share, r / (c + delay)),
                 "share ≤ 15 ms", "met" if share <= 15 else "**not met**")
        own = restart_times(logpath)
        cs = sorted(float(x) for x in rel.get("cold_all_ms", "").split(",")
                    if x)
        rs = sorted(float(x) for x in rel.get("all_ms", "").split(",") if x)
        self.note(S, "%s: %d reloads, each after a cold start of the same "
                  "server (spawn → tools/list answered, no mcpmon; %s); "
                  "reload %.1f ms from the write to tools/list answered, "
                  "list_changed at %.1f ms; each reload (ms): %s; mcpmon's "
                  "own \"Restart #N complete\" log figure (stop + spawn + "
                  "handshake), median: %s ms." % (
                      name, len(rs), "%.1f to %.1f ms" % (cs[0], cs[-1])
                      if cs else "?", r, float(rel["notify_ms"]),
                      ", ".join("%.1f" % x for x in rs),
                      fmt(statistics.median(own)) if own else "?"))

    # ---- 4. watching -------------------------------------------------------

    def watching(self):
        S = "Watching"
        q = self.a.quick
        tree = os.path.join(self.tmp, "tree")
        ndirs, per = 2000, 10
        log("watching: generating %d files in %d directories" % (
            ndirs * per, ndirs))
        for i in range(ndirs):
            d = os.path.join(tree, "d%d" % i)
            os.makedirs(d)
            for j in range(per):
                with open(os.path.join(d, "f%d.py" % j), "w") as f:
                    f.write("# file %d/%d\n" % (i, j))

        def single(watch):
            return [self.mcpmon, "--no-tui", "--watch", watch, "--ext", "py",
                    "--", self.server]

        runs = 3 if q else self.runs
        res = {"empty": [], "tree": []}
        for r in range(runs):
            log("watching: start-up, round %d of %d" % (r + 1, runs))
            for name, w in (("empty", self.empty), ("tree", tree)):
                f, _ = self.run(["--op", "ping", "--count", 1, "--warmup", 0],
                                single(w), 120, "startup-%s" % name)
                if f is not None:
                    res[name].append(f)
        walks = []
        for r in range(runs):
            t = time.monotonic()
            subprocess.run(["find", tree, "-newer", os.path.join(
                tree, "d0", "f0.py")], stdout=subprocess.DEVNULL, timeout=60)
            walks.append((time.monotonic() - t) * 1000)
        self.note(S, "For scale: `find` stat-ing every file of the tree "
                  "takes %.1f ms (median of %d)." % (statistics.median(walks),
                                                     runs))
        if res["empty"] and res["tree"]:
            e = statistics.median(float(f["init_ms"]) for f in res["empty"])
            t = statistics.median(float(f["init_ms"]) for f in res["tree"])
            self.row(S, "start-up (spawn → initialize answered), 20,000 "
                     "files in 2,000 directories", "%.1f ms" % t,
                     "%.1f ms (empty directory)" % e,
                     "%.2fx (%+.1f ms)" % (t / e, t - e), "report", "")
            he = statistics.median(int(f["hwm_kb"]) for f in res["empty"])
            ht = statistics.median(int(f["hwm_kb"]) for f in res["tree"])
            self.row(S, "memory (VmHWM) watching the tree", "%d kB" % ht,
                     "%d kB (empty directory)" % he,
                     "%.2fx (%+d kB)" % (ht / he, ht - he), "report", "")
        else:
            self.row(S, "start-up watching the tree", "failed", "", "", "",
                     "?")

        idle = 3000 if q else 10000
        log("watching: %d ms idle" % idle)
        gw10 = self.write_gateway(10)
        jobs = [
            ("single, empty directory", self.start(
                ["--idle-ms", idle], single(self.empty), "idle-empty")),
            ("single, 20,000-file tree", self.start(
                ["--idle-ms", idle], single(tree), "idle-tree")),
            ("gateway, 10 backends", self.start(
                ["--idle-ms", idle], [self.mcpmon, "--no-tui", "--config",
                                      gw10], "idle-gw10")),
        ]
        self.idle = {}
        for name, job in jobs:
            f, _ = self.finish(job, idle / 1000 + 60)
            self.idle[name] = f
            if f is None:
                self.row(S, "CPU over %d s idle, %s" % (idle // 1000, name),
                         "failed", "", "", "0 ticks", "?")
                continue
            t = int(f["idle_ticks"])
            self.row(S, "CPU time over %d s idle, %s" % (idle // 1000, name),
                     "%d ticks" % t, "0 ticks (no polling)", "", "0 ticks",
                     "met" if t == 0 else "**not met**")

        bruns = 1 if q else 3
        counts = []
        lcs = []
        for r in range(bruns):
            log("watching: burst of 1000 writes, round %d of %d" % (r + 1,
                                                                  bruns))
            f, path = self.run(["--burst", 1000, "--burst-root", tree,
                                "--settle-ms", 1500], single(tree), 120,
                               "burst")
            if f is None:
                continue
            with open(path, errors="replace") as lf:
                counts.append(sum(1 for l in lf if "Restart #" in l))
            lcs.append(int(f["list_changed"]))
            self.note(S, "burst %d: 1,000 files written in %s ms, first "
                      "list_changed %s ms after the first write." % (
                          r + 1, f["burst_write_ms"],
                          f["first_list_changed_ms"]))
        if counts:
            ok = all(c == 1 for c in counts) and all(c == 1 for c in lcs)
            self.row(S, "restarts after a burst of 1,000 file writes",
                     ", ".join(str(c) for c in counts) + " (per run)",
                     "1", "", "exactly 1", "met" if ok else "**not met**")
        else:
            self.row(S, "restarts after a burst of 1,000 file writes",
                     "failed", "", "", "exactly 1", "?")

    # ---- 5. footprint -------------------------------------------------------

    def footprint(self):
        S = "Footprint"
        res = self.proxy
        w = "call 16 B"
        place = self.free_place

        def med(side, key):
            v = [int(f[key]) for f in res.get((place, side, w), [])
                 if key in f]
            return statistics.median(v) if v else None

        base_rss, base_hwm = med("relay", "rss_kb"), med("relay", "hwm_kb")
        for side, limit in (("mcpmon", 4096), ("gateway-10", 8192)):
            rss, hwm = med(side, "rss_kb"), med(side, "hwm_kb")
            label = "single mode" if side == "mcpmon" else \
                "gateway, 10 backends"
            if rss is None:
                self.row(S, "core RSS, %s" % label, "failed", "", "",
                         "≤ %d kB" % limit, "?")
                continue
            self.row(S, "core VmRSS / VmHWM, %s" % label,
                     "%d / %d kB" % (rss, hwm),
                     "%d / %d kB (relay)" % (base_rss, base_hwm),
                     "%.1fx / %.1fx" % (rss / base_rss, hwm / base_hwm),
                     "≤ %d kB" % limit,
                     "met" if max(rss, hwm) <= limit else "**not met**")
        self.note(S, "Measured on the mcpmon process only (its servers "
                  "excluded), after the handshake and 5,000 small tools/call "
                  "round trips; the relay is a 100-line C program with no "
                  "libraries beyond libc.")

    # ---- 6. server stderr ---------------------------------------------------

    def stderr_side(self, sname, prefix, n):
        """One flood: the bench server writes n lines of 1000 bytes to its
        stderr (--stderr-flood), read by mcpmon (which logs each line to
        its own stderr) or by `cat`; both write to a file. Returns the
        server's own report ({lines, bytes, ns}: first write to end of the
        last, the reader setting the pace) or None (failure recorded)."""
        self.nlog += 1
        what = "stderr-%s-%s" % (re.sub(r"[^A-Za-z0-9_.-]", "_", sname),
                                 "pinned" if prefix else "free")
        sink = os.path.join(self.logs, "%03d-%s.log" % (self.nlog, what))
        report = os.path.join(self.tmp, "flood-report")
        if os.path.exists(report):
            os.unlink(report)
        srv = [self.server, "--stderr-flood", str(n), "--flood-report",
               report]
        procs = []
        try:
            with open(sink, "wb") as out:
                if sname == "mcpmon":
                    procs.append(subprocess.Popen(
                        list(prefix) + [self.mcpmon, "--no-tui", "--watch",
                                        self.empty, "--"] + srv,
                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                        stderr=out, start_new_session=True))
                else:
                    cat = subprocess.Popen(list(prefix) + ["cat"],
                                           stdin=subprocess.PIPE, stdout=out,
                                           start_new_session=True)
                    procs.append(cat)
                    procs.insert(0, subprocess.Popen(
                        list(prefix) + srv, stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL, stderr=cat.stdin,
                        start_new_session=True))
                    cat.stdin.close()  # cat's EOF: the server's exit
            # The server writes its report once the reader has taken all
            # but the pipe's last buffer; then stdin EOF ends it.
            deadline = time.monotonic() + 120
            while not os.path.exists(report):
                if procs[0].poll() is not None:
                    self.fail(what, "exited (status %d) before the end of "
                              "the flood" % procs[0].returncode, sink)
                    return None
                if time.monotonic() >= deadline:
                    self.fail(what, "no flood report after 120 s", sink)
                    return None
                time.sleep(0.01)
            procs[0].stdin.close()
            for p in procs:
                p.wait(timeout=30)
                if p.returncode != 0:
                    self.fail(what, "exit status %d" % p.returncode, sink)
                    return None
            with open(report) as f:
                rep = parse_kv(f.read())
            # Every line must have arrived whole: mcpmon adds its prefix.
            body = b"e" * 999 + b"\n"
            with open(sink, "rb") as f:
                got = sum(1 for line in f if line.endswith(body))
            if got != n:
                self.fail(what, "%d of %d lines arrived" % (got, n), sink)
                return None
            os.unlink(sink)  # large; kept only when something failed
            return rep
        except subprocess.TimeoutExpired:
            self.fail(what, "did not exit within 30 s of stdin EOF", sink)
            return None
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                if p.stdin is not None and not p.stdin.closed:
                    p.stdin.close()

    def stderr_throughput(self):
        S = "Server stderr"
        n = 20000 if self.a.quick else 100000
        sides = ("cat", "mcpmon")
        places = self.placements()
        res = {}  # (placement, side) -> [lines per second]
        mbs = {}
        for r in range(self.runs):
            log("stderr throughput, round %d of %d" % (r + 1, self.runs))
            for pname, prefix in places:
                for sname in sides:
                    rep = self.stderr_side(sname, prefix, n)
                    if rep is None:
                        continue
                    secs = int(rep["ns"]) / 1e9
                    res.setdefault((pname, sname), []).append(
                        int(rep["lines"]) / secs)
                    mbs.setdefault((pname, sname), []).append(
                        int(rep["bytes"]) / secs / 1e6)
        for pname, _ in places:
            fig = ("stderr lines of 1000 bytes a server writes through "
                   "mcpmon, %s" % pname)
            v = res.get((pname, "mcpmon"))
            base = res.get((pname, "cat"))
            if not v or not base:
                self.row(S, fig, "failed", "", "", "report", "?")
                continue
            v, base = statistics.median(v), statistics.median(base)
            self.row(S, fig, "%.0f lines/s (%.0f MB/s)" % (
                v, statistics.median(mbs[(pname, "mcpmon")])),
                "%.0f lines/s (%.0f MB/s) (`cat`)" % (
                    base, statistics.median(mbs[(pname, "cat")])),
                "%.2fx" % (v / base), "report", "")
        self.note(S, "The server (`mcp_bench_server --stderr-flood %d`) "
                  "writes %d lines of 1000 bytes to its stderr with blocking "
                  "writes, so the reader sets the pace, and times itself "
                  "from the first write to the end of the last (all but "
                  "the pipe's last 64 KiB read). Through mcpmon (single "
                  "mode), which reads the pipe and writes "
                  "each line with its `[mcpmon ...] | ` prefix to its own "
                  "stderr, a file here; the baseline is `cat` reading the "
                  "same server's stderr pipe into a file. Every line is "
                  "counted in the file afterwards. `report` only: no "
                  "target is set for this figure." % (n, n))

    # ---- report -------------------------------------------------------------

    def environment(self):
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for l in f:
                    if l.startswith("model name"):
                        cpu = l.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        rev = subprocess.run(["git", "-C", self.a.root, "describe",
                              "--always", "--dirty"], capture_output=True,
                             text=True).stdout.strip() or "?"
        return ("%s, %d CPUs (%s), Linux %s, Python %s; mcpmon at %s" % (
            datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            os.cpu_count() or 0, cpu, platform.release(),
            platform.python_version(), rev))

    def write(self):
        secs = time.monotonic() - self.t0
        out = []
        out.append("# mcpmon benchmarks\n")
        out.append("Produced by `%s` (%s; %.0f s). Each figure is the median "
                   "of %d runs per side unless said otherwise; every ratio is "
                   "against a baseline measured in the same run." % (
                       self.a.command, self.environment(), secs, self.runs))
        out.append("")
        busy0, ours0, wall0 = self.cpu_start
        busy1, ours1, wall1 = cpu_busy()
        others = max(0.0, ((busy1 - busy0) - (ours1 - ours0)) /
                     max(wall1 - wall0, 1e-9))
        out.append("Load average (1 min) at the start %.2f; during the run "
                   "other processes kept %.2f CPUs busy on average%s." % (
                       self.load_start, others,
                       " — **a busy machine: the figures are noisier than "
                       "usual**" if others >= 0.25 else ""))
        out.append("")
        out.append("What is measured, and how: bench/README.md." + (
            " Logs of this run: `%s`." % self.logs if self.a.keep else ""))
        out.append("")
        sections = []
        for r in self.rows:
            if r[0] not in sections:
                sections.append(r[0])
        for s in sections:
            out.append("## %s\n" % s)
            out.append("| figure | measured | baseline | ratio | target | "
                       "met |")
            out.append("|---|---|---|---|---|---|")
            for r in self.rows:
                if r[0] == s:
                    out.append("| %s |" % " | ".join(str(x) for x in r[1:]))
            out.append("")
            if s == "Proxy cost":
                out.append("All sides: medians of the per-run p50, p99, "
                           "requests per second, MB/s, and the CPU time the "
                           "child of the client spent per round trip "
                           "(/proc/PID/schedstat: the proxy's own, or the "
                           "server's when direct).\n")
                out.append(self.proxy_table)
                out.append("")
            for n in self.notes.get(s, []):
                out.append("- %s" % n)
            if self.notes.get(s):
                out.append("")
        if self.a.analysis and os.path.exists(self.a.analysis):
            with open(self.a.analysis) as f:
                out.append(f.read().rstrip() + "\n")
        if self.failures:
            out.append("## Failures in this run\n")
            for f in self.failures:
                out.append("- %s" % f)
            out.append("")
        with open(self.a.out, "w") as f:
            f.write("\n".join(out))
        log("wrote %s (%.0f s)" % (self.a.out, secs))


def fmt(v):
    if v is None:
        return "?"
    if v >= 100:
        return "%.0f" % v
    return "%.1f" % v


def cpu_busy():
    """(seconds all CPUs were busy, seconds used by our finished children,
    wall seconds)."""
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    busy = (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0))
    t = os.times()
    return busy / hz, t.children_user + t.children_system, time.monotonic()


def parse_kv(out):
    line = out.strip().splitlines()[-1] if out.strip() else ""
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def restart_times(path):
    if path is None or not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [float(m.group(1)) for m in
                re.finditer(r"Restart #\d+ complete \((\d+) ms[,)]", f.read())]


# --only's names, in the order the sections run: a Bench method's name,
# or a function of a section module (issue 18) called with the Bench.
SECTIONS = {"proxy": "proxy_cost", "growth": "growth", "reload": "reload",
            "breakdown": bench_reload.breakdown,
            "compare": bench_reload.compare,
            "watching": "watching", "watchscale": bench_watch.scale,
            "footprint": "footprint",
            "gateway": bench_gateway.scale,
            "biglist": bench_gateway.big_list,
            "interference": bench_gateway.interference,
            "stderr": "stderr_throughput"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mcpmon", required=True)
    ap.add_argument("--bin", required=True, help="folder of the bench tools")
    ap.add_argument("--root", required=True, help="the mcpmon source tree")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--analysis", help="markdown appended to the results")
    ap.add_argument("--only", help="comma-separated sections to run: %s "
                    "(footprint needs proxy, which it then runs)" %
                    ", ".join(SECTIONS))
    a = ap.parse_args()
    only = SECTIONS if not a.only else a.only.split(",")
    bad = [x for x in only if x not in SECTIONS]
    if bad:
        ap.error("unknown section %s; choose from %s" % (
            ", ".join(bad), ", ".join(SECTIONS)))
    if "footprint" in only and "proxy" not in only:
        only.append("proxy")
    b = Bench(a)
    try:
        for name in SECTIONS:  # in this order: footprint reads proxy's
            if name in only:
                f = SECTIONS[name]
                f(b) if callable(f) else getattr(b, f)()
        b.write()
    finally:
        if not a.keep:
            shutil.rmtree(b.tmp, ignore_errors=True)
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
