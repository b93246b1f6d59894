#!/usr/bin/env python3
"""A tiny MCP server over stdio, Python 3 standard library only.

Have your MCP client launch it through mcpmon, then edit tools.py while
the client stays connected. In the client's server config:

    "command": "mcpmon",
    "args": ["--watch", "/path/to/examples/hello_server", "--",
             "python3", "/path/to/examples/hello_server/server.py"]

To watch the whole cycle without a client: python3 examples/demo.py

The protocol is JSON-RPC 2.0, one JSON object per line on stdin and stdout.
This server answers initialize, ping, tools/list and tools/call, ignores
notifications, and answers anything else with "method not found".
stdout carries protocol messages only; logs go to stderr.
"""

import json
import os
import sys

# tools.py sits next to this file and is read once, at start: mcpmon's
# restart is what picks up an edit. No __pycache__ in the watched folder.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tools  # noqa: E402

PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

# Keep the real stdout for protocol messages; a stray print() in a tool
# goes to stderr instead of corrupting the protocol stream.
protocol_out = sys.stdout
sys.stdout = sys.stderr


def log(message):
    print("hello_server: %s" % message, file=sys.stderr, flush=True)


def send(message):
    protocol_out.write(json.dumps(message, separators=(",", ":")) + "\n")
    protocol_out.flush()


class InvalidParams(Exception):
    """Answered with JSON-RPC error -32602."""


def initialize(params):
    wanted = params.get("protocolVersion")
    return {
        "protocolVersion": wanted if wanted in PROTOCOL_VERSIONS
        else PROTOCOL_VERSIONS[0],
        "capabilities": {"tools": {}},
        "serverInfo": {"name": "hello_server", "version": "1.0"},
    }


def list_tools(params):
    return {"tools": [{"name": name,
                       "description": t["description"],
                       "inputSchema": t["inputSchema"]}
                      for name, t in tools.TOOLS.items()]}


def call_tool(params):
    name = params.get("name")
    if name not in tools.TOOLS:
        raise InvalidParams("Unknown tool: %s" % name)
    try:
        text = str(tools.TOOLS[name]["function"](
            **params.get("arguments", {})))
        is_error = False
    except Exception as e:  # the tool failed: tell the model, keep running
        text = "%s failed: %s" % (name, e)
        is_error = True
    return {"content": [{"type": "text", "text": text}], "isError": is_error}


METHODS = {
    "initialize": initialize,
    "ping": lambda params: {},
    "tools/list": list_tools,
    "tools/call": call_tool,
}


def handle(message):
    method = message.get("method")
    if "id" not in message:
        return  # a notification (or a response): nothing to answer
    reply = {"jsonrpc": "2.0", "id": message["id"]}
    if method not in METHODS:
        reply["error"] = {"code": -32601, "message": "Method not found"}
    else:
        try:
            reply["result"] = METHODS[method](message.get("params") or {})
        except InvalidParams as e:
            reply["error"] = {"code": -32602, "message": str(e)}
    send(reply)


def main():
    log("started, tools: %s" % ", ".join(tools.TOOLS))
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            log("ignoring a line that is not JSON")
            continue
        if isinstance(message, dict):
            handle(message)
    log("stdin closed, exiting")


if __name__ == "__main__":
    main()
