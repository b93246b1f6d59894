/* framer.c - see framer.h.
 *
 * Invariants between calls: buf holds at most one incomplete line of at most
 * max bytes, all of it already searched (scanned == len), or nothing while
 * skipping. Each push (or framer_space) appends at most max + 1 - len bytes
 * at a time, so the buffer never needs more than max + 1 bytes, every byte
 * is copied (or read in place) and searched once, and a line found in a
 * piece is never longer than max.
 */
#include "lib/framer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* First allocation, and what a large, mostly empty buffer shrinks to. */
#define FRAMER_MIN_CAP ((size_t)64 * 1024)
/* A buffer above this size is shrunk once at most a quarter of it is used. */
#define FRAMER_SHRINK_CAP ((size_t)1024 * 1024)

void framer_init(struct framer* f, size_t max_line) {
  memset(f, 0, sizeof(*f));
  /* Keep max + 1 and the doubling in framer_reserve from overflowing. */
  if (max_line > SIZE_MAX / 4)
    max_line = SIZE_MAX / 4;
  f->max = max_line;
}

void framer_free(struct framer* f) {
  size_t max = f->max;
  free(f->buf);
  memset(f, 0, sizeof(*f));
  f->max = max;
}

/* Make room for need bytes; need never exceeds max + 1. */
static void framer_reserve(struct framer* f, size_t need) {
  if (need <= f->cap)
    return;
  size_t cap = f->cap > 0 ? f->cap : FRAMER_MIN_CAP;
  while (cap < need) cap *= 2;
  if (cap > f->max + 1)
    cap = f->max + 1;
  /* A large block written out earlier, rather than fresh memory. */
  size_t spare_cap;
  char* spare = cap > FRAMER_MIN_CAP ? util_spare_take(need, &spare_cap) : NULL;
  if (spare != NULL) {
    if (f->len > 0)
      memcpy(spare, f->buf, f->len);
    free(f->buf);
    f->buf = spare;
    f->cap = spare_cap;
    return;
  }
  f->buf = xrealloc(f->buf, cap);
  f->cap = cap;
}

bool framer_holding(const struct framer* f) {
  return f->cap > FRAMER_SHRINK_CAP && f->len <= f->cap / 4;
}

/* Give memory back after a large line has gone. */
void framer_trim(struct framer* f) {
  if (!framer_holding(f))
    return;
  size_t cap = f->len * 2;
  if (cap < FRAMER_MIN_CAP)
    cap = FRAMER_MIN_CAP;
  f->buf = xrealloc(f->buf, cap);
  f->cap = cap;
}

static void framer_shrink(struct framer* f) {
  if (!f->hold)
    framer_trim(f);
}

void framer_hold(struct framer* f, bool hold) {
  f->hold = hold;
  framer_shrink(f);
}

static void framer_keep_head(struct framer* f, const char* p, size_t n) {
  size_t room = FRAMER_HEAD_MAX - f->headlen;
  if (n > room)
    n = room;
  memcpy(f->head + f->headlen, p, n);
  f->headlen += n;
}

static bool framer_blank(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return false;
  }
  return true;
}

/* line[n] is the '\n' that ended it. */
static void framer_deliver(char* line,
                           size_t n,
                           framer_line_cb on_line,
                           void* ctx) {
  line[n] = '\0';
  if (n > 0 && line[n - 1] == '\r')
    line[--n] = '\0';
  if (framer_blank(line, n) || on_line == NULL)
    return;
  on_line(ctx, line, n);
}

void framer_watch(struct framer* f, framer_part_cb on_part, void* ctx) {
  f->on_part = on_part;
  f->part_ctx = ctx;
}

/* Tell the watcher of n new bytes of the current line, or (NULL) that the
 * line has ended. */
static void framer_tell(struct framer* f, const char* bytes, size_t n) {
  if (f->on_part != NULL && (bytes == NULL || n > 0))
    f->on_part(f->part_ctx, bytes, n);
}

/* Deliver the complete lines among the bytes not yet searched, then keep
 * the incomplete rest at the front of buf, or start skipping it if it is
 * already longer than max. */
static void framer_scan(struct framer* f, framer_line_cb on_line, void* ctx) {
  size_t start = 0;
  while (f->scanned < f->len) {
    char* nl = memchr(f->buf + f->scanned, '\n', f->len - f->scanned);
    if (nl == NULL) {
      framer_tell(f, f->buf + f->scanned, f->len - f->scanned);
      f->scanned = f->len;
      break;
    }
    size_t end = (size_t)(nl - f->buf);
    framer_tell(f, f->buf + f->scanned, end - f->scanned);
    f->scanned = end + 1;
    f->line_end = end;
    framer_deliver(f->buf + start, end - start, on_line, ctx);
    framer_tell(f, NULL, 0);
    if (f->taken) { /* what followed the line is at the front now */
      f->taken = false;
      start = 0;
    } else {
      start = end + 1;
    }
  }

  size_t rest = f->len - start;
  if (rest > f->max) {
    f->skipping = true;
    f->skipped = rest;
    f->headlen = 0;
    framer_keep_head(f, f->buf + start, rest);
    f->len = 0;
    f->scanned = 0;
    framer_shrink(f);
    return;
  }
  if (start > 0) {
    memmove(f->buf, f->buf + start, rest);
    f->len = rest;
    f->scanned = rest;
    framer_shrink(f);
  }
}

void framer_push(struct framer* f,
                 const char* data,
                 size_t len,
                 framer_line_cb on_line,
                 framer_oversize_cb on_oversize,
                 void* ctx) {
  while (len > 0) {
    if (f->skipping) {
      const char* nl = memchr(data, '\n', len);
      size_t n = nl != NULL ? (size_t)(nl - data) : len;
      framer_keep_head(f, data, n);
      f->skipped += n;
      if (nl == NULL)
        return;
      data += n + 1;
      len -= n + 1;
      size_t total = f->skipped;
      size_t headlen = f->headlen;
      f->skipping = false;
      f->skipped = 0;
      f->headlen = 0;
      if (on_oversize != NULL)
        on_oversize(ctx, total, f->head, headlen);
      framer_tell(f, NULL, 0);
      continue;
    }

    /* len <= max here, so room >= 1. */
    size_t room = f->max + 1 - f->len;
    size_t take = len < room ? len : room;
    framer_reserve(f, f->len + take);
    memcpy(f->buf + f->len, data, take);
    f->len += take;
    data += take;
    len -= take;
    framer_scan(f, on_line, ctx);
  }
}

char* framer_space(struct framer* f, size_t* room) {
  /* As framer_push: at most max + 1 - len bytes, so that a complete line
   * is never longer than max. While skipping, the buffer is scratch. */
  size_t held = f->skipping ? 0 : f->len;
  size_t need = held + FRAMER_MIN_CAP;
  if (need > f->max + 1)
    need = f->max + 1;
  framer_reserve(f, need);
  /* The buffer may be larger than max + 1 (a spare block, util.h). */
  size_t limit = f->cap < f->max + 1 ? f->cap : f->max + 1;
  *room = limit - held;
  return f->buf + held;
}

void framer_commit(struct framer* f,
                   size_t n,
                   framer_line_cb on_line,
                   framer_oversize_cb on_oversize,
                   void* ctx) {
  if (!f->skipping) {
    f->len += n;
    framer_scan(f, on_line, ctx);
    return;
  }
  /* Skipping: the n bytes are at the start of buf. */
  const char* nl = memchr(f->buf, '\n', n);
  size_t k = nl != NULL ? (size_t)(nl - f->buf) : n;
  framer_keep_head(f, f->buf, k);
  f->skipped += k;
  if (nl == NULL)
    return;
  size_t total = f->skipped;
  size_t headlen = f->headlen;
  f->skipping = false;
  f->skipped = 0;
  f->headlen = 0;
  /* What follows the '\n' is the start of the next lines. */
  f->len = n - k - 1;
  f->scanned = 0;
  memmove(f->buf, f->buf + k + 1, f->len);
  if (on_oversize != NULL)
    on_oversize(ctx, total, f->head, headlen);
  framer_tell(f, NULL, 0);
  framer_scan(f, on_line, ctx);
}

char* framer_take(struct framer* f, size_t* cap) {
  char* block = f->buf;
  *cap = f->cap;
  size_t from = f->line_end + 1;
  size_t rest = f->len - from;
  size_t need = rest > FRAMER_MIN_CAP ? rest : FRAMER_MIN_CAP;
  size_t ncap;
  char* next = util_spare_take(need, &ncap);
  if (next == NULL) {
    next = xmalloc(need);
    ncap = need;
  }
  memcpy(next, block + from, rest);
  f->buf = next;
  f->cap = ncap;
  f->len = rest;
  f->scanned = 0;
  f->taken = true;
  return block;
}

size_t framer_pending(const struct framer* f) {
  return f->skipping ? 0 : f->len;
}

size_t framer_reset(struct framer* f) {
  size_t dropped = f->skipping ? f->skipped : f->len;
  f->len = 0;
  f->scanned = 0;
  f->skipping = false;
  f->skipped = 0;
  f->headlen = 0;
  framer_shrink(f);
  framer_tell(f, NULL, 0);
  return dropped;
}
