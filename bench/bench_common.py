"""Helpers shared by the benchmark sections of issue 18 (bench_reload.py,
bench_gateway.py, bench_watch.py): a process driven over pipes whose every
output line is stamped with the time it arrived, and small statistics.

Times are time.monotonic_ns() (CLOCK_MONOTONIC) in this process: the
moment a line was read from the pipe, or the moment just before a file was
written. A reader thread per pipe takes each line as it comes (mcpmon
writes its log lines at once: logging never waits), so two marks of one
run are comparable to within the thread's wake-up, tens of µs.
"""

import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import threading
import time


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def now_ms():
    return time.monotonic_ns() / 1e6


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def fmt_ms(v):
    return "?" if v is None else "%.1f ms" % v


def kb_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def inotify_watches(pid):
    """Watches held by pid's inotify descriptors (/proc/PID/fdinfo)."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fdinfo" % pid):
            try:
                with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                    n += sum(1 for l in f if l.startswith("inotify wd:"))
            except OSError:
                pass
    except OSError:
        return None
    return n


class Proc:
    """A child with stdin, stdout and stderr on pipes (stderr also copied
    to log_path). Every line read goes to one queue as (ms, stream, text)
    and to self.seen; wait() takes lines until one matches."""

    def __init__(self, cmd, log_path, stdin=subprocess.PIPE, cwd=None,
                 merge=False):
        self.log = open(log_path, "a")
        self.log.write("$ %s\n" % " ".join(str(c) for c in cmd))
        self.log.flush()
        self.q = queue.Queue()
        self.seen = []
        self.next_id = 1
        self.t_spawn = now_ms()
        self.p = subprocess.Popen(
            [str(c) for c in cmd], stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE,
            start_new_session=True, cwd=cwd)
        self.threads = [threading.Thread(target=self._read,
                                         args=(self.p.stdout, "out"),
                                         daemon=True)]
        if not merge:
            self.threads.append(threading.Thread(
                target=self._read, args=(self.p.stderr, "err"), daemon=True))
        for t in self.threads:
            t.start()

    def _read(self, pipe, name):
        for raw in iter(pipe.readline, b""):
            t = now_ms()
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self.q.put((t, name, text))
            if name == "err" or len(text) < 2000:
                try:
                    self.log.write("%.3f %s %s\n" % (t, name, text[:2000]))
                    self.log.flush()
                except ValueError:
                    pass  # closed at the end
        self.q.put((now_ms(), name, None))

    def wait(self, pred, timeout_s):
        """The first line (ms, stream, text) for which pred(stream, text)
        holds, or None after timeout_s or at the end of both pipes."""
        deadline = time.monotonic() + timeout_s
        ends = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                item = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if item[2] is None:
                ends += 1
                if ends >= len(self.threads):
                    return None
                continue
            self.seen.append(item)
            if pred(item[1], item[2]):
                return item

    def drain(self, secs):
        """Collect lines for secs into self.seen."""
        self.wait(lambda s, t: False, secs)

    def send(self, method, params=None, notify=False):
        m = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            m["params"] = params
        mid = None
        if not notify:
            mid = self.next_id
            self.next_id += 1
            m["id"] = mid
        self.p.stdin.write((json.dumps(m) + "\n").encode())
        self.p.stdin.flush()
        return mid

    def request(self, method, params, timeout_s):
        """Sends a request; returns (ms of the answer, parsed answer) or
        None."""
        mid = self.send(method, params)
        pat = re.compile(r'"id"\s*:\s*%d\s*[,}]' % mid)
        got = self.wait(lambda s, t: s == "out" and pat.search(t) is not None
                        and '"method"' not in t[:200], timeout_s)
        if got is None:
            return None
        try:
            return got[0], json.loads(got[2])
        except ValueError:
            return None

    def handshake(self, timeout_s=20):
        """initialize and initialized; returns the ms of the answer."""
        r = self.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}}, timeout_s)
        if r is None or "result" not in r[1]:
            return None
        self.send("notifications/initialized", notify=True)
        return r[0]

    def tools(self, timeout_s=20):
        """tools/list (every page): (ms of the last answer, names) or
        None."""
        names, params = [], {}
        while True:
            r = self.request("tools/list", params, timeout_s)
            if r is None or "result" not in r[1]:
                return None
            names += [t.get("name") for t in r[1]["result"].get("tools", [])]
            cur = r[1]["result"].get("nextCursor")
            if not cur:
                return r[0], names
            params = {"cursor": cur}

    def end(self, grace_s=5):
        try:
            if self.p.stdin is not None:
                self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        for t in self.threads:
            t.join(timeout=2)
        self.log.close()
        return self.p.returncode

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except OSError:
            pass
        self.end(1)


def log_message(text):
    """The message of one mcpmon log line and its pid (or None), without
    the "[mcpmon TIME NAME pid:N] " prefix; (None, None) if not a log
    line."""
    m = re.match(r"\[mcpmon [^\]]*?(?: pid:(\d+))?\] ?(.*)$", text)
    if m is None:
        return None, None
    return m.group(2), int(m.group(1)) if m.group(1) else None


def parse_kv(out):
    line = out.strip().splitlines()[-1] if out.strip() else ""
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def run_tool(b, tool, opts, cmd, timeout, what):
    """Runs bench tool `tool` (a program in --bin) as bench.py's Bench.run
    runs the client: `tool opts -- cmd`, stderr to a log file, under a
    timeout. Returns (key=value figures or None, log path); a failure is
    recorded in b."""
    argv = [os.path.join(b.a.bin, tool)] + [str(x) for x in opts] + \
        ["--"] + [str(x) for x in cmd]
    return b.run_argv(argv, timeout, what)
