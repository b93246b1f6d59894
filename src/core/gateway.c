/* gateway.c - see gateway.h. Cited rules are in docs/mcp-protocol.md. */
#include "core/gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"
#include "core/client.h"
#include "core/jsonrpc.h"
#include "core/log.h"
#include "core/names.h"
#include "core/util.h"
#include "core/watcher.h"

#define GW_FIRST_LIST_WAIT_MS 10000u /* PAG-4 */
#define GW_CONFIG_DELAY_MS 100u
/* NAME-5: Claude Code exposes mcp__<key>__<name> within 64 characters and
 * Cursor drops <key><name> over 60; with the key "mcpmon" that leaves: */
#define GW_CLAUDE_BUDGET 51u
#define GW_CURSOR_BUDGET 54u

struct gw_backend {
  struct gateway* gw;
  struct server_config sc; /* owned copy */
  struct backend* b;       /* NULL when disabled */
  struct watcher* w;
  bool listed;             /* its lists arrived at least once */
  bool announce;           /* replaces a changed server: list_changed is
                              owed even if it never lists (GW-5) */
  struct gw_backend* next;
};

/* A template and who owns it (RES-1). */
struct gw_template {
  char* tpl;
  struct gw_backend* owner;
};

/* A list request that waits for backends still starting (PAG-4). */
struct gw_waiting {
  cJSON* id;
  enum backend_list kind;
  struct gw_waiting* next;
};

/* A call for a name no list has yet, while a backend is still starting:
 * routed again when lists arrive, or answered "unknown" at the deadline. */
struct gw_held {
  cJSON* msg;
  uint64_t deadline;
  struct gw_held* next;
};

struct gateway {
  uv_loop_t* loop;
  struct gateway_hooks hooks;
  struct mcpmon_config cfg;  /* servers here are not used; see backends */
  struct client* client;
  struct gw_backend* backends; /* config order */
  struct gw_backend* retiring; /* removed, still stopping */
  struct watcher* config_watcher;
  char* separator;

  cJSON* init_params;
  cJSON* log_level;     /* the client's last logging/setLevel params */
  char* protocol;
  bool initialized;
  bool listed_tools;    /* the client has called tools/list */
  bool relist_pending;
  bool settled;         /* first-list wait is over */
  uv_timer_t settle_timer;
  struct gw_waiting* waiting;
  uv_timer_t held_timer;
  struct gw_held* held;

  struct name_table* tools;     /* exposed -> (gw_backend, original) */
  struct name_table* prompts;
  struct name_table* resources; /* uri -> (gw_backend, uri) */
  struct name_table* warned;    /* NAME-5 warnings given */
  struct gw_template* templates;
  size_t ntemplates;
  cJSON* merged[BACKEND_LIST_KINDS];

  bool shutting_down;
  int open;  /* handles and sub-objects still closing */
};

static const char* gw_list_method[BACKEND_LIST_KINDS] = {
    "tools/list", "prompts/list", "resources/list",
    "resources/templates/list"};
static const char* gw_list_key[BACKEND_LIST_KINDS] = {
    "tools", "prompts", "resources", "resourceTemplates"};

static void gw_send_list_changed(struct gateway* gw, unsigned mask,
                                 struct backend* why);
static void gw_add_backend(struct gateway* gw, const struct server_config* sc,
                           struct gw_backend** link, bool announce);

/* ---- the merged view ---------------------------------------------------- */

static void gw_clear_merged(struct gateway* gw) {
  name_table_clear(gw->tools);
  name_table_clear(gw->prompts);
  name_table_clear(gw->resources);
  for (size_t i = 0; i < gw->ntemplates; i++)
    free(gw->templates[i].tpl);
  free(gw->templates);
  gw->templates = NULL;
  gw->ntemplates = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    cJSON_Delete(gw->merged[k]);
    gw->merged[k] = cJSON_CreateArray();
  }
}

/* NAME-2: exposed (taken by other's tool or prompt) also names original of
 * gb: pick a deterministic variant that is free, add it to table, warn
 * once naming both servers and the fix, and write it into exposed.
 * Returns false (logged) only when no variant is free. */
static bool gw_disambiguate(struct gateway* gw, struct gw_backend* gb,
                            enum backend_list kind, struct name_table* table,
                            const char* original, struct gw_backend* o,
                            char* exposed) {
  const char* what = kind == BACKEND_LIST_TOOLS ? "Tool" : "Prompt";
  const char* o_name = NULL;
  name_table_find(table, exposed, NULL, &o_name);
  char alt[NAMES_MAX + 1];
  bool found = false;
  for (int i = 0; i < 100 && !found; i++) {
    /* Salted with the server and the original name, so that two names
     * of one server that sanitize alike get different variants. */
    char* salt = xasprintf("%s\x1f%s\x1f%d", gb->sc.name, original, i);
    names_disambiguate(exposed, salt, alt);
    free(salt);
    found = name_table_add(table, alt, gb, original, NULL) == 0;
  }
  if (!found) {
    log_error("%s '%s' of server '%s' maps to '%s', which is taken, and "
              "no variant is free; it is left out. Rename it.",
              what, original, gb->sc.name, exposed);
    return false;
  }
  char* key = xasprintf("\x01collision %s %s", gb->sc.name, alt);
  if (!name_table_find(gw->warned, key, NULL, NULL)) {
    name_table_add(gw->warned, key, NULL, "", NULL);
    log_warn("%s name collision: '%s' of server '%s' and '%s' of server "
             "'%s' both map to '%s'; the one of '%s' is exposed as '%s'. "
             "Rename one of them, or one of the servers in %s, to fix "
             "this.",
             what, o_name ? o_name : exposed, o ? o->sc.name : "?", original,
             gb->sc.name, exposed, gb->sc.name, alt,
             gw->cfg.config_path ? gw->cfg.config_path : "the config");
  }
  free(key);
  memcpy(exposed, alt, strlen(alt) + 1);
  return true;
}

/* Tools or prompts of one backend, renamed (NAME-1, NAME-2, PR-1). */
static void gw_merge_named(struct gateway* gw, struct gw_backend* gb,
                           enum backend_list kind, struct name_table* table) {
  const cJSON* item;
  cJSON_ArrayForEach(item, backend_list(gb->b, kind)) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
    if (!cJSON_IsString(name))
      continue;
    char exposed[NAMES_MAX + 1];
    names_expose(gb->sc.name, gw->separator, name->valuestring, exposed);
    void* other = NULL;
    if (name_table_add(table, exposed, gb, name->valuestring, &other) != 0 &&
        !gw_disambiguate(gw, gb, kind, table, name->valuestring, other,
                         exposed))
      continue;
    size_t len = strlen(exposed);
    if (kind == BACKEND_LIST_TOOLS && len > GW_CLAUDE_BUDGET &&
        !name_table_find(gw->warned, exposed, NULL, NULL)) {
      name_table_add(gw->warned, exposed, NULL, "", NULL);
      log_warn("Tool name '%s' is %zu characters: with a client key "
               "'mcpmon', Claude Code allows %u and Cursor %u (it drops "
               "longer tools silently). Use a shorter server name in the "
               "config.",
               exposed, len, GW_CLAUDE_BUDGET, GW_CURSOR_BUDGET);
    }
    cJSON* copy = cJSON_Duplicate(item, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "name",
                                           cJSON_CreateString(exposed));
    cJSON_AddItemToArray(gw->merged[kind], copy);
  }
}

/* Resources and templates: URIs untouched, first owner wins (RES-2). */
static void gw_merge_uris(struct gateway* gw, struct gw_backend* gb,
                          enum backend_list kind) {
  const char* key = kind == BACKEND_LIST_RESOURCES ? "uri" : "uriTemplate";
  const cJSON* item;
  cJSON_ArrayForEach(item, backend_list(gb->b, kind)) {
    const cJSON* uri = cJSON_GetObjectItemCaseSensitive(item, key);
    if (!cJSON_IsString(uri))
      continue;
    struct gw_backend* owner = NULL;
    if (kind == BACKEND_LIST_RESOURCES) {
      void* o = NULL;
      if (name_table_add(gw->resources, uri->valuestring, gb, uri->valuestring,
                         &o) != 0)
        owner = o;
    } else {
      for (size_t i = 0; i < gw->ntemplates; i++)
        if (strcmp(gw->templates[i].tpl, uri->valuestring) == 0)
          owner = gw->templates[i].owner;
      if (owner == NULL) {
        gw->templates = xrealloc(gw->templates,
                                 (gw->ntemplates + 1) * sizeof(*gw->templates));
        gw->templates[gw->ntemplates].tpl = xstrdup(uri->valuestring);
        gw->templates[gw->ntemplates].owner = gb;
        gw->ntemplates++;
      }
    }
    if (owner != NULL) {
      if (owner != gb)
        log_warn("Resource %s '%s' is served by '%s' and '%s'; '%s' (first "
                 "in the config) serves it",
                 kind == BACKEND_LIST_RESOURCES ? "URI" : "template",
                 uri->valuestring, owner->sc.name, gb->sc.name,
                 owner->sc.name);
      continue;
    }
    cJSON_AddItemToArray(gw->merged[kind], cJSON_Duplicate(item, 1));
  }
}

static void gw_rebuild(struct gateway* gw) {
  gw_clear_merged(gw);
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next) {
    if (gb->b == NULL)
      continue;
    gw_merge_named(gw, gb, BACKEND_LIST_TOOLS, gw->tools);
    gw_merge_named(gw, gb, BACKEND_LIST_PROMPTS, gw->prompts);
    gw_merge_uris(gw, gb, BACKEND_LIST_RESOURCES);
    gw_merge_uris(gw, gb, BACKEND_LIST_TEMPLATES);
  }
}

/* ---- answering list requests --------------------------------------------- */

static void gw_answer_list(struct gateway* gw, const cJSON* id,
                           enum backend_list kind) {
  cJSON* result = cJSON_CreateObject();
  cJSON_AddItemToObject(result, gw_list_key[kind],
                        cJSON_Duplicate(gw->merged[kind], 1));
  client_send_take(gw->client, jrpc_make_result(id, result));
}

/* True once every enabled backend has listed or cannot (PAG-4). A backend
 * that crashed before its first lists is not waited for through its
 * backoff: one broken server must not stall the client; it is announced
 * with list_changed if it comes up later. */
static bool gw_all_listed(const struct gateway* gw) {
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next) {
    if (gb->b == NULL || gb->listed)
      continue;
    enum backend_state s = backend_state(gb->b);
    if (s != BACKEND_WAITING && s != BACKEND_STOPPED &&
        s != BACKEND_STOPPING && s != BACKEND_CRASHED)
      return false;
  }
  return true;
}

static void gw_settle(struct gateway* gw) {
  if (gw->settled)
    return;
  gw->settled = true;
  uv_timer_stop(&gw->settle_timer);
  while (gw->waiting != NULL) {
    struct gw_waiting* w = gw->waiting;
    gw->waiting = w->next;
    gw_answer_list(gw, w->id, w->kind);
    cJSON_Delete(w->id);
    free(w);
  }
}

static void gw_settle_timeout(uv_timer_t* t) {
  struct gateway* gw = t->data;
  log_msg(LL_VERBOSE, NULL, 0,
          "Answering the first list without the servers still starting");
  gw_settle(gw);
}

static void gw_on_list_request(struct gateway* gw, struct jrpc_msg* m,
                               enum backend_list kind) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (cJSON_GetObjectItemCaseSensitive(params, "cursor") != NULL) {
    client_error(gw->client, m->id, JRPC_INVALID_PARAMS,
                 "Invalid cursor: mcpmon returns every item on one page");
    return;
  }
  if (kind == BACKEND_LIST_TOOLS) {
    gw->listed_tools = true;
    if (gw->relist_pending) {
      gw->relist_pending = false;
      if (gw->hooks.list_changed != NULL)
        gw->hooks.list_changed(gw->hooks.ctx, NULL, true);
    }
  }
  if (!gw->settled && gw_all_listed(gw))
    gw_settle(gw);
  if (gw->settled) {
    gw_answer_list(gw, m->id, kind);
    return;
  }
  struct gw_waiting* w = xcalloc(1, sizeof(*w));
  w->id = cJSON_Duplicate(m->id, 1);
  w->kind = kind;
  struct gw_waiting** pp = &gw->waiting;
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = w;
  if (!uv_is_active((uv_handle_t*)&gw->settle_timer))
    uv_timer_start(&gw->settle_timer, gw_settle_timeout,
                   GW_FIRST_LIST_WAIT_MS, 0);
}

/* ---- routing requests ------------------------------------------------------ */

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
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = h;
  if (!uv_is_active((uv_handle_t*)&gw->held_timer))
    uv_timer_start(&gw->held_timer, gw_held_timer_cb, GW_FIRST_LIST_WAIT_MS,
                   0);
}

static void gw_route_named(struct gateway* gw, struct jrpc_msg* m,
                           struct name_table* table, const char* what,
                           bool hold);

/* Route held calls again; with expire, the ones past their deadline are
 * answered "unknown" whatever the state. */
static void gw_release_held(struct gateway* gw, bool expire) {
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
    uv_timer_start(&gw->held_timer, gw_held_timer_cb, d > now ? d - now : 0,
                   0);
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
static void gw_route_named(struct gateway* gw, struct jrpc_msg* m,
                           struct name_table* table, const char* what,
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
    char* msg = xasprintf("Unknown %s: %s (servers: %s)", what,
                          cJSON_IsString(name) ? name->valuestring : "(none)",
                          servers);
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
static bool gw_template_match_at(const char* tpl, const char* uri,
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

static void gw_route_uri(struct gateway* gw, struct jrpc_msg* m,
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
    client_send_take(gw->client,
                     jrpc_make_error(m->id, JRPC_RESOURCE_NOT_FOUND,
                                     "Resource not found", data));
    return;
  }
  if (subscription && !backend_has_capability(gb->b, "resources",
                                               "subscribe")) { /* RES-5 */
    char* msg = xasprintf("Server '%s' does not support resource "
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
    static const char* supported[] = {"2025-11-25", "2025-06-18",
                                      "2025-03-26", "2024-11-05"};
    const cJSON* pv = cJSON_GetObjectItemCaseSensitive(params,
                                                       "protocolVersion");
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
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "tools"),
                        "listChanged");
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

static void gw_on_client_message(void* ctx, struct jrpc_msg* m) {
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

static void gw_on_client_gone(void* ctx, const char* why) {
  gateway_shutdown(ctx, why);
}

/* ---- events from backends ------------------------------------------------ */

static struct gw_backend* gw_find(struct gateway* gw, const struct backend* b) {
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    if (gb->b == b)
      return gb;
  for (struct gw_backend* gb = gw->retiring; gb != NULL; gb = gb->next)
    if (gb->b == b)
      return gb;
  return NULL;
}

static void gw_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  struct gateway* gw = ctx;
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  if (cJSON_IsString(method)) {
    const char* mth = method->valuestring;
    if (strstr(mth, "/list_changed") != NULL) {
      cJSON_Delete(msg); /* the merged one follows the refresh (GW-5) */
      return;
    }
    if (strcmp(mth, "notifications/cancelled") == 0 &&
        !client_translate_cancelled(gw->client, b, msg)) { /* CAN-2 */
      log_debug("dropped a cancellation of %s for an unknown request",
                backend_name(b));
      cJSON_Delete(msg);
      return;
    }
    if (strcmp(mth, "notifications/message") == 0) { /* LOG-2 */
      cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
      const cJSON* logger = cJSON_GetObjectItemCaseSensitive(params, "logger");
      char* l = cJSON_IsString(logger)
                    ? xasprintf("%s/%s", backend_name(b), logger->valuestring)
                    : xstrdup(backend_name(b));
      if (cJSON_IsObject(params)) {
        cJSON_DeleteItemFromObjectCaseSensitive(params, "logger");
        cJSON_AddStringToObject(params, "logger", l);
      }
      free(l);
    }
  }
  client_send_take(gw->client, msg);
}

static void gw_ev_server_request(struct backend* b, void* ctx, cJSON* msg,
                                 uint64_t generation) {
  struct gateway* gw = ctx;
  client_relay_request(gw->client, b, msg, generation);
}

static void gw_ev_initialized(struct backend* b, void* ctx, bool first) {
  (void)b;
  (void)ctx;
  (void)first;
}

static void gw_ev_restarted(struct backend* b, void* ctx) {
  (void)b;
  (void)ctx; /* list_changed follows the refreshed lists (gw_ev_lists) */
}

static void gw_ev_process_gone(struct backend* b, void* ctx,
                               uint64_t generation) {
  struct gateway* gw = ctx;
  client_cancel_relayed(gw->client, b, generation);
}

static void gw_ev_lists(struct backend* b, void* ctx, unsigned changed) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find(gw, b);
  if (gb == NULL)
    return;
  bool first = !gb->listed;
  bool was_settled = gw->settled;
  gb->listed = true;
  if (gb->announce) {
    gb->announce = false;
    changed |= 1u << BACKEND_LIST_TOOLS;
  }
  gw_rebuild(gw);
  if (!gw->settled && gw_all_listed(gw))
    gw_settle(gw);
  if (gw->held != NULL)
    gw_release_held(gw, false);
  /* No news for a client that has not listed yet, or whose waiting first
   * list (PAG-4) was just answered with this backend in it. */
  if (changed != 0 && !(first && (!gw->listed_tools || !was_settled)))
    gw_send_list_changed(gw, changed, b);
}

static void gw_free_backend(struct gw_backend* gb) {
  backend_free(gb->b);
  server_config_free(&gb->sc);
  free(gb);
}

static void gw_maybe_closed(struct gateway* gw);

static void gw_ev_stopped(struct backend* b, void* ctx) {
  struct gateway* gw = ctx;
  for (struct gw_backend** pp = &gw->retiring; *pp != NULL;
       pp = &(*pp)->next) {
    if ((*pp)->b != b)
      continue;
    struct gw_backend* gb = *pp;
    *pp = gb->next;
    client_cancel_relayed(gw->client, b, 0);
    if (gw->hooks.backend_removed != NULL)
      gw->hooks.backend_removed(gw->hooks.ctx, b);
    gw_free_backend(gb);
    break;
  }
  gw_maybe_closed(gw);
}

static void gw_ev_state(struct backend* b, void* ctx) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find(gw, b);
  if (gb != NULL && gb->announce && backend_state(b) == BACKEND_WAITING) {
    /* A changed server that cannot start: its old names are gone. */
    gb->announce = false;
    if (gw->listed_tools)
      gw_send_list_changed(gw, ~0u, b);
  }
  if (!gw->settled && gw->waiting != NULL && gw_all_listed(gw))
    gw_settle(gw);
  if (gw->held != NULL && gw_all_listed(gw))
    gw_release_held(gw, false);
}

static const struct backend_events gw_backend_events = {
    .on_message = gw_ev_message,
    .on_server_request = gw_ev_server_request,
    .on_initialized = gw_ev_initialized,
    .on_restarted = gw_ev_restarted,
    .on_process_gone = gw_ev_process_gone,
    .on_stopped = gw_ev_stopped,
    .on_state = gw_ev_state,
    .on_lists = gw_ev_lists,
};

/* GW-5: one notification per kind that changed. */
static void gw_send_list_changed(struct gateway* gw, unsigned mask,
                                 struct backend* why) {
  if (!gw->initialized || gw->shutting_down)
    return;
  static const struct {
    unsigned bits;
    const char* method;
  } kinds[] = {
      {1u << BACKEND_LIST_TOOLS, "notifications/tools/list_changed"},
      {1u << BACKEND_LIST_PROMPTS, "notifications/prompts/list_changed"},
      {(1u << BACKEND_LIST_RESOURCES) | (1u << BACKEND_LIST_TEMPLATES),
       "notifications/resources/list_changed"},
  };
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    if ((mask & kinds[i].bits) == 0)
      continue;
    client_send_take(gw->client,
                     jrpc_make_notification(kinds[i].method, NULL));
    log_msg(LL_INFO, NULL, 0, "Sent %s", kinds[i].method + 14);
  }
  if (mask & (1u << BACKEND_LIST_TOOLS)) {
    gw->relist_pending = true;
    if (gw->hooks.list_changed != NULL)
      gw->hooks.list_changed(gw->hooks.ctx, why, false);
  }
}

/* ---- backends and their watchers ------------------------------------------ */

static void gw_on_changes(void* ctx, const struct watcher_change* ch,
                          size_t n) {
  struct gw_backend* gb = ctx;
  if (gb->gw->shutting_down || n == 0 || gb->b == NULL)
    return;
  static const char* words[] = {"added", "modified", "removed"};
  if (n > 1 && log_enabled(LL_VERBOSE)) {
    for (size_t i = 0; i < n; i++)
      log_msg(LL_VERBOSE, gb->sc.name, 0, "File %s: %s", words[ch[i].kind],
              ch[i].path);
  } else if (n > 1) {
    log_msg(LL_INFO, gb->sc.name, 0, "File %s: %s (and %zu more)",
            words[ch[0].kind], ch[0].path, n - 1);
  } else {
    log_msg(LL_INFO, gb->sc.name, 0, "File %s: %s", words[ch[0].kind],
            ch[0].path);
  }
  const char* base = strrchr(ch[0].path, '/');
  backend_restart(gb->b, base ? base + 1 : ch[0].path);
}

static void gw_add_backend(struct gateway* gw, const struct server_config* sc,
                           struct gw_backend** link, bool announce) {
  struct gw_backend* gb = xcalloc(1, sizeof(*gb));
  gb->gw = gw;
  gb->announce = announce;
  server_config_copy(&gb->sc, sc);
  gb->next = *link;
  *link = gb;
  if (!sc->enabled) {
    log_msg(LL_INFO, sc->name, 0, "Disabled in the config; not started");
    return;
  }
  struct backend_options bo = {
      .server = &gb->sc,
      .max_line = gw->cfg.max_line,
      .queue_timeout_ms = gw->cfg.queue_timeout_ms,
      .gateway = true,
  };
  gb->b = backend_new(gw->loop, &bo, &gw_backend_events, gw);
  watcher_start_server(gw->loop, &gb->sc, gw->cfg.log_file, gb->sc.name,
                       gw_on_changes, gb, &gb->w);
  if (gw->hooks.backend_added != NULL)
    gw->hooks.backend_added(gw->hooks.ctx, gb->b);
  if (gw->init_params != NULL)
    backend_set_init_params(gb->b, gw->init_params);
  if (gw->log_level != NULL)
    backend_set_log_level(gb->b, gw->log_level); /* LOG-1 */
  backend_start(gb->b);
}

/* Take gb out of the live list and stop it (GW-5). */
static void gw_retire(struct gateway* gw, struct gw_backend* gb) {
  if (gb->w != NULL) {
    watcher_close(gb->w);
    gb->w = NULL;
  }
  if (gb->b == NULL) {
    server_config_free(&gb->sc);
    free(gb);
    return;
  }
  gb->next = gw->retiring;
  gw->retiring = gb;
  backend_remove(gb->b);
}

/* ---- the config file ----------------------------------------------------- */

static struct gw_backend* gw_take(struct gw_backend** list, const char* name) {
  for (struct gw_backend** pp = list; *pp != NULL; pp = &(*pp)->next) {
    if (strcmp((*pp)->sc.name, name) == 0) {
      struct gw_backend* gb = *pp;
      *pp = gb->next;
      gb->next = NULL;
      return gb;
    }
  }
  return NULL;
}

static void gw_apply_config(struct gateway* gw, struct mcpmon_config* next) {
  struct gw_backend* old = gw->backends;
  gw->backends = NULL;
  struct gw_backend** tail = &gw->backends;
  unsigned added = 0, changed = 0, removed = 0, gone = 0;
  bool sep_changed = strcmp(gw->separator, next->separator) != 0;
  for (size_t i = 0; i < next->nservers; i++) {
    const struct server_config* sc = &next->servers[i];
    struct gw_backend* gb = gw_take(&old, sc->name);
    if (gb != NULL && server_config_equal(&gb->sc, sc)) {
      *tail = gb; /* untouched: keeps running */
      tail = &gb->next;
      continue;
    }
    if (gb != NULL) {
      log_msg(LL_INFO, sc->name, 0, "Configuration changed; restarting");
      gw_retire(gw, gb);
      changed++;
      if (!sc->enabled)
        gone++; /* no replacement will announce itself */
    } else {
      log_msg(LL_INFO, sc->name, 0, "Added to the configuration");
      added++;
    }
    /* A replacement owes a list_changed: its old names vanished. */
    gw_add_backend(gw, sc, tail, gb != NULL && sc->enabled);
    tail = &(*tail)->next;
  }
  while (old != NULL) {
    struct gw_backend* gb = old;
    old = gb->next;
    log_msg(LL_INFO, gb->sc.name, 0, "Removed from the configuration");
    gw_retire(gw, gb);
    removed++;
    gone++;
  }
  free(gw->separator);
  gw->separator = xstrdup(next->separator);
  log_msg(LL_INFO, NULL, 0,
          "Configuration reloaded: %u added, %u changed, %u removed", added,
          changed, removed);
  if (added + changed + removed == 0 && !sep_changed)
    return;
  cJSON* before[BACKEND_LIST_KINDS];
  for (int k = 0; k < BACKEND_LIST_KINDS; k++)
    before[k] = cJSON_Duplicate(gw->merged[k], 1);
  gw_rebuild(gw);
  /* GW-5: one notification per kind that changed, now only for what
   * vanished or was renamed: the tools of added and restarted servers are
   * announced once their lists arrive (gw_ev_lists), or when they cannot
   * start (gw_ev_state). */
  unsigned mask = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if (!cJSON_Compare(before[k], gw->merged[k], 1))
      mask |= 1u << k;
    cJSON_Delete(before[k]);
  }
  if (gone == 0 && !sep_changed)
    mask = 0;
  if (gw->listed_tools && mask != 0)
    gw_send_list_changed(gw, mask, NULL);
}

static void gw_on_config_change(void* ctx, const struct watcher_change* ch,
                                size_t n) {
  struct gateway* gw = ctx;
  (void)ch;
  (void)n;
  if (gw->shutting_down)
    return;
  struct mcpmon_config next;
  config_init(&next);
  struct config_error err;
  if (config_load_yaml(gw->cfg.config_path, &next, &err) != 0) {
    char text[1200];
    config_error_format(&err, text, sizeof(text));
    log_error("%s", text);
    log_error("The config file has an error; still serving the last good "
              "configuration");
    config_free(&next);
    return;
  }
  gw_apply_config(gw, &next);
  config_free(&next);
}

/* ---- lifecycle ------------------------------------------------------------ */

struct gateway* gateway_new(uv_loop_t* loop,
                            const struct mcpmon_config* cfg,
                            const struct gateway_hooks* hooks,
                            char* err,
                            size_t errlen) {
  struct gateway* gw = xcalloc(1, sizeof(*gw));
  gw->loop = loop;
  gw->hooks = *hooks;
  gw->cfg = *cfg; /* borrowed scalars and strings; servers copied below */
  gw->cfg.servers = NULL;
  gw->cfg.nservers = 0;
  gw->separator = xstrdup(cfg->separator ? cfg->separator : "__");
  struct client_handlers ch = {gw_on_client_message, gw_on_client_gone};
  gw->client = client_new(loop, cfg->max_line, &ch, gw, err, errlen);
  if (gw->client == NULL) {
    free(gw->separator);
    free(gw);
    return NULL;
  }
  gw->tools = name_table_new();
  gw->prompts = name_table_new();
  gw->resources = name_table_new();
  gw->warned = name_table_new();
  uv_timer_init(loop, &gw->settle_timer);
  gw->settle_timer.data = gw;
  uv_timer_init(loop, &gw->held_timer);
  gw->held_timer.data = gw;
  struct gw_backend** tail = &gw->backends;
  for (size_t i = 0; i < cfg->nservers; i++) {
    gw_add_backend(gw, &cfg->servers[i], tail, false);
    tail = &(*tail)->next;
  }
  gw_rebuild(gw);
  return gw;
}

void gateway_start(struct gateway* gw) {
  if (gw->cfg.config_path != NULL) {
    struct server_config sc;
    server_config_init(&sc);
    strvec_push(&sc.watch, gw->cfg.config_path);
    strvec_push(&sc.exts, "*");
    sc.delay_ms = GW_CONFIG_DELAY_MS;
    struct watcher_options wo = {
        .roots = (const char* const*)sc.watch.v,
        .nroots = 1,
        .exts = (const char* const*)sc.exts.v,
        .nexts = 1,
        .delay_ms = GW_CONFIG_DELAY_MS,
    };
    char err[512];
    if (watcher_start(gw->loop, &wo, gw_on_config_change, gw,
                      &gw->config_watcher, err, sizeof(err)) != 0)
      log_warn("Cannot watch the config file: %s", err);
    server_config_free(&sc);
  }
  client_start(gw->client);
}

static void gw_client_closed(void* ctx) {
  struct gateway* gw = ctx;
  gw->client = NULL;
  gw_maybe_closed(gw);
}

static void gw_settle_closed(uv_handle_t* h) {
  struct gateway* gw = h->data;
  gw->open--;
  gw_maybe_closed(gw);
}

/* Everything stopped: close the client, then report closed. */
static void gw_maybe_closed(struct gateway* gw) {
  if (!gw->shutting_down)
    return;
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    if (gb->b != NULL && backend_state(gb->b) != BACKEND_STOPPED)
      return;
  if (gw->retiring != NULL)
    return;
  if (gw->client != NULL) {
    struct client* c = gw->client;
    if (gw->open == 0) {
      gw->open = -1; /* closing started */
      client_close(c, gw_client_closed, gw);
    }
    return;
  }
  if (gw->open == -1) {
    gw->open = 2;
    uv_close((uv_handle_t*)&gw->settle_timer, gw_settle_closed);
    uv_close((uv_handle_t*)&gw->held_timer, gw_settle_closed);
    return;
  }
  if (gw->open != 0)
    return;
  /* Free everything. */
  while (gw->backends != NULL) {
    struct gw_backend* gb = gw->backends;
    gw->backends = gb->next;
    if (gb->b != NULL && gw->hooks.backend_removed != NULL)
      gw->hooks.backend_removed(gw->hooks.ctx, gb->b);
    gw_free_backend(gb);
  }
  gw_clear_merged(gw);
  for (int k = 0; k < BACKEND_LIST_KINDS; k++)
    cJSON_Delete(gw->merged[k]);
  name_table_free(gw->tools);
  name_table_free(gw->prompts);
  name_table_free(gw->resources);
  name_table_free(gw->warned);
  while (gw->waiting != NULL) {
    struct gw_waiting* w = gw->waiting;
    gw->waiting = w->next;
    cJSON_Delete(w->id);
    free(w);
  }
  while (gw->held != NULL) {
    struct gw_held* h = gw->held;
    gw->held = h->next;
    cJSON_Delete(h->msg);
    free(h);
  }
  cJSON_Delete(gw->init_params);
  cJSON_Delete(gw->log_level);
  free(gw->protocol);
  free(gw->separator);
  void (*closed)(void*) = gw->hooks.closed;
  void* ctx = gw->hooks.ctx;
  free(gw);
  closed(ctx);
}

void gateway_shutdown(struct gateway* gw, const char* why) {
  if (gw->shutting_down)
    return;
  gw->shutting_down = true;
  log_msg(LL_INFO, NULL, 0, "Shutting down (%s)", why);
  client_stop_input(gw->client);
  uv_timer_stop(&gw->settle_timer);
  gw_settle(gw);             /* answer waiting lists with what is known */
  gw_release_held(gw, true); /* and held calls: unknown now */
  uv_timer_stop(&gw->held_timer);
  if (gw->config_watcher != NULL) {
    watcher_close(gw->config_watcher);
    gw->config_watcher = NULL;
  }
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next) {
    if (gb->w != NULL) {
      watcher_close(gb->w);
      gb->w = NULL;
    }
    if (gb->b != NULL)
      backend_stop(gb->b);
  }
  gw_maybe_closed(gw);
}

void gateway_kill_now(struct gateway* gw) {
  for (struct gw_backend* gb = gw->backends; gb != NULL; gb = gb->next)
    if (gb->b != NULL)
      backend_kill_now(gb->b);
  for (struct gw_backend* gb = gw->retiring; gb != NULL; gb = gb->next)
    backend_kill_now(gb->b);
}
