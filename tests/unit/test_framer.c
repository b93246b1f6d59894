/* test_framer.c - line framing: split reads, CRLF, blank lines, over-long
 * lines, large lines, byte transparency, memory given back, reading in
 * place (framer_space/framer_commit), holding a large buffer, and
 * watching lines as they arrive (framer_watch), taking a line's buffer
 * (framer_take) and the spare block it may go on in (util_spare_*). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/framer.h"
#include "lib/util.h"

/* Everything the callbacks saw, in order: "L:<line>\n" per line and
 * "O:<total>:<head>\n" per over-long line. */
struct rec {
  char* log;
  size_t loglen;
  int lines;
  int oversize;
  bool nul_ok;     /* every line had a NUL at line[len] */
  size_t last_len; /* length of the last line */
  char* last;      /* copy of the last line */
  size_t last_total;
  size_t last_headlen;
};

static void rec_append(struct rec* r, const char* p, size_t n) {
  r->log = xrealloc(r->log, r->loglen + n + 1);
  memcpy(r->log + r->loglen, p, n);
  r->loglen += n;
  r->log[r->loglen] = '\0';
}

static void rec_init(struct rec* r) {
  memset(r, 0, sizeof(*r));
  r->nul_ok = true;
  rec_append(r, "", 0);
}

static void rec_free(struct rec* r) {
  free(r->log);
  free(r->last);
}

static void on_line(void* ctx, char* line, size_t len) {
  struct rec* r = ctx;
  r->lines++;
  if (line[len] != '\0')
    r->nul_ok = false;
  free(r->last);
  r->last = xmalloc(len + 1);
  memcpy(r->last, line, len + 1);
  r->last_len = len;
  /* Keep the log small for the big tests. */
  if (len > 1024)
    return;
  rec_append(r, "L:", 2);
  rec_append(r, line, len);
  rec_append(r, "\n", 1);
}

static void on_oversize(void* ctx,
                        size_t total,
                        const char* head,
                        size_t headlen) {
  struct rec* r = ctx;
  r->oversize++;
  r->last_total = total;
  r->last_headlen = headlen;
  char num[32];
  int n = snprintf(num, sizeof(num), "O:%zu:", total);
  rec_append(r, num, (size_t)n);
  rec_append(r, head, headlen);
  rec_append(r, "\n", 1);
}

static void push_str(struct framer* f, const char* s, struct rec* r) {
  framer_push(f, s, strlen(s), on_line, on_oversize, r);
}

static void push_bytewise(struct framer* f,
                          const char* s,
                          size_t len,
                          struct rec* r) {
  for (size_t i = 0; i < len; i++)
    framer_push(f, s + i, 1, on_line, on_oversize, r);
}

static void test_basic(void) {
  struct framer f;
  struct rec r;
  framer_init(&f, 1024);
  rec_init(&r);

  push_str(&f, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", &r);
  CHECK_STR(r.log, "L:{\"a\":1}\nL:{\"b\":2}\nL:{\"c\":3}\n");
  CHECK_INT(r.lines, 3);
  CHECK(r.nul_ok);
  CHECK_INT(framer_pending(&f), 0);

  /* An incomplete line waits for its '\n'. */
  push_str(&f, "{\"d\"", &r);
  CHECK_INT(r.lines, 3);
  CHECK_INT(framer_pending(&f), 4);
  push_str(&f, ":4}", &r);
  CHECK_INT(framer_pending(&f), 7);
  push_str(&f, "\n{\"e\":5}\n{\"f\"", &r);
  CHECK_INT(r.lines, 5);
  CHECK_STR(r.last, "{\"e\":5}");
  CHECK_INT(framer_pending(&f), 4);
  /* The kept rest was already searched and is not searched again. */
  CHECK_INT(f.scanned, f.len);
  CHECK(r.nul_ok);

  framer_free(&f);
  rec_free(&r);
}

static void test_bytewise(void) {
  const char* in =
      "{\"id\":1}\r\n"
      "\n"
      "   \t \r\n"
      "{\"id\":2}\n"
      "\r\n"
      "{\"id\":3}\r\r\n"
      "x\n";
  struct framer f;
  struct rec whole;
  struct rec bytes;
  rec_init(&whole);
  rec_init(&bytes);

  framer_init(&f, 64);
  push_str(&f, in, &whole);
  framer_free(&f);

  framer_init(&f, 64);
  push_bytewise(&f, in, strlen(in), &bytes);
  /* Nothing is ever left unsearched between pushes. */
  CHECK_INT(f.scanned, f.len);
  framer_free(&f);

  const char* want =
      "L:{\"id\":1}\n"
      "L:{\"id\":2}\n"
      "L:{\"id\":3}\r\n" /* only one '\r' is dropped */
      "L:x\n";
  CHECK_STR(whole.log, want);
  CHECK_STR(bytes.log, want);
  CHECK(bytes.nul_ok);
  rec_free(&whole);
  rec_free(&bytes);
}

static void test_blank_lines(void) {
  struct framer f;
  struct rec r;
  framer_init(&f, 64);
  rec_init(&r);
  push_str(&f, "\n\n \n\t\n\r\n \r\n\r\r\n", &r);
  CHECK_INT(r.lines, 0);
  CHECK_INT(framer_pending(&f), 0);
  /* Whitespace around content is kept: only blank lines are skipped. */
  push_str(&f, "  {} \n", &r);
  CHECK_STR(r.log, "L:  {} \n");
  framer_free(&f);
  rec_free(&r);
}

static void test_transparent(void) {
  /* Invalid UTF-8, a NUL and DEL pass through untouched. */
  const char in[] = "\xff\xfe\xc3\x28\x00\x7f\xed\xa0\x80z\n";
  size_t inlen = sizeof(in) - 1;
  struct framer f;
  struct rec r;
  framer_init(&f, 64);
  rec_init(&r);
  framer_push(&f, in, inlen, on_line, on_oversize, &r);
  CHECK_INT(r.lines, 1);
  CHECK_INT(r.last_len, inlen - 1);
  CHECK(memcmp(r.last, in, inlen - 1) == 0);
  CHECK(r.nul_ok);

  rec_free(&r);
  rec_init(&r);
  push_bytewise(&f, in, inlen, &r);
  CHECK_INT(r.last_len, inlen - 1);
  CHECK(memcmp(r.last, in, inlen - 1) == 0);
  framer_free(&f);
  rec_free(&r);
}

static void test_limit_edges(void) {
  struct framer f;
  struct rec r;
  framer_init(&f, 8);
  rec_init(&r);
  /* Exactly max bytes is delivered, max + 1 is not. */
  push_str(&f, "12345678\n123456789\nok\n", &r);
  CHECK_STR(r.log, "L:12345678\nO:9:123456789\nL:ok\n");
  CHECK_INT(r.last_total, 9);

  rec_free(&r);
  rec_init(&r);
  push_bytewise(&f, "12345678\n123456789\nok\n", 22, &r);
  CHECK_STR(r.log, "L:12345678\nO:9:123456789\nL:ok\n");
  framer_free(&f);
  rec_free(&r);
}

static void test_oversize(void) {
  struct framer f;
  struct rec r;
  framer_init(&f, 16);
  rec_init(&r);

  /* Over-long line followed by a normal one in the same read. */
  push_str(&f, "0123456789abcdefXYZ\n{\"ok\":1}\n", &r);
  CHECK_STR(r.log, "O:19:0123456789abcdefXYZ\nL:{\"ok\":1}\n");
  CHECK_INT(r.oversize, 1);
  CHECK_INT(r.lines, 1);

  /* Spread over reads: reported only once its '\n' arrives. */
  rec_free(&r);
  rec_init(&r);
  push_str(&f, "{\"a\":1}\n0123456789", &r);
  push_str(&f, "abcdefghij", &r);
  CHECK_INT(r.oversize, 0);
  CHECK_INT(framer_pending(&f), 0); /* skipping holds nothing */
  CHECK(f.skipping);
  push_str(&f, "klmnop", &r);
  CHECK_INT(r.oversize, 0);
  push_str(&f, "qr\n{\"b\":2}\n", &r);
  CHECK_STR(r.log,
            "L:{\"a\":1}\nO:28:0123456789abcdefghijklmnopqr\nL:{\"b\":2}\n");
  CHECK(!f.skipping);

  /* Two over-long lines in a row, CRLF counted in total. */
  rec_free(&r);
  rec_init(&r);
  push_str(&f, "aaaaaaaaaaaaaaaaaaaa\r\nbbbbbbbbbbbbbbbbbbbbbbbbb\nc\n", &r);
  CHECK_STR(r.log,
            "O:21:aaaaaaaaaaaaaaaaaaaa\r\nO:25:bbbbbbbbbbbbbbbbbbbbbbbbb\n"
            "L:c\n");

  /* NULL callbacks are allowed. */
  framer_push(&f, "abc\n01234567890123456789\n", 25, NULL, NULL, NULL);
  CHECK_INT(framer_pending(&f), 0);
  CHECK(!f.skipping);

  framer_free(&f);
  rec_free(&r);
}

static void test_oversize_head(void) {
  /* A 1000-byte line with max 300: head is its first 256 bytes, built up
   * across one-byte reads, and the buffer never grows past max + 1. */
  size_t n = 1000;
  char* line = xmalloc(n + 1);
  for (size_t i = 0; i < n; i++) line[i] = (char)('a' + i % 26);
  line[n] = '\n';

  struct framer f;
  struct rec r;
  framer_init(&f, 300);
  rec_init(&r);
  size_t maxcap = 0;
  for (size_t i = 0; i <= n; i++) {
    framer_push(&f, line + i, 1, on_line, on_oversize, &r);
    if (f.cap > maxcap)
      maxcap = f.cap;
  }
  push_str(&f, "{}\n", &r);
  CHECK_INT(r.oversize, 1);
  CHECK_INT(r.last_total, n);
  CHECK_INT(r.last_headlen, FRAMER_HEAD_MAX);
  CHECK(strncmp(r.log, "O:1000:", 7) == 0);
  CHECK(memcmp(r.log + 7, line, FRAMER_HEAD_MAX) == 0);
  CHECK_STR(r.log + 7 + FRAMER_HEAD_MAX, "\nL:{}\n");
  CHECK(maxcap <= 301);

  /* The same in one read. */
  rec_free(&r);
  rec_init(&r);
  framer_push(&f, line, n + 1, on_line, on_oversize, &r);
  CHECK_INT(r.oversize, 1);
  CHECK_INT(r.last_total, n);
  CHECK(memcmp(r.log + 7, line, FRAMER_HEAD_MAX) == 0);
  CHECK(f.cap <= 301);

  framer_free(&f);
  rec_free(&r);
  free(line);
}

static void test_oversize_bounded_memory(void) {
  /* A 5 MiB line against a 1 MiB limit, in 64 KiB reads: the buffer stays
   * near the limit and shrinks once skipping starts. */
  size_t n = 5 * 1024 * 1024;
  size_t max = 1024 * 1024;
  char* big = xmalloc(n + 1);
  memset(big, 'x', n);
  big[n] = '\n';

  struct framer f;
  struct rec r;
  framer_init(&f, max);
  rec_init(&r);
  size_t maxcap = 0;
  for (size_t off = 0; off < n + 1; off += 65536) {
    size_t k = n + 1 - off < 65536 ? n + 1 - off : 65536;
    framer_push(&f, big + off, k, on_line, on_oversize, &r);
    if (f.cap > maxcap)
      maxcap = f.cap;
  }
  CHECK_INT(r.oversize, 1);
  CHECK_INT(r.last_total, n);
  CHECK_INT(r.lines, 0);
  CHECK(maxcap <= max + 1);
  CHECK(f.cap <= 64 * 1024);

  /* One read holding the whole line. */
  framer_push(&f, big, n + 1, on_line, on_oversize, &r);
  CHECK_INT(r.oversize, 2);
  CHECK_INT(r.last_total, n);
  CHECK(f.cap <= max + 1);

  framer_free(&f);
  rec_free(&r);
  free(big);
}

static void test_large_line(void) {
  /* 16 MiB line, 32 MiB limit, 64 KiB reads, followed by a small line in
   * the same read as its end. */
  size_t n = 16 * 1024 * 1024;
  char* big = xmalloc(n + 16);
  for (size_t i = 0; i < n; i++) big[i] = (char)(' ' + i % 90);
  big[0] = '{';
  memcpy(big + n, "\n{\"z\":1}\n", 9);
  size_t total = n + 9;

  struct framer f;
  struct rec r;
  framer_init(&f, 32 * 1024 * 1024);
  rec_init(&r);
  bool scanned_ok = true;
  for (size_t off = 0; off < total; off += 65536) {
    size_t k = total - off < 65536 ? total - off : 65536;
    framer_push(&f, big + off, k, on_line, on_oversize, &r);
    if (f.scanned != f.len)
      scanned_ok = false;
    /* The first line is still held whole until its end. */
    if (off + k <= n && framer_pending(&f) != off + k)
      scanned_ok = false;
  }
  CHECK(scanned_ok);
  CHECK_INT(r.oversize, 0);
  CHECK_INT(r.lines, 2);
  CHECK_STR(r.log, "L:{\"z\":1}\n");
  CHECK(r.nul_ok);
  CHECK_INT(framer_pending(&f), 0);
  /* Memory does not stay high after the big message. */
  CHECK(f.cap <= 1024 * 1024);

  /* Deliver it alone and compare every byte. */
  rec_free(&r);
  rec_init(&r);
  for (size_t off = 0; off < n + 1; off += 65536) {
    size_t k = n + 1 - off < 65536 ? n + 1 - off : 65536;
    framer_push(&f, big + off, k, on_line, on_oversize, &r);
  }
  CHECK_INT(r.lines, 1);
  CHECK_INT(r.last_len, n);
  CHECK(r.last != NULL && memcmp(r.last, big, n) == 0);
  CHECK(f.cap <= 1024 * 1024);

  framer_free(&f);
  rec_free(&r);
  free(big);
}

static void test_reset(void) {
  struct framer f;
  struct rec r;
  framer_init(&f, 16);
  rec_init(&r);

  push_str(&f, "{\"a\":1}\n{\"partial", &r);
  CHECK_INT(framer_reset(&f), 9);
  CHECK_INT(framer_pending(&f), 0);
  push_str(&f, "{\"b\":2}\n", &r);
  CHECK_STR(r.log, "L:{\"a\":1}\nL:{\"b\":2}\n");

  /* Reset while skipping: the over-long line is dropped unreported. */
  push_str(&f, "0123456789abcdefghij", &r);
  CHECK(f.skipping);
  CHECK_INT(framer_reset(&f), 20);
  CHECK(!f.skipping);
  push_str(&f, "tail\n", &r);
  CHECK_INT(r.oversize, 0);
  CHECK_STR(r.log, "L:{\"a\":1}\nL:{\"b\":2}\nL:tail\n");

  CHECK_INT(framer_reset(&f), 0);
  framer_free(&f);
  /* A freed framer can be used again. */
  push_str(&f, "again\n", &r);
  CHECK_STR(r.last, "again");
  framer_free(&f);
  rec_free(&r);
}

/* Feed s to f in reads of at most chunk bytes: copied in with
 * framer_push, or read in place (framer_space/framer_commit), which never
 * offers room for a line past max. Lines go to cb. */
static void feed(struct framer* f,
                 const char* s,
                 size_t len,
                 size_t chunk,
                 bool in_place,
                 framer_line_cb cb,
                 void* ctx) {
  while (len > 0) {
    size_t n = len < chunk ? len : chunk;
    if (!in_place) {
      framer_push(f, s, n, cb, on_oversize, ctx);
    } else {
      size_t room;
      char* at = framer_space(f, &room);
      CHECK(room >= 1);
      CHECK(room + framer_pending(f) <= f->max + 1);
      if (n > room)
        n = room;
      memcpy(at, s, n);
      framer_commit(f, n, cb, on_oversize, ctx);
    }
    s += n;
    len -= n;
  }
}

static void commit_str(
    struct framer* f, const char* s, size_t len, size_t chunk, struct rec* r) {
  feed(f, s, len, chunk, true, on_line, r);
}

/* Lines of every kind: CRLF, blank ones, a 700-byte one (over a max of
 * 300), then tail. Returns its length. */
static size_t mixed_stream(char* buf, size_t cap, const char* tail) {
  size_t n = (size_t)snprintf(buf, cap, "{\"a\":1}\r\n\n  \n{\"b\":2}\n");
  memset(buf + n, 'x', 700);
  n += 700;
  n += (size_t)snprintf(buf + n, cap - n, "\n{\"c\":3}\n%s", tail);
  return n;
}

static void test_space_commit(void) {
  /* The same stream through push and through space/commit, in several
   * read sizes, gives the same events: lines, CRLF, blank lines, an
   * over-long line followed by lines in the same read. */
  char stream[4096];
  size_t n = mixed_stream(stream, sizeof(stream), "last-without-newline");
  size_t chunks[] = {1, 3, 64, 500, 4096};
  for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
    struct framer a, b;
    struct rec ra, rb;
    framer_init(&a, 300);
    framer_init(&b, 300);
    rec_init(&ra);
    rec_init(&rb);
    feed(&a, stream, n, chunks[c], false, on_line, &ra);
    commit_str(&b, stream, n, chunks[c], &rb);
    CHECK_STR(rb.log, ra.log);
    CHECK_INT(rb.oversize, 1);
    CHECK_INT(rb.lines, 3);
    CHECK(rb.nul_ok);
    CHECK_INT(framer_pending(&b), strlen("last-without-newline"));
    CHECK_INT(framer_reset(&b), framer_reset(&a));
    framer_free(&a);
    framer_free(&b);
    rec_free(&ra);
    rec_free(&rb);
  }

  /* A large line read in place arrives whole, byte for byte. */
  size_t big = 3 * 1024 * 1024;
  char* line = xmalloc(big + 1);
  for (size_t i = 0; i < big; i++) line[i] = (char)('a' + i % 26);
  line[big] = '\n';
  struct framer f;
  struct rec r;
  framer_init(&f, 4 * 1024 * 1024);
  rec_init(&r);
  commit_str(&f, line, big + 1, 65536, &r);
  CHECK_INT(r.lines, 1);
  CHECK_INT(r.last_len, big);
  CHECK(r.last != NULL && memcmp(r.last, line, big) == 0);
  CHECK(f.cap <= 1024 * 1024); /* given back at once without hold */
  framer_free(&f);
  rec_free(&r);
  free(line);
}

static void test_hold(void) {
  /* With hold, the buffer of a large line stays for the next one until
   * framer_trim; a later small line does not give it back either. */
  size_t big = 2 * 1024 * 1024;
  char* line = xmalloc(big + 1);
  memset(line, 'y', big);
  line[big] = '\n';
  struct framer f;
  struct rec r;
  framer_init(&f, 8 * 1024 * 1024);
  framer_hold(&f, true);
  rec_init(&r);
  commit_str(&f, line, big + 1, 65536, &r);
  CHECK_INT(r.lines, 1);
  size_t cap = f.cap;
  CHECK(cap > big);
  CHECK(framer_holding(&f));
  char* buf = f.buf;
  commit_str(&f, line, big + 1, 65536, &r); /* reuses the buffer */
  CHECK_INT(r.lines, 2);
  CHECK(f.buf == buf && f.cap == cap);
  push_str(&f, "{}\n", &r);
  CHECK_INT(f.cap, cap);
  framer_trim(&f);
  CHECK(f.cap <= 64 * 1024);
  CHECK(!framer_holding(&f));
  /* A trim while part of a line is held keeps it. */
  commit_str(&f, line, big + 1, 65536, &r);
  commit_str(&f, "{\"part", 6, 65536, &r);
  framer_trim(&f);
  push_str(&f, "\":1}\n", &r);
  CHECK_STR(r.last, "{\"part\":1}");
  /* Turning hold off gives the memory back at once. */
  commit_str(&f, line, big + 1, 65536, &r);
  CHECK(framer_holding(&f));
  framer_hold(&f, false);
  CHECK(!framer_holding(&f));
  CHECK(f.cap <= 64 * 1024);
  framer_free(&f);
  rec_free(&r);
  free(line);
}

/* What a watcher saw: "W:<bytes>\n" per line ended, and the bytes of the
 * line still open. */
struct watched {
  struct rec log;
  char cur[1024];
  size_t n;
};

static void on_part(void* ctx, const char* bytes, size_t n) {
  struct watched* w = ctx;
  if (bytes == NULL) {
    rec_append(&w->log, "W:", 2);
    rec_append(&w->log, w->cur, w->n);
    rec_append(&w->log, "\n", 1);
    w->n = 0;
    return;
  }
  CHECK(n > 0);
  for (size_t i = 0; i < n && w->n < sizeof(w->cur); i++)
    w->cur[w->n++] = bytes[i];
}

static void test_watch(void) {
  /* Every line's bytes are told once, '\r' included, before it ends;
   * blank lines and an over-long one (its first bytes only) end too. */
  char stream[2048];
  size_t n = mixed_stream(stream, sizeof(stream), "last");
  size_t chunks[] = {1, 3, 64, 500, 4096};
  for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
    for (int mode = 0; mode < 2; mode++) {
      struct framer f;
      struct rec r;
      struct watched w;
      memset(&w, 0, sizeof(w));
      rec_init(&w.log);
      rec_init(&r);
      framer_init(&f, 300);
      framer_watch(&f, on_part, &w);
      feed(&f, stream, n, chunks[c], mode == 0, on_line, &r);
      const char* want_head = "W:{\"a\":1}\r\nW:\nW:  \nW:{\"b\":2}\nW:";
      CHECK(strncmp(w.log.log, want_head, strlen(want_head)) == 0);
      /* Then some of the x's (at most max + 1), and the next line. */
      const char* xs = w.log.log + strlen(want_head);
      size_t k = strspn(xs, "x");
      CHECK(k >= 1 && k <= 301);
      CHECK_STR(xs + k, "\nW:{\"c\":3}\n");
      CHECK(w.n == 4 && memcmp(w.cur, "last", 4) == 0);
      CHECK_INT(r.lines, 3);
      /* Dropping the open line ends it for the watcher too. */
      framer_reset(&f);
      CHECK_INT(w.n, 0);
      framer_free(&f);
      rec_free(&w.log);
      rec_free(&r);
    }
  }
}

/* on_line that takes the buffer of every line of at least 100 bytes. */
struct taker {
  struct framer* f;
  struct rec r;
  char* block; /* the last taken */
  size_t cap;
  const char* line; /* where its line was */
  int taken;
};

static void on_line_take(void* ctx, char* line, size_t len) {
  struct taker* t = ctx;
  on_line(&t->r, line, len);
  if (len < 100)
    return;
  free(t->block);
  t->block = framer_take(t->f, &t->cap);
  t->line = line;
  t->taken++;
  CHECK(line >= t->block && line + len < t->block + t->cap);
}

static void test_take(void) {
  /* A large line taken in the middle of a read: it stays where it was in
   * the taken block, and the lines after it in the same read still come,
   * through push and through space/commit, in any read size. */
  char stream[4096];
  size_t n = 0;
  n += (size_t)snprintf(stream + n, sizeof(stream) - n, "{\"a\":1}\n");
  memset(stream + n, 'y', 300);
  n += 300;
  n += (size_t)snprintf(stream + n, sizeof(stream) - n,
                        "\n{\"b\":2}\n{\"c\":3}\npart");
  size_t chunks[] = {1, 7, 100, 4096};
  for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
    for (int mode = 0; mode < 2; mode++) {
      struct framer f;
      struct taker t;
      memset(&t, 0, sizeof(t));
      rec_init(&t.r);
      t.f = &f;
      framer_init(&f, 1000);
      feed(&f, stream, n, chunks[c], mode == 1, on_line_take, &t);
      CHECK_INT(t.taken, 1);
      CHECK_INT(t.r.lines, 4);
      CHECK(strncmp(t.r.log, "L:{\"a\":1}\n", 10) == 0);
      CHECK(strstr(t.r.log, "\nL:{\"b\":2}\nL:{\"c\":3}\n") != NULL);
      /* The taken line, still in its block. */
      CHECK(t.line[0] == 'y' && t.line[299] == 'y');
      CHECK_INT(framer_pending(&f), 4);
      push_str(&f, "!\n", &t.r);
      CHECK_STR(t.r.last, "part!");
      free(t.block);
      framer_free(&f);
      rec_free(&t.r);
    }
  }

  /* With a spare kept, the framer goes on in it instead of new memory. */
  util_spare_drop();
  char* spare = xmalloc(UTIL_SPARE_MIN);
  util_spare_put(spare, UTIL_SPARE_MIN);
  struct framer f;
  struct taker t;
  memset(&t, 0, sizeof(t));
  rec_init(&t.r);
  t.f = &f;
  framer_init(&f, 1000);
  framer_push(&f, stream, n, on_line_take, on_oversize, &t);
  CHECK(f.buf == spare);
  CHECK_INT(f.cap, UTIL_SPARE_MIN);
  /* Reading in place, a line still cannot pass max in one read. */
  size_t room;
  framer_space(&f, &room);
  CHECK(room + framer_pending(&f) <= f.max + 1);
  free(t.block);
  framer_free(&f);
  rec_free(&t.r);
}

static void test_spare(void) {
  size_t cap = 0;
  util_spare_drop();
  CHECK(util_spare_take(1, &cap) == NULL);
  /* Small blocks are not kept. */
  util_spare_put(xmalloc(100), 100);
  CHECK(util_spare_take(1, &cap) == NULL);
  /* A large one is, for takers that fit in it, once. */
  char* big = xmalloc(UTIL_SPARE_MIN * 2);
  util_spare_put(big, UTIL_SPARE_MIN * 2);
  CHECK(util_spare_take(UTIL_SPARE_MIN * 2 + 1, &cap) == NULL);
  CHECK(util_spare_take(UTIL_SPARE_MIN, &cap) == big);
  CHECK_INT(cap, UTIL_SPARE_MIN * 2);
  CHECK(util_spare_take(1, &cap) == NULL);
  /* A newer block replaces the kept one (freed: ASan would see a leak). */
  util_spare_put(big, UTIL_SPARE_MIN * 2);
  char* newer = xmalloc(UTIL_SPARE_MIN);
  util_spare_put(newer, UTIL_SPARE_MIN);
  CHECK(util_spare_take(1, &cap) == newer);
  free(newer);
  util_spare_put(xmalloc(UTIL_SPARE_MIN), UTIL_SPARE_MIN);
  util_spare_drop();
  CHECK(util_spare_take(1, &cap) == NULL);
}

int main(void) {
  test_basic();
  test_bytewise();
  test_blank_lines();
  test_transparent();
  test_limit_edges();
  test_oversize();
  test_oversize_head();
  test_oversize_bounded_memory();
  test_large_line();
  test_reset();
  test_space_commit();
  test_hold();
  test_watch();
  test_take();
  test_spare();
  return check_done();
}
