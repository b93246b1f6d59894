/* utf8.c - see utf8.h.
 *
 * The byte-at-a-time check keeps, between two bytes, how many
 * continuation bytes the current character still needs and the range the
 * next one must be in (only the second byte of a character has a range
 * other than 80..BF: Table 3-7). The AVX2 check is the "lookup" algorithm
 * of Keiser and Lemire (Validating UTF-8 in less than one instruction per
 * byte, Software: Practice and Experience 51(5), 2021; simdjson's
 * utf8_lookup4): three table lookups on the high and low nibbles of each
 * byte and of the byte before it classify every pair of bytes, and the
 * third and fourth bytes of a character are checked by saturating
 * subtraction from the bytes two and three places back. It runs on whole
 * blocks of 32 bytes from a character's start; the character a piece's
 * last block may cut is left to the byte-at-a-time check.
 */
#include "lib/utf8.h"

#include <string.h>

/* How many continuation bytes lead byte b needs, and the range of the
 * first of them; 0 when b cannot start a character of several bytes. */
static unsigned char utf8_lead(unsigned char b,
                               unsigned char* lo,
                               unsigned char* hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF)
    return 1;
  if (b >= 0xE0 && b <= 0xEF) {
    if (b == 0xE0)
      *lo = 0xA0; /* else overlong */
    else if (b == 0xED)
      *hi = 0x9F; /* else a surrogate */
    return 2;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (b == 0xF0)
      *lo = 0x90; /* else overlong */
    else if (b == 0xF4)
      *hi = 0x8F; /* else above U+10FFFF */
    return 3;
  }
  return 0;
}

/* Whether the 8 bytes at s are all ASCII. */
static bool utf8_ascii8(const unsigned char* s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return (w & 0x8080808080808080ull) == 0;
}

/* The byte-at-a-time check of n bytes. Stops at the first ill-formed
 * part: st->bad set, st->need 0. */
static void utf8_bytes(struct utf8_state* st,
                       const unsigned char* s,
                       size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    if (st->need > 0) {
      if (b < st->lo || b > st->hi)
        goto bad;
      st->need--;
      st->lo = 0x80;
      st->hi = 0xBF;
      i++;
    } else if (b < 0x80) {
      i++;
      while (n - i >= 8 && utf8_ascii8(s + i)) i += 8;
    } else {
      st->need = utf8_lead(b, &st->lo, &st->hi);
      if (st->need == 0)
        goto bad;
      i++;
    }
  }
  return;
bad:
  st->bad = true;
  st->need = 0;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define UTF8_AVX2 1

/* The classes of a pair of bytes (Keiser and Lemire's names): each table
 * gives the classes a pair may be in from one nibble; a pair is
 * ill-formed when the three agree on one. */
enum {
  U8_TOO_SHORT = 1 << 0,      /* a lead, then no continuation */
  U8_TOO_LONG = 1 << 1,       /* ASCII, then a continuation */
  U8_OVERLONG_3 = 1 << 2,     /* E0 80..9F */
  U8_TOO_LARGE = 1 << 3,      /* F4 90..BF, F5..FF 90..BF */
  U8_SURROGATE = 1 << 4,      /* ED A0..BF */
  U8_OVERLONG_2 = 1 << 5,     /* C0..C1 80..BF */
  U8_TOO_LARGE_1000 = 1 << 6, /* F5..FF 80..8F */
  U8_OVERLONG_4 = 1 << 6,     /* F0 80..8F */
  U8_TWO_CONTS = 1 << 7,      /* two continuations */
  U8_CARRY = U8_TOO_SHORT | U8_TOO_LONG | U8_TWO_CONTS,
  U8_LARGE = U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000,
  U8_CONT = U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS,
};

/* Indexed by the high nibble of the first byte. */
static const unsigned char utf8_byte1_high[16] = {
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TOO_LONG,
    U8_TWO_CONTS,
    U8_TWO_CONTS,
    U8_TWO_CONTS,
    U8_TWO_CONTS,
    U8_TOO_SHORT | U8_OVERLONG_2,
    U8_TOO_SHORT,
    U8_TOO_SHORT | U8_OVERLONG_3 | U8_SURROGATE,
    U8_TOO_SHORT | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_OVERLONG_4,
};

/* Indexed by the low nibble of the first byte. */
static const unsigned char utf8_byte1_low[16] = {
    U8_CARRY | U8_OVERLONG_3 | U8_OVERLONG_2 | U8_OVERLONG_4,
    U8_CARRY | U8_OVERLONG_2,
    U8_CARRY,
    U8_CARRY,
    U8_CARRY | U8_TOO_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE,
    U8_LARGE | U8_SURROGATE,
    U8_LARGE,
    U8_LARGE,
};

/* Indexed by the high nibble of the second byte. */
static const unsigned char utf8_byte2_high[16] = {
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_CONT | U8_OVERLONG_3 | U8_TOO_LARGE_1000 | U8_OVERLONG_4,
    U8_CONT | U8_OVERLONG_3 | U8_TOO_LARGE,
    U8_CONT | U8_SURROGATE | U8_TOO_LARGE,
    U8_CONT | U8_SURROGATE | U8_TOO_LARGE,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
    U8_TOO_SHORT,
};

__attribute__((target("avx2"))) static __m256i utf8_table(
    const unsigned char t[16]) {
  return _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i*)(const void*)t));
}

/* The bytes of in shifted by k places, the last k of prev in front. */
#define UTF8_PREV(in, prev, k)                                            \
  _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21), \
                     16 - (k))

/* Checks the whole blocks of 32 bytes at s (n bytes), s starting a
 * character; returns the bytes checked and sets *bad when some of them
 * are ill-formed. The last character may be cut off by the end. */
__attribute__((target("avx2"))) static size_t utf8_blocks_avx2(
    const unsigned char* s, size_t n, bool* bad) {
  const __m256i t1 = utf8_table(utf8_byte1_high);
  const __m256i t2 = utf8_table(utf8_byte1_low);
  const __m256i t3 = utf8_table(utf8_byte2_high);
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i third = _mm256_set1_epi8(0xE0 - 0x80);
  const __m256i fourth = _mm256_set1_epi8(0xF0 - 0x80);
  const __m256i top = _mm256_set1_epi8((char)0x80);
  /* Past these in the last three places a character is cut off. */
  const __m256i max = _mm256_setr_epi8(
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, (char)(0xF0 - 1),
      (char)(0xE0 - 1), (char)(0xC0 - 1));
  __m256i prev = _mm256_setzero_si256();
  __m256i cut = _mm256_setzero_si256();
  __m256i err = _mm256_setzero_si256();
  size_t i = 0;
  for (; n - i >= 32; i += 32) {
    __m256i in = _mm256_loadu_si256((const __m256i*)(const void*)(s + i));
    if (_mm256_movemask_epi8(in) == 0) {
      err = _mm256_or_si256(err, cut); /* ASCII after a cut character */
      cut = _mm256_setzero_si256();
      prev = in;
      continue;
    }
    __m256i p1 = UTF8_PREV(in, prev, 1);
    __m256i sc = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(
                t1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), nib)),
            _mm256_shuffle_epi8(t2, _mm256_and_si256(p1, nib))),
        _mm256_shuffle_epi8(t3,
                            _mm256_and_si256(_mm256_srli_epi16(in, 4), nib)));
    __m256i must23 =
        _mm256_or_si256(_mm256_subs_epu8(UTF8_PREV(in, prev, 2), third),
                        _mm256_subs_epu8(UTF8_PREV(in, prev, 3), fourth));
    err = _mm256_or_si256(err,
                          _mm256_xor_si256(_mm256_and_si256(must23, top), sc));
    cut = _mm256_subs_epu8(in, max);
    prev = in;
  }
  if (!_mm256_testz_si256(err, err))
    *bad = true;
  return i;
}

static int utf8_have_avx2 = -1;
#endif

void utf8_begin(struct utf8_state* st) {
  st->need = 0;
  st->lo = 0x80;
  st->hi = 0xBF;
  st->bad = false;
}

void utf8_feed(struct utf8_state* st, const char* s, size_t n) {
  const unsigned char* p = (const unsigned char*)s;
  if (st->bad)
    return;           /* the verdict is in */
  if (st->need > 0) { /* the end of a character begun before */
    size_t k = n < st->need ? n : st->need;
    utf8_bytes(st, p, k);
    p += k;
    n -= k;
    if (st->bad)
      return;
  }
#if defined(UTF8_AVX2)
  if (n >= 64) {
    if (utf8_have_avx2 < 0) {
      __builtin_cpu_init();
      utf8_have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (utf8_have_avx2 && st->need == 0) {
      size_t done = utf8_blocks_avx2(p, n, &st->bad);
      if (st->bad)
        return;
      /* Back to the start of a character the last block may have cut. */
      for (size_t k = 1; k <= 3; k++) {
        if (p[done - k] >= 0xC0) {
          done -= k;
          break;
        }
      }
      p += done;
      n -= done;
    }
  }
#endif
  utf8_bytes(st, p, n);
}

bool utf8_end(struct utf8_state* st) {
  if (st->need > 0) {
    st->bad = true;
    st->need = 0;
  }
  return !st->bad;
}

bool utf8_valid(const char* s, size_t n) {
  struct utf8_state st;
  utf8_begin(&st);
  utf8_feed(&st, s, n);
  return utf8_end(&st);
}

size_t utf8_repair(const char* in, size_t len, char* out) {
  const unsigned char* s = (const unsigned char*)in;
  size_t i = 0;
  size_t j = 0;
  while (i < len) {
    if (len - i >= 8 && utf8_ascii8(s + i)) {
      memcpy(out + j, s + i, 8);
      i += 8;
      j += 8;
      continue;
    }
    unsigned char b = s[i];
    if (b < 0x80) {
      out[j++] = (char)b;
      i++;
      continue;
    }
    unsigned char lo, hi;
    size_t need = utf8_lead(b, &lo, &hi);
    /* The longest beginning of a character at i: k bytes. */
    size_t k = 1;
    while (k <= need && i + k < len && s[i + k] >= lo && s[i + k] <= hi) {
      k++;
      lo = 0x80;
      hi = 0xBF;
    }
    if (need > 0 && k == need + 1)
      memcpy(out + j, s + i, k);
    else
      memcpy(out + j, "\xef\xbf\xbd", 3);
    j += need > 0 && k == need + 1 ? k : 3;
    i += k;
  }
  return j;
}

size_t utf8_encode(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}
