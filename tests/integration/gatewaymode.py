"""Helpers shared by the gateway-mode integration tests (test_gateway*.py):
mcpmon --config DIR/.mcpmon.yaml in front of several instances of the C
test server. Each backend NAME gets its own directory DIR/NAME holding its
spec.json; that directory is the backend's watched directory, so rewriting
the spec (write_backend_spec) restarts that backend only.

    with tmpdir() as d:
        with start_gateway(d, {"alpha": {}, "beta": SPEC}) as m:
            m.initialize()
            m.call_tool("alpha__echo", {"text": "hi"})
"""
import json
import os

from mcptest import (Mcpmon, notification, testserver_cmd, text_of,
                     write_spec)

TOOLS_CHANGED = "notifications/tools/list_changed"
PROMPTS_CHANGED = "notifications/prompts/list_changed"
RESOURCES_CHANGED = "notifications/resources/list_changed"
NAME_RX = r"^[A-Za-z0-9_-]{1,64}$"  # NAME-2


def config_path(d):
    return os.path.join(d, ".mcpmon.yaml")


def backend_dir(d, name):
    return os.path.join(d, name)


def spec_path(d, name):
    return os.path.join(backend_dir(d, name), "spec.json")


def write_backend_spec(d, name, spec):
    """Write backend name's spec (its directory is created if needed)."""
    os.makedirs(backend_dir(d, name), exist_ok=True)
    return write_spec(spec_path(d, name), spec)


def _q(s):
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(str(s))


def config_text(d, servers, separator=None, extra_top="",
                reload="stop-first"):
    """The YAML of a gateway config. servers maps a name to None (the test
    server with its spec.json) or a dict of per-server settings: "args"
    (extra test server arguments), "enabled", "env" (dict), "raw" (YAML
    lines added to the server's block, indented by the caller's 4 spaces).
    The file's server order is the dict's order. extra_top: YAML added at
    the end, at the top level. reload: the top-level reload mode; these
    tests were written for stop-first restarts, so that is their default;
    None leaves mcpmon's own (overlap, issue 14)."""
    lines = []
    if separator is not None:
        lines.append("separator: %s" % _q(separator))
    lines.append("servers:")
    for name, opts in servers.items():
        opts = opts or {}
        argv = testserver_cmd(spec_path(d, name)) + [
            str(a) for a in opts.get("args", [])]
        lines.append("  %s:" % _q(name))
        lines.append("    command: %s" % _q(argv[0]))
        lines.append("    args: [%s]" % ", ".join(_q(a) for a in argv[1:]))
        lines.append("    watch: %s" % _q(backend_dir(d, name)))
        lines.append("    extensions: json")
        lines.append("    delay: 20")
        lines.append("    grace: 1000")
        if "enabled" in opts:
            lines.append("    enabled: %s" % ("true" if opts["enabled"]
                                              else "false"))
        if opts.get("env"):
            lines.append("    env:")
            for k, v in opts["env"].items():
                lines.append("      %s: %s" % (k, _q(v)))
        for raw in opts.get("raw", []):
            lines.append("    " + raw)
    if reload is not None:
        lines.append("reload: %s" % reload)  # last: error lines stay put
    text = "\n".join(lines) + "\n"
    if extra_top:
        text += extra_top if extra_top.endswith("\n") else extra_top + "\n"
    return text


def write_config(d, servers, **kw):
    """Write DIR/.mcpmon.yaml atomically (see config_text); returns its
    path. Specs of servers that have none yet are written as {}."""
    for name in servers:
        if not os.path.exists(spec_path(d, name)):
            write_backend_spec(d, name, {})
    return write_config_text(d, config_text(d, servers, **kw))


def write_config_text(d, text):
    path = config_path(d)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


class Gateway(Mcpmon):
    """mcpmon in gateway mode. Leaving the `with` block without an
    exception while it still runs closes its stdin and requires a clean
    exit (status 0) before the strict checks of Mcpmon: every test also
    checks the shutdown, and sanitizer builds check for leaks there."""

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None and self.returncode is None:
            self.close_stdin()
            rc = self.wait_exit(timeout=10)
            assert rc == 0, "mcpmon exited with %r on stdin EOF\n%s" % (
                rc, "\n".join(self.log_lines()[-30:]))
        return super().__exit__(exc_type, exc, tb)


def start_gateway(d, specs, args=(), config=None, **kw):
    """Write every backend's spec (specs: name -> spec dict, in config
    order) and the config, then start mcpmon --config. config: a dict for
    config_text's servers (default: every name with no options); other
    keyword arguments go to write_config. Returns the Gateway."""
    for name, spec in specs.items():
        write_backend_spec(d, name, spec or {})
    cfg_kw = {k: kw.pop(k) for k in ("separator", "extra_top", "reload")
              if k in kw}
    write_config(d, config if config is not None
                 else {n: None for n in specs}, **cfg_kw)
    argv = ["--config", config_path(d)] + [str(a) for a in args]
    return Gateway(argv, **kw)


def tool_names(m):
    return [t["name"] for t in m.call("tools/list")["tools"]]


def state(m, server, sep="__"):
    """The test server's recorded state of one backend."""
    return json.loads(text_of(m.call_tool(server + sep + "state")))


def backend_pid(m, server, sep="__"):
    return int(text_of(m.call_tool(server + sep + "pid")))


def error_of(resp, code=-32603):
    """The error object of a response, checking its code."""
    assert "error" in resp and "result" not in resp, resp
    assert resp["error"]["code"] == code, resp
    return resp["error"]


def restart_backend(m, d, name, spec, n=1, timeout=10):
    """Rewrite a backend's spec, wait for its "Restart #n complete" and the
    tools/list_changed that follows. Returns the notification."""
    mark = m.log_mark()
    write_backend_spec(d, name, spec)
    m.wait_log(r"\b%s\b.*Restart #%d complete" % (name, n), timeout,
               start=mark)
    return m.next_message(notification(TOOLS_CHANGED), timeout)


def through(server, tool="echo", sep="__"):
    """A probe for Proc.expect_none_before_reply that goes through one
    backend (a call of its tool, echo unless told; it must be listed, or
    mcpmon answers -32602 itself): the backend answers in order, and
    mcpmon relays its lines in order, so the answer comes after
    everything that backend wrote before it (answers to mcpmon's own list
    requests included)."""
    return {"method": "tools/call",
            "params": {"name": server + sep + tool,
                       "arguments": {"text": "probe"}}}


def count_log(m, pattern, start=0):
    import re
    rx = re.compile(pattern)
    return sum(1 for line in m.log_lines()[start:] if rx.search(line))
