"""Gateway mode, everything besides tools: resources and templates merged
with URIs untouched and reads routed by ownership (RES-1..5), prompts
prefixed like tools (PR-1), completion routed by ref (CMP-1), every page
of each backend merged into one (PAG-1), and backends' own list_changed
for prompts and resources (GW-5)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import *  # noqa: E402,F401,F403
from gatewaymode import *  # noqa: E402,F401,F403

DOCS = {
    "resources": [{"uri": "docs://readme", "name": "Readme",
                   "mimeType": "text/markdown", "text": "# docs"},
                  {"uri": "shared://config", "name": "Config (docs)",
                   "text": "docs config"}],
    "resourceTemplates": [{"uriTemplate": "docs://page/{n}", "name": "Page"}],
    "prompts": [{"name": "summarize", "description": "Summarize a doc",
                 "text": "Summarize it", "arguments": [{"name": "doc"}]}],
    "completions": ["readme", "guide"],
}
DB = {
    "resources": [{"uri": "db://table/users", "name": "Users",
                   "text": "alice,bob"},
                  {"uri": "shared://config", "name": "Config (db)",
                   "text": "db config"}],
    "resourceTemplates": [{"uriTemplate": "db://row/{table}/{id}",
                           "name": "Row"},
                          {"uriTemplate": "docs://page/{n}",
                           "name": "Page (db)"}],
    "prompts": [{"name": "summarize", "description": "Summarize a table",
                 "text": "Summarize the table"},
                {"name": "query.plan", "text": "Explain"}],
    "completions": ["users", "orders"],
}


def _read(m, uri):
    return m.call("resources/read", {"uri": uri})["contents"][0]["text"]


def test_resources_merged_and_routed():
    """RES-1: resources and templates of both backends in one list, URIs
    unchanged; reads go to the owner of the URI or of the matching
    template."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB}) as m:
            m.initialize()
            res = m.call("resources/list")
            assert "nextCursor" not in res, res
            uris = [r["uri"] for r in res["resources"]]
            assert uris == ["docs://readme", "shared://config",
                            "db://table/users"], uris
            assert res["resources"][0] == {
                "uri": "docs://readme", "name": "Readme",
                "mimeType": "text/markdown"}, res
            tpl = m.call("resources/templates/list")["resourceTemplates"]
            assert [t["uriTemplate"] for t in tpl] == [
                "docs://page/{n}", "db://row/{table}/{id}"], tpl
            assert _read(m, "docs://readme") == "# docs"
            assert _read(m, "db://table/users") == "alice,bob"
            # Template matches: the test server answers "<name> <uri>".
            assert _read(m, "docs://page/3") == "testserver docs://page/3"
            assert _read(m, "db://row/users/7") == \
                "testserver db://row/users/7"
            r = m.call("resources/read", {"uri": "db://row/users/7"})
            assert r["contents"][0]["uri"] == "db://row/users/7", r
            st = state(m, "docs")
            assert st["requests"].count("resources/read") == 2, st


def test_duplicate_uri_first_in_config_wins():
    """RES-2: a URI or template served by two backends is listed once and
    owned by the first in config order (not by start order: that one
    starts later), with a warning naming both."""
    with tmpdir() as d:
        docs = dict(DOCS, init_delay_ms=300)
        with start_gateway(d, {"docs": docs, "db": DB}) as m:
            m.initialize()
            res = m.call("resources/list")["resources"]
            shared = [r for r in res if r["uri"] == "shared://config"]
            assert shared == [{"uri": "shared://config",
                               "name": "Config (docs)"}], res
            assert _read(m, "shared://config") == "docs config"
            tpl = m.call("resources/templates/list")["resourceTemplates"]
            pages = [t for t in tpl if t["uriTemplate"] == "docs://page/{n}"]
            assert pages == [{"uriTemplate": "docs://page/{n}",
                              "name": "Page"}], tpl
            m.wait_log(r"'shared://config' is served by 'docs' and 'db'; "
                       r"'docs'")
            m.wait_log(r"template 'docs://page/\{n\}' is served by 'docs' "
                       r"and 'db'")
        # The other order: db wins.
        with start_gateway(d, {"db": DB, "docs": DOCS}) as m:
            m.initialize()
            m.call("resources/list")
            assert _read(m, "shared://config") == "db config"


def test_unroutable_uri():
    """RES-3: a URI no backend owns gets -32002 with data.uri; a URI a
    backend owns but cannot read gets that backend's own error."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB}) as m:
            m.initialize()
            m.call("resources/list")
            for uri in ("nowhere://x", "docs://pages/1/2", "docs://page/",
                        "docs://page/1/", "db://row/users"):
                e = error_of(m.request("resources/read", {"uri": uri}),
                             -32002)
                assert e["data"] == {"uri": uri}, e
            error_of(m.request("resources/read", {}), -32602)


def test_uri_from_the_only_resource_server():
    """RES-1: a URI that no list names (one a tool returned) goes to the
    only backend that serves resources."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "plain": {}}) as m:
            m.initialize()
            m.call("resources/list")
            e = error_of(m.request("resources/read",
                                   {"uri": "docs://unlisted"}), -32002)
            assert e["data"] == {"uri": "docs://unlisted"}, e
            assert "resources/read" in state(m, "docs")["requests"]


def test_subscriptions_routed_and_replayed():
    """RES-4: subscribe goes to the owner, is replayed after its restart;
    RES-5: a backend without subscribe gets -32601 for its URIs."""
    caps = {"tools": {}, "resources": {"subscribe": True}}
    with tmpdir() as d:
        with start_gateway(d, {"docs": dict(DOCS, capabilities=caps),
                               "db": DB}) as m:
            m.initialize()
            m.call("resources/list")
            assert m.call("resources/subscribe",
                          {"uri": "docs://readme"}) == {}
            assert m.call("resources/subscribe",
                          {"uri": "docs://page/2"}) == {}
            assert m.call("resources/unsubscribe",
                          {"uri": "docs://page/2"}) == {}
            error_of(m.request("resources/subscribe",
                               {"uri": "db://table/users"}), -32601)
            assert state(m, "docs")["subscriptions"] == ["docs://readme"]
            # resources/updated is forwarded unchanged.
            m.call_tool("docs__notify", {
                "method": "notifications/resources/updated",
                "params": {"uri": "docs://readme"}})
            n = m.next_message(notification(
                "notifications/resources/updated"))
            assert n["params"] == {"uri": "docs://readme"}, n
            restart_backend(m, d, "docs", dict(DOCS, capabilities=caps,
                                               server_name="v2"))
            st = state(m, "docs")
            assert st["name"] == "v2" and \
                st["subscriptions"] == ["docs://readme"], st


def test_prompts_prefixed_and_routed():
    """PR-1: prompts listed with the server prefix (sanitized like tools),
    prompts/get routed with the original name and the arguments."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB, "plain": {}}) as m:
            m.initialize()
            prompts = m.call("prompts/list")
            assert "nextCursor" not in prompts, prompts
            names = [p["name"] for p in prompts["prompts"]]
            assert names == ["docs__summarize", "db__summarize",
                             "db__query_plan"], names
            assert prompts["prompts"][0] == {
                "name": "docs__summarize", "description": "Summarize a doc",
                "arguments": [{"name": "doc"}]}, prompts
            g = m.call("prompts/get", {"name": "docs__summarize",
                                       "arguments": {"doc": "readme"}})
            assert g["description"] == "Summarize a doc", g
            assert g["messages"][0]["content"]["text"] == "Summarize it", g
            assert g["messages"][1]["content"]["text"] == '{"doc":"readme"}'
            g = m.call("prompts/get", {"name": "db__query_plan"})
            assert g["messages"][0]["content"]["text"] == "Explain", g
            e = error_of(m.request("prompts/get", {"name": "summarize"}),
                         -32602)
            assert "docs" in e["message"] and "db" in e["message"], e


def test_completion_routed_by_ref():
    """CMP-1: ref/prompt by the exposed prompt name (the backend sees its
    own name), ref/resource by template owner; no owner: no values."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB}) as m:
            m.initialize()
            m.call("prompts/list")
            arg = {"name": "doc", "value": "r"}
            c = m.call("completion/complete", {
                "ref": {"type": "ref/prompt", "name": "db__summarize"},
                "argument": arg})
            assert c["completion"]["values"] == ["users", "orders"], c
            assert state(m, "db")["completion_refs"] == [
                {"type": "ref/prompt", "name": "summarize"}]
            c = m.call("completion/complete", {
                "ref": {"type": "ref/resource",
                        "uri": "docs://page/{n}"}, "argument": arg})
            assert c["completion"]["values"] == ["readme", "guide"], c
            # Issue 13: an unknown prompt is an error, as from a server.
            r = m.request("completion/complete", {
                "ref": {"type": "ref/prompt", "name": "nope__x"},
                "argument": arg})
            assert r["error"]["code"] == -32602, r
            assert "Unknown prompt: nope__x" in r["error"]["message"], r


def test_every_page_merged_into_one():
    """PAG-1: mcpmon follows each backend's cursors and answers one page
    (short lists); a cursor it did not give is invalid (-32602)."""
    with tmpdir() as d:
        big = {"page_size": 2, "builtin_tools": False,
               "tools": [{"name": "t%d" % i, "reply": str(i)}
                         for i in range(7)],
               "prompts": [{"name": "p%d" % i} for i in range(3)],
               "resources": [{"uri": "big://%d" % i, "name": str(i),
                              "text": str(i)} for i in range(5)]}
        with start_gateway(d, {"big": big, "small": {}}) as m:
            m.initialize()
            r = m.call("tools/list")
            assert "nextCursor" not in r, r
            names = [t["name"] for t in r["tools"]]
            assert names[:7] == ["big__t%d" % i for i in range(7)], names
            assert "small__echo" in names, names
            assert text_of(m.call_tool("big__t6")) == "6"
            p = m.call("prompts/list")["prompts"]
            assert [x["name"] for x in p] == ["big__p0", "big__p1",
                                              "big__p2"], p
            res = m.call("resources/list")["resources"]
            assert len(res) == 5, res
            assert _read(m, "big://4") == "4"
            error_of(m.request("tools/list", {"cursor": "2"}), -32602)


def test_long_lists_fetched_whole_and_served_in_pages():
    """Issue 13: 1,100 tools in pages of 10 all reach the client (mcpmon
    kept 100 pages: 1,000), served in pages of 1,000 with a cursor of
    mcpmon's own, in config order then each backend's order; a cursor
    mcpmon did not give is -32602."""
    with tmpdir() as d:
        big = {"page_size": 10, "builtin_tools": False,
               "tools": [{"name": "t%d" % i, "reply": str(i)}
                         for i in range(1100)]}
        with start_gateway(d, {"big": big, "small": {}}) as m:
            m.initialize()
            first = m.call("tools/list")
            assert len(first["tools"]) == 1000, len(first["tools"])
            cursor = first["nextCursor"]
            second = m.call("tools/list", {"cursor": cursor})
            assert "nextCursor" not in second, second.keys()
            names = [t["name"] for t in first["tools"] + second["tools"]]
            assert names[:1100] == ["big__t%d" % i for i in range(1100)], \
                names[995:1005]
            assert "small__echo" in names[1100:], names[1100:]
            assert len(names) == len(set(names))
            assert text_of(m.call_tool("big__t1099")) == "1099"
            error_of(m.request("tools/list", {"cursor": "mcpmon-page:99999"}),
                     -32602)


def test_list_meta_kept():
    """Issue 13: a list result's _meta reaches the client: as it is when
    the backends agree (or one has any), else under each server's name."""
    with tmpdir() as d:
        with start_gateway(d, {"a": {"list_meta": {"k": 1}},
                               "b": {"list_meta": {"k": 1}},
                               "c": {}}) as m:
            m.initialize()
            assert m.call("tools/list")["_meta"] == {"k": 1}
        with start_gateway(d, {"a": {"list_meta": {"k": 1}},
                               "b": {"list_meta": {"k": 2}}}) as m:
            m.initialize()
            assert m.call("tools/list")["_meta"] == {"a": {"k": 1},
                                                     "b": {"k": 2}}
        with start_gateway(d, {"a": {}}) as m:
            m.initialize()
            assert "_meta" not in m.call("tools/list")


def test_uri_nobody_has_gets_the_first_servers_answer():
    """Issue 13: a URI no list names is asked of every server with
    resources in file order; when none has it, the client gets the first
    one's own answer (here its -32002 with data.uri), not one mcpmon made
    up."""
    with tmpdir() as d:
        with start_gateway(d, {"plain": {}, "docs": DOCS, "db": DB}) as m:
            m.initialize()
            r = m.request("resources/read", {"uri": "made://later"})
            assert r["error"]["code"] == -32002, r
            assert r["error"]["data"] == {"uri": "made://later"}, r
            for name in ("docs", "db"):
                reads = [q for q in state(m, name)["requests"]
                         if q == "resources/read"]
                assert reads == ["resources/read"], (name, reads)
            assert "resources/read" not in state(m, "plain")["requests"]


def test_uri_a_later_server_has_is_found_and_learned():
    """Issue 13: a resource a server serves but does not list yet (one a
    tool just made) is asked of the servers in turn and read from the one
    that has it; later reads go straight to it, and its list is read
    again (no resources/list_changed for the client when that list did
    not change)."""
    made = dict(DB, unlisted_resources=[{"uri": "made://report",
                                         "text": "made by db"}])
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": made}) as m:
            m.initialize()
            m.call("resources/list")
            lists_before = state(m, "db")["requests"].count("resources/list")
            assert _read(m, "made://report") == "made by db"
            assert _read(m, "made://report") == "made by db"
            docs_reads = state(m, "docs")["requests"].count("resources/read")
            assert docs_reads == 1, docs_reads  # the first time only
            wait_until(lambda: state(m, "db")["requests"].count(
                "resources/list") > lists_before,
                message="db's resources were not listed again")
            # The refreshed list is the same: nothing is announced.
            m.expect_none_before_reply(notification(RESOURCES_CHANGED))
            # A template match is asked first: db's row template, not
            # docs, which comes first in the file.
            assert _read(m, "db://row/t/1") == "testserver db://row/t/1"
            assert state(m, "docs")["requests"].count(
                "resources/read") == docs_reads
            said = [ln for ln in m.log_lines()
                    if "Resource URI 'shared://config' is served" in ln]
            assert len(said) == 1, said  # once, not at every rebuild


def test_first_requests_wait_for_the_lists():
    """Issue 13: resources/read, resources/subscribe and
    completion/complete sent right after initialize wait for the lists
    they are routed by, as tools/call does (PAG-4), instead of failing
    by lists not fetched yet (-32002, or no values)."""
    with tmpdir() as d:
        slow_db = dict(DB, init_delay_ms=500,
                       capabilities={"resources": {"subscribe": True},
                                     "prompts": {}, "completions": {}})
        with start_gateway(d, {"docs": DOCS, "db": slow_db}) as m:
            init = m.send_request("initialize", {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}})
            read = m.send_request("resources/read",
                                  {"uri": "db://table/users"})
            sub = m.send_request("resources/subscribe",
                                 {"uri": "db://table/users"})
            comp = m.send_request("completion/complete", {
                "ref": {"type": "ref/prompt", "name": "db__summarize"},
                "argument": {"name": "x", "value": ""}})
            assert "result" in m.next_message(response_to(init))
            m.notify("notifications/initialized")
            r = m.next_message(response_to(read))
            assert r["result"]["contents"][0]["text"] == "alice,bob", r
            r = m.next_message(response_to(sub))
            assert r.get("result") == {}, r
            r = m.next_message(response_to(comp))
            assert r["result"]["completion"]["values"] == [
                "users", "orders"], r


def test_categories_nobody_serves_are_empty():
    """Prompts and resources are not advertised when no backend has any
    (issue 13), yet their lists are empty, not -32601 (GW-2)."""
    with tmpdir() as d:
        with start_gateway(d, {"plain": {}}) as m:
            r = m.initialize()
            assert "prompts" not in r["capabilities"], r
            assert "resources" not in r["capabilities"], r
            assert m.call("prompts/list") == {"prompts": []}
            assert m.call("resources/list") == {"resources": []}
            assert m.call("resources/templates/list") == {
                "resourceTemplates": []}


def test_backend_prompt_and_resource_list_changed():
    """GW-5, PAG-1: a backend's own prompts or resources list_changed
    refreshes mcpmon's copy and reaches the client once."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB}) as m:
            m.initialize()
            m.call("prompts/list")
            for kind, changed in (("prompts", PROMPTS_CHANGED),
                                  ("resources", RESOURCES_CHANGED)):
                mark = m.log_mark()
                m.call_tool("db__notify", {
                    "method": "notifications/%s/list_changed" % kind})
                m.next_message(notification(changed))
                # Once: not db's own copy (it came before db's answer to
                # the call) and mcpmon's too. mcpmon sends its own after
                # its list request to db is answered, which is before db
                # answers this call through it; nor tools/list_changed.
                m.wait_log(r"Sent %s/list_changed" % kind, start=mark)
                m.expect_none_before_reply(
                    lambda x: (notification(changed)(x) or
                               notification(TOOLS_CHANGED)(x)),
                    **through("db"))
                assert count_log(m, r"Sent %s/list_changed" % kind,
                                 start=mark) == 1, m.logs()


def test_restart_refreshes_prompts_and_resources():
    """GW-5: after a backend's restart, its new prompts and resources are
    listed, with list_changed for each kind."""
    with tmpdir() as d:
        with start_gateway(d, {"docs": DOCS, "db": DB}) as m:
            m.initialize()
            m.call("prompts/list")
            db2 = dict(DB, prompts=[{"name": "fresh", "text": "new"}],
                       resources=[{"uri": "db://new", "name": "New",
                                   "text": "new"}])
            restart_backend(m, d, "db", db2)
            m.next_message(notification(PROMPTS_CHANGED))
            m.next_message(notification(RESOURCES_CHANGED))
            names = [p["name"] for p in m.call("prompts/list")["prompts"]]
            assert names == ["docs__summarize", "db__fresh"], names
            assert _read(m, "db://new") == "new"
            e = error_of(m.request("resources/read",
                                   {"uri": "db://table/users"}), -32002)
            assert e["data"]["uri"] == "db://table/users", e


run_tests(globals())
