"""The control socket cannot be taken over by another local user (issue 12
item 7). Where XDG_RUNTIME_DIR is unset the default folder is
/tmp/mcpmon-UID, which another user can make first: mcpmon followed a
symlink planted there and took a 0755 folder, and `mcpmon status` and
`restart` trusted any socket in it (status showed a fake instance and
printed its escape sequences to the terminal, restart sent it the command
and exited 0). Here the default folder is XDG_RUNTIME_DIR/mcpmon under the
test's own directory, the same code path. Checked:
  - the core refuses a folder that is a symlink, open to others or owned
    by another user, says which folder, why and the fix, and keeps serving
    MCP; a --tui PATH in a folder others may write (not sticky) likewise;
  - status and restart refuse the same folders before connecting;
  - status and restart refuse a socket served by another uid
    (SO_PEERCRED), and restart never sends the command;
  - nothing they print from a socket reaches the terminal raw: control
    bytes, C1 controls and invalid UTF-8 are escaped.
Acting as another user (chown, setuid) needs root; those tests skip
otherwise (CI runs as root).
"""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from mcptest import Proc  # noqa: E402
from singlemode import init, start  # noqa: E402
from tuitest import cli, ctl_env  # noqa: E402

OTHER_UID = 1001
FAKECORE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fakecore.py")
CORE_FIX = ("; remove it, or set XDG_RUNTIME_DIR to a folder of your own, "
            "or pass --tui PATH")
CLIENT_FIX = "; remove it, or set XDG_RUNTIME_DIR to a folder of your own"
ESC_TITLE = "\x1b]0;pwned\x07"  # retitles the terminal
ESC_CLEAR = "\x1b[2J"           # clears the screen


def need_root():
    if os.getuid() != 0:
        raise Skip("needs root to act as another user")


def default_folder(d):
    """The folder mcpmon and its clients use by default in this test."""
    return os.path.join(ctl_env(d)["XDG_RUNTIME_DIR"], "mcpmon")


def refusal(folder, what, fix):
    """The sentence (a regex) that names folder, what is wrong, the fix."""
    return re.escape("the folder '%s' %s%s" % (folder, what, fix))


def fake_core(path, uid=None, snapshot=None, result=None):
    """A fake core (fakecore.py) at path, listening once this returns; a
    socket file left by an earlier one is removed first."""
    if os.path.lexists(path):
        os.unlink(path)
    argv = [sys.executable, FAKECORE, path]
    if uid is not None:
        argv += ["--uid", str(uid)]
    if snapshot is not None:
        argv += ["--snapshot", snapshot.hex()]
    if result is not None:
        argv += ["--result", result.hex()]
    p = Proc(argv, name="fakecore")
    p.wait_log(r"^ready$")
    return p


def commands_got(fake, path):
    """Every line the fake received so far: ordered by a probe of our own,
    which it reads after every earlier connection was done."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.recv(4096)  # the hello
    s.sendall(b'{"cmd":"probe"}\n')
    fake.wait_log(r'^got: \{"cmd":"probe"\}$')
    s.close()
    return [l[5:] for l in fake.log_lines() if l.startswith("got: ") and
            l != 'got: {"cmd":"probe"}']


def snapshot_line(path, command="srv", names=("srv",), last_exit=None,
                  state="ready", raw=None):
    """A snapshot as the core sends it; raw maps placeholders to the bytes
    that replace them in the line (what JSON text cannot say)."""
    now = int(time.time() * 1000)
    snap = {"type": "snapshot",
            "instance": {"pid": 4242, "mode": "single", "version": "0.1.0",
                         "command": command, "config": None, "cwd": "/",
                         "started": now - 5000, "socket": path},
            "backends": [{"name": n, "state": state, "pid": 4243,
                          "restarts": 0, "started": now - 4000,
                          "lastExit": last_exit, "command": command,
                          "watch": [], "tools": [], "log": [], "traffic": [],
                          "listChanged": None} for n in names]}
    line = json.dumps(snap).encode()
    for k, v in (raw or {}).items():
        line = line.replace(k.encode(), v)
    return line


def cli_bytes(args, d):
    """mcpmon ARGS as cli() runs it, but stdout and stderr as bytes."""
    env = dict(os.environ)
    env.update(ctl_env(d))
    p = subprocess.run([mcpmon_path()] + list(args), env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=15)
    return p.returncode, p.stdout, p.stderr


def assert_terminal_safe(data, what):
    """No byte of data may drive a terminal: no C0 control but the line
    feed, no DEL, no C1 control, nothing but valid UTF-8."""
    text = data.decode("utf-8")  # raises on invalid UTF-8
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or
           0x7f <= ord(c) <= 0x9f]
    assert not bad, (what, bad, text)


# ---- the core ---------------------------------------------------------------

def core_refuses(d, folder, what, args=(), **kw):
    """mcpmon with the default socket path refuses folder (what is wrong
    with it), at error level, and still serves MCP."""
    with start(d, args=args, env=ctl_env(d), **kw) as m:
        m.initialize()
        m.wait_log(r"No dashboard socket: " + refusal(folder, what, CORE_FIX))
        assert text_of(m.call_tool("echo", {"text": "ok"})) == "ok"


def test_core_refuses_a_symlinked_folder():
    with tmpdir() as d:
        target = os.path.join(d, "elsewhere")
        os.mkdir(target, 0o700)
        folder = default_folder(d)
        os.symlink(target, folder)
        core_refuses(d, folder, "is a symlink")
        assert os.listdir(target) == [], os.listdir(target)
        assert os.path.islink(folder)


def test_core_refuses_an_open_folder_even_when_quiet():
    with tmpdir() as d:
        folder = default_folder(d)
        os.mkdir(folder)
        os.chmod(folder, 0o755)
        core_refuses(d, folder, "has mode 0755, not 0700", args=["-q"])
        assert os.listdir(folder) == [], os.listdir(folder)
        assert stat_mode(folder) == 0o755


def test_core_refuses_a_folder_of_another_user():
    need_root()
    with tmpdir() as d:
        folder = default_folder(d)
        os.mkdir(folder, 0o700)
        os.chown(folder, OTHER_UID, OTHER_UID)
        core_refuses(d, folder, "is owned by uid %d, not by this user "
                     "(uid 0)" % OTHER_UID)
        assert os.listdir(folder) == [], os.listdir(folder)


def test_core_makes_the_folder_private():
    with tmpdir() as d:
        folder = default_folder(d)
        with start(d, env=ctl_env(d)) as m:
            init(m)
            sock = os.path.join(folder, "%d.sock" % m.pid)
            wait_until(lambda: os.path.exists(sock), message=sock)
            assert stat_mode(folder) == 0o700
            assert stat_mode(sock) == 0o600


def test_core_refuses_a_given_path_others_may_replace():
    with tmpdir() as d:
        pub = os.path.join(d, "pub")
        os.mkdir(pub)
        os.chmod(pub, 0o777)
        sock = os.path.join(pub, "ctl.sock")
        fix = "; choose a socket path in a folder of your own (--tui PATH)"
        with start(d, args=["--tui", sock]) as m:
            m.initialize()
            m.wait_log(r"No dashboard socket: " + refusal(
                pub, "can be written by other users (mode 0777) and is "
                "not sticky", fix))
            assert text_of(m.call_tool("echo", {"text": "ok"})) == "ok"
        assert os.listdir(pub) == [], os.listdir(pub)
        # Sticky, as /tmp: nobody else may rename or remove our socket.
        os.chmod(pub, 0o1777)
        with start(d, args=["--tui", sock]) as m:
            init(m)
            wait_until(lambda: os.path.exists(sock), message=sock)


def test_core_refuses_a_given_path_in_another_users_folder():
    need_root()
    with tmpdir() as d:
        theirs = os.path.join(d, "theirs")
        os.mkdir(theirs, 0o755)
        os.chown(theirs, OTHER_UID, OTHER_UID)
        sock = os.path.join(theirs, "ctl.sock")
        with start(d, args=["--tui", sock]) as m:
            m.initialize()
            m.wait_log(r"No dashboard socket: " + refusal(
                theirs, "is owned by uid %d, not by this user (uid 0)" %
                OTHER_UID, "; choose a socket path"))
            assert text_of(m.call_tool("echo", {"text": "ok"})) == "ok"


def stat_mode(path):
    return os.lstat(path).st_mode & 0o7777


# ---- the clients: the folder -----------------------------------------------

def clients_refuse(d, folder, what, fake, sock):
    """status and restart, looking in the default folder, refuse it before
    connecting to the fake core at sock (it gets no command)."""
    for args in (["status"], ["status", "--json"], ["restart"],
                 ["restart", "srv"]):
        rc, out, err = cli(args, d)
        assert rc == 1, (args, rc, out, err)
        assert re.search(refusal(folder, what, CLIENT_FIX), err), (args, err)
        assert out == "", (args, out)
    assert commands_got(fake, sock) == []


def test_clients_refuse_a_symlinked_folder():
    with tmpdir() as d:
        target = os.path.join(d, "elsewhere")
        os.mkdir(target, 0o700)
        folder = default_folder(d)
        os.symlink(target, folder)
        sock = os.path.join(target, "4242.sock")
        with fake_core(sock, snapshot=snapshot_line(sock)) as fake:
            clients_refuse(d, folder, "is a symlink", fake, sock)


def test_clients_refuse_an_open_folder():
    with tmpdir() as d:
        folder = default_folder(d)
        os.mkdir(folder)
        os.chmod(folder, 0o755)
        sock = os.path.join(folder, "4242.sock")
        with fake_core(sock, snapshot=snapshot_line(sock)) as fake:
            clients_refuse(d, folder, "has mode 0755, not 0700", fake, sock)


def test_clients_refuse_a_folder_of_another_user():
    need_root()
    with tmpdir() as d:
        folder = default_folder(d)
        os.mkdir(folder, 0o700)
        sock = os.path.join(folder, "4242.sock")
        with fake_core(sock, snapshot=snapshot_line(sock)) as fake:
            os.chown(folder, OTHER_UID, OTHER_UID)
            clients_refuse(d, folder, "is owned by uid %d, not by this user "
                           "(uid 0)" % OTHER_UID, fake, sock)


# ---- the clients: the server's uid -----------------------------------------

def test_clients_refuse_a_socket_of_another_user():
    need_root()
    with tmpdir() as d:
        folder = default_folder(d)
        os.makedirs(folder, 0o700)
        for sock, named in ((os.path.join(d, "peer.sock"), True),
                            (os.path.join(folder, "4242.sock"), False)):
            with fake_core(sock, uid=OTHER_UID,
                           snapshot=snapshot_line(sock)) as fake:
                for args in (["status", sock] if named else ["status"],
                             ["restart", "--socket", sock] if named
                             else ["restart"],
                             ["restart", "srv"] + (["--socket", sock]
                                                   if named else [])):
                    rc, out, err = cli(args, d)
                    assert rc == 1, (args, rc, out, err)
                    why = ("%s: refusing it: it is served by uid %d, not by "
                           "this user (uid 0)" % (sock, OTHER_UID))
                    assert why in err, (args, err)
                    assert out == "", (args, out)
                    assert "4242" not in err.replace(sock, ""), (args, err)
                # The hello was never read, no command ever sent.
                assert commands_got(fake, sock) == []


# ---- the clients: what they print ------------------------------------------

def test_status_escapes_what_the_socket_says():
    with tmpdir() as d:
        folder = default_folder(d)
        os.makedirs(folder, 0o700)
        sock = os.path.join(folder, "4242.sock")
        command = "evil " + ESC_TITLE + ESC_CLEAR + " cmd\x7f"
        line = snapshot_line(sock, command=command,
                             names=("srv" + ESC_CLEAR, "INVALID"),
                             last_exit="exit \u009b31m C1\ttab",
                             state="ready\x1b[5m",
                             raw={"INVALID": b"b\xff\xfead"})
        with fake_core(sock, snapshot=line):
            for args in (["status"], ["status", sock]):
                rc, out, err = cli_bytes(args, d)
                assert rc == 0, (args, rc, out, err)
                assert_terminal_safe(out, args)
                text = out.decode()
                assert "evil \\x1b]0;pwned\\x07\\x1b[2J cmd\\x7f" in text, text
                assert "srv\\x1b[2J" in text and "b\\xff\\xfead" in text, text
                assert "exit \\xc2\\x9b31m C1\\ttab" in text, text
                assert "ready\\x1b[5m" in text, text
            # --json stays JSON, and what JSON can say survives.
            rc, out, err = cli_bytes(["status", "--json"], d)
            assert rc == 0, (rc, out, err)
            assert_terminal_safe(out, "--json")
            js = json.loads(out)
            assert js["instance"]["command"] == command, js
            assert js["backends"][0]["lastExit"] == \
                "exit \u009b31m C1\ttab", js
            assert js["backends"][1]["name"] == "b\ufffd\ufffdad", js
        # A refusal's message, and the list of instances to pick from.
        bad = b'{"type":"error","message":"no \\u001b[2J\\u001b]0;x\\u0007 ' \
            b'\xc2\x9b"}'
        with fake_core(sock, snapshot=bad):
            rc, out, err = cli_bytes(["status"], d)
            assert rc == 1 and out == b"", (rc, out, err)
            assert_terminal_safe(err, "refused snapshot")
            assert b"refused the snapshot: no \\x1b[2J\\x1b]0;x\\x07 " \
                b"\\xc2\\x9b" in err, err
            sock2 = os.path.join(folder, "4343.sock")
            with fake_core(sock2, snapshot=snapshot_line(sock2,
                                                         command=command)):
                rc, out, err = cli_bytes(["status"], d)
                assert rc == 2 and b"pick one" in err, (rc, err)
                assert_terminal_safe(err, "pick one")
                assert b"evil \\x1b]0;pwned" in err, err


def test_restart_escapes_what_the_socket_says():
    with tmpdir() as d:
        sock = os.path.join(d, "fake.sock")
        line = snapshot_line(sock, names=("srv", "b" + ESC_CLEAR + "ad"))
        result = (b'{"type":"result","id":1,"ok":false,"error":"nope ' +
                  ESC_TITLE.encode().replace(b"\x1b", b"\\u001b")
                  .replace(b"\x07", b"\\u0007") + b'"}')
        with fake_core(sock, snapshot=line, result=result):
            rc, out, err = cli_bytes(["restart", "srv", "--socket", sock], d)
            assert rc == 1 and out == b"", (rc, out, err)
            assert_terminal_safe(err, "refused")
            assert b"the restart was refused: nope \\x1b]0;pwned\\x07" in \
                err, err
            rc, out, err = cli_bytes(["restart", "gone", "--socket", sock], d)
            assert rc == 2 and out == b"", (rc, out, err)
            assert_terminal_safe(err, "unknown name")
            assert b"(servers: srv, b\\x1b[2Jad)" in err, err


run_tests(globals())
