/* gateway.c - see gateway.h and gateway_int.h. Cited rules are in
 * docs/mcp-protocol.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"
#include "core/log.h"
#include "core/session/gateway_int.h"
#include "core/watch/watcher.h"
#include "lib/util.h"

static void gw_send_list_changed(struct gateway* gw,
                                 unsigned mask,
                                 struct backend* why);
static void gw_add_backend(struct gateway* gw,
                           const struct server_config* sc,
                           struct gw_backend** link,
                           bool announce);

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

/* Responses need no rewriting in the gateway: passed on as they come. */
static void gw_ev_response_text(struct backend* b,
                                void* ctx,
                                const uv_buf_t* pieces,
                                unsigned n,
                                char* block,
                                size_t cap) {
  struct gateway* gw = ctx;
  (void)b;
  client_send_pieces(gw->client, pieces, n, block, cap);
}

static void gw_ev_server_request(struct backend* b,
                                 void* ctx,
                                 cJSON* msg,
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

static void gw_ev_process_gone(struct backend* b,
                               void* ctx,
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
  for (struct gw_backend** pp = &gw->retiring; *pp != NULL; pp = &(*pp)->next) {
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
    .on_response_text = gw_ev_response_text,
    .on_server_request = gw_ev_server_request,
    .on_initialized = gw_ev_initialized,
    .on_restarted = gw_ev_restarted,
    .on_process_gone = gw_ev_process_gone,
    .on_stopped = gw_ev_stopped,
    .on_state = gw_ev_state,
    .on_lists = gw_ev_lists,
};

/* GW-5: one notification per kind that changed. */
static void gw_send_list_changed(struct gateway* gw,
                                 unsigned mask,
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
    client_send_take(gw->client, jrpc_make_notification(kinds[i].method, NULL));
    log_msg(LL_INFO, NULL, 0, "Sent %s", kinds[i].method + 14);
  }
  if (mask & (1u << BACKEND_LIST_TOOLS)) {
    gw->relist_pending = true;
    if (gw->hooks.list_changed != NULL)
      gw->hooks.list_changed(gw->hooks.ctx, why, false);
  }
}

/* ---- backends and their watchers ------------------------------------------
 */

static void gw_on_changes(void* ctx,
                          const struct watcher_change* ch,
                          size_t n) {
  struct gw_backend* gb = ctx;
  if (gb->gw->shutting_down || n == 0 || gb->b == NULL)
    return;
  backend_restart(gb->b, watcher_report(gb->sc.name, ch, n));
}

static void gw_add_backend(struct gateway* gw,
                           const struct server_config* sc,
                           struct gw_backend** link,
                           bool announce) {
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
static void gw_retire(struct gateway* gw,
                      struct gw_backend* gb,
                      bool replaced) {
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
  backend_remove(gb->b, replaced);
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
      gw_retire(gw, gb, sc->enabled);
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
    gw_retire(gw, gb, false);
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

static void gw_on_config_change(void* ctx,
                                const struct watcher_change* ch,
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
    log_error(
        "The config file has an error; still serving the last good "
        "configuration");
    config_free(&next);
    return;
  }
  gw_apply_config(gw, &next);
  config_free(&next);
}

/* ---- lifecycle ------------------------------------------------------------
 */

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
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) cJSON_Delete(gw->merged[k]);
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
