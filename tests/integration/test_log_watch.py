"""The log never feeds the watcher (issue 12, item 2).

`mcpmon -t --debug -l ml.log -- server` run in the watched folder (the
default is ".") used to log "dropped ml.log: extension not watched" for
its own writes; each line was the next write: 25 MB in 3 s, and SIGTERM
was never served, because libuv calls the fs event callback for every
inotify event until inotify is empty, and each call made a new one. Now
mcpmon's own log file and the file its stderr points to are never
watched nor reported, the debug lines about dropped events are limited
to a few a second (then one line says how many were not shown), and file
events are handled a bounded batch per loop turn.
"""

from mcptest import *

OTHER_DROPPED = r"dropped other\.txt: extension not watched"


def mcpmon_cmd(*args):
    return [mcpmon_path()] + [str(a) for a in args]


def shell(script, argv, cwd):
    """mcpmon run as argv through `bash -c script` (which execs it, so
    the pid is mcpmon's)."""
    return Proc(["bash", "-c", script] + argv, cwd=cwd, name="mcpmon",
                strict=True)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def test_log_file_in_watched_folder():
    with tmpdir() as d:
        log = os.path.join(d, "ml.log")
        with Mcpmon(["-t", "--debug", "-l", "ml.log", "--"] +
                    testserver_cmd(), cwd=d) as m:
            m.initialize()
            m.call("ping")
            # Events are handled in order: once this one is reported,
            # every earlier write to ml.log has been seen too.
            with open(os.path.join(d, "other.txt"), "w") as f:
                f.write("x")
            m.wait_log(OTHER_DROPPED)
            assert not [l for l in m.log_lines() if "ml.log" in l], \
                [l for l in m.log_lines() if "ml.log" in l][:3]
            text = read(log)
            assert "ml.log" not in text, text[-500:]
            size = os.path.getsize(log)
            m.call("ping")
            assert os.path.getsize(log) - size < 4096
            m.signal(signal.SIGTERM)
            assert m.wait_exit() == 0


def test_log_stderr_file_in_watched_folder():
    # stderr redirected to a file in the watched tree, under a name that
    # mcpmon never sees: it is known by its inode (fstat of fd 2).
    with tmpdir() as d:
        err = os.path.join(d, "err.log")
        argv = mcpmon_cmd("-t", "--debug", "--") + testserver_cmd()
        with shell('exec "$0" "$@" 2>err.log', argv, d) as m:
            m.initialize()
            m.call("ping")
            with open(os.path.join(d, "other.txt"), "w") as f:
                f.write("x")
            wait_until(lambda: re.search(OTHER_DROPPED, read(err)),
                       message="other.txt in err.log")
            text = read(err)
            assert "err.log" not in text, text[-500:]
            m.signal(signal.SIGTERM)
            assert m.wait_exit() == 0


def test_log_debug_drop_reports_are_limited():
    # stderr goes through tee, which writes tee.log in the watched folder:
    # a file mcpmon cannot know is its own. Each report of a dropped
    # tee.log event is the next event; the reports are limited, so the
    # loop is bounded, and the client and SIGTERM are still served.
    with tmpdir() as d:
        argv = mcpmon_cmd("-t", "--debug", "--") + testserver_cmd()
        with shell('exec "$0" "$@" 2> >(exec tee tee.log >&2)', argv,
                   d) as m:
            m.initialize()
            with open(os.path.join(d, "other.txt"), "w") as f:
                f.write("x")
            m.wait_log(r"dropped tee\.log: extension not watched")
            m.wait_log(r"\d+ more dropped file events? not shown "
                       r"\(at most \d+ a second\)")
            for _ in range(5):
                m.call("ping")
            m.signal(signal.SIGTERM)
            assert m.wait_exit() == 0


run_tests(globals())
