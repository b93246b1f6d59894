/* run.c - see run.h. */
#include "core/run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend.h"
#include "core/control/control.h"
#include "core/log.h"
#include "core/session/gateway.h"
#include "core/session/router.h"
#include "core/watch/watcher.h"
#include "lib/util.h"

struct run {
  uv_loop_t* loop;
  const struct mcpmon_config* cfg;
  struct router* router;
  struct backend* backend;
  struct watcher* watcher;
  struct control* control;
  uv_signal_t sigs[3];
  bool shutting_down;
  int exit_status;
};

static void run_signals_close(struct run* rn) {
  for (size_t i = 0; i < ARRAY_LEN(rn->sigs); i++)
    if (!uv_is_closing((uv_handle_t*)&rn->sigs[i]))
      uv_close((uv_handle_t*)&rn->sigs[i], NULL);
}

static void run_router_closed(void* ctx) {
  struct run* rn = ctx;
  rn->router = NULL;
  if (rn->control != NULL) {
    control_close(rn->control);
    rn->control = NULL;
  }
  run_signals_close(rn);
}

static void run_shutdown(struct run* rn, const char* why) {
  if (rn->shutting_down)
    return;
  rn->shutting_down = true;
  log_msg(LL_INFO, NULL, 0, "Shutting down (%s)", why);
  if (rn->watcher != NULL) {
    watcher_close(rn->watcher);
    rn->watcher = NULL;
  }
  router_stop_input(rn->router);
  backend_stop(rn->backend);
}

static void run_client_gone(void* ctx, const char* why) {
  run_shutdown(ctx, why);
}

static void run_backend_stopped(void* ctx, struct backend* b) {
  struct run* rn = ctx;
  (void)b;
  if (rn->router != NULL)
    router_close(rn->router, run_router_closed, rn);
}

static void run_list_changed(void* ctx, struct backend* b, bool relisted) {
  struct run* rn = ctx;
  if (rn->control != NULL)
    control_list_changed(rn->control, b, relisted);
}

/* The control socket for mcpmon tui/status/restart; failing to create it
 * is a warning, never fatal: the MCP session matters more. */
static void run_start_control(struct run* rn, const struct server_config* sc) {
  if (rn->cfg->no_control)
    return;
  char* cmd = server_config_command_line(sc);
  struct control_info info = {.mode = "single", .command = cmd, .config = NULL};
  char err[512];
  int rc = control_start(rn->loop, rn->cfg->control_path, &info, &rn->control,
                         err, sizeof(err));
  free(cmd);
  if (rc != 0) {
    log_warn("No dashboard socket: %s", err);
    rn->control = NULL;
    return;
  }
  control_add_backend(rn->control, rn->backend);
  log_verbose("Dashboard socket: %s (mcpmon tui)", control_path(rn->control));
}

static void run_on_signal(uv_signal_t* h, int signum) {
  struct run* rn = h->data;
  if (rn->shutting_down) {
    log_msg(LL_INFO, NULL, 0, "Second %s: killing the server now",
            sigabbrev_np(signum));
    backend_kill_now(rn->backend);
    return;
  }
  char why[32];
  snprintf(why, sizeof(why), "SIG%s", sigabbrev_np(signum));
  run_shutdown(rn, why);
}

static void run_on_changes(void* ctx,
                           const struct watcher_change* ch,
                           size_t n) {
  struct run* rn = ctx;
  if (rn->shutting_down || n == 0)
    return;
  backend_restart(rn->backend, watcher_report(NULL, ch, n));
}

int run_single(const struct mcpmon_config* cfg) {
  struct run rn;
  memset(&rn, 0, sizeof(rn));
  rn.cfg = cfg;
  rn.loop = uv_default_loop();
  signal(SIGPIPE, SIG_IGN); /* STDIO-10: EPIPE is handled where it occurs */
  const struct server_config* sc = &cfg->servers[0];

  struct router_hooks hooks = {
      .client_gone = run_client_gone,
      .backend_stopped = run_backend_stopped,
      .list_changed = run_list_changed,
      .ctx = &rn,
  };
  struct router_options ro = {
      .max_line = cfg->max_line,
      .queue_timeout_ms = cfg->queue_timeout_ms,
  };
  char err[256];
  rn.router = router_new(rn.loop, &ro, &hooks, err, sizeof(err));
  if (rn.router == NULL) {
    log_error("%s", err);
    uv_run(rn.loop, UV_RUN_DEFAULT);
    uv_loop_close(rn.loop);
    return 1;
  }
  struct backend_options bo = {
      .server = sc,
      .max_line = cfg->max_line,
      .queue_timeout_ms = cfg->queue_timeout_ms,
      .gateway = false,
  };
  rn.backend = backend_new(rn.loop, &bo, router_backend_events(), rn.router);
  router_set_backend(rn.router, rn.backend);
  run_start_control(&rn, sc);

  int signums[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < ARRAY_LEN(signums); i++) {
    uv_signal_init(rn.loop, &rn.sigs[i]);
    rn.sigs[i].data = &rn;
    uv_signal_start(&rn.sigs[i], run_on_signal, signums[i]);
  }

  if (watcher_start_server(rn.loop, sc, cfg->log_file, NULL, run_on_changes,
                           &rn, &rn.watcher) != 0) {
    rn.exit_status = 1;
    run_shutdown(&rn, "cannot watch files");
  } else {
    backend_start(rn.backend);
    router_start(rn.router);
  }
  uv_run(rn.loop, UV_RUN_DEFAULT);
  backend_free(rn.backend);
  uv_run(rn.loop, UV_RUN_DEFAULT); /* the backend's close callbacks */
  int rc = uv_loop_close(rn.loop);
  if (rc != 0)
    log_debug("event loop closed with handles open: %s", uv_strerror(rc));
  return rn.exit_status;
}

/* ---- gateway mode ---------------------------------------------------------
 */

struct gwrun {
  uv_loop_t* loop;
  struct gateway* gw;
  struct control* control;
  uv_signal_t sigs[3];
  bool shutting_down;
};

static void gwrun_closed(void* ctx) {
  struct gwrun* g = ctx;
  g->gw = NULL;
  if (g->control != NULL) {
    control_close(g->control);
    g->control = NULL;
  }
  for (size_t i = 0; i < ARRAY_LEN(g->sigs); i++)
    uv_close((uv_handle_t*)&g->sigs[i], NULL);
}

static void gwrun_added(void* ctx, struct backend* b) {
  struct gwrun* g = ctx;
  if (g->control != NULL)
    control_add_backend(g->control, b);
}

static void gwrun_removed(void* ctx, struct backend* b) {
  struct gwrun* g = ctx;
  if (g->control != NULL)
    control_remove_backend(g->control, b);
}

static void gwrun_list_changed(void* ctx, struct backend* b, bool relisted) {
  struct gwrun* g = ctx;
  if (g->control != NULL)
    control_list_changed(g->control, b, relisted);
}

static void gwrun_on_signal(uv_signal_t* h, int signum) {
  struct gwrun* g = h->data;
  if (g->gw == NULL)
    return;
  if (g->shutting_down) {
    log_msg(LL_INFO, NULL, 0, "Second SIG%s: killing the servers now",
            sigabbrev_np(signum));
    gateway_kill_now(g->gw);
    return;
  }
  g->shutting_down = true;
  char why[32];
  snprintf(why, sizeof(why), "SIG%s", sigabbrev_np(signum));
  gateway_shutdown(g->gw, why);
}

int run_gateway(const struct mcpmon_config* cfg) {
  struct gwrun g;
  memset(&g, 0, sizeof(g));
  g.loop = uv_default_loop();
  signal(SIGPIPE, SIG_IGN); /* STDIO-10 */
  if (!cfg->no_control) {
    struct control_info info = {
        .mode = "gateway", .command = NULL, .config = cfg->config_path};
    char err[512];
    if (control_start(g.loop, cfg->control_path, &info, &g.control, err,
                      sizeof(err)) != 0) {
      log_warn("No dashboard socket: %s", err);
      g.control = NULL;
    }
  }
  struct gateway_hooks hooks = {
      .closed = gwrun_closed,
      .backend_added = gwrun_added,
      .backend_removed = gwrun_removed,
      .list_changed = gwrun_list_changed,
      .ctx = &g,
  };
  char err[256];
  log_msg(LL_INFO, NULL, 0, "Gateway for %zu server%s from %s", cfg->nservers,
          cfg->nservers == 1 ? "" : "s", cfg->config_path);
  g.gw = gateway_new(g.loop, cfg, &hooks, err, sizeof(err));
  if (g.gw == NULL) {
    log_error("%s", err);
    if (g.control != NULL)
      control_close(g.control);
    uv_run(g.loop, UV_RUN_DEFAULT);
    uv_loop_close(g.loop);
    return 1;
  }
  int signums[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < ARRAY_LEN(signums); i++) {
    uv_signal_init(g.loop, &g.sigs[i]);
    g.sigs[i].data = &g;
    uv_signal_start(&g.sigs[i], gwrun_on_signal, signums[i]);
  }
  if (g.control != NULL)
    log_verbose("Dashboard socket: %s (mcpmon tui)", control_path(g.control));
  gateway_start(g.gw);
  uv_run(g.loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(g.loop);
  if (rc != 0)
    log_debug("event loop closed with handles open: %s", uv_strerror(rc));
  return 0;
}
