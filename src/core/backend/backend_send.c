/* backend_send.c - what goes to a backend's server: forwarded requests
 * and notifications, mcpmon's own requests, the queue of what waits for
 * READY, cancellation; and the answers to the owner and the observer.
 * See backend_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "lib/util.h"

/* cJSON returns NULL when out of memory: the allocation policy applies
 * (util.h). */
static char* bk_print(const cJSON* msg) {
  char* text = cJSON_PrintUnformatted(msg);
  if (text == NULL) {
    fputs("mcpmon: out of memory (printing a message)\n", stderr);
    abort();
  }
  return text;
}

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

/* Tell the observer that a client request got its answer, t0_ns being
 * when the request arrived (queued time counts). */
static void bk_report(struct backend* b,
                      const char* method,
                      const char* tool,
                      uint64_t t0_ns,
                      const char* body,
                      const cJSON* response) {
  if (b->obs == NULL || b->obs->on_traffic == NULL || t0_ns == 0)
    return;
  const cJSON* err = cJSON_GetObjectItemCaseSensitive(response, "error");
  const cJSON* em = cJSON_GetObjectItemCaseSensitive(err, "message");
  size_t len = 0;
  char* text = NULL; /* printed only for an observer that keeps bodies */
  if (b->obs->body_max > 0)
    text = jrpc_serialize(response, &len);
  bk_report_text(b, method, tool, t0_ns, body, err == NULL,
                 cJSON_IsString(em) ? em->valuestring : NULL, text,
                 len > 0 ? len - 1 : 0);
  free(text);
}

/* The request as the client sent it, cut to what the observer keeps;
 * NULL when it keeps no bodies. */
static char* bk_body(const struct backend* b, const cJSON* msg) {
  if (b->obs == NULL || b->obs->body_max == 0)
    return NULL;
  char* text = bk_print(msg);
  if (strlen(text) > b->obs->body_max)
    text[b->obs->body_max] = '\0';
  return text;
}

static const char* bk_tool_of(const cJSON* msg) {
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(msg, "params"), "name");
  return cJSON_IsString(name) ? name->valuestring : NULL;
}

static const char* bk_method_of(const cJSON* msg) {
  const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  return cJSON_IsString(m) ? m->valuestring : "?";
}

void bk_finish_forward(struct backend* b,
                       struct inflight_req* r,
                       cJSON* response) {
  bk_report(b, r->method, r->tool, r->t0_ns, r->body, response);
  b->ev.on_message(b, b->ctx, response);
}

void bk_answer_req_error(struct backend* b,
                         struct inflight_req* r,
                         const char* reason,
                         const char* message) {
  bk_finish_forward(b, r, bk_error(b, r->client_id, reason, message));
}

/* Answer a client request that never reached a server (takes msg). */
static void bk_reject(struct backend* b,
                      cJSON* msg,
                      uint64_t t0_ns,
                      const char* what) {
  cJSON* err = bk_unavailable_error(
      b, cJSON_GetObjectItemCaseSensitive(msg, "id"), what);
  if (b->obs != NULL && b->obs->on_traffic != NULL) {
    char* body = bk_body(b, msg);
    bk_report(b, bk_method_of(msg), bk_tool_of(msg), t0_ns, body, err);
    free(body);
  }
  cJSON_Delete(msg);
  b->ev.on_message(b, b->ctx, err);
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

static void bk_enqueue(struct backend* b, cJSON* msg, uint64_t t0_ns) {
  struct qitem* q = xcalloc(1, sizeof(*q));
  q->msg = msg;
  q->t0_ns = t0_ns;
  q->deadline_ms = uv_now(b->loop) + b->queue_timeout_ms;
  bool first = TAILQ_EMPTY(&b->queue);
  TAILQ_INSERT_TAIL(&b->queue, q, entry);
  if (first)
    bk_queue_arm(b);
  bk_log(b, LL_DEBUG, "queued a message while %s",
         backend_state_name(b->state));
}

static struct qitem* bk_dequeue(struct backend* b) {
  struct qitem* q = TAILQ_FIRST(&b->queue);
  if (q != NULL)
    TAILQ_REMOVE(&b->queue, q, entry);
  return q;
}

void bk_fail_queue(struct backend* b, bool all) {
  uint64_t now = uv_now(b->loop);
  struct qitem* q;
  while ((q = TAILQ_FIRST(&b->queue)) != NULL &&
         (all || q->deadline_ms <= now)) {
    TAILQ_REMOVE(&b->queue, q, entry);
    if (cJSON_GetObjectItemCaseSensitive(q->msg, "id") != NULL)
      bk_reject(b, q->msg, q->t0_ns, "the request was not sent to it");
    else
      cJSON_Delete(q->msg);
    free(q);
  }
  bk_queue_arm(b);
}

void bk_drop_queue(struct backend* b) {
  struct qitem* q;
  while ((q = bk_dequeue(b)) != NULL) {
    cJSON_Delete(q->msg);
    free(q);
  }
}

static void bk_queue_expire_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  bk_fail_queue(b, false);
}

/* ---- forwarding client messages ------------------------------------------ */

void bk_track_state(struct backend* b,
                    const char* method,
                    const cJSON* params) {
  if (strcmp(method, "logging/setLevel") == 0) {
    cJSON_Delete(b->log_level_params);
    b->log_level_params = params ? cJSON_Duplicate(params, 1) : NULL;
    return;
  }
  const cJSON* uri = cJSON_GetObjectItemCaseSensitive(params, "uri");
  if (!cJSON_IsString(uri))
    return;
  size_t len = strlen(uri->valuestring);
  if (strcmp(method, "resources/unsubscribe") == 0) {
    strset_remove(&b->subscriptions, uri->valuestring, len);
  } else if (strcmp(method, "resources/subscribe") == 0) {
    if (strset_count(&b->subscriptions) < BK_SUBSCRIPTIONS_MAX) {
      strset_add(&b->subscriptions, uri->valuestring, len);
    } else if (!strset_has(&b->subscriptions, uri->valuestring, len) &&
               !b->subscriptions_full_warned) {
      b->subscriptions_full_warned = true;
      bk_log(b, LL_WARN,
             "More than %u resource subscriptions: the ones past that "
             "are forwarded but not renewed after a restart",
             BK_SUBSCRIPTIONS_MAX);
    }
  }
}

/* PROG-1: keep the progress token of forwarded request r (msg: as the
 * client sent it) with r, and a task request's for the process's life. */
static void bk_note_token(struct backend* b,
                          struct inflight_req* r,
                          const cJSON* msg) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  const cJSON* token = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(params, "_meta"), "progressToken");
  if (!cJSON_IsString(token) && !cJSON_IsNumber(token))
    return;
  r->token = cJSON_Duplicate(token, 1);
  if (cJSON_GetObjectItemCaseSensitive(params, "task") != NULL)
    inflight_note_task(&b->inflight, token);
}

/* Send a client request to the READY server under a fresh id (ID-1). */
static void bk_send_forward(struct backend* b, cJSON* msg, uint64_t t0_ns) {
  size_t queued = child_write_queue(b->p);
  if (queued > BK_WRITE_QUEUE_MAX) {
    char text[256];
    snprintf(text, sizeof(text),
             "Server '%s' is not reading its input (%zu MiB waiting); the "
             "request was not sent",
             bk_display_name(b), queued >> 20);
    cJSON* err = bk_error(b, cJSON_GetObjectItemCaseSensitive(msg, "id"),
                          "backpressure", text);
    bk_report(b, bk_method_of(msg), bk_tool_of(msg), t0_ns, NULL, err);
    cJSON_Delete(msg);
    b->ev.on_message(b, b->ctx, err);
    return;
  }
  char* body = NULL;
  if (b->obs != NULL && b->obs->on_traffic != NULL)
    body = bk_body(b, msg); /* with the client's id, as it was sent */
  cJSON* client_id = cJSON_DetachItemFromObjectCaseSensitive(msg, "id");
  struct inflight_req* r =
      inflight_req_new(b->next_id++, INFLIGHT_FORWARD, bk_method_of(msg));
  r->body = body;
  r->client_id = client_id;
  bk_note_token(b, r, msg);
  jrpc_set_int_id(msg, r->id);
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  if (b->obs != NULL && b->obs->on_traffic != NULL) {
    r->t0_ns = t0_ns;
    const char* tool = bk_tool_of(msg);
    r->tool = tool != NULL ? xstrdup(tool) : NULL;
  }
  cJSON_Delete(msg);
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

void backend_forward_request(struct backend* b, cJSON* msg) {
  const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  bk_track_state(b, m->valuestring,
                 cJSON_GetObjectItemCaseSensitive(msg, "params"));
  uint64_t t0_ns = uv_hrtime();
  if (bk_accepts_now(b))
    bk_send_forward(b, msg, t0_ns);
  else if (bk_can_queue(b))
    bk_enqueue(b, msg, t0_ns);
  else
    bk_reject(b, msg, t0_ns, "the request was not sent to it");
}

/* notifications/cancelled from the client (CAN-1, LIFE-7). */
static void bk_cancel(struct backend* b, cJSON* msg) {
  cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  cJSON* rid = cJSON_GetObjectItemCaseSensitive(params, "requestId");
  if (rid == NULL) {
    cJSON_Delete(msg);
    return;
  }
  /* Still queued: remove it, answer nothing. */
  struct qitem* q;
  TAILQ_FOREACH(q, &b->queue, entry) {
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(q->msg, "id");
    if (id != NULL && jrpc_id_equal(id, rid)) {
      TAILQ_REMOVE(&b->queue, q, entry);
      cJSON_Delete(q->msg);
      free(q);
      bk_queue_arm(b);
      cJSON_Delete(msg);
      return;
    }
  }
  /* In flight: translate the id and forget the request. */
  struct inflight_req* r = inflight_find_client(&b->inflight, rid);
  if (r != NULL) {
    cJSON_ReplaceItemInObjectCaseSensitive(params, "requestId",
                                           cJSON_CreateNumber((double)r->id));
    inflight_req_free(inflight_take(&b->inflight, r->id));
    bk_write_msg(b, msg);
  }
  cJSON_Delete(msg); /* else already answered or unknown: nothing to do */
}

void backend_forward_notification(struct backend* b, cJSON* msg) {
  const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  if (strcmp(m->valuestring, "notifications/cancelled") == 0) {
    bk_cancel(b, msg);
    return;
  }
  if (bk_accepts_now(b)) {
    bk_write_msg(b, msg);
    cJSON_Delete(msg);
  } else if (bk_can_queue(b)) {
    bk_enqueue(b, msg, 0);
  } else {
    cJSON_Delete(msg);
  }
}

void backend_send_response(struct backend* b, cJSON* msg, uint64_t generation) {
  if (b->p != NULL && b->generation == generation)
    bk_write_msg(b, msg);
  else
    bk_log(b, LL_DEBUG, "dropped the client's answer for a stopped server");
  cJSON_Delete(msg);
}

void bk_flush_queue(struct backend* b) {
  struct qitem* q;
  while (b->state == BACKEND_READY && (q = bk_dequeue(b)) != NULL) {
    if (cJSON_GetObjectItemCaseSensitive(q->msg, "id") != NULL)
      bk_send_forward(b, q->msg, q->t0_ns);
    else {
      bk_write_msg(b, q->msg);
      cJSON_Delete(q->msg);
    }
    free(q);
  }
  bk_queue_arm(b);
}

void backend_set_log_level(struct backend* b, const cJSON* params) {
  bk_track_state(b, "logging/setLevel", params);
  if (b->state == BACKEND_READY && bk_has_capability(b, "logging"))
    bk_send_own_req(b, INFLIGHT_REPLAY, "logging/setLevel",
                    cJSON_Duplicate(params, 1));
}
