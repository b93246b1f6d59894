/* gateway_route.c - the client's messages in gateway mode. See
 * gateway_int.h. Cited rules are in docs/mcp-protocol.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
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

static void gw_hold(struct gateway* gw, struct jrpc_msg* m) {
  struct gw_held* h = xcalloc(1, sizeof(*h));
  h->msg = m->root;
  m->root = NULL;
  h->deadline = uv_now(gw->loop) + GW_FIRST_LIST_WAIT_MS;
  STAILQ_INSERT_TAIL(&gw->held, h, link);
  if (!uv_is_active((uv_handle_t*)&gw->held_timer))
    gw_arm_held(gw);
}

static void gw_route_named(struct gateway* gw,
                           struct jrpc_msg* m,
                           struct name_table* table,
                           const char* what,
                           bool hold);

static bool gw_held_is_tool(const struct gw_held* h) {
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(h->msg, "method");
  return strcmp(method->valuestring, "tools/call") == 0;
}

/* The name a held call asks for is in a list now. */
static bool gw_held_known(const struct gateway* gw, const struct gw_held* h) {
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(h->msg, "params"), "name");
  return cJSON_IsString(name) &&
         name_table_find(gw_held_is_tool(h) ? gw->tools : gw->prompts,
                         name->valuestring, NULL, NULL);
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
    struct jrpc_msg m;
    memset(&m, 0, sizeof(m));
    m.root = h->msg;
    m.id = cJSON_GetObjectItemCaseSensitive(h->msg, "id");
    bool tool = gw_held_is_tool(h);
    gw_route_named(gw, &m, tool ? gw->tools : gw->prompts,
                   tool ? "tool" : "prompt", false);
    cJSON_Delete(m.root);
    free(h);
  }
  gw_arm_held(gw);
}

static void gw_held_timer_cb(uv_timer_t* t) {
  gw_release_held(t->data, true);
}

void gw_free_held(struct gateway* gw) {
  struct gw_held* h;
  while ((h = STAILQ_FIRST(&gw->held)) != NULL) {
    STAILQ_REMOVE_HEAD(&gw->held, link);
    cJSON_Delete(h->msg);
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
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(h->msg, "id");
    if (id != NULL && jrpc_id_equal(id, rid)) {
      STAILQ_REMOVE(&gw->held, h, gw_held, link);
      cJSON_Delete(h->msg);
      free(h);
      gw_arm_held(gw);
      return;
    }
  }
}

/* tools/call and prompts/get by exact table lookup (NAME-3, GW-6). */
static void gw_route_named(struct gateway* gw,
                           struct jrpc_msg* m,
                           struct name_table* table,
                           const char* what,
                           bool hold) {
  cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(params, "name");
  void* owner = NULL;
  const char* original = NULL;
  if (!cJSON_IsString(name) ||
      !name_table_find(table, name->valuestring, &owner, &original)) {
    if (cJSON_IsString(name) && !gw_all_listed(gw) && hold) {
      gw_hold(gw, m);
      return;
    }
    char* servers = gw_server_names(gw);
    char* msg =
        xasprintf("Unknown %s: %s (servers: %s)", what,
                  cJSON_IsString(name) ? name->valuestring : "(none)", servers);
    session_error(gw->s, m->id, JRPC_INVALID_PARAMS, msg);
    free(msg);
    free(servers);
    return;
  }
  struct gw_backend* gb = owner;
  cJSON_ReplaceItemInObjectCaseSensitive(params, "name",
                                         cJSON_CreateString(original));
  backend_forward_request(gb->b, m->root);
  m->root = NULL;
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

static struct gw_backend* gw_uri_owner(struct gateway* gw, const char* uri) {
  void* owner = NULL;
  if (name_table_find(gw->resources, uri, &owner, NULL))
    return owner;
  for (size_t i = 0; i < gw->ntemplates; i++)
    if (strcmp(gw->templates[i].tpl, uri) == 0 ||
        gw_template_match(gw->templates[i].tpl, uri))
      return gw->templates[i].owner;
  /* A URI no list names (one a tool returned): the only resource server. */
  struct gw_backend* only = NULL;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b == NULL || !backend_has_capability(gb->b, "resources", NULL))
      continue;
    if (only != NULL)
      return NULL;
    only = gb;
  }
  return only;
}

static void gw_route_uri(struct gateway* gw,
                         struct jrpc_msg* m,
                         bool subscription) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  const cJSON* uri = cJSON_GetObjectItemCaseSensitive(params, "uri");
  if (!cJSON_IsString(uri)) {
    session_error(gw->s, m->id, JRPC_INVALID_PARAMS,
                  "params.uri must be a string");
    return;
  }
  struct gw_backend* gb = gw_uri_owner(gw, uri->valuestring);
  if (gb == NULL) { /* RES-3 */
    cJSON* data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "uri", uri->valuestring);
    session_send_take(gw->s, jrpc_make_error(m->id, JRPC_RESOURCE_NOT_FOUND,
                                             "Resource not found", data));
    return;
  }
  if (subscription &&
      !backend_has_capability(gb->b, "resources", "subscribe")) { /* RES-5 */
    char* msg = xasprintf(
        "Server '%s' does not support resource "
        "subscriptions",
        gb->sc.name);
    session_error(gw->s, m->id, JRPC_METHOD_NOT_FOUND, msg);
    free(msg);
    return;
  }
  backend_forward_request(gb->b, m->root);
  m->root = NULL;
}

/* CMP-1: by prompt name or by resource template. */
static void gw_route_completion(struct gateway* gw, struct jrpc_msg* m) {
  cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  cJSON* ref = cJSON_GetObjectItemCaseSensitive(params, "ref");
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(ref, "type");
  struct gw_backend* gb = NULL;
  if (cJSON_IsString(type) && strcmp(type->valuestring, "ref/prompt") == 0) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(ref, "name");
    void* owner = NULL;
    const char* original = NULL;
    if (cJSON_IsString(name) &&
        name_table_find(gw->prompts, name->valuestring, &owner, &original)) {
      gb = owner;
      cJSON_ReplaceItemInObjectCaseSensitive(ref, "name",
                                             cJSON_CreateString(original));
    }
  } else if (cJSON_IsString(type) &&
             strcmp(type->valuestring, "ref/resource") == 0) {
    const cJSON* uri = cJSON_GetObjectItemCaseSensitive(ref, "uri");
    if (cJSON_IsString(uri))
      gb = gw_uri_owner(gw, uri->valuestring);
  }
  if (gb == NULL) {
    cJSON* result = cJSON_CreateObject();
    cJSON* completion = cJSON_AddObjectToObject(result, "completion");
    cJSON_AddArrayToObject(completion, "values");
    session_send_take(gw->s, jrpc_make_result(m->id, result));
    return;
  }
  backend_forward_request(gb->b, m->root);
  m->root = NULL;
}

/* GW-2: mcpmon's own answer, at once, with a fixed superset. The session
 * checked the first one's params (an object) and keeps them. */
void gw_on_initialize(void* ctx, struct jrpc_msg* m, bool first) {
  struct gateway* gw = ctx;
  if (first) {
    const cJSON* params = session_init_params(gw->s);
    static const char* supported[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                      "2024-11-05"};
    const cJSON* pv =
        cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    const char* version = supported[0];
    for (size_t i = 0; i < ARRAY_LEN(supported); i++)
      if (cJSON_IsString(pv) && strcmp(pv->valuestring, supported[i]) == 0)
        version = supported[i];
    gw->protocol = xstrdup(version);
    session_set_protocol(gw->s, version);
    struct gw_backend* gb;
    TAILQ_FOREACH(gb, &gw->backends, link) {
      if (gb->b != NULL)
        backend_set_init_params(gb->b, params); /* GW-1 */
    }
  }
  cJSON* result = cJSON_CreateObject();
  cJSON_AddStringToObject(result, "protocolVersion", gw->protocol);
  cJSON* caps = cJSON_AddObjectToObject(result, "capabilities");
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged");
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "prompts"),
                        "listChanged");
  cJSON* res = cJSON_AddObjectToObject(caps, "resources");
  cJSON_AddTrueToObject(res, "subscribe");
  cJSON_AddTrueToObject(res, "listChanged");
  cJSON_AddObjectToObject(caps, "logging");
  cJSON_AddObjectToObject(caps, "completions");
  cJSON* info = cJSON_AddObjectToObject(result, "serverInfo");
  cJSON_AddStringToObject(info, "name", "mcpmon");
  cJSON_AddStringToObject(info, "version", MCPMON_VERSION);
  session_send_take(gw->s, jrpc_make_result(m->id, result));
}

static void gw_on_set_level(struct gateway* gw, struct jrpc_msg* m) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "level"))) {
    session_error(gw->s, m->id, JRPC_INVALID_PARAMS,
                  "params.level must be a string");
    return;
  }
  /* LOG-1: now, after restarts (backend.c) and to servers added later. */
  cJSON_Delete(gw->log_level);
  gw->log_level = cJSON_Duplicate(params, 1);
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_set_log_level(gb->b, params);
  }
  session_send_take(gw->s, jrpc_make_result(m->id, cJSON_CreateObject()));
}

void gw_on_request(void* ctx, struct jrpc_msg* m) {
  struct gateway* gw = ctx;
  const char* method = m->method;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if (strcmp(method, gw_list_method[k]) == 0) {
      gw_on_list_request(gw, m, (enum backend_list)k);
      return;
    }
  }
  if (strcmp(method, "tools/call") == 0)
    gw_route_named(gw, m, gw->tools, "tool", true);
  else if (strcmp(method, "prompts/get") == 0)
    gw_route_named(gw, m, gw->prompts, "prompt", true);
  else if (strcmp(method, "resources/read") == 0)
    gw_route_uri(gw, m, false);
  else if (strcmp(method, "resources/subscribe") == 0 ||
           strcmp(method, "resources/unsubscribe") == 0)
    gw_route_uri(gw, m, true);
  else if (strcmp(method, "completion/complete") == 0)
    gw_route_completion(gw, m);
  else if (strcmp(method, "logging/setLevel") == 0)
    gw_on_set_level(gw, m);
  else {
    char* msg = xasprintf("Method not found: %s", method);
    session_error(gw->s, m->id, JRPC_METHOD_NOT_FOUND, msg);
    free(msg);
  }
}

static void gw_broadcast(struct gateway* gw, const cJSON* msg) {
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_forward_notification(gb->b, cJSON_Duplicate(msg, 1));
  }
}

void gw_on_notification(void* ctx, struct jrpc_msg* m) {
  struct gateway* gw = ctx;
  if (strcmp(m->method, "notifications/cancelled") == 0)
    gw_drop_held(gw, cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(m->root, "params"),
                         "requestId"));
  if (strcmp(m->method, "notifications/cancelled") == 0 ||
      strcmp(m->method, "notifications/roots/list_changed") == 0) {
    /* The owner of a cancelled request finds it by the client's id (CAN-1);
     * the others ignore it. Roots changes go to everyone (section 4.9). */
    gw_broadcast(gw, m->root);
    return;
  }
  log_debug("dropped client notification %s", m->method);
}
