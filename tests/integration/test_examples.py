"""examples/: the hello server run directly, and the narrated demo run
against the real mcpmon."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples")


def hello_server(directory):
    return Proc([sys.executable, os.path.join(directory, "server.py")],
                env={"PYTHONDONTWRITEBYTECODE": "1"}, name="hello_server",
                strict=True)


def copy_hello(d):
    dst = os.path.join(d, "hello_server")
    shutil.copytree(os.path.join(EXAMPLES, "hello_server"), dst,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_hello_server_protocol():
    with hello_server(os.path.join(EXAMPLES, "hello_server")) as s:
        s.wait_log(r"started, tools: hello, add")
        r = s.initialize(protocol="2025-06-18")
        assert r["protocolVersion"] == "2025-06-18", r
        assert r["capabilities"] == {"tools": {}}, r
        assert r["serverInfo"]["name"] == "hello_server", r
        assert s.call("ping") == {}
        tools = {t["name"]: t for t in s.call("tools/list")["tools"]}
        assert sorted(tools) == ["add", "hello"], tools
        assert tools["add"]["inputSchema"] == {
            "type": "object", "required": ["a", "b"],
            "properties": {"a": {"type": "number"},
                           "b": {"type": "number"}}}, tools["add"]
        assert text_of(s.call_tool("hello", {"name": "you"})) == "Hello, you!"
        assert text_of(s.call_tool("add", {"a": 2, "b": 3})) == "5"
        r = s.call_tool("add", {"a": 2})  # a failing tool is a result
        assert r["isError"] and "add failed" in text_of(r), r
        assert s.request("tools/call", {"name": "nope"})["error"]["code"] \
            == -32602
        assert s.request("resources/list")["error"]["code"] == -32601
        s.send_raw(b"not json\n\n")
        s.notify("notifications/cancelled", {"requestId": 99})
        assert s.call("ping") == {}
        s.close_stdin()
        assert s.wait_exit() == 0
        s.wait_log(r"stdin closed, exiting")


def test_hello_server_reads_edited_tools():
    with tmpdir() as d:
        server = copy_hello(d)
        with open(os.path.join(server, "tools.py"), "a") as f:
            f.write('\n\n@tool("Shout", text="string")\n'
                    'def shout(text):\n'
                    '    print("shouting")  # goes to stderr\n'
                    '    return text.upper()\n')
        with hello_server(server) as s:
            s.initialize()
            names = [t["name"] for t in s.call("tools/list")["tools"]]
            assert names == ["hello", "add", "shout"], names
            assert text_of(s.call_tool("shout", {"text": "hi"})) == "HI"
            s.wait_log(r"^shouting$")
        assert not os.path.exists(os.path.join(server, "__pycache__"))


def test_demo():
    env = dict(os.environ, MCPMON=mcpmon_path())
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "demo.py")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, timeout=120)
    text = out.stdout.decode("utf-8", "replace")
    assert out.returncode == 0 and "==> Demo OK" in text, text


if __name__ == "__main__":
    run_tests(globals())
