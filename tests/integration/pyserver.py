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
