/* backend.c - the public calls of backend.h that create, start, restart,
 * stop and free a backend, and take the client's initialize params. The
 * state machine under them is backend_machine.c; see backend_int.h for
 * the files and how they call each other.
 *
 * A backend's process is a struct child (src/core/proc/child.h). When the
 * process and its whole group are gone the child is released: it frees
 * itself once its handles have closed, so a replacement can be spawned at
 * once with fresh handles.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/backend/backend_int.h"
#include "core/proc/proc.h"
#include "lib/util.h"

struct backend* backend_new(uv_loop_t* loop,
                            const struct backend_options* opts,
                            const struct backend_events* ev,
                            void* ctx) {
  struct backend* b = xcalloc(1, sizeof(*b));
  b->loop = loop;
  server_config_copy(&b->config, opts->server);
  b->sc = &b->config;
  b->ev = *ev;
  b->ctx = ctx;
  b->max_line = opts->max_line;
  b->queue_timeout_ms = opts->queue_timeout_ms;
  b->logname = opts->gateway ? b->config.name : NULL;
  /* Every list in both modes: a reload compares them all (issue 14). */
  b->all_lists = true;
  b->trial = opts->trial;
  strset_init(&b->subscriptions);
  inflight_init(&b->inflight, BK_MAX_TASK_TOKENS);
  TAILQ_INIT(&b->queue);
  uv_timer_t* timers[] = {&b->t_stop, &b->t_backoff, &b->t_queue,
                          &b->t_init, &b->t_finish,  &b->t_drain};
  for (size_t i = 0; i < ARRAY_LEN(timers); i++) {
    uv_timer_init(loop, timers[i]);
    timers[i]->data = b;
  }
  b->open_timers = (int)ARRAY_LEN(timers);
  if (!b->config.enabled && !b->trial) {
    b->state = BACKEND_DISABLED; /* issue 15: shown, started on request */
    b->off = true;
  }
  return b;
}

int backend_start(struct backend* b) {
  if (b->state == BACKEND_DISABLED)
    return 0;
  if (b->state != BACKEND_IDLE)
    return UV_EALREADY;
  bk_spawn(b);
  return b->state == BACKEND_WAITING ? UV_ENOENT : 0;
}

void backend_set_init_params(struct backend* b, const cJSON* params) {
  cJSON_Delete(b->init_params);
  b->init_params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  if (b->state == BACKEND_STARTING && b->p != NULL)
    bk_send_init(b);
}

static bool bk_would_restart(const struct backend* b) {
  switch (b->state) {
    case BACKEND_STARTING:
    case BACKEND_INITIALIZING:
    case BACKEND_READY:
    case BACKEND_CRASHED:
    case BACKEND_WAITING:
      return !b->input_ended;
    default:
      return false;
  }
}

void backend_restart(struct backend* b, const char* why) {
  if (b->draining || b->trial)
    return; /* being replaced, or not serving yet */
  if (bk_would_restart(b) && b->ev.on_restart != NULL &&
      b->ev.on_restart(b, b->ctx, why))
    return; /* the owner reloads it (overlap, a build first) */
  backend_restart_now(b, why);
}

void backend_restart_now(struct backend* b, const char* why) {
  if (b->draining || b->trial)
    return;
  if (b->input_ended) {
    /* A new process would never see the client's end of input. */
    bk_log(b, LL_INFO, "Not restarting: the client has closed its input");
    return;
  }
  switch (b->state) {
    case BACKEND_STARTING:
    case BACKEND_INITIALIZING:
    case BACKEND_READY:
      bk_log(b, LL_INFO, "Restarting server%s%s%s", why ? " (" : "",
             why ? why : "", why ? ")" : "");
      b->restart_begin_ms = uv_now(b->loop);
      b->restart_pending = true;
      bk_set_state(b, BACKEND_RESTARTING);
      bk_begin_stop(b, STOP_RESTART);
      return;
    case BACKEND_CRASHED:
    case BACKEND_WAITING:
      bk_log(b, LL_INFO, "Starting server again%s%s%s", why ? " (" : "",
             why ? why : "", why ? ")" : "");
      uv_timer_stop(&b->t_backoff);
      if (b->state == BACKEND_WAITING)
        b->crashes = 0;
      b->restart_begin_ms = uv_now(b->loop);
      bk_spawn(b);
      return;
    case BACKEND_STOPPING:
    case BACKEND_STOPPED:
    case BACKEND_DISABLED:
      if (b->off)
        bk_log(
            b, LL_INFO,
            "Not restarting%s%s%s: the server is %s; start it with "
            "`mcpmon start %s` or `s` in `mcpmon tui`",
            why ? " (" : "", why ? why : "", why ? ")" : "",
            b->state == BACKEND_DISABLED ? "disabled in the config" : "stopped",
            bk_display_name(b));
      return;
    default:
      return; /* idle, already restarting, or shutting down */
  }
}

void backend_stop(struct backend* b) {
  bk_shutdown(b);
}

/* ---- stopped and started by the user (issue 15) -------------------------- */

bool backend_is_off(const struct backend* b) {
  return b->off;
}

int backend_user_stop(struct backend* b) {
  if (b->draining || b->trial || b->removed || b->finishing || b->input_ended)
    return UV_ECANCELED;
  if (b->off) {
    b->start_after = false; /* a start asked for during the stop */
    return UV_EALREADY;
  }
  switch (b->state) {
    case BACKEND_STOPPING:
    case BACKEND_STOPPED:
      return UV_ECANCELED; /* shutting down */
    default:
      break;
  }
  bk_log(b, LL_INFO, "Stopping the server (requested on the control socket)");
  b->off = true;
  b->resuming = false;
  b->restart_pending = false;
  bk_set_state(b, BACKEND_STOPPING);
  bk_begin_stop(b, STOP_USER);
  return 0;
}

int backend_user_start(struct backend* b) {
  if (b->draining || b->trial || b->removed)
    return UV_ECANCELED;
  if (!b->off)
    return b->state == BACKEND_STOPPING || b->state == BACKEND_STOPPED
               ? UV_ECANCELED
               : UV_EALREADY;
  if (b->state == BACKEND_STOPPING) {
    b->start_after = true; /* once the process is gone (bk_stop_finished) */
    return 0;
  }
  bk_resume(b);
  return 0;
}

/* ---- reloads with overlap (issue 14) --------------------------------------
 */

void backend_set_events(struct backend* b,
                        const struct backend_events* ev,
                        void* ctx) {
  b->ev = *ev;
  b->ctx = ctx;
}

static void bk_copy_subscription(void* ctx, const char* uri, size_t len) {
  strset_add(ctx, uri, len);
}

void backend_inherit(struct backend* b, const struct backend* from) {
  if (from->init_params != NULL)
    backend_set_init_params(b, from->init_params);
  if (from->log_level_params != NULL)
    bk_track_log_level(b, from->log_level_params);
  strset_clear(&b->subscriptions);
  strset_each(&from->subscriptions, bk_copy_subscription, &b->subscriptions);
  free(b->client_protocol);
  b->client_protocol =
      from->client_protocol ? xstrdup(from->client_protocol) : NULL;
  b->ever_initialized = from->ever_initialized;
  b->generation = from->generation;
  b->next_id = from->next_id; /* ids go on rising in the log */
  b->restarts = from->restarts;
  b->crash_total = from->crash_total;
  b->out_paused = from->out_paused;
  b->restart_begin_ms = uv_now(b->loop);
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    bk_list_copy(&b->lists[k], &from->lists[k]);
  }
}

void backend_note_reload(struct backend* b,
                         const char* outcome,
                         const char* message) {
  snprintf(b->reload_outcome, sizeof(b->reload_outcome), "%s", outcome);
  snprintf(b->reload_message, sizeof(b->reload_message), "%s",
           message != NULL ? message : "");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  b->reload_at =
      (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
  if (b->obs != NULL && b->obs->on_state != NULL)
    b->obs->on_state(b, b->obs_ctx);
}

void backend_set_reloading(struct backend* b, const char* phase) {
  if (b->reloading == phase)
    return;
  b->reloading = phase;
  if (b->obs != NULL && b->obs->on_state != NULL)
    b->obs->on_state(b, b->obs_ctx);
}

const char* backend_reloading(const struct backend* b) {
  return b->reloading;
}

bool backend_last_reload(const struct backend* b,
                         const char** outcome,
                         const char** message,
                         uint64_t* at) {
  if (b->reload_outcome[0] == '\0')
    return false;
  *outcome = b->reload_outcome;
  *message = b->reload_message;
  *at = b->reload_at;
  return true;
}

void backend_promote(struct backend* b) {
  b->trial = false;
  b->restarts++;
}

const char* backend_failure(const struct backend* b) {
  if (b->fail_why[0] != '\0')
    return b->fail_why;
  return b->start_error;
}

void backend_forward_notification(struct backend* b, struct jmsg* m) {
  bk_forward_notification(b, m);
  bk_drain_check(b); /* a cancellation may have been its last call */
}

/* ---- the end of the client's input (issue 12 item 6) ----------------------
 */

void backend_finish(struct backend* b) {
  if (b->off) {
    bk_shutdown(b); /* nothing to deliver to a server that is off */
    return;
  }
  if (b->finishing || b->state == BACKEND_STOPPED ||
      b->state == BACKEND_STOPPING)
    return;
  bool can_wait = b->state == BACKEND_READY || b->state == BACKEND_STARTING ||
                  b->state == BACKEND_INITIALIZING ||
                  b->state == BACKEND_RESTARTING || b->state == BACKEND_CRASHED;
  if (!can_wait || (TAILQ_EMPTY(&b->queue) && b->inflight.nforward == 0)) {
    bk_shutdown(b);
    return;
  }
  b->finishing = true;
  bk_log(b, LL_INFO,
         "Client closed its input; the server gets the %zu request%s "
         "still queued and %u ms (--grace) to answer %zu in flight",
         b->queue_count, b->queue_count == 1 ? "" : "s", b->sc->grace_ms,
         b->inflight.nforward);
  bk_finish_arm_queue(b);
  bk_finish_check(b);
}

void backend_pause_output(struct backend* b, bool pause) {
  b->out_paused = pause;
  /* A server in its handshake is read on: mcpmon's own exchange with it
   * is small and must not time out. READY pauses it then. */
  if (!pause || b->state == BACKEND_READY)
    child_pause_output(b->p, pause);
}

void backend_remove(struct backend* b, bool replaced) {
  b->removed = true;
  b->replaced = replaced;
  backend_stop(b);
}

void backend_kill_now(struct backend* b) {
  if (b->p != NULL && b->stop_why != STOP_NONE)
    child_kill(b->p);
}

static void bk_timer_closed(uv_handle_t* h) {
  struct backend* b = h->data;
  if (--b->open_timers == 0)
    free(b);
}

void backend_free(struct backend* b) {
  if (b == NULL || b->freeing)
    return;
  b->freeing = true;
  /* Issue 15: nothing stays "running" in the dashboard's view. */
  bk_traffic_abandon(b,
                     "mcpmon stopped following it (its server was "
                     "released before it answered)");
  if (b->obs != NULL && b->obs->on_gone != NULL)
    b->obs->on_gone(b, b->obs_ctx);
  b->obs = NULL;
  if (b->p != NULL) {
    child_kill(b->p); /* the group and what left it */
    child_release(b->p);
    b->p = NULL;
  }
  inflight_free(&b->inflight);
  bk_drop_queue(b);
  cJSON_Delete(b->init_params);
  cJSON_Delete(b->init_result);
  cJSON_Delete(b->log_level_params);
  strset_clear(&b->subscriptions);
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    bk_list_clear(&b->lists[k]);
    cJSON_Delete(b->list_meta[k]);
    bk_list_clear(&b->fetch[k].acc);
    cJSON_Delete(b->fetch[k].meta);
  }
  free(b->client_protocol);
  free(b->start_error);
  for (int i = 0; i < BK_TAIL_LINES; i++) free(b->tail[i]);
  server_config_free(&b->config);
  b->logname = NULL;
  uv_timer_t* timers[] = {&b->t_stop, &b->t_backoff, &b->t_queue,
                          &b->t_init, &b->t_finish,  &b->t_drain};
  for (size_t i = 0; i < ARRAY_LEN(timers); i++)
    uv_close((uv_handle_t*)timers[i], bk_timer_closed);
}
