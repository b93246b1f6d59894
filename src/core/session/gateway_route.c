/* gateway_route.c - the client's messages in gateway mode. See
 * gateway_int.h. Cited rules are in docs/mcp-protocol.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/control_tools.h"
#include "core/session/gateway_init.h"
#include "core/session/gateway_int.h"
#include "lib/util.h"

/* ---- routing requests ------------------------------------------------------
 */

static char* gw_server_names(const struct gateway* gw) {
  size_t len = 1;
  const struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) len += strlen(gb->sc.name) + 2;
  char* out = xmalloc(len);
  out[0] = '\0';
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (out[0] != '\0')
      strcat(out, ", ");
    strcat(out, gb->sc.name);
  }
  return out;
}

static void gw_held_timer_cb(uv_timer_t* t);

static void gw_arm_held(struct gateway* gw) {
  uv_timer_stop(&gw->held_timer);
  struct gw_held* first = STAILQ_FIRST(&gw->held);
  if (first == NULL)
    return;
  uint64_t now = uv_now(gw->loop);
  uv_timer_start(&gw->held_timer, gw_held_timer_cb,
                 first->deadline > now ? first->deadline - now : 0, 0);
}

static void gw_hold(struct gateway* gw, struct jmsg* m) {
  struct gw_held* h = xcalloc(1, sizeof(*h));
  h->msg = m;
  h->deadline = uv_now(gw->loop) + GW_FIRST_LIST_WAIT_MS;
  h->tr = session_traffic_defer(gw->s);
  STAILQ_INSERT_TAIL(&gw->held, h, link);
  if (!uv_is_active((uv_handle_t*)&gw->held_timer))
    gw_arm_held(gw);
}

static bool gw_route(struct gateway* gw, struct jmsg* m, bool hold);
static struct gw_backend* gw_listed_uri_owner(struct gateway* gw,
                                              const char* uri);

/* What a held request asks for is in a list now: a tool or prompt name,
 * a URI (issue 13: resources wait for the lists as calls do). A
 * completion waits for every list. */
static bool gw_held_known(struct gateway* gw, const struct gw_held* h) {
  const char* method = h->msg->method;
  bool tool = strcmp(method, "tools/call") == 0;
  if (tool || strcmp(method, "prompts/get") == 0) {
    char* name = jtext_string(h->msg->text,
                              jmsg_get(h->msg, "params", "name", NULL), NULL);
    bool known = name != NULL && name_table_find(tool ? gw->tools : gw->prompts,
                                                 name, NULL, NULL);
    free(name);
    return known;
  }
  if (strncmp(method, "resources/", 10) == 0) {
    char* uri = jtext_string(h->msg->text,
                             jmsg_get(h->msg, "params", "uri", NULL), NULL);
    bool known = uri != NULL && gw_listed_uri_owner(gw, uri) != NULL;
    free(uri);
    return known;
  }
  return false;
}

void gw_release_held(struct gateway* gw, bool expire) {
  uint64_t now = uv_now(gw->loop);
  bool all = gw_all_listed(gw);
  /* Take the list first: routing may hold nothing again (hold false),
   * but it sends, and the order of what is sent is the arrival order. */
  struct gw_held_list list = STAILQ_HEAD_INITIALIZER(list);
  STAILQ_CONCAT(&list, &gw->held);
  struct gw_held* h;
  while ((h = STAILQ_FIRST(&list)) != NULL) {
    STAILQ_REMOVE_HEAD(&list, link);
    if (!all && !(expire && now >= h->deadline) && !gw_held_known(gw, h)) {
      STAILQ_INSERT_TAIL(&gw->held, h, link);
      continue;
    }
    /* What the gateway answers now is the traffic of the request as it
     * came; what it forwards, the server's. */
    session_traffic_resume(gw->s, h->tr);
    gw_route(gw, h->msg, false);
    session_traffic_resumed(gw->s);
    free(h);
  }
  gw_arm_held(gw);
  gw_finish_check(gw);
}

static void gw_held_timer_cb(uv_timer_t* t) {
  gw_release_held(t->data, true);
}

void gw_free_held(struct gateway* gw) {
  struct gw_held* h;
  while ((h = STAILQ_FIRST(&gw->held)) != NULL) {
    STAILQ_REMOVE_HEAD(&gw->held, link);
    jmsg_free(h->msg);
    session_traffic_drop(h->tr);
    free(h);
  }
}

/* The client cancelled a call that is still held (CAN-1): forget it; no
 * answer. */
static void gw_drop_held(struct gateway* gw, const cJSON* rid) {
  if (rid == NULL)
    return;
  struct gw_held* h;
  STAILQ_FOREACH(h, &gw->held, link) {
    cJSON* id = jmsg_id(h->msg);
    bool same = jrpc_id_equal(id, rid);
    cJSON_Delete(id);
    if (same) {
      STAILQ_REMOVE(&gw->held, h, gw_held, link);
      jmsg_free(h->msg);
      session_traffic_drop(h->tr);
      free(h);
      gw_arm_held(gw);
      return;
    }
  }
}

/* An error for m's id; takes m. */
static void gw_fail(struct gateway* gw,
                    struct jmsg* m,
                    int code,
                    const char* message) {
  cJSON* id = jmsg_id(m);
  session_error(gw->s, id, code, message);
  cJSON_Delete(id);
  jmsg_free(m);
}

/* GW-6: -32602 naming what is unknown and the servers there are; takes m
 * and name (NULL: none given). */
static void gw_fail_unknown(struct gateway* gw,
                            struct jmsg* m,
                            const char* what,
                            char* name) {
  /* Issue 15: the dashboard shows the error on the server the name
   * starts with, if any (for display only: routing is by lookup). */
  struct gw_backend* gb;
  size_t sep = strlen(gw->cfg.separator), best = 0;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    size_t len = strlen(gb->sc.name);
    if (name != NULL && gb->b != NULL && len + sep > best &&
        strncmp(name, gb->sc.name, len) == 0 &&
        strncmp(name + len, gw->cfg.separator, sep) == 0) {
      best = len + sep;
      session_traffic_blame(gw->s, gb->b);
    }
  }
  char* servers = gw_server_names(gw);
  char* msg = xasprintf("Unknown %s: %s (servers: %s)", what,
                        name != NULL ? name : "(none)", servers);
  gw_fail(gw, m, JRPC_INVALID_PARAMS, msg);
  free(msg);
  free(servers);
  free(name);
}

/* Issue 15: the server, stopped or disabled, whose prefix name has: its
 * names left the lists, so this only words the error (no routing). */
static struct gw_backend* gw_off_owner(struct gateway* gw, const char* name) {
  size_t sep = strlen(gw->cfg.separator);
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    size_t n = strlen(gb->sc.name);
    if (gb->b != NULL && backend_is_off(gb->b) &&
        strncmp(name, gb->sc.name, n) == 0 &&
        strncmp(name + n, gw->cfg.separator, sep) == 0)
      return gb;
  }
  return NULL;
}

/* tools/call and prompts/get by exact table lookup (NAME-3, GW-6); the
 * server gets the client's bytes with only the name replaced. Takes m. */
static void gw_route_named(struct gateway* gw,
                           struct jmsg* m,
                           struct name_table* table,
                           const char* what,
                           bool hold) {
  struct jspan at = jmsg_get(m, "params", "name", NULL);
  size_t name_len = 0;
  char* name = jtext_string(m->text, at, &name_len);
  void* owner = NULL;
  const char* original = NULL;
  if (name != NULL && table == gw->tools && gw->cfg.control_tools &&
      ctools_owns(name, name_len)) {
    free(name);
    gw_control_tool(gw, m);
    return;
  }
  if (name == NULL || !name_table_find(table, name, &owner, &original)) {
    struct gw_backend* off = name != NULL ? gw_off_owner(gw, name) : NULL;
    if (off != NULL) {
      cJSON* id = jmsg_id(m);
      session_send_take(gw->s, backend_make_unavailable_error(off->b, id));
      cJSON_Delete(id);
      jmsg_free(m);
      free(name);
      return;
    }
    if (name != NULL && !gw_all_listed(gw) && hold) {
      free(name);
      gw_hold(gw, m);
      return;
    }
    gw_fail_unknown(gw, m, what, name);
    return;
  }
  free(name);
  struct gw_backend* gb = owner;
  jmsg_replace_string(m, at, original);
  if (table == gw->tools && jmsg_get(m, "params", "task", NULL).len != 0)
    gw_forward_task_call(gw, gb, m); /* TASK-3: its task id is renamed */
  else
    backend_forward_request(gb->b, m);
}

/* RFC 6570 level 1: "{var}" matches one or more characters other than
 * '/'; "{+var}" and "{#var}" match any. *budget bounds the work (adjacent
 * variables would backtrack without end on a long URI): at 0, no match. */
static bool gw_template_match_at(const char* tpl,
                                 const char* uri,
                                 long* budget) {
  while (*tpl != '\0') {
    if (--*budget <= 0)
      return false;
    if (*tpl == '{') {
      const char* close = strchr(tpl, '}');
      if (close == NULL)
        return false;
      bool reserved = tpl[1] == '+' || tpl[1] == '#';
      const char* rest = close + 1;
      /* u is just past the last character the variable takes (one at
       * least); never past the URI's terminator. */
      for (const char* u = uri; *u != '\0'; u++) {
        if (*u == '/' && !reserved)
          return false;
        if (gw_template_match_at(rest, u + 1, budget))
          return true;
        if (*budget <= 0)
          return false;
      }
      return false;
    }
    if (*tpl != *uri)
      return false;
    tpl++;
    uri++;
  }
  return *uri == '\0';
}

static bool gw_template_match(const char* tpl, const char* uri) {
  long budget = 100000;
  return gw_template_match_at(tpl, uri, &budget);
}

/* The server whose resource list names uri, or that answered for it
 * before though its list did not, or NULL. */
static struct gw_backend* gw_known_uri_owner(struct gateway* gw,
                                             const char* uri) {
  void* owner = NULL;
  if (name_table_find(gw->resources, uri, &owner, NULL) ||
      name_table_find(gw->learned, uri, &owner, NULL))
    return owner;
  return NULL;
}

/* ... or whose template list matches it first, or NULL. */
static struct gw_backend* gw_listed_uri_owner(struct gateway* gw,
                                              const char* uri) {
  struct gw_backend* known = gw_known_uri_owner(gw, uri);
  if (known != NULL)
    return known;
  for (size_t i = 0; i < gw->ntemplates; i++)
    if (strcmp(gw->templates[i].tpl, uri) == 0 ||
        gw_template_match(gw->templates[i].tpl, uri))
      return gw->templates[i].owner;
  return NULL;
}

static struct gw_backend* gw_uri_owner(struct gateway* gw, const char* uri) {
  struct gw_backend* listed = gw_listed_uri_owner(gw, uri);
  if (listed != NULL)
    return listed;
  /* A URI no list names (one a tool returned): the first resource server
   * in config order, whose answer (its contents, or its own error) the
   * client gets, as from that server directly (issue 13). */
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL && !backend_is_off(gb->b) &&
        backend_has_capability(gb->b, "resources", NULL))
      return gb;
  }
  return NULL;
}

/* RES-3: nobody has uri. Takes m. */
static void gw_not_found(struct gateway* gw, struct jmsg* m, const char* uri) {
  cJSON* data = cJSON_CreateObject();
  cJSON_AddStringToObject(data, "uri", uri);
  cJSON* id = jmsg_id(m);
  session_send_take(gw->s, jrpc_make_error(id, JRPC_RESOURCE_NOT_FOUND,
                                           "Resource not found", data));
  cJSON_Delete(id);
  jmsg_free(m);
}

static void gw_ask_add(struct gw_op* op, size_t cap, const char* name) {
  for (size_t i = 0; i < op->nask; i++)
    if (strcmp(op->ask[i], name) == 0)
      return;
  if (op->nask < cap)
    op->ask[op->nask++] = xstrdup(name);
}

/* Ask the next server of a read op; with none left, the client gets the
 * first server's error. */
static void gw_read_next(struct gateway* gw, struct gw_op* op) {
  while (op->next < op->nask) {
    struct gw_backend* gb = gw_by_name(gw, op->ask[op->next++]);
    if (gb != NULL && gb->b != NULL) {
      backend_forward_watched(
          gb->b, jmsg_parse(op->request->text, op->request->len), op->cookie);
      return;
    }
  }
  if (op->error != NULL) {
    session_send_text(gw->s, op->error);
    op->error = NULL;
  } else {
    char* uri = jtext_string(
        op->request->text, jmsg_get(op->request, "params", "uri", NULL), NULL);
    gw_not_found(gw, jmsg_parse(op->request->text, op->request->len),
                 uri != NULL ? uri : "");
    free(uri);
  }
  gw_op_free(gw, op);
  gw_finish_check(gw);
}

/* Issue 13: a URI no list names (a resource a tool just made) is asked
 * of the servers whose templates match it, then of every other server
 * with resources, in config order, until one has it. Takes m. */
static void gw_read_unlisted(struct gateway* gw,
                             struct jmsg* m,
                             const char* uri) {
  size_t cap = 0;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) cap++;
  struct gw_op* op = gw_op_new(gw, GW_OP_READ, m);
  op->ask = xcalloc(cap ? cap : 1, sizeof(*op->ask));
  for (size_t i = 0; i < gw->ntemplates; i++)
    if (gw_template_match(gw->templates[i].tpl, uri))
      gw_ask_add(op, cap, gw->templates[i].owner->sc.name);
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL && !backend_is_off(gb->b) &&
        backend_has_capability(gb->b, "resources", NULL))
      gw_ask_add(op, cap, gb->sc.name);
  }
  op->request = m;
  if (op->nask == 0) {
    op->request = NULL;
    gw_op_free(gw, op);
    gw_not_found(gw, m, uri);
    gw_finish_check(gw);
    return;
  }
  gw_read_next(gw, op);
}

/* The answer of one server asked for an unlisted URI (takes m). */
static void gw_on_read_reply(struct gateway* gw,
                             struct gw_backend* gb,
                             struct gw_op* op,
                             struct jmsg* m) {
  if (m->is_error) {
    if (op->error == NULL)
      op->error = m; /* what the client gets if nobody has it */
    else
      jmsg_free(m);
    gw_read_next(gw, op);
    return;
  }
  if (gb != NULL && gb->b != NULL) {
    /* This server has it: later requests go straight to it, and its list
     * is read again (it may name the URI now). */
    char* uri = jtext_string(
        op->request->text, jmsg_get(op->request, "params", "uri", NULL), NULL);
    if (uri != NULL) {
      if (name_table_count(gw->learned) >= GW_MAX_LEARNED)
        name_table_clear(gw->learned);
      name_table_add(gw->learned, uri, gb, uri, NULL);
    }
    free(uri);
    if (gb->refreshed == NULL) {
      const cJSON* was = backend_list(gb->b, BACKEND_LIST_RESOURCES);
      gb->refreshed =
          was != NULL ? cJSON_Duplicate(was, true) : cJSON_CreateArray();
      backend_refresh_list(gb->b, BACKEND_LIST_RESOURCES);
    }
  }
  gw_op_answer(gw, op, m);
}

void gw_on_reply(struct gateway* gw,
                 struct gw_backend* gb,
                 struct jmsg* m,
                 uint64_t cookie) {
  struct gw_op* op = gw_op_find(gw, cookie);
  if (op == NULL) {
    jmsg_free(m); /* its request was cancelled (CAN-1) */
    return;
  }
  if (op->kind == GW_OP_READ)
    gw_on_read_reply(gw, gb, op, m);
  else
    gw_on_task_reply(gw, gb, op, m);
}

void gw_forget_backend(struct gateway* gw, struct gw_backend* gb) {
  name_table_remove_owner(gw->learned, gb);
}

static void gw_route_uri(struct gateway* gw,
                         struct jmsg* m,
                         bool subscription,
                         bool hold) {
  char* uri = jtext_string(m->text, jmsg_get(m, "params", "uri", NULL), NULL);
  if (uri == NULL) {
    gw_fail(gw, m, JRPC_INVALID_PARAMS, "params.uri must be a string");
    return;
  }
  if (hold && !gw_all_listed(gw) && gw_listed_uri_owner(gw, uri) == NULL) {
    /* Issue 13: right after connect the lists are not in yet (PAG-4). */
    free(uri);
    gw_hold(gw, m);
    return;
  }
  if (!subscription && gw_known_uri_owner(gw, uri) == NULL) {
    gw_read_unlisted(gw, m, uri);
    free(uri);
    return;
  }
  struct gw_backend* gb = gw_uri_owner(gw, uri);
  if (gb == NULL) { /* RES-3 */
    gw_not_found(gw, m, uri);
    free(uri);
    return;
  }
  free(uri);
  if (subscription &&
      !backend_has_capability(gb->b, "resources", "subscribe")) { /* RES-5 */
    char* msg = xasprintf(
        "Server '%s' does not support resource "
        "subscriptions",
        gb->sc.name);
    gw_fail(gw, m, JRPC_METHOD_NOT_FOUND, msg);
    free(msg);
    return;
  }
  backend_forward_request(gb->b, m);
}

/* CMP-1: by prompt name or by resource template. */
static void gw_route_completion(struct gateway* gw, struct jmsg* m, bool hold) {
  if (hold && !gw_all_listed(gw)) {
    gw_hold(gw, m); /* issue 13: by lists not fetched yet, wrongly */
    return;
  }
  struct jspan ref = jmsg_get(m, "params", "ref", NULL);
  struct jspan type_at;
  struct gw_backend* gb = NULL;
  if (!jtext_member(m->text, ref, "type", &type_at)) {
    /* no ref type: no server to ask */
  } else if (jtext_str_eq(m->text, type_at, "ref/prompt")) {
    struct jspan name_at;
    char* name = jtext_member(m->text, ref, "name", &name_at)
                     ? jtext_string(m->text, name_at, NULL)
                     : NULL;
    void* owner = NULL;
    const char* original = NULL;
    if (name != NULL && name_table_find(gw->prompts, name, &owner, &original)) {
      gb = owner;
      jmsg_replace_string(m, name_at, original);
    } else {
      /* Issue 13: as a server answers a prompt it does not have. */
      gw_fail_unknown(gw, m, "prompt", name);
      return;
    }
    free(name);
  } else if (jtext_str_eq(m->text, type_at, "ref/resource")) {
    struct jspan uri_at;
    char* uri = jtext_member(m->text, ref, "uri", &uri_at)
                    ? jtext_string(m->text, uri_at, NULL)
                    : NULL;
    if (uri != NULL)
      gb = gw_uri_owner(gw, uri);
    free(uri);
  }
  if (gb == NULL) {
    cJSON* result = cJSON_CreateObject();
    cJSON* completion = cJSON_AddObjectToObject(result, "completion");
    cJSON_AddArrayToObject(completion, "values");
    cJSON* id = jmsg_id(m);
    session_send_take(gw->s, jrpc_make_result(id, result));
    cJSON_Delete(id);
    jmsg_free(m);
    return;
  }
  backend_forward_request(gb->b, m);
}

/* ---- the client's initialize (issue 13: as the backends answered) ------- */

static void gw_init_timer_cb(uv_timer_t* t);

/* A backend whose handshake may still come: wait for it. */
static bool gw_init_pending(const struct backend* b) {
  switch (backend_state(b)) {
    case BACKEND_IDLE:
    case BACKEND_STARTING:
    case BACKEND_INITIALIZING:
    case BACKEND_RESTARTING:
      return true;
    default:
      return false; /* ready, or crashed, waiting, stopping: not coming */
  }
}

/* The result from the backends ready now; logged once. */
static cJSON* gw_compose(struct gateway* gw) {
  size_t n = 0;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) n++;
  struct gw_init_part* parts = xcalloc(n ? n : 1, sizeof(*parts));
  char** prefixes = xcalloc(n ? n : 1, sizeof(*prefixes));
  size_t i = 0;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    prefixes[i] = xasprintf("%s%s", gb->sc.name, gw->cfg.separator);
    parts[i].name = gb->sc.name;
    parts[i].prefix = prefixes[i];
    parts[i].result = gb->b != NULL && backend_state(gb->b) == BACKEND_READY
                          ? backend_init_result(gb->b)
                          : NULL;
    i++;
  }
  const cJSON* params = session_init_params(gw->s);
  const cJSON* pv = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
  struct gw_init_notes notes;
  cJSON* result =
      gw_compose_init(parts, n, cJSON_IsString(pv) ? pv->valuestring : NULL,
                      MCPMON_VERSION, &notes);
  if (gw->cfg.control_tools) {
    /* mcpmon__status and the others are tools whatever the servers
     * have (issue 15). */
    cJSON* caps = cJSON_GetObjectItemCaseSensitive(result, "capabilities");
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "tools")))
      cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "tools"),
                            "listChanged");
  }
  if (notes.ready == 0)
    log_warn(
        "No server was ready to answer initialize; the client gets "
        "mcpmon's default capabilities");
  else if (notes.forced_by != NULL)
    log_warn(
        "The servers negotiated different protocol versions (newest %s); "
        "the client gets %s, the oldest, because of %s",
        notes.newest, notes.oldest, notes.forced_by);
  for (i = 0; i < n; i++) free(prefixes[i]);
  free(prefixes);
  free(parts);
  return result;
}

/* Answer every initialize waiting, once every backend has answered its
 * own or cannot (or the wait is over: force). */
void gw_init_check(struct gateway* gw, bool force) {
  if (gw->init_waiting == NULL)
    return;
  if (!force) {
    struct gw_backend* gb;
    TAILQ_FOREACH(gb, &gw->backends, link) {
      if (gb->b != NULL && gw_init_pending(gb->b))
        return;
    }
  }
  uv_timer_stop(&gw->init_timer);
  gw->init_result = gw_compose(gw);
  const cJSON* pv =
      cJSON_GetObjectItemCaseSensitive(gw->init_result, "protocolVersion");
  free(gw->protocol);
  gw->protocol = xstrdup(pv->valuestring);
  session_set_protocol(gw->s, gw->protocol);
  cJSON* ids = gw->init_waiting;
  gw->init_waiting = NULL;
  const cJSON* id;
  cJSON_ArrayForEach(id, ids) {
    session_send_take(
        gw->s, jrpc_make_result(id, cJSON_Duplicate(gw->init_result, 1)));
  }
  cJSON_Delete(ids);
}

static void gw_init_timer_cb(uv_timer_t* t) {
  struct gateway* gw = t->data;
  log_verbose("Answering initialize without the servers still starting");
  gw_init_check(gw, true);
}

/* GW-1: every backend gets the client's params; the answer waits for
 * their results (bounded by GW_INIT_WAIT_MS), unlike GW-2's fixed one at
 * once: the client sees their versions, capabilities and instructions.
 * A later initialize (LIFE-8) gets the same answer. */
void gw_on_initialize(void* ctx, const struct jmsg* m, bool first) {
  struct gateway* gw = ctx;
  cJSON* id = jmsg_id(m);
  if (gw->init_result != NULL) {
    session_send_take(
        gw->s, jrpc_make_result(id, cJSON_Duplicate(gw->init_result, 1)));
    cJSON_Delete(id);
    return;
  }
  if (gw->init_waiting == NULL)
    gw->init_waiting = cJSON_CreateArray();
  cJSON_AddItemToArray(gw->init_waiting, id);
  if (first) {
    const cJSON* params = session_init_params(gw->s);
    struct gw_backend* gb;
    TAILQ_FOREACH(gb, &gw->backends, link) {
      if (gb->b != NULL)
        backend_set_init_params(gb->b, params); /* GW-1 */
    }
    uv_timer_start(&gw->init_timer, gw_init_timer_cb, GW_INIT_WAIT_MS, 0);
  }
  gw_init_check(gw, false);
}

/* The syslog severities of the MCP LoggingLevel (RFC 5424). */
static bool gw_log_level_valid(const char* level) {
  static const char* levels[] = {"debug", "info",     "notice", "warning",
                                 "error", "critical", "alert",  "emergency"};
  for (size_t i = 0; i < ARRAY_LEN(levels); i++)
    if (strcmp(level, levels[i]) == 0)
      return true;
  return false;
}

static void gw_on_set_level(struct gateway* gw, struct jmsg* m) {
  cJSON* params = jtext_tree(m->text, m->params);
  const cJSON* level = cJSON_GetObjectItemCaseSensitive(params, "level");
  if (!cJSON_IsString(level) || !gw_log_level_valid(level->valuestring)) {
    /* Issue 13: refused as a server refuses it, not stored nor sent. */
    char* msg = xasprintf(
        "Invalid params: level must be one of debug, info, notice, "
        "warning, error, critical, alert, emergency%s%s",
        cJSON_IsString(level) ? "; got " : "",
        cJSON_IsString(level) ? level->valuestring : "");
    cJSON_Delete(params);
    gw_fail(gw, m, JRPC_INVALID_PARAMS, msg);
    free(msg);
    return;
  }
  /* LOG-1: now, after restarts (backend.c) and to servers added later. */
  cJSON_Delete(gw->log_level);
  gw->log_level = params;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_set_log_level(gb->b, params);
  }
  cJSON* id = jmsg_id(m);
  session_send_take(gw->s, jrpc_make_result(id, cJSON_CreateObject()));
  cJSON_Delete(id);
  jmsg_free(m);
}

/* The requests routed to one backend by what they name; hold: they may
 * wait for the first lists (PAG-4). Returns false (m kept) for others. */
static bool gw_route(struct gateway* gw, struct jmsg* m, bool hold) {
  const char* method = m->method;
  if (strcmp(method, "tools/call") == 0)
    gw_route_named(gw, m, gw->tools, "tool", hold);
  else if (strcmp(method, "prompts/get") == 0)
    gw_route_named(gw, m, gw->prompts, "prompt", hold);
  else if (strcmp(method, "resources/read") == 0)
    gw_route_uri(gw, m, false, hold);
  else if (strcmp(method, "resources/subscribe") == 0 ||
           strcmp(method, "resources/unsubscribe") == 0)
    gw_route_uri(gw, m, true, hold);
  else if (strcmp(method, "completion/complete") == 0)
    gw_route_completion(gw, m, hold);
  else
    return false;
  return true;
}

void gw_on_request(void* ctx, struct jmsg* m) {
  struct gateway* gw = ctx;
  const char* method = m->method;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if (strcmp(method, gw_list_method[k]) == 0) {
      gw_on_list_request(gw, m, (enum backend_list)k);
      jmsg_free(m);
      return;
    }
  }
  if (gw_route(gw, m, true))
    return;
  if (strncmp(method, "tasks/", 6) == 0)
    gw_on_task_request(gw, m);
  else if (strcmp(method, "logging/setLevel") == 0)
    gw_on_set_level(gw, m);
  else {
    char* msg = xasprintf("Method not found: %s", method);
    gw_fail(gw, m, JRPC_METHOD_NOT_FOUND, msg);
    free(msg);
  }
}

/* Each backend gets its own copy of the client's bytes. */
static void gw_broadcast(struct gateway* gw, const struct jmsg* m) {
  bool cancel = strcmp(m->method, "notifications/cancelled") == 0;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_forward_notification(gb->b, jmsg_parse(m->text, m->len));
    if (cancel && gb->rl != NULL)
      reload_forward_cancel(gb->rl, m); /* a call an old server has */
  }
}

void gw_on_notification(void* ctx, struct jmsg* m) {
  struct gateway* gw = ctx;
  if (strcmp(m->method, "notifications/cancelled") == 0) {
    cJSON* rid = jtext_raw(m->text, jmsg_get(m, "params", "requestId", NULL));
    gw_drop_held(gw, rid);
    gw_ops_cancel(gw, rid);
    cJSON_Delete(rid);
    gw_finish_check(gw);
  }
  /* The owner of a cancelled request finds it by the client's id (CAN-1);
   * the others ignore it. Roots changes go to everyone (section 4.9), and
   * so does every other notification (issue 13: never dropped; a server
   * ignores what it does not know). */
  gw_broadcast(gw, m);
  jmsg_free(m);
}
