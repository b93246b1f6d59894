/* framer.h - newline-delimited JSON-RPC framing for one input stream.
 *
 * Pure (no libuv). Accumulates bytes across reads, splits on '\n', drops one
 * trailing '\r', skips empty and whitespace-only lines (STDIO-2). A line
 * longer than max bytes is never delivered: its bytes are discarded up to
 * the next '\n' and on_oversize reports it once that '\n' arrives (STDIO-3).
 */
#ifndef MCPMON_FRAMER_H
#define MCPMON_FRAMER_H

#include <stdbool.h>
#include <stddef.h>

/* line points into the framer's buffer, NUL-terminated at line[len]; valid
 * only during the call. The callback must not free the framer. */
typedef void (*framer_line_cb)(void* ctx, char* line, size_t len);
/* total: the size of the discarded line in bytes (without '\n').
 * head/headlen: its first bytes (up to FRAMER_HEAD_MAX), e.g. to find an id. */
typedef void (*framer_oversize_cb)(void* ctx,
                                   size_t total,
                                   const char* head,
                                   size_t headlen);

/* Told of each line's bytes as they arrive, before the line is complete
 * (framer_watch): bytes/n for every new piece, in order, without the '\n'
 * (a '\r' before it included); then (NULL, 0) once the '\n' has come,
 * after on_line or on_oversize, also for blank lines, and when
 * framer_reset drops a line. Of an over-long
 * line only the first bytes (up to max + 1) are told. */
typedef void (*framer_part_cb)(void* ctx, const char* bytes, size_t n);

#define FRAMER_HEAD_MAX 256

struct framer {
  char* buf;  /* owned */
  size_t len; /* bytes held (an incomplete line) */
  size_t cap;
  size_t scanned; /* bytes of buf already searched for '\n' */
  size_t max;     /* line limit */
  bool skipping;  /* inside an over-long line */
  size_t skipped; /* bytes of it seen so far */
  char head[FRAMER_HEAD_MAX];
  size_t headlen;
  bool hold;              /* keep a large buffer until framer_trim */
  framer_part_cb on_part; /* NULL: nobody watches */
  void* part_ctx;
  size_t line_end; /* during on_line: where its '\n' is in buf */
  bool taken;      /* during on_line: framer_take gave buf away */
};

void framer_init(struct framer* f, size_t max_line);
void framer_free(struct framer* f);

/* Feed bytes; calls on_line for every complete line and on_oversize for
 * every over-long one, in stream order. */
void framer_push(struct framer* f,
                 const char* data,
                 size_t len,
                 framer_line_cb on_line,
                 framer_oversize_cb on_oversize,
                 void* ctx);

/* Reading straight into the buffer, without framer_push's copy: room for
 * the next read, *room (>= 1) bytes at the returned address, valid until
 * the next call on f. After reading n <= *room bytes there, framer_commit
 * delivers what they complete, as framer_push would. */
char* framer_space(struct framer* f, size_t* room);
void framer_commit(struct framer* f,
                   size_t n,
                   framer_line_cb on_line,
                   framer_oversize_cb on_oversize,
                   void* ctx);

/* With hold, a buffer grown for a large line is kept for the next one
 * (growing it again costs fresh pages: bench/analysis.md) until
 * framer_trim gives it back; without (the default) it is given back as
 * soon as the line has gone. */
void framer_hold(struct framer* f, bool hold);
/* True when more memory is kept than the bytes held need: time for a
 * framer_trim once large lines stop. */
bool framer_holding(const struct framer* f);
void framer_trim(struct framer* f);

/* Watch lines as they arrive (NULL to stop): on_part sees every byte once,
 * while it is still in cache, e.g. to scan a large line piece by piece. */
void framer_watch(struct framer* f, framer_part_cb on_part, void* ctx);

/* During on_line only: take the buffer that holds the line, so that the
 * line can be passed on where it is, without a copy. Returns the block
 * (owned by the caller, *cap bytes; the line pointer on_line got stays
 * valid in it; give it to util_spare_put or free it). The framer goes on
 * with another block, the kept spare (util.h) or a new one, holding what
 * followed the line. */
char* framer_take(struct framer* f, size_t* cap);

/* Bytes of an incomplete line held (0 when skipping). */
size_t framer_pending(const struct framer* f);

/* Drop any incomplete line (after the stream ended). Returns its size. */
size_t framer_reset(struct framer* f);

#endif
