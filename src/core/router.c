/* router.c - see router.h. */
#include "core/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/framer.h"
#include "core/jsonrpc.h"
#include "core/log.h"
#include "core/util.h"

#define RT_STDOUT_HIGH_WATER (32u * 1024u * 1024u)

/* A server->client request relayed under a client-facing id (ID-2). */
struct s2c {
  int64_t id;          /* what the client sees */
  cJSON* server_id;    /* the server's own id, restored on the answer */
  struct backend* b;
  uint64_t generation; /* the process that asked */
  struct s2c* next;
};

struct router {
  uv_loop_t* loop;
  struct router_hooks hooks;
  size_t max_line;
  unsigned queue_timeout_ms;
  struct backend* backend; /* single mode */

  union {
    uv_pipe_t pipe;
    uv_tty_t tty;
  } in;
  union {
    uv_pipe_t pipe;
    uv_tty_t tty;
  } out;
  bool in_open;
  bool out_is_stream; /* else stdout is a file: written synchronously */
  bool out_open;
  bool reading;
  struct framer framer;

  cJSON* init_params;      /* the client's (LIFE-1) */
  cJSON* init_client_id;   /* the initialize waiting for the backend */
  cJSON* init_result;      /* as the client got it (LIFE-8) */
  char* protocol;          /* negotiated version */
  uv_timer_t init_timer;

  int64_t next_s2c_id;
  struct s2c* s2c;
  bool relist_pending; /* list_changed sent, no tools/list seen since */

  void (*done)(void* ctx);
  void* done_ctx;
  int open_handles;
  bool closing;
  bool client_gone;
};

/* ---- writing to the client ---------------------------------------------- */

struct rt_write {
  uv_write_t w;
  char* buf;
};

static void rt_gone(struct router* r, const char* why) {
  if (r->client_gone)
    return;
  r->client_gone = true;
  r->hooks.client_gone(r->hooks.ctx, why);
}

static void rt_write_done(uv_write_t* w, int status) {
  struct rt_write* rw = (struct rt_write*)w;
  struct router* r = w->data;
  free(rw->buf);
  free(rw);
  if (status < 0 && status != UV_ECANCELED) {
    log_debug("writing to the client failed: %s", uv_strerror(status));
    rt_gone(r, status == UV_EPIPE ? "the client closed its input"
                                  : "writing to the client failed");
  }
}

/* Send one message to the client (STDIO-1). Does not take msg. */
static void rt_send(struct router* r, const cJSON* msg) {
  if (!r->out_open || r->client_gone)
    return;
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  if (log_enabled(LL_DEBUG))
    log_debug("-> client %.*s", (int)(len > 300 ? 300 : len - 1), text);
  if (!r->out_is_stream) {
    size_t off = 0;
    while (off < len) {
      ssize_t n = write(STDOUT_FILENO, text + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        free(text);
        rt_gone(r, "writing to the client failed");
        return;
      }
      off += (size_t)n;
    }
    free(text);
    return;
  }
  struct rt_write* rw = xmalloc(sizeof(*rw));
  rw->buf = text;
  rw->w.data = r;
  uv_buf_t ub = uv_buf_init(text, (unsigned)len);
  int rc = uv_write(&rw->w, (uv_stream_t*)&r->out, &ub, 1, rt_write_done);
  if (rc != 0) {
    free(text);
    free(rw);
    rt_gone(r, "writing to the client failed");
  }
}

/* Takes msg. */
static void rt_send_take(struct router* r, cJSON* msg) {
  rt_send(r, msg);
  cJSON_Delete(msg);
}

static void rt_error(struct router* r,
                     const cJSON* id,
                     int code,
                     const char* message) {
  rt_send_take(r, jrpc_make_error(id, code, message, NULL));
}

/* ---- the client's initialize --------------------------------------------- */

/* LIFE-3: the backend's result, changed only in capabilities. */
static cJSON* rt_patch_init_result(const cJSON* result) {
  cJSON* res = cJSON_Duplicate(result, 1);
  cJSON* caps = cJSON_GetObjectItemCaseSensitive(res, "capabilities");
  if (!cJSON_IsObject(caps)) {
    cJSON_DeleteItemFromObjectCaseSensitive(res, "capabilities");
    caps = cJSON_AddObjectToObject(res, "capabilities");
  }
  cJSON* tools = cJSON_GetObjectItemCaseSensitive(caps, "tools");
  if (!cJSON_IsObject(tools)) {
    cJSON_DeleteItemFromObjectCaseSensitive(caps, "tools");
    tools = cJSON_AddObjectToObject(caps, "tools");
  }
  const char* listed[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(listed); i++) {
    cJSON* c = cJSON_GetObjectItemCaseSensitive(caps, listed[i]);
    if (!cJSON_IsObject(c))
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive(c, "listChanged");
    cJSON_AddTrueToObject(c, "listChanged");
  }
  return res;
}

static void rt_answer_init(struct router* r) {
  if (r->init_client_id == NULL)
    return;
  uv_timer_stop(&r->init_timer);
  const cJSON* result = backend_init_result(r->backend);
  cJSON_Delete(r->init_result);
  r->init_result = rt_patch_init_result(result);
  const cJSON* pv =
      cJSON_GetObjectItemCaseSensitive(r->init_result, "protocolVersion");
  free(r->protocol);
  r->protocol = xstrdup(cJSON_IsString(pv) ? pv->valuestring : "");
  rt_send_take(r, jrpc_make_result(r->init_client_id,
                                   cJSON_Duplicate(r->init_result, 1)));
  cJSON_Delete(r->init_client_id);
  r->init_client_id = NULL;
}

static void rt_fail_init(struct router* r) {
  if (r->init_client_id == NULL)
    return;
  uv_timer_stop(&r->init_timer);
  rt_send_take(r, backend_make_unavailable_error(r->backend,
                                                 r->init_client_id));
  cJSON_Delete(r->init_client_id);
  r->init_client_id = NULL;
}

static void rt_init_timeout_cb(uv_timer_t* t) {
  rt_fail_init(t->data);
}

/* Wait (bounded) for the handshake that answers init_client_id; a server
 * that is down for good (waiting for changes) is reported at once. */
static void rt_wait_init(struct router* r) {
  enum backend_state s = backend_state(r->backend);
  if (s == BACKEND_WAITING || s == BACKEND_STOPPING || s == BACKEND_STOPPED) {
    rt_fail_init(r);
    return;
  }
  uv_timer_start(&r->init_timer, rt_init_timeout_cb, r->queue_timeout_ms, 0);
}

static void rt_on_initialize(struct router* r, struct jrpc_msg* m) {
  if (r->init_params != NULL) {
    /* LIFE-8: a second initialize in one session restarts nothing. */
    if (r->init_result != NULL) {
      rt_send_take(r, jrpc_make_result(m->id,
                                       cJSON_Duplicate(r->init_result, 1)));
    } else if (r->init_client_id != NULL) {
      rt_error(r, m->id, JRPC_INVALID_REQUEST,
               "initialize was already received and is in progress");
    } else {
      /* The first initialize got an error (the server was down): this
       * one is answered by the server's handshake with the stored params,
       * done already or still to come. */
      r->init_client_id = cJSON_Duplicate(m->id, 1);
      if (backend_init_result(r->backend) != NULL)
        rt_answer_init(r);
      else
        rt_wait_init(r);
    }
    return;
  }
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (!cJSON_IsObject(params)) {
    rt_error(r, m->id, JRPC_INVALID_PARAMS,
             "initialize needs params (protocolVersion, capabilities, "
             "clientInfo)");
    return;
  }
  r->init_params = cJSON_Duplicate(params, 1);
  r->init_client_id = cJSON_Duplicate(m->id, 1);
  backend_set_init_params(r->backend, r->init_params);
  rt_wait_init(r);
}

/* ---- messages from the client -------------------------------------------- */

static void rt_on_client_response(struct router* r, struct jrpc_msg* m) {
  int64_t id = jrpc_int_id(m->id);
  for (struct s2c** pp = &r->s2c; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->id != id)
      continue;
    struct s2c* e = *pp;
    *pp = e->next;
    jrpc_set_id(m->root, e->server_id);
    backend_send_response(e->b, m->root, e->generation);
    m->root = NULL;
    cJSON_Delete(e->server_id);
    free(e);
    return;
  }
  char idtext[64];
  jrpc_id_format(m->id, idtext, sizeof(idtext));
  log_debug("dropped a client response to unknown id %s", idtext);
}

static void rt_handle(struct router* r, struct jrpc_msg* m, int depth);

/* STDIO-6: batches only on a 2025-03-26 session; each element is handled
 * as its own line. */
static void rt_on_batch(struct router* r, struct jrpc_msg* m, int depth) {
  if (depth > 0 || r->protocol == NULL ||
      strcmp(r->protocol, "2025-03-26") != 0 ||
      cJSON_GetArraySize(m->root) == 0) {
    rt_error(r, NULL, JRPC_INVALID_REQUEST,
             "JSON-RPC batches are not supported in this protocol version");
    return;
  }
  cJSON* item;
  cJSON_ArrayForEach(item, m->root) {
    char* text = cJSON_PrintUnformatted(item);
    struct jrpc_msg sub;
    jrpc_parse(text, strlen(text), &sub);
    free(text);
    rt_handle(r, &sub, depth + 1);
    jrpc_msg_free(&sub);
  }
}

static void rt_handle(struct router* r, struct jrpc_msg* m, int depth) {
  switch (m->kind) {
    case JRPC_INVALID:
      log_warn("Client sent an invalid message: %s", m->error_msg);
      rt_error(r, m->error_code == JRPC_PARSE_ERROR ? NULL : m->id,
               m->error_code, m->error_msg);
      return;
    case JRPC_BATCH:
      rt_on_batch(r, m, depth);
      return;
    case JRPC_RESPONSE:
      rt_on_client_response(r, m);
      return;
    case JRPC_REQUEST:
      if (strcmp(m->method, "ping") == 0) { /* PING-1 */
        rt_send_take(r, jrpc_make_result(m->id, cJSON_CreateObject()));
        return;
      }
      if (strcmp(m->method, "initialize") == 0) {
        rt_on_initialize(r, m);
        return;
      }
      if (r->relist_pending && strcmp(m->method, "tools/list") == 0) {
        r->relist_pending = false;
        if (r->hooks.list_changed != NULL)
          r->hooks.list_changed(r->hooks.ctx, r->backend, true);
      }
      if (r->init_params == NULL) { /* VER-1 */
        rt_error(r, m->id, JRPC_METHOD_NOT_FOUND,
                 "Method not found: the session is not initialized yet");
        return;
      }
      backend_forward_request(r->backend, m->root);
      m->root = NULL;
      return;
    case JRPC_NOTIFICATION:
      if (strcmp(m->method, "notifications/initialized") == 0)
        return; /* the backend sends its own after each handshake */
      if (r->init_params == NULL)
        return;
      backend_forward_notification(r->backend, m->root);
      m->root = NULL;
      return;
  }
}

static void rt_on_line(void* ctx, char* line, size_t len) {
  struct router* r = ctx;
  if (log_enabled(LL_DEBUG))
    log_debug("<- client %.300s", line);
  struct jrpc_msg m;
  jrpc_parse(line, len, &m);
  rt_handle(r, &m, 0);
  jrpc_msg_free(&m);
}

static cJSON* rt_sniff_id(const char* head, size_t len) {
  const char* end = head + len;
  for (const char* s = head; s + 4 < end; s++) {
    if (memcmp(s, "\"id\"", 4) != 0)
      continue;
    s += 4;
    while (s < end && (*s == ' ' || *s == ':' || *s == '\t'))
      s++;
    if (s < end && *s == '"') {
      const char* q = memchr(s + 1, '"', (size_t)(end - s - 1));
      if (q == NULL)
        return NULL;
      char* str = xstrndup(s + 1, (size_t)(q - s - 1));
      cJSON* id = cJSON_CreateString(str);
      free(str);
      return id;
    }
    if (s < end && ((*s >= '0' && *s <= '9') || *s == '-')) {
      char* stop;
      long long v = strtoll(s, &stop, 10);
      if (stop < end && *stop != '.' && *stop != 'e' && *stop != 'E')
        return cJSON_CreateNumber((double)v);
    }
    return NULL;
  }
  return NULL;
}

static void rt_on_oversize(void* ctx, size_t total, const char* head,
                           size_t headlen) {
  struct router* r = ctx;
  log_warn("Client sent a %zu-byte message, over the %zu-byte limit "
           "(--max-line); dropped",
           total, r->max_line);
  cJSON* id = rt_sniff_id(head, headlen);
  char text[200];
  snprintf(text, sizeof(text),
           "Message of %zu bytes exceeds mcpmon's limit of %zu bytes "
           "(--max-line)",
           total, r->max_line);
  rt_error(r, id, JRPC_INVALID_REQUEST, text);
  cJSON_Delete(id);
}

static void rt_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  static char slab[65536];
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void rt_on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct router* r = s->data;
  if (n > 0) {
    framer_push(&r->framer, buf->base, (size_t)n, rt_on_line, rt_on_oversize,
                r);
    return;
  }
  if (n == 0)
    return;
  router_stop_input(r);
  size_t partial = framer_reset(&r->framer);
  if (partial > 0)
    log_warn("Client closed its output in the middle of a message (%zu "
             "bytes dropped)", partial);
  if (n == UV_EOF) {
    /* Only its input ended: the client may still read, so what it asked
     * before gets answered (router_close flushes) as the server stops. */
    r->hooks.client_gone(r->hooks.ctx, "the client closed stdin");
    return;
  }
  rt_gone(r, uv_strerror((int)n));
}

/* ---- events from the backend --------------------------------------------- */

static void rt_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  struct router* r = ctx;
  (void)b;
  rt_send_take(r, msg);
}

static void rt_ev_server_request(struct backend* b, void* ctx, cJSON* msg,
                                 uint64_t generation) {
  struct router* r = ctx;
  struct s2c* e = xcalloc(1, sizeof(*e));
  e->id = r->next_s2c_id++;
  e->server_id = cJSON_DetachItemFromObjectCaseSensitive(msg, "id");
  e->b = b;
  e->generation = generation;
  e->next = r->s2c;
  r->s2c = e;
  jrpc_set_int_id(msg, e->id);
  rt_send_take(r, msg);
}

static void rt_ev_initialized(struct backend* b, void* ctx, bool first) {
  struct router* r = ctx;
  (void)b;
  if (first)
    rt_answer_init(r);
}

static void rt_ev_restarted(struct backend* b, void* ctx) {
  struct router* r = ctx;
  const cJSON* caps = cJSON_GetObjectItemCaseSensitive(
      r->init_result, "capabilities");
  /* §3.3 step 11: one notification per list kind the client was told
   * about, after the queued requests went to the new process. */
  const char* kinds[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    if (i > 0 && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps,
                                                                  kinds[i])))
      continue;
    char method[64];
    snprintf(method, sizeof(method), "notifications/%s/list_changed",
             kinds[i]);
    rt_send_take(r, jrpc_make_notification(method, NULL));
    log_msg(LL_INFO, NULL, 0, "Sent %s/list_changed notification", kinds[i]);
  }
  r->relist_pending = true;
  if (r->hooks.list_changed != NULL)
    r->hooks.list_changed(r->hooks.ctx, b, false);
}

static void rt_ev_process_gone(struct backend* b, void* ctx,
                               uint64_t generation) {
  struct router* r = ctx;
  /* CAN-3: requests of a dead process will never be answered by it. */
  for (struct s2c** pp = &r->s2c; *pp != NULL;) {
    struct s2c* e = *pp;
    if (e->b != b || e->generation != generation) {
      pp = &e->next;
      continue;
    }
    *pp = e->next;
    cJSON* params = cJSON_CreateObject();
    cJSON_AddNumberToObject(params, "requestId", (double)e->id);
    cJSON_AddStringToObject(params, "reason", "the server restarted");
    rt_send_take(r, jrpc_make_notification("notifications/cancelled", params));
    cJSON_Delete(e->server_id);
    free(e);
  }
}

static void rt_ev_stopped(struct backend* b, void* ctx) {
  struct router* r = ctx;
  r->hooks.backend_stopped(r->hooks.ctx, b);
}

static void rt_ev_state(struct backend* b, void* ctx) {
  struct router* r = ctx;
  enum backend_state s = backend_state(b);
  if (s == BACKEND_WAITING || s == BACKEND_STOPPING || s == BACKEND_STOPPED)
    rt_fail_init(r);
}

static const struct backend_events rt_backend_events = {
    .on_message = rt_ev_message,
    .on_server_request = rt_ev_server_request,
    .on_initialized = rt_ev_initialized,
    .on_restarted = rt_ev_restarted,
    .on_process_gone = rt_ev_process_gone,
    .on_stopped = rt_ev_stopped,
    .on_state = rt_ev_state,
};

const struct backend_events* router_backend_events(void) {
  return &rt_backend_events;
}

/* ---- lifecycle ------------------------------------------------------------ */

static int rt_open_stream(uv_loop_t* loop, int fd, void* handle, bool readable,
                          bool* is_stream) {
  uv_handle_type t = uv_guess_handle(fd);
  *is_stream = true;
  if (t == UV_TTY)
    return uv_tty_init(loop, handle, fd, readable);
  if (t == UV_NAMED_PIPE || t == UV_TCP || t == UV_UDP) {
    int rc = uv_pipe_init(loop, handle, 0);
    if (rc == 0)
      rc = uv_pipe_open(handle, fd);
    return rc;
  }
  *is_stream = false;
  return t == UV_FILE ? 0 : UV_EBADF;
}

struct router* router_new(uv_loop_t* loop,
                          const struct router_options* opts,
                          const struct router_hooks* hooks,
                          char* err,
                          size_t errlen) {
  struct router* r = xcalloc(1, sizeof(*r));
  r->loop = loop;
  r->hooks = *hooks;
  r->max_line = opts->max_line;
  r->queue_timeout_ms = opts->queue_timeout_ms;
  r->next_s2c_id = 1;
  framer_init(&r->framer, opts->max_line);
  bool in_stream;
  int rc = rt_open_stream(loop, STDIN_FILENO, &r->in, true, &in_stream);
  if (rc != 0 || !in_stream) {
    snprintf(err, errlen,
             "stdin must be a pipe or a terminal (an MCP client's "
             "connection)%s%s",
             rc ? ": " : "", rc ? uv_strerror(rc) : "");
    if (rc == 0 && in_stream)
      uv_close((uv_handle_t*)&r->in, NULL);
    framer_free(&r->framer);
    free(r);
    return NULL;
  }
  r->in.pipe.data = r;
  r->in_open = true;
  rc = rt_open_stream(loop, STDOUT_FILENO, &r->out, false, &r->out_is_stream);
  if (rc != 0) {
    snprintf(err, errlen, "cannot use stdout: %s", uv_strerror(rc));
    r->out_open = false;
  } else {
    r->out_open = true;
    if (r->out_is_stream)
      r->out.pipe.data = r;
  }
  uv_timer_init(loop, &r->init_timer);
  r->init_timer.data = r;
  if (rc != 0) {
    router_close(r, NULL, NULL);
    return NULL;
  }
  return r;
}

void router_set_backend(struct router* r, struct backend* b) {
  r->backend = b;
}

int router_start(struct router* r) {
  int rc = uv_read_start((uv_stream_t*)&r->in, rt_alloc, rt_on_read);
  if (rc == 0)
    r->reading = true;
  return rc;
}

void router_stop_input(struct router* r) {
  if (r->reading)
    uv_read_stop((uv_stream_t*)&r->in);
  r->reading = false;
}

static void rt_closed(uv_handle_t* h) {
  struct router* r = h->data;
  if (--r->open_handles > 0)
    return;
  void (*done)(void*) = r->done;
  void* ctx = r->done_ctx;
  framer_free(&r->framer);
  cJSON_Delete(r->init_params);
  cJSON_Delete(r->init_client_id);
  cJSON_Delete(r->init_result);
  free(r->protocol);
  while (r->s2c != NULL) {
    struct s2c* e = r->s2c;
    r->s2c = e->next;
    cJSON_Delete(e->server_id);
    free(e);
  }
  free(r);
  if (done != NULL)
    done(ctx);
}

static void rt_close_all(struct router* r) {
  r->open_handles = 1;
  uv_close((uv_handle_t*)&r->init_timer, rt_closed);
  if (r->in_open) {
    r->open_handles++;
    uv_close((uv_handle_t*)&r->in, rt_closed);
  }
  if (r->out_open && r->out_is_stream) {
    r->open_handles++;
    uv_close((uv_handle_t*)&r->out, rt_closed);
  }
  r->out_open = false;
}

static void rt_shutdown_done(uv_shutdown_t* req, int status) {
  struct router* r = req->data;
  (void)status;
  free(req);
  rt_close_all(r);
}

void router_close(struct router* r, void (*done)(void* ctx), void* ctx) {
  if (r->closing)
    return;
  r->closing = true;
  r->done = done;
  r->done_ctx = ctx;
  router_stop_input(r);
  uv_timer_stop(&r->init_timer);
  /* Let queued answers reach the client before closing stdout. */
  if (r->out_open && r->out_is_stream && !r->client_gone) {
    uv_shutdown_t* req = xmalloc(sizeof(*req));
    req->data = r;
    if (uv_shutdown(req, (uv_stream_t*)&r->out, rt_shutdown_done) == 0)
      return;
    free(req);
  }
  rt_close_all(r);
}
