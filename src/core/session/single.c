/* single.c - see single.h. Cited rules are in docs/mcp-protocol.md. */
#include "core/session/single.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/control_tools.h"
#include "core/session/reload.h"
#include "core/watch/watcher.h"
#include "lib/util.h"
#include "proto/jsonrpc.h"

struct single {
  uv_loop_t* loop;
  const struct mcpmon_config* cfg;
  struct mode_hooks hooks;
  struct session* s;
  struct backend* backend; /* the one serving */
  struct backend_options bo;
  struct reload* reload; /* issue 14: the next server, and old ones */
  struct watcher* watcher;
  int closing; /* of the backend and the reload, still to close */

  cJSON* init_client_id; /* the initialize waiting for the backend */
  cJSON* init_result;    /* as the client got it (LIFE-8) */
  uv_timer_t init_timer;
  bool shutting_down;
};

/* ---- the client's initialize --------------------------------------------- */

/* LIFE-3: the backend's result, changed only in capabilities: listChanged
 * on the list kinds it declares. Issue 13: a server without a tools
 * capability is not given one (its tools/list would fail with -32601: the
 * client would be told a lie), unlike LIFE-3's "create tools". */
static cJSON* single_patch_init_result(const cJSON* result,
                                       bool control_tools) {
  cJSON* res = cJSON_Duplicate(result, 1);
  cJSON* caps = cJSON_GetObjectItemCaseSensitive(res, "capabilities");
  if (!cJSON_IsObject(caps)) {
    cJSON_DeleteItemFromObjectCaseSensitive(res, "capabilities");
    caps = cJSON_AddObjectToObject(res, "capabilities");
  }
  const char* listed[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(listed); i++) {
    cJSON* c = cJSON_GetObjectItemCaseSensitive(caps, listed[i]);
    if (!cJSON_IsObject(c))
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive(c, "listChanged");
    cJSON_AddTrueToObject(c, "listChanged");
  }
  /* Issue 15: with mcpmon's own tools there are tools, whatever the
   * server has. */
  if (control_tools &&
      !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "tools")))
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "tools"),
                          "listChanged");
  return res;
}

static void single_answer_init(struct single* sg) {
  if (sg->init_client_id == NULL)
    return;
  uv_timer_stop(&sg->init_timer);
  const cJSON* result = backend_init_result(sg->backend);
  cJSON_Delete(sg->init_result);
  sg->init_result = single_patch_init_result(result, sg->cfg->control_tools);
  const cJSON* pv =
      cJSON_GetObjectItemCaseSensitive(sg->init_result, "protocolVersion");
  session_set_protocol(sg->s, cJSON_IsString(pv) ? pv->valuestring : "");
  session_send_take(sg->s,
                    jrpc_make_result(sg->init_client_id,
                                     cJSON_Duplicate(sg->init_result, 1)));
  cJSON_Delete(sg->init_client_id);
  sg->init_client_id = NULL;
}

static void single_fail_init(struct single* sg) {
  if (sg->init_client_id == NULL)
    return;
  uv_timer_stop(&sg->init_timer);
  session_send_take(
      sg->s, backend_make_unavailable_error(sg->backend, sg->init_client_id));
  cJSON_Delete(sg->init_client_id);
  sg->init_client_id = NULL;
}

static void single_init_timeout_cb(uv_timer_t* t) {
  single_fail_init(t->data);
}

static bool single_down_for_good(const struct single* sg) {
  enum backend_state st = backend_state(sg->backend);
  return st == BACKEND_WAITING || st == BACKEND_STOPPING ||
         st == BACKEND_STOPPED;
}

/* Wait (bounded) for the handshake that answers init_client_id; a server
 * that is down for good (waiting for changes) is reported at once. */
static void single_wait_init(struct single* sg) {
  if (single_down_for_good(sg)) {
    single_fail_init(sg);
    return;
  }
  uv_timer_start(&sg->init_timer, single_init_timeout_cb,
                 sg->cfg->queue_timeout_ms, 0);
}

static void single_on_initialize(void* ctx, const struct jmsg* m, bool first) {
  struct single* sg = ctx;
  if (first) {
    sg->init_client_id = jmsg_id(m);
    backend_set_init_params(sg->backend, session_init_params(sg->s));
    single_wait_init(sg);
    return;
  }
  /* LIFE-8: a second initialize in one session restarts nothing. */
  cJSON* id = jmsg_id(m);
  if (sg->init_result != NULL) {
    session_send_take(
        sg->s, jrpc_make_result(id, cJSON_Duplicate(sg->init_result, 1)));
    cJSON_Delete(id);
  } else if (sg->init_client_id != NULL) {
    session_error(sg->s, id, JRPC_INVALID_REQUEST,
                  "initialize was already received and is in progress");
    cJSON_Delete(id);
  } else {
    /* The first initialize got an error (the server was down): this one
     * is answered by the server's handshake with the stored params, done
     * already or still to come. */
    sg->init_client_id = id;
    if (backend_init_result(sg->backend) != NULL)
      single_answer_init(sg);
    else
      single_wait_init(sg);
  }
}

/* ---- the client's other messages: forwarded as they are ------------------ */

/* ---- mcpmon's own tools (issue 15, --control-tools) --------------------- */

/* The cookie of a client's tools/list forwarded so that mcpmon's tools
 * are added to its answer (single_ev_reply). */
#define SINGLE_COOKIE_TOOLS_LIST 1

static size_t single_ct_count(void* ctx) {
  (void)ctx;
  return 1;
}

static struct backend* single_ct_at(void* ctx, size_t i) {
  struct single* sg = ctx;
  return i == 0 ? sg->backend : NULL;
}

static void single_ct_restart(void* ctx, struct backend* b) {
  (void)ctx;
  if (backend_is_off(b)) /* stopped or disabled: started, as r does */
    backend_user_start(b);
  else
    backend_restart(b, "asked for by the client (mcpmon__restart)");
}

static char* single_ct_logs(void* ctx, struct backend* b, int lines) {
  struct single* sg = ctx;
  return sg->hooks.logs != NULL ? sg->hooks.logs(sg->hooks.ctx, b, lines)
                                : NULL;
}

/* A tools/list answer of only mcpmon's tools, for id. */
static cJSON* single_ct_only(const cJSON* id) {
  cJSON* res = cJSON_CreateObject();
  cJSON_AddItemToObject(res, "tools", ctools_list());
  return jrpc_make_result(id, res);
}

/* tools/call of one of mcpmon's tools, or tools/list: handled here (m
 * taken, true); false for anything else. */
static bool single_control_tools(struct single* sg, struct jmsg* m) {
  if (strcmp(m->method, "tools/call") == 0) {
    size_t len = 0;
    char* name =
        jtext_string(m->text, jmsg_get(m, "params", "name", NULL), &len);
    bool ours = name != NULL && ctools_owns(name, len);
    free(name);
    if (!ours)
      return false;
    struct ctools_host h = {single_ct_count, single_ct_at, single_ct_restart,
                            single_ct_logs, sg};
    cJSON* id = jmsg_id(m);
    session_send_take(sg->s, ctools_call(&h, m, id));
    cJSON_Delete(id);
    jmsg_free(m);
    return true;
  }
  if (strcmp(m->method, "tools/list") != 0)
    return false;
  if (backend_init_result(sg->backend) != NULL &&
      !backend_has_capability(sg->backend, "tools", NULL)) {
    /* The server has no tools: asking it would be -32601. */
    cJSON* id = jmsg_id(m);
    session_send_take(sg->s, single_ct_only(id));
    cJSON_Delete(id);
    jmsg_free(m);
    return true;
  }
  backend_forward_watched(sg->backend, m, SINGLE_COOKIE_TOOLS_LIST);
  return true;
}

/* The server's answer to a tools/list: mcpmon's tools go at the end of
 * the last page, spliced into the server's bytes. An error (the server
 * crashed, is restarting) to a first page becomes a list of mcpmon's
 * tools only: they are what works now, and mcpmon__logs says why the
 * rest does not. Takes m. */
static void single_ev_reply(struct backend* b,
                            void* ctx,
                            struct jmsg* m,
                            uint64_t cookie) {
  struct single* sg = ctx;
  (void)b;
  (void)cookie;
  if (m->is_error) {
    cJSON* id = jmsg_id(m);
    jmsg_free(m);
    session_send_take(sg->s, single_ct_only(id));
    cJSON_Delete(id);
    return;
  }
  struct jspan tools = jmsg_get(m, "result", "tools", NULL);
  struct jspan next = jmsg_get(m, "result", "nextCursor", NULL);
  if (jtext_type(m->text, tools) == JSCAN_ARRAY &&
      (next.len == 0 || jtext_type(m->text, next) == JSCAN_NULL)) {
    size_t pos = 0;
    struct jspan el;
    bool empty = !jtext_element(m->text, tools, &pos, &el);
    char* with = xasprintf("%s%s]", empty ? "" : ",", ctools_list_text());
    struct jspan close = {tools.off + tools.len - 1, 1};
    jmsg_replace(m, close, with, strlen(with));
    free(with);
  }
  session_send_text(sg->s, m);
}

static void single_on_request(void* ctx, struct jmsg* m) {
  struct single* sg = ctx;
  if (sg->cfg->control_tools && single_control_tools(sg, m))
    return;
  backend_forward_request(sg->backend, m);
}

static void single_on_notification(void* ctx, struct jmsg* m) {
  struct single* sg = ctx;
  if (strcmp(m->method, "notifications/cancelled") == 0)
    reload_forward_cancel(sg->reload, m); /* a call an old server has */
  backend_forward_notification(sg->backend, m);
}

/* ---- events from the backend --------------------------------------------- */

static void single_ev_initialized(struct backend* b, void* ctx, bool first) {
  (void)b;
  if (first)
    single_answer_init(ctx);
}

/* The list kinds the client was told about (tools always: LIFE-3 added
 * it), as bits 1 << enum backend_list. */
static unsigned single_told_lists(const struct single* sg) {
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(sg->init_result, "capabilities");
  unsigned mask = 1u << BACKEND_LIST_TOOLS;
  if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "prompts")))
    mask |= 1u << BACKEND_LIST_PROMPTS;
  if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "resources")))
    mask |= 1u << BACKEND_LIST_RESOURCES;
  return mask;
}

static void single_ev_restarted(struct backend* b, void* ctx) {
  struct single* sg = ctx;
  /* Section 3.3 step 11: one notification per list kind the client was
   * told about, after the queued requests went to the new process.
   * Issue 18: held while a burst reported at once goes on, so that it
   * gets one. */
  unsigned lists = reload_hold(sg->reload, single_told_lists(sg));
  if (lists != 0)
    session_send_list_changed(sg->s, lists, b);
}

/* Issue 15: started again after `mcpmon stop`: the handshake was
 * replayed; list_changed only for the lists that differ from before the
 * stop, of the kinds the client was told about. */
static void single_ev_resumed(struct backend* b, void* ctx, unsigned changed) {
  struct single* sg = ctx;
  if ((changed & (1u << BACKEND_LIST_TEMPLATES)) != 0)
    changed |= 1u << BACKEND_LIST_RESOURCES;
  unsigned told = single_told_lists(sg);
  if ((changed & told) != 0)
    session_send_list_changed(sg->s, changed & told, b);
}

/* Issue 14: a file change reloads the server with overlap, unless the
 * config says stop-first (the backend then restarts it itself). */
static bool single_ev_restart(struct backend* b, void* ctx, const char* why) {
  struct single* sg = ctx;
  bool overlap;
  if (sg->shutting_down || !reload_takes(b, &overlap))
    return false;
  reload_begin(sg->reload, b, &sg->bo, why, overlap);
  return true;
}

/* The new server is ready: it serves from now on. LIFE-3: list_changed
 * for the lists that changed, of the kinds the client was told about. */
static void single_swap(void* ctx,
                        struct backend* old,
                        struct backend* now,
                        unsigned changed) {
  struct single* sg = ctx;
  sg->backend = now;
  if (sg->hooks.backend_replaced != NULL)
    sg->hooks.backend_replaced(sg->hooks.ctx, old, now);
  unsigned told = single_told_lists(sg);
  if ((changed & told) != 0)
    session_send_list_changed(sg->s, changed & told, now);
}

static void single_closed(uv_handle_t* h) {
  struct single* sg = h->data;
  struct mode_hooks hooks = sg->hooks;
  if (hooks.backend_removed != NULL)
    hooks.backend_removed(hooks.ctx, sg->backend);
  backend_free(sg->backend);
  cJSON_Delete(sg->init_client_id);
  cJSON_Delete(sg->init_result);
  free(sg);
  hooks.closed(hooks.ctx);
}

/* Once the backend stopped and the reload closed. Freed on a later loop
 * turn, never from the backend's own callback. */
static void single_part_closed(struct single* sg) {
  if (--sg->closing == 0)
    uv_close((uv_handle_t*)&sg->init_timer, single_closed);
}

static void single_reload_closed(void* ctx) {
  struct single* sg = ctx;
  sg->reload = NULL; /* freed */
  single_part_closed(sg);
}

static void single_ev_stopped(struct backend* b, void* ctx) {
  struct single* sg = ctx;
  if (b == sg->backend) /* the serving one: others are the reload's */
    single_part_closed(sg);
}

static void single_ev_state(struct backend* b, void* ctx) {
  struct single* sg = ctx;
  if (b == sg->backend && backend_is_off(b))
    reload_cancel(sg->reload); /* issue 15: nothing takes its place */
  if (single_down_for_good(sg))
    single_fail_init(sg);
}

static void single_client_congested(void* ctx, bool full) {
  struct single* sg = ctx;
  backend_pause_output(sg->backend, full);
}

static const struct session_policy single_policy = {
    .initialize = single_on_initialize,
    .request = single_on_request,
    .notification = single_on_notification,
    .backend_notification = NULL,
    .client_congested = single_client_congested,
    .backend =
        {
            .on_initialized = single_ev_initialized,
            .on_restarted = single_ev_restarted,
            .on_resumed = single_ev_resumed,
            .on_stopped = single_ev_stopped,
            .on_state = single_ev_state,
            .on_restart = single_ev_restart,
            .on_reply = single_ev_reply,
        },
};

/* ---- the mode ------------------------------------------------------------ */

/* A burst's changes (watcher.h). Issue 18: its first settled change
 * restarts at once; when more come, the server still starting is
 * abandoned (reload_fold) and the rest restart it once quiet. */
static void single_on_changes(void* ctx,
                              enum watcher_report what,
                              const struct watcher_change* ch,
                              size_t n) {
  struct single* sg = ctx;
  if (sg->shutting_down)
    return;
  if (what == WATCH_COMING) {
    reload_fold(sg->reload);
    return;
  }
  if (what == WATCH_MORE) {
    unsigned held = reload_burst_end(sg->reload, n > 0);
    if (held != 0)
      session_send_list_changed(sg->s, held, sg->backend);
  }
  if (n > 0)
    backend_restart(sg->backend, watcher_report(NULL, ch, n));
}

static int single_start(void* self) {
  struct single* sg = self;
  const struct server_config* sc = &sg->cfg->servers[0];
  if (watcher_start_server(sg->loop, sc, sg->cfg->log_file, NULL,
                           single_on_changes, sg, &sg->watcher) != 0)
    return -1;
  backend_start(sg->backend);
  return 0;
}

static void single_shutdown(void* self, bool finish) {
  struct single* sg = self;
  if (!sg->shutting_down) {
    sg->closing = 2;
    reload_close(sg->reload, single_reload_closed, sg);
  }
  sg->shutting_down = true;
  if (sg->watcher != NULL) {
    watcher_close(sg->watcher);
    sg->watcher = NULL;
  }
  if (finish)
    backend_finish(sg->backend); /* issue 12 item 6 */
  else
    backend_stop(sg->backend); /* at once, also during a finish */
}

static void single_kill_now(void* self) {
  struct single* sg = self;
  reload_kill_now(sg->reload);
  backend_kill_now(sg->backend);
}

void single_mode(uv_loop_t* loop,
                 const struct mcpmon_config* cfg,
                 struct session* s,
                 const struct mode_hooks* hooks,
                 struct mode* out) {
  struct single* sg = xcalloc(1, sizeof(*sg));
  sg->loop = loop;
  sg->cfg = cfg;
  sg->hooks = *hooks;
  sg->s = s;
  uv_timer_init(loop, &sg->init_timer);
  sg->init_timer.data = sg;
  sg->bo = (struct backend_options){
      .server = &cfg->servers[0],
      .max_line = cfg->max_line,
      .queue_timeout_ms = cfg->queue_timeout_ms,
      .gateway = false,
  };
  sg->backend = backend_new(loop, &sg->bo, session_backend_events(), s);
  struct reload_hooks rh = {.swap = single_swap, .ctx = sg};
  sg->reload = reload_new(loop, s, &rh);
  session_set_policy(s, &single_policy, sg);
  if (hooks->backend_added != NULL)
    hooks->backend_added(hooks->ctx, sg->backend, 0);
  *out = (struct mode){
      .self = sg,
      .start = single_start,
      .shutdown = single_shutdown,
      .kill_now = single_kill_now,
  };
}
