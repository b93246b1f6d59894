/* gateway_route.c - the client's messages in gateway mode. See
 * gateway_int.h. */
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
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    len += strlen(gb->sc.name) + 2;
  char* out = xmalloc(len);
  out[0] = '\0';
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next) {
    if (out[0] != '\0')
      strcat(out, ", ");
    strcat(out, gb->sc.name);
  }
  return out;
}

static void gw_held_timer_cb(uv_timer_t* t);

static void gw_hold(struct gateway* gw, struct jrpc_msg* m) {
  struct gw_held* h = xcalloc(1, sizeof(*h));
  h->msg = m->root;
  m->root = NULL;
  h->deadline = uv_now(gw->loop) + GW_FIRST_LIST_WAIT_MS;
  struct gw_held** pp = &gw->held;
  while (*pp != NULL) pp = &(*pp)->next;
  *pp = h;
  if (!uv_is_active((uv_handle_t*)&gw->held_timer))
    uv_timer_start(&gw->held_timer, gw_held_timer_cb, GW_FIRST_LIST_WAIT_MS, 0);
}

static void gw_route_named(struct gateway* gw,
                           struct jrpc_msg* m,
                           struct name_table* table,
                           const char* what,
                           bool hold);

/* Route held calls again; with expire, the ones past their deadline are
 * answered "unknown" whatever the state. */
void gw_release_held(struct gateway* gw, bool expire) {
  uint64_t now = uv_now(gw->loop);
  struct gw_held* list = gw->held;
  gw->held = NULL;
  uv_timer_stop(&gw->held_timer);
  while (list != NULL) {
    struct gw_held* h = list;
    list = h->next;
    bool last_chance = gw_all_listed(gw) || (expire && now >= h->deadline);
    if (!last_chance) {
      h->next = gw->held;
      gw->held = h;
      continue;
    }
    struct jrpc_msg m;
    memset(&m, 0, sizeof(m));
    m.root = h->msg;
    m.id = cJSON_GetObjectItemCaseSensitive(h->msg, "id");
    const cJSON* method = cJSON_GetObjectItemCaseSensitive(h->msg, "method");
    bool tool = strcmp(method->valuestring, "tools/call") == 0;
    gw_route_named(gw, &m, tool ? gw->tools : gw->prompts,
                   tool ? "tool" : "prompt", false);
    cJSON_Delete(m.root);
    free(h);
  }
  if (gw->held != NULL) {
    uint64_t d = gw->held->deadline;
    uv_timer_start(&gw->held_timer, gw_held_timer_cb, d > now ? d - now : 0, 0);
  }
}

static void gw_held_timer_cb(uv_timer_t* t) {
  gw_release_held(t->data, true);
}

/* The client cancelled a call that is still held (CAN-1): forget it; no
 * answer. */
static void gw_drop_held(struct gateway* gw, const cJSON* rid) {
  if (rid == NULL)
    return;
  for (struct gw_held** pp = &gw->held; *pp != NULL; pp = &(*pp)->next) {
    const cJSON* id = cJSON_GetObjectItemCaseSensitive((*pp)->msg, "id");
    if (id != NULL && jrpc_id_equal(id, rid)) {
      struct gw_held* h = *pp;
      *pp = h->next;
      cJSON_Delete(h->msg);
      free(h);
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
    client_error(gw->client, m->id, JRPC_INVALID_PARAMS, msg);
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
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next) {
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
    client_error(gw->client, m->id, JRPC_INVALID_PARAMS,
                 "params.uri must be a string");
    return;
  }
  struct gw_backend* gb = gw_uri_owner(gw, uri->valuestring);
  if (gb == NULL) { /* RES-3 */
    cJSON* data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "uri", uri->valuestring);
    client_send_take(gw->client, jrpc_make_error(m->id, JRPC_RESOURCE_NOT_FOUND,
                                                 "Resource not found", data));
    return;
  }
  if (subscription &&
      !backend_has_capability(gb->b, "resources", "subscribe")) { /* RES-5 */
    char* msg = xasprintf(
        "Server '%s' does not support resource "
        "subscriptions",
        gb->sc.name);
    client_error(gw->client, m->id, JRPC_METHOD_NOT_FOUND, msg);
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
    client_send_take(gw->client, jrpc_make_result(m->id, result));
    return;
  }
  backend_forward_request(gb->b, m->root);
  m->root = NULL;
}

/* GW-2: mcpmon's own answer, at once, with a fixed superset. */
static void gw_on_initialize(struct gateway* gw, struct jrpc_msg* m) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (!gw->initialized) {
    if (!cJSON_IsObject(params)) {
      client_error(gw->client, m->id, JRPC_INVALID_PARAMS,
                   "initialize needs params (protocolVersion, capabilities, "
                   "clientInfo)");
      return;
    }
    static const char* supported[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                      "2024-11-05"};
    const cJSON* pv =
        cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    const char* version = supported[0];
    for (size_t i = 0; i < ARRAY_LEN(supported); i++)
      if (cJSON_IsString(pv) && strcmp(pv->valuestring, supported[i]) == 0)
        version = supported[i];
    gw->protocol = xstrdup(version);
    client_set_protocol(gw->client, version);
    gw->init_params = cJSON_Duplicate(params, 1);
    gw->initialized = true;
    for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
      if (gb->b != NULL)
        backend_set_init_params(gb->b, gw->init_params); /* GW-1 */
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
  client_send_take(gw->client, jrpc_make_result(m->id, result));
}

static void gw_on_set_level(struct gateway* gw, struct jrpc_msg* m) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "level"))) {
    client_error(gw->client, m->id, JRPC_INVALID_PARAMS,
                 "params.level must be a string");
    return;
  }
  /* LOG-1: now, after restarts (backend.c) and to servers added later. */
  cJSON_Delete(gw->log_level);
  gw->log_level = cJSON_Duplicate(params, 1);
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    if (gb->b != NULL)
      backend_set_log_level(gb->b, params);
  client_send_take(gw->client, jrpc_make_result(m->id, cJSON_CreateObject()));
}

static void gw_on_request(struct gateway* gw, struct jrpc_msg* m) {
  const char* method = m->method;
  if (strcmp(method, "initialize") == 0) {
    gw_on_initialize(gw, m);
    return;
  }
  if (!gw->initialized) { /* VER-1 */
    client_error(gw->client, m->id, JRPC_METHOD_NOT_FOUND,
                 "Method not found: the session is not initialized yet");
    return;
  }
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
    client_error(gw->client, m->id, JRPC_METHOD_NOT_FOUND, msg);
    free(msg);
  }
}

static void gw_broadcast(struct gateway* gw, const cJSON* msg) {
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    if (gb->b != NULL)
      backend_forward_notification(gb->b, cJSON_Duplicate(msg, 1));
}

void gw_on_client_message(void* ctx, struct jrpc_msg* m) {
  struct gateway* gw = ctx;
  if (m->kind == JRPC_REQUEST) {
    gw_on_request(gw, m);
    return;
  }
  if (!gw->initialized || strcmp(m->method, "notifications/initialized") == 0)
    return; /* GW-4: each backend gets its own */
  if (strcmp(m->method, "notifications/progress") == 0) { /* PROG-2 */
    const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
    uint64_t generation = 0;
    struct backend* b = client_progress_owner(
        gw->client, cJSON_GetObjectItemCaseSensitive(params, "progressToken"),
        &generation);
    if (b != NULL) {
      backend_send_response(b, m->root, generation);
      m->root = NULL;
    } else {
      log_debug("dropped client progress for an unknown token");
    }
    return;
  }
  if (strcmp(m->method, "notifications/cancelled") == 0)
    gw_drop_held(gw, cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(m->root, "params"),
                         "requestId"));
  if (strcmp(m->method, "notifications/cancelled") == 0 ||
      strcmp(m->method, "notifications/roots/list_changed") == 0) {
    /* The owner of a cancelled request finds it by the client's id (CAN-1);
     * the others ignore it. Roots changes go to everyone (§4.9). */
    gw_broadcast(gw, m->root);
    return;
  }
  log_debug("dropped client notification %s", m->method);
}

void gw_on_client_gone(void* ctx, const char* why) {
  gateway_shutdown(ctx, why);
}
