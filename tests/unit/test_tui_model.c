/* test_tui_model.c - the dashboard's model (src/tui/model.c) fed with
 * recorded control-protocol objects (docs/control-protocol.md): snapshot,
 * events, reattach, rings, malformed input. No curses. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tui/model.h"
#include "tui/model_detail.h"

static const char snapshot_single[] =
    "{\"type\":\"snapshot\","
    "\"instance\":{\"pid\":1234,\"mode\":\"single\",\"version\":\"0.1.0\","
    "\"command\":\"python -m my_server\",\"config\":null,"
    "\"cwd\":\"/home/me/proj\",\"started\":1764000000000,"
    "\"socket\":\"/run/user/1000/mcpmon/1234.sock\"},"
    "\"backends\":[{\"name\":\"server\",\"state\":\"ready\",\"pid\":1240,"
    "\"restarts\":2,\"started\":1764000000100,\"lastExit\":\"exit code 1\","
    "\"lastReload\":{\"outcome\":\"start failed\",\"message\":\"it exited\","
    "\"at\":1764000000150},"
    "\"command\":\"python -m my_server\",\"watch\":[\"src/\",\"lib/\"],"
    "\"tools\":[{\"name\":\"hello\",\"description\":\"Say hello\"},"
    "{\"name\":\"echo\"}],"
    "\"log\":[{\"t\":1764000000200,\"level\":\"info\",\"source\":\"mcpmon\","
    "\"text\":\"Server ready (12 ms)\"},"
    "{\"t\":1764000000250,\"level\":\"info\",\"source\":\"stderr\","
    "\"text\":\"listening on stdio\"}],"
    "\"traffic\":[{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":4,"
    "\"t\":1764000000400,\"method\":\"tools/call\",\"tool\":\"hello\","
    "\"ms\":3.2,\"ok\":true},"
    "{\"seq\":3,\"t\":1764000000300,\"method\":\"tools/list\",\"ms\":1,"
    "\"ok\":true}],"
    "\"listChanged\":{\"sent\":1764000000300,\"relisted\":true}}]}";

static const char snapshot_gateway[] =
    "{\"type\":\"snapshot\","
    "\"instance\":{\"pid\":77,\"mode\":\"gateway\",\"version\":\"0.1.0\","
    "\"command\":null,\"config\":\"/p/.mcpmon.yaml\",\"started\":5},"
    "\"backends\":["
    "{\"name\":\"a\",\"state\":\"crashed\",\"pid\":null,\"restarts\":5,"
    "\"started\":null,\"lastExit\":\"exit code 3\",\"tools\":[],\"log\":[],"
    "\"traffic\":[],\"listChanged\":null},"
    "{\"name\":\"b\",\"state\":\"waiting\",\"pid\":0,\"restarts\":0,"
    "\"tools\":[{\"name\":\"x\"}]}]}";

/* Issue 15: crashes beside restarts, kept when a state event leaves the
 * member out, 0 from a core that never sends it; crashed and waiting are
 * both failures (drawn in the error colour), the others not. */
static void test_crashes(void) {
  struct model m;
  model_init(&m);
  CHECK_INT(model_apply_line(&m, snapshot_single, NULL), MODEL_CH_ALL);
  CHECK_INT(m.backends[0].crashes, 0); /* not sent */
  CHECK(!model_backend_failed(&m.backends[0]));
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"crashed\",\"pid\":null,\"restarts\":2,\"crashes\":1}",
                   NULL);
  CHECK_INT(m.backends[0].crashes, 1);
  CHECK_INT(m.backends[0].restarts, 2);
  CHECK(model_backend_failed(&m.backends[0]));
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"waiting\",\"crashes\":5}",
                   NULL);
  CHECK_INT(m.backends[0].state, MODEL_ST_WAITING);
  CHECK_INT(m.backends[0].crashes, 5);
  CHECK(model_backend_failed(&m.backends[0]));
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"starting\",\"pid\":9}",
                   NULL);
  CHECK_INT(m.backends[0].crashes, 5); /* absent: unchanged */
  CHECK(!model_backend_failed(&m.backends[0]));
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"stopped\"}",
                   NULL);
  CHECK(!model_backend_failed(&m.backends[0]));
  model_free(&m);
}

static void test_snapshot(void) {
  struct model m;
  model_init(&m);
  int backend = 99;
  unsigned ch = model_apply_line(&m, snapshot_single, &backend);
  CHECK_INT(ch, MODEL_CH_ALL);
  CHECK_INT(backend, -1);
  CHECK(m.have_snapshot);
  CHECK_INT(m.pid, 1234);
  CHECK_STR(m.mode, "single");
  CHECK_STR(m.version, "0.1.0");
  CHECK_STR(m.command, "python -m my_server");
  CHECK(m.config == NULL);
  CHECK_STR(m.cwd, "/home/me/proj");
  CHECK_STR(m.socket, "/run/user/1000/mcpmon/1234.sock");
  CHECK_INT(m.started, 1764000000000LL);
  CHECK_INT(m.nbackends, 1);
  struct model_backend* b = &m.backends[0];
  CHECK_STR(b->name, "server");
  CHECK_STR(b->state_name, "ready");
  CHECK_INT(b->state, MODEL_ST_READY);
  CHECK_INT(b->pid, 1240);
  CHECK_INT(b->restarts, 2);
  CHECK_INT(b->started, 1764000000100LL);
  CHECK_STR(b->last_exit, "exit code 1");
  CHECK_STR(b->reload_outcome, "start failed"); /* issue 14 */
  CHECK_STR(b->reload_message, "it exited");
  CHECK_STR(b->command, "python -m my_server");
  CHECK_INT(b->nwatch, 2);
  CHECK_STR(b->watch[1], "lib/");
  CHECK_INT(b->ntools, 2);
  CHECK_STR(b->tools[0].name, "hello");
  CHECK_STR(b->tools[0].description, "Say hello");
  CHECK_STR(b->tools[1].name, "echo");
  CHECK(b->tools[1].description == NULL);
  /* The backlog is there on attach. */
  CHECK_INT(b->log.count, 2);
  CHECK_INT(b->log.first, 0);
  CHECK_INT(model_log_end(&b->log), 2);
  const struct model_log_line* l = model_log_get(&b->log, 0);
  CHECK(l != NULL && l->from_mcpmon);
  CHECK_STR(l->text, "Server ready (12 ms)");
  CHECK_INT(l->t, 1764000000200LL);
  l = model_log_get(&b->log, 1);
  CHECK(l != NULL && !l->from_mcpmon);
  CHECK(model_log_get(&b->log, 2) == NULL);
  /* Traffic from the snapshot, ordered by seq, backend filled in. */
  CHECK_INT(m.ntraffic, 2);
  CHECK_INT(m.traffic[0].seq, 3);
  CHECK_STR(m.traffic[0].backend, "server");
  CHECK_STR(m.traffic[0].method, "tools/list");
  CHECK(m.traffic[0].tool == NULL);
  CHECK_INT(m.traffic[1].seq, 4);
  CHECK_STR(m.traffic[1].tool, "hello");
  CHECK(m.traffic[1].ms > 3.1 && m.traffic[1].ms < 3.3);
  CHECK(m.traffic[1].ok);
  CHECK(b->lc_known);
  CHECK(b->lc_relisted);
  CHECK_INT(b->lc_sent, 1764000000300LL);
  model_free(&m);
  CHECK(!m.have_snapshot);
  CHECK_INT(m.nbackends, 0);
}

static void test_gateway_snapshot_nulls(void) {
  struct model m;
  model_init(&m);
  CHECK_INT(model_apply_line(&m, snapshot_gateway, NULL), MODEL_CH_ALL);
  CHECK_STR(m.mode, "gateway");
  CHECK(m.command == NULL);
  CHECK_STR(m.config, "/p/.mcpmon.yaml");
  CHECK_INT(m.nbackends, 2);
  CHECK_INT(m.backends[0].state, MODEL_ST_CRASHED);
  CHECK_INT(m.backends[0].pid, 0);
  CHECK_INT(m.backends[0].started, 0);
  CHECK_INT(m.backends[0].restarts, 5);
  CHECK(!m.backends[0].lc_known);
  CHECK_INT(m.backends[1].state, MODEL_ST_WAITING);
  CHECK(m.backends[1].last_exit == NULL);
  CHECK_INT(m.backends[1].ntools, 1);
  CHECK_INT(model_find_backend(&m, "b"), 1);
  CHECK_INT(model_find_backend(&m, "zz"), -1);
  /* mcpmon's lines about no backend stay apart in gateway mode. */
  int backend = 5;
  unsigned ch = model_apply_line(
      &m,
      "{\"type\":\"log\",\"backend\":null,\"t\":9,\"level\":\"warn\","
      "\"source\":\"mcpmon\",\"text\":\"config changed\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_GLOBAL_LOG);
  CHECK_INT(backend, -1);
  CHECK_INT(m.events.log.count, 1);
  CHECK_INT(model_log_get(&m.events.log, 0)->level, MODEL_LV_WARN);
  CHECK_INT(m.backends[0].log.count, 0);
  /* Issue 15 defect 3: mcpmon's warnings and errors about a backend are
   * events too, named; its info lines and a server's stderr are not. */
  ch = model_apply_line(
      &m,
      "{\"type\":\"log\",\"backend\":\"b\",\"t\":10,\"level\":\"error\","
      "\"source\":\"mcpmon\",\"text\":\"Reload failed: it exited\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_LOG | MODEL_CH_GLOBAL_LOG);
  CHECK_INT(backend, 1);
  CHECK_INT(m.events.log.count, 2);
  CHECK_STR(model_log_get(&m.events.log, 1)->text,
            "b: Reload failed: it exited");
  CHECK_INT(model_log_get(&m.events.log, 1)->level, MODEL_LV_ERROR);
  ch = model_apply_line(
      &m,
      "{\"type\":\"log\",\"backend\":\"b\",\"t\":11,\"level\":\"error\","
      "\"source\":\"stderr\",\"text\":\"Traceback\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_LOG);
  ch = model_apply_line(
      &m,
      "{\"type\":\"log\",\"backend\":\"b\",\"t\":12,\"level\":\"info\","
      "\"source\":\"mcpmon\",\"text\":\"Server ready\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_LOG);
  CHECK_INT(m.events.log.count, 2);
  /* A snapshot brings the events the core kept. */
  model_apply_line(
      &m,
      "{\"type\":\"snapshot\",\"instance\":{\"pid\":1,\"mode\":\"gateway\"},"
      "\"backends\":[],\"events\":[{\"t\":1,\"level\":\"error\","
      "\"backend\":null,\"text\":\"/p/.mcpmon.yaml:3:5: expected a "
      "mapping\"},{\"t\":2,\"level\":\"warn\",\"backend\":\"a\","
      "\"text\":\"Cannot watch\"}]}",
      NULL);
  CHECK_INT(m.events.log.count, 2);
  CHECK_STR(model_log_get(&m.events.log, 0)->text,
            "/p/.mcpmon.yaml:3:5: expected a mapping");
  CHECK(model_log_get(&m.events.log, 0)->from_mcpmon);
  CHECK_STR(model_log_get(&m.events.log, 1)->text, "a: Cannot watch");
  CHECK_STR(m.events.name, MODEL_EVENTS_NAME);
  model_free(&m);
}

/* Issue 15: a disabled server is a row (state "disabled"), a stopped one
 * goes to "stopped" with no pid, and both go back to running. */
static void test_stopped_and_disabled(void) {
  struct model m;
  model_init(&m);
  model_apply_line(
      &m,
      "{\"type\":\"snapshot\",\"instance\":{\"pid\":7,\"mode\":"
      "\"gateway\"},\"backends\":["
      "{\"name\":\"on\",\"state\":\"ready\",\"pid\":10,\"restarts\":0,"
      "\"tools\":[{\"name\":\"t\"}]},"
      "{\"name\":\"off\",\"state\":\"disabled\",\"pid\":null,"
      "\"restarts\":0,\"started\":null,\"tools\":[]}]}",
      NULL);
  CHECK_INT(m.nbackends, 2);
  CHECK_INT(m.backends[1].state, MODEL_ST_DISABLED);
  CHECK_STR(m.backends[1].state_name, "disabled");
  CHECK_INT(m.backends[1].pid, 0);
  CHECK_INT(model_state_parse("stopped"), MODEL_ST_STOPPED);
  CHECK_INT(model_state_parse("disabled"), MODEL_ST_DISABLED);
  int backend = -1;
  unsigned ch = model_apply_line(
      &m,
      "{\"type\":\"state\",\"backend\":\"on\",\"state\":\"stopping\","
      "\"pid\":10}",
      &backend);
  CHECK_INT(ch, MODEL_CH_BACKENDS);
  CHECK_INT(backend, 0);
  CHECK_INT(m.backends[0].state, MODEL_ST_STOPPING);
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"on\",\"state\":"
                   "\"stopped\",\"pid\":null,\"started\":null}",
                   NULL);
  CHECK_INT(m.backends[0].state, MODEL_ST_STOPPED);
  CHECK_STR(m.backends[0].state_name, "stopped");
  CHECK_INT(m.backends[0].pid, 0);
  CHECK_INT(m.backends[0].started, 0);
  /* Started from the dashboard: the disabled row runs for this run. */
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"off\",\"state\":"
                   "\"starting\",\"pid\":22,\"started\":99}",
                   NULL);
  CHECK_INT(m.backends[1].state, MODEL_ST_STARTING);
  CHECK_INT(m.backends[1].pid, 22);
  model_free(&m);
}

static void test_events(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  int backend = -5;
  /* A restart, as the core reports it. */
  unsigned ch = model_apply_line(
      &m,
      "{\"type\":\"state\",\"backend\":\"server\",\"state\":\"restarting\","
      "\"pid\":1240,\"restarts\":2,\"started\":1764000000100,"
      "\"lastExit\":null}",
      &backend);
  CHECK_INT(ch, MODEL_CH_BACKENDS);
  CHECK_INT(backend, 0);
  CHECK_INT(m.backends[0].state, MODEL_ST_RESTARTING);
  CHECK(m.backends[0].last_exit == NULL);
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"starting\",\"pid\":1300,\"restarts\":3,\"started\":"
                   "1764000009000,\"lastExit\":\"signal 15\"}",
                   NULL);
  CHECK_INT(m.backends[0].pid, 1300);
  CHECK_INT(m.backends[0].restarts, 3);
  CHECK_INT(m.backends[0].started, 1764000009000LL);
  CHECK_STR(m.backends[0].last_exit, "signal 15");
  /* Members left out keep their values. */
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"ready\"}",
                   NULL);
  CHECK_INT(m.backends[0].state, MODEL_ST_READY);
  CHECK_INT(m.backends[0].pid, 1300);
  CHECK_INT(m.backends[0].restarts, 3);
  /* An unknown state is kept by name. */
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"dancing\"}",
                   NULL);
  CHECK_INT(m.backends[0].state, MODEL_ST_UNKNOWN);
  CHECK_STR(m.backends[0].state_name, "dancing");

  ch = model_apply_line(
      &m,
      "{\"type\":\"log\",\"backend\":\"server\",\"t\":1764000009100,"
      "\"level\":\"error\",\"source\":\"stderr\",\"text\":\"Traceback\\n "
      "line 2\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_LOG);
  CHECK_INT(backend, 0);
  const struct model_log_line* l =
      model_log_get(&m.backends[0].log, model_log_end(&m.backends[0].log) - 1);
  CHECK_STR(l->text, "Traceback  line 2"); /* no line break inside */
  CHECK_INT(l->level, MODEL_LV_ERROR);
  /* Colours a server prints are dropped, not drawn as garbage. */
  model_apply_line(&m,
                   "{\"type\":\"log\",\"backend\":\"server\",\"text\":"
                   "\"\\u001b[1;31mERROR\\u001b[0m done \\u001b]0;title\\u0007"
                   "x\\u001b\"}",
                   NULL);
  l = model_log_get(&m.backends[0].log, model_log_end(&m.backends[0].log) - 1);
  CHECK_STR(l->text, "ERROR done x");
  model_apply_line(&m,
                   "{\"type\":\"log\",\"backend\":\"server\",\"text\":"
                   "\"a\\u001b[31\"}",
                   NULL);
  l = model_log_get(&m.backends[0].log, model_log_end(&m.backends[0].log) - 1);
  CHECK_STR(l->text, "a");
  /* In single mode, mcpmon's lines about no backend go to the one. */
  ch = model_apply_line(&m,
                        "{\"type\":\"log\",\"backend\":null,\"t\":1,"
                        "\"level\":\"info\",\"source\":\"mcpmon\",\"text\":"
                        "\"Watching src/\"}",
                        &backend);
  CHECK_INT(ch, MODEL_CH_LOG);
  CHECK_INT(backend, 0);
  CHECK_INT(m.backends[0].log.count, 6);

  ch = model_apply_line(
      &m,
      "{\"type\":\"tools\",\"backend\":\"server\",\"tools\":[{\"name\":"
      "\"hello\"},{\"name\":\"bye\",\"description\":\"Say bye\"},"
      "{\"description\":\"no name: skipped\"}]}",
      &backend);
  CHECK(ch & MODEL_CH_TOOLS);
  CHECK_INT(m.backends[0].ntools, 2);
  CHECK_STR(m.backends[0].tools[1].name, "bye");

  ch = model_apply_line(&m,
                        "{\"type\":\"list_changed\",\"backend\":\"server\","
                        "\"sent\":1764000009500,\"relisted\":false}",
                        &backend);
  CHECK_INT(ch, MODEL_CH_LISTCHANGED);
  CHECK(m.backends[0].lc_known);
  CHECK(!m.backends[0].lc_relisted);
  CHECK_INT(m.backends[0].lc_sent, 1764000009500LL);
  model_apply_line(&m,
                   "{\"type\":\"list_changed\",\"backend\":\"server\","
                   "\"sent\":1764000009500,\"relisted\":true}",
                   NULL);
  CHECK(m.backends[0].lc_relisted);

  ch = model_apply_line(
      &m,
      "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":17,\"t\":"
      "1764000000400,\"method\":\"tools/call\",\"tool\":\"hello\",\"ms\":"
      "3.2,\"ok\":false,\"error\":\"Server restarting\"}",
      &backend);
  CHECK_INT(ch, MODEL_CH_TRAFFIC);
  CHECK_INT(backend, 0);
  CHECK_INT(m.ntraffic, 3);
  CHECK_INT(m.traffic[2].seq, 17);
  CHECK(!m.traffic[2].ok);
  CHECK_STR(m.traffic[2].error, "Server restarting");
  CHECK_INT(model_find_traffic(&m, 17), 2);
  CHECK_INT(model_find_traffic(&m, 18), -1);
  /* The same seq again replaces; an older one is put in order. */
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":17,"
                   "\"method\":\"tools/call\",\"ok\":true}",
                   NULL);
  CHECK_INT(m.ntraffic, 3);
  CHECK(m.traffic[2].ok);
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":10,"
                   "\"method\":\"ping\",\"ok\":true,\"error\":{\"message\":"
                   "\"x\"}}",
                   NULL);
  CHECK_INT(m.traffic[2].seq, 10);
  CHECK_INT(m.traffic[3].seq, 17);

  /* Objects that change nothing. */
  CHECK_INT(model_apply_line(&m, "{\"type\":\"hello\",\"mcpmon\":1}", NULL),
            MODEL_CH_NONE);
  CHECK_INT(model_apply_line(&m, "{\"type\":\"result\",\"ok\":true}", NULL),
            MODEL_CH_NONE);
  CHECK_INT(model_apply_line(&m, "{\"type\":\"brand_new_event\"}", NULL),
            MODEL_CH_NONE);
  CHECK_INT(model_apply_line(&m,
                             "{\"type\":\"log\",\"backend\":\"nobody\","
                             "\"text\":\"x\"}",
                             NULL),
            MODEL_CH_NONE);
  model_free(&m);
}

static void test_added_removed(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_gateway, NULL);
  int backend;
  unsigned ch = model_apply_line(
      &m,
      "{\"type\":\"backend_added\",\"backend\":{\"name\":\"c\",\"state\":"
      "\"starting\",\"pid\":9,\"restarts\":0,\"tools\":[],\"log\":[{\"t\":1,"
      "\"level\":\"info\",\"source\":\"mcpmon\",\"text\":\"added\"}]}}",
      &backend);
  CHECK_INT(ch, MODEL_CH_ALL);
  CHECK_INT(backend, 2);
  CHECK_INT(m.nbackends, 3);
  CHECK_INT(m.backends[2].log.count, 1);
  /* Added again under the same name: replaced, not doubled. */
  model_apply_line(&m,
                   "{\"type\":\"backend_added\",\"backend\":{\"name\":\"c\","
                   "\"state\":\"ready\"}}",
                   NULL);
  CHECK_INT(m.nbackends, 3);
  CHECK_INT(m.backends[2].state, MODEL_ST_READY);
  ch = model_apply_line(&m, "{\"type\":\"backend_removed\",\"backend\":\"a\"}",
                        NULL);
  CHECK_INT(ch, MODEL_CH_ALL);
  CHECK_INT(m.nbackends, 2);
  CHECK_STR(m.backends[0].name, "b");
  CHECK_STR(m.backends[1].name, "c");
  CHECK_INT(model_apply_line(&m,
                             "{\"type\":\"backend_removed\",\"backend\":"
                             "\"a\"}",
                             NULL),
            MODEL_CH_NONE);
  /* Issue 15: a new server comes at its index (the config file's order);
   * a known one keeps its place whatever the index says. */
  model_apply_line(&m,
                   "{\"type\":\"backend_added\",\"index\":1,\"backend\":"
                   "{\"name\":\"d\",\"state\":\"starting\"}}",
                   &backend);
  CHECK_INT(backend, 1);
  CHECK_INT(m.nbackends, 3);
  CHECK_STR(m.backends[0].name, "b");
  CHECK_STR(m.backends[1].name, "d");
  CHECK_STR(m.backends[2].name, "c");
  model_apply_line(&m,
                   "{\"type\":\"backend_added\",\"index\":0,\"backend\":"
                   "{\"name\":\"c\",\"state\":\"ready\"}}",
                   &backend);
  CHECK_INT(backend, 2);
  CHECK_STR(m.backends[2].name, "c");
  model_apply_line(&m,
                   "{\"type\":\"backend_added\",\"index\":99,\"backend\":"
                   "{\"name\":\"e\",\"state\":\"ready\"}}",
                   &backend);
  CHECK_INT(backend, 3);
  model_free(&m);
}

static void test_reattach_replaces(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  model_apply_line(&m,
                   "{\"type\":\"log\",\"backend\":\"server\",\"text\":"
                   "\"old\"}",
                   NULL);
  /* The core came back: a new snapshot is the whole truth. */
  model_apply_line(&m, snapshot_gateway, NULL);
  CHECK_INT(m.pid, 77);
  CHECK_INT(m.nbackends, 2);
  CHECK_INT(m.ntraffic, 0);
  CHECK_INT(model_find_backend(&m, "server"), -1);
  model_apply_line(&m, snapshot_single, NULL);
  CHECK_INT(m.backends[0].log.count, 2);
  model_free(&m);
}

static void test_log_ring(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  char line[256];
  for (int i = 0; i < MODEL_LOG_MAX + 10; i++) {
    snprintf(line, sizeof(line),
             "{\"type\":\"log\",\"backend\":\"server\",\"t\":%d,\"level\":"
             "\"info\",\"source\":\"stderr\",\"text\":\"line %d\"}",
             i, i);
    model_apply_line(&m, line, NULL);
  }
  struct model_log* log = &m.backends[0].log;
  CHECK_INT(log->count, MODEL_LOG_MAX);
  CHECK_INT(log->first, 12); /* 2 from the snapshot + 10 too many */
  CHECK_INT(model_log_end(log), MODEL_LOG_MAX + 12);
  CHECK(model_log_get(log, 11) == NULL);
  CHECK_STR(model_log_get(log, 12)->text, "line 10");
  CHECK_STR(model_log_get(log, model_log_end(log) - 1)->text, "line 2009");

  /* Search: newest match below `from`, case-insensitive; forward too. */
  uint64_t hit = 0;
  CHECK(model_log_search(log, "LINE 15", model_log_end(log), true, &hit));
  CHECK_STR(model_log_get(log, hit)->text, "line 1599");
  uint64_t next;
  CHECK(model_log_search(log, "line 15", hit, true, &next));
  CHECK_STR(model_log_get(log, next)->text, "line 1598");
  CHECK(model_log_search(log, "line 15", next, false, &hit));
  CHECK_STR(model_log_get(log, hit)->text, "line 1599");
  CHECK(!model_log_search(log, "line 9999", model_log_end(log), true, &hit));
  CHECK(!model_log_search(log, "", model_log_end(log), true, &hit));
  /* Lines that fell off are not found. */
  CHECK(!model_log_search(log, "line 5 ", model_log_end(log), true, &hit));
  CHECK(model_strcasestr("Hello World", "wORLD") != NULL);
  CHECK(model_strcasestr("Hello", "help") == NULL);
  model_free(&m);
}

static void test_long_utf8_text(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  /* 3000 x "é" (2 bytes each): cut at a character boundary. */
  size_t n = 3000;
  char* json = malloc(n * 2 + 128);
  char* p = json;
  p += sprintf(p, "{\"type\":\"log\",\"backend\":\"server\",\"text\":\"x");
  for (size_t i = 0; i < n; i++) p += sprintf(p, "\xc3\xa9");
  sprintf(p, "\"}");
  model_apply_line(&m, json, NULL);
  free(json);
  const struct model_log* log = &m.backends[0].log;
  const char* text = model_log_get(log, model_log_end(log) - 1)->text;
  size_t len = strlen(text);
  CHECK(len <= MODEL_LOG_TEXT_MAX);
  CHECK(len >= MODEL_LOG_TEXT_MAX - 1);
  CHECK(((unsigned char)text[len - 1] & 0xC0) == 0x80); /* ends whole */
  CHECK((unsigned char)text[len - 2] == 0xC3);
  model_free(&m);
}

static void test_traffic_ring(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  char line[256];
  for (int i = 0; i < MODEL_TRAFFIC_MAX + 5; i++) {
    snprintf(line, sizeof(line),
             "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":%d,"
             "\"method\":\"tools/call\",\"ok\":true}",
             100 + i);
    model_apply_line(&m, line, NULL);
  }
  CHECK_INT(m.ntraffic, MODEL_TRAFFIC_MAX);
  CHECK_INT(m.traffic[0].seq, 105); /* 3, 4 and 100-104 fell off */
  CHECK_INT(m.traffic[m.ntraffic - 1].seq, 100 + MODEL_TRAFFIC_MAX + 4);
  /* Older than everything kept: dropped. */
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":1,"
                   "\"method\":\"x\"}",
                   NULL);
  CHECK_INT(m.traffic[0].seq, 105);
  CHECK_INT(model_find_traffic(&m, 1), -1);
  model_free(&m);
}

static void test_detail(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  unsigned ch = model_apply_line(
      &m,
      "{\"type\":\"traffic_detail\",\"seq\":4,\"request\":{\"jsonrpc\":"
      "\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
      "\"hello\",\"arguments\":{}}},\"response\":{\"jsonrpc\":\"2.0\","
      "\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
      "\"hi \\\"there\\\"\"}]}}}",
      NULL);
  CHECK_INT(ch, MODEL_CH_DETAIL);
  CHECK(m.detail.valid);
  CHECK_INT(m.detail.seq, 4);
  const char* want[] = {
      "Request",
      "{",
      "  \"jsonrpc\": \"2.0\",",
      "  \"id\": 1,",
      "  \"method\": \"tools/call\",",
      "  \"params\": {",
      "    \"name\": \"hello\",",
      "    \"arguments\": {}",
      "  }",
      "}",
      "",
      "Response",
      "{",
      "  \"jsonrpc\": \"2.0\",",
      "  \"id\": 1,",
      "  \"result\": {",
      "    \"content\": [",
      "      {",
      "        \"type\": \"text\",",
      "        \"text\": \"hi \\\"there\\\"\"",
      "      }",
      "    ]",
      "  }",
      "}",
  };
  CHECK_INT(m.detail.nlines, sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < m.detail.nlines && i < sizeof(want) / sizeof(*want);
       i++)
    CHECK_STR(m.detail.lines[i], want[i]);

  /* Gone from the ring: the core's reason. */
  model_apply_line(&m,
                   "{\"type\":\"traffic_detail\",\"seq\":1,\"error\":"
                   "\"entry 1 is no longer kept\"}",
                   NULL);
  CHECK_INT(m.detail.seq, 1);
  CHECK_INT(m.detail.nlines, 1);
  CHECK_STR(m.detail.lines[0], "Not available: entry 1 is no longer kept");

  /* A body cut short (a string) and a missing response. */
  model_apply_line(&m,
                   "{\"type\":\"traffic_detail\",\"seq\":5,\"request\":"
                   "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"par\",\"response\":"
                   "null,\"truncated\":true}",
                   NULL);
  CHECK_STR(m.detail.lines[1], "{\"jsonrpc\":\"2.0\",\"par");
  CHECK_STR(m.detail.lines[3], "Response");
  CHECK_STR(m.detail.lines[4], "  (none)");
  CHECK_STR(m.detail.lines[m.detail.nlines - 1], "(cut short by mcpmon)");
  /* Bodies not kept: the core's note comes first. */
  model_apply_line(&m,
                   "{\"type\":\"traffic_detail\",\"seq\":6,\"request\":"
                   "null,\"response\":null,\"note\":\"not kept\"}",
                   NULL);
  CHECK_STR(m.detail.lines[0], "Note: not kept");
  CHECK_STR(m.detail.lines[1], "");
  CHECK_STR(m.detail.lines[2], "Request");
  CHECK_STR(m.detail.lines[3], "  (none)");
  model_free(&m);
}

static void test_malformed(void) {
  struct model m;
  model_init(&m);
  static const char* const bad[] = {
      "",
      "not json",
      "[1,2,3]",
      "{\"type\":5}",
      "{\"no\":\"type\"}",
      "{\"type\":\"snapshot\",\"instance\":7,\"backends\":{\"x\":1}}",
      "{\"type\":\"snapshot\",\"backends\":[1,\"x\",{\"name\":5},"
      "{\"name\":\"ok\",\"tools\":\"nope\",\"log\":[1,{\"text\":7}],"
      "\"traffic\":[{\"seq\":\"x\"},{\"seq\":-1}],\"watch\":[1,\"w\"],"
      "\"listChanged\":5,\"pid\":\"p\",\"state\":7}]}",
      "{\"type\":\"state\",\"backend\":\"ok\",\"pid\":\"x\",\"restarts\":null}",
      "{\"type\":\"tools\",\"backend\":\"ok\",\"tools\":[1,null,\"bare\"]}",
      "{\"type\":\"traffic\"}",
      "{\"type\":\"traffic_detail\"}",
      "{\"type\":\"backend_added\",\"backend\":\"x\"}",
      "{\"type\":\"backend_added\",\"backend\":{\"state\":\"ready\"}}",
      "{\"type\":\"log\",\"backend\":\"ok\"}",
      "{\"type\":\"list_changed\",\"backend\":[]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    model_apply_line(&m, bad[i], NULL);
  /* What was well-formed was taken; the rest was skipped. */
  CHECK_INT(m.nbackends, 1);
  CHECK_STR(m.backends[0].name, "ok");
  CHECK_INT(m.backends[0].pid, 0);
  CHECK_INT(m.backends[0].nwatch, 1);
  CHECK_INT(m.backends[0].log.count, 0);
  CHECK_INT(m.backends[0].ntools, 1);
  CHECK_STR(m.backends[0].tools[0].name, "bare");
  CHECK_INT(m.ntraffic, 0);
  CHECK(!m.backends[0].lc_known);
  CHECK_INT(model_apply(&m, NULL, NULL), MODEL_CH_NONE);
  model_free(&m);
}

/* Issue 15: an entry arrives running, its answer replaces it in place
 * (same seq, same start time); server requests say so; the filters;
 * a server's own log line. */
static void test_traffic_running_and_filters(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  size_t before = m.ntraffic;
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":30,"
                   "\"t\":1000,\"method\":\"tools/call\",\"tool\":\"slow\","
                   "\"running\":true,\"direction\":\"client\",\"ms\":0,"
                   "\"ok\":true}",
                   NULL);
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":null,\"seq\":31,"
                   "\"t\":1001,\"method\":\"sampling/createMessage\","
                   "\"running\":true,\"direction\":\"server\",\"ms\":0,"
                   "\"ok\":true}",
                   NULL);
  CHECK_INT(m.ntraffic, before + 2);
  CHECK_INT(model_traffic_running(&m), 2);
  long i = model_find_traffic(&m, 30);
  CHECK(m.traffic[i].running && !m.traffic[i].from_server);
  CHECK(m.traffic[i + 1].from_server && m.traffic[i + 1].backend == NULL);
  /* Running entries are no errors, whatever the filter. */
  CHECK(model_traffic_match(&m.traffic[i], false, NULL));
  CHECK(!model_traffic_match(&m.traffic[i], true, NULL));
  model_apply_line(&m,
                   "{\"type\":\"traffic\",\"backend\":\"server\",\"seq\":30,"
                   "\"t\":1000,\"method\":\"tools/call\",\"tool\":\"slow\","
                   "\"running\":false,\"direction\":\"client\",\"ms\":4000,"
                   "\"ok\":false,\"error\":\"disk on fire\"}",
                   NULL);
  CHECK_INT(m.ntraffic, before + 2);
  i = model_find_traffic(&m, 30);
  CHECK(!m.traffic[i].running && !m.traffic[i].ok);
  CHECK_INT(m.traffic[i].t, 1000);
  CHECK(m.traffic[i].ms == 4000);
  CHECK_STR(m.traffic[i].error, "disk on fire");
  CHECK_INT(model_traffic_running(&m), 1);
  CHECK(model_traffic_match(&m.traffic[i], true, NULL));
  CHECK(model_traffic_match(&m.traffic[i], true, "server"));
  CHECK(!model_traffic_match(&m.traffic[i], true, "other"));
  /* Gateway-level entries belong to no server's filter. */
  CHECK(!model_traffic_match(&m.traffic[i + 1], false, "server"));
  /* A server's notifications/message in its log. */
  model_apply_line(&m,
                   "{\"type\":\"log\",\"backend\":\"server\",\"t\":5,"
                   "\"level\":\"warn\",\"source\":\"server\","
                   "\"text\":\"db: slow query\"}",
                   NULL);
  const struct model_backend* b = &m.backends[0];
  const struct model_log_line* l =
      model_log_get(&b->log, model_log_end(&b->log) - 1);
  CHECK(l != NULL && l->from_server && !l->from_mcpmon);
  CHECK_INT(l->level, MODEL_LV_WARN);
  CHECK_STR(l->text, "db: slow query");
  model_free(&m);
}

/* Issue 15: a tool's definition for the detail screen. */
static void test_tool_detail(void) {
  struct model m;
  model_init(&m);
  model_apply_line(
      &m,
      "{\"type\":\"tool_detail\",\"backend\":\"srv\",\"tool\":{\"name\":"
      "\"lookup\",\"description\":\"Look up.\\nTwo lines.\",\"inputSchema\":"
      "{\"type\":\"object\"}}}",
      NULL);
  CHECK(m.detail.valid && m.detail.tool);
  CHECK_STR(m.detail.title, "Tool lookup of srv");
  CHECK_STR(m.detail.lines[0], "Description");
  CHECK_STR(m.detail.lines[1], "Look up.");
  CHECK_STR(m.detail.lines[2], "Two lines.");
  CHECK(model_detail_heading("Input schema"));
  CHECK(!model_detail_heading("Look up."));
  bool schema = false;
  for (size_t i = 0; i < m.detail.nlines; i++)
    if (strcmp(m.detail.lines[i], "  \"type\": \"object\"") == 0)
      schema = true;
  CHECK(schema);
  /* A traffic detail after it is no tool. */
  model_apply_line(&m,
                   "{\"type\":\"traffic_detail\",\"seq\":3,\"request\":{},"
                   "\"response\":null}",
                   NULL);
  CHECK(!m.detail.tool && m.detail.title == NULL && m.detail.seq == 3);
  model_free(&m);
}

/* Issue 15: an overlap reload under way, then done. */
static void test_reloading(void) {
  struct model m;
  model_init(&m);
  model_apply_line(&m, snapshot_single, NULL);
  CHECK(m.backends[0].reloading == NULL);
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"ready\",\"reloading\":\"building\"}",
                   NULL);
  CHECK_STR(m.backends[0].reloading, "building");
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"ready\"}",
                   NULL);
  CHECK_STR(m.backends[0].reloading, "building"); /* missing: unchanged */
  model_apply_line(&m,
                   "{\"type\":\"state\",\"backend\":\"server\",\"state\":"
                   "\"ready\",\"reloading\":null}",
                   NULL);
  CHECK(m.backends[0].reloading == NULL);
  model_free(&m);
}

int main(void) {
  test_reloading();
  test_tool_detail();
  test_snapshot();
  test_traffic_running_and_filters();
  test_crashes();
  test_gateway_snapshot_nulls();
  test_events();
  test_stopped_and_disabled();
  test_added_removed();
  test_reattach_replaces();
  test_log_ring();
  test_long_utf8_text();
  test_traffic_ring();
  test_detail();
  test_malformed();
  return check_done();
}
