"""Every message passes byte for byte apart from what mcpmon must rewrite
(issue 12 items 3 and 4): the client's requests and notifications reach
the server as the client wrote them with only the id (and in the gateway
the tool name) replaced; the server's notifications and requests reach
the client the same way; numbers keep every digit, "\\u0000" stays in its
string, lone surrogates and deep nesting pass; invalid UTF-8 becomes
U+FFFD; a server line mcpmon cannot pass on gets its request an error.

Before: cJSON parsed and printed every one of these, so that
12345678901234567890 arrived as 1.2345678901234567e+19, 1.0 as 1, 1E2 as
100, "a\\u0000b" as "a", and the lone surrogate or 1,200-deep answer was
dropped while the client waited."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403

sys.setrecursionlimit(20000)  # the harness reads a 1,200-deep answer

# The server records every line it reads (bytes, in DIR/received) and
# has a tool "raw" that writes arguments.hex (bytes, hex) with @ID@
# replaced by the request's id, then answers unless arguments.answer is
# false.
SERVER = r'''
import json, os, sys
sys.setrecursionlimit(20000)
d = sys.argv[1]
out = sys.stdout.buffer
rec = open(os.path.join(d, "received"), "ab", buffering=0)
def send(obj):
    out.write(json.dumps(obj).encode() + b"\n")
    out.flush()
for line in sys.stdin.buffer:
    rec.write(line)
    msg = json.loads(line)
    if "id" not in msg or "method" not in msg:
        continue
    rid, method = msg["id"], msg["method"]
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": msg["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "exact", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": [
            {"name": "raw", "inputSchema": {"type": "object"}}]}})
    elif method == "tools/call":
        args = msg["params"].get("arguments", {})
        if "hex" in args:
            data = bytes.fromhex(args["hex"])
            out.write(data.replace(b"@ID@", json.dumps(rid).encode()) + b"\n")
            out.flush()
        if args.get("answer", True):
            send({"jsonrpc": "2.0", "id": rid, "result": {"content": [
                {"type": "text", "text": "ok"}]}})
    else:
        send({"jsonrpc": "2.0", "id": rid, "result": {}})
'''


def start_exact(d, gateway=False):
    server = os.path.join(d, "server.py")
    with open(server, "w") as f:
        f.write(SERVER)
    if not gateway:
        return Mcpmon(["--watch", d, "--ext", "nothing", "--",
                       sys.executable, server, d])
    cfg = os.path.join(d, "gw.yaml")
    with open(cfg, "w") as f:
        f.write("servers:\n  s:\n    command: %s\n    args: [%s, %s]\n"
                "    watch: %s\n    extensions: [nothing]\n"
                % (sys.executable, server, d, d))
    return Mcpmon(["--config", cfg])


def received(d):
    """The lines the server read so far (bytes, without newlines)."""
    try:
        with open(os.path.join(d, "received"), "rb") as f:
            return f.read().splitlines()
    except OSError:
        return []


def received_with(d, marker):
    """The one line the server read that holds marker (bytes)."""
    lines = [x for x in received(d) if marker in x]
    assert len(lines) == 1, lines
    return lines[0]


def server_id(line):
    return json.loads(line)["id"]


def raw_out(m, pred):
    """The raw stdout line (bytes, no newline) of the first message that
    pred accepts (one already read)."""
    for raw in m.raw_stdout:
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if pred(msg):
            return raw.rstrip(b"\n")
    raise AssertionError("no raw line")


def call_raw(m, rid, data, answer=True, name="raw"):
    """tools/call of the raw tool: the server writes data (bytes)."""
    m.send_request("tools/call", {"name": name, "arguments": {
        "hex": data.hex(), "answer": answer}}, id=rid)


# A client request with everything cJSON used to change.
ARGS = (b'{"big":12345678901234567890,"exact":9007199254740993,"f":1.0,'
        b'"e":1E2,"z":"a\\u0000b","lone":"\\ud83d","esc":"\\u00e9\\/",'
        b'"ws" : [ 1 , 2 ]}')


def request_line(rid, name=b"raw", args=ARGS):
    return (b'{"jsonrpc":"2.0","id":' + rid + b',"method":"tools/call",'
            b'"params":{"name":"' + name + b'","arguments":' + args + b'}}')


def test_client_request_reaches_the_server_as_written():
    with tmpdir() as d:
        with start_exact(d) as m:
            m.initialize()
            sent = request_line(b'"c-1"')
            m.send_raw(sent + b"\n")
            assert m.next_message(response_to("c-1"))["result"]
            got = received_with(d, b"12345678901234567890")
            sid = server_id(got)
            assert isinstance(sid, int), got
            # Only the id differs (ID-1).
            assert got == sent.replace(b'"c-1"', str(sid).encode()), got
            # A notification passes untouched.
            note = (b'{"jsonrpc":"2.0","method":"notifications/roots/'
                    b'list_changed","params":{"n":1E2,"_meta":{"x":1.0}}}')
            m.send_raw(note + b"\n")
            assert m.call("ping") == {}
            m.call_tool("raw", {})  # through the server: it read the note
            assert note in received(d), received(d)
            assert m.violations == [], m.violations


def test_server_notification_and_request_reach_the_client_as_written():
    with tmpdir() as d:
        with start_exact(d) as m:
            m.initialize(capabilities={"roots": {}})
            note = (b'{"jsonrpc":"2.0","method":"notifications/message",'
                    b'"params":{"level":"info","data":{"n":'
                    b'12345678901234567890,"z":"a\\u0000b","f":1.0,'
                    b'"lone":"\\udc00"}}}')
            call_raw(m, 1, note)
            m.next_message(response_to(1))
            m.wait_message(lambda o: o.get("method") ==
                           "notifications/message")
            got = raw_out(m, lambda o: o.get("method") ==
                          "notifications/message")
            assert got == note, got
            # A request from the server: only the id is the session's.
            req = (b'{"jsonrpc":"2.0","id":"s-1","method":"roots/list",'
                   b'"params":{"_meta":{"n":1E2}}}')
            call_raw(m, 2, req)
            m.next_message(response_to(2))
            m.wait_message(lambda o: o.get("method") == "roots/list")
            got = raw_out(m, lambda o: o.get("method") == "roots/list")
            rid = json.loads(got)["id"]
            assert got == req.replace(b'"s-1"', json.dumps(rid).encode())
            # The client's answer reaches the server with its own id back.
            answer = (b'{"jsonrpc":"2.0","id":' + json.dumps(rid).encode() +
                      b',"result":{"roots":[],"n":1.50}}')
            m.send_raw(answer + b"\n")
            m.call_tool("raw", {})
            assert (b'{"jsonrpc":"2.0","id":"s-1","result":{"roots":[],'
                    b'"n":1.50}}') in received(d), received(d)
            assert m.violations == [], m.violations


def test_gateway_changes_only_the_id_and_the_name():
    with tmpdir() as d:
        with start_exact(d, gateway=True) as m:
            m.initialize()
            tools = [t["name"] for t in m.call("tools/list")["tools"]]
            assert "s__raw" in tools, tools
            sent = request_line(b"77", name=b"s__raw")
            m.send_raw(sent + b"\n")
            assert m.next_message(response_to(77))["result"]
            got = received_with(d, b"12345678901234567890")
            sid = server_id(got)
            assert got == sent.replace(b"77", str(sid).encode(), 1) \
                .replace(b'"s__raw"', b'"raw"'), got
            # notifications/message gets the server's name as its logger
            # (LOG-2), and nothing else changes.
            note = (b'{"jsonrpc":"2.0","method":"notifications/message",'
                    b'"params":{"level":"info","data":1.0}}')
            call_raw(m, 3, note, name="s__raw")
            m.next_message(response_to(3))
            m.wait_message(lambda o: o.get("method") ==
                           "notifications/message")
            got = raw_out(m, lambda o: o.get("method") ==
                          "notifications/message")
            assert got == (b'{"jsonrpc":"2.0","method":"notifications/'
                           b'message","params":{"logger":"s","level":"info",'
                           b'"data":1.0}}'), got
            assert m.violations == [], m.violations


def deep(n):
    return b"[" * n + b"]" * n


def test_valid_json_cjson_cannot_read_still_passes():
    with tmpdir() as d:
        with start_exact(d) as m:
            m.initialize()
            # Item 4: a server's answer with a lone surrogate, and one
            # nested 1,200 deep (cJSON stops at 1,000): passed on.
            for rid, result in (
                    (10, b'{"content":[{"type":"text","text":"\\ud83d"}]}'),
                    (11, b'{"deep":' + deep(1200) + b'}')):
                line = (b'{"jsonrpc":"2.0","id":@ID@,"result":' + result +
                        b'}')
                call_raw(m, rid, line, answer=False)
                m.next_message(response_to(rid))
                got = raw_out(m, response_to(rid))
                assert got == line.replace(b"@ID@", str(rid).encode()), got
            # The client's request nested 2,000 deep, or with a lone
            # surrogate, reaches the server.
            sent = request_line(b"12", args=b'{"d":' + deep(2000) + b'}')
            m.send_raw(sent + b"\n")
            assert m.next_message(response_to(12))["result"]
            assert any(deep(2000) in x for x in received(d))
            assert m.violations == [], m.violations


def test_invalid_utf8_is_repaired_and_unreadable_lines_answered():
    with tmpdir() as d:
        with start_exact(d) as m:
            m.initialize()
            # Invalid UTF-8 from the server becomes U+FFFD (logged once);
            # the harness would record a violation for any invalid byte.
            line = b'{"jsonrpc":"2.0","id":@ID@,"result":{"t":"a\xff\xc3b"}}'
            call_raw(m, 20, line, answer=False)
            r = m.next_message(response_to(20))
            assert r["result"]["t"] == "a\ufffd\ufffdb", r
            m.wait_log(r"Server wrote invalid UTF-8; replaced with U\+FFFD")
            # A raw NUL byte is not JSON: the request gets an error at
            # once, not a wait for the client's own timeout.
            call_raw(m, 21, b'{"jsonrpc":"2.0","id":@ID@,"result":{"t":"a'
                     b'\x00b"}}', answer=False)
            r = m.next_message(response_to(21))
            assert "error" in r, (r, m.raw_stdout[-3:])
            err = r["error"]
            assert err["data"]["reason"] == "invalid_response", err
            # Invalid UTF-8 from the client reaches the server repaired.
            sent = request_line(b"22", args=b'{"u":"x\xe2\x82y"}')
            m.send_raw(sent + b"\n")
            assert m.next_message(response_to(22))["result"]
            assert any(b'"x\xef\xbf\xbdy"' in x for x in received(d))
            m.wait_log(r"Client sent invalid UTF-8")
            assert m.violations == [], m.violations


if __name__ == "__main__":
    run_tests(globals())
