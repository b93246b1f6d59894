/* gateway.c - see gateway.h and gateway_int.h. Cited rules are in
 * docs/mcp-protocol.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_diff.h"
#include "config/config_yaml.h"
#include "core/log.h"
#include "core/session/gateway_int.h"
#include "core/watch/watcher.h"
#include "lib/util.h"

static void gw_maybe_closed(struct gateway* gw);

/* ---- events from backends ------------------------------------------------ */

static struct gw_backend* gw_find_in(struct gw_backend_list* list,
                                     const struct backend* b) {
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, list, link) {
    if (gb->b == b)
      return gb;
  }
  return NULL;
}

static struct gw_backend* gw_find(struct gateway* gw, const struct backend* b) {
  struct gw_backend* gb = gw_find_in(&gw->backends, b);
  return gb != NULL ? gb : gw_find_in(&gw->retiring, b);
}

/* GW-5: news of the merged lists, only once the client is initialized. */
static void gw_send_list_changed(struct gateway* gw,
                                 unsigned mask,
                                 struct backend* why) {
  if (session_init_params(gw->s) == NULL || gw->shutting_down)
    return;
  session_send_list_changed(gw->s, mask, why);
}

static bool gw_backend_notification(void* ctx,
                                    struct backend* b,
                                    struct jmsg* m) {
  struct gateway* gw = ctx;
  if (strstr(m->method, "/list_changed") != NULL)
    return false; /* the merged one follows the refresh (GW-5) */
  struct gw_backend* gb = gw_find(gw, b);
  if (gb != NULL)
    gw_task_rename_incoming(gw, gb, m); /* TASK-3 */
  if (strcmp(m->method, "notifications/message") == 0 &&
      jtext_type(m->text, m->params) == JSCAN_OBJECT) { /* LOG-2 */
    struct jspan at;
    char* logger = jtext_member(m->text, m->params, "logger", &at)
                       ? jtext_string(m->text, at, NULL)
                       : NULL;
    char* l = logger != NULL ? xasprintf("%s/%s", backend_name(b), logger)
                             : xstrdup(backend_name(b));
    if (logger != NULL) {
      jmsg_replace_string(m, at, l);
    } else {
      cJSON* str = cJSON_CreateString(l);
      size_t n;
      char* q = jrpc_serialize(str, &n);
      q[n - 1] = '\0'; /* its '\n' */
      jmsg_insert_member(m, m->params, "logger", q);
      free(q);
      cJSON_Delete(str);
    }
    free(logger);
    free(l);
  }
  return true;
}

/* A server's request for the client: its related task's id is named as
 * the client knows it (TASK-3). */
static void gw_backend_request(void* ctx, struct backend* b, struct jmsg* m) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find(gw, b);
  if (gb != NULL)
    gw_task_rename_incoming(gw, gb, m);
}

static void gw_ev_reply(struct backend* b,
                        void* ctx,
                        struct jmsg* m,
                        uint64_t cookie) {
  struct gateway* gw = ctx;
  gw_on_reply(gw, gw_find(gw, b), m, cookie);
}

static struct backend_options gw_backend_options(const struct gateway* gw,
                                                 const struct gw_backend* gb) {
  return (struct backend_options){
      .server = &gb->sc,
      .max_line = gw->cfg.max_line,
      .queue_timeout_ms = gw->cfg.queue_timeout_ms,
      .gateway = true,
  };
}

/* Issue 14: a file change (or the dashboard) reloads a server with
 * overlap, unless its config says stop-first. */
static bool gw_ev_restart(struct backend* b, void* ctx, const char* why) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find_in(&gw->backends, b);
  bool overlap;
  if (gw->shutting_down || gb == NULL || gb->rl == NULL ||
      !reload_takes(b, &overlap))
    return false;
  struct backend_options bo = gw_backend_options(gw, gb);
  reload_begin(gb->rl, b, &bo, why, overlap);
  return true;
}

/* gb's new server is ready and serves from now on (GW-5: list_changed
 * for what changed only). */
static void gw_swap(void* ctx,
                    struct backend* old,
                    struct backend* now,
                    unsigned changed) {
  struct gw_backend* gb = ctx;
  struct gateway* gw = gb->gw;
  gb->b = now;
  if (gw->hooks.backend_replaced != NULL)
    gw->hooks.backend_replaced(gw->hooks.ctx, old, now);
  gw_rebuild(gw);
  if (changed != 0)
    gw_send_list_changed(gw, changed, now);
}

static void gw_ev_lists(struct backend* b, void* ctx, unsigned changed) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find(gw, b);
  if (gb == NULL)
    return;
  if (gb->refreshed != NULL) {
    /* A refresh mcpmon asked for (a URI its list did not name): news for
     * the client only when the list is not what it was. */
    const cJSON* now = backend_list(b, BACKEND_LIST_RESOURCES);
    if (now != NULL && cJSON_Compare(gb->refreshed, now, true))
      changed &= ~(1u << BACKEND_LIST_RESOURCES);
    cJSON_Delete(gb->refreshed);
    gb->refreshed = NULL;
  }
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
  if (!STAILQ_EMPTY(&gw->held))
    gw_release_held(gw, false);
  /* No news for a client that has not listed yet, or whose waiting first
   * list (PAG-4) was just answered with this backend in it. Issue 18:
   * held while a burst of its files reported at once goes on (a
   * stop-first restart, then another once quiet: one list_changed). */
  if (changed != 0 && !(first && (!gw->listed_tools || !was_settled))) {
    changed = reload_hold(gb->rl, changed);
    if (changed != 0)
      gw_send_list_changed(gw, changed, b);
  }
}

static void gw_free_backend(struct gw_backend* gb) {
  backend_free(gb->b);
  gw_share_free(gb);
  cJSON_Delete(gb->refreshed);
  server_config_free(&gb->sc);
  free(gb);
}

/* The dead are freed here, a loop turn after their backend's last
 * callback (tmux's server_client_lost / unref). */
static void gw_reap(uv_idle_t* h) {
  struct gateway* gw = h->data;
  uv_idle_stop(h);
  struct gw_backend* gb;
  while ((gb = TAILQ_FIRST(&gw->dead)) != NULL) {
    TAILQ_REMOVE(&gw->dead, gb, link);
    gw_free_backend(gb);
  }
  gw_maybe_closed(gw);
}

static void gw_ev_stopped(struct backend* b, void* ctx) {
  struct gateway* gw = ctx;
  struct gw_backend* gb = gw_find_in(&gw->retiring, b);
  if (gb != NULL) {
    /* Lose it now (nothing finds it any more), free it later. */
    TAILQ_REMOVE(&gw->retiring, gb, link);
    if (gw->hooks.backend_removed != NULL)
      gw->hooks.backend_removed(gw->hooks.ctx, b);
    TAILQ_INSERT_TAIL(&gw->dead, gb, link);
    uv_idle_start(&gw->reaper, gw_reap);
    return;
  }
  gw_maybe_closed(gw);
}

static void gw_ev_initialized(struct backend* b, void* ctx, bool first) {
  (void)b;
  (void)first;
  gw_init_check(ctx, false);
}

static void gw_on_changes(void* ctx,
                          enum watcher_report what,
                          const struct watcher_change* ch,
                          size_t n);

/* Start gb's watcher, once. */
static void gw_watch(struct gateway* gw, struct gw_backend* gb) {
  if (gb->watched)
    return;
  gb->watched = true;
  watcher_start_server(gw->loop, &gb->sc, gw->cfg.log_file, gb->sc.name,
                       gw_on_changes, gb, &gb->w);
}

/* Issue 15: a server the user stopped leaves the merged lists (GW-5:
 * list_changed for those that changed) and its reload in progress is
 * abandoned; one started that never ran (disabled) gets its watcher. */
static void gw_note_off(struct gateway* gw, struct gw_backend* gb) {
  struct backend* b = gb->b;
  bool off = backend_is_off(b);
  if (!off && !gw->shutting_down && backend_state(b) == BACKEND_STARTING)
    gw_watch(gw, gb);
  if (off == gb->off)
    return;
  gb->off = off;
  if (!off)
    return; /* its lists rejoin when they arrive (gw_ev_resumed) */
  reload_cancel(gb->rl);
  unsigned mask = gw_rebuild_diff(gw);
  if (mask != 0)
    gw_send_list_changed(gw, mask, b);
}

/* A stopped server is ready again, its lists fetched: they rejoin. */
static void gw_ev_resumed(struct backend* b, void* ctx, unsigned changed) {
  struct gateway* gw = ctx;
  (void)changed; /* what counts is the merged lists */
  struct gw_backend* gb = gw_find_in(&gw->backends, b);
  if (gb == NULL)
    return;
  gb->listed = true;
  unsigned mask = gw_rebuild_diff(gw);
  if (!STAILQ_EMPTY(&gw->held))
    gw_release_held(gw, false);
  if (mask != 0)
    gw_send_list_changed(gw, mask, b);
}

static void gw_ev_state(struct backend* b, void* ctx) {
  struct gateway* gw = ctx;
  gw_init_check(gw, false);
  struct gw_backend* gb = gw_find(gw, b);
  if (gb != NULL && gb->b == b && gw_find_in(&gw->backends, b) == gb)
    gw_note_off(gw, gb);
  if (gb != NULL && gb->announce && backend_state(b) == BACKEND_WAITING) {
    /* A changed server that cannot start: its old names are gone. */
    gb->announce = false;
    if (gw->listed_tools)
      gw_send_list_changed(gw, ~0u, b);
  }
  if (!gw->settled && !STAILQ_EMPTY(&gw->waiting) && gw_all_listed(gw))
    gw_settle(gw);
  if (!STAILQ_EMPTY(&gw->held) && gw_all_listed(gw))
    gw_release_held(gw, false);
}

/* Issue 12 item 5: every server's output waits while the client does not
 * read; a backend made meanwhile starts paused (gw_backend_new). */
static void gw_client_congested(void* ctx, bool full) {
  struct gateway* gw = ctx;
  gw->client_congested = full;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_pause_output(gb->b, full);
  }
  TAILQ_FOREACH(gb, &gw->retiring, link) {
    if (gb->b != NULL)
      backend_pause_output(gb->b, full);
  }
}

static const struct session_policy gw_policy = {
    .initialize = gw_on_initialize,
    .request = gw_on_request,
    .notification = gw_on_notification,
    .backend_notification = gw_backend_notification,
    .backend_request = gw_backend_request,
    .client_congested = gw_client_congested,
    .backend =
        {
            /* list_changed follows the refreshed lists (gw_ev_lists), not
             * the restart itself. */
            .on_stopped = gw_ev_stopped,
            .on_initialized = gw_ev_initialized,
            .on_state = gw_ev_state,
            .on_lists = gw_ev_lists,
            .on_resumed = gw_ev_resumed,
            .on_reply = gw_ev_reply,
            .on_restart = gw_ev_restart,
        },
};

/* ---- backends and their watchers ------------------------------------------
 */

/* gb's changes (watcher.h); issue 18 as single_on_changes: the first
 * settled change reloads at once, more fold into one reload once quiet,
 * a stop-first restart's list_changed waits for the burst's end. */
static void gw_on_changes(void* ctx,
                          enum watcher_report what,
                          const struct watcher_change* ch,
                          size_t n) {
  struct gw_backend* gb = ctx;
  if (gb->gw->shutting_down || gb->b == NULL)
    return;
  if (what == WATCH_COMING) {
    reload_fold(gb->rl);
    return;
  }
  if (what == WATCH_MORE) {
    unsigned held = reload_burst_end(gb->rl, n > 0);
    if (held != 0)
      gw_send_list_changed(gb->gw, held, gb->b);
  }
  if (n > 0)
    backend_restart(gb->b, watcher_report(gb->sc.name, ch, n));
}

/* A new gw_backend for sc, inserted before `before` (NULL: at the end),
 * its backend created; started only when start is true (the first ones
 * start with mode.start). */
static struct gw_backend* gw_add_backend(struct gateway* gw,
                                         const struct server_config* sc,
                                         struct gw_backend* before,
                                         struct backend* replaces,
                                         bool announce,
                                         bool start) {
  struct gw_backend* gb = xcalloc(1, sizeof(*gb));
  gb->gw = gw;
  gb->announce = announce;
  gb->serial = ++gw->next_serial;
  server_config_copy(&gb->sc, sc);
  if (before != NULL)
    TAILQ_INSERT_BEFORE(before, gb, link);
  else
    TAILQ_INSERT_TAIL(&gw->backends, gb, link);
  if (!sc->enabled)
    log_msg(LL_INFO, sc->name, 0,
            "Disabled in the config; not started (start it for this run "
            "with `mcpmon start %s` or `s` in `mcpmon tui`)",
            sc->name);
  gb->off = !sc->enabled;
  struct backend_options bo = gw_backend_options(gw, gb);
  gb->b = backend_new(gw->loop, &bo, session_backend_events(), gw->s);
  struct reload_hooks rh = {.swap = gw_swap, .ctx = gb};
  gb->rl = reload_new(gw->loop, gw->s, &rh);
  if (gw->client_congested)
    backend_pause_output(gb->b, true);
  if (replaces != NULL && gw->hooks.backend_replaced != NULL) {
    /* Issue 15: a changed server keeps its row and its place. */
    gw->hooks.backend_replaced(gw->hooks.ctx, replaces, gb->b);
  } else if (gw->hooks.backend_added != NULL) {
    /* Its place among the running servers, in the file's order. */
    size_t index = 0;
    struct gw_backend* it;
    TAILQ_FOREACH(it, &gw->backends, link) {
      if (it == gb)
        break;
      if (it->b != NULL)
        index++;
    }
    gw->hooks.backend_added(gw->hooks.ctx, gb->b, index);
  }
  const cJSON* params = session_init_params(gw->s);
  if (params != NULL)
    backend_set_init_params(gb->b, params);
  if (gw->log_level != NULL)
    backend_set_log_level(gb->b, gw->log_level); /* LOG-1 */
  if (start && sc->enabled) {
    gw_watch(gw, gb);
    backend_start(gb->b);
  }
  return gb;
}

/* Take gb out of the live list and stop it (GW-5). */
static void gw_retire(struct gateway* gw,
                      struct gw_backend* gb,
                      bool replaced) {
  TAILQ_REMOVE(&gw->backends, gb, link);
  gw_forget_backend(gw, gb);
  if (gb->rl != NULL) {
    reload_close(gb->rl, NULL, NULL); /* frees itself once stopped */
    gb->rl = NULL;
  }
  if (gb->w != NULL) {
    watcher_close(gb->w);
    gb->w = NULL;
  }
  if (gb->b == NULL) {
    server_config_free(&gb->sc);
    cJSON_Delete(gb->refreshed);
    free(gb);
    return;
  }
  TAILQ_INSERT_TAIL(&gw->retiring, gb, link);
  backend_remove(gb->b, replaced);
}

/* ---- the config file ----------------------------------------------------- */

static bool gw_in(const struct strvec* names, const char* name) {
  for (size_t i = 0; i < names->n; i++)
    if (strcmp(names->v[i], name) == 0)
      return true;
  return false;
}

/* The globals of next that take effect without a restart: the separator
 * (names are rebuilt) and queue_timeout (running backends and new ones). */
static void gw_apply_globals(struct gateway* gw,
                             const struct mcpmon_config* next) {
  if (strcmp(gw->cfg.separator, next->separator) != 0) {
    log_msg(LL_INFO, NULL, 0, "Separator changed from '%s' to '%s'",
            gw->cfg.separator, next->separator);
    free(gw->cfg.separator);
    gw->cfg.separator = xstrdup(next->separator);
  }
  if (gw->cfg.queue_timeout_ms != next->queue_timeout_ms) {
    log_msg(LL_INFO, NULL, 0, "Queue timeout changed from %u to %u ms",
            gw->cfg.queue_timeout_ms, next->queue_timeout_ms);
    gw->cfg.queue_timeout_ms = next->queue_timeout_ms;
    struct gw_backend* gb;
    TAILQ_FOREACH(gb, &gw->backends, link) {
      if (gb->b != NULL)
        backend_set_queue_timeout(gb->b, next->queue_timeout_ms);
    }
  }
}

/* GW-5: what config_diff says changed, applied; the servers end in the new
 * file's order. */
static void gw_apply_config(struct gateway* gw, struct mcpmon_config* next) {
  struct config_diff d;
  config_diff(&gw->cfg, next, &d);
  unsigned gone = 0;
  for (size_t i = 0; i < d.removed.n; i++) {
    struct gw_backend* gb = gw_by_name(gw, d.removed.v[i]);
    log_msg(LL_INFO, d.removed.v[i], 0, "Removed from the configuration");
    if (gb != NULL)
      gw_retire(gw, gb, false);
    gone++;
  }
  bool sep_changed = strcmp(gw->cfg.separator, next->separator) != 0;
  gw_apply_globals(gw, next);
  /* Walk the new order: unchanged servers move into place, changed ones
   * are replaced in place, added ones are inserted where they stand. */
  struct gw_backend* at = TAILQ_FIRST(&gw->backends);
  for (size_t i = 0; i < next->nservers; i++) {
    const struct server_config* sc = &next->servers[i];
    struct gw_backend* gb = gw_by_name(gw, sc->name);
    if (gb != NULL && gw_in(&d.unchanged, sc->name)) {
      if (gb != at) {
        TAILQ_REMOVE(&gw->backends, gb, link);
        if (at != NULL)
          TAILQ_INSERT_BEFORE(at, gb, link);
        else
          TAILQ_INSERT_TAIL(&gw->backends, gb, link);
      } else {
        at = TAILQ_NEXT(at, link);
      }
      continue;
    }
    /* Read before gw_retire, which frees a disabled one at once. */
    struct backend* replaces = gb != NULL ? gb->b : NULL;
    if (gb != NULL) {
      log_msg(LL_INFO, sc->name, 0, "Configuration changed; restarting");
      if (gb == at)
        at = TAILQ_NEXT(at, link);
      gw_retire(gw, gb, sc->enabled);
      if (!sc->enabled)
        gone++; /* no replacement will announce itself */
    } else {
      log_msg(LL_INFO, sc->name, 0, "Added to the configuration");
    }
    /* A replacement owes a list_changed: its old names vanished. */
    gw_add_backend(gw, sc, at, replaces, gb != NULL && sc->enabled, true);
  }
  log_msg(LL_INFO, NULL, 0,
          "Configuration reloaded: %zu added, %zu changed, %zu removed%s",
          d.added.n, d.changed.n, d.removed.n,
          d.globals_changed ? ", settings changed" : "");
  /* The last configuration applied, for the next diff. */
  for (size_t i = 0; i < gw->cfg.nservers; i++)
    server_config_free(&gw->cfg.servers[i]);
  free(gw->cfg.servers);
  gw->cfg.servers = next->servers;
  gw->cfg.nservers = next->nservers;
  next->servers = NULL;
  next->nservers = 0;
  bool any = d.added.n + d.changed.n + d.removed.n > 0 || sep_changed;
  config_diff_free(&d);
  if (!any)
    return;
  /* GW-5: one notification per kind that changed, now only for what
   * vanished or was renamed: the tools of added and restarted servers are
   * announced once their lists arrive (gw_ev_lists), or when they cannot
   * start (gw_ev_state). */
  unsigned mask = gw_rebuild_diff(gw);
  if (gone == 0 && !sep_changed)
    mask = 0;
  if (gw->listed_tools && mask != 0)
    gw_send_list_changed(gw, mask, NULL);
}

static void gw_on_config_change(void* ctx,
                                enum watcher_report what,
                                const struct watcher_change* ch,
                                size_t n) {
  struct gateway* gw = ctx;
  (void)what; /* WATCH_BURST only: its watcher is not immediate */
  (void)ch;
  (void)n;
  if (gw->shutting_down)
    return;
  struct mcpmon_config next;
  config_init(&next);
  /* Read at start (the command line or the file then); kept so that a
   * server the edit names "mcpmon" is refused where it stands. */
  next.control_tools = gw->cfg.control_tools;
  struct config_error err;
  if (config_load_yaml(gw->cfg.config_path, &next, &err) != 0) {
    char text[1200];
    config_error_format(&err, text, sizeof(text));
    /* One line, so that the dashboard's events pane and status line
     * show the whole of it (issue 15 defect 3). */
    log_error("%s; still serving the last good configuration", text);
    config_free(&next);
    return;
  }
  gw_apply_config(gw, &next);
  config_free(&next);
}

/* ---- the mode ------------------------------------------------------------ */

/* Issue 18: the servers start a few per loop turn, so that a gateway of
 * 100 never holds the loop for all of them at once: the first ones'
 * handshakes go on while later ones start. One not started yet counts as
 * starting for the first initialize and list (PAG-4). */
static void gw_start_some(uv_idle_t* h) {
  struct gateway* gw = h->data;
  unsigned n = 0;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (!gb->to_start)
      continue;
    if (n == GW_STARTS_PER_TURN)
      return; /* the rest on the next turn */
    gb->to_start = false;
    if (gw->shutting_down || gb->b == NULL ||
        backend_state(gb->b) != BACKEND_IDLE)
      continue;
    gw_watch(gw, gb);
    backend_start(gb->b);
    n++;
  }
  uv_idle_stop(h);
}

static int gw_start(void* self) {
  struct gateway* gw = self;
  if (gw->cfg.config_path != NULL) {
    const char* roots[] = {gw->cfg.config_path};
    const char* exts[] = {"*"};
    struct watcher_options wo = {
        .roots = roots,
        .nroots = 1,
        .exts = exts,
        .nexts = 1,
        .delay_ms = GW_CONFIG_DELAY_MS,
    };
    char err[512];
    if (watcher_start(gw->loop, &wo, gw_on_config_change, gw,
                      &gw->config_watcher, err, sizeof(err)) != 0)
      log_warn("Cannot watch the config file: %s", err);
  }
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b == NULL || backend_state(gb->b) == BACKEND_DISABLED)
      continue; /* a disabled server's watcher does not run (issue 15) */
    gb->to_start = true;
  }
  uv_idle_start(&gw->starter, gw_start_some);
  gw_start_some(&gw->starter); /* the first ones now */
  return 0;
}

static void gw_handle_closed(uv_handle_t* h) {
  struct gateway* gw = h->data;
  gw->open--;
  gw_maybe_closed(gw);
}

/* At shutdown: gb's reload has stopped what it had and freed itself. */
static void gw_reload_closed(void* ctx) {
  struct gw_backend* gb = ctx;
  gb->rl = NULL;
  gb->gw->reloads_open--;
  gw_maybe_closed(gb->gw);
}

static bool gw_all_stopped(const struct gateway* gw) {
  if (gw->reloads_open > 0)
    return false;
  const struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL && backend_state(gb->b) != BACKEND_STOPPED)
      return false;
  }
  return TAILQ_EMPTY(&gw->retiring) && TAILQ_EMPTY(&gw->dead);
}

/* After shutdown: once every backend stopped, close the handles, then
 * free everything and report closed. */
static void gw_maybe_closed(struct gateway* gw) {
  if (!gw->shutting_down || !gw_all_stopped(gw))
    return;
  if (!gw->closing) {
    gw->closing = true;
    gw->open = 5;
    uv_close((uv_handle_t*)&gw->starter, gw_handle_closed);
    uv_close((uv_handle_t*)&gw->init_timer, gw_handle_closed);
    uv_close((uv_handle_t*)&gw->settle_timer, gw_handle_closed);
    uv_close((uv_handle_t*)&gw->held_timer, gw_handle_closed);
    uv_close((uv_handle_t*)&gw->reaper, gw_handle_closed);
    return;
  }
  if (gw->open > 0)
    return;
  struct gw_backend* gb;
  while ((gb = TAILQ_FIRST(&gw->backends)) != NULL) {
    TAILQ_REMOVE(&gw->backends, gb, link);
    if (gb->b != NULL && gw->hooks.backend_removed != NULL)
      gw->hooks.backend_removed(gw->hooks.ctx, gb->b);
    gw_free_backend(gb);
  }
  gw_clear_merged(gw);
  name_table_free(gw->tools);
  name_table_free(gw->prompts);
  name_table_free(gw->resources);
  name_table_free(gw->warned);
  name_table_free(gw->learned);
  task_table_free(gw->tasks);
  gw_free_ops(gw);
  gw_free_waiting(gw);
  gw_free_held(gw);
  cJSON_Delete(gw->log_level);
  free(gw->protocol);
  cJSON_Delete(gw->init_waiting);
  cJSON_Delete(gw->init_result);
  config_free(&gw->cfg);
  struct mode_hooks hooks = gw->hooks;
  free(gw);
  hooks.closed(hooks.ctx);
}

static void gw_shutdown(void* self, bool finish) {
  struct gateway* gw = self;
  if (gw->shutting_down) {
    if (finish || !gw->finishing)
      return;
    gw->finishing = false; /* a signal during the finish: stop now */
  }
  bool first = !gw->shutting_down;
  gw->shutting_down = true;
  if (first) {
    struct gw_backend* rb;
    TAILQ_FOREACH(rb, &gw->backends, link) {
      if (rb->rl == NULL)
        continue;
      gw->reloads_open++;
      reload_close(rb->rl, gw_reload_closed, rb);
    }
  }
  gw_init_check(gw, true); /* a waiting initialize gets what is known */
  if (first && gw->config_watcher != NULL) {
    watcher_close(gw->config_watcher);
    gw->config_watcher = NULL;
  }
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->w != NULL) {
      watcher_close(gb->w);
      gb->w = NULL;
    }
  }
  if (finish) {
    /* Issue 12 item 6: held calls and waiting lists are still routed and
     * answered as the lists arrive; then each backend finishes. */
    gw->finishing = true;
    gw_finish_check(gw);
    gw_maybe_closed(gw); /* no backend at all */
    return;
  }
  uv_timer_stop(&gw->settle_timer);
  gw_settle(gw);             /* answer waiting lists with what is known */
  gw_release_held(gw, true); /* and held calls: unknown now */
  uv_timer_stop(&gw->held_timer);
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_stop(gb->b);
  }
  gw_maybe_closed(gw);
}

/* A backend that stops at once is only moved to gw->dead (gw_ev_stopped),
 * never freed here, so the walk stays on live elements. */
static void gw_kill_now(void* self) {
  struct gateway* gw = self;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_kill_now(gb->b);
    if (gb->rl != NULL)
      reload_kill_now(gb->rl);
  }
  struct gw_backend* next;
  for (gb = TAILQ_FIRST(&gw->retiring); gb != NULL; gb = next) {
    next = TAILQ_NEXT(gb, link);
    backend_kill_now(gb->b);
  }
}

void gateway_mode(uv_loop_t* loop,
                  const struct mcpmon_config* cfg,
                  struct session* s,
                  const struct mode_hooks* hooks,
                  struct mode* out) {
  struct gateway* gw = xcalloc(1, sizeof(*gw));
  gw->loop = loop;
  gw->hooks = *hooks;
  gw->s = s;
  config_copy(&gw->cfg, cfg);
  if (gw->cfg.separator == NULL)
    gw->cfg.separator = xstrdup(CONFIG_DEFAULT_SEPARATOR);
  TAILQ_INIT(&gw->backends);
  TAILQ_INIT(&gw->retiring);
  TAILQ_INIT(&gw->dead);
  STAILQ_INIT(&gw->waiting);
  STAILQ_INIT(&gw->held);
  gw->tools = name_table_new();
  gw->prompts = name_table_new();
  gw->resources = name_table_new();
  gw->warned = name_table_new();
  gw->learned = name_table_new();
  gw->tasks = task_table_new(GW_MAX_TASKS);
  TAILQ_INIT(&gw->ops);
  uv_timer_init(loop, &gw->settle_timer);
  gw->settle_timer.data = gw;
  uv_timer_init(loop, &gw->held_timer);
  gw->held_timer.data = gw;
  uv_timer_init(loop, &gw->init_timer);
  gw->init_timer.data = gw;
  uv_idle_init(loop, &gw->reaper);
  gw->reaper.data = gw;
  uv_idle_init(loop, &gw->starter);
  gw->starter.data = gw;
  session_set_policy(s, &gw_policy, gw);
  for (size_t i = 0; i < gw->cfg.nservers; i++)
    gw_add_backend(gw, &gw->cfg.servers[i], NULL, NULL, false, false);
  gw_rebuild(gw);
  *out = (struct mode){
      .self = gw,
      .start = gw_start,
      .shutdown = gw_shutdown,
      .kill_now = gw_kill_now,
  };
}
