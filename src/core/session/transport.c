/* transport.c - see transport.h. */
#include "core/session/transport.h"

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

struct transport {
  uv_loop_t* loop;
  struct transport_handlers h;
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
  bool in_tty;        /* stdin is a terminal: a person typing */
  bool out_is_stream; /* else stdout is a file, written synchronously */
  bool out_tried;     /* growing stdout's pipe was tried (proc.h) */
  size_t out_grown;   /* capacity it added */
  uv_timer_t t_spare; /* drops the spare block when large writes stop */
  bool out_open;
  bool reading;
  bool gone;
  bool congested;     /* over TRANSPORT_HIGH_WATER, not yet below LOW */
  size_t pending_mem; /* what the writes not yet done hold (tr_write.mem) */
  struct framer framer;
  int open_handles;
  void (*done)(void* ctx);
  void* done_ctx;
};

struct tr_write {
  uv_write_t w;
  char* block; /* the message's block, recycled once written */
  size_t cap;
  char* copied; /* the pieces from outside block, or NULL */
  size_t mem;   /* this, block and copied: counted in pending_mem */
};

/* Large blocks stay for reuse this long after the last one was written. */
#define TR_SPARE_MS 1000u

static void tr_gone(struct transport* c, const char* why) {
  if (c->gone)
    return;
  c->gone = true;
  c->h.on_gone(c->ctx, why, false);
}

static void tr_spare_drop(uv_timer_t* t) {
  (void)t;
  util_spare_drop();
}

static void tr_recycle(struct transport* c, char* block, size_t cap) {
  util_spare_put(block, cap);
  if (cap >= UTIL_SPARE_MIN && !uv_is_closing((uv_handle_t*)&c->t_spare))
    uv_timer_start(&c->t_spare, tr_spare_drop, TR_SPARE_MS, 0);
}

/* Compare what waits for the client with the two marks. */
static void tr_check_congestion(struct transport* c) {
  if (c->gone || !c->out_is_stream || c->h.on_congested == NULL)
    return;
  /* Memory, not bytes: a flood of small messages holds far more than
   * its text (a write request and a block each). */
  size_t queued = c->pending_mem;
  bool full = c->congested ? queued >= TRANSPORT_LOW_WATER
                           : queued > TRANSPORT_HIGH_WATER;
  if (full == c->congested)
    return;
  c->congested = full;
  c->h.on_congested(c->ctx, full);
}

static void tr_write_done(uv_write_t* w, int status) {
  struct tr_write* cw = (struct tr_write*)w;
  struct transport* c = w->data;
  tr_recycle(c, cw->block, cw->cap);
  c->pending_mem -= cw->mem;
  free(cw->copied);
  free(cw);
  if (status < 0 && status != UV_ECANCELED)
    tr_gone(c, status == UV_EPIPE ? "the client closed its input"
                                  : "writing to the client failed");
  else if (status == 0 && c->congested)
    tr_check_congestion(c);
}

void transport_send_text(struct transport* c, char* text, size_t len) {
  uv_buf_t piece = uv_buf_init(text, (unsigned)len);
  transport_send_pieces(c, &piece, 1, text, len);
}

/* stdout is a file: written at once. */
static void tr_write_file(struct transport* c,
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
        tr_gone(c, "writing to the client failed");
        return;
      }
      off += (size_t)k;
    }
  }
}

static bool tr_inside(const uv_buf_t* piece, const char* block, size_t cap) {
  return piece->base >= block && piece->len <= cap &&
         (size_t)(piece->base - block) <= cap - piece->len;
}

void transport_send_pieces(struct transport* c,
                           const uv_buf_t* pieces,
                           unsigned n,
                           char* block,
                           size_t cap) {
  size_t len = 0;
  for (unsigned i = 0; i < n; i++) len += pieces[i].len;
  if (!c->out_open || c->gone || n > TRANSPORT_MAX_PIECES) {
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
    tr_write_file(c, pieces, n);
    tr_recycle(c, block, cap);
    return;
  }
  if (len >= PROC_PIPE_FULL && !c->out_tried) {
    /* A message larger than a default pipe: grow it (proc.h). */
    c->out_tried = true;
    c->out_grown = proc_pipe_grow(STDOUT_FILENO);
  }
  struct tr_write* cw = xmalloc(sizeof(*cw));
  cw->block = block;
  cw->cap = cap;
  cw->copied = NULL;
  cw->w.data = c;
  /* Pieces outside block (an id) are copied: they need not outlive the
   * call, and the write may take a while. */
  uv_buf_t bufs[TRANSPORT_MAX_PIECES];
  size_t outside = 0;
  for (unsigned i = 0; i < n; i++)
    if (!tr_inside(&pieces[i], block, cap))
      outside += pieces[i].len;
  if (outside > 0)
    cw->copied = xmalloc(outside);
  cw->mem = sizeof(*cw) + cap + outside;
  size_t at = 0;
  for (unsigned i = 0; i < n; i++) {
    bufs[i] = pieces[i];
    if (!tr_inside(&pieces[i], block, cap)) {
      memcpy(cw->copied + at, pieces[i].base, pieces[i].len);
      bufs[i].base = cw->copied + at;
      at += pieces[i].len;
    }
  }
  if (uv_write(&cw->w, (uv_stream_t*)&c->out, bufs, n, tr_write_done) != 0) {
    free(block);
    free(cw->copied);
    free(cw);
    tr_gone(c, "writing to the client failed");
    return;
  }
  c->pending_mem += cw->mem;
  tr_check_congestion(c);
}

/* ---- reading ------------------------------------------------------------- */

/* Whether a line typed on a terminal is nodemon's "rs" (restart): spaces
 * and a '\r' around it allowed. */
static bool tr_is_rs(const char* line, size_t len) {
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
                     line[len - 1] == '\t'))
    len--;
  while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
    line++;
    len--;
  }
  return len == 2 && line[0] == 'r' && line[1] == 's';
}

static void tr_on_line(void* ctx, char* line, size_t len) {
  struct transport* c = ctx;
  /* Issue 15: someone who runs mcpmon by hand and types nodemon's "rs"
   * gets told how restarts are asked for here, not a JSON-RPC parse
   * error. Only on a terminal: from an MCP client "rs" is bad JSON and
   * gets its error as any other. */
  if (c->in_tty && tr_is_rs(line, len)) {
    log_warn(
        "mcpmon is not nodemon: 'rs' does not restart anything here; run "
        "'mcpmon restart' in another terminal, or press r in 'mcpmon tui'");
    return;
  }
  c->h.on_line(c->ctx, line, len);
}

static void tr_on_oversize(void* ctx,
                           size_t total,
                           const char* head,
                           size_t headlen) {
  struct transport* c = ctx;
  c->h.on_oversize(c->ctx, total, head, headlen);
}

static void tr_on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct transport* c = s->data;
  if (n > 0) {
    framer_push(&c->framer, buf->base, (size_t)n, tr_on_line, tr_on_oversize,
                c);
    return;
  }
  if (n == 0)
    return;
  transport_stop_input(c);
  size_t partial = framer_reset(&c->framer);
  if (partial > 0)
    log_warn(
        "Client closed its output in the middle of a message (%zu "
        "bytes dropped)",
        partial);
  if (n == UV_EOF) {
    /* Only its input ended: the client may still read, so what it asked
     * before is still answered (transport_close flushes) while mcpmon stops
     * its servers. */
    c->h.on_gone(c->ctx, "the client closed stdin", true);
    return;
  }
  tr_gone(c, uv_strerror((int)n));
}

/* ---- lifecycle ------------------------------------------------------------
 */

static int tr_open_stream(
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

struct transport* transport_new(uv_loop_t* loop,
                                size_t max_line,
                                const struct transport_handlers* h,
                                void* ctx,
                                char* err,
                                size_t errlen) {
  bool in_stream;
  struct transport* c = xcalloc(1, sizeof(*c));
  int rc = tr_open_stream(loop, STDIN_FILENO, &c->in, true, &in_stream);
  if (rc != 0 || !in_stream) {
    snprintf(err, errlen,
             "stdin must be a pipe or a terminal (an MCP client's "
             "connection)%s%s",
             rc ? ": " : "", rc ? uv_strerror(rc) : "");
    free(c);
    return NULL;
  }
  c->in_tty = uv_guess_handle(STDIN_FILENO) == UV_TTY;
  c->loop = loop;
  c->h = *h;
  c->ctx = ctx;
  c->max_line = max_line;
  framer_init(&c->framer, max_line);
  c->in.pipe.data = c;
  uv_timer_init(loop, &c->t_spare);
  c->t_spare.data = c;
  c->open_handles = 2;
  rc = tr_open_stream(loop, STDOUT_FILENO, &c->out, false, &c->out_is_stream);
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

int transport_start(struct transport* c) {
  int rc = uv_read_start((uv_stream_t*)&c->in, slab_alloc, tr_on_read);
  c->reading = rc == 0;
  return rc;
}

void transport_stop_input(struct transport* c) {
  if (c->reading)
    uv_read_stop((uv_stream_t*)&c->in);
  c->reading = false;
}

static void tr_closed(uv_handle_t* h) {
  struct transport* c = h->data;
  if (--c->open_handles > 0)
    return;
  void (*done)(void*) = c->done;
  void* ctx = c->done_ctx;
  framer_free(&c->framer);
  proc_pipe_release(c->out_grown);
  util_spare_drop();
  free(c);
  if (done != NULL)
    done(ctx);
}

static void tr_close_handles(struct transport* c) {
  uv_close((uv_handle_t*)&c->in, tr_closed);
  uv_close((uv_handle_t*)&c->t_spare, tr_closed);
  if (c->out_is_stream)
    uv_close((uv_handle_t*)&c->out, tr_closed);
  c->out_open = false;
}

static void tr_shutdown_done(uv_shutdown_t* req, int status) {
  struct transport* c = req->data;
  (void)status;
  free(req);
  tr_close_handles(c);
}

void transport_close(struct transport* c, void (*done)(void* ctx), void* ctx) {
  c->done = done;
  c->done_ctx = ctx;
  transport_stop_input(c);
  /* Let queued answers reach the client before stdout closes. */
  if (c->out_open && c->out_is_stream && !c->gone) {
    uv_shutdown_t* req = xmalloc(sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t*)&c->out, tr_shutdown_done) == 0)
      return;
    free(req);
  }
  tr_close_handles(c);
}

bool transport_writable(const struct transport* t) {
  return t->out_open && !t->gone;
}
