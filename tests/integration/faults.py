"""Helpers shared by the fault and soak tests (test_faults_*.py,
test_soak.py): mcpmon's memory and descriptors read from /proc, an
environment that keeps AddressSanitizer's quarantine from hiding (or
faking) growth, a small control-socket client to read a backend's state
and ask for restarts, and the end of a run checked as a clean exit.
"""
import json
import os
import socket

from mcptest import mcpmon_path, wait_until

MIB = 1024 * 1024


def status_kib(pid, key):
    """A "kB" field of /proc/PID/status (VmRSS, VmHWM, ...) in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def rss_kib(pid):
    return status_kib(pid, "VmRSS")


def peak_kib(pid):
    """Peak resident size (VmHWM): catches a spike between two samples."""
    return status_kib(pid, "VmHWM")


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


_asan = None


def is_asan():
    """Whether the mcpmon under test is built with AddressSanitizer."""
    global _asan
    if _asan is None:
        with open(mcpmon_path(), "rb") as f:
            _asan = b"__asan_init" in f.read()
    return _asan


def memory_env():
    """Environment for a process whose memory a test measures: under ASan
    a freed block waits in a quarantine of up to 256 MiB before reuse,
    which would read as growth; a small one keeps RSS meaningful."""
    if not is_asan():
        return {}
    opts = os.environ.get("ASAN_OPTIONS", "")
    extra = "quarantine_size_mb=1"
    return {"ASAN_OPTIONS": (opts + ":" + extra) if opts else extra}


def finish(m, timeout=10):
    """End an mcpmon run the way a client does (stdin EOF) and require a
    clean exit; the strict Mcpmon then fails the test on processes left
    behind when its `with` block ends."""
    m.close_stdin()
    rc = m.wait_exit(timeout)
    assert rc == 0, "mcpmon exited with %r\n%s" % (
        rc, "\n".join(m.log_lines()[-30:]))


class Ctl:
    """A control-socket client (docs/control-protocol.md) with bounded
    reads. It never subscribes, so the core sends it nothing unasked."""

    def __init__(self, path, timeout=10):
        wait_until(lambda: os.path.exists(path), timeout,
                   message="control socket " + path)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.hello = self.line()
        assert self.hello.get("type") == "hello", self.hello

    def send(self, obj):
        """Send a command (an object, or raw bytes for garbage tests)."""
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.s.sendall(data + b"\n")

    def until(self, pred, limit=2000):
        """The first message (of at most limit) that pred accepts."""
        for _ in range(limit):
            obj = self.line()
            if pred(obj):
                return obj
        raise AssertionError("no matching control message")

    def close(self):
        self.s.close()

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("control socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def ask(self, obj, kind):
        """Send a command and return the first answer of type kind."""
        self.s.sendall(json.dumps(obj).encode() + b"\n")
        for _ in range(100):
            o = self.line()
            if o.get("type") in (kind, "error"):
                assert o["type"] == kind, o
                return o
        raise AssertionError("no %s answer" % kind)

    def backends(self):
        """name -> backend object of a fresh snapshot."""
        snap = self.ask({"cmd": "snapshot"}, "snapshot")
        return {b["name"]: b for b in snap["backends"]}

    def restart(self, backend=None):
        cmd = {"cmd": "restart"}
        if backend is not None:
            cmd["backend"] = backend
        r = self.ask(cmd, "result")
        assert r.get("ok") is True, r
        return r

    def wait_state(self, name, states, timeout=10):
        """Poll snapshots until backend name is in one of states; returns
        its snapshot object."""
        if isinstance(states, str):
            states = (states,)
        got = {}

        def reached():
            got.update(self.backends())
            b = got.get(name)
            return b if b is not None and b["state"] in states else None
        try:
            return wait_until(reached, timeout, interval=0.02,
                              message="backend %s in state %s"
                              % (name, "/".join(states)))
        except TimeoutError as e:
            raise TimeoutError("%s (last: %s)" % (e, got.get(name)))

    def close(self):
        self.s.close()
