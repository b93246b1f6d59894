"""Responses to forwarded requests passed on as text (backend_text.c): the
client gets the server's bytes with only the id replaced by its own, in
single and gateway mode; every line the text path does not take (CR
between tokens, raw control characters, extra members, ids written 1.0,
unknown ids) goes the cJSON way exactly as before.

The server is a small Python script whose tool "raw" writes the line it
is given, with @ID@ replaced by the id of the request (mcpmon's)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403

RAW_SERVER = r'''
import json, sys
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    msg = json.loads(line)
    if "id" not in msg or "method" not in msg:
        continue
    rid, method = msg["id"], msg["method"]
    if method == "initialize":
        res = {"protocolVersion": msg["params"]["protocolVersion"],
               "capabilities": {"tools": {}},
               "serverInfo": {"name": "raw", "version": "1"}}
    elif method == "tools/list":
        res = {"tools": [{"name": "raw", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call":
        text = msg["params"]["arguments"]["line"]
        out.write(text.replace("@ID@", json.dumps(rid)).encode("utf-8")
                  + b"\n")
        out.flush()
        continue
    else:
        res = None
    reply = {"jsonrpc": "2.0", "id": rid}
    if res is None:
        reply["error"] = {"code": -32601, "message": "no " + method}
    else:
        reply["result"] = res
    out.write(json.dumps(reply).encode() + b"\n")
    out.flush()
'''


def start_raw(d, gateway=False):
    server = os.path.join(d, "raw_server.py")
    with open(server, "w") as f:
        f.write(RAW_SERVER)
    if not gateway:
        return Mcpmon(["--watch", d, "--ext", "nothing", "--",
                       sys.executable, server])
    cfg = os.path.join(d, "gw.yaml")
    with open(cfg, "w") as f:
        f.write("servers:\n  s:\n    command: %s\n    args: [%s]\n"
                "    watch: %s\n" % (sys.executable, server, d))
    return Mcpmon(["--config", cfg])


def raw_call(m, line, id, tool="raw"):
    """tools/call of the raw tool under the client id id; returns the raw
    stdout line of its response (bytes, with the newline) and the parsed
    message."""
    m.send_request("tools/call", {"name": tool, "arguments": {"line": line}},
                   id=id)
    resp = m.next_message(response_to(id))
    for raw in reversed(m.raw_stdout):
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if isinstance(msg, dict) and same_id(msg.get("id"), id) \
                and "method" not in msg:
            return raw, resp
    raise AssertionError("no raw line for id %r" % (id,))


def wait_ready(m):
    m.initialize()
    m.wait_log(r"Server ready")


# Spaces, member order, escapes and numbers cJSON would print otherwise
# (1e400 as null, 0.1e1 as 1, the surrogate pair as UTF-8).
KEEP = ('{"result" : {"content": [{"type": "text", "text": "a\\u00e9 '
        '\\ud83d\\ude00 \\"q\\" \\u0000"}], "n": [1e400, 0.1e1, -0]}, '
        '"jsonrpc": "2.0", "id": @ID@}')


def test_response_bytes_kept_with_client_id():
    with tmpdir() as d:
        with start_raw(d) as m:
            wait_ready(m)
            for cid, idtext in (("abc-1", '"abc-1"'), (7, "7"),
                                ("\u00e9\"x", '"\u00e9\\"x"'), (0, "0")):
                raw, resp = raw_call(m, KEEP, cid)
                want = KEEP.replace("@ID@", idtext).encode() + b"\n"
                assert raw == want, (raw, want)
                assert resp["result"]["n"][1] == 1.0, resp
            assert m.violations == [], m.violations
            assert "non-JSON-RPC" not in m.logs()


def test_error_response_bytes_kept():
    line = ('{"jsonrpc":"2.0","id":@ID@,"error":{"code":-32001,'
            '"message":"boom","data":{"k":[1, 2]}}}')
    with tmpdir() as d:
        with start_raw(d) as m:
            wait_ready(m)
            raw, resp = raw_call(m, line, "e1")
            assert raw == line.replace("@ID@", '"e1"').encode() + b"\n", raw
            assert resp["error"]["message"] == "boom", resp
            # Whitespace around the object is not passed on.
            raw, resp = raw_call(m, "  \t" + line + " ", 5)
            assert raw == line.replace("@ID@", "5").encode() + b"\n", raw


def test_large_result_unchanged():
    big = "x\\\\y" * 300000  # 1.2 MB of text with escapes
    line = ('{"jsonrpc":"2.0","id":@ID@,"result":{"content":[{"type":"text",'
            '"text":"%s"}]}}' % big)
    with tmpdir() as d:
        with start_raw(d) as m:
            wait_ready(m)
            for i in range(3):
                raw, resp = raw_call(m, line, 100 + i)
                assert raw == line.replace("@ID@", str(100 + i)).encode() \
                    + b"\n"
                assert text_of(resp["result"]) == "x\\y" * 300000
            # A string id, and a notification in the same write right
            # after the large line: the line leaves in the framer's buffer
            # (framer_take), what follows it is still read.
            note = ('{"jsonrpc":"2.0","method":"notifications/message",'
                    '"params":{"level":"info","data":"after"}}')
            raw, resp = raw_call(m, line + "\n" + note, "big-\u00e9")
            assert raw == line.replace("@ID@", '"big-\u00e9"').encode() \
                + b"\n"
            m.wait_message(lambda o: o.get("method") ==
                           "notifications/message" and
                           o["params"]["data"] == "after")
            assert m.violations == [], m.violations


def test_lines_the_text_path_leaves_to_cjson():
    with tmpdir() as d:
        with start_raw(d) as m:
            wait_ready(m)
            # CR between tokens: one line still (STDIO-1), the CR a space.
            raw, resp = raw_call(
                m, '{"jsonrpc":"2.0",\r"id":@ID@,"result":{"a":1}}', 1)
            assert raw == b'{"jsonrpc":"2.0", "id":1,"result":{"a":1}}\n', raw
            # A raw tab in a string (the RFC forbids it, cJSON takes it):
            # re-serialized with the tab escaped.
            raw, resp = raw_call(
                m, '{"jsonrpc":"2.0","id":@ID@,"result":{"t":"a\tb"}}', 2)
            assert raw == b'{"jsonrpc":"2.0","id":2,"result":{"t":"a\\tb"}}\n'
            # An id written 5.0 still finds its request.
            raw, resp = raw_call(
                m, '{"jsonrpc":"2.0","id":@ID@.0,"result":{}}', "three")
            assert raw == b'{"jsonrpc":"2.0","id":"three","result":{}}\n'
            # Extra members and bad error objects are never forwarded; the
            # request gets an error at once (issue 12 item 4), not a wait
            # for the client's own timeout.
            mark = m.log_mark()
            for n, line in enumerate((
                    '{"jsonrpc":"2.0","id":@ID@,"result":{},"x":1}',
                    '{"jsonrpc":"2.0","id":@ID@,"error":{"code":1.5,'
                    '"message":"m"}}',
                    '{"jsonrpc":"2.0","id":@ID@,"result":[]}')):
                m.send_request("tools/call", {"name": "raw", "arguments": {
                    "line": line}}, id="bad%d" % n)
                m.wait_log(r"non-JSON-RPC output", start=mark, n=n + 1)
                err = m.next_message(response_to("bad%d" % n))["error"]
                assert err["data"]["reason"] == "invalid_response", err
            # A response to an id mcpmon never used: dropped.
            m.send_request("tools/call", {"name": "raw", "arguments": {
                "line": '{"jsonrpc":"2.0","id":999,"result":{}}'}}, id=4)
            # The server wrote those lines before it answers this
            # tools/list, and mcpmon relays its lines in order.
            m.expect_none_before_reply(response_to(4), method="tools/list")
            assert m.violations == [], m.violations


def test_gateway_passes_responses_as_text():
    with tmpdir() as d:
        with start_raw(d, gateway=True) as m:
            m.initialize()
            tools = m.call("tools/list")["tools"]
            name = [t["name"] for t in tools if t["name"].endswith("raw")][0]
            raw, resp = raw_call(m, KEEP, "g1", tool=name)
            assert raw == KEEP.replace("@ID@", '"g1"').encode() + b"\n", raw
            assert m.violations == [], m.violations


if __name__ == "__main__":
    run_tests(globals())
