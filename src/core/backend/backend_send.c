/* backend_send.c - what goes to a backend's server: forwarded requests
 * and notifications, mcpmon's own requests, the queue of what waits for
 * READY, cancellation; and the answers to the owner and the observer.
 * See backend_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "lib/util.h"

/* ---- writing to the server ---------------------------------------------- */

int bk_write_text(struct backend* b, char* text, size_t len) {
  if (b->p == NULL) {
    free(text);
    return UV_EPIPE;
  }
  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "-> server %.*s", (int)(len > 300 ? 300 : len - 1),
           text);
  return child_write(b->p, text, len);
}

int bk_write_msg(struct backend* b, const cJSON* msg) {
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  return bk_write_text(b, text, len);
}

/* ---- answers to the owner and the observer ------------------------------ */

/* Tell the observer that the request of entry seq got its answer (a
 * tree mcpmon made, or read), t0_ns being when it arrived (queued time
 * counts). */
static void bk_report(struct backend* b,
                      uint64_t seq,
                      const char* method,
                      const char* tool,
                      uint64_t t0_ns,
                      const cJSON* response) {
  if (b->obs == NULL || b->obs->on_traffic == NULL || seq == 0)
    return;
  const cJSON* err = cJSON_GetObjectItemCaseSensitive(response, "error");
  const cJSON* em = cJSON_GetObjectItemCaseSensitive(err, "message");
  char* tool_err = err == NULL
                       ? bk_tool_error_tree(cJSON_GetObjectItemCaseSensitive(
                             response, "result"))
                       : NULL;
  size_t len = 0;
  char* text = NULL; /* printed only for an observer that keeps bodies */
  if (b->obs->body_max > 0)
    text = jrpc_serialize(response, &len);
  bk_report_text(b, seq, method, tool, t0_ns, err == NULL && tool_err == NULL,
                 tool_err != NULL     ? tool_err
                 : cJSON_IsString(em) ? em->valuestring
                                      : NULL,
                 text, len > 0 ? len - 1 : 0);
  free(text);
  free(tool_err);
}

void bk_reply_tree(struct backend* b, cJSON* msg, uint64_t cookie) {
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  cJSON_Delete(msg);
  struct jmsg* m = jmsg_parse(text, len - 1); /* without its '\n' */
  free(text);
  b->ev.on_reply(b, b->ctx, m, cookie);
}

void bk_finish_forward(struct backend* b,
                       struct inflight_req* r,
                       cJSON* response) {
  bk_report(b, r->seq, r->method, r->tool, r->t0_ns, response);
  if (r->cookie != 0)
    bk_reply_tree(b, response, r->cookie);
  else
    b->ev.on_message(b, b->ctx, response);
}

void bk_answer_req_error(struct backend* b,
                         struct inflight_req* r,
                         const char* reason,
                         const char* message) {
  bk_finish_forward(b, r, bk_error(b, r->client_id, reason, message));
}

/* params.name of tools/call and prompts/get, for the traffic view (heap,
 * or NULL). */
static char* bk_tool_of(const struct jmsg* m) {
  return jtext_string(m->text, jmsg_get(m, "params", "name", NULL), NULL);
}

uint64_t bk_traffic_begin(struct backend* b, const struct jmsg* m) {
  if (b->obs == NULL || b->obs->on_traffic == NULL)
    return 0;
  size_t max = b->obs->body_max;
  char* body = max > 0 ? xstrndup(m->text, m->len < max ? m->len : max)
                       : NULL; /* with the client's id, as it was sent */
  char* tool = bk_tool_of(m);
  struct backend_traffic t = {
      .running = true,
      .method = m->method,
      .tool = tool,
      .ok = true,
      .request = body,
  };
  uint64_t seq = b->obs->on_traffic(b, b->obs_ctx, &t);
  free(tool);
  free(body);
  return seq;
}

/* Answer a client request that never reached a server (takes m). */
static void bk_reject_why(struct backend* b,
                          struct jmsg* m,
                          uint64_t t0_ns,
                          uint64_t seq,
                          uint64_t cookie,
                          cJSON* err) {
  if (seq != 0) {
    char* tool = bk_tool_of(m);
    bk_report(b, seq, m->method, tool, t0_ns, err);
    free(tool);
  }
  jmsg_free(m);
  if (cookie != 0)
    bk_reply_tree(b, err, cookie);
  else
    b->ev.on_message(b, b->ctx, err);
}

static void bk_reject(struct backend* b,
                      struct jmsg* m,
                      uint64_t t0_ns,
                      uint64_t seq,
                      uint64_t cookie,
                      const char* what) {
  cJSON* id = jmsg_id(m);
  cJSON* err = bk_unavailable_error(b, id, what);
  cJSON_Delete(id);
  bk_reject_why(b, m, t0_ns, seq, cookie, err);
}

/* ---- mcpmon's own requests ---------------------------------------------- */

/* ID-3: the same counter as forwarded requests. */
struct inflight_req* bk_send_own_req(struct backend* b,
                                     enum inflight_kind kind,
                                     const char* method,
                                     cJSON* params) {
  struct inflight_req* r = inflight_req_new(b->next_id++, kind, method);
  cJSON* msg = jrpc_make_request(r->id, method, params);
  int rc = bk_write_msg(b, msg);
  cJSON_Delete(msg);
  if (rc != 0) {
    inflight_req_free(r);
    return NULL;
  }
  inflight_add(&b->inflight, r);
  return r;
}

/* ---- the queue of messages waiting for READY ---------------------------- */

static void bk_queue_expire_cb(uv_timer_t* t);

static void bk_queue_arm(struct backend* b) {
  struct qitem* q = TAILQ_FIRST(&b->queue);
  if (q == NULL) {
    uv_timer_stop(&b->t_queue);
    return;
  }
  uint64_t now = uv_now(b->loop);
  uint64_t d = q->deadline_ms;
  uv_timer_start(&b->t_queue, bk_queue_expire_cb, d > now ? d - now : 0, 0);
}

/* The memory a queued message holds: its text's buffer and the two
 * structs, not only its length. */
static size_t bk_qitem_mem(const struct jmsg* m) {
  return m->cap + sizeof(struct jmsg) + sizeof(struct qitem);
}

/* Issue 12 item 5: what waits is bounded in count and bytes; past it a
 * request is answered at once ("backpressure") instead of growing. */
static bool bk_queue_full(const struct backend* b, const struct jmsg* m) {
  return b->queue_count >= BK_QUEUE_MAX_ITEMS ||
         b->queue_bytes + bk_qitem_mem(m) > BK_QUEUE_MAX_BYTES;
}

static void bk_enqueue(struct backend* b,
                       struct jmsg* m,
                       uint64_t t0_ns,
                       uint64_t seq,
                       uint64_t cookie) {
  if (bk_queue_full(b, m)) {
    if (!b->queue_full_warned) {
      b->queue_full_warned = true;
      bk_log(b, LL_WARN,
             "%zu messages (%zu MiB) are waiting for the server; refusing "
             "more until it is ready",
             b->queue_count, b->queue_bytes >> 20);
    }
    if (m->kind != JRPC_REQUEST) {
      jmsg_free(m);
      return;
    }
    char text[256];
    snprintf(text, sizeof(text),
             "Server '%s' is %s and %zu messages (%zu MiB) already wait for "
             "it; the request was not queued",
             bk_display_name(b), backend_state_name(b->state), b->queue_count,
             b->queue_bytes >> 20);
    cJSON* id = jmsg_id(m);
    cJSON* err = bk_error(b, id, "backpressure", text);
    cJSON_Delete(id);
    bk_reject_why(b, m, t0_ns, seq, cookie, err);
    return;
  }
  struct qitem* q = xcalloc(1, sizeof(*q));
  q->msg = m;
  q->t0_ns = t0_ns;
  q->seq = seq;
  q->cookie = cookie;
  q->deadline_ms = uv_now(b->loop) + b->queue_timeout_ms;
  bool first = TAILQ_EMPTY(&b->queue);
  TAILQ_INSERT_TAIL(&b->queue, q, entry);
  b->queue_count++;
  q->mem = bk_qitem_mem(m);
  b->queue_bytes += q->mem;
  if (first)
    bk_queue_arm(b);
  bk_log(b, LL_DEBUG, "queued a message while %s",
         backend_state_name(b->state));
}

static void bk_unqueue(struct backend* b, struct qitem* q) {
  TAILQ_REMOVE(&b->queue, q, entry);
  b->queue_count--;
  b->queue_bytes -= q->mem;
  if (b->queue_count == 0)
    b->queue_full_warned = false;
}

static struct qitem* bk_dequeue(struct backend* b) {
  struct qitem* q = TAILQ_FIRST(&b->queue);
  if (q != NULL)
    bk_unqueue(b, q);
  return q;
}

void bk_fail_queue(struct backend* b, bool all) {
  uint64_t now = uv_now(b->loop);
  struct qitem* q;
  while ((q = TAILQ_FIRST(&b->queue)) != NULL &&
         (all || q->deadline_ms <= now)) {
    bk_unqueue(b, q);
    if (q->msg->kind == JRPC_REQUEST)
      bk_reject(b, q->msg, q->t0_ns, q->seq, q->cookie,
                "the request was not sent to it");
    else
      jmsg_free(q->msg);
    free(q);
  }
  bk_queue_arm(b);
}

void bk_traffic_abandon(struct backend* b, const char* why) {
  if (b->obs == NULL || b->obs->on_traffic == NULL)
    return;
  struct qitem* q;
  TAILQ_FOREACH(q, &b->queue, entry) {
    if (q->msg->kind == JRPC_REQUEST)
      bk_report_text(b, q->seq, q->msg->method, NULL, q->t0_ns, false, why,
                     NULL, 0);
  }
  struct inflight_req* r;
  TAILQ_FOREACH(r, &b->inflight.order, entry) {
    if (r->kind == INFLIGHT_FORWARD)
      bk_report_text(b, r->seq, r->method, r->tool, r->t0_ns, false, why, NULL,
                     0);
  }
}

void bk_drop_queue(struct backend* b) {
  struct qitem* q;
  while ((q = bk_dequeue(b)) != NULL) {
    jmsg_free(q->msg);
    free(q);
  }
}

static void bk_queue_expire_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  bk_fail_queue(b, false);
}

/* ---- forwarding client messages ------------------------------------------ */

void bk_track_log_level(struct backend* b, const cJSON* params) {
  cJSON_Delete(b->log_level_params);
  b->log_level_params = params ? cJSON_Duplicate(params, 1) : NULL;
}

/* §3.3 step 9: what a restarted server must get again. */
static void bk_track_state(struct backend* b, const struct jmsg* m) {
  if (strcmp(m->method, "logging/setLevel") == 0) {
    cJSON* params = jtext_tree(m->text, m->params);
    bk_track_log_level(b, params);
    cJSON_Delete(params);
    return;
  }
  bool sub = strcmp(m->method, "resources/subscribe") == 0;
  if (!sub && strcmp(m->method, "resources/unsubscribe") != 0)
    return;
  size_t len;
  char* uri = jtext_string(m->text, jmsg_get(m, "params", "uri", NULL), &len);
  if (uri == NULL)
    return;
  if (!sub) {
    strset_remove(&b->subscriptions, uri, len);
  } else if (strset_count(&b->subscriptions) < BK_SUBSCRIPTIONS_MAX) {
    strset_add(&b->subscriptions, uri, len);
  } else if (!strset_has(&b->subscriptions, uri, len) &&
             !b->subscriptions_full_warned) {
    b->subscriptions_full_warned = true;
    bk_log(b, LL_WARN,
           "More than %u resource subscriptions: the ones past that "
           "are forwarded but not renewed after a restart",
           BK_SUBSCRIPTIONS_MAX);
  }
  free(uri);
}

/* PROG-1: keep the progress token of forwarded request r (m: as the
 * client sent it) with r, and a task request's for the process's life. */
static void bk_note_token(struct backend* b,
                          struct inflight_req* r,
                          const struct jmsg* m) {
  struct jspan token = jmsg_get(m, "params", "_meta", "progressToken", NULL);
  enum jscan_type t = jtext_type(m->text, token);
  if (t != JSCAN_STRING && t != JSCAN_NUMBER)
    return;
  r->token = jtext_raw(m->text, token);
  if (jmsg_get(m, "params", "task", NULL).len != 0)
    inflight_note_task(&b->inflight, r->token);
}

/* Send a client request to the READY server under a fresh id (ID-1): the
 * client's bytes with only the id replaced. */
static void bk_send_forward(struct backend* b,
                            struct jmsg* m,
                            uint64_t t0_ns,
                            uint64_t seq,
                            uint64_t cookie) {
  size_t queued = child_write_queue(b->p);
  if (queued > BK_WRITE_QUEUE_MAX) {
    char text[256];
    snprintf(text, sizeof(text),
             "Server '%s' is not reading its input (%zu MiB waiting); the "
             "request was not sent",
             bk_display_name(b), queued >> 20);
    cJSON* id = jmsg_id(m);
    cJSON* err = bk_error(b, id, "backpressure", text);
    cJSON_Delete(id);
    bk_reject_why(b, m, t0_ns, seq, cookie, err);
    return;
  }
  struct inflight_req* r =
      inflight_req_new(b->next_id++, INFLIGHT_FORWARD, m->method);
  r->cookie = cookie;
  r->t0_ns = t0_ns;
  r->seq = seq;
  if (seq != 0)
    r->tool = bk_tool_of(m);
  r->client_id = jmsg_id(m);
  bk_note_token(b, r, m);
  jmsg_replace_int(m, m->id, r->id);
  size_t len;
  char* text = jmsg_take_line(m, &len);
  int rc = bk_write_text(b, text, len);
  if (rc != 0) {
    char why[256];
    snprintf(why, sizeof(why), "Server '%s' could not be written to (%s)",
             bk_display_name(b), uv_strerror(rc));
    bk_answer_req_error(b, r, "crashed", why);
    inflight_req_free(r);
    return;
  }
  inflight_add(&b->inflight, r);
}

static bool bk_accepts_now(const struct backend* b) {
  return b->state == BACKEND_READY;
}

static bool bk_can_queue(const struct backend* b) {
  switch (b->state) {
    case BACKEND_IDLE:
    case BACKEND_STARTING:
    case BACKEND_INITIALIZING:
    case BACKEND_RESTARTING:
    case BACKEND_CRASHED:
      return true;
    default:
      return false;
  }
}

static void bk_forward(struct backend* b, struct jmsg* m, uint64_t cookie) {
  bk_track_state(b, m);
  uint64_t t0_ns = uv_hrtime();
  uint64_t seq = bk_traffic_begin(b, m); /* issue 15: shown while it runs */
  if (bk_accepts_now(b))
    bk_send_forward(b, m, t0_ns, seq, cookie);
  else if (bk_can_queue(b))
    bk_enqueue(b, m, t0_ns, seq, cookie);
  else
    bk_reject(b, m, t0_ns, seq, cookie, "the request was not sent to it");
}

void backend_forward_request(struct backend* b, struct jmsg* m) {
  bk_forward(b, m, 0);
}

void backend_forward_watched(struct backend* b,
                             struct jmsg* m,
                             uint64_t cookie) {
  bk_forward(b, m, b->ev.on_reply != NULL ? cookie : 0);
}

static void bk_write_jmsg(struct backend* b, struct jmsg* m) {
  size_t len;
  char* text = jmsg_take_line(m, &len);
  bk_write_text(b, text, len);
}

/* notifications/cancelled from the client (CAN-1, LIFE-7). */
static void bk_cancel(struct backend* b, struct jmsg* m) {
  struct jspan rid_at = jmsg_get(m, "params", "requestId", NULL);
  cJSON* rid = jtext_raw(m->text, rid_at);
  if (rid == NULL) {
    jmsg_free(m);
    return;
  }
  /* Still queued: remove it, answer nothing. */
  struct qitem* q;
  TAILQ_FOREACH(q, &b->queue, entry) {
    if (q->msg->kind != JRPC_REQUEST)
      continue;
    cJSON* id = jmsg_id(q->msg);
    bool same = jrpc_id_equal(id, rid);
    cJSON_Delete(id);
    if (same) {
      bk_report_text(b, q->seq, q->msg->method, NULL, q->t0_ns, false,
                     "cancelled by the client", NULL, 0);
      bk_unqueue(b, q);
      jmsg_free(q->msg);
      free(q);
      bk_queue_arm(b);
      cJSON_Delete(rid);
      jmsg_free(m);
      return;
    }
  }
  /* In flight: translate the id and forget the request. */
  struct inflight_req* r = inflight_find_client(&b->inflight, rid);
  cJSON_Delete(rid);
  if (r == NULL) {
    jmsg_free(m); /* already answered or unknown: nothing to do */
    return;
  }
  jmsg_replace_int(m, rid_at, r->id);
  bk_report_text(b, r->seq, r->method, r->tool, r->t0_ns, false,
                 "cancelled by the client", NULL, 0);
  inflight_req_free(inflight_take(&b->inflight, r->id));
  bk_write_jmsg(b, m);
}

void bk_forward_notification(struct backend* b, struct jmsg* m) {
  if (strcmp(m->method, "notifications/cancelled") == 0) {
    bk_cancel(b, m);
    return;
  }
  if (bk_accepts_now(b))
    bk_write_jmsg(b, m);
  else if (bk_can_queue(b))
    bk_enqueue(b, m, 0, 0, 0);
  else
    jmsg_free(m);
}

void backend_send_response(struct backend* b,
                           struct jmsg* m,
                           uint64_t generation) {
  if (b->p != NULL && b->generation == generation) {
    bk_write_jmsg(b, m);
    return;
  }
  bk_log(b, LL_DEBUG, "dropped the client's answer for a stopped server");
  jmsg_free(m);
}

void bk_flush_queue(struct backend* b) {
  struct qitem* q;
  while (b->state == BACKEND_READY && (q = bk_dequeue(b)) != NULL) {
    if (q->msg->kind == JRPC_REQUEST)
      bk_send_forward(b, q->msg, q->t0_ns, q->seq, q->cookie);
    else
      bk_write_jmsg(b, q->msg);
    free(q);
  }
  bk_queue_arm(b);
}

void backend_set_log_level(struct backend* b, const cJSON* params) {
  bk_track_log_level(b, params);
  if (b->state == BACKEND_READY && bk_has_capability(b, "logging"))
    bk_send_own_req(b, INFLIGHT_REPLAY, "logging/setLevel",
                    cJSON_Duplicate(params, 1));
}
