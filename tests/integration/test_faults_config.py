"""Faults of the gateway's configuration: a 10 MB config, a config whose
alias refers to itself, an unreadable config, and a watched directory
deleted and made again while mcpmon runs. At start a bad config is one
clear error and exit 2 with nothing started; at run time it is logged and
ignored while the backends keep serving, and a later good edit applies.
(Unknown keys, bad types and broken YAML are in test_gateway_config.py;
alias bombs in tests/unit/test_config_yaml.c.)"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

# 10 MB of comments after a valid config: only the size is wrong.
PADDING = ("# " + "p" * 98 + "\n") * (100 * 1000)


def refused_at_start(path, pattern):
    """mcpmon --config path exits 2 with pattern on stderr, nothing on
    stdout, no process started."""
    with Mcpmon(["--config", path, "--no-tui"]) as m:
        assert m.wait_exit() == 2, m.logs()
        assert re.search(pattern, m.logs()), m.logs()
        assert m.messages() == [], m.messages()
    assert leftover_processes() == []
    return m


def ignored_at_runtime(m, d, write_bad, pattern, names, undo=None):
    """While m serves alpha: write_bad() breaks the config; the error is
    logged, alpha keeps its process and tools, no list_changed. Then
    (after undo(), when given) a good config adding beta applies."""
    pid = backend_pid(m, "alpha")
    mark = m.log_mark()
    write_bad()
    m.wait_log(pattern, start=mark)
    m.wait_log(r"still serving the last good configuration", start=mark)
    # The edit is handled and refused: nothing was started or stopped
    # that could announce a change later (the pid below).
    m.expect_none_before_reply(notification(TOOLS_CHANGED))
    assert tool_names(m) == names
    assert backend_pid(m, "alpha") == pid
    assert text_of(m.call_tool("alpha__echo", {"text": "a"})) == "a"
    assert count_log(m, r"Configuration reloaded", start=mark) == 0
    if undo is not None:
        undo()
    write_config(d, {"alpha": None, "beta": None})
    m.wait_log(r"Configuration reloaded: 1 added, 0 changed, 0 removed",
               start=mark)
    m.next_message(notification(TOOLS_CHANGED))
    assert text_of(m.call_tool("beta__echo", {"text": "b"})) == "b"
    assert backend_pid(m, "alpha") == pid


def test_10mb_config():
    with tmpdir() as d:
        write_backend_spec(d, "alpha", {})
        big = config_text(d, {"alpha": None}) + PADDING
        path = write_config_text(d, big)
        assert os.path.getsize(path) > 10 * 1000 * 1000
        refused_at_start(path, r"mcpmon: .*\.mcpmon\.yaml: file is too large "
                         r"\(\d{8} bytes; the limit is 4 MiB\)")
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            names = tool_names(m)
            write_backend_spec(d, "beta", {})
            ignored_at_runtime(
                m, d, lambda: write_config_text(d, config_text(
                    d, {"alpha": None, "beta": None}) + PADDING),
                r"\.mcpmon\.yaml: file is too large", names)


def _alias_line(text, alias):
    """(line, column), 1-based, of the first alias in text."""
    for n, line in enumerate(text.splitlines(), 1):
        if alias in line:
            return n, line.index(alias) + 1
    raise AssertionError(alias)


def _self_referencing(d, how):
    """alpha's config with an alias inside the node it names."""
    text = config_text(d, {"alpha": None})
    text = text.replace('  "alpha":\n', '  "alpha": &me\n', 1)
    if how == "merge":
        return text.replace("    args:", "    <<: *me\n    args:", 1)
    return text.replace("    extensions: json",
                        "    extensions: json\n    env: *me", 1)


def test_config_referring_to_itself():
    # An alias inside the node its anchor names would make the document
    # infinite: refused with the alias's position, at start or later.
    for how in ("value", "merge"):
        with tmpdir() as d:
            write_backend_spec(d, "alpha", {})
            text = _self_referencing(d, how)
            path = write_config_text(d, text)
            line, col = _alias_line(text, "*me")
            refused_at_start(path, r"mcpmon: .*\.mcpmon\.yaml:%d:%d: alias "
                             r"'\*me' is inside the mapping it names "
                             r"\('&me' at \d+:\d+\): a config cannot "
                             r"contain itself" % (line, col))
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            names = tool_names(m)
            write_backend_spec(d, "beta", {})
            text = _self_referencing(d, "value")
            line, col = _alias_line(text, "*me")
            ignored_at_runtime(
                m, d, lambda: write_config_text(d, text),
                r"\.mcpmon\.yaml:%d:%d: alias '\*me' is inside" % (line, col),
                names)


def _as_nobody():
    """argv prefix that runs a command as user nobody, or None when this
    test cannot (not root, no setpriv, or nobody cannot run mcpmon)."""
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        return None
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        r = subprocess.run(prefix + [mcpmon_path(), "--version"],
                           capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if r.returncode == 0 else None


def test_unreadable_config():
    with tmpdir() as d:
        # A directory where the file should be: unreadable for anyone.
        cfgdir = os.path.join(d, "config.yaml")
        os.mkdir(cfgdir)
        refused_at_start(cfgdir, r"mcpmon: .*config\.yaml: cannot read: "
                         r"Is a directory")
        # A file without read permission (root reads anything: run mcpmon
        # as nobody when we are root).
        write_backend_spec(d, "alpha", {})
        path = write_config_text(d, config_text(d, {"alpha": None}))
        os.chmod(path, 0)
        if os.getuid() != 0:
            refused_at_start(path, r"\.mcpmon\.yaml: .*Permission denied")
        else:
            nobody = _as_nobody()
            if nobody is not None:
                os.chmod(d, 0o755)
                p = subprocess.run(nobody + [mcpmon_path(), "--config", path,
                                             "--no-tui"],
                                   stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=10)
                err = p.stderr.decode()
                assert p.returncode == 2, (p.returncode, err)
                assert re.search(r"\.mcpmon\.yaml: .*Permission denied",
                                 err), err
                assert p.stdout == b"", p.stdout
    # At run time: the file made unreadable (when we are not root), then
    # deleted and a directory put in its place.
    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}}) as m:
            m.initialize()
            names = tool_names(m)
            write_backend_spec(d, "beta", {})
            path = config_path(d)

            def unreadable():
                if os.getuid() != 0:
                    mark = m.log_mark()
                    tmp = path + ".new"
                    with open(tmp, "w") as f:
                        f.write(config_text(d, {"alpha": None,
                                                "beta": None}))
                    os.chmod(tmp, 0)
                    os.replace(tmp, path)
                    m.wait_log(r"\.mcpmon\.yaml: .*Permission denied",
                               start=mark)
                os.unlink(path)
                os.mkdir(path)
            ignored_at_runtime(m, d, unreadable,
                               r"\.mcpmon\.yaml: cannot read: "
                               r"(Is a directory|No such file)", names,
                               undo=lambda: os.rmdir(path))


def test_watched_directory_deleted_and_recreated():
    # alpha watches alpha_src. Deleted: its files count as removed (one
    # restart), alpha keeps serving, beta is untouched. Made again: it is
    # watched again, and edits in it restart alpha as before.
    with tmpdir() as d:
        src = os.path.join(d, "alpha_src")
        os.mkdir(src)
        trigger = os.path.join(src, "a.json")
        with open(trigger, "w") as f:
            f.write("1")
        for name in ("alpha", "beta"):
            write_backend_spec(d, name, {})
        text = config_text(d, {"alpha": None, "beta": None}).replace(
            "watch: %s" % json.dumps(backend_dir(d, "alpha")),
            "watch: %s" % json.dumps(src), 1)
        assert json.dumps(src) in text
        write_config_text(d, text)
        with Gateway(["--config", config_path(d)]) as m:
            m.initialize()
            tool_names(m)
            pb = backend_pid(m, "beta")
            mark = m.log_mark()
            shutil.rmtree(src)
            m.wait_log(r"alpha\] watched directory %s is gone"
                       % re.escape(src), start=mark)
            m.wait_log(r"alpha.*Restart #1 complete", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            assert text_of(m.call_tool("alpha__echo", {"text": "1"})) == "1"
            os.mkdir(src)
            m.wait_log(r"alpha\] watched directory %s is back"
                       % re.escape(src), start=mark)
            with open(trigger, "w") as f:
                f.write("2")
            m.wait_log(r"alpha.*Restart #2 complete", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            with open(trigger, "w") as f:
                f.write("three")
            m.wait_log(r"alpha.*Restart #3 complete", start=mark)
            m.next_message(notification(TOOLS_CHANGED))
            assert text_of(m.call_tool("alpha__echo", {"text": "3"})) == "3"
            assert backend_pid(m, "beta") == pb
            assert count_log(m, r"beta.*Restart", start=mark) == 0


if __name__ == "__main__":
    run_tests(globals())
