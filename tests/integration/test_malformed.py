"""Single mode, malformed input from the client (STDIO-2, -4, -5, -6) and
over-long lines from either side: answered with an error, never forwarded,
and the session goes on."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403


def send_line_expect(m, line, pred):
    m.send_raw(line)
    return m.next_message(pred, timeout=5)


def test_invalid_json_gets_parse_error_with_sniffed_or_null_id():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            # JSON-RPC 2.0 section 5 (issue 12 item 4): "id": null when
            # the id cannot be read, the id itself when it can.
            for line in (b"not json\n", b"\xff\xfe{}\n"):
                r = send_line_expect(m, line, error_null_id(-32700))
                assert set(r) == {"jsonrpc", "id", "error"}, r
            for line, rid in (
                    (b'{"jsonrpc":"2.0","id":1,"method":"ping"\n', 1),
                    (b'{"jsonrpc":"2.0","id":"two","method":"ping"}}\n',
                     "two")):
                send_line_expect(m, line, error_with_id(-32700, rid))
            m.wait_log(r"Client sent an invalid message", n=4)
            # What cJSON would take but JSON forbids is refused as well,
            # with the reason (STDIO-5): an SDK server would drop it.
            for line, why, rid in (
                    (b'{"jsonrpc":"2.0","id":3,"method":"tools/call",'
                     b'"params":{"name":"echo","arguments":{"n":01}}}\n',
                     "number with a leading zero", 3),
                    (b'{"jsonrpc":"2.0","id":4,"method":"tools/call",'
                     b'"params":{"name":"echo","arguments":{"text":"a\tb"}}}'
                     b'\n', "control character in a string", 4)):
                r = send_line_expect(m, line, error_with_id(-32700, rid))
                assert r["error"]["message"] == why, r
            assert m.call("ping") == {}
            # Nothing of it reached the server.
            assert state(m)["requests"].count("tools/call") == 1


def test_invalid_requests_get_invalid_request_with_id():
    cases = [
        (b'{"id":2,"method":"ping"}', 2),                       # no jsonrpc
        (b'{"jsonrpc":"1.0","id":3,"method":"tools/list"}', 3),
        (b'{"jsonrpc":2.0,"id":"s4","method":"tools/list"}', "s4"),
        (b'{"jsonrpc":"2.0","id":4,"method":"tools/list","extra":1}', 4),
        (b'{"jsonrpc":"2.0","id":5,"method":7}', 5),
        (b'{"jsonrpc":"2.0","id":6,"method":"tools/list","params":"x"}', 6),
        (b'{"jsonrpc":"2.0","id":7}', 7),
        (b'{"jsonrpc":"2.0","id":8,"method":"x","result":{}}', 8),
    ]
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            for line, rid in cases:
                r = send_line_expect(m, line + b"\n", response_to(rid))
                assert r["error"]["code"] == -32600, (line, r)
                assert same_id(r["id"], rid), (line, r)
            assert m.call("ping") == {}
            st = state(m)
            assert st["requests"].count("tools/list") == 1, st  # mcpmon's


def test_unreadable_ids_get_invalid_request_without_id():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            # 2^53 + 1 would read as 2^53 and come back as another id.
            for idtext in (b"null", b"1.5", b"true", b'{"a":1}', b"[1]",
                           b"1e400", b"9007199254740993",
                           b"-9007199254740992"):
                line = (b'{"jsonrpc":"2.0","id":' + idtext +
                        b',"method":"tools/list"}\n')
                r = send_line_expect(m, line, error_null_id(-32600))
                assert "id" in r["error"]["message"], (line, r)
            for line in (b'"just a string"\n', b"42\n", b"null\n"):
                send_line_expect(m, line, error_null_id(-32600))
            assert m.call("ping") == {}
            assert state(m)["requests"].count("tools/list") == 1


def test_batch_rejected_on_current_protocol():
    with tmpdir() as d:
        with start(d) as m:
            init(m, protocol="2025-11-25")
            for line in (b'[{"jsonrpc":"2.0","id":6,"method":"ping"},'
                         b'{"jsonrpc":"2.0","id":7,"method":"tools/list"}]\n',
                         b"[]\n"):
                send_line_expect(m, line, error_null_id(-32600))
            # Neither element ran: not the ping (mcpmon's own), nor the
            # tools/list (it would be answered before a later call).
            m.expect_none_before_reply(
                lambda x: response_to(6)(x) or response_to(7)(x),
                **THROUGH_SERVER)


def test_batch_unbatched_on_2025_03_26():
    # STDIO-6: the one protocol version with batches; each element is
    # handled on its own, never sent to the server as an array.
    with tmpdir() as d:
        with start(d) as m:
            init(m, protocol="2025-03-26")
            m.send_raw(b'[{"jsonrpc":"2.0","id":6,"method":"ping"},'
                       b'{"jsonrpc":"2.0","id":7,"method":"tools/call",'
                       b'"params":{"name":"echo","arguments":{"text":"b"}}},'
                       b'{"jsonrpc":"2.0","method":"notifications/x"},'
                       b'5]\n')
            assert m.next_message(response_to(6))["result"] == {}
            r = m.next_message(response_to(7))
            assert text_of(r["result"]) == "b", r
            m.next_message(error_null_id(-32600))
            st = state(m)
            assert "notifications/x" in st["notifications"], st
            # Ids and numbers inside a batch stay exact (they were once
            # printed again and read back, rounded to 15 digits).
            m.send_raw(b'[{"jsonrpc":"2.0","id":9007199254740989,'
                       b'"method":"ping"},{"jsonrpc":"2.0","id":8,'
                       b'"method":"tools/call","params":{"name":"echo",'
                       b'"arguments":{"text":"c","n":0.30000000000000004}}}]'
                       b'\n')
            r = m.next_message(response_to(9007199254740989))
            assert r["result"] == {}, r
            assert not m.messages(response_to(9007199254740990))
            assert text_of(m.next_message(response_to(8))["result"]) == "c"


def test_line_over_max_line_refused_and_session_goes_on():
    with tmpdir() as d:
        with start(d, args=["--max-line", "1K"]) as m:
            init(m)
            big = "x" * 2000
            # The id is read from the start of the refused line.
            m.send({"jsonrpc": "2.0", "id": 10, "method": "tools/call",
                    "params": {"name": "echo", "arguments": {"text": big}}})
            err = error_of(m.next_message(response_to(10)), -32600)
            assert "--max-line" in err["message"], err
            m.wait_log(r"Client sent a \d+-byte message, over the 1024-byte "
                       r"limit")
            m.send({"jsonrpc": "2.0", "id": "str-id", "method": "tools/call",
                    "params": {"name": "echo", "arguments": {"text": big}}})
            r = m.next_message(response_to("str-id"))
            assert r["error"]["code"] == -32600, r
            # Where the id comes after a long member, it is unreadable.
            m.send_raw(b'{"params":{"x":"' + b"y" * 3000 +
                       b'"},"jsonrpc":"2.0","id":11,"method":"ping"}\n')
            m.next_message(error_null_id(-32600))
            # The next request works, in one line or in several writes.
            r = m.call_tool("echo", {"text": "small"})
            assert text_of(r) == "small", r
            m.send_raw(b'{"jsonrpc":"2.0","id":12,')
            m.send_raw(b'"method":"ping"}\n')
            assert m.next_message(response_to(12))["result"] == {}
            # Never truncated and forwarded: the server got none of them.
            st = state(m)
            assert st["requests"].count("tools/call") == 2, st


def test_server_line_over_max_line_becomes_error():
    with tmpdir() as d:
        with start(d, {"builtin_tools": False},
                   args=["--max-line", "1K"]) as m:
            init(m)
            call = m.send_request("tools/call", {"name": "big",
                                                 "arguments": {"bytes": 5000}})
            err = error_of(m.next_message(response_to(call)))
            assert err["data"]["reason"] == "oversize", err
            assert "--max-line" in err["message"], err
            m.wait_log(r"Server wrote a \d+-byte message, over the 1024-byte")
            assert text_of(m.call_tool("big", {"bytes": 100})) == "x" * 100
            assert count_log(m, r"Restart|exited") == 0, m.logs()


def test_crlf_empty_lines_and_split_writes():
    with tmpdir() as d:
        with start(d) as m:
            init(m)
            m.send_raw(b'{"jsonrpc":"2.0","id":"a","method":"ping"}\r\n')
            assert m.next_message(response_to("a"))["result"] == {}
            m.send_raw(b'\n\n   \n\t\n\r\n')
            m.send_raw(b'{"jsonrpc":"2.0","id":"b","method":"tools/call",'
                       b'"params":{"name":"echo","arguments":{"text":"crlf"}}}'
                       b'\r\n')
            r = m.next_message(response_to("b"))
            assert text_of(r["result"]) == "crlf", r
            # One message over several writes; several in one write.
            m.send_raw(b'{"jsonrpc":"2.0",')
            m.send_raw(b'"id":"c","meth')
            m.send_raw(b'od":"ping"}\n{"jsonrpc":"2.0","id":"d","method":'
                       b'"ping"}\r\n{"jsonrpc":"2.0","id":"e","method":"ping"}'
                       b'\n')
            for i in ("c", "d", "e"):
                assert m.next_message(response_to(i))["result"] == {}
            # Empty lines got no answer and no warning.
            m.expect_none_before_reply()
            assert count_log(m, r"invalid") == 0, m.logs()


if __name__ == "__main__":
    run_tests(globals())
