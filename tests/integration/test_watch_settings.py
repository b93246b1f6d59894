"""Issue 15, watch settings: a watch folder that does not exist at start
is watched once it is made (single and gateway mode) instead of an exit;
watch: false in .mcpmon.yaml watches nothing; the default extensions
follow the command, and the startup line says where they came from.

    MCPMON=build/mcpmon MCP_TESTSERVER=build/tests/mcp_testserver \\
        python3 test_watch_settings.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
import gatewaymode  # noqa: E402


def put(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def test_single_mode_watch_folder_made_later():
    with tmpdir() as d:
        src = os.path.join(d, "a", "src")
        spec = write_spec(os.path.join(d, "spec.json"), {})
        with Mcpmon(["--watch", src, "--ext", "json", "--"] +
                    testserver_cmd(spec)) as m:
            m.wait_log(r"watch folder '%s' does not exist yet; watching for "
                       r"it" % re.escape(src))
            m.wait_log(r"Watching %s \(extensions json; 0 directories\)" %
                       re.escape(src))
            m.initialize()
            mark = m.log_mark()
            os.makedirs(os.path.join(d, "a", "other"))
            os.makedirs(src)
            m.wait_log(r"watch folder '%s' exists now; watching it" %
                       re.escape(src), start=mark)
            put(os.path.join(src, "tools.json"), "{}")
            m.wait_log(r"File added: .*src/tools\.json", start=mark)
            m.wait_log(r"Restart #1 complete", start=mark)
            assert m.call("tools/list")["tools"] is not None


def test_gateway_watch_folder_made_later_and_watch_false():
    with tmpdir() as d:
        for name in ("alpha", "beta", "gamma"):
            gatewaymode.write_backend_spec(d, name, {})
        later = os.path.join(d, "later", "src")
        lines = ["servers:"]
        for name, watch in (("alpha", '"%s"' % later), ("beta", "false"),
                            ("gamma", '"%s"' % gatewaymode.backend_dir(
                                d, "gamma"))):
            argv = testserver_cmd(gatewaymode.spec_path(d, name))
            lines += ["  %s:" % name,
                      "    command: %s" % gatewaymode._q(argv[0]),
                      "    args: [%s]" % ", ".join(gatewaymode._q(a)
                                                   for a in argv[1:]),
                      "    watch: %s" % watch,
                      "    extensions: json",
                      "    delay: 20"]
        lines.append("reload: stop-first")
        gatewaymode.write_config_text(d, "\n".join(lines) + "\n")
        with gatewaymode.Gateway(["--config",
                                  gatewaymode.config_path(d)]) as m:
            m.wait_log(r"alpha.*watch folder '%s' does not exist yet" %
                       re.escape(later))
            m.wait_log(r"beta.*Not watching files \(watch is off\)")
            m.initialize()
            mark = m.log_mark()
            os.makedirs(later)
            m.wait_log(r"alpha.*watch folder '%s' exists now" %
                       re.escape(later), start=mark)
            put(os.path.join(later, "x.json"), "{}")
            m.wait_log(r"alpha.*File added: .*x\.json", start=mark)
            m.wait_log(r"alpha.*Restart #1 complete", start=mark)
            # beta is not watched: a change in its folder restarts nothing.
            # gamma's change, made after it, is the barrier.
            mark = m.log_mark()
            gatewaymode.write_backend_spec(d, "beta", {"server_name": "b2"})
            gatewaymode.write_backend_spec(d, "gamma", {"server_name": "g2"})
            m.wait_log(r"gamma.*Restart #1 complete", start=mark)
            assert not any(re.search(r"beta.*(File|Restart)", line)
                           for line in m.log_lines()[mark:]), m.logs()


def test_default_extensions_follow_the_command():
    with tmpdir() as d:
        bindir = os.path.join(d, "bin")
        os.makedirs(bindir)
        node = os.path.join(bindir, "node")
        os.symlink(testserver_path(), node)
        spec = write_spec(os.path.join(d, "spec.json"), {})
        with Mcpmon(["--watch", d, "--", node, "--spec", spec]) as m:
            m.wait_log(r"Watching %s \(extensions js,mjs,cjs,ts,json, from "
                       r"the command 'node'; \d+ director" % re.escape(d))
            m.initialize()
            mark = m.log_mark()
            put(os.path.join(d, "index.ts"), "export {}\n")
            m.wait_log(r"File added: .*index\.ts", start=mark)
        with Mcpmon(["--watch", d, "--"] + testserver_cmd(spec)) as m:
            m.wait_log(r"Watching %s \(extensions py, the default; " %
                       re.escape(d))


if __name__ == "__main__":
    run_tests(globals())
