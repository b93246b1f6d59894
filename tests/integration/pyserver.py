"""pyserver.py - the MCP side of the tiny Python servers some integration
tests write, for process behaviours the C test server does not have
(workers in their own group, strays that call setsid()).

A test's server script is its own prologue followed by PY_SERVE. The
prologue sets NAME (serverInfo.name), TOOLS (the tools/list result) and
ON_CALL (called with a tools/call request, or None to answer {}). PY_SERVE
answers initialize with the client's protocol version and a tools
capability, every list with TOOLS or [], and anything else with {}.
"""
import os

PY_SERVE = r'''
def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()

LISTS = {"tools/list": "tools", "prompts/list": "prompts",
         "resources/list": "resources"}
for line in sys.stdin:
    msg = json.loads(line)
    method, mid = msg.get("method"), msg.get("id")
    if mid is None:
        continue
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": mid, "result": {
            "protocolVersion": msg["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": NAME, "version": "1"}}})
    elif method in LISTS:
        items = TOOLS if method == "tools/list" else []
        send({"jsonrpc": "2.0", "id": mid, "result": {LISTS[method]: items}})
    elif method == "tools/call" and ON_CALL is not None:
        ON_CALL(msg)
    else:
        send({"jsonrpc": "2.0", "id": mid, "result": {}})
'''


def starts(d):
    """The pids a server wrote to DIR/starts, one per start, oldest
    first."""
    try:
        with open(os.path.join(d, "starts")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


# python3 server.py OUT: writes what it was started with to OUT (its
# working directory, its descriptors above 2, the Sig* lines of
# /proc/self/status), then answers initialize and ping.
FACTS_SERVER = r'''
import json, os, sys
out = sys.argv[1]
fds = {}
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    if fd > 2:
        try:
            fds[fd] = os.readlink("/proc/self/fd/%d" % fd)
        except OSError:
            pass  # the listing's own descriptor, closed
sig = {}
with open("/proc/self/status") as f:
    for line in f:
        k, _, v = line.partition(":")
        if k in ("SigBlk", "SigIgn", "SigCgt"):
            sig[k] = int(v.strip(), 16)
facts = {"cwd": os.getcwd(), "fds": fds, "sig": sig,
         "pgid": os.getpgid(0), "pid": os.getpid(), "sid": os.getsid(0)}
with open(out + ".tmp", "w") as f:
    json.dump(facts, f)
os.rename(out + ".tmp", out)
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("id") is None:
        continue
    result = {}
    if msg["method"] == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"],
                  "capabilities": {}, "serverInfo": {"name": "facts",
                                                     "version": "1"}}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                 "result": result}) + "\n")
    sys.stdout.flush()
'''
