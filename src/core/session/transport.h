/* transport.h - the stdio transport: mcpmon's stdin and stdout, the MCP
 * client's end of the pipe (STDIO-1, STDIO-10, STDIO-12).
 *
 * Bytes only: reads stdin through a framer with the --max-line limit and
 * hands each line up; writes whole messages to stdout, in order, without
 * copying the large pieces. Knows no JSON-RPC: the session (session.h)
 * parses the lines and builds what is written. The only writer of stdout.
 * A Streamable HTTP transport would get its own file of the same shape.
 */
#ifndef MCPMON_TRANSPORT_H
#define MCPMON_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct transport;

struct transport_handlers {
  /* One line from the client, without its '\n' (a trailing '\r' is
   * kept), NUL-terminated at line[len]; valid during the call. When stdin
   * is a terminal, nodemon's "rs" is not handed up: the transport logs
   * how to restart instead (issue 15). */
  void (*on_line)(void* ctx, char* line, size_t len);
  /* A line over max_line bytes was skipped to its newline: total is its
   * size, head its first headlen bytes (valid during the call). */
  void (*on_oversize)(void* ctx,
                      size_t total,
                      const char* head,
                      size_t headlen);
  /* The client is gone: stdin reached EOF (eof true; writes still go
   * out: the client may still read) or stdin/stdout failed (eof false;
   * nothing more is written). Fires at most once for an error; EOF comes
   * once too. */
  void (*on_gone)(void* ctx, const char* why, bool eof);
  /* Back-pressure (issue 12 item 5): the messages waiting for the client
   * to read them hold more than TRANSPORT_HIGH_WATER bytes of memory
   * (full true), or after that less than TRANSPORT_LOW_WATER again (full
   * false). May be NULL. */
  void (*on_congested)(void* ctx, bool full);
};

#define TRANSPORT_HIGH_WATER (64u << 20)
#define TRANSPORT_LOW_WATER (32u << 20)

/* Open stdin and stdout. Returns NULL with the reason in err when stdin is
 * not a pipe or terminal. h is copied; ctx is borrowed. Owned by the
 * caller: transport_close frees it. */
struct transport* transport_new(uv_loop_t* loop,
                                size_t max_line,
                                const struct transport_handlers* h,
                                void* ctx,
                                char* err,
                                size_t errlen);

/* Start and stop reading stdin. Start returns 0 or a negative UV code. */
int transport_start(struct transport* t);
void transport_stop_input(struct transport* t);

/* Write one message given in pieces, in order after everything written
 * before, without copying the large ones: pieces inside block (heap, at
 * least cap bytes, owned by the transport from now on and kept for reuse
 * once written: util_spare_put) are written from where they are; the
 * others are copied now. At most TRANSPORT_MAX_PIECES; together one JSON
 * text ending in '\n' (the caller vouches for it). Dropped (block freed)
 * once the client is gone. */
#define TRANSPORT_MAX_PIECES 8
void transport_send_pieces(struct transport* t,
                           const uv_buf_t* pieces,
                           unsigned n,
                           char* block,
                           size_t cap);
/* The same for one piece: text (heap, len bytes) is taken. */
void transport_send_text(struct transport* t, char* text, size_t len);
/* False once nothing more can be written. */
bool transport_writable(const struct transport* t);

/* Stop reading, let what is queued reach the client, close stdin and
 * stdout, free t; then done(ctx). */
void transport_close(struct transport* t, void (*done)(void* ctx), void* ctx);

#endif
