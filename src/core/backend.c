/* backend.c - see backend.h.
 *
 * One struct bproc per spawned process holds its libuv handles; when the
 * process and its whole group are gone the bproc is detached from the
 * backend and freed once its handles have closed, so a replacement can be
 * spawned at once with fresh handles.
 */
#include "core/backend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/framer.h"
#include "core/jsonrpc.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"

#define BK_INIT_TIMEOUT_MS 20000u
#define BK_STABLE_MS 10000u       /* up this long: the crash count resets */
#define BK_MAX_CRASHES 5u         /* in a row, then wait for changes */
#define BK_BACKOFF_FIRST_MS 250u
#define BK_BACKOFF_MAX_MS 8000u
#define BK_EOF_WAIT_MS 100u       /* shutdown: stdin EOF before SIGTERM */
#define BK_KILL_WAIT_MS 2000u     /* after SIGKILL, before giving up */
#define BK_POLL_MS 5u             /* while grandchildren outlive the leader */
#define BK_STDERR_LINE_MAX (16u * 1024u)
#define BK_TAIL_LINES 20
#define BK_TAIL_LINE_LEN 240
#define BK_BUCKETS 64
#define BK_STDOUT_EOF_GRACE_MS 500u
#define BK_MAX_TOOL_PAGES 100
#define BK_WRITE_QUEUE_MAX (64u * 1024u * 1024u)

enum stop_why { STOP_NONE, STOP_RESTART, STOP_CRASH, STOP_SHUTDOWN };
enum stop_stage { STAGE_NONE, STAGE_EOF_WAIT, STAGE_TERM, STAGE_KILL };
enum req_kind { REQ_FORWARD, REQ_INIT, REQ_LIST, REQ_REPLAY };

struct req {
  int64_t id;           /* ours, on the wire to the server */
  enum req_kind kind;
  cJSON* client_id;     /* REQ_FORWARD: the client's id, restored exactly */
  char* method;
  enum backend_list list_kind; /* REQ_LIST */
  char* tool;           /* REQ_FORWARD with an observer: params.name */
  char* body;           /* REQ_FORWARD with an observer: the request, cut */
  uint64_t t0_ns;
  struct req* next;
};

struct bk_listfetch {
  cJSON* acc; /* pages of a fetch in progress, NULL when idle */
  int pages;
  bool again; /* the list changed during the fetch: fetch once more */
};

struct qitem {
  cJSON* msg;
  uint64_t deadline_ms;
  struct qitem* next;
};

struct bproc {
  struct backend* b; /* NULL once detached */
  uv_process_t proc;
  uv_pipe_t in;
  uv_pipe_t out;
  uv_pipe_t err;
  struct framer out_f;
  struct framer err_f;
  int open_handles;
  bool exited;
  bool out_eof;
  bool in_closed;
  long pid;
  uint64_t generation;
  int64_t exit_status;
  int term_signal;
  uint64_t spawned_ms;
};

struct backend {
  uv_loop_t* loop;
  const struct server_config* sc;
  struct backend_events ev;
  void* ctx;
  size_t max_line;
  unsigned queue_timeout_ms;
  const char* logname; /* NULL in single mode */

  enum backend_state state;
  struct bproc* p;
  uint64_t generation;
  int64_t next_id;
  struct req* inflight[BK_BUCKETS];
  size_t ninflight;
  struct qitem* qhead;
  struct qitem* qtail;

  cJSON* init_params;  /* the client's, verbatim (LIFE-1) */
  cJSON* init_result;  /* of the current server */
  char* client_protocol; /* negotiated with the first server */
  bool ever_initialized;
  cJSON* log_level_params; /* last logging/setLevel params */
  cJSON* subscriptions;    /* array of URIs */
  cJSON* lists[BACKEND_LIST_KINDS]; /* arrays, last complete lists */
  struct bk_listfetch fetch[BACKEND_LIST_KINDS];
  unsigned lists_changed;  /* kinds refreshed since on_lists last fired */
  bool all_lists;          /* fetch prompts and resources too (gateway) */
  bool removed;            /* stopped because the config dropped it */

  enum stop_why stop_why;
  enum stop_stage stage;
  uint64_t stage_deadline_ms;
  uint64_t group_dead_ms;
  unsigned restarts;
  unsigned crashes;
  uint64_t restart_begin_ms;
  bool restart_pending; /* a restart (not a crash) is in progress */
  long last_exit_status;
  int last_term_signal;
  bool have_exit;
  char* start_error; /* why the last spawn failed, or NULL */
  char* tail[BK_TAIL_LINES];
  int tail_next;

  const struct backend_observer* obs;
  void* obs_ctx;
  char last_exit_text[64];
  uint64_t started_wall_ms;

  uv_timer_t t_stop;
  uv_timer_t t_backoff;
  uv_timer_t t_queue;
  uv_timer_t t_init;
  uv_timer_t t_stable;
  int open_timers;
  bool freeing;
};

static void bk_spawn(struct backend* b);
static void bk_begin_stop(struct backend* b, enum stop_why why);
static void bk_stop_check(struct backend* b);
static void bk_send_init(struct backend* b);
static void bk_fetch_lists(struct backend* b);
static void bk_fetch_list(struct backend* b, enum backend_list kind,
                          const char* cursor);
static bool bk_lists_busy(const struct backend* b);
static void bk_flush_queue(struct backend* b);
static void bk_queue_expire_cb(uv_timer_t* t);

const char* backend_state_name(enum backend_state s) {
  switch (s) {
    case BACKEND_IDLE: return "idle";
    case BACKEND_STARTING: return "starting";
    case BACKEND_INITIALIZING: return "initializing";
    case BACKEND_READY: return "ready";
    case BACKEND_RESTARTING: return "restarting";
    case BACKEND_CRASHED: return "crashed";
    case BACKEND_WAITING: return "waiting";
    case BACKEND_STOPPING: return "stopping";
    case BACKEND_STOPPED: return "stopped";
  }
  return "unknown";
}

/* ---- logging helpers --------------------------------------------------- */

static long bk_pid(const struct backend* b) {
  return b->p != NULL ? b->p->pid : 0;
}

#define bk_log(b, level, ...)                                   \
  do {                                                          \
    if (log_enabled(level))                                     \
      log_msg(level, (b)->logname, bk_pid(b), __VA_ARGS__);     \
  } while (0)

static void bk_set_state(struct backend* b, enum backend_state s) {
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

static struct req* bk_req_take(struct backend* b, int64_t id) {
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

static void bk_req_free(struct req* r) {
  cJSON_Delete(r->client_id);
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

static int bk_write_msg(struct backend* b, const cJSON* msg) {
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  return bk_write_text(b, text, len);
}

/* A forwarded request is answered (by the server or by mcpmon): tell the
 * observer, then hand the answer to the owner. Takes response. */
static void bk_finish_forward(struct backend* b, struct req* r,
                              cJSON* response) {
  if (b->obs != NULL && b->obs->on_traffic != NULL && r->t0_ns != 0) {
    const cJSON* err = cJSON_GetObjectItemCaseSensitive(response, "error");
    const cJSON* em = cJSON_GetObjectItemCaseSensitive(err, "message");
    struct backend_traffic t = {
        .method = r->method,
        .tool = r->tool,
        .ms = (double)(uv_hrtime() - r->t0_ns) / 1e6,
        .ok = err == NULL,
        .error = cJSON_IsString(em) ? em->valuestring : NULL,
        .request = r->body,
        .response = response,
    };
    b->obs->on_traffic(b, b->obs_ctx, &t);
  }
  b->ev.on_message(b, b->ctx, response);
}

/* Send one of mcpmon's own requests (ID-3: same counter as forwarded). */
static struct req* bk_send_own_req(struct backend* b,
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

/* ---- errors for the client ---------------------------------------------- */

static const char* bk_display_name(const struct backend* b) {
  return b->sc->name != NULL ? b->sc->name : "server";
}

static char* bk_tail_text(const struct backend* b) {
  size_t total = 0;
  for (int i = 0; i < BK_TAIL_LINES; i++)
    if (b->tail[i] != NULL)
      total += strlen(b->tail[i]) + 1;
  char* out = xmalloc(total + 1);
  size_t n = 0;
  for (int i = 0; i < BK_TAIL_LINES; i++) {
    const char* line = b->tail[(b->tail_next + i) % BK_TAIL_LINES];
    if (line == NULL)
      continue;
    size_t l = strlen(line);
    memcpy(out + n, line, l);
    n += l;
    out[n++] = '\n';
  }
  out[n] = '\0';
  return out;
}

/* data object of mcpmon's own -32603 errors (ERR). */
static cJSON* bk_error_data(const struct backend* b, const char* reason) {
  cJSON* d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "backend", bk_display_name(b));
  cJSON_AddStringToObject(d, "state", backend_state_name(b->state));
  cJSON_AddStringToObject(d, "reason", reason);
  cJSON_AddNumberToObject(d, "restarts", b->restarts);
  if (b->have_exit && strcmp(reason, "restart") != 0) {
    if (b->last_term_signal != 0) {
      const char* sn = sigabbrev_np(b->last_term_signal);
      char sig[32];
      snprintf(sig, sizeof(sig), "SIG%s", sn ? sn : "?");
      cJSON_AddStringToObject(d, "signal", sig);
    } else {
      cJSON_AddNumberToObject(d, "exitCode", (double)b->last_exit_status);
    }
    char* tail = bk_tail_text(b);
    if (tail[0] != '\0')
      cJSON_AddStringToObject(d, "stderrTail", tail);
    free(tail);
  }
  return d;
}

/* Where errors go: to the client, or captured by
 * backend_make_unavailable_error. */
static cJSON** bk_capture;

static void bk_answer_error(struct backend* b,
                            const cJSON* client_id,
                            const char* reason,
                            const char* message) {
  cJSON* err = jrpc_make_error(client_id, JRPC_INTERNAL_ERROR, message,
                               bk_error_data(b, reason));
  if (bk_capture != NULL)
    *bk_capture = err;
  else
    b->ev.on_message(b, b->ctx, err);
}

/* The same for a forwarded request that was in flight. */
static void bk_answer_req_error(struct backend* b,
                                struct req* r,
                                const char* reason,
                                const char* message) {
  bk_finish_forward(b, r,
                    jrpc_make_error(r->client_id, JRPC_INTERNAL_ERROR, message,
                                    bk_error_data(b, reason)));
}

static void bk_exit_text(const struct backend* b, char* buf, size_t cap) {
  if (!b->have_exit)
    snprintf(buf, cap, "unknown status");
  else
    proc_describe_exit(b->last_exit_status, b->last_term_signal, buf, cap);
}

/* Why a request cannot be served now, as (reason, message). */
static void bk_unavailable(struct backend* b,
                           const cJSON* client_id,
                           const char* what) {
  char msg[512];
  char ex[64];
  const char* name = bk_display_name(b);
  switch (b->state) {
    case BACKEND_WAITING:
      if (b->start_error != NULL) {
        snprintf(msg, sizeof(msg),
                 "Server '%s' is unavailable: %s. mcpmon is waiting for a "
                 "file change before trying again; fix the command and "
                 "save a watched file, or run 'mcpmon restart'.",
                 name, b->start_error);
        bk_answer_error(b, client_id, "start failed", msg);
        return;
      }
      bk_exit_text(b, ex, sizeof(ex));
      snprintf(msg, sizeof(msg),
               "Server '%s' is unavailable: it crashed (%s) %u times in a "
               "row and mcpmon is waiting for a file change before "
               "restarting it. Fix the error shown in data.stderrTail and "
               "save a watched file, or run 'mcpmon restart'.",
               name, ex, b->crashes);
      bk_answer_error(b, client_id, "crashed", msg);
      return;
    case BACKEND_STOPPING:
    case BACKEND_STOPPED:
      snprintf(msg, sizeof(msg), "Server '%s' is unavailable: %s", name,
               b->removed ? "it was removed from the configuration"
                          : "mcpmon is shutting down");
      bk_answer_error(b, client_id, b->removed ? "removed" : "shutdown", msg);
      return;
    default:
      snprintf(msg, sizeof(msg),
               "Server '%s' did not become ready within %u s (%s); %s",
               name, b->queue_timeout_ms / 1000u, backend_state_name(b->state),
               what);
      bk_answer_error(b, client_id, "unavailable", msg);
      return;
  }
}

cJSON* backend_make_unavailable_error(struct backend* b, const cJSON* id) {
  cJSON* err = NULL;
  bk_capture = &err;
  bk_unavailable(b, id, "the request was not sent to it");
  bk_capture = NULL;
  return err;
}

/* Answer every forwarded request of the process that just went away. */
static void bk_fail_inflight(struct backend* b, enum stop_why why) {
  char ex[64];
  bk_exit_text(b, ex, sizeof(ex));
  const char* name = bk_display_name(b);
  char msg[512];
  const char* reason;
  switch (why) {
    case STOP_RESTART:
      reason = "restart";
      snprintf(msg, sizeof(msg),
               "Server '%s' was restarted (files changed) before it "
               "answered; the request was not retried",
               name);
      break;
    case STOP_SHUTDOWN:
      reason = b->removed ? "removed" : "shutdown";
      snprintf(msg, sizeof(msg),
               "Server '%s' was stopped (%s) before it answered", name,
               b->removed ? "removed from the configuration"
                          : "mcpmon is shutting down");
      break;
    default:
      reason = "crashed";
      snprintf(msg, sizeof(msg), "Server '%s' crashed (%s) before it answered",
               name, ex);
      break;
  }
  for (int i = 0; i < BK_BUCKETS; i++) {
    struct req* r = b->inflight[i];
    b->inflight[i] = NULL;
    while (r != NULL) {
      struct req* next = r->next;
      if (r->kind == REQ_FORWARD)
        bk_answer_req_error(b, r, reason, msg);
      bk_req_free(r);
      r = next;
    }
  }
  b->ninflight = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    cJSON_Delete(b->fetch[k].acc);
    b->fetch[k].acc = NULL;
    b->fetch[k].again = false;
  }
  b->lists_changed = 0;
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

static void bk_enqueue(struct backend* b, cJSON* msg) {
  struct qitem* q = xcalloc(1, sizeof(*q));
  q->msg = msg;
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
static void bk_fail_queue(struct backend* b, bool all) {
  uint64_t now = uv_now(b->loop);
  while (b->qhead != NULL && (all || b->qhead->deadline_ms <= now)) {
    struct qitem* q = bk_dequeue(b);
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(q->msg, "id");
    if (id != NULL)
      bk_unavailable(b, id, "the request was not sent to it");
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
static void bk_track_state(struct backend* b, const char* method,
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
    cJSON_AddItemToArray(b->subscriptions, cJSON_CreateString(uri->valuestring));
}

/* Send a client request to the READY server under a fresh id (ID-1). */
static void bk_send_forward(struct backend* b, cJSON* msg) {
  cJSON* client_id = cJSON_DetachItemFromObjectCaseSensitive(msg, "id");
  const cJSON* m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  struct bproc* p = b->p;
  size_t queued = uv_stream_get_write_queue_size((uv_stream_t*)&p->in);
  if (queued > BK_WRITE_QUEUE_MAX) {
    char text[256];
    snprintf(text, sizeof(text),
             "Server '%s' is not reading its input (%zu MiB waiting); the "
             "request was not sent",
             bk_display_name(b), queued >> 20);
    bk_answer_error(b, client_id, "backpressure", text);
    cJSON_Delete(client_id);
    cJSON_Delete(msg);
    return;
  }
  struct req* r = xcalloc(1, sizeof(*r));
  r->id = b->next_id++;
  r->kind = REQ_FORWARD;
  r->client_id = client_id;
  r->method = xstrdup(cJSON_IsString(m) ? m->valuestring : "?");
  jrpc_set_int_id(msg, r->id);
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  if (b->obs != NULL && b->obs->on_traffic != NULL) {
    r->t0_ns = uv_hrtime();
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(msg, "params"), "name");
    if (cJSON_IsString(name))
      r->tool = xstrdup(name->valuestring);
    if (b->obs->body_max > 0)
      r->body = xstrndup(text, len - 1 < b->obs->body_max ? len - 1
                                                          : b->obs->body_max);
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
  if (bk_accepts_now(b)) {
    bk_send_forward(b, msg);
  } else if (bk_can_queue(b)) {
    bk_enqueue(b, msg);
  } else {
    bk_unavailable(b, cJSON_GetObjectItemCaseSensitive(msg, "id"),
                   "the request was not sent to it");
    cJSON_Delete(msg);
  }
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
    bk_enqueue(b, msg);
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
      bk_send_forward(b, q->msg);
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

static void bk_send_init(struct backend* b) {
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

static bool bk_has_capability(const struct backend* b, const char* cap) {
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(b->init_result, "capabilities");
  return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, cap));
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
    cJSON_AddStringToObject(params, "uri",
                            cJSON_GetArrayItem(b->subscriptions, i)->valuestring);
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

/* ---- the server's lists (tools, prompts, resources, templates) ---------- */

static const cJSON* bk_find_tool(const cJSON* tools, const char* name) {
  const cJSON* t;
  cJSON_ArrayForEach(t, tools) {
    const cJSON* n = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
      return t;
  }
  return NULL;
}

/* "Tools: +goodbye ~hello -old" (only when something changed). */
static void bk_log_tool_diff(struct backend* b, const cJSON* old,
                             const cJSON* now) {
  char line[2048];
  size_t n = 0;
  line[0] = '\0';
  const cJSON* t;
  cJSON_ArrayForEach(t, now) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (!cJSON_IsString(name))
      continue;
    const cJSON* prev = bk_find_tool(old, name->valuestring);
    char mark = prev == NULL ? '+' : (cJSON_Compare(prev, t, 1) ? 0 : '~');
    if (mark && n < sizeof(line) - 1)
      n += (size_t)snprintf(line + n, sizeof(line) - n, " %c%s", mark,
                            name->valuestring);
  }
  cJSON_ArrayForEach(t, old) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (cJSON_IsString(name) && bk_find_tool(now, name->valuestring) == NULL &&
        n < sizeof(line) - 1)
      n += (size_t)snprintf(line + n, sizeof(line) - n, " -%s",
                            name->valuestring);
  }
  if (n > 0)
    bk_log(b, LL_INFO, "Tools:%s", line);
  else
    bk_log(b, LL_VERBOSE, "Tools: no change (%d tools)",
           cJSON_GetArraySize(now));
}

/* What each list request is called and where its items are. */
static const struct {
  const char* method;
  const char* key;
  const char* capability;
} bk_lists[BACKEND_LIST_KINDS] = {
    {"tools/list", "tools", "tools"},
    {"prompts/list", "prompts", "prompts"},
    {"resources/list", "resources", "resources"},
    {"resources/templates/list", "resourceTemplates", "resources"},
};

static void bk_fetch_list(struct backend* b, enum backend_list kind,
                          const char* cursor) {
  struct bk_listfetch* f = &b->fetch[kind];
  if (cursor == NULL) {
    if (f->acc != NULL) {
      f->again = true;
      return;
    }
    f->pages = 0;
    f->acc = cJSON_CreateArray();
  }
  cJSON* params = NULL;
  if (cursor != NULL) {
    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "cursor", cursor);
  }
  struct req* r = bk_send_own_req(b, REQ_LIST, bk_lists[kind].method, params);
  if (r == NULL) {
    cJSON_Delete(f->acc);
    f->acc = NULL;
    return;
  }
  r->list_kind = kind;
}

/* Fetch every list the server declares (tools only in single mode). */
static void bk_fetch_lists(struct backend* b) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if (k != BACKEND_LIST_TOOLS && !b->all_lists)
      continue;
    if (bk_has_capability(b, bk_lists[k].capability))
      bk_fetch_list(b, (enum backend_list)k, NULL);
  }
  if (b->ev.on_lists != NULL && !bk_lists_busy(b))
    b->ev.on_lists(b, b->ctx, 0); /* nothing to fetch: settled as is */
}

static bool bk_lists_busy(const struct backend* b) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++)
    if (b->fetch[k].acc != NULL)
      return true;
  return false;
}

static void bk_on_list_page(struct backend* b, enum backend_list kind,
                            struct jrpc_msg* m) {
  struct bk_listfetch* f = &b->fetch[kind];
  const cJSON* result = cJSON_GetObjectItemCaseSensitive(m->root, "result");
  const cJSON* items =
      cJSON_GetObjectItemCaseSensitive(result, bk_lists[kind].key);
  if (f->acc == NULL)
    return;
  if (m->is_error || !cJSON_IsArray(items)) {
    bk_log(b, LL_DEBUG, "%s failed; keeping the last list",
           bk_lists[kind].method);
    cJSON_Delete(f->acc);
    f->acc = NULL;
  } else {
    const cJSON* t;
    cJSON_ArrayForEach(t, items) {
      cJSON_AddItemToArray(f->acc, cJSON_Duplicate(t, 1));
    }
    const cJSON* next = cJSON_GetObjectItemCaseSensitive(result, "nextCursor");
    if (cJSON_IsString(next) && ++f->pages < BK_MAX_TOOL_PAGES) {
      bk_fetch_list(b, kind, next->valuestring);
      return;
    }
    if (kind == BACKEND_LIST_TOOLS) {
      if (b->lists[kind] != NULL)
        bk_log_tool_diff(b, b->lists[kind], f->acc);
      else
        bk_log(b, LL_VERBOSE, "Tools: %d", cJSON_GetArraySize(f->acc));
    }
    cJSON_Delete(b->lists[kind]);
    b->lists[kind] = f->acc;
    f->acc = NULL;
    b->lists_changed |= 1u << kind;
    if (kind == BACKEND_LIST_TOOLS && b->obs != NULL &&
        b->obs->on_tools != NULL)
      b->obs->on_tools(b, b->obs_ctx);
  }
  if (f->again) {
    f->again = false;
    bk_fetch_list(b, kind, NULL);
    return;
  }
  if (!bk_lists_busy(b) && b->ev.on_lists != NULL) {
    unsigned mask = b->lists_changed;
    b->lists_changed = 0;
    b->ev.on_lists(b, b->ctx, mask);
  }
}

/* ---- reading the server ------------------------------------------------- */

static void bk_on_response(struct backend* b, struct jrpc_msg* m) {
  struct req* r = bk_req_take(b, jrpc_int_id(m->id));
  if (r == NULL) {
    char idtext[64];
    jrpc_id_format(m->id, idtext, sizeof(idtext));
    bk_log(b, LL_DEBUG, "dropped a response to unknown id %s", idtext);
    return;
  }
  switch (r->kind) {
    case REQ_FORWARD:
      jrpc_set_id(m->root, r->client_id);
      bk_finish_forward(b, r, m->root);
      m->root = NULL;
      break;
    case REQ_INIT:
      bk_on_init_result(b, m);
      break;
    case REQ_LIST:
      bk_on_list_page(b, r->list_kind, m);
      break;
    case REQ_REPLAY:
      if (m->is_error)
        bk_log(b, LL_WARN, "Server refused the replayed %s", r->method);
      break;
  }
  bk_req_free(r);
}

static bool bk_is_list_changed(const char* method) {
  return strncmp(method, "notifications/", 14) == 0 &&
         strstr(method, "/list_changed") != NULL;
}

static void bk_on_out_line(void* ctx, char* line, size_t len) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  struct jrpc_msg m;
  jrpc_parse(line, len, &m);
  if (m.kind == JRPC_INVALID || m.kind == JRPC_BATCH) {
    /* STDIO-8: a stray print() must not reach the client. */
    bk_log(b, LL_WARN, "Server wrote non-JSON-RPC output to stdout "
           "(dropped; use stderr for logs): %.200s", line);
    jrpc_msg_free(&m);
    return;
  }
  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "<- server %.300s", line);
  switch (m.kind) {
    case JRPC_RESPONSE:
      bk_on_response(b, &m);
      break;
    case JRPC_REQUEST:
      if (strcmp(m.method, "ping") == 0) {
        cJSON* pong = jrpc_make_result(m.id, cJSON_CreateObject());
        bk_write_msg(b, pong); /* PING-1: answered by mcpmon */
        cJSON_Delete(pong);
      } else {
        b->ev.on_server_request(b, b->ctx, m.root, p->generation);
        m.root = NULL;
      }
      break;
    case JRPC_NOTIFICATION:
      if (bk_is_list_changed(m.method) && b->state != BACKEND_READY) {
        /* §3.3 step 11: swallowed during re-initialization. */
        bk_log(b, LL_DEBUG, "swallowed %s during initialization", m.method);
        break;
      }
      if (bk_is_list_changed(m.method)) {
        /* Refresh our copy; the owner decides what the client hears. */
        for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
          if ((k == BACKEND_LIST_TOOLS || b->all_lists) &&
              strncmp(m.method + 14, bk_lists[k].capability,
                      strlen(bk_lists[k].capability)) == 0 &&
              bk_has_capability(b, bk_lists[k].capability))
            bk_fetch_list(b, (enum backend_list)k, NULL);
        }
      }
      b->ev.on_message(b, b->ctx, m.root);
      m.root = NULL;
      break;
    default:
      break;
  }
  jrpc_msg_free(&m);
}

/* Finds the id of an over-long message from its first bytes. */
static cJSON* bk_sniff_id(const char* head, size_t len) {
  const char* end = head + len;
  for (const char* s = head; s + 4 < end; s++) {
    if (memcmp(s, "\"id\"", 4) != 0)
      continue;
    s += 4;
    while (s < end && (*s == ' ' || *s == ':' || *s == '\t'))
      s++;
    if (s < end && (*s == '-' || (*s >= '0' && *s <= '9'))) {
      char* stop;
      long long v = strtoll(s, &stop, 10);
      if (stop < end)
        return cJSON_CreateNumber((double)v);
    }
    return NULL;
  }
  return NULL;
}

static void bk_on_out_oversize(void* ctx, size_t total, const char* head,
                               size_t headlen) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  cJSON* id = bk_sniff_id(head, headlen);
  struct req* r = id ? bk_req_take(b, jrpc_int_id(id)) : NULL;
  cJSON_Delete(id);
  bk_log(b, LL_WARN,
         "Server wrote a %zu-byte message, over the %zu-byte limit "
         "(--max-line); dropped",
         total, b->max_line);
  if (r != NULL && r->kind == REQ_FORWARD) {
    char text[256];
    snprintf(text, sizeof(text),
             "The response of server '%s' was %zu bytes, over mcpmon's "
             "limit of %zu bytes (--max-line)",
             bk_display_name(b), total, b->max_line);
    bk_answer_req_error(b, r, "oversize", text);
  }
  if (r != NULL)
    bk_req_free(r);
}

static void bk_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  static char slab[65536];
  buf->base = slab; /* consumed synchronously by the framer */
  buf->len = sizeof(slab);
}

static void bk_stdout_closed_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->p == NULL || b->p->exited || b->stop_why != STOP_NONE)
    return;
  bk_log(b, LL_WARN, "Server closed its stdout but is still running; "
         "stopping it");
  bk_begin_stop(b, STOP_CRASH);
}

static void bk_on_out_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct bproc* p = s->data;
  if (n > 0) {
    framer_push(&p->out_f, buf->base, (size_t)n, bk_on_out_line,
                bk_on_out_oversize, p);
    return;
  }
  if (n == 0)
    return;
  uv_read_stop(s);
  p->out_eof = true;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  if (!p->exited && b->stop_why == STOP_NONE) {
    /* Usually the exit follows at once; if not, the server can no longer
     * answer and is stopped. */
    uv_timer_start(&b->t_stop, bk_stdout_closed_cb, BK_STDOUT_EOF_GRACE_MS, 0);
    return;
  }
  bk_stop_check(b);
}

static void bk_on_err_line(void* ctx, char* line, size_t len) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  const char* name = b ? b->logname : NULL;
  log_passthrough(name, p->pid, line, len);
  if (b == NULL)
    return;
  free(b->tail[b->tail_next]);
  b->tail[b->tail_next] =
      xstrndup(line, len > BK_TAIL_LINE_LEN ? BK_TAIL_LINE_LEN : len);
  b->tail_next = (b->tail_next + 1) % BK_TAIL_LINES;
}

static void bk_on_err_oversize(void* ctx, size_t total, const char* head,
                               size_t headlen) {
  struct bproc* p = ctx;
  char note[64];
  int n = snprintf(note, sizeof(note), "[a %zu-byte stderr line, cut] ", total);
  (void)n;
  log_passthrough(p->b ? p->b->logname : NULL, p->pid, head, headlen);
  log_passthrough(p->b ? p->b->logname : NULL, p->pid, note, strlen(note));
}

static void bk_on_err_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct bproc* p = s->data;
  if (n > 0) {
    framer_push(&p->err_f, buf->base, (size_t)n, bk_on_err_line,
                bk_on_err_oversize, p);
  } else if (n < 0) {
    uv_read_stop(s);
    framer_reset(&p->err_f);
  }
}

/* ---- process lifetime --------------------------------------------------- */

static void bk_handle_closed(uv_handle_t* h) {
  struct bproc* p = h->data;
  if (--p->open_handles > 0)
    return;
  framer_free(&p->out_f);
  framer_free(&p->err_f);
  free(p);
}

static void bk_close_if(struct bproc* p, uv_handle_t* h) {
  if (!uv_is_closing(h)) {
    uv_close(h, bk_handle_closed);
  }
}

/* Detach the finished process from b and close its handles. */
static void bk_release_proc(struct backend* b) {
  struct bproc* p = b->p;
  if (p == NULL)
    return;
  b->p = NULL;
  p->b = NULL;
  p->in_closed = true;
  bk_close_if(p, (uv_handle_t*)&p->in);
  bk_close_if(p, (uv_handle_t*)&p->out);
  bk_close_if(p, (uv_handle_t*)&p->err);
  bk_close_if(p, (uv_handle_t*)&p->proc);
}

static void bk_backoff_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->state == BACKEND_CRASHED)
    bk_spawn(b);
}

/* The old process and its group are gone: decide what comes next. */
static void bk_stop_finished(struct backend* b) {
  enum stop_why why = b->stop_why;
  uint64_t gen = b->p ? b->p->generation : 0;
  uv_timer_stop(&b->t_stop);
  b->stage = STAGE_NONE;
  b->stop_why = STOP_NONE;
  bk_fail_inflight(b, why);
  bool had = b->p != NULL;
  bk_release_proc(b);
  if (had)
    b->ev.on_process_gone(b, b->ctx, gen);

  switch (why) {
    case STOP_RESTART:
      bk_spawn(b);
      return;
    case STOP_SHUTDOWN:
      bk_set_state(b, BACKEND_STOPPED);
      bk_fail_queue(b, true);
      b->ev.on_stopped(b, b->ctx);
      return;
    default:
      break;
  }
  /* A crash. */
  b->crashes++;
  if (b->crashes >= BK_MAX_CRASHES) {
    bk_set_state(b, BACKEND_WAITING);
    bk_log(b, LL_ERROR,
           "Server crashed %u times in a row; waiting for file changes "
           "before restarting",
           b->crashes);
    bk_fail_queue(b, true);
    return;
  }
  unsigned delay = BK_BACKOFF_FIRST_MS << (b->crashes - 1);
  if (delay > BK_BACKOFF_MAX_MS)
    delay = BK_BACKOFF_MAX_MS;
  bk_set_state(b, BACKEND_CRASHED);
  bk_log(b, LL_INFO, "Restarting in %u ms (crash %u of %u)", delay, b->crashes,
         BK_MAX_CRASHES);
  uv_timer_start(&b->t_backoff, bk_backoff_cb, delay, 0);
}

static void bk_stop_timer_cb(uv_timer_t* t) {
  bk_stop_check(t->data);
}

/* Advances the stop sequence (STDIO-11): stdin EOF -> SIGTERM to the
 * group -> grace -> SIGKILL -> the whole group gone. Runs on the process
 * exit, stdout EOF and the stop timer. */
static void bk_stop_check(struct backend* b) {
  struct bproc* p = b->p;
  if (b->stop_why == STOP_NONE)
    return;
  if (p == NULL) {
    bk_stop_finished(b);
    return;
  }
  uint64_t now = uv_now(b->loop);
  pid_t pgid = (pid_t)p->pid;
  bool alive = !p->exited || proc_group_alive(pgid);
  if (!alive) {
    if (b->group_dead_ms == 0)
      b->group_dead_ms = now;
    /* Wait for stdout EOF so no answer in the pipe is lost, briefly. */
    if (p->out_eof || now - b->group_dead_ms >= 500) {
      bk_stop_finished(b);
      return;
    }
  }
  if (now >= b->stage_deadline_ms) {
    switch (b->stage) {
      case STAGE_EOF_WAIT:
        proc_signal_group(pgid, SIGTERM);
        b->stage = STAGE_TERM;
        b->stage_deadline_ms = now + b->sc->grace_ms;
        break;
      case STAGE_TERM:
        bk_log(b, LL_WARN, "Server did not stop within %u ms of SIGTERM; "
               "sending SIGKILL", b->sc->grace_ms);
        proc_signal_group(pgid, SIGKILL);
        b->stage = STAGE_KILL;
        b->stage_deadline_ms = now + BK_KILL_WAIT_MS;
        break;
      default:
        bk_log(b, LL_ERROR, "Server process group %ld survived SIGKILL; "
               "giving up on it", (long)pgid);
        bk_stop_finished(b);
        return;
    }
  }
  uint64_t wait = b->stage_deadline_ms > now ? b->stage_deadline_ms - now : 0;
  if (alive && p->exited && wait > BK_POLL_MS)
    wait = BK_POLL_MS; /* only grandchildren left: no event tells us */
  if (!alive && wait > 50)
    wait = 50;
  uv_timer_start(&b->t_stop, bk_stop_timer_cb, wait, 0);
}

static void bk_begin_stop(struct backend* b, enum stop_why why) {
  uv_timer_stop(&b->t_init);
  uv_timer_stop(&b->t_stable);
  uv_timer_stop(&b->t_backoff);
  if (b->stop_why != STOP_NONE) {
    /* Already stopping: a shutdown overrides a restart or crash. */
    if (why == STOP_SHUTDOWN)
      b->stop_why = why;
    return;
  }
  b->stop_why = why;
  b->group_dead_ms = 0;
  if (why == STOP_CRASH)
    bk_set_state(b, BACKEND_CRASHED);
  struct bproc* p = b->p;
  if (p == NULL) {
    uv_timer_start(&b->t_stop, bk_stop_timer_cb, 0, 0);
    return;
  }
  if (!p->in_closed) {
    p->in_closed = true;
    uv_close((uv_handle_t*)&p->in, bk_handle_closed);
  }
  uint64_t now = uv_now(b->loop);
  if (why == STOP_SHUTDOWN && !p->exited) {
    b->stage = STAGE_EOF_WAIT;
    b->stage_deadline_ms = now + BK_EOF_WAIT_MS;
  } else {
    proc_signal_group((pid_t)p->pid, SIGTERM);
    b->stage = STAGE_TERM;
    b->stage_deadline_ms = now + b->sc->grace_ms;
  }
  bk_stop_check(b);
}

static void bk_on_exit(uv_process_t* proc, int64_t status, int sig) {
  struct bproc* p = proc->data;
  p->exited = true;
  p->exit_status = status;
  p->term_signal = sig;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  b->have_exit = true;
  b->last_exit_status = (long)status;
  b->last_term_signal = sig;
  char ex[64];
  proc_describe_exit((long)status, sig, ex, sizeof(ex));
  snprintf(b->last_exit_text, sizeof(b->last_exit_text), "%s", ex);
  if (b->stop_why == STOP_NONE) {
    bk_log(b, LL_ERROR, "Server exited unexpectedly (%s)%s", ex,
           b->state == BACKEND_INITIALIZING || b->state == BACKEND_STARTING
               ? " during its handshake"
               : "");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  bk_log(b, b->stop_why == STOP_SHUTDOWN ? LL_INFO : LL_VERBOSE,
         "Server stopped (%s)", ex);
  bk_stop_check(b);
}

static char** bk_build_env(const struct server_config* sc) {
  extern char** environ;
  size_t n = 0;
  while (environ[n] != NULL)
    n++;
  char** env = xcalloc(n + sc->env.n + 1, sizeof(char*));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char* eq = strchr(environ[i], '=');
    size_t keylen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    bool overridden = false;
    for (size_t j = 0; j < sc->env.n; j++)
      if (strncmp(sc->env.v[j], environ[i], keylen) == 0 &&
          sc->env.v[j][keylen] == '=')
        overridden = true;
    if (!overridden)
      env[k++] = environ[i];
  }
  for (size_t j = 0; j < sc->env.n; j++)
    env[k++] = sc->env.v[j];
  env[k] = NULL;
  return env;
}

static void bk_enter_waiting(struct backend* b, const char* why) {
  bk_log(b, LL_ERROR, "%s; waiting for file changes before restarting", why);
  b->have_exit = false;
  free(b->start_error);
  b->start_error = xstrdup(why);
  bk_set_state(b, BACKEND_WAITING);
  bk_fail_queue(b, true);
}

static void bk_spawn(struct backend* b) {
  const struct server_config* sc = b->sc;
  char* resolved = NULL;
  if (sc->cwd == NULL || strchr(sc->command, '/') == NULL) {
    resolved = proc_find_program(sc->command);
    if (resolved == NULL) {
      char why[512];
      snprintf(why, sizeof(why), "Cannot run '%s': %s", sc->command,
               errno == ENOENT ? "command not found" : strerror(errno));
      bk_enter_waiting(b, why);
      return;
    }
  }
  const char* self = proc_self_exe();
  size_t argc = 0;
  char** argv = xcalloc(sc->args.n + 6, sizeof(char*));
  char ppid[32];
  snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
  if (self != NULL) {
    argv[argc++] = (char*)self;
    argv[argc++] = PROC_SHIM_FLAG;
    argv[argc++] = ppid;
    argv[argc++] = "--";
  }
  argv[argc++] = resolved ? resolved : sc->command;
  for (size_t i = 0; i < sc->args.n; i++)
    argv[argc++] = sc->args.v[i];
  argv[argc] = NULL;

  struct bproc* p = xcalloc(1, sizeof(*p));
  p->b = b;
  p->generation = ++b->generation;
  framer_init(&p->out_f, b->max_line);
  framer_init(&p->err_f, BK_STDERR_LINE_MAX);
  uv_pipe_init(b->loop, &p->in, 0);
  uv_pipe_init(b->loop, &p->out, 0);
  uv_pipe_init(b->loop, &p->err, 0);
  p->in.data = p->out.data = p->err.data = p->proc.data = p;
  p->open_handles = 3;

  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  stdio[0].data.stream = (uv_stream_t*)&p->in;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t*)&p->out;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t*)&p->err;
  char** env = sc->env.n > 0 ? bk_build_env(sc) : NULL;
  uv_process_options_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.file = argv[0];
  opts.args = argv;
  opts.env = env;
  opts.cwd = sc->cwd;
  opts.flags = UV_PROCESS_DETACHED; /* setsid: its own process group */
  opts.stdio_count = 3;
  opts.stdio = stdio;
  opts.exit_cb = bk_on_exit;
  int rc = uv_spawn(b->loop, &p->proc, &opts);
  free(env);
  free(argv);
  p->open_handles++; /* the process handle must be closed even on failure */
  b->p = p;
  if (rc != 0) {
    p->exited = true;
    bk_release_proc(b);
    char why[512];
    snprintf(why, sizeof(why), "Cannot start '%s': %s", sc->command,
             uv_strerror(rc));
    free(resolved);
    bk_enter_waiting(b, why);
    return;
  }
  free(resolved);
  free(b->start_error);
  b->start_error = NULL;
  p->pid = p->proc.pid;
  p->spawned_ms = uv_now(b->loop);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  b->started_wall_ms =
      (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
  uv_read_start((uv_stream_t*)&p->out, bk_alloc, bk_on_out_read);
  uv_read_start((uv_stream_t*)&p->err, bk_alloc, bk_on_err_read);
  if (log_enabled(LL_INFO)) {
    char cmd[512];
    size_t n = (size_t)snprintf(cmd, sizeof(cmd), "%s", sc->command);
    for (size_t i = 0; i < sc->args.n && n < sizeof(cmd); i++)
      n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %s", sc->args.v[i]);
    bk_log(b, LL_INFO, "Started: %s", cmd);
  }
  bk_set_state(b, BACKEND_STARTING);
  if (b->init_params != NULL)
    bk_send_init(b);
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
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    cJSON_Delete(b->lists[k]);
    cJSON_Delete(b->fetch[k].acc);
  }
  free(b->client_protocol);
  free(b->start_error);
  for (int i = 0; i < BK_TAIL_LINES; i++)
    free(b->tail[i]);
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

bool backend_has_capability(const struct backend* b, const char* cap,
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
    bk_send_own(b, REQ_REPLAY, "logging/setLevel",
                cJSON_Duplicate(params, 1));
}

void backend_remove(struct backend* b) {
  b->removed = true;
  backend_stop(b);
}

const cJSON* backend_tools(const struct backend* b) {
  return b->lists[BACKEND_LIST_TOOLS];
}
