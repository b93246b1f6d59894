"""Logging never blocks the loop (issue 12, item 1).

mcpmon used to write its log lines to stderr with a blocking write(). A
client that never reads mcpmon's stderr (many drain it lazily, some
never) let the pipe fill, and then the whole loop stopped: no answer,
no ping, SIGTERM ignored until someone read. Here mcpmon's stderr is a
4 KiB pipe that nobody reads while a server floods its own stderr (which
mcpmon passes through): ping and tools calls are still answered, SIGTERM
still ends mcpmon, and once stderr is read again one line says how many
lines were dropped meanwhile. The log file still gets every line.
"""

import fcntl
import subprocess
import sys
import termios
import threading

from mcptest import *

F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ from Python 3.10 on
PIPE_SIZE = 4096
WAIT = 10.0
DROPPED = r"\d+ log lines? dropped \(stderr was not read\)"


class UnreadMcpmon(Mcpmon):
    """mcpmon whose stderr (a 4 KiB pipe) nobody reads until
    read_stderr()."""

    def __init__(self, args, **kw):
        self._gate = threading.Event()
        super().__init__(args, **kw)

    def _read_stderr(self):
        try:
            fcntl.fcntl(self.popen.stderr.fileno(), F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass  # the default 64 KiB: the flood fills it as well
        self._gate.wait()
        super()._read_stderr()

    def stderr_unread_bytes(self):
        buf = fcntl.ioctl(self.popen.stderr.fileno(), termios.FIONREAD,
                          b"\0\0\0\0")
        return int.from_bytes(buf, sys.byteorder)

    def wait_stderr_full(self):
        # More than one flood line (about 1 KB) waits in the pipe: mcpmon
        # has written more than the reader took, and the flood goes on.
        wait_until(lambda: self.stderr_unread_bytes() >= PIPE_SIZE // 2,
                   message="mcpmon's stderr pipe to fill")

    def read_stderr(self):
        self._gate.set()

    def close(self):
        self._gate.set()
        super().close()


def flood_spec(d):
    return write_spec(os.path.join(d, "spec.json"), {
        "stderr_flood_bytes_per_s": 1000 * 1000,
        "tools": [{"name": "hello", "reply": "v1"}]})


def test_log_unread_stderr_keeps_answering():
    with tmpdir() as d:
        log = os.path.join(d, "mcpmon.log")
        with UnreadMcpmon(["-l", log, "--watch", d, "--"] +
                          testserver_cmd(flood_spec(d))) as m:
            m.initialize()
            m.wait_stderr_full()
            # The flood is well past what the pipe and the queue hold.
            wait_until(lambda: os.path.getsize(log) > 1024 * 1024,
                       message="1 MB of flood in the log file")
            for i in range(20):
                m.call("ping")
                assert text_of(m.call_tool("hello")) == "v1"
            m.read_stderr()
            m.wait_log(DROPPED)
            m.signal(signal.SIGTERM)
            assert m.wait_exit() == 0


def test_log_unread_stderr_sigterm_exits():
    with tmpdir() as d:
        with UnreadMcpmon(["--watch", d, "--"] +
                          testserver_cmd(flood_spec(d))) as m:
            m.initialize()
            m.wait_stderr_full()
            m.call("ping")
            m.signal(signal.SIGTERM)
            # Nobody reads stderr, ever: the exit must not wait for it.
            try:
                rc = m.popen.wait(WAIT)
            except subprocess.TimeoutExpired:
                raise AssertionError("SIGTERM did not end mcpmon while its "
                                     "stderr was not read")
            assert rc == 0, rc
            m.read_stderr()


def test_log_stderr_shared_flags_untouched():
    # mcpmon's stderr is the write end of a pipe the test holds too: its
    # O_NONBLOCK, a flag of the open file description that every holder
    # shares (the user's shell, the client), is not changed under them.
    with tmpdir() as d:
        r, w = os.pipe()
        try:
            p = subprocess.Popen(
                [mcpmon_path(), "--watch", d, "--"] + testserver_cmd(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=w,
                start_new_session=True)
            try:
                with os.fdopen(r, "rb", buffering=0) as rf:
                    r = -1
                    got = b""
                    while b"Watching" not in got:
                        chunk = rf.read(4096)
                        assert chunk, got
                        got += chunk
                flags = fcntl.fcntl(w, fcntl.F_GETFL)
                assert not flags & os.O_NONBLOCK, hex(flags)
            finally:
                p.terminate()
                assert p.wait(WAIT) == 0
                p.stdin.close()
                p.stdout.close()
        finally:
            for fd in (r, w):
                if fd >= 0:
                    os.close(fd)


run_tests(globals())
