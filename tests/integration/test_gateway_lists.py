"""Gateway lists kept as text (issue 18): a backend's list is indexed as
the server wrote it and each backend's share of the merged list is built
once per change. Observable: every item reaches the client with only its
name prefixed (NAME-1, NAME-4), the merged list is paged to the end with
mcpmon's own cursors (PAG-1..3), and a change in one backend leaves the
other's items as they were."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

BIG = 3000


def big_tools(n, tag="v1"):
    """n tools whose definitions differ in every field a share rewrites
    around: the name, a description with escapes, a nested schema."""
    return [{"name": "t%d" % i,
             "description": "tool %d \"quoted\" \\ %s \u00e9" % (i, tag),
             "reply": "r%d" % i,
             "inputSchema": {"type": "object", "properties": {
                 "q%d" % i: {"type": "string", "enum": ["a", "b"]}}}}
            for i in range(n)]


def listed(spec_tools, prefix):
    """What the client must see for spec_tools: the test server's
    definition (name, description, inputSchema) with the name prefixed."""
    return {prefix + t["name"]: {"name": prefix + t["name"],
                                 "description": t["description"],
                                 "inputSchema": t["inputSchema"]}
            for t in spec_tools}


def all_tools(m):
    """Every tool of the merged list, page by page (PAG-2: the cursor is
    opaque and passed back as it is). Returns (tools, pages)."""
    tools, cursor, pages = [], None, 0
    while True:
        params = {} if cursor is None else {"cursor": cursor}
        r = m.call("tools/list", params)
        tools.extend(r["tools"])
        pages += 1
        cursor = r.get("nextCursor")
        if cursor is None:
            return tools, pages
        assert pages < 100, "the pages never end"


def by_name(tools):
    out = {}
    for t in tools:
        assert t["name"] not in out, "listed twice: " + t["name"]
        out[t["name"]] = t
    return out


def test_big_list_paged_in_full_with_definitions_intact():
    """3,000 tools the server lists 700 per page, beside a small backend:
    the client pages through all 3,002, each once, each definition as the
    server wrote it but for the prefix."""
    tools = big_tools(BIG)
    small = [{"name": "s", "description": "small", "reply": "s",
              "inputSchema": {"type": "object"}}]
    with tmpdir() as d:
        specs = {"big": {"builtin_tools": False, "page_size": 700,
                         "tools": tools},
                 "small": {"builtin_tools": False, "tools": small}}
        with start_gateway(d, specs) as m:
            m.initialize()
            got, pages = all_tools(m)
            assert pages > 1, "a 3,002-item list came in one page"
            want = listed(tools, "big__")
            want.update(listed(small, "small__"))
            assert by_name(got) == want
            assert text_of(m.call_tool("big__t2999")) == "r2999"
            assert text_of(m.call_tool("small__s")) == "s"


def test_one_backend_changing_leaves_the_other_intact():
    """A save in small's folder changes small's share only: the client
    gets one list_changed and a merged list with big's 3,000 items as
    before and small's new tool; then a save of big's with new
    descriptions shows them all."""
    tools = big_tools(BIG)
    with tmpdir() as d:
        specs = {"big": {"builtin_tools": False, "tools": tools},
                 "small": {"builtin_tools": False, "tools": [
                     {"name": "a", "description": "a", "reply": "a",
                      "inputSchema": {"type": "object"}}]}}
        with start_gateway(d, specs) as m:
            m.initialize()
            before = by_name(all_tools(m)[0])
            new_small = [{"name": "b", "description": "b", "reply": "b",
                          "inputSchema": {"type": "object"}}]
            write_backend_spec(d, "small", {"builtin_tools": False,
                                            "tools": new_small})
            m.next_message(notification(TOOLS_CHANGED), timeout=15)
            after = by_name(all_tools(m)[0])
            want = {k: v for k, v in before.items()
                    if k.startswith("big__")}
            want.update(listed(new_small, "small__"))
            assert after == want
            m.expect_none_before_reply(notification(TOOLS_CHANGED))

            tools2 = big_tools(BIG, tag="v2")
            write_backend_spec(d, "big", {"builtin_tools": False,
                                          "tools": tools2})
            m.next_message(notification(TOOLS_CHANGED), timeout=15)
            want = listed(tools2, "big__")
            want.update(listed(new_small, "small__"))
            assert by_name(all_tools(m)[0]) == want


def test_hostile_items_skipped_the_rest_served():
    """Items a backend lists without a name, with one that is not a
    string, or that are not objects are left out of the merged list; the others are served, and
    the proxy answers on."""
    tools = [{"name": "ok1", "description": "1", "reply": "1",
              "inputSchema": {"type": "object"}},
             {"name": "ok2", "description": "2", "reply": "2",
              "inputSchema": {"type": "object"}}]
    with tmpdir() as d:
        specs = {"h": {"builtin_tools": False, "tools": tools,
                       "raw_tools": [{"description": "no name"},
                                     {"name": 7}, 5, "x"]}}
        with start_gateway(d, specs) as m:
            m.initialize()
            names = sorted(t["name"] for t in all_tools(m)[0])
            assert names == ["h__ok1", "h__ok2"], names
            assert text_of(m.call_tool("h__ok2")) == "2"


def test_many_servers_started_over_turns_all_in_the_first_list():
    """Issue 18: twelve servers start a few per loop turn (GW_STARTS_PER_
    TURN is 4): the client's first tools/list still waits for every one
    (PAG-4, one not started yet counts as starting) and has all twelve;
    each started once."""
    with tmpdir() as d:
        specs = {"s%02d" % i: {"builtin_tools": False, "tools": [
            {"name": "t", "reply": "r%d" % i}]} for i in range(12)}
        with start_gateway(d, specs) as m:
            m.initialize()
            names = sorted(t["name"] for t in all_tools(m)[0])
            assert names == sorted("s%02d__t" % i for i in range(12)), names
            assert text_of(m.call_tool("s11__t")) == "r11"
            assert count_log(m, r"Started:") == 12, m.logs()


run_tests(globals())
