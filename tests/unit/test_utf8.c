/* test_utf8.c - lib/utf8: the check against an independent decoder (code
 * points computed, then their range checked: Table 3-7 said another way)
 * over every sequence of one and two bytes and the interesting ones of
 * three and four, each at every place around the 32-byte blocks of the
 * AVX2 check and cut into pieces anywhere; repair by the Unicode example
 * (Table 3-8), the classic cases and a reference repair; encoding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/utf8.h"

/* ---- the reference: decode, then check the code point ----------------- */

/* The length of the well-formed character at s (n bytes left), 0 if none
 * starts there. */
static size_t ref_char(const unsigned char* s, size_t n) {
  size_t len;
  uint32_t cp;
  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xE0) == 0xC0) {
    len = 2;
    cp = s[0] & 0x1Fu;
  } else if ((s[0] & 0xF0) == 0xE0) {
    len = 3;
    cp = s[0] & 0x0Fu;
  } else if ((s[0] & 0xF8) == 0xF0) {
    len = 4;
    cp = s[0] & 0x07u;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3Fu);
  }
  static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

static bool ref_valid(const unsigned char* s, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t k = ref_char(s + i, n - i);
    if (k == 0)
      return false;
    i += k;
  }
  return true;
}

/* Whether the k bytes at s begin some well-formed character of more: the
 * code points it could still become, from all continuations 80 to all
 * BF, meet the valid ones of its length. */
static bool ref_prefix(const unsigned char* s, size_t k) {
  size_t len = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
  if (len == 0 || k >= len)
    return false;
  uint32_t lo = s[0] & (0x7Fu >> len);
  uint32_t hi = lo;
  for (size_t i = 1; i < len; i++) {
    if (i < k && (s[i] & 0xC0) != 0x80)
      return false;
    lo = lo << 6 | (i < k ? s[i] & 0x3Fu : 0);
    hi = hi << 6 | (i < k ? s[i] & 0x3Fu : 0x3F);
  }
  static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (hi < min[len] || lo > 0x10FFFF)
    return false;
  return !(lo >= 0xD800 && hi <= 0xDFFF);
}

/* Maximal subparts, by the reference: the longest beginning of a
 * character, else one byte, becomes one U+FFFD. */
static size_t ref_repair(const unsigned char* s, size_t n, unsigned char* o) {
  size_t j = 0;
  for (size_t i = 0; i < n;) {
    size_t k = ref_char(s + i, n - i);
    if (k > 0) {
      memcpy(o + j, s + i, k);
      j += k;
      i += k;
      continue;
    }
    k = 1;
    while (i + k < n && ref_prefix(s + i, k + 1)) k++;
    memcpy(o + j, "\xef\xbf\xbd", 3);
    j += 3;
    i += k;
  }
  return j;
}

/* ---- the check ---------------------------------------------------------- */

/* utf8_valid agrees with the reference on seq (n bytes) alone and, if
 * placed, at places in 160 bytes of ASCII around the edges of 32-byte
 * blocks, whole and in two pieces. */
static bool agree_at(const unsigned char* seq, size_t n, bool placed) {
  static const size_t places[] = {0, 1, 2, 29, 30, 31, 32, 33, 62, 63, 64, 70};
  bool want = ref_valid(seq, n);
  bool ok = utf8_valid((const char*)seq, n) == want;
  if (!placed)
    return ok;
  unsigned char buf[160];
  for (size_t i = 0; i < sizeof(places) / sizeof(places[0]) && ok; i++) {
    size_t at = places[i];
    memset(buf, 'a', sizeof(buf));
    memcpy(buf + at, seq, n);
    ok = utf8_valid((const char*)buf, sizeof(buf)) == want;
    size_t cut = at + n / 2 + 1;
    struct utf8_state st;
    utf8_begin(&st);
    utf8_feed(&st, (const char*)buf, cut);
    utf8_feed(&st, (const char*)buf + cut, sizeof(buf) - cut);
    ok = ok && utf8_end(&st) == want;
  }
  return ok;
}

static void test_known(void) {
  static const struct {
    const char* s;
    bool ok;
  } cases[] = {
      {"", true},
      {"plain ASCII\n\t\x7f", true},
      {"\xc2\x80", true},         /* U+0080 */
      {"\xdf\xbf", true},         /* U+07FF */
      {"\xe0\xa0\x80", true},     /* U+0800 */
      {"\xed\x9f\xbf", true},     /* U+D7FF */
      {"\xee\x80\x80", true},     /* U+E000 */
      {"\xef\xbf\xbd", true},     /* U+FFFD */
      {"\xef\xbf\xbf", true},     /* U+FFFF */
      {"\xf0\x90\x80\x80", true}, /* U+10000 */
      {"\xf4\x8f\xbf\xbf", true}, /* U+10FFFF */
      {"caf\xc3\xa9 \xf0\x9f\x98\x80", true},
      {"\xc0\x80", false},                 /* overlong NUL */
      {"\xc1\xbf", false},                 /* overlong U+007F */
      {"\xe0\x80\x80", false},             /* overlong */
      {"\xe0\x9f\xbf", false},             /* overlong U+07FF */
      {"\xf0\x80\x80\x80", false},         /* overlong */
      {"\xf0\x8f\xbf\xbf", false},         /* overlong U+FFFF */
      {"\xed\xa0\x80", false},             /* U+D800 encoded */
      {"\xed\xbf\xbf", false},             /* U+DFFF encoded */
      {"\xed\xa0\xbd\xed\xb8\x80", false}, /* a pair encoded (CESU-8) */
      {"\xf4\x90\x80\x80", false},         /* U+110000 */
      {"\xf5\x80\x80\x80", false},
      {"\xf8\x88\x80\x80\x80", false}, /* five bytes */
      {"\xfe", false},
      {"\xff", false},
      {"\x80", false}, /* stray continuation */
      {"a\xbf", false},
      {"\xc3\xa9\xa9", false}, /* one too many */
      {"\xc3", false},         /* cut by the end */
      {"\xe2\x82", false},
      {"\xf0\x9f\x98", false},
      {"\xe2\x82x", false},    /* cut by ASCII */
      {"\xc3\xc3\xa9", false}, /* cut by a lead */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const unsigned char* s = (const unsigned char*)cases[i].s;
    size_t n = strlen(cases[i].s);
    CHECK(ref_valid(s, n) == cases[i].ok); /* the reference itself */
    bool v = utf8_valid(cases[i].s, n);
    if (v != cases[i].ok)
      fprintf(stderr, "case %zu: utf8_valid says %d\n", i, v);
    CHECK(v == cases[i].ok);
    CHECK(agree_at(s, n, true));
  }
}

/* Every sequence of one and two bytes; of three, every lead from C0 with
 * every second byte and a few thirds; of four, leads E0 to FF with the
 * edges of each range after them. */
static void test_exhaustive(void) {
  int bad = 0;
  for (unsigned a = 0; a < 256; a++) {
    for (unsigned b = 0; b < 256; b++) {
      unsigned char s[2] = {(unsigned char)a, (unsigned char)b};
      /* Placed for the bytes from 0x80, alone for the rest. */
      if (!agree_at(s, 2, a >= 0x80 || b >= 0x80) || !agree_at(s, 1, a >= 0x80))
        bad++;
    }
  }
  CHECK_INT(bad, 0);
  static const unsigned char edges[] = {0x00, 0x41, 0x7f, 0x80, 0x8f,
                                        0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                        0xc2, 0xe0, 0xf0, 0xf4, 0xff};
  size_t ne = sizeof(edges);
  bad = 0;
  for (unsigned a = 0xC0; a < 256; a++)
    for (unsigned b = 0x80; b < 0xC0; b++)
      for (size_t c = 0; c < ne; c++) {
        unsigned char s[3] = {(unsigned char)a, (unsigned char)b, edges[c]};
        if (!agree_at(s, 3, c % 3 == 0 || a >= 0xE0))
          bad++;
      }
  CHECK_INT(bad, 0);
  bad = 0;
  for (unsigned a = 0xE0; a < 256; a++)
    for (size_t b = 0; b < ne; b++)
      for (size_t c = 0; c < ne; c++)
        for (size_t d = 0; d < ne; d++) {
          unsigned char s[4] = {(unsigned char)a, edges[b], edges[c], edges[d]};
          if (!agree_at(s, 4, false))
            bad++;
        }
  CHECK_INT(bad, 0);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

/* Texts of well-formed characters, sometimes with one byte changed, cut
 * into pieces at random: the check agrees with the reference, whole and
 * in pieces. */
static void test_random(void) {
  static const char* const chars[] = {
      "a",
      " ",
      "\xc3\xa9",
      "\xd0\x96",
      "\xe2\x82\xac",
      "\xe6\x97\xa5",
      "\xed\x9f\xbf",
      "\xef\xbf\xbd",
      "\xf0\x9f\x98\x80",
      "\xf4\x8f\xbf\xbf",
      "0123456789abcdef",
  };
  static unsigned char buf[4096];
  int bad = 0;
  for (int round = 0; round < 3000; round++) {
    size_t n = 0;
    size_t want = rnd(4) == 0 ? rnd(64) : rnd(sizeof(buf) - 16);
    while (n < want) {
      const char* c = chars[rnd(sizeof(chars) / sizeof(chars[0]))];
      memcpy(buf + n, c, strlen(c));
      n += strlen(c);
    }
    int changes = round % 3 == 0 ? 0 : (int)rnd(3) + 1;
    for (int i = 0; i < changes && n > 0; i++)
      buf[rnd((unsigned)n)] = (unsigned char)rnd(256);
    bool whole = ref_valid(buf, n);
    if (utf8_valid((const char*)buf, n) != whole)
      bad++;
    struct utf8_state st;
    utf8_begin(&st);
    for (size_t at = 0; at < n;) {
      size_t k = 1 + rnd(rnd(2) ? 8 : 300);
      if (k > n - at)
        k = n - at;
      utf8_feed(&st, (const char*)buf + at, k);
      at += k;
    }
    if (utf8_end(&st) != whole)
      bad++;
    /* Repair agrees with the reference and gives valid text. */
    static unsigned char out[3 * sizeof(buf)], ref[3 * sizeof(buf)];
    size_t m = utf8_repair((const char*)buf, n, (char*)out);
    size_t r = ref_repair(buf, n, ref);
    if (m != r || memcmp(out, ref, m) != 0 || !ref_valid(out, m) ||
        (whole && (m != n || memcmp(out, buf, n) != 0)))
      bad++;
  }
  CHECK_INT(bad, 0);
}

/* ---- repair -------------------------------------------------------------- */

static void check_repair(const char* in, size_t n, const char* want) {
  char out[256];
  size_t m = utf8_repair(in, n, out);
  CHECK(m <= UTF8_REPAIR_MAX(n));
  bool same = m == strlen(want) && memcmp(out, want, m) == 0;
  if (!same)
    fprintf(stderr, "repair of %zu bytes gave %zu: %.*s\n", n, m, (int)m, out);
  CHECK(same);
  size_t r = ref_repair((const unsigned char*)in, n, (unsigned char*)out);
  CHECK(r == m && memcmp(out, want, m) == 0);
}

#define FFFD "\xef\xbf\xbd"
#define REPAIR(in, want) check_repair(in, sizeof(in) - 1, want)

static void test_repair(void) {
  /* Unicode 15, Table 3-8. */
  REPAIR("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
         "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
  REPAIR("", "");
  REPAIR("ok \xc3\xa9 \xf0\x9f\x98\x80", "ok \xc3\xa9 \xf0\x9f\x98\x80");
  REPAIR("\x80", FFFD);
  REPAIR("\x80\xbf\x80", FFFD FFFD FFFD);
  REPAIR("\xc0\x80", FFFD FFFD); /* C0 starts nothing */
  REPAIR("\xc1\xbf", FFFD FFFD);
  REPAIR("\xe0\x80\x80", FFFD FFFD FFFD); /* E0 80: not a beginning */
  REPAIR("\xe0\xa0", FFFD);               /* a beginning, cut by the end */
  REPAIR("\xed\xa0\x80", FFFD FFFD FFFD); /* a surrogate */
  REPAIR("\xed\x9f", FFFD);
  REPAIR("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD);
  REPAIR("\xf0\x9f\x98", FFFD); /* an emoji cut short */
  REPAIR("\xf0\x9f\x98x", FFFD "x");
  REPAIR("\xf0\x9f\xf0\x9f\x98\x80", FFFD "\xf0\x9f\x98\x80");
  REPAIR("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
  REPAIR("\xf4\x8f\xbf", FFFD);
  REPAIR("\xf5\x80", FFFD FFFD);
  REPAIR("\xfe\xff", FFFD FFFD);
  REPAIR("\xe2\x82\xe2\x82\xac", FFFD "\xe2\x82\xac");
  REPAIR("\xc3\xa9\xa9", "\xc3\xa9" FFFD);
  REPAIR("abcdefgh\xffijklmnopq", "abcdefgh" FFFD "ijklmnopq");
  REPAIR("\xef\xbf\xbd", FFFD); /* U+FFFD itself stays */
}

/* ---- encoding -------------------------------------------------------------
 */

static void test_encode(void) {
  static const struct {
    uint32_t cp;
    const char* s;
  } cases[] = {
      {0, "\0"},
      {0x41, "A"},
      {0x7F, "\x7f"},
      {0x80, "\xc2\x80"},
      {0x7FF, "\xdf\xbf"},
      {0x800, "\xe0\xa0\x80"},
      {0xD7FF, "\xed\x9f\xbf"},
      {0xD800, FFFD},
      {0xDBFF, FFFD},
      {0xDC00, FFFD},
      {0xDFFF, FFFD},
      {0xE000, "\xee\x80\x80"},
      {0xFFFF, "\xef\xbf\xbf"},
      {0x10000, "\xf0\x90\x80\x80"},
      {0x1F600, "\xf0\x9f\x98\x80"},
      {0x10FFFF, "\xf4\x8f\xbf\xbf"},
      {0x110000, FFFD},
      {0xFFFFFFFF, FFFD},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[4];
    size_t n = utf8_encode(cases[i].cp, buf);
    size_t want = cases[i].cp == 0 ? 1 : strlen(cases[i].s);
    CHECK(n == want && memcmp(buf, cases[i].s, n) == 0);
  }
  /* Every scalar value encodes to one well-formed character. */
  int bad = 0;
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    char buf[4];
    size_t n = utf8_encode(cp, buf);
    if (ref_char((const unsigned char*)buf, n) != n)
      bad++;
  }
  CHECK_INT(bad, 0);
}

int main(void) {
  test_known();
  test_exhaustive();
  test_random();
  test_repair();
  test_encode();
  return check_done();
}
