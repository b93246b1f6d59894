"""A fake mcpmon core for the tests of the control clients
(test_control_trust.py): it listens on a Unix socket, greets each
connection with a hello, answers snapshot and subscribe with the snapshot
it was given and restart with the result it was given, and reports every
line it receives on stderr as "got: LINE".

    python3 fakecore.py PATH [--uid UID] [--hello HEX] [--snapshot HEX]
                        [--result HEX]

--uid: bind PATH as the caller (root: in a folder of root's), then become
UID before listen(): a client's SO_PEERCRED shows the listener's
credentials at listen() time, so the socket is served by another user.
Each HEX is the raw bytes of one line without its newline, so that a test
can send what JSON text cannot carry (invalid UTF-8). Prints "ready" on
stderr once listening; serves one connection at a time until killed.
"""
import json
import os
import socket
import sys


def main(argv):
    path = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2]))
    hello = bytes.fromhex(opts["--hello"]) if "--hello" in opts else \
        json.dumps({"type": "hello", "mcpmon": 1, "version": "0.1.0",
                    "pid": 4242}).encode()
    snapshot = bytes.fromhex(opts.get("--snapshot", ""))
    result = bytes.fromhex(opts["--result"]) if "--result" in opts else \
        b'{"type":"result","id":1,"ok":true}'
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    if "--uid" in opts:
        uid = int(opts["--uid"])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    srv.listen(8)
    print("ready", file=sys.stderr, flush=True)
    while True:
        c, _ = srv.accept()
        with c:
            try:
                c.sendall(hello + b"\n")
                f = c.makefile("rb")
                for line in f:
                    print("got: " + line.decode("utf-8", "replace").rstrip(),
                          file=sys.stderr, flush=True)
                    try:
                        cmd = json.loads(line).get("cmd")
                    except ValueError:
                        cmd = None
                    if cmd in ("snapshot", "subscribe"):
                        c.sendall(snapshot + b"\n")
                    elif cmd == "restart":
                        c.sendall(result + b"\n")
                    else:
                        c.sendall(b'{"type":"error","message":"unknown"}\n')
            except OSError:
                pass


if __name__ == "__main__":
    main(sys.argv[1:])
