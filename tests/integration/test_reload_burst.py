"""Issue 18: a reload starts at the first settled write of a watched file,
not after a fixed quiet time; the changes that follow it while the new
server starts fold into one more start once they are quiet. A burst (a
checkout of many files, an editor's save dance) starts the server twice
at most and gives the client one tools/list_changed. An explicit --delay
keeps the old behaviour: every restart waits for that much quiet.

No test asserts on time. mcpmon -v logs each change the watcher takes
("added: PATH", "modified: PATH") and the end of a burst reported at once
("changes quiet: N more after the first"), in the order it handles them:
the tests wait for and compare those lines. A burst ends after 30 ms
without a change; a loaded machine may pause the writing loop longer and
cut one burst in two, so the counts are per burst, and the number of
bursts is read from the log."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from singlemode import *  # noqa: E402,F401,F403
import gatewaymode  # noqa: E402

V1 = {"tools": [{"name": "version", "reply": "v1"}]}
V2 = {"tools": [{"name": "version", "description": "the second",
                 "reply": "v2"}]}
QUIET = r"changes quiet: (\d+) more after the first"
# How a reload under way ends: swapped in, abandoned for later changes,
# or failed.
OUTCOME = (r"Restart #\d+ complete|Files changed again|Reload failed")


def version(m):
    return text_of(m.call_tool("version"))


def write_files(d, names):
    for name in names:
        with open(os.path.join(d, name), "w") as f:
            f.write("{}")


def wait_burst_over(m, mark, last):
    """Wait until the watcher took the change to the file named last (a
    regex) and the burst holding it is over; returns how many bursts
    reported at once ended since mark."""
    m.wait_log(r"(added|modified): .*%s$" % last, start=mark)
    m.wait_log(QUIET, start=m.last_log_index)
    return count_log(m, QUIET, mark)


def wait_reloads_settled(m, mark):
    """After wait_burst_over: wait until every overlap reload since mark
    has its outcome. The last burst's changes after its first report
    (its "changes quiet" line says how many) start one more reload: that
    one first."""
    rx = re.compile(QUIET)
    lines = m.log_lines()
    last = max(k for k in range(mark, len(lines)) if rx.search(lines[k]))
    if int(rx.search(lines[last]).group(1)) > 0:
        m.wait_log(r"Reloading \(", start=last)
    wait_until(lambda: count_log(m, r"Reloading", mark) ==
               count_log(m, OUTCOME, mark), timeout=15)


def test_burst_of_writes_starts_at_most_twice_one_list_changed():
    """A new spec, then 2,000 more files at once (a checkout): the server
    starts at most twice for the burst, the last start serves the new
    spec, and the client hears one list_changed."""
    with tmpdir() as d:
        with start(d, V1, args=["-v"], reload=None) as m:
            init(m)
            mark = m.log_mark()
            write_spec(spec_file(d), V2)
            write_files(d, ["f%04d.json" % i for i in range(2000)])
            bursts = wait_burst_over(m, mark, r"f1999\.json")
            wait_reloads_settled(m, mark)
            assert version(m) == "v2"
            m.next_message(notification(LIST_CHANGED))
            # Every reload of the burst has its outcome: no second
            # notification is left to come.
            m.expect_none_before_reply(notification(LIST_CHANGED))
            starts = count_log(m, r"Started:", mark)
            assert 1 <= starts <= 2 * bursts, (bursts, m.logs())
            assert len(m.messages(notification(LIST_CHANGED))) == 1


def test_save_reloads_before_the_quiet_time_while_writes_go_on():
    """One save reloads at once: its reload starts before the burst is
    quiet, while files elsewhere in the tree keep changing (written until
    the reload has started). The changes after it fold into one more
    start once quiet, which serves the saved spec."""
    with tmpdir() as d:
        gen = os.path.join(d, "gen")
        os.mkdir(gen)
        with start(d, V1, args=["-v"], reload=None) as m:
            init(m)
            m.wait_log(r"Watching")
            mark = m.log_mark()
            write_spec(spec_file(d), V2)
            i = 0
            while count_log(m, r"Reloading \(", mark) == 0:
                with open(os.path.join(gen, "out.json"), "w") as f:
                    f.write('{"n": %d}' % i)
                i += 1
                assert i < 200000, m.logs()
            # One more write, after the reload started.
            with open(os.path.join(gen, "out.json"), "w") as f:
                f.write('{"n": "last"}')
            wait_burst_over(m, mark, r"gen/out\.json")
            lines = m.log_lines()[mark:]
            first = next(k for k, ln in enumerate(lines) if "Reloading (" in ln)
            quiet = next(k for k, ln in enumerate(lines) if re.search(QUIET, ln))
            # The reload began inside the burst, before its quiet time.
            assert first < quiet, lines
            assert "spec.json" in lines[first], lines[first]
            # A change taken after the reload began: the burst went on.
            assert any(re.search(r"(added|modified): .*gen/out\.json", ln)
                       for ln in lines[first:quiet]), lines
            wait_reloads_settled(m, mark)
            assert version(m) == "v2"
            m.next_message(notification(LIST_CHANGED))
            m.expect_none_before_reply(notification(LIST_CHANGED))
            bursts = count_log(m, QUIET, mark)
            assert count_log(m, r"Started:", mark) <= 2 * bursts, m.logs()


def test_stop_first_burst_gives_one_list_changed():
    """With stop-first every restart owes list_changed: once more changes
    fold into a restart still to come, the one of the restart under way
    is held until the last, so the burst gives one. The new spec makes
    each start take 300 ms, so that the first restart is still under way
    when the rest of the burst arrives."""
    with tmpdir() as d:
        with start(d, args=["-v"]) as m:
            init(m)
            mark = m.log_mark()
            write_spec(spec_file(d), {"init_delay_ms": 300})
            write_files(d, ["f%02d.json" % i for i in range(30)])
            bursts = wait_burst_over(m, mark, r"f29\.json")
            for _ in range(bursts):
                m.next_message(notification(LIST_CHANGED))
            # The server answers through itself only once it is up: every
            # restart asked for is done by then.
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **THROUGH_SERVER)
            starts = count_log(m, r"Started:", mark)
            assert 1 <= starts <= 2 * bursts, (bursts, m.logs())
            assert len(m.messages(notification(LIST_CHANGED))) == bursts


def test_gateway_burst_gives_one_list_changed():
    """The same in the gateway: a burst in alpha's folder starts alpha at
    most twice a burst, the client hears one list_changed, beta is left
    alone. (The harness's config gives each server "delay: 20", a fixed
    quiet time: left out here.)"""
    with tmpdir() as d:
        gatewaymode.write_backend_spec(d, "alpha", V1)
        gatewaymode.write_backend_spec(d, "beta", {})
        text = gatewaymode.config_text(d, {"alpha": None, "beta": None},
                                       reload=None)
        assert "    delay: 20\n" in text
        gatewaymode.write_config_text(d, text.replace("    delay: 20\n", ""))
        with gatewaymode.Gateway(["--config", gatewaymode.config_path(d),
                                  "-v"]) as m:
            m.initialize()
            m.call("tools/list")
            pb = gatewaymode.backend_pid(m, "beta")
            mark = m.log_mark()
            gatewaymode.write_backend_spec(d, "alpha", V2)
            write_files(gatewaymode.backend_dir(d, "alpha"),
                        ["f%02d.json" % i for i in range(30)])
            bursts = wait_burst_over(m, mark, r"alpha/f29\.json")
            wait_reloads_settled(m, mark)
            assert text_of(m.call_tool("alpha__version")) == "v2"
            m.next_message(notification(LIST_CHANGED))
            m.expect_none_before_reply(notification(LIST_CHANGED),
                                       **gatewaymode.through("alpha"))
            starts = count_log(m, r"alpha pid:\d+\] Started:", mark)
            assert 1 <= starts <= 2 * bursts, (bursts, m.logs())
            assert len(m.messages(notification(LIST_CHANGED))) == 1
            assert gatewaymode.backend_pid(m, "beta") == pb


def test_explicit_delay_waits_for_quiet():
    """--delay given: writes closer together than it (each made once the
    watcher took the one before) restart the server once, after the
    last; no burst is reported at once."""
    with tmpdir() as d:
        with start(d, args=["-v", "--delay", "300"]) as m:
            init(m)
            mark = m.log_mark()
            for i in range(5):
                write_files(d, ["f%d.json" % i])
                m.wait_log(r"added: .*f%d\.json$" % i, start=mark)
            last = m.last_log_index
            m.wait_log(r"Restart #1 complete", start=mark)
            m.next_message(notification(LIST_CHANGED))
            # One restart for the five, reported after the last was
            # taken (-v names each file of the burst).
            m.wait_log(r"Restarting server", start=mark)
            assert m.last_log_index > last, m.logs()
            assert count_log(m, r"File added: .*f\d\.json$", mark) == 5
            watcher_barrier(m, d, 2)
            m.expect_none_before_reply(notification(LIST_CHANGED))
            assert count_log(m, r"Restarting server", mark) == 2, m.logs()
            assert count_log(m, QUIET, mark) == 0, m.logs()


if __name__ == "__main__":
    run_tests(globals())
