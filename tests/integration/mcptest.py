"""mcptest - the harness of mcpmon's integration tests (Python 3, stdlib only).

A test file imports it, defines test_* functions that take no arguments and
ends with run_tests(globals()):

    from mcptest import *

    def test_hello():
        with tmpdir() as d:
            spec = write_spec(os.path.join(d, "spec.json"),
                              {"tools": [{"name": "hello", "reply": "v1"}]})
            with Mcpmon(["--watch", d, "--"] + testserver_cmd(spec)) as m:
                m.initialize()
                assert text_of(m.call_tool("hello")) == "v1"

    run_tests(globals())

Binaries come from $MCPMON and $MCP_TESTSERVER (ctest sets both), else from
a build*/ directory at the top of the repository.

Every wait is bounded and raises TimeoutError naming what it waited for,
with the process's recent stderr and unread messages. Each Proc runs in a
new session; leaving its `with` block (or the test, for the runner) kills
its session, its process tree and the sessions and groups its descendants
made. The test process makes itself a child subreaper (Linux), so servers
orphaned by a dying mcpmon are reparented to it and can still be found.

A check that something did not happen goes by order, never by waiting a
while: expect_none_before_reply sends a request whose answer is certain
(ping) and fails if the forbidden message came before that answer.

Environment: MCPTEST_VERBOSE=1 echoes all traffic and stderr live;
MCPTEST_TIMEOUT sets the per-test timeout (60 s); arguments to a test file
(or MCPTEST_FILTER, space-separated) select tests by substring.
"""

import contextlib
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = [
    "Proc", "Mcpmon", "TestServer", "RpcError", "Skip",
    "mcpmon_path", "testserver_path", "testserver_cmd",
    "wait_until", "pid_alive", "read_pidfile", "write_spec", "tmpdir",
    "processes_in_session", "processes_in_group", "descendants",
    "leftover_processes", "proc_info",
    "response_to", "notification", "server_request", "any_message",
    "same_id", "text_of", "run_tests",
    "os", "re", "json", "signal", "time",
]

DEFAULT_TIMEOUT = 10.0
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERBOSE = os.environ.get("MCPTEST_VERBOSE", "") not in ("", "0")

# Procs not yet closed, and every Proc the current test started (for the
# failure report).
_live = []
_test_procs = []
_live_lock = threading.Lock()


class RpcError(Exception):
    """A JSON-RPC error response; .error is its error object."""

    def __init__(self, error, method=None):
        self.error = error
        self.code = error.get("code") if isinstance(error, dict) else None
        super().__init__("%s failed: %s" % (method or "request",
                                             json.dumps(error)))


class Skip(Exception):
    """Raise in a test to skip it (printed as SKIP, counted in neither)."""


# ---- binaries ------------------------------------------------------------

def _find_binary(env_name, rel_paths):
    path = os.environ.get(env_name)
    if path:
        if not os.access(path, os.X_OK):
            raise RuntimeError("%s=%s is not an executable file"
                               % (env_name, path))
        # Absolute: a gateway config resolves a relative command against
        # the config file's folder, not the working directory.
        return os.path.abspath(path)
    for build in sorted(glob.glob(os.path.join(REPO, "build*"))):
        for rel in rel_paths:
            cand = os.path.join(build, rel)
            if os.access(cand, os.X_OK) and os.path.isfile(cand):
                return cand
    raise RuntimeError("%s is not set and no build*/%s exists; build with "
                       "cmake and run through ctest, or set %s"
                       % (env_name, rel_paths[0], env_name))


def mcpmon_path():
    """The mcpmon binary under test ($MCPMON)."""
    return _find_binary("MCPMON", ["mcpmon"])


def testserver_path():
    """The test MCP server ($MCP_TESTSERVER)."""
    return _find_binary("MCP_TESTSERVER", ["tests/mcp_testserver"])


def testserver_cmd(spec=None, *args):
    """argv of the test server: [path, "--spec", spec, *args]."""
    cmd = [testserver_path()]
    if spec is not None:
        cmd += ["--spec", str(spec)]
    return cmd + [str(a) for a in args]


# ---- /proc -----------------------------------------------------------------

def proc_info(pid):
    """{'pid','comm','state','ppid','pgid','sid'} from /proc/PID/stat, or
    None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    lp, rp = data.find("("), data.rfind(")")
    fields = data[rp + 2:].split()
    if len(fields) < 4:
        return None
    return {"pid": pid, "comm": data[lp + 1:rp], "state": fields[0],
            "ppid": int(fields[1]), "pgid": int(fields[2]),
            "sid": int(fields[3])}


def _all_procs():
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_info(int(name))
            if info is not None:
                out.append(info)
    return out


def _is_live(info):
    return info is not None and info["state"] not in ("Z", "X", "x")


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    return _is_live(proc_info(int(pid)))


def processes_in_session(sid):
    """Live pids whose session id is sid."""
    return [p["pid"] for p in _all_procs() if p["sid"] == sid and _is_live(p)]


def processes_in_group(pgid):
    """Live pids whose process group is pgid."""
    return [p["pid"] for p in _all_procs()
            if p["pgid"] == pgid and _is_live(p)]


def descendants(pid, procs=None, include_self=False):
    """Live pids below pid in the parent tree (zombies are skipped, their
    children are not)."""
    procs = _all_procs() if procs is None else procs
    children = {}
    for p in procs:
        children.setdefault(p["ppid"], []).append(p)
    out, todo = [], [pid]
    by_pid = {p["pid"]: p for p in procs}
    if include_self and _is_live(by_pid.get(pid)):
        out.append(pid)
    while todo:
        for c in children.get(todo.pop(), []):
            if c["pid"] == pid:
                continue
            todo.append(c["pid"])
            if _is_live(c):
                out.append(c["pid"])
    return out


def leftover_processes():
    """Live processes descending from this test process that belong to no
    running Proc: what a finished mcpmon left behind (found through the
    subreaper)."""
    procs = _all_procs()
    with _live_lock:
        owned = set()
        for p in _live:
            if p.popen.poll() is None:
                owned.update(descendants(p.pid, procs, include_self=True))
    return [pid for pid in descendants(os.getpid(), procs)
            if pid not in owned]


_subreaper = None


def _enable_subreaper():
    global _subreaper
    if _subreaper is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper = libc.prctl(36, 1, 0, 0, 0) == 0  # SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            _subreaper = False
    return _subreaper


def _reap(pids=None):
    """Collect zombies among pids (default: all) that are our children:
    orphans that came to us as subreaper. A running Proc's own process is
    left to its Popen."""
    me = os.getpid()
    with _live_lock:
        popen_pids = {p.pid for p in _live}
    for info in (_all_procs() if pids is None else map(proc_info, pids)):
        if (info and info["ppid"] == me and not _is_live(info)
                and info["pid"] not in popen_pids):
            try:
                os.waitpid(info["pid"], os.WNOHANG)
            except ChildProcessError:
                pass


# ---- small helpers -------------------------------------------------------

def wait_until(fn, timeout=DEFAULT_TIMEOUT, interval=0.01, message=None):
    """Poll fn() until it returns a true value and return that value;
    raise TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message or getattr(fn, "__name__", repr(fn))
            raise TimeoutError("condition not met within %.1fs: %s"
                               % (timeout, what))
        time.sleep(interval)


def read_pidfile(path, timeout=DEFAULT_TIMEOUT):
    """Wait for path to hold a pid (the test server writes it atomically)
    and return it as an int."""
    def read():
        try:
            with open(path) as f:
                text = f.read().strip()
            return int(text) if text else None
        except (OSError, ValueError):
            return None
    return wait_until(read, timeout, message="pid in %s" % path)


def write_spec(path, spec):
    """Write the test server's spec (a dict) to path atomically, so a
    server starting meanwhile reads the old or the new one. Returns path."""
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(spec, f)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def tmpdir():
    """A fresh temporary directory (path string), removed afterwards."""
    d = tempfile.mkdtemp(prefix="mcptest-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def same_id(a, b):
    """JSON-RPC ids equal in type and value (1 != "1", True is no id)."""
    def kind(x):
        return "bool" if isinstance(x, bool) else type(x).__name__
    return kind(a) == kind(b) and a == b


def text_of(result):
    """The concatenated text items of a tools/call result."""
    return "".join(c.get("text", "") for c in result.get("content", [])
                   if c.get("type") == "text")


def _pred(fn, desc):
    fn.desc = desc
    return fn


def response_to(id):
    """Predicate: the response (result or error) with this id."""
    return _pred(lambda m: "method" not in m and "id" in m
                 and same_id(m["id"], id), "response to id %r" % (id,))


def notification(method):
    """Predicate: a notification with this method."""
    return _pred(lambda m: m.get("method") == method and "id" not in m,
                 "notification %s" % method)


def server_request(method=None):
    """Predicate: a request sent to the client (has method and id)."""
    return _pred(lambda m: "method" in m and "id" in m
                 and (method is None or m["method"] == method),
                 "server request %s" % (method or "(any)"))


any_message = _pred(lambda m: True, "any message")

_ALLOWED_KEYS = {"jsonrpc", "id", "method", "params", "result", "error"}


def _jsonrpc_problem(msg):
    """Why msg is not a strict JSON-RPC 2.0 message (STDIO-4), or None."""
    if not isinstance(msg, dict):
        return "not a JSON object"
    if msg.get("jsonrpc") != "2.0":
        return "jsonrpc is not \"2.0\""
    extra = set(msg) - _ALLOWED_KEYS
    if extra:
        return "extra members %s" % sorted(extra)
    if "id" in msg:
        i = msg["id"]
        if i is None and "error" in msg and "method" not in msg:
            pass  # JSON-RPC 2.0 section 5: the id could not be read
        elif isinstance(i, bool) or not isinstance(i, (int, str)):
            return "bad id %r" % (i,)
    if "params" in msg and not isinstance(msg["params"], (dict, list)):
        return "params is not an object"
    if "method" in msg:
        if not isinstance(msg["method"], str):
            return "method is not a string"
        if "result" in msg or "error" in msg:
            return "request or notification with result/error"
        return None
    if "id" not in msg and "error" not in msg:
        # An error response omits id when the id was unreadable (STDIO-4).
        return "neither method nor id"
    if ("result" in msg) == ("error" in msg):
        return "response needs exactly one of result and error"
    if "result" in msg and not isinstance(msg["result"], dict):
        return "result is not an object"
    if "error" in msg:
        e = msg["error"]
        if (not isinstance(e, dict) or isinstance(e.get("code"), bool)
                or not isinstance(e.get("code"), int)
                or not isinstance(e.get("message"), str)):
            return "bad error object"
    return None


def _short(obj, limit=300):
    s = obj if isinstance(obj, str) else json.dumps(obj)
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


# ---- processes -------------------------------------------------------------

class Proc:
    """A process speaking JSON lines on stdin/stdout, in its own session.

    stdout lines are parsed into messages (non-JSON or non-strict lines are
    recorded in .violations as (raw bytes, reason)); stderr lines are kept
    in order. Use as a context manager: leaving it kills everything the
    process started. With strict=True, leaving without an exception also
    fails on protocol violations and on processes left behind after the
    process exited by itself.
    """

    def __init__(self, argv, cwd=None, env=None, name=None, strict=False):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.strict = strict
        full_env = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = str(v)
        _enable_subreaper()
        self._cond = threading.Condition()
        self._msgs = []      # parsed stdout objects, in arrival order
        self._taken = []     # consumed flags, parallel to _msgs
        self.raw_stdout = []  # every stdout line as bytes
        self.violations = []  # (raw line, reason)
        self._err = []       # stderr lines (str, no newline)
        self.stdout_closed = False
        self.stderr_closed = False
        self.last_log_index = -1
        self._next_id = 0
        self._next_probe = 0  # expect_none_before_reply's own ids
        self._wlock = threading.Lock()
        self._killed = False
        self._closed = False
        self._seen_groups = set()
        if VERBOSE:
            print("[%s] start: %s" % (self.name, " ".join(self.argv)),
                  file=sys.stderr, flush=True)
        self.popen = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=full_env,
            start_new_session=True)
        self.pid = self.popen.pid
        self.sid = self.pid
        with _live_lock:
            _live.append(self)
            _test_procs.append(self)
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- readers --

    def _read_stdout(self):
        f = self.popen.stdout
        while True:
            try:
                line = f.readline()
            except (OSError, ValueError):
                break
            if not line:
                break
            self._on_stdout(line)
        with self._cond:
            self.stdout_closed = True
            self._cond.notify_all()

    def _on_stdout(self, line):
        problem = None
        body = line[:-1] if line.endswith(b"\n") else line
        if not line.endswith(b"\n"):
            problem = "no trailing newline"
        try:
            msg = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            msg, problem = None, "not JSON (%s)" % e
        if problem is None:
            problem = _jsonrpc_problem(msg)
        if VERBOSE:
            print("[%s] <- %s" % (self.name, _short(body.decode(
                "utf-8", "replace"), 2000)), file=sys.stderr, flush=True)
        with self._cond:
            self.raw_stdout.append(line)
            if problem is not None:
                self.violations.append((line, problem))
            if isinstance(msg, dict):
                self._msgs.append(msg)
                self._taken.append(False)
            self._cond.notify_all()

    def _read_stderr(self):
        f = self.popen.stderr
        while True:
            try:
                line = f.readline()
            except (OSError, ValueError):
                break
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\n")
            if VERBOSE:
                print("[%s] %s" % (self.name, text), file=sys.stderr,
                      flush=True)
            with self._cond:
                self._err.append(text)
                self._cond.notify_all()
        with self._cond:
            self.stderr_closed = True
            self._cond.notify_all()

    # -- waiting --

    def _context(self):
        with self._cond:
            tail = self._err[-25:]
            pending = [m for m, t in zip(self._msgs, self._taken) if not t]
        rc = self.popen.poll()
        lines = ["  %s: pid %d, %s" % (
            self.name, self.pid,
            "running" if rc is None else "exited with %s" % rc)]
        lines.append("  unread messages (%d):" % len(pending))
        lines += ["    " + _short(m) for m in pending[:10]]
        lines.append("  last stderr lines:")
        lines += ["    " + _short(l, 500) for l in tail]
        return "\n".join(lines)

    def _wait(self, check, timeout, what, closed=None):
        """Wait under the lock until check() returns non-None; raise when
        closed() says no more input can come, or at the timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = check()
                if value is not None:
                    return value
                if closed is not None and closed():
                    err = "%s: %s while waiting for %s" % (
                        self.name, closed(), what)
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    err = "%s: nothing after %.1fs waiting for %s" % (
                        self.name, timeout, what)
                    break
                self._cond.wait(min(left, 1.0))
        raise TimeoutError(err + "\n" + self._context())

    def _stdout_closed(self):
        return "stdout closed" if self.stdout_closed else None

    def next_message(self, pred=None, timeout=DEFAULT_TIMEOUT, consume=True):
        """The first unconsumed stdout message matching pred (any if None),
        waiting up to timeout seconds; marks it consumed unless
        consume=False. Earlier non-matching messages stay queued."""
        pred = pred or any_message
        desc = getattr(pred, "desc", None) or getattr(pred, "__name__", "?")

        def check():
            for i, m in enumerate(self._msgs):
                if not self._taken[i] and pred(m):
                    if consume:
                        self._taken[i] = True
                    return m
            return None
        return self._wait(check, timeout, desc, self._stdout_closed)

    wait_message = next_message

    def expect_none_before_reply(self, pred=None, method="ping", params=None,
                                 timeout=DEFAULT_TIMEOUT):
        """Negative check by order, not by waiting: send a request whose
        answer is certain (ping unless method/params say otherwise), wait
        for its answer, and fail if an unconsumed message matching pred
        (any message if None) came before it. Returns the answer, consumed;
        the other messages stay queued.

        What it proves: the process had written no such message by the
        time it answered this request. mcpmon answers ping itself, in
        order with everything else it writes to stdout (client.c), so the
        answer comes after whatever mcpmon decided to send before it read
        the ping. Send it only once whatever could produce the message is
        known to be processed: the client's own earlier lines always are;
        a server's output is, up to its answer to a request sent through
        it (pass that request as method/params: a server answers in
        order); a file event or a timer needs its own proof first (a log
        line, a later change that restarts the server)."""
        rid = "mcptest-probe-%d" % self._next_probe
        self._next_probe += 1
        self.send_request(method, params, id=rid)
        answer = self.next_message(response_to(rid), timeout)
        if "error" in answer:
            raise AssertionError("%s: the probe %s failed: %s" % (
                self.name, method, _short(answer)))
        pred = pred or any_message
        with self._cond:
            early = []
            for m, taken in zip(self._msgs, self._taken):
                if m is answer:
                    break
                if not taken and pred(m):
                    early.append(m)
        if early:
            desc = getattr(pred, "desc", None) or getattr(
                pred, "__name__", "?")
            raise AssertionError("%s: %s before the answer to %s: %s" % (
                self.name, desc, method, _short(early[0])))
        return answer

    def messages(self, pred=None):
        """Every stdout message so far (consumed or not) matching pred."""
        with self._cond:
            return [m for m in self._msgs if pred is None or pred(m)]

    def pending(self):
        """Unconsumed stdout messages."""
        with self._cond:
            return [m for m, t in zip(self._msgs, self._taken) if not t]

    # -- sending --

    def send_raw(self, data):
        """Write bytes to the process's stdin as they are."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if VERBOSE:
            print("[%s] -> %s" % (self.name, _short(data.decode(
                "utf-8", "replace").rstrip("\n"), 2000)), file=sys.stderr,
                flush=True)
        with self._wlock:
            try:
                self.popen.stdin.write(data)
                self.popen.stdin.flush()
            except (BrokenPipeError, ValueError) as e:
                raise RuntimeError("%s: cannot write to stdin (%s)\n%s"
                                   % (self.name, e, self._context()))

    def send(self, obj):
        """Send one JSON message as a line."""
        self.send_raw(json.dumps(obj, separators=(",", ":"),
                                 ensure_ascii=False).encode("utf-8") + b"\n")

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def new_id(self):
        """The next automatic request id (counts from 0, like SDKs)."""
        i = self._next_id
        self._next_id += 1
        return i

    def send_request(self, method, params=None, id=None):
        """Send a request without waiting; returns its id."""
        if id is None:
            id = self.new_id()
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return id

    def request(self, method, params=None, timeout=DEFAULT_TIMEOUT, id=None):
        """Send a request and return its response message (with "result"
        or "error"). Other messages stay queued."""
        id = self.send_request(method, params, id)
        return self.next_message(response_to(id), timeout)

    def call(self, method, params=None, timeout=DEFAULT_TIMEOUT):
        """request() returning the result; raises RpcError on an error."""
        resp = self.request(method, params, timeout)
        if "error" in resp:
            raise RpcError(resp["error"], method)
        return resp["result"]

    def call_tool(self, name, arguments=None, timeout=DEFAULT_TIMEOUT,
                  meta=None):
        """tools/call; returns the result (see text_of)."""
        params = {"name": name, "arguments": arguments or {}}
        if meta is not None:
            params["_meta"] = meta
        return self.call("tools/call", params, timeout)

    def initialize(self, capabilities=None, protocol="2025-11-25",
                   client_info=None, timeout=DEFAULT_TIMEOUT):
        """initialize + notifications/initialized; returns the result."""
        result = self.call("initialize", {
            "protocolVersion": protocol,
            "capabilities": capabilities or {},
            "clientInfo": client_info or {"name": "mcptest",
                                          "version": "1.0"},
        }, timeout)
        self.notify("notifications/initialized")
        return result

    def respond(self, msg, result=None, error=None):
        """Answer a request the process sent (msg is that request)."""
        out = {"jsonrpc": "2.0", "id": msg["id"]}
        if error is not None:
            out["error"] = error
        else:
            out["result"] = {} if result is None else result
        self.send(out)

    # -- stderr --

    def log_lines(self):
        with self._cond:
            return list(self._err)

    def logs(self):
        """All stderr so far, as text."""
        return "\n".join(self.log_lines())

    def log_mark(self):
        """The number of stderr lines so far: a start= for wait_log that
        only looks at what comes next."""
        with self._cond:
            return len(self._err)

    def wait_log(self, pattern, timeout=DEFAULT_TIMEOUT, start=0, n=1):
        """Wait for the n-th stderr line at or after line index start that
        matches the regex pattern (re.search); return the re.Match. Sets
        .last_log_index to the matching line's index."""
        rx = re.compile(pattern)
        # Each line is looked at once, however often the check runs: a
        # flood of stderr lines must not make waiting quadratic (and
        # starve the reader thread of the GIL).
        seen = {"next": start, "count": 0}

        def check():
            while seen["next"] < len(self._err):
                i = seen["next"]
                seen["next"] += 1
                mt = rx.search(self._err[i])
                if mt:
                    seen["count"] += 1
                    if seen["count"] == n:
                        self.last_log_index = i
                        return mt
            return None

        def closed():
            return "stderr closed" if self.stderr_closed else None
        what = "stderr line /%s/%s" % (
            pattern, "" if n == 1 else " (occurrence %d)" % n)
        return self._wait(check, timeout, what, closed)

    # -- process control --

    @property
    def returncode(self):
        return self.popen.poll()

    def signal(self, sig):
        """Send sig to the process itself."""
        self.popen.send_signal(sig)

    def terminate(self):
        self.signal(signal.SIGTERM)

    def close_stdin(self):
        with self._wlock:
            try:
                self.popen.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        """Wait for the process to exit; returns its return code (negative:
        killed by that signal). Output readers are joined (bounded)."""
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError("%s: still running after %.1fs\n%s"
                               % (self.name, timeout, self._context()))
        for t in self._threads:
            t.join(2.0)
        return rc

    def _targets(self):
        """Everything to kill: our session, our process tree, and the
        sessions and groups that members of the tree created; plus orphans
        reparented to the test process that no running Proc owns."""
        procs = _all_procs()
        me = proc_info(os.getpid())
        mine = {me["sid"], me["pgid"]} if me else set()
        tree = set(descendants(self.pid, procs))
        by_pid = {p["pid"]: p for p in procs}
        for pid in tree:
            for key in ("sid", "pgid"):
                g = by_pid[pid][key]
                if g not in mine:
                    self._seen_groups.add(g)
        self._seen_groups.add(self.sid)
        out = set(tree)
        for p in procs:
            if _is_live(p) and (p["sid"] in self._seen_groups
                                or p["pgid"] in self._seen_groups):
                out.add(p["pid"])
        if _subreaper:
            out.update(leftover_processes())
        out.discard(os.getpid())
        return out

    def descendants(self):
        """Live processes in this process's tree (not itself)."""
        return descendants(self.pid)

    def kill(self):
        """SIGKILL the process, its session and everything it started."""
        self._killed = True
        targets = self._targets()
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
        # A process mcpmon started after the list above was made (a crash
        # loop's next attempt) came to us as subreaper when mcpmon died:
        # now that nothing can start more, kill those too.
        if _subreaper:
            for pid in leftover_processes():
                targets.add(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

        def all_dead():
            _reap(targets)
            return not any(pid_alive(p) for p in targets)
        wait_until(all_dead, 5, message="killed processes to die: %s"
                   % sorted(targets))

    def close(self):
        """Kill everything (if still running) and release the pipes."""
        if self._closed:
            return
        self._closed = True
        exited_alone = self.popen.poll() is not None and not self._killed
        leftovers = []
        if exited_alone and self.strict and _subreaper:
            # What mcpmon leaves behind when it exits by itself is a bug;
            # give the last processes a moment to finish dying.
            try:
                wait_until(lambda: not leftover_processes(), 3,
                           message="processes to exit")
            except TimeoutError:
                leftovers = [proc_info(p) for p in leftover_processes()]
        self.kill()
        for f in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            try:
                f.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(2.0)
        with _live_lock:
            if self in _live:
                _live.remove(self)
        _reap()
        self.leftovers = [p for p in leftovers if p]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        if exc_type is None and self.strict:
            if self.violations:
                raise AssertionError("%s wrote non-MCP stdout: %s" % (
                    self.name, "; ".join("%s: %r" % (why, _short(
                        raw.decode("utf-8", "replace"))) for raw, why in
                        self.violations[:5])))
            if self.leftovers:
                raise AssertionError("processes outlived %s: %s" % (
                    self.name, ", ".join("%d (%s)" % (p["pid"], p["comm"])
                                         for p in self.leftovers)))
        return False


class Mcpmon(Proc):
    """The mcpmon binary ($MCPMON) with args (what follows "mcpmon" on its
    command line). Strict by default: leaving the `with` block fails the
    test if mcpmon's stdout held anything but strict JSON-RPC, or if
    processes outlived mcpmon when it ended without kill() (stdin EOF, a
    signal the test sent, a crash). A test that SIGKILLs mcpmon on purpose
    and expects orphans passes strict=False or calls kill()."""

    def __init__(self, args, cwd=None, env=None, strict=True, name="mcpmon"):
        super().__init__([mcpmon_path()] + [str(a) for a in args], cwd=cwd,
                         env=env, name=name, strict=strict)


class TestServer(Proc):
    """The test server run directly, without mcpmon."""

    def __init__(self, spec=None, args=(), cwd=None, env=None,
                 name="testserver"):
        super().__init__(testserver_cmd(spec, *args), cwd=cwd, env=env,
                         name=name, strict=False)


# ---- runner ----------------------------------------------------------------

class _TestTimeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds):
    def fire(signum, frame):
        raise _TestTimeout("test timed out after %ss" % seconds)
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_tests(g, argv=None):
    """Run every test_* function defined in the module whose globals() is
    g, in definition order. Prints PASS/FAIL/SKIP per test and finally
    "N passed, N failed"; exits 1 if any failed. A function attribute
    `timeout` (seconds) overrides the per-test timeout."""
    argv = sys.argv[1:] if argv is None else argv
    filters = argv or os.environ.get("MCPTEST_FILTER", "").split()
    default_timeout = float(os.environ.get("MCPTEST_TIMEOUT", "60"))
    tests = [(n, f) for n, f in g.items()
             if n.startswith("test_") and callable(f)
             and getattr(f, "__module__", None) == g.get("__name__")]
    _enable_subreaper()
    passed = failed = 0
    for name, fn in tests:
        if filters and not any(f in name for f in filters):
            continue
        del _test_procs[:]
        error = None
        skipped = None
        try:
            with _alarm(getattr(fn, "timeout", default_timeout)):
                fn()
        except Skip as e:
            skipped = str(e)
        except Exception:
            error = traceback.format_exc()
        for p in list(_live):
            p.close()
        strays = leftover_processes()
        if strays:
            info = [proc_info(p) for p in strays]
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                wait_until(lambda: (_reap(strays) or
                                    not any(pid_alive(p) for p in strays)),
                           5, message="stray processes to die")
            except TimeoutError:
                pass
            if error is None and skipped is None:
                error = "left processes behind: %s\n" % ", ".join(
                    "%d (%s)" % (i["pid"], i["comm"]) for i in info if i)
        if skipped is not None:
            print("SKIP %s: %s" % (name, skipped))
        elif error is None:
            passed += 1
            print("PASS %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, error.rstrip()))
            for p in _test_procs:
                tail = p.log_lines()[-40:]
                print("  --- %s (pid %d) stderr, last %d lines:"
                      % (p.name, p.pid, len(tail)))
                for line in tail:
                    print("    " + line)
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
