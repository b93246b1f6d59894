#!/usr/bin/env python3
"""democlient.py - the MCP client of screenshots/make.sh (stdlib only).

    democlient.py STATUS_FILE -- mcpmon ARGS...

Starts mcpmon with its stdin and stdout on pipes (mcpmon's stderr goes to
this process's stderr), initializes it like an MCP client would and then
reads commands, one per line, from its own stdin:

    call TOOL JSON_ARGUMENTS    send tools/call
    list                        send tools/list

It answers notifications/tools/list_changed with tools/list, as a client
that honours the notification does, roots/list with one root (the
current directory) and other server requests with an empty result. STATUS_FILE gets one line per event, for make.sh to poll:

    ready                       initialize answered, tools listed
    done ID ok|error TOOL MS    the answer to a request, MS after it was sent
    exited RC                   mcpmon ended

On stdin EOF it closes mcpmon's stdin and waits for mcpmon to exit (10 s,
then SIGKILL).
"""
import json
import os
import subprocess
import sys
import threading
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: democlient.py STATUS_FILE -- mcpmon ARGS...")
    status = open(sys.argv[1], "a", buffering=1)
    proc = subprocess.Popen(sys.argv[3:], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    lock = threading.Lock()
    pending = {}  # id -> (tool name or method, time sent)
    next_id = [1]

    def send(msg):
        with lock:
            try:
                proc.stdin.write(json.dumps(msg).encode() + b"\n")
                proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass

    def request(method, params, label=None):
        with lock:
            rid = next_id[0]
            next_id[0] += 1
            pending[rid] = (label or method, time.monotonic())
        send({"jsonrpc": "2.0", "id": rid, "method": method,
              "params": params})
        return rid

    def event(text):
        status.write(text + "\n")

    def reader():
        for raw in proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            method = msg.get("method")
            if method is not None and "id" in msg:
                result = {}
                if method == "roots/list":
                    result = {"roots": [{"uri": "file://" + os.getcwd(),
                                         "name": os.path.basename(
                                             os.getcwd())}]}
                send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            elif method == "notifications/tools/list_changed":
                request("tools/list", {})
            elif method is None and "id" in msg:
                with lock:
                    entry = pending.pop(msg["id"], None)
                if entry is None:
                    continue
                label, sent = entry
                ok = "error" if "error" in msg else "ok"
                event("done %s %s %s %.1f" % (msg["id"], ok, label,
                                              (time.monotonic() - sent) * 1e3))
                if label == "initialize":
                    send({"jsonrpc": "2.0",
                          "method": "notifications/initialized"})
                    request("tools/list", {}, "first-list")
                elif label == "first-list":
                    event("ready")
        rc = proc.wait()
        event("exited %d" % rc)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    request("initialize", {
        "protocolVersion": "2025-11-25",
        "capabilities": {"roots": {"listChanged": True}},
        "clientInfo": {"name": "demo-client", "version": "1.0"},
    })
    for line in sys.stdin:
        words = line.strip().split(None, 2)
        if not words:
            continue
        if words[0] == "call" and len(words) >= 2:
            args = json.loads(words[2]) if len(words) == 3 else {}
            request("tools/call", {"name": words[1], "arguments": args},
                    words[1])
        elif words[0] == "list":
            request("tools/list", {})
        else:
            print("democlient: unknown command: %s" % line.strip(),
                  file=sys.stderr)
    with lock:
        proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    t.join(5)


if __name__ == "__main__":
    main()
