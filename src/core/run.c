/* run.c - see run.h. */
#include "core/run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/control/control.h"
#include "core/log.h"
#include "core/session/gateway.h"
#include "core/session/session.h"
#include "core/session/single.h"
#include "lib/util.h"

struct run {
  uv_loop_t* loop;
  const struct mcpmon_config* cfg;
  struct session* session;
  struct mode mode;
  bool have_mode;
  struct control* control;
  uv_signal_t sigs[3];
  bool shutting_down;
  bool finishing; /* shut down by the client's EOF: answers still owed */
  int exit_status;
};

static void run_session_closed(void* ctx) {
  struct run* rn = ctx;
  rn->session = NULL;
  if (rn->control != NULL) {
    control_close(rn->control);
    rn->control = NULL;
  }
  for (size_t i = 0; i < ARRAY_LEN(rn->sigs); i++)
    uv_close((uv_handle_t*)&rn->sigs[i], NULL);
}

/* The mode stopped every backend and freed itself. */
static void run_mode_closed(void* ctx) {
  struct run* rn = ctx;
  rn->have_mode = false;
  session_close(rn->session, run_session_closed, rn); /* flushes first */
}

/* finish: the client's EOF (issue 12 item 6). A later shutdown without
 * it (a signal, stdout failing) stops at once. */
static void run_shutdown(struct run* rn, const char* why, bool finish) {
  if (rn->shutting_down) {
    if (finish || !rn->finishing)
      return;
    log_msg(LL_INFO, NULL, 0, "Shutting down now (%s)", why);
    rn->finishing = false;
    rn->mode.shutdown(rn->mode.self, false);
    return;
  }
  rn->shutting_down = true;
  rn->finishing = finish;
  log_msg(LL_INFO, NULL, 0, "Shutting down (%s)", why);
  control_ending(rn->control, why);
  session_stop_input(rn->session);
  rn->mode.shutdown(rn->mode.self, finish);
}

static void run_client_gone(void* ctx, const char* why, bool eof) {
  run_shutdown(ctx, why, eof);
}

static void run_list_changed(void* ctx, struct backend* b, bool relisted) {
  struct run* rn = ctx;
  if (rn->control != NULL)
    control_list_changed(rn->control, b, relisted);
}

static uint64_t run_traffic(void* ctx,
                            struct backend* b,
                            const struct backend_traffic* t) {
  struct run* rn = ctx;
  return control_traffic(rn->control, b, t);
}

static void run_backend_added(void* ctx, struct backend* b, size_t index) {
  struct run* rn = ctx;
  if (rn->control != NULL)
    control_add_backend(rn->control, b, index);
}

static void run_backend_removed(void* ctx, struct backend* b) {
  struct run* rn = ctx;
  if (rn->control != NULL)
    control_remove_backend(rn->control, b);
}

static void run_backend_replaced(void* ctx,
                                 struct backend* old,
                                 struct backend* now) {
  struct run* rn = ctx;
  if (rn->control != NULL)
    control_replace_backend(rn->control, old, now);
}

static char* run_logs(void* ctx, struct backend* b, int lines) {
  struct run* rn = ctx;
  return control_log_text(rn->control, b, lines);
}

static void run_on_signal(uv_signal_t* h, int signum) {
  struct run* rn = h->data;
  if (!rn->have_mode)
    return;
  if (rn->shutting_down && !rn->finishing) {
    log_msg(LL_INFO, NULL, 0, "Second SIG%s: killing the server%s now",
            sigabbrev_np(signum), rn->cfg->config_path != NULL ? "s" : "");
    rn->mode.kill_now(rn->mode.self);
    return;
  }
  char why[32];
  snprintf(why, sizeof(why), "SIG%s", sigabbrev_np(signum));
  run_shutdown(rn, why, false);
}

/* The control socket for mcpmon tui/status/restart; failing to create it
 * is never fatal: the MCP session matters more. A folder refused as
 * unsafe is an error (shown even with -q: someone may be at it), any
 * other failure a warning. */
static void run_start_control(struct run* rn) {
  const struct mcpmon_config* cfg = rn->cfg;
  if (cfg->no_control)
    return;
  bool gateway = cfg->config_path != NULL;
  char* cmd = gateway ? NULL : server_config_command_line(&cfg->servers[0]);
  struct control_info info = {
      .mode = gateway ? "gateway" : "single",
      .command = cmd,
      .config = gateway ? cfg->config_path : NULL,
  };
  char err[1024];
  int rc = control_start(rn->loop, cfg->control_path, &info, &rn->control, err,
                         sizeof(err));
  free(cmd);
  if (rc != 0) {
    log_msg(rc == UV_EACCES ? LL_ERROR : LL_WARN, NULL, 0,
            "No dashboard socket: %s", err);
    rn->control = NULL;
  }
}

int run(const struct mcpmon_config* cfg) {
  struct run rn;
  memset(&rn, 0, sizeof(rn));
  rn.cfg = cfg;
  rn.loop = uv_default_loop();
  log_attach_loop(rn.loop);
  signal(SIGPIPE, SIG_IGN); /* STDIO-10: EPIPE is handled where it occurs */

  struct session_hooks sh = {
      .client_gone = run_client_gone,
      .list_changed = run_list_changed,
      .traffic = run_traffic,
      .ctx = &rn,
  };
  char err[256];
  rn.session = session_new(rn.loop, cfg->max_line, &sh, err, sizeof(err));
  if (rn.session == NULL) {
    log_error("%s", err);
    log_detach_loop();
    uv_run(rn.loop, UV_RUN_DEFAULT);
    uv_loop_close(rn.loop);
    return 1;
  }
  run_start_control(&rn);
  struct mode_hooks mh = {
      .backend_added = run_backend_added,
      .backend_removed = run_backend_removed,
      .backend_replaced = run_backend_replaced,
      .logs = run_logs,
      .closed = run_mode_closed,
      .ctx = &rn,
  };
  if (cfg->config_path != NULL) {
    log_msg(LL_INFO, NULL, 0, "Gateway for %zu server%s from %s", cfg->nservers,
            cfg->nservers == 1 ? "" : "s", cfg->config_path);
    gateway_mode(rn.loop, cfg, rn.session, &mh, &rn.mode);
  } else {
    single_mode(rn.loop, cfg, rn.session, &mh, &rn.mode);
  }
  rn.have_mode = true;
  if (rn.control != NULL)
    log_verbose("Dashboard socket: %s (mcpmon tui)", control_path(rn.control));

  int signums[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < ARRAY_LEN(signums); i++) {
    uv_signal_init(rn.loop, &rn.sigs[i]);
    rn.sigs[i].data = &rn;
    uv_signal_start(&rn.sigs[i], run_on_signal, signums[i]);
  }

  if (rn.mode.start(rn.mode.self) != 0) {
    rn.exit_status = 1;
    run_shutdown(&rn, "cannot watch files", false);
  } else {
    session_start(rn.session);
  }
  uv_run(rn.loop, UV_RUN_DEFAULT);
  log_detach_loop();
  uv_run(rn.loop, UV_RUN_DEFAULT); /* the close of log's handle */
  int rc = uv_loop_close(rn.loop);
  if (rc != 0)
    log_debug("event loop closed with handles open: %s", uv_strerror(rc));
  return rn.exit_status;
}
