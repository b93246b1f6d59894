"""Single mode, the handshake budget: a server that never answers
initialize is stopped after --init-timeout (20 s by default; 700 ms here)
and counted as a crash; with no such option, the default 20 s (a file of
its own because that check is slow, so that ctest -j runs it beside the
others)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403


def test_server_that_never_answers_initialize():
    # The server is stopped when its time runs out and restarted with
    # backoff; the client's initialize (allowed to wait 60 s here) stays
    # pending meanwhile and is answered by the fixed server.
    with tmpdir() as d:
        with start(d, {"no_initialize_answer": True},
                   args=["--queue-timeout", "60000",
                         "--init-timeout", "700"]) as m:
            init = m.send_request("initialize", {
                "protocolVersion": "2025-11-25", "capabilities": {}})
            m.wait_log(r"Server did not answer initialize within 700 ms "
                       r"\(--init-timeout\)", timeout=30)
            m.wait_log(r"Restarting in 250 ms \(crash 1 of 5\)")
            assert m.call("ping") == {}
            assert not m.messages(response_to(init))
            # A fixed server answers the waiting initialize.
            write_spec(spec_file(d), {"server_name": "fixed"})
            r = m.next_message(response_to(init), timeout=10)
            assert r["result"]["serverInfo"]["name"] == "fixed", r


def test_default_is_20_s():
    with tmpdir() as d:
        with start(d, {"no_initialize_answer": True}) as m:
            m.send_request("initialize", {
                "protocolVersion": "2025-11-25", "capabilities": {}})
            m.wait_log(r"Server did not answer initialize within 20000 ms",
                       timeout=30)


test_default_is_20_s.timeout = 60


if __name__ == "__main__":
    run_tests(globals())
