/* backend.c - see backend.h and backend_int.h.
 *
 * One struct bproc per spawned process holds its libuv handles; when the
 * process and its whole group are gone the bproc is detached from the
 * backend and freed once its handles have closed, so a replacement can be
 * spawned at once with fresh handles.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/backend/backend_int.h"
#include "core/log.h"
#include "core/proc/proc.h"
#include "lib/framer.h"
#include "lib/util.h"
#include "proto/jsonrpc.h"

static void bk_flush_queue(struct backend* b);
static void bk_queue_expire_cb(uv_timer_t* t);

const char* backend_state_name(enum backend_state s) {
  switch (s) {
    case BACKEND_IDLE:
      return "idle";
    case BACKEND_STARTING:
      return "starting";
    case BACKEND_INITIALIZING:
      return "initializing";
    case BACKEND_READY:
      return "ready";
    case BACKEND_RESTARTING:
      return "restarting";
    case BACKEND_CRASHED:
      return "crashed";
    case BACKEND_WAITING:
      return "waiting";
    case BACKEND_STOPPING:
      return "stopping";
    case BACKEND_STOPPED:
      return "stopped";
  }
  return "unknown";
}

/* ---- logging helpers --------------------------------------------------- */

void bk_set_state(struct backend* b, enum backend_state s) {
  if (b->state == s)
    return;
  bk_log(b, LL_DEBUG, "state %s -> %s", backend_state_name(b->state),
         backend_state_name(s));
  b->state = s;
  if (b->ev.on_state != NULL)
    b->ev.on_state(b, b->ctx);
  if (b->obs != NULL && b->obs->on_state != NULL)
    b->obs->on_state(b, b->obs_ctx);
}

/* ---- in-flight table ---------------------------------------------------- */

static void bk_req_add(struct backend* b, struct req* r) {
  size_t h = (uint64_t)r->id % BK_BUCKETS;
  r->next = b->inflight[h];
  b->inflight[h] = r;
  b->ninflight++;
}

struct req* bk_req_take(struct backend* b, int64_t id) {
  if (id < 0)
    return NULL;
  struct req** pp = &b->inflight[(uint64_t)id % BK_BUCKETS];
  for (; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->id == id) {
      struct req* r = *pp;
      *pp = r->next;
      b->ninflight--;
      return r;
    }
  }
  return NULL;
}

void bk_req_free(struct req* r) {
  cJSON_Delete(r->client_id);
  cJSON_Delete(r->token);
  free(r->method);
  free(r->tool);
  free(r->body);
  free(r);
}

/* ---- writing to the server ---------------------------------------------- */

struct bk_write {
  uv_write_t w;
  char* buf;
};

static void bk_write_done(uv_write_t* w, int status) {
  struct bk_write* bw = (struct bk_write*)w;
  free(bw->buf);
  free(bw);
}

/* Serialize and write msg to the current server. Does not take msg.
 * Returns 0 or a negative code (no process, pipe closed, write failed). */
/* Write one serialized message (takes text). */
static int bk_write_text(struct backend* b, char* text, size_t len) {
  struct bproc* p = b->p;
  if (p == NULL || p->in_closed) {
    free(text);
    return UV_EPIPE;
  }
  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "-> server %.*s", (int)(len > 300 ? 300 : len - 1),
           text);
  struct bk_write* bw = xmalloc(sizeof(*bw));
  bw->buf = text;
  uv_buf_t ub = uv_buf_init(text, (unsigned)len);
  int rc = uv_write(&bw->w, (uv_stream_t*)&p->in, &ub, 1, bk_write_done);
  if (rc != 0) {
    free(text);
    free(bw);
  }
  return rc;
}

int bk_write_msg(struct backend* b, const cJSON* msg) {
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  return bk_write_text(b, text, len);
}

/* A forwarded request is answered (by the server or by mcpmon): tell the
 * observer, then hand the answer to the owner. Takes response. */
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
  char* text = cJSON_PrintUnformatted(msg);
  if (strlen(text) > b->obs->body_max)
    text[b->obs->body_max] = '\0';
  return text;
}

static const char* bk_tool_of(const cJSON* msg) {
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(msg, "params"), "name");
  return cJSON_IsString(name) ? name->valuestring : NULL;
}

void bk_finish_forward(struct backend* b, struct req* r, cJSON* response) {
  bk_report(b, r->method, r->tool, r->t0_ns, r->body, response);
  b->ev.on_message(b, b->ctx, response);
}

/* Answer a client request that never reached a server (takes msg). */
static void bk_reject(struct backend* b,
                      cJSON* msg,
                      uint64_t t0_ns,
                      const char* what) {
  cJSON* err = bk_unavailable_error(
      b, cJSON_GetObjectItemCaseSensitive(msg, "id"), what);
  if (b->obs != NULL && b->obs->on_traffic != NULL) {
    const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
    char* body = bk_body(b, msg);
    bk_report(b, cJSON_IsString(m) ? m->valuestring : "?", bk_tool_of(msg),
              t0_ns, body, err);
    free(body);
  }
  cJSON_Delete(msg);
  b->ev.on_message(b, b->ctx, err);
}

/* Send one of mcpmon's own requests (ID-3: same counter as forwarded). */
struct req* bk_send_own_req(struct backend* b,
                            enum req_kind kind,
                            const char* method,
                            cJSON* params) {
  struct req* r = xcalloc(1, sizeof(*r));
  r->id = b->next_id++;
  r->kind = kind;
  r->method = xstrdup(method);
  cJSON* msg = jrpc_make_request(r->id, method, params);
  int rc = bk_write_msg(b, msg);
  cJSON_Delete(msg);
  if (rc != 0) {
    bk_req_free(r);
    return NULL;
  }
  bk_req_add(b, r);
  return r;
}

static int bk_send_own(struct backend* b,
                       enum req_kind kind,
                       const char* method,
                       cJSON* params) {
  return bk_send_own_req(b, kind, method, params) != NULL ? 0 : UV_EPIPE;
}

/* ---- the queue of messages waiting for READY ---------------------------- */

static void bk_queue_arm(struct backend* b) {
  if (b->qhead == NULL) {
    uv_timer_stop(&b->t_queue);
    return;
  }
  uint64_t now = uv_now(b->loop);
  uint64_t d = b->qhead->deadline_ms;
  uv_timer_start(&b->t_queue, bk_queue_expire_cb, d > now ? d - now : 0, 0);
}

static void bk_enqueue(struct backend* b, cJSON* msg, uint64_t t0_ns) {
  struct qitem* q = xcalloc(1, sizeof(*q));
  q->msg = msg;
  q->t0_ns = t0_ns;
  q->deadline_ms = uv_now(b->loop) + b->queue_timeout_ms;
  if (b->qtail != NULL)
    b->qtail->next = q;
  else
    b->qhead = q;
  b->qtail = q;
  if (b->qhead == q)
    bk_queue_arm(b);
  bk_log(b, LL_DEBUG, "queued a message while %s",
         backend_state_name(b->state));
}

static struct qitem* bk_dequeue(struct backend* b) {
  struct qitem* q = b->qhead;
  if (q != NULL) {
    b->qhead = q->next;
    if (b->qhead == NULL)
      b->qtail = NULL;
  }
  return q;
}

/* Answer (requests) or drop (notifications) every queued message. */
void bk_fail_queue(struct backend* b, bool all) {
  uint64_t now = uv_now(b->loop);
  while (b->qhead != NULL && (all || b->qhead->deadline_ms <= now)) {
    struct qitem* q = bk_dequeue(b);
    if (cJSON_GetObjectItemCaseSensitive(q->msg, "id") != NULL)
      bk_reject(b, q->msg, q->t0_ns, "the request was not sent to it");
    else
      cJSON_Delete(q->msg);
    free(q);
  }
  bk_queue_arm(b);
}

static void bk_queue_expire_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  bk_fail_queue(b, false);
}

/* ---- forwarding client messages ------------------------------------------ */

/* Remember client state that a restarted server must get again (§3.3 step
 * 9): the log level and resource subscriptions. */
static void bk_track_state(struct backend* b,
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
  bool sub = strcmp(method, "resources/subscribe") == 0;
  bool unsub = strcmp(method, "resources/unsubscribe") == 0;
  if (!sub && !unsub)
    return;
  int n = cJSON_GetArraySize(b->subscriptions);
  for (int i = 0; i < n; i++) {
    const cJSON* it = cJSON_GetArrayItem(b->subscriptions, i);
    if (strcmp(it->valuestring, uri->valuestring) == 0) {
      if (unsub)
        cJSON_DeleteItemFromArray(b->subscriptions, i);
      return;
    }
  }
  if (sub)
    cJSON_AddItemToArray(b->subscriptions,
                         cJSON_CreateString(uri->valuestring));
}

/* Send a client request to the READY server under a fresh id (ID-1). */
static void bk_send_forward(struct backend* b, cJSON* msg, uint64_t t0_ns) {
  struct bproc* p = b->p;
  size_t queued = uv_stream_get_write_queue_size((uv_stream_t*)&p->in);
  if (queued > BK_WRITE_QUEUE_MAX) {
    char text[256];
    snprintf(text, sizeof(text),
             "Server '%s' is not reading its input (%zu MiB waiting); the "
             "request was not sent",
             bk_display_name(b), queued >> 20);
    cJSON* err = jrpc_make_error(cJSON_GetObjectItemCaseSensitive(msg, "id"),
                                 JRPC_INTERNAL_ERROR, text,
                                 bk_error_data(b, "backpressure"));
    const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
    bk_report(b, cJSON_IsString(m) ? m->valuestring : "?", bk_tool_of(msg),
              t0_ns, NULL, err);
    cJSON_Delete(msg);
    b->ev.on_message(b, b->ctx, err);
    return;
  }
  char* body = NULL;
  if (b->obs != NULL && b->obs->on_traffic != NULL)
    body = bk_body(b, msg); /* with the client's id, as it was sent */
  cJSON* client_id = cJSON_DetachItemFromObjectCaseSensitive(msg, "id");
  const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  struct req* r = xcalloc(1, sizeof(*r));
  r->body = body;
  r->id = b->next_id++;
  r->kind = REQ_FORWARD;
  r->client_id = client_id;
  r->method = xstrdup(cJSON_IsString(m) ? m->valuestring : "?");
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
    bk_req_free(r);
    return;
  }
  bk_req_add(b, r);
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
  struct qitem** pp = &b->qhead;
  struct qitem* prev = NULL;
  for (; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
    const cJSON* id = cJSON_GetObjectItemCaseSensitive((*pp)->msg, "id");
    if (id != NULL && jrpc_id_equal(id, rid)) {
      struct qitem* q = *pp;
      *pp = q->next;
      if (b->qtail == q)
        b->qtail = prev;
      cJSON_Delete(q->msg);
      free(q);
      bk_queue_arm(b);
      cJSON_Delete(msg);
      return;
    }
  }
  /* In flight: translate the id and forget the request. */
  for (int i = 0; i < BK_BUCKETS; i++) {
    for (struct req* r = b->inflight[i]; r != NULL; r = r->next) {
      if (r->kind == REQ_FORWARD && jrpc_id_equal(r->client_id, rid)) {
        cJSON_ReplaceItemInObjectCaseSensitive(
            params, "requestId", cJSON_CreateNumber((double)r->id));
        struct req* taken = bk_req_take(b, r->id);
        bk_req_free(taken);
        bk_write_msg(b, msg);
        cJSON_Delete(msg);
        return;
      }
    }
  }
  cJSON_Delete(msg); /* already answered or unknown: nothing to do */
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
  if (b->p != NULL && b->p->generation == generation)
    bk_write_msg(b, msg);
  else
    bk_log(b, LL_DEBUG, "dropped the client's answer for a stopped server");
  cJSON_Delete(msg);
}

static void bk_flush_queue(struct backend* b) {
  while (b->qhead != NULL && b->state == BACKEND_READY) {
    struct qitem* q = bk_dequeue(b);
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

/* ---- the handshake ------------------------------------------------------ */

void backend_set_init_params(struct backend* b, const cJSON* params) {
  cJSON_Delete(b->init_params);
  b->init_params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  if (b->state == BACKEND_STARTING && b->p != NULL)
    bk_send_init(b);
}

const cJSON* backend_init_result(const struct backend* b) {
  return b->init_result;
}

static void bk_init_timeout_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->state != BACKEND_INITIALIZING)
    return;
  bk_log(b, LL_ERROR, "Server did not answer initialize within %u s",
         BK_INIT_TIMEOUT_MS / 1000u);
  bk_begin_stop(b, STOP_CRASH);
}

void bk_send_init(struct backend* b) {
  if (bk_send_own(b, REQ_INIT, "initialize",
                  cJSON_Duplicate(b->init_params, 1)) != 0) {
    bk_log(b, LL_ERROR, "Could not send initialize to the server");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  bk_set_state(b, BACKEND_INITIALIZING);
  uv_timer_start(&b->t_init, bk_init_timeout_cb, BK_INIT_TIMEOUT_MS, 0);
}

static void bk_stable_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->crashes > 0)
    bk_log(b, LL_DEBUG, "Server stayed up; crash count reset");
  b->crashes = 0;
}

bool bk_has_capability(const struct backend* b, const char* cap) {
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(b->init_result, "capabilities");
  return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, cap));
}

void bk_on_init_result(struct backend* b, struct jrpc_msg* m) {
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
    bk_send_own(b, REQ_REPLAY, "logging/setLevel",
                cJSON_Duplicate(b->log_level_params, 1));
  int nsub = cJSON_GetArraySize(b->subscriptions);
  for (int i = 0; i < nsub; i++) {
    cJSON* params = cJSON_CreateObject();
    cJSON_AddStringToObject(
        params, "uri", cJSON_GetArrayItem(b->subscriptions, i)->valuestring);
    bk_send_own(b, REQ_REPLAY, "resources/subscribe", params);
  }

  if (!first)
    b->restarts++;
  bk_set_state(b, BACKEND_READY);
  uv_timer_start(&b->t_stable, bk_stable_cb, BK_STABLE_MS, 0);
  if (first) {
    bk_log(b, LL_INFO, "Server ready (%llu ms)",
           (unsigned long long)(uv_now(b->loop) - b->p->spawned_ms));
  } else {
    bk_log(b, LL_INFO, "Restart #%u complete (%llu ms)", b->restarts,
           (unsigned long long)(uv_now(b->loop) - b->restart_begin_ms));
  }
  b->restart_pending = false;
  bk_flush_queue(b);
  if (!first)
    b->ev.on_restarted(b, b->ctx);
  bk_fetch_lists(b);
}

/* ---- public control ----------------------------------------------------- */

struct backend* backend_new(uv_loop_t* loop,
                            const struct backend_options* opts,
                            const struct backend_events* ev,
                            void* ctx) {
  struct backend* b = xcalloc(1, sizeof(*b));
  b->loop = loop;
  b->sc = opts->server;
  b->ev = *ev;
  b->ctx = ctx;
  b->max_line = opts->max_line;
  b->queue_timeout_ms = opts->queue_timeout_ms;
  b->logname = opts->gateway ? opts->server->name : NULL;
  b->all_lists = opts->gateway;
  b->subscriptions = cJSON_CreateArray();
  b->task_tokens = cJSON_CreateArray();
  uv_timer_t* timers[] = {&b->t_stop, &b->t_backoff, &b->t_queue, &b->t_init,
                          &b->t_stable};
  for (size_t i = 0; i < ARRAY_LEN(timers); i++) {
    uv_timer_init(loop, timers[i]);
    timers[i]->data = b;
  }
  b->open_timers = (int)ARRAY_LEN(timers);
  return b;
}

int backend_start(struct backend* b) {
  if (b->state != BACKEND_IDLE)
    return UV_EALREADY;
  bk_spawn(b);
  return b->state == BACKEND_WAITING ? UV_ENOENT : 0;
}

void backend_restart(struct backend* b, const char* why) {
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
    default:
      return; /* idle, already restarting, or shutting down */
  }
}

void backend_stop(struct backend* b) {
  if (b->state == BACKEND_STOPPED || b->state == BACKEND_STOPPING)
    return;
  bk_set_state(b, BACKEND_STOPPING);
  bk_begin_stop(b, STOP_SHUTDOWN);
}

void backend_kill_now(struct backend* b) {
  if (b->p != NULL && b->stop_why != STOP_NONE) {
    proc_signal_group((pid_t)b->p->pid, SIGKILL);
    b->stage = STAGE_KILL;
    b->stage_deadline_ms = uv_now(b->loop) + BK_KILL_WAIT_MS;
    bk_stop_check(b);
  }
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
  if (b->p != NULL) {
    proc_signal_group((pid_t)b->p->pid, SIGKILL);
    bk_release_proc(b);
  }
  for (int i = 0; i < BK_BUCKETS; i++) {
    struct req* r = b->inflight[i];
    while (r != NULL) {
      struct req* next = r->next;
      bk_req_free(r);
      r = next;
    }
  }
  while (b->qhead != NULL) {
    struct qitem* q = bk_dequeue(b);
    cJSON_Delete(q->msg);
    free(q);
  }
  cJSON_Delete(b->init_params);
  cJSON_Delete(b->init_result);
  cJSON_Delete(b->log_level_params);
  cJSON_Delete(b->subscriptions);
  cJSON_Delete(b->task_tokens);
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    cJSON_Delete(b->lists[k]);
    cJSON_Delete(b->fetch[k].acc);
  }
  free(b->client_protocol);
  free(b->start_error);
  for (int i = 0; i < BK_TAIL_LINES; i++) free(b->tail[i]);
  uv_timer_t* timers[] = {&b->t_stop, &b->t_backoff, &b->t_queue, &b->t_init,
                          &b->t_stable};
  for (size_t i = 0; i < ARRAY_LEN(timers); i++)
    uv_close((uv_handle_t*)timers[i], bk_timer_closed);
}

enum backend_state backend_state(const struct backend* b) {
  return b->state;
}

void backend_set_observer(struct backend* b,
                          const struct backend_observer* obs,
                          void* ctx) {
  b->obs = obs;
  b->obs_ctx = ctx;
}

uint64_t backend_started_at(const struct backend* b) {
  return b->p != NULL ? b->started_wall_ms : 0;
}

const char* backend_last_exit(const struct backend* b) {
  return b->last_exit_text[0] ? b->last_exit_text : NULL;
}

const struct server_config* backend_config(const struct backend* b) {
  return b->sc;
}

long backend_pid(const struct backend* b) {
  return bk_pid(b);
}

unsigned backend_restart_count(const struct backend* b) {
  return b->restarts;
}

const char* backend_name(const struct backend* b) {
  return bk_display_name(b);
}

const cJSON* backend_list(const struct backend* b, enum backend_list kind) {
  return (unsigned)kind < BACKEND_LIST_KINDS ? b->lists[kind] : NULL;
}

bool backend_has_capability(const struct backend* b,
                            const char* cap,
                            const char* sub) {
  if (!bk_has_capability(b, cap))
    return false;
  if (sub == NULL)
    return true;
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(b->init_result, "capabilities");
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(caps, cap), sub));
}

void backend_set_log_level(struct backend* b, const cJSON* params) {
  bk_track_state(b, "logging/setLevel", params);
  if (b->state == BACKEND_READY && bk_has_capability(b, "logging"))
    bk_send_own(b, REQ_REPLAY, "logging/setLevel", cJSON_Duplicate(params, 1));
}

void backend_remove(struct backend* b, bool replaced) {
  b->removed = true;
  b->replaced = replaced;
  backend_stop(b);
}

const cJSON* backend_tools(const struct backend* b) {
  return b->lists[BACKEND_LIST_TOOLS];
}

void backend_set_queue_timeout(struct backend* b, unsigned ms) {
  b->queue_timeout_ms = ms;
}
