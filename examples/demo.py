#!/usr/bin/env python3
"""mcpmon demo: hot reload of an MCP server, narrated. Python 3 stdlib only.

    python3 examples/demo.py        (mcpmon on PATH, or MCPMON=/path/to/it)

It plays the MCP client, the way Claude Code or an IDE would:
  1. copies examples/hello_server to a temporary folder,
  2. starts  mcpmon --watch <copy> -- python3 <copy>/server.py
  3. initializes, lists the tools and calls one,
  4. adds a tool to the copy's tools.py, as an editor saving the file would,
  5. waits for mcpmon's notifications/tools/list_changed,
  6. lists the tools again and calls the new one, on the same connection.
mcpmon's own log (its stderr) is shown indented as it arrives. Exits 0 when
every step worked, 1 with the reason otherwise.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 20  # seconds for any single step

NEW_TOOL = '''

@tool("Reverse a piece of text", text="string")
def reverse(text):
    return text[::-1]
'''

print_lock = threading.Lock()


def say(text):
    with print_lock:
        print("==> " + text, flush=True)


class DemoError(Exception):
    pass


class Client:
    """A minimal MCP client over the stdio of a child process."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.inbox = queue.Queue()
        self.held = []  # messages that arrived while waiting for another
        self.next_id = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self.log_thread = threading.Thread(target=self._show_stderr,
                                           daemon=True)
        self.log_thread.start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            try:
                self.inbox.put(json.loads(line))
            except ValueError:
                self.inbox.put({"not_json": line.decode("utf-8", "replace")})
        self.inbox.put(None)  # stdout closed

    def _show_stderr(self):
        for line in self.proc.stderr:
            with print_lock:
                print("    | " + line.decode("utf-8", "replace").rstrip(),
                      flush=True)

    def send(self, message):
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, wanted, what, timeout=TIMEOUT):
        """Return the first message for which wanted(message) is true."""
        for m in self.held:
            if wanted(m):
                self.held.remove(m)
                return m
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                m = self.inbox.get(timeout=max(left, 0))
            except queue.Empty:
                raise DemoError("no %s within %d s" % (what, timeout))
            if m is None:
                self.inbox.put(None)
                raise DemoError("mcpmon closed its stdout while waiting for "
                                "%s (exit code %s)" % (what, self.proc.poll()))
            if "not_json" in m:
                raise DemoError("mcpmon wrote a non-JSON line to stdout: %r"
                                % m["not_json"])
            if wanted(m):
                return m
            self.held.append(m)

    def request(self, method, params=None):
        id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": id, "method": method,
                   "params": params or {}})
        reply = self.wait_for(
            lambda m: m.get("id") == id and "method" not in m,
            "answer to %s" % method)
        if "error" in reply:
            raise DemoError("%s failed: %s" % (method, reply["error"]))
        return reply["result"]

    def call_tool(self, name, arguments):
        result = self.request("tools/call", {"name": name,
                                             "arguments": arguments})
        text = "".join(c.get("text", "") for c in result.get("content", []))
        if result.get("isError"):
            raise DemoError("tool %s failed: %s" % (name, text))
        return text

    def stop(self):
        """Close stdin like a client that quits; returns mcpmon's exit
        code, or None if it had to be killed."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            code = None
        self.log_thread.join(2)  # show mcpmon's last log lines
        return code


def find_mcpmon():
    path = os.environ.get("MCPMON") or shutil.which("mcpmon")
    if not path:
        raise DemoError("mcpmon not found: put it on PATH or set MCPMON "
                        "(after a cmake build: MCPMON=build/mcpmon)")
    return path


def tool_names(client):
    return [t["name"] for t in client.request("tools/list")["tools"]]


def expect(what, got, wanted):
    if got != wanted:
        raise DemoError("%s: expected %r, got %r" % (what, wanted, got))


def demo(workdir):
    mcpmon = find_mcpmon()
    server_dir = os.path.join(workdir, "hello_server")
    shutil.copytree(os.path.join(HERE, "hello_server"), server_dir,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    server = os.path.join(server_dir, "server.py")
    argv = [mcpmon, "--watch", server_dir, "--", sys.executable, server]
    say("Starting: " + " ".join(argv))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    client = Client(argv, env)
    try:
        info = client.request("initialize", {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "mcpmon-demo", "version": "1.0"}})
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        say("Initialized: server %s, protocol %s" % (
            info["serverInfo"]["name"], info["protocolVersion"]))
        tools_caps = info["capabilities"].get("tools", {})
        expect("capabilities.tools.listChanged (mcpmon adds it)",
               tools_caps.get("listChanged"), True)
        say("The server declared tools: {}; mcpmon told us listChanged: "
            "true, so we will hear about changes")

        names = tool_names(client)
        say("Tools: " + ", ".join(names))
        if "hello" not in names:
            raise DemoError("the hello tool is missing: %s" % names)
        text = client.call_tool("hello", {"name": "mcpmon"})
        say("hello(name='mcpmon') -> %r" % text)
        expect("hello", text, "Hello, mcpmon!")

        say("Editing tools.py: adding a 'reverse' tool")
        with open(os.path.join(server_dir, "tools.py"), "a") as f:
            f.write(NEW_TOOL)
        client.wait_for(
            lambda m: m.get("method") == "notifications/tools/list_changed",
            "notifications/tools/list_changed (is --watch working?)")
        say("mcpmon restarted the server and sent "
            "notifications/tools/list_changed")

        names = tool_names(client)
        say("Tools now: " + ", ".join(names))
        if "reverse" not in names:
            raise DemoError("the new tool is not listed: %s" % names)
        text = client.call_tool("reverse", {"text": "mcpmon"})
        say("reverse(text='mcpmon') -> %r" % text)
        expect("reverse", text, "nompcm")
    finally:
        say("Closing stdin, as a client does when it quits")
        code = client.stop()
    if code != 0:
        raise DemoError("mcpmon exited with %s after stdin closed, not 0"
                        % ("SIGKILL (it did not exit within 5 s)"
                           if code is None else code))
    say("mcpmon exited cleanly. The same session saw the new tool: "
        "no reconnect.")


def main():
    workdir = tempfile.mkdtemp(prefix="mcpmon-demo-")
    try:
        demo(workdir)
    except DemoError as e:
        say("FAILED: %s" % e)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    say("Demo OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
