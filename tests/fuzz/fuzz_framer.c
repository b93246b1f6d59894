/* fuzz_framer.c - src/core/framer.c fed in chunks whose sizes the input
 * chooses, with a small line limit, checked against a plain reference
 * split of the whole stream.
 *
 * Input: 2 bytes of line limit (64..4096), 1 byte of chunk scale (bits
 * 0-2; bit 3: chunks of odd size byte are read in place through
 * framer_space/framer_commit; bit 4: hold, with a framer_trim every third
 * chunk), 8 bytes of chunk sizes (used in turn), then the stream.
 * Invariants: every line
 * delivered is NUL-terminated, holds no '\n', is at most max bytes; the
 * buffer never grows past max + 1; between pushes an incomplete line of
 * at most max bytes is held, all of it searched; lines and over-long
 * reports come in stream order, exactly as the reference says; every byte
 * is accounted for.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lib/framer.h"

#define FUZZ_MAX_INPUT (256u * 1024u)
#define FUZZ_HEADER 11

/* One thing the framer reported: a line (text, len) or an over-long
 * line (total, head). */
struct ev {
  bool oversize;
  size_t len;          /* line length, or the over-long line's total */
  const uint8_t* text; /* line: its bytes (in the reference's stream) */
  uint8_t head[FRAMER_HEAD_MAX];
  size_t headlen;
};

struct evs {
  struct ev* v;
  size_t n;
  size_t cap;
};

static struct ev* evs_add(struct evs* e) {
  if (e->n == e->cap) {
    e->cap = e->cap ? e->cap * 2 : 64;
    e->v = realloc(e->v, e->cap * sizeof(*e->v));
    FUZZ_CHECK(e->v != NULL);
  }
  struct ev* x = &e->v[e->n++];
  memset(x, 0, sizeof(*x));
  return x;
}

struct run {
  struct framer* f;
  const uint8_t* stream; /* to compare delivered lines with */
  size_t streamlen;
  struct evs ref;    /* what the reference split expects */
  size_t next;       /* index of the next expected event */
  size_t line_bytes; /* bytes delivered as lines */
  size_t over_bytes; /* bytes reported over-long */
};

static bool is_blank(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return false;
  }
  return true;
}

/* The reference: split the whole stream on '\n'. Returns the length of
 * the incomplete tail; *dropped: bytes of blank lines and '\r's. */
static size_t reference(
    const uint8_t* s, size_t n, size_t max, struct evs* out, size_t* dropped) {
  *dropped = 0;
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\n')
      continue;
    size_t len = i - start;
    if (len > max) {
      struct ev* e = evs_add(out);
      e->oversize = true;
      e->len = len;
      e->headlen = len < FRAMER_HEAD_MAX ? len : FRAMER_HEAD_MAX;
      memcpy(e->head, s + start, e->headlen);
    } else {
      size_t l = len;
      if (l > 0 && s[start + l - 1] == '\r')
        l--;
      if (!is_blank(s + start, l)) {
        struct ev* e = evs_add(out);
        e->len = l;
        e->text = s + start;
        *dropped += len - l;
      } else {
        *dropped += len;
      }
    }
    start = i + 1;
  }
  return n - start;
}

static void check_buffer(const struct framer* f) {
  FUZZ_CHECK(f->cap <= f->max + 1);
  FUZZ_CHECK(f->len <= f->cap);
  FUZZ_CHECK(f->scanned <= f->len);
  FUZZ_CHECK(f->headlen <= FRAMER_HEAD_MAX);
}

static void on_line(void* ctx, char* line, size_t len) {
  struct run* r = ctx;
  check_buffer(r->f);
  FUZZ_CHECK(len > 0);
  FUZZ_CHECK(len <= r->f->max);
  FUZZ_CHECK(line[len] == '\0');
  FUZZ_CHECK(memchr(line, '\n', len) == NULL);
  FUZZ_CHECK(r->next < r->ref.n);
  const struct ev* e = &r->ref.v[r->next++];
  FUZZ_CHECK(!e->oversize);
  FUZZ_CHECK(e->len == len);
  FUZZ_CHECK(memcmp(e->text, line, len) == 0);
  r->line_bytes += len;
}

static void on_oversize(void* ctx,
                        size_t total,
                        const char* head,
                        size_t headlen) {
  struct run* r = ctx;
  check_buffer(r->f);
  FUZZ_CHECK(total > r->f->max);
  FUZZ_CHECK(headlen <= FRAMER_HEAD_MAX && headlen <= total);
  FUZZ_CHECK(r->next < r->ref.n);
  const struct ev* e = &r->ref.v[r->next++];
  FUZZ_CHECK(e->oversize);
  FUZZ_CHECK(e->len == total);
  FUZZ_CHECK(e->headlen == headlen);
  FUZZ_CHECK(memcmp(e->head, head, headlen) == 0);
  r->over_bytes += total;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < FUZZ_HEADER || size > FUZZ_MAX_INPUT)
    return 0;
  size_t max = 64 + ((size_t)data[0] << 8 | data[1]) % (4096 - 64 + 1);
  unsigned scale = data[2] & 7;
  bool in_place = (data[2] & 8) != 0;
  bool hold = (data[2] & 16) != 0;
  const uint8_t* sizes = data + 3;
  const uint8_t* stream = data + FUZZ_HEADER;
  size_t n = size - FUZZ_HEADER;

  struct framer f;
  framer_init(&f, max);
  framer_hold(&f, hold);
  struct run r = {.f = &f, .stream = stream, .streamlen = n};
  size_t dropped;
  size_t tail = reference(stream, n, max, &r.ref, &dropped);

  size_t off = 0;
  for (size_t i = 0; off < n; i++) {
    size_t chunk = ((size_t)sizes[i % 8] + 1) << scale;
    if (chunk > n - off)
      chunk = n - off;
    if (in_place && (sizes[i % 8] & 1)) {
      size_t room;
      char* at = framer_space(&f, &room);
      FUZZ_CHECK(room >= 1 && room <= max + 1);
      if (chunk > room)
        chunk = room;
      memcpy(at, stream + off, chunk);
      framer_commit(&f, chunk, on_line, on_oversize, &r);
    } else {
      framer_push(&f, (const char*)stream + off, chunk, on_line, on_oversize,
                  &r);
    }
    off += chunk;
    if (hold && i % 3 == 2)
      framer_trim(&f);
    /* Between pushes: one incomplete line, searched, or skipping. */
    check_buffer(&f);
    if (f.skipping) {
      FUZZ_CHECK(f.len == 0);
      FUZZ_CHECK(f.skipped > max);
      FUZZ_CHECK(framer_pending(&f) == 0);
    } else {
      FUZZ_CHECK(f.len <= max);
      FUZZ_CHECK(f.scanned == f.len);
      FUZZ_CHECK(f.len == 0 || memchr(f.buf, '\n', f.len) == NULL);
    }
  }
  FUZZ_CHECK(r.next == r.ref.n); /* nothing missed */
  FUZZ_CHECK(framer_pending(&f) == (tail <= max ? tail : 0));
  FUZZ_CHECK(framer_reset(&f) == tail);
  FUZZ_CHECK(framer_pending(&f) == 0 && !f.skipping);

  /* Every byte is a delivered line, an over-long line, a '\n', the tail,
   * or a blank line or '\r' the framer may drop. */
  size_t accounted = tail;
  for (size_t i = 0; i < n; i++) accounted += stream[i] == '\n';
  FUZZ_CHECK(accounted + r.over_bytes + r.line_bytes + dropped == n);

  /* The framer is usable after a reset. */
  struct evs again = {0};
  struct run r2 = {.f = &f, .ref = again};
  evs_add(&r2.ref)->len = 2;
  r2.ref.v[0].text = (const uint8_t*)"ok";
  framer_push(&f, "ok\n", 3, on_line, on_oversize, &r2);
  FUZZ_CHECK(r2.next == 1);

  framer_free(&f);
  free(r2.ref.v);
  free(r.ref.v);
  return 0;
}
