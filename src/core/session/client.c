/* client.c - see client.h. */
#include "core/session/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proc/proc.h"
#include "core/slab.h"
#include "lib/framer.h"
#include "lib/util.h"

/* A server->client request relayed under a client-facing id (ID-2). */
struct relayed {
  int64_t id;       /* what the client sees */
  cJSON* server_id; /* the server's own id, restored on the answer */
  cJSON* token;     /* params._meta.progressToken, or NULL (PROG-2) */
  struct backend* b;
  uint64_t generation; /* the process that asked */
  struct relayed* next;
};

struct client {
  uv_loop_t* loop;
  struct client_handlers h;
  void* ctx;
  size_t max_line;
  union {
    uv_pipe_t pipe;
    uv_tty_t tty;
  } in;
  union {
    uv_pipe_t pipe;
    uv_tty_t tty;
  } out;
  bool out_is_stream; /* else stdout is a file, written synchronously */
  bool out_tried;     /* growing stdout's pipe was tried (proc.h) */
  size_t out_grown;   /* capacity it added */
  uv_timer_t t_spare; /* drops the spare block when large writes stop */
  bool out_open;
  bool reading;
  bool gone;
  struct framer framer;
  char* protocol;
  int64_t next_relay_id;
  struct relayed* relayed;
  int open_handles;
  void (*done)(void* ctx);
  void* done_ctx;
};

struct cl_write {
  uv_write_t w;
  char* block; /* the message's block, recycled once written */
  size_t cap;
  char* copied; /* the pieces from outside block, or NULL */
};

/* Large blocks stay for reuse this long after the last one was written. */
#define CL_SPARE_MS 1000u

static void cl_gone(struct client* c, const char* why) {
  if (c->gone)
    return;
  c->gone = true;
  c->h.on_gone(c->ctx, why);
}

static void cl_spare_drop(uv_timer_t* t) {
  (void)t;
  util_spare_drop();
}

static void cl_recycle(struct client* c, char* block, size_t cap) {
  util_spare_put(block, cap);
  if (cap >= UTIL_SPARE_MIN && !uv_is_closing((uv_handle_t*)&c->t_spare))
    uv_timer_start(&c->t_spare, cl_spare_drop, CL_SPARE_MS, 0);
}

static void cl_write_done(uv_write_t* w, int status) {
  struct cl_write* cw = (struct cl_write*)w;
  struct client* c = w->data;
  cl_recycle(c, cw->block, cw->cap);
  free(cw->copied);
  free(cw);
  if (status < 0 && status != UV_ECANCELED)
    cl_gone(c, status == UV_EPIPE ? "the client closed its input"
                                  : "writing to the client failed");
}

void client_send(struct client* c, const cJSON* msg) {
  if (!c->out_open || c->gone)
    return;
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  client_send_text(c, text, len);
}

void client_send_text(struct client* c, char* text, size_t len) {
  uv_buf_t piece = uv_buf_init(text, (unsigned)len);
  client_send_pieces(c, &piece, 1, text, len);
}

/* stdout is a file: written at once. */
static void cl_write_file(struct client* c,
                          const uv_buf_t* pieces,
                          unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    size_t off = 0;
    while (off < pieces[i].len) {
      ssize_t k =
          write(STDOUT_FILENO, pieces[i].base + off, pieces[i].len - off);
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0) {
        cl_gone(c, "writing to the client failed");
        return;
      }
      off += (size_t)k;
    }
  }
}

static bool cl_inside(const uv_buf_t* piece, const char* block, size_t cap) {
  return piece->base >= block && piece->len <= cap &&
         (size_t)(piece->base - block) <= cap - piece->len;
}

void client_send_pieces(struct client* c,
                        const uv_buf_t* pieces,
                        unsigned n,
                        char* block,
                        size_t cap) {
  size_t len = 0;
  for (unsigned i = 0; i < n; i++) len += pieces[i].len;
  if (!c->out_open || c->gone || n > CLIENT_MAX_PIECES) {
    free(block);
    return;
  }
  if (log_enabled(LL_DEBUG) && n > 0) {
    size_t shown = pieces[0].len;
    if (n == 1 && shown > 0 && pieces[0].base[shown - 1] == '\n')
      shown--;
    log_debug("-> client %.*s%s", (int)(shown > 300 ? 300 : shown),
              pieces[0].base, n > 1 ? " ..." : "");
  }
  if (!c->out_is_stream) {
    cl_write_file(c, pieces, n);
    cl_recycle(c, block, cap);
    return;
  }
  if (len >= PROC_PIPE_FULL && !c->out_tried) {
    /* A message larger than a default pipe: grow it (proc.h). */
    c->out_tried = true;
    c->out_grown = proc_pipe_grow(STDOUT_FILENO);
  }
  struct cl_write* cw = xmalloc(sizeof(*cw));
  cw->block = block;
  cw->cap = cap;
  cw->copied = NULL;
  cw->w.data = c;
  /* Pieces outside block (an id) are copied: they need not outlive the
   * call, and the write may take a while. */
  uv_buf_t bufs[CLIENT_MAX_PIECES];
  size_t outside = 0;
  for (unsigned i = 0; i < n; i++)
    if (!cl_inside(&pieces[i], block, cap))
      outside += pieces[i].len;
  if (outside > 0)
    cw->copied = xmalloc(outside);
  size_t at = 0;
  for (unsigned i = 0; i < n; i++) {
    bufs[i] = pieces[i];
    if (!cl_inside(&pieces[i], block, cap)) {
      memcpy(cw->copied + at, pieces[i].base, pieces[i].len);
      bufs[i].base = cw->copied + at;
      at += pieces[i].len;
    }
  }
  if (uv_write(&cw->w, (uv_stream_t*)&c->out, bufs, n, cl_write_done) != 0) {
    free(block);
    free(cw->copied);
    free(cw);
    cl_gone(c, "writing to the client failed");
  }
}

void client_send_take(struct client* c, cJSON* msg) {
  client_send(c, msg);
  cJSON_Delete(msg);
}

void client_error(struct client* c,
                  const cJSON* id,
                  int code,
                  const char* message) {
  client_send_take(c, jrpc_make_error(id, code, message, NULL));
}

void client_set_protocol(struct client* c, const char* version) {
  free(c->protocol);
  c->protocol = version ? xstrdup(version) : NULL;
}

/* ---- relayed server->client requests --------------------------------------
 */

void client_relay_request(struct client* c,
                          struct backend* b,
                          cJSON* msg,
                          uint64_t generation) {
  struct relayed* e = xcalloc(1, sizeof(*e));
  e->id = c->next_relay_id++;
  e->server_id = cJSON_DetachItemFromObjectCaseSensitive(msg, "id");
  const cJSON* token = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(msg, "params"), "_meta"),
      "progressToken");
  if (cJSON_IsString(token) || cJSON_IsNumber(token))
    e->token = cJSON_Duplicate(token, 1);
  e->b = b;
  e->generation = generation;
  e->next = c->relayed;
  c->relayed = e;
  jrpc_set_int_id(msg, e->id);
  client_send_take(c, msg);
}

static void cl_relayed_free(struct relayed* e) {
  cJSON_Delete(e->server_id);
  cJSON_Delete(e->token);
  free(e);
}

bool client_translate_cancelled(struct client* c,
                                struct backend* b,
                                cJSON* msg) {
  cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  const cJSON* rid = cJSON_GetObjectItemCaseSensitive(params, "requestId");
  if (rid == NULL)
    return false;
  for (struct relayed** pp = &c->relayed; *pp != NULL; pp = &(*pp)->next) {
    struct relayed* e = *pp;
    if (e->b != b || !jrpc_id_equal(e->server_id, rid))
      continue;
    *pp = e->next;
    cJSON_ReplaceItemInObjectCaseSensitive(params, "requestId",
                                           cJSON_CreateNumber((double)e->id));
    cl_relayed_free(e);
    return true;
  }
  return false;
}

struct backend* client_progress_owner(struct client* c,
                                      const cJSON* token,
                                      uint64_t* generation) {
  if (token == NULL)
    return NULL;
  for (struct relayed* e = c->relayed; e != NULL; e = e->next) {
    if (e->token != NULL && jrpc_id_equal(e->token, token)) {
      *generation = e->generation;
      return e->b;
    }
  }
  return NULL;
}

void client_cancel_relayed(struct client* c,
                           struct backend* b,
                           uint64_t generation) {
  for (struct relayed** pp = &c->relayed; *pp != NULL;) {
    struct relayed* e = *pp;
    if (e->b != b || (generation != 0 && e->generation != generation)) {
      pp = &e->next;
      continue;
    }
    *pp = e->next;
    cJSON* params = cJSON_CreateObject();
    cJSON_AddNumberToObject(params, "requestId", (double)e->id);
    cJSON_AddStringToObject(params, "reason", "the server restarted");
    client_send_take(c,
                     jrpc_make_notification("notifications/cancelled", params));
    cl_relayed_free(e);
  }
}

static void cl_on_response(struct client* c, struct jrpc_msg* m) {
  int64_t id = jrpc_int_id(m->id);
  for (struct relayed** pp = &c->relayed; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->id != id)
      continue;
    struct relayed* e = *pp;
    *pp = e->next;
    jrpc_set_id(m->root, e->server_id);
    backend_send_response(e->b, m->root, e->generation);
    m->root = NULL;
    cl_relayed_free(e);
    return;
  }
  char idtext[64];
  jrpc_id_format(m->id, idtext, sizeof(idtext));
  log_debug("dropped a client response to unknown id %s", idtext);
}

/* ---- reading ------------------------------------------------------------- */

static void cl_handle(struct client* c, struct jrpc_msg* m, int depth);

/* STDIO-6: batches only on a 2025-03-26 session; each element is handled
 * as its own line. */
static void cl_on_batch(struct client* c, struct jrpc_msg* m, int depth) {
  if (depth > 0 || c->protocol == NULL ||
      strcmp(c->protocol, "2025-03-26") != 0 ||
      cJSON_GetArraySize(m->root) == 0) {
    client_error(c, NULL, JRPC_INVALID_REQUEST,
                 "JSON-RPC batches are not supported in this protocol "
                 "version");
    return;
  }
  /* Each element is taken out of the array as it is: printing and parsing
   * it again would round numbers to 15 digits, ids included. */
  while (m->root->child != NULL) {
    cJSON* item = cJSON_DetachItemViaPointer(m->root, m->root->child);
    struct jrpc_msg sub;
    jrpc_from_tree(item, &sub);
    cl_handle(c, &sub, depth + 1);
    jrpc_msg_free(&sub);
  }
}

static void cl_handle(struct client* c, struct jrpc_msg* m, int depth) {
  switch (m->kind) {
    case JRPC_INVALID:
      log_warn("Client sent an invalid message: %s", m->error_msg);
      client_error(c, m->error_code == JRPC_PARSE_ERROR ? NULL : m->id,
                   m->error_code, m->error_msg);
      return;
    case JRPC_BATCH:
      cl_on_batch(c, m, depth);
      return;
    case JRPC_RESPONSE:
      cl_on_response(c, m);
      return;
    case JRPC_REQUEST:
      if (strcmp(m->method, "ping") == 0) { /* PING-1 */
        client_send_take(c, jrpc_make_result(m->id, cJSON_CreateObject()));
        return;
      }
      c->h.on_message(c->ctx, m);
      return;
    case JRPC_NOTIFICATION:
      c->h.on_message(c->ctx, m);
      return;
  }
}

static void cl_on_line(void* ctx, char* line, size_t len) {
  struct client* c = ctx;
  if (log_enabled(LL_DEBUG))
    log_debug("<- client %.300s", line);
  struct jrpc_msg m;
  jrpc_parse_strict(line, len, &m);
  cl_handle(c, &m, 0);
  jrpc_msg_free(&m);
}

static void cl_on_oversize(void* ctx,
                           size_t total,
                           const char* head,
                           size_t headlen) {
  struct client* c = ctx;
  log_warn(
      "Client sent a %zu-byte message, over the %zu-byte limit "
      "(--max-line); dropped",
      total, c->max_line);
  cJSON* id = jrpc_sniff_id(head, headlen);
  char text[200];
  snprintf(text, sizeof(text),
           "Message of %zu bytes exceeds mcpmon's limit of %zu bytes "
           "(--max-line)",
           total, c->max_line);
  client_error(c, id, JRPC_INVALID_REQUEST, text);
  cJSON_Delete(id);
}

static void cl_on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct client* c = s->data;
  if (n > 0) {
    framer_push(&c->framer, buf->base, (size_t)n, cl_on_line, cl_on_oversize,
                c);
    return;
  }
  if (n == 0)
    return;
  client_stop_input(c);
  size_t partial = framer_reset(&c->framer);
  if (partial > 0)
    log_warn(
        "Client closed its output in the middle of a message (%zu "
        "bytes dropped)",
        partial);
  if (n == UV_EOF) {
    /* Only its input ended: the client may still read, so what it asked
     * before is still answered (client_close flushes) while mcpmon stops
     * its servers. */
    c->h.on_gone(c->ctx, "the client closed stdin");
    return;
  }
  cl_gone(c, uv_strerror((int)n));
}

/* ---- lifecycle ------------------------------------------------------------
 */

static int cl_open_stream(
    uv_loop_t* loop, int fd, void* handle, bool readable, bool* is_stream) {
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

struct client* client_new(uv_loop_t* loop,
                          size_t max_line,
                          const struct client_handlers* h,
                          void* ctx,
                          char* err,
                          size_t errlen) {
  bool in_stream;
  struct client* c = xcalloc(1, sizeof(*c));
  int rc = cl_open_stream(loop, STDIN_FILENO, &c->in, true, &in_stream);
  if (rc != 0 || !in_stream) {
    snprintf(err, errlen,
             "stdin must be a pipe or a terminal (an MCP client's "
             "connection)%s%s",
             rc ? ": " : "", rc ? uv_strerror(rc) : "");
    free(c);
    return NULL;
  }
  c->loop = loop;
  c->h = *h;
  c->ctx = ctx;
  c->max_line = max_line;
  c->next_relay_id = 1;
  framer_init(&c->framer, max_line);
  c->in.pipe.data = c;
  uv_timer_init(loop, &c->t_spare);
  c->t_spare.data = c;
  c->open_handles = 2;
  rc = cl_open_stream(loop, STDOUT_FILENO, &c->out, false, &c->out_is_stream);
  if (rc == 0) {
    c->out_open = true;
    if (c->out_is_stream) {
      c->out.pipe.data = c;
      c->open_handles++;
    }
  } else {
    log_error("Cannot use stdout: %s", uv_strerror(rc));
    c->out_is_stream = false;
  }
  return c;
}

int client_start(struct client* c) {
  int rc = uv_read_start((uv_stream_t*)&c->in, slab_alloc, cl_on_read);
  c->reading = rc == 0;
  return rc;
}

void client_stop_input(struct client* c) {
  if (c->reading)
    uv_read_stop((uv_stream_t*)&c->in);
  c->reading = false;
}

static void cl_closed(uv_handle_t* h) {
  struct client* c = h->data;
  if (--c->open_handles > 0)
    return;
  void (*done)(void*) = c->done;
  void* ctx = c->done_ctx;
  framer_free(&c->framer);
  proc_pipe_release(c->out_grown);
  util_spare_drop();
  free(c->protocol);
  while (c->relayed != NULL) {
    struct relayed* e = c->relayed;
    c->relayed = e->next;
    cl_relayed_free(e);
  }
  free(c);
  if (done != NULL)
    done(ctx);
}

static void cl_close_handles(struct client* c) {
  uv_close((uv_handle_t*)&c->in, cl_closed);
  uv_close((uv_handle_t*)&c->t_spare, cl_closed);
  if (c->out_is_stream)
    uv_close((uv_handle_t*)&c->out, cl_closed);
  c->out_open = false;
}

static void cl_shutdown_done(uv_shutdown_t* req, int status) {
  struct client* c = req->data;
  (void)status;
  free(req);
  cl_close_handles(c);
}

void client_close(struct client* c, void (*done)(void* ctx), void* ctx) {
  c->done = done;
  c->done_ctx = ctx;
  client_stop_input(c);
  /* Let queued answers reach the client before stdout closes. */
  if (c->out_open && c->out_is_stream && !c->gone) {
    uv_shutdown_t* req = xmalloc(sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t*)&c->out, cl_shutdown_done) == 0)
      return;
    free(req);
  }
  cl_close_handles(c);
}
