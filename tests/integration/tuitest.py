"""tuitest - helpers for the tests of mcpmon's control-socket clients
(mcpmon status, restart, tui), on top of mcptest.

    from tuitest import *

    with tmpdir() as d, core(d) as (m, sock):
        rc, out, err = cli(["status", sock], d)
        with Tmux(d) as tm:
            tm.start([mcpmon_path(), "tui", sock])
            tm.wait_for("restarts 0")

Every instance a test starts lives under its own XDG_RUNTIME_DIR (the
test's temporary directory), so instances of other tests running at the
same time are never seen. Every wait is bounded and says what it waited
for, with the screen, when it times out.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import time

from mcptest import (Mcpmon, Proc, mcpmon_path, testserver_cmd,
                     wait_until, write_spec)

__all__ = ["ctl_env", "cli", "core", "spec_file", "ControlClient", "Tmux",
           "wait_snapshot", "fake_core", "DEFAULT_SPEC"]

DEFAULT_SPEC = {
    "tools": [{"name": "hello", "description": "Say hello",
               "reply": "hello v1"}],
    "stderr_on_start": "testserver says hi: h\u00e9llo \u2713 \u65e5\u672c",
}


def ctl_env(d, **extra):
    """Environment for mcpmon processes of a test: instances live under
    d/xdg/mcpmon."""
    xdg = os.path.join(d, "xdg")
    os.makedirs(xdg, mode=0o700, exist_ok=True)
    env = {"XDG_RUNTIME_DIR": xdg}
    env.update(extra)
    return env


def cli(args, d, timeout=15, env=None):
    """Run `mcpmon ARGS` with the test's environment; (rc, stdout, stderr)
    as text."""
    full = dict(os.environ)
    full.update(ctl_env(d))
    full.update(env or {})
    p = subprocess.run([mcpmon_path()] + list(args), env=full,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def spec_file(d, spec=None, name="spec.json"):
    return write_spec(os.path.join(d, name),
                      DEFAULT_SPEC if spec is None else spec)


@contextlib.contextmanager
def core(d, spec=None, sock=None, initialize=True, args=(), name="mcpmon"):
    """A running mcpmon (single mode, the test server) with an MCP client
    (the test) on its stdio. sock: the --tui path (default: d/ctl.sock;
    False: mcpmon's default path under the test's XDG_RUNTIME_DIR).
    Yields (Mcpmon, socket path)."""
    if sock is None:
        sock = os.path.join(d, "ctl.sock")
    specpath = spec_file(d, spec, name="spec-%s.json" % name)
    watch = os.path.join(d, "watched-%s" % name)
    os.makedirs(watch, exist_ok=True)
    argv = ["--watch", watch] + list(args)
    if sock:
        argv += ["--tui", sock]
    argv += ["--"] + testserver_cmd(specpath)
    with Mcpmon(argv, env=ctl_env(d), name=name) as m:
        if not sock:
            xdg = ctl_env(d)["XDG_RUNTIME_DIR"]
            sock = os.path.join(xdg, "mcpmon", "%d.sock" % m.pid)
        wait_until(lambda: os.path.exists(sock), 10,
                   message="control socket %s" % sock)
        if initialize:
            m.initialize()
        yield m, sock


class ControlClient:
    """A plain client of the control socket (JSON lines)."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.hello = self.recv()

    def send(self, obj):
        import json
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self):
        import json
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("control socket closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, obj, want):
        self.send(obj)
        while True:
            msg = self.recv()
            if msg.get("type") in (want, "error"):
                return msg

    def snapshot(self):
        return self.request({"cmd": "snapshot"}, "snapshot")

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def wait_snapshot(path, pred, timeout=10, message=None):
    """Poll snapshots of the instance at path until pred(snapshot) holds;
    returns that snapshot."""
    def check():
        try:
            with ControlClient(path) as c:
                s = c.snapshot()
        except (OSError, EOFError, ValueError):
            return None
        return s if pred(s) else None
    return wait_until(check, timeout, interval=0.05,
                      message=message or "snapshot condition")


def fake_core(path, greeting):
    """A listener at path that greets each connection with the bytes
    greeting (None: says nothing) and then never reads: not an mcpmon
    core, or not one of this version. Returns a stop() function."""
    import threading
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(0.1)
    conns = []
    stop_flag = threading.Event()

    def loop():
        while not stop_flag.is_set():
            try:
                c, _ = srv.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conns.append(c)
            if greeting is not None:
                c.sendall(greeting)
    t = threading.Thread(target=loop, daemon=True)
    t.start()

    def stop():
        stop_flag.set()
        t.join(5)
        for c in conns:
            c.close()
        srv.close()
    return stop


class Tmux:
    """A tmux server of our own (a private socket in the test's directory,
    no config file) with one session; killed on leaving. The server runs in the
    foreground (-D) as a Proc, so that it and the panes' processes belong
    to the test like every other process it starts (a daemonized server
    would be reparented to the test process, the subreaper, and killed
    as a stray when any Proc closes)."""

    def __init__(self, d, width=120, height=40):
        self.name = "mcpmon-test-%d-%d" % (os.getpid(), int(time.time() *
                                                            1000) % 100000)
        self.d = d
        self.width = width
        self.height = height
        self.exit_file = os.path.join(d, "tui-exit-%s" % self.name)
        self.socket = os.path.join(d, "%s.sock" % self.name)
        self.started = False
        if shutil.which("tmux") is None:
            from mcptest import Skip
            raise Skip("tmux is not installed")

    def tmux(self, *args, check=True):
        # -N: never start a server (a client racing our -D server would
        # start a daemon of its own).
        p = subprocess.run(["tmux", "-N", "-S", self.socket] +
                           [str(a) for a in args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10)
        self._ok = p.returncode == 0
        if check and p.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(map(str, args)),
                                                p.stderr.decode().strip()))
        return p.stdout.decode("utf-8", "replace")

    def start(self, argv, env=None, lang="C.UTF-8", term="tmux-256color"):
        """Run argv in the session; its exit status goes to exit_file."""
        full = dict(ctl_env(self.d))
        full["TERM"] = term
        full["LANG"] = lang
        full["LC_ALL"] = lang
        full.update(env or {})
        assigns = " ".join("%s=%s" % (k, _sh(v)) for k, v in full.items())
        cmd = "env %s %s; echo $? > %s.tmp; mv %s.tmp %s; sleep 600" % (
            assigns, " ".join(_sh(a) for a in argv), _sh(self.exit_file),
            _sh(self.exit_file), _sh(self.exit_file))
        self.server = Proc(["tmux", "-D", "-S", self.socket, "-f",
                            "/dev/null"], name="tmux")
        self.server_pid = self.server.pid
        self.started = True

        def session():
            return self.tmux("new-session", "-d", "-x", self.width, "-y",
                             self.height, "sh", "-c", cmd,
                             check=False) is not None and self._ok
        wait_until(session, 10, interval=0.02, message="tmux to start")
        self.started = True

    def screen(self):
        """The visible pane as text, one string per row."""
        return self.tmux("capture-pane", "-p", "-t", "0").split("\n")

    def text(self):
        return "\n".join(self.screen())

    def wait_for(self, pred, timeout=10, message=None):
        """Wait until pred(screen text) is true (a str: is on screen);
        returns the screen text."""
        if isinstance(pred, str):
            needle = pred
            message = message or "%r on screen" % needle
            pred = lambda text: needle in text  # noqa: E731
        last = [""]

        def check():
            last[0] = self.text()
            return pred(last[0])
        try:
            wait_until(check, timeout, interval=0.05)
        except TimeoutError:
            raise TimeoutError("waited %.0fs for %s; the screen:\n%s"
                               % (timeout, message or "screen condition",
                                  last[0]))
        return last[0]

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "0", *keys)

    def literal(self, text):
        self.tmux("send-keys", "-t", "0", "-l", text)

    def resize(self, width, height):
        self.width, self.height = width, height
        self.tmux("resize-window", "-t", "0", "-x", width, "-y", height)

    def exit_status(self, timeout=10):
        """Wait for the program to end; its exit status."""
        def read():
            try:
                with open(self.exit_file) as f:
                    return f.read().strip() or None
            except OSError:
                return None
        try:
            return int(wait_until(read, timeout, interval=0.05,
                                  message="the program to exit"))
        except TimeoutError:
            raise TimeoutError("the program did not exit within %ss; the "
                               "screen:\n%s" % (timeout, self.text()))

    def kill(self):
        """Kill the tmux server and everything running in it."""
        if not self.started:
            return
        self.started = False
        self.tmux("kill-server", check=False)
        self.server.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


def _sh(s):
    s = str(s)
    return "'" + s.replace("'", "'\\''") + "'"
