/* backend_machine.c - the state machine of a backend: its process
 * (src/core/proc/child.h) and that process's events, the dispatch of the
 * server's lines, the handshake and the replay of the client's state, and
 * what follows a stop (restart, crash backoff, waiting, stopped). See
 * backend_int.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/backend/backend_int.h"
#include "core/proc/proc.h"
#include "lib/utf8.h"
#include "lib/util.h"

/* ---- the server's lines ------------------------------------------------- */

static void bk_on_response(struct backend* b, struct jrpc_msg* m);

/* Scan the server's line while its bytes are fresh in cache: for a large
 * result this saves a pass over memory (bench/analysis.md). */
static void bk_on_out_part(void* ctx, const char* bytes, size_t n) {
  struct backend* b = ctx;
  if (bytes == NULL)
    jscan_begin(&b->out_scan);
  else
    jscan_feed(&b->out_scan, bytes, n);
}

/* A server response the text path did not take: a forwarded request's
 * goes on as text with the client's id; mcpmon's own are read as trees. */
static void bk_on_response_msg(struct backend* b, struct jmsg* m) {
  struct inflight_req* r = inflight_find(&b->inflight, jmsg_int_id(m));
  if (r != NULL && r->kind == INFLIGHT_FORWARD) {
    r = inflight_take(&b->inflight, r->id);
    jmsg_replace_json(m, m->id, r->client_id);
    const cJSON* err = NULL;
    cJSON* etree = NULL;
    char* tool_err = NULL;
    if (m->is_error) {
      etree = jtext_tree(m->text, jmsg_get(m, "error", NULL));
      err = cJSON_GetObjectItemCaseSensitive(etree, "message");
    } else if (r->seq != 0) {
      tool_err = bk_tool_error(m->text, jmsg_get(m, "result", NULL));
    }
    bk_report_text(b, r->seq, r->method, r->tool, r->t0_ns,
                   !m->is_error && tool_err == NULL,
                   tool_err != NULL      ? tool_err
                   : cJSON_IsString(err) ? err->valuestring
                                         : NULL,
                   m->text, m->len);
    free(tool_err);
    cJSON_Delete(etree);
    uint64_t cookie = r->cookie;
    inflight_req_free(r);
    if (cookie != 0)
      b->ev.on_reply(b, b->ctx, m, cookie);
    else
      b->ev.on_text(b, b->ctx, m);
    return;
  }
  if (r != NULL && r->kind == INFLIGHT_LIST) {
    /* Issue 18: a page of a list is read as text, never as a tree. */
    r = inflight_take(&b->inflight, r->id);
    bk_on_list_page(b, (enum backend_list)r->list, m);
    inflight_req_free(r);
    jmsg_free(m);
    return;
  }
  struct jrpc_msg tree;
  jrpc_parse(m->text, m->len, &tree);
  if (tree.kind == JRPC_RESPONSE)
    bk_on_response(b, &tree);
  else
    bk_log(b, LL_WARN,
           "Server's answer to mcpmon's own request could not be read "
           "(%s); dropped",
           tree.error_msg != NULL ? tree.error_msg : "not a response");
  jrpc_msg_free(&tree);
  jmsg_free(m);
}

static void bk_out_line(struct backend* b,
                        char* line,
                        size_t len,
                        struct framer* from) {
  /* The scan covers the line unless it ended in "\r\n" (the '\r' was
   * scanned as whitespace before the framer took it off). */
  const struct jscan* scanned = NULL;
  bool valid = false;
  if (b->out_scan.pos == len) {
    valid = jscan_end(&b->out_scan);
    scanned = &b->out_scan.out;
  }
  if (scanned != NULL ? scanned->bad_utf8 : !utf8_valid(line, len)) {
    /* Issue 12 item 4: never invalid UTF-8 to the client; each bad
     * sequence becomes U+FFFD. */
    if (!b->utf8_warned) {
      b->utf8_warned = true;
      bk_log(b, LL_WARN,
             "Server wrote invalid UTF-8; replaced with U+FFFD (said once)");
    }
    char* fixed = xmalloc(UTF8_REPAIR_MAX(len) + 1);
    size_t n = utf8_repair(line, len, fixed);
    fixed[n] = '\0';
    b->out_scan.pos = 0; /* no verdict for the repaired text */
    bk_out_line(b, fixed, n, NULL);
    free(fixed);
    return;
  }
  if (bk_forward_text(b, line, len, scanned, from))
    return; /* a response to a forwarded request, passed on as text */
  /* The scan's verdict saves a second pass over a server notification. */
  struct jmsg* m = bk_line_msg(line, len, valid ? scanned : NULL);
  if (m->kind == JRPC_INVALID || m->kind == JRPC_BATCH) {
    /* STDIO-8: a stray print() must not reach the client. */
    bk_log(b, LL_WARN,
           "Server wrote non-JSON-RPC output to stdout "
           "(dropped; use stderr for logs): %.200s",
           line);
    bk_unreadable_answer(b, m,
                         m->kind == JRPC_BATCH ? "a batch" : m->error_msg);
    jmsg_free(m);
    return;
  }
  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "<- server %.300s", m->text);
  switch (m->kind) {
    case JRPC_RESPONSE:
      bk_on_response_msg(b, m);
      return;
    case JRPC_REQUEST:
      if (strcmp(m->method, "ping") == 0) {
        cJSON* id = jmsg_id(m);
        cJSON* pong = jrpc_make_result(id, cJSON_CreateObject());
        bk_write_msg(b, pong); /* PING-1: answered by mcpmon */
        cJSON_Delete(pong);
        cJSON_Delete(id);
        jmsg_free(m);
      } else {
        b->ev.on_server_request(b, b->ctx, m, b->generation);
      }
      return;
    default:
      bk_on_notification(b, m);
      return;
  }
}

static void bk_on_out_line(void* ctx,
                           char* line,
                           size_t len,
                           struct framer* from) {
  struct backend* b = ctx;
  bk_out_line(b, line, len, from);
  bk_finish_check(b); /* the last answer after the end of input? */
  bk_drain_check(b);  /* ... or of a replaced server's calls? */
}

static void bk_on_out_oversize(void* ctx,
                               size_t total,
                               const char* head,
                               size_t headlen) {
  struct backend* b = ctx;
  cJSON* id = jrpc_sniff_id(head, headlen);
  struct inflight_req* r =
      id ? inflight_take(&b->inflight, jrpc_int_id(id)) : NULL;
  cJSON_Delete(id);
  bk_log(b, LL_WARN,
         "Server wrote a %zu-byte message, over the %zu-byte limit "
         "(--max-line); dropped",
         total, b->max_line);
  if (r != NULL && r->kind == INFLIGHT_FORWARD) {
    char text[256];
    snprintf(text, sizeof(text),
             "The response of server '%s' was %zu bytes, over mcpmon's "
             "limit of %zu bytes (--max-line)",
             bk_display_name(b), total, b->max_line);
    bk_answer_req_error(b, r, "oversize", text);
  }
  inflight_req_free(r);
}

static void bk_on_err_line(void* ctx, const char* line, size_t len) {
  struct backend* b = ctx;
  free(b->tail[b->tail_next]);
  b->tail[b->tail_next] =
      xstrndup(line, len > BK_TAIL_LINE_LEN ? BK_TAIL_LINE_LEN : len);
  b->tail_next = (b->tail_next + 1) % BK_TAIL_LINES;
}

/* ---- the handshake ------------------------------------------------------ */

static void bk_init_timeout_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->state != BACKEND_INITIALIZING)
    return;
  bk_log(b, LL_ERROR,
         "Server did not answer initialize within %u ms (--init-timeout)",
         b->sc->init_timeout_ms);
  bk_note_fail(b, "it did not answer initialize within %u ms (--init-timeout)",
               b->sc->init_timeout_ms);
  bk_begin_stop(b, STOP_CRASH);
}

void bk_send_init(struct backend* b) {
  if (bk_send_own_req(b, INFLIGHT_INIT, "initialize",
                      cJSON_Duplicate(b->init_params, 1)) == NULL) {
    bk_log(b, LL_ERROR, "Could not send initialize to the server");
    bk_note_fail(b, "initialize could not be sent to it");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  bk_set_state(b, BACKEND_INITIALIZING);
  uv_timer_start(&b->t_init, bk_init_timeout_cb, b->sc->init_timeout_ms, 0);
}

static void bk_replay_subscription(void* ctx, const char* uri, size_t len) {
  struct backend* b = ctx;
  cJSON* params = cJSON_CreateObject();
  cJSON_AddItemToObject(params, "uri", cJSON_CreateString(uri));
  (void)len; /* a URI that came from JSON text holds no NUL (cJSON) */
  bk_send_own_req(b, INFLIGHT_REPLAY, "resources/subscribe", params);
}

static void bk_on_init_result(struct backend* b, struct jrpc_msg* m) {
  if (b->stop_why != STOP_NONE) {
    /* Being stopped (restart, crash, shutdown): the late handshake of this
     * process must not make it the ready server. */
    bk_log(b, LL_DEBUG, "ignored the initialize result of a stopping server");
    return;
  }
  uv_timer_stop(&b->t_init);
  const cJSON* result = cJSON_GetObjectItemCaseSensitive(m->root, "result");
  if (m->is_error || !cJSON_IsObject(result)) {
    const cJSON* e = cJSON_GetObjectItemCaseSensitive(m->root, "error");
    const cJSON* em = cJSON_GetObjectItemCaseSensitive(e, "message");
    bk_log(b, LL_ERROR, "Server rejected initialize: %s",
           cJSON_IsString(em) ? em->valuestring : "(no message)");
    bk_note_fail(b, "it rejected initialize: %.200s",
                 cJSON_IsString(em) ? em->valuestring : "(no message)");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  cJSON_Delete(b->init_result);
  b->init_result = cJSON_Duplicate(result, 1);
  const cJSON* pv = cJSON_GetObjectItemCaseSensitive(result, "protocolVersion");
  if (cJSON_IsString(pv)) {
    if (b->client_protocol == NULL)
      b->client_protocol = xstrdup(pv->valuestring);
    else if (strcmp(b->client_protocol, pv->valuestring) != 0)
      bk_log(b, LL_WARN,
             "Restarted server negotiated protocol %s, the session uses %s",
             pv->valuestring, b->client_protocol);
  }
  bool first = !b->ever_initialized;
  b->ever_initialized = true;
  b->ev.on_initialized(b, b->ctx, first);
  if (b->p == NULL)
    return; /* the owner stopped us */

  cJSON* note = jrpc_make_notification("notifications/initialized", NULL);
  bk_write_msg(b, note);
  cJSON_Delete(note);
  /* §3.3 step 9: the client's state, replayed; answers are consumed. */
  if (b->log_level_params != NULL && bk_has_capability(b, "logging"))
    bk_send_own_req(b, INFLIGHT_REPLAY, "logging/setLevel",
                    cJSON_Duplicate(b->log_level_params, 1));
  strset_each(&b->subscriptions, bk_replay_subscription, b);

  if (!first && !b->trial && !b->resuming)
    b->restarts++; /* a trial counts when it is promoted */
  bk_set_state(b, BACKEND_READY);
  if (first) {
    bk_log(b, LL_INFO, "Server ready (%llu ms)",
           (unsigned long long)(uv_now(b->loop) - child_spawned_ms(b->p)));
  } else if (b->resuming) {
    bk_log(b, LL_INFO, "Server started again (%llu ms)",
           (unsigned long long)(uv_now(b->loop) - b->restart_begin_ms));
  } else if (b->trial) {
    bk_log(b, LL_VERBOSE, "New server ready (%llu ms); reading its lists",
           (unsigned long long)(uv_now(b->loop) - child_spawned_ms(b->p)));
  } else {
    bk_log(b, LL_INFO, "Restart #%u complete (%llu ms)", b->restarts,
           (unsigned long long)(uv_now(b->loop) - b->restart_begin_ms));
  }
  b->restart_pending = false;
  if (b->out_paused)
    child_pause_output(b->p, true); /* the client still is not reading */
  bk_flush_queue(b);
  if (!first && !(b->resuming && b->ev.on_resumed != NULL))
    b->ev.on_restarted(b, b->ctx);
  bk_fetch_lists(b);
}

static void bk_on_response(struct backend* b, struct jrpc_msg* m) {
  struct inflight_req* r = inflight_take(&b->inflight, jrpc_int_id(m->id));
  if (r == NULL) {
    char idtext[64];
    jrpc_id_format(m->id, idtext, sizeof(idtext));
    bk_log(b, LL_DEBUG, "dropped a response to unknown id %s", idtext);
    return;
  }
  switch (r->kind) {
    case INFLIGHT_FORWARD:
      jrpc_set_id(m->root, r->client_id);
      bk_finish_forward(b, r, m->root);
      m->root = NULL;
      break;
    case INFLIGHT_INIT:
      bk_on_init_result(b, m);
      break;
    case INFLIGHT_LIST: /* read as text: bk_on_response_msg */
      break;
    case INFLIGHT_REPLAY:
      if (m->is_error)
        bk_log(b, LL_WARN, "Server refused the replayed %s", r->method);
      break;
  }
  inflight_req_free(r);
}

/* ---- stopping ----------------------------------------------------------- */

/* Answer every forwarded request of the process that just went away,
 * oldest first (and forget its tasks' progress tokens and fetches). */
static void bk_fail_inflight(struct backend* b, enum stop_why why) {
  inflight_clear_tasks(&b->inflight);
  char msg[512];
  const char* reason = bk_gone_message(b, why, msg, sizeof(msg));
  struct inflight_req* r;
  while ((r = inflight_take_oldest(&b->inflight)) != NULL) {
    if (r->kind == INFLIGHT_FORWARD)
      bk_answer_req_error(b, r, reason, msg);
    inflight_req_free(r);
  }
  bk_lists_reset(b);
}

static void bk_backoff_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->state == BACKEND_CRASHED)
    bk_spawn(b);
}

/* The old process and its group are gone: decide what comes next. */
static void bk_stop_finished(struct backend* b) {
  enum stop_why why = b->stop_why;
  uint64_t gen = b->p ? b->generation : 0;
  uv_timer_stop(&b->t_stop);
  b->stop_why = STOP_NONE;
  bk_fail_inflight(b, why);
  b->crash_cause = NULL;
  bool had = b->p != NULL;
  child_release(b->p);
  b->p = NULL;
  if (had)
    b->ev.on_process_gone(b, b->ctx, gen);

  if (b->trial && why == STOP_CRASH)
    why = STOP_SHUTDOWN; /* issue 14: a trial is not restarted; its owner
                            hears of it through on_stopped */
  if (why == STOP_RESTART && b->finishing && TAILQ_EMPTY(&b->queue))
    why = STOP_SHUTDOWN; /* the client closed its input during the
                            restart and nothing waits: no new process
                            (issue 12 item 6; found by fuzz_router) */
  if (why == STOP_USER && (b->finishing || b->input_ended)) {
    b->off = false; /* the client has gone meanwhile: for good */
    b->start_after = false;
    bk_set_state(b, BACKEND_STOPPING);
    why = STOP_SHUTDOWN;
  }
  switch (why) {
    case STOP_RESTART:
      bk_spawn(b);
      return;
    case STOP_USER:
      bk_set_state(b, BACKEND_STOPPED);
      bk_fail_queue(b, true);
      if (b->start_after) {
        b->start_after = false;
        bk_resume(b);
      } else {
        bk_log(b, LL_INFO,
               "Server stopped; start it with `mcpmon start %s` or `s` in "
               "`mcpmon tui`",
               bk_display_name(b));
      }
      return;
    case STOP_SHUTDOWN:
      bk_set_state(b, BACKEND_STOPPED);
      bk_fail_queue(b, true);
      b->ev.on_stopped(b, b->ctx);
      return;
    default:
      break;
  }
  /* A crash: counted within the window that began with the first crash
   * counted (issue 15: --crash-retries within --crash-window). */
  uint64_t now = uv_now(b->loop);
  if (b->crashes > 0 && now - b->crash_window_start > b->sc->crash_window_ms) {
    bk_log(b, LL_DEBUG,
           "The last crashes were more than %u ms ago; "
           "crash count reset",
           b->sc->crash_window_ms);
    b->crashes = 0;
  }
  if (b->crashes == 0)
    b->crash_window_start = now;
  b->crashes++;
  b->crash_total++;
  if (b->crashes >= b->sc->crash_retries) {
    bk_set_state(b, BACKEND_WAITING);
    bk_log(b, LL_ERROR,
           "Server crashed %u time%s within %u ms; waiting for file changes "
           "before restarting",
           b->crashes, b->crashes == 1 ? "" : "s", b->sc->crash_window_ms);
    bk_fail_queue(b, true);
    bk_finish_check(b);
    return;
  }
  unsigned delay = b->crashes > 6 ? BK_BACKOFF_MAX_MS
                                  : BK_BACKOFF_FIRST_MS << (b->crashes - 1);
  if (delay > BK_BACKOFF_MAX_MS)
    delay = BK_BACKOFF_MAX_MS;
  bk_set_state(b, BACKEND_CRASHED);
  bk_log(b, LL_INFO, "Restarting in %u ms (crash %u of %u)", delay, b->crashes,
         b->sc->crash_retries);
  uv_timer_start(&b->t_backoff, bk_backoff_cb, delay, 0);
}

/* The process and its group are gone (child_stop's outcome). */
static void bk_on_gone(void* ctx) {
  bk_stop_finished(ctx);
}

/* A stop with no process to stop. */
static void bk_stop_timer_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->stop_why != STOP_NONE && b->p == NULL)
    bk_stop_finished(b);
}

static void bk_stdout_closed_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->p == NULL || child_exited(b->p) || b->stop_why != STOP_NONE)
    return;
  bk_log(b, LL_WARN,
         "Server closed its stdout but is still running; "
         "stopping it");
  b->crash_cause = "closed its stdout while still running";
  bk_begin_stop(b, STOP_CRASH);
}

static void bk_on_out_eof(void* ctx) {
  struct backend* b = ctx;
  if (!child_exited(b->p) && b->stop_why == STOP_NONE) {
    /* Usually the exit follows at once; if not, the server can no longer
     * answer and is stopped. */
    uv_timer_start(&b->t_stop, bk_stdout_closed_cb, BK_STDOUT_EOF_GRACE_MS, 0);
  }
}

void bk_begin_stop(struct backend* b, enum stop_why why) {
  uv_timer_stop(&b->t_init);
  uv_timer_stop(&b->t_backoff);
  if (b->stop_why != STOP_NONE) {
    /* Already stopping: a shutdown overrides a restart, crash or user
     * stop, and a user stop a restart or crash. */
    if (why == STOP_SHUTDOWN ||
        (why == STOP_USER && b->stop_why != STOP_SHUTDOWN))
      b->stop_why = why;
    return;
  }
  if (why == STOP_CRASH && b->input_ended) {
    bk_shutdown(b); /* no restart: it would never see the client's EOF */
    return;
  }
  b->stop_why = why;
  if (why == STOP_CRASH) {
    /* "Restart #N complete (T ms)" then counts from the crash. */
    b->restart_begin_ms = uv_now(b->loop);
    bk_set_state(b, BACKEND_CRASHED);
  }
  if (b->p == NULL) {
    uv_timer_start(&b->t_stop, bk_stop_timer_cb, 0, 0);
    return;
  }
  uv_timer_stop(&b->t_stop);
  child_stop(b->p, why == STOP_SHUTDOWN || why == STOP_USER, b->sc->grace_ms);
}

static void bk_on_exit(void* ctx, int64_t status, int sig) {
  struct backend* b = ctx;
  b->have_exit = true;
  b->last_exit_status = (long)status;
  b->last_term_signal = sig;
  char ex[64];
  proc_describe_exit((long)status, sig, ex, sizeof(ex));
  snprintf(b->last_exit_text, sizeof(b->last_exit_text), "%s", ex);
  if (b->stop_why == STOP_NONE && b->input_ended) {
    /* Issue 12 item 6: it read its EOF and left, as servers do. */
    bk_log(b, LL_INFO, "Server exited after the end of its input (%s)", ex);
    bk_shutdown(b);
    return;
  }
  if (b->stop_why == STOP_NONE) {
    bool handshake =
        b->state == BACKEND_INITIALIZING || b->state == BACKEND_STARTING;
    bk_log(b, LL_ERROR, "Server exited unexpectedly (%s)%s", ex,
           handshake ? " during its handshake" : "");
    bk_note_fail(b, "it exited (%s)%s", ex,
                 handshake ? " during its handshake" : "");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  bk_log(b,
         b->stop_why == STOP_SHUTDOWN || b->stop_why == STOP_USER ? LL_INFO
                                                                  : LL_VERBOSE,
         "Server stopped (%s)", ex);
}

/* ---- the end of the client's input (issue 12 item 6) ----------------------
 */

void bk_shutdown(struct backend* b) {
  /* One the user stopped is ended for good too (on_stopped follows). */
  if ((b->state == BACKEND_STOPPED && !b->off) ||
      (b->state == BACKEND_STOPPING && b->stop_why != STOP_USER))
    return;
  b->off = false;
  b->start_after = false;
  b->resuming = false;
  b->finishing = false;
  uv_timer_stop(&b->t_finish);
  bk_set_state(b, BACKEND_STOPPING);
  bk_begin_stop(b, STOP_SHUTDOWN);
}

static void bk_finish_timer_cb(uv_timer_t* t);

/* Before the input ended: look again just after the last queued request
 * expires (t_queue answers it first). */
void bk_finish_arm_queue(struct backend* b) {
  struct qitem* last = TAILQ_LAST(&b->queue, bk_queue);
  if (last == NULL)
    return;
  uint64_t now = uv_now(b->loop);
  uv_timer_start(&b->t_finish, bk_finish_timer_cb,
                 last->deadline_ms > now ? last->deadline_ms - now + 1 : 1, 0);
}

static void bk_finish_timer_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (!b->finishing)
    return;
  if (!b->input_ended) {
    /* Every queued request's deadline has passed: the server is still not
     * ready and nothing is left to deliver (t_queue answered them). */
    bk_finish_arm_queue(b);
    bk_finish_check(b);
    return;
  }
  bk_log(b, LL_WARN,
         "%zu request%s still unanswered %u ms after the end of input "
         "(--grace); stopping the server",
         b->inflight.nforward, b->inflight.nforward == 1 ? "" : "s",
         b->sc->grace_ms);
  bk_shutdown(b);
}

void bk_finish_check(struct backend* b) {
  if (!b->finishing || b->stop_why != STOP_NONE)
    return;
  if (b->state != BACKEND_READY) {
    /* Waiting for the server: the queue waits with it, each request
     * within --queue-timeout. Nothing left to deliver: done. */
    if (TAILQ_EMPTY(&b->queue) && b->inflight.nforward == 0)
      bk_shutdown(b);
    return;
  }
  if (!b->input_ended) {
    /* READY has flushed the queue: everything the client sent is
     * written. The server reads EOF after the last byte of it. */
    b->input_ended = true;
    child_end_input(b->p);
    uv_timer_start(&b->t_finish, bk_finish_timer_cb, b->sc->grace_ms, 0);
  }
  if (b->inflight.nforward == 0) {
    bk_log(b, LL_INFO, "Every request answered after the end of input");
    bk_shutdown(b);
  }
}

/* ---- the drain of a replaced server (issue 14) -------------------------- */

static void bk_drain_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (!b->draining || b->state != BACKEND_READY)
    return;
  bk_log(b, LL_WARN,
         "The old server still has %zu call%s in flight after %u ms "
         "(--drain); stopping it",
         b->inflight.nforward, b->inflight.nforward == 1 ? "" : "s",
         b->drain_ms);
  bk_shutdown(b);
}

void backend_drain(struct backend* b, unsigned ms) {
  b->draining = true;
  b->drain_ms = ms;
  if (b->state != BACKEND_READY || b->inflight.nforward == 0) {
    bk_shutdown(b);
    return;
  }
  bk_log(b, LL_INFO,
         "The old server finishes %zu call%s in flight (up to %u ms)",
         b->inflight.nforward, b->inflight.nforward == 1 ? "" : "s", ms);
  uv_timer_start(&b->t_drain, bk_drain_cb, ms, 0);
}

void bk_drain_check(struct backend* b) {
  if (!b->draining || b->state != BACKEND_READY || b->stop_why != STOP_NONE ||
      b->inflight.nforward > 0)
    return;
  uv_timer_stop(&b->t_drain);
  bk_log(b, LL_VERBOSE, "The old server answered every call it had");
  bk_shutdown(b);
}

/* ---- spawning ----------------------------------------------------------- */

void bk_note_fail(struct backend* b, const char* fmt, ...) {
  if (b->fail_why[0] != '\0')
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->fail_why, sizeof(b->fail_why), fmt, ap);
  va_end(ap);
}

static void bk_enter_waiting(struct backend* b, const char* why) {
  if (b->trial) {
    /* Issue 14: a trial that cannot start ends (on_stopped, later). */
    bk_log(b, LL_ERROR, "%s", why);
    bk_note_fail(b, "%s", why);
    b->stop_why = STOP_CRASH;
    uv_timer_start(&b->t_stop, bk_stop_timer_cb, 0, 0);
    return;
  }
  bk_log(b, LL_ERROR, "%s; waiting for file changes before restarting", why);
  b->have_exit = false;
  free(b->start_error);
  b->start_error = xstrdup(why);
  bk_set_state(b, BACKEND_WAITING);
  bk_fail_queue(b, true);
  bk_finish_check(b); /* nothing left to deliver */
}

void bk_resume(struct backend* b) {
  bool disabled = b->state == BACKEND_DISABLED;
  bk_log(b, LL_INFO, "%s (requested on the control socket)",
         disabled ? "Starting the server, disabled in the config, for this run"
                  : "Starting the server again");
  b->off = false;
  b->crashes = 0;
  b->resuming = b->ever_initialized;
  b->resume_diff = 0;
  b->restart_begin_ms = uv_now(b->loop);
  bk_spawn(b);
}

void bk_spawn(struct backend* b) {
  const struct server_config* sc = b->sc;
  static const struct child_events ev = {
      .on_out_part = bk_on_out_part,
      .on_out_line = bk_on_out_line,
      .on_out_oversize = bk_on_out_oversize,
      .on_out_eof = bk_on_out_eof,
      .on_err_line = bk_on_err_line,
      .on_exit = bk_on_exit,
      .on_gone = bk_on_gone,
  };
  struct child_options opts = {
      .command = sc->command,
      .args = sc->args.v,
      .nargs = sc->args.n,
      .env = sc->env.v,
      .nenv = sc->env.n,
      .cwd = sc->cwd,
      .max_line = b->max_line,
      .logname = b->logname,
  };
  char why[768];
  jscan_begin(&b->out_scan);
  /* Issue 15 defect 7: the stderr tail is this process's only. */
  for (int i = 0; i < BK_TAIL_LINES; i++) {
    free(b->tail[i]);
    b->tail[i] = NULL;
  }
  b->tail_next = 0;
  int rc = child_spawn(b->loop, &opts, &ev, b, &b->p, why, sizeof(why));
  if (rc != 0) {
    bk_start_failure_hint(b, rc, why, sizeof(why));
    bk_enter_waiting(b, why);
    return;
  }
  b->generation++;
  free(b->start_error);
  b->start_error = NULL;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  b->started_wall_ms =
      (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
  if (log_enabled(LL_INFO)) {
    char* cmd = server_config_command_line(sc);
    bk_log(b, LL_INFO, "Started: %s", cmd);
    free(cmd);
  }
  bk_set_state(b, BACKEND_STARTING);
  if (b->init_params != NULL)
    bk_send_init(b);
}
