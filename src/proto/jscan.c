/* jscan.c - see jscan.h.
 *
 * One pass, no recursion, resumable: the scanner is a state machine whose
 * whole state is struct jscan_stream, so a text may arrive in pieces, and
 * it looks at every byte once. The kind of each open container (object
 * or array) is a bit in a fixed stack, so deep nesting costs 512 bytes,
 * not a call frame per level. String bodies, where large messages spend
 * their bytes, are skipped up to the next quote, backslash or control
 * character 64 bytes at a time with AVX2 where the CPU has it (checked
 * once, at run time), else 32 at a time with SSE2 (every x86-64 has it).
 * A run of a string that holds a byte >= 0x80 is then checked as UTF-8
 * (lib/utf8.c, with AVX2 too), a second look at bytes still in cache;
 * an ASCII run, the common case, is not looked at again. So runs are cut
 * at JSCAN_RUN bytes, and the UTF-8 check's state carries a character
 * across runs and pieces. A byte >= 0x80 outside a string ends the scan;
 * the rest of the text is then only checked as UTF-8, so that bad_utf8
 * is said of all of it.
 */
#include "proto/jscan.h"

#include <stdint.h>
#include <string.h>

#include "lib/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* String bodies are checked in runs of at most this many bytes, which
 * stay in L2. Over 10 MiB strings, runs of 16 KiB took about 4 % more
 * time for ASCII and 3-10 % more for UTF-8 than runs of 64 KiB (set-up
 * per run). */
#define JSCAN_RUN 65536

static bool jscan_digit(char c) {
  return c >= '0' && c <= '9';
}

/* The string loops below come in two modes. Until a byte >= 0x80 is
 * seen (*high == 0), they stop at those bytes too: a signed compare with
 * 0x20 finds them and the control bytes at once. From there on they only
 * stop at '"', '\\' and control bytes, and the run is left to the UTF-8
 * check. */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define JSCAN_AVX2 1

/* The first special byte in the 64 at p as a bit in the mask, 0 if none:
 * '"', '\\', a byte below 0x20, and with ascii one from 0x80 up. */
__attribute__((target("avx2"), always_inline)) static inline uint64_t
jscan_mask_avx2(const char* p, bool ascii) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i bslash = _mm256_set1_epi8('\\');
  const __m256i ctl = _mm256_set1_epi8(0x1f);
  const __m256i space = _mm256_set1_epi8(0x20);
  __m256i a = _mm256_loadu_si256((const __m256i*)(const void*)p);
  __m256i b = _mm256_loadu_si256((const __m256i*)(const void*)(p + 32));
  __m256i ca = ascii ? _mm256_cmpgt_epi8(space, a)
                     : _mm256_cmpeq_epi8(_mm256_min_epu8(a, ctl), a);
  __m256i cb = ascii ? _mm256_cmpgt_epi8(space, b)
                     : _mm256_cmpeq_epi8(_mm256_min_epu8(b, ctl), b);
  __m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, quote),
                                               _mm256_cmpeq_epi8(a, bslash)),
                               ca);
  __m256i mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, quote),
                                               _mm256_cmpeq_epi8(b, bslash)),
                               cb);
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(ma) |
         ((uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32);
}

/* As jscan_plain, 64 bytes at a time with AVX2; stops at the special byte
 * or where fewer than 64 bytes are left. */
__attribute__((target("avx2"))) static const char* jscan_plain_avx2(
    const char* p, const char* end, unsigned* high) {
  if (!*high) {
    for (; (size_t)(end - p) >= 64; p += 64) {
      uint64_t m = jscan_mask_avx2(p, true);
      if (m != 0) {
        p += __builtin_ctzll(m);
        if ((unsigned char)*p < 0x80)
          return p;
        *high = 1;
        break;
      }
    }
  }
  for (; (size_t)(end - p) >= 64; p += 64) {
    uint64_t m = jscan_mask_avx2(p, false);
    if (m != 0)
      return p + __builtin_ctzll(m);
  }
  return p;
}

static int jscan_have_avx2 = -1;
#endif

#if defined(__SSE2__)
/* As jscan_mask_avx2, for 32 bytes with SSE2. */
__attribute__((always_inline)) static inline unsigned jscan_mask_sse2(
    const char* p, bool ascii) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1f);
  const __m128i space = _mm_set1_epi8(0x20);
  __m128i a = _mm_loadu_si128((const __m128i*)(const void*)p);
  __m128i b = _mm_loadu_si128((const __m128i*)(const void*)(p + 16));
  /* min(v, 0x1f) == v exactly when v <= 0x1f, unsigned. */
  __m128i ca = ascii ? _mm_cmplt_epi8(a, space)
                     : _mm_cmpeq_epi8(_mm_min_epu8(a, ctl), a);
  __m128i cb = ascii ? _mm_cmplt_epi8(b, space)
                     : _mm_cmpeq_epi8(_mm_min_epu8(b, ctl), b);
  __m128i ma = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(a, quote), _mm_cmpeq_epi8(a, bslash)), ca);
  __m128i mb = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, bslash)), cb);
  return (unsigned)_mm_movemask_epi8(ma) |
         ((unsigned)_mm_movemask_epi8(mb) << 16);
}
#endif

/* The first '"', '\\' or byte below 0x20 at or after p, or end. Sets
 * *high when a byte from 0x80 up is passed (set: one may have been). */
static inline const char* jscan_plain(const char* p,
                                      const char* end,
                                      unsigned* high) {
#if defined(JSCAN_AVX2)
  if ((size_t)(end - p) >= 256) {
    if (jscan_have_avx2 < 0) {
      __builtin_cpu_init();
      jscan_have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (jscan_have_avx2)
      p = jscan_plain_avx2(p, end, high);
  }
#endif
#if defined(__SSE2__)
  if (!*high) {
    for (; (size_t)(end - p) >= 32; p += 32) {
      unsigned m = jscan_mask_sse2(p, true);
      if (m != 0) {
        p += __builtin_ctz(m);
        if ((unsigned char)*p < 0x80)
          return p;
        *high = 1;
        break;
      }
    }
  }
  for (; (size_t)(end - p) >= 32; p += 32) {
    unsigned m = jscan_mask_sse2(p, false);
    if (m != 0)
      return p + __builtin_ctz(m);
  }
#endif
  for (; p < end; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\' || c < 0x20)
      return p;
    *high |= c & 0x80;
  }
  return end;
}

/* The value of hex digit c, or -1. */
static int jscan_hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The value of 4 hex digits at p, or -1. */
static long jscan_hex4(const char* p) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    int d = jscan_hexval(p[i]);
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Where the scanner is between two bytes. */
enum {
  JS_VALUE,     /* a value must start */
  JS_ARR_FIRST, /* after '[': a value or ']' */
  JS_OBJ_FIRST, /* after '{': a key or '}' */
  JS_KEY,       /* after ',' in an object: a key */
  JS_COLON,     /* after a key */
  JS_AFTER,     /* a value ended in a container: ',' or the closer */
  JS_END,       /* the top-level value ended: whitespace only */
  JS_STRING,    /* in a string's body */
  JS_ESC,       /* after a backslash */
  JS_HEX,       /* in the digits of \uXXXX */
  JS_LOW_BS,    /* after a high surrogate: maybe the '\' of its low half */
  JS_LOW_U,     /* ... and maybe its 'u' */
  JS_LIT,       /* in true, false or null */
  JS_NUM_MINUS, /* after '-' */
  JS_NUM_ZERO,  /* after a leading '0' */
  JS_NUM_INT,   /* in the integer digits */
  JS_NUM_DOT,   /* after '.' */
  JS_NUM_FRAC,  /* in the fraction digits */
  JS_NUM_E,     /* after 'e' */
  JS_NUM_ESIGN, /* after the exponent's sign */
  JS_NUM_EXP,   /* in the exponent digits */
  JS_FAIL,
};

static void js_fail(struct jscan_stream* s, const char* msg, size_t at) {
  s->state = JS_FAIL;
  s->out.err = msg;
  s->out.err_off = at;
  s->out.type = JSCAN_NONE;
}

static bool js_is_obj(const struct jscan_stream* s) {
  int d = s->depth - 1;
  return (s->is_obj[d >> 6] >> (d & 63)) & 1;
}

/* A value of type t starts at off. */
static void js_value_start(struct jscan_stream* s,
                           size_t off,
                           enum jscan_type t) {
  if (s->depth == 0) {
    s->out.type = t;
    s->out.off = off;
  } else if (s->depth == 1 && s->cur >= 0) {
    s->out.members[s->cur].off = off;
    s->out.members[s->cur].type = t;
  }
}

/* The value at the current depth ended just before off. */
static void js_value_end(struct jscan_stream* s, size_t off) {
  if (s->depth == 0) {
    s->out.len = off - s->out.off;
    s->state = JS_END;
    return;
  }
  if (s->depth == 1 && s->cur >= 0) {
    struct jscan_member* m = &s->out.members[s->cur];
    m->len = off - m->off;
    s->cur = -1;
  }
  s->state = JS_AFTER;
}

/* A container opens at off. */
static void js_open(struct jscan_stream* s, size_t off, bool obj) {
  if (s->depth == JSCAN_MAX_DEPTH) {
    js_fail(s, "nested too deep", off);
    return;
  }
  js_value_start(s, off, obj ? JSCAN_OBJECT : JSCAN_ARRAY);
  uint64_t bit = (uint64_t)1 << (s->depth & 63);
  if (obj)
    s->is_obj[s->depth >> 6] |= bit;
  else
    s->is_obj[s->depth >> 6] &= ~bit;
  s->depth++;
  if ((unsigned)s->depth > s->out.max_depth)
    s->out.max_depth = (unsigned)s->depth;
  s->state = obj ? JS_OBJ_FIRST : JS_ARR_FIRST;
}

/* The container open at the current depth closes at off. */
static void js_close(struct jscan_stream* s, size_t off) {
  s->depth--;
  js_value_end(s, off + 1);
}

/* The string whose body started at s->str_off closes with the quote at
 * off. */
static void js_string_end(struct jscan_stream* s, size_t off) {
  if (!s->in_key) {
    js_value_end(s, off + 1);
    return;
  }
  if (s->depth == 1) {
    size_t n = s->out.nmembers++;
    s->cur = n < JSCAN_MAX_MEMBERS ? (int)n : -1;
    if (s->cur >= 0) {
      struct jscan_member* m = &s->out.members[n];
      m->key_off = s->str_off;
      m->key_len = off - s->str_off;
      m->key_escaped = s->escaped;
    }
  }
  s->state = JS_COLON;
}

/* A string (a key or a value) opens with the quote at off. */
static void js_string_start(struct jscan_stream* s, size_t off, bool key) {
  s->in_key = key;
  s->escaped = false;
  s->str_off = off + 1;
  s->state = JS_STRING;
}

/* The first byte of a value, c at off. */
static void js_value_byte(struct jscan_stream* s, char c, size_t off) {
  switch (c) {
    case '{':
      js_open(s, off, true);
      return;
    case '[':
      js_open(s, off, false);
      return;
    case '"':
      js_value_start(s, off, JSCAN_STRING);
      js_string_start(s, off, false);
      return;
    case 't':
    case 'f':
    case 'n':
      js_value_start(s, off,
                     c == 't'   ? JSCAN_TRUE
                     : c == 'f' ? JSCAN_FALSE
                                : JSCAN_NULL);
      s->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
      s->lit_i = 1;
      s->val_off = off;
      s->state = JS_LIT;
      return;
    default:
      if (c == '-' || jscan_digit(c)) {
        js_value_start(s, off, JSCAN_NUMBER);
        s->val_off = off;
        s->state = c == '-'   ? JS_NUM_MINUS
                   : c == '0' ? JS_NUM_ZERO
                              : JS_NUM_INT;
        return;
      }
      js_fail(s, "invalid value", off);
  }
}

/* One byte of an escape or \u sequence, c at off. Returns false when c
 * is not part of it and is still to be looked at: a high surrogate ended
 * unpaired before c, or the scan failed at c. */
static bool js_escape_byte(struct jscan_stream* s, char c, size_t off) {
  switch (s->state) {
    case JS_ESC:
      switch (c) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          s->state = JS_STRING;
          return true;
        case 'u':
          s->low = false;
          s->hex_n = 0;
          s->hex_v = 0;
          s->state = JS_HEX;
          return true;
        default:
          js_fail(s, "invalid escape in a string", s->esc_off);
          return false;
      }
    case JS_LOW_BS:
      if (c != '\\') { /* "\ud83dx" */
        s->out.lone_surrogate = true;
        s->state = JS_STRING;
        return false;
      }
      s->esc_off = off;
      s->state = JS_LOW_U;
      return true;
    case JS_LOW_U:
      if (c != 'u') { /* "\ud83d\n": an escape of another kind */
        s->out.lone_surrogate = true;
        s->state = JS_ESC;
        return false;
      }
      s->hex_n = 0;
      s->hex_v = 0;
      s->state = JS_HEX;
      return true;
    default:
      break; /* JS_HEX */
  }
  int d = jscan_hexval(c);
  if (d < 0) {
    js_fail(s, "invalid \\u escape", s->esc_off);
    return false;
  }
  s->hex_v = s->hex_v * 16 + (unsigned)d;
  if (++s->hex_n < 4)
    return true;
  unsigned cp = s->hex_v;
  s->state = JS_STRING;
  if (s->low && cp >= 0xDC00 && cp <= 0xDFFF) {
    s->low = false; /* a pair */
    return true;
  }
  if (s->low || (cp >= 0xDC00 && cp <= 0xDFFF))
    s->out.lone_surrogate = true; /* "\ud83d\u0041", "\ude00" */
  s->low = cp >= 0xD800 && cp <= 0xDBFF;
  if (s->low)
    s->state = JS_LOW_BS;
  return true;
}

/* One byte of a number, c at off. Returns false when c is not part of it
 * (the number ended before c, or the scan failed at c) and is still to be
 * looked at. */
static bool js_number_byte(struct jscan_stream* s, char c, size_t off) {
  bool digit = jscan_digit(c);
  switch (s->state) {
    case JS_NUM_MINUS:
      if (!digit) {
        js_fail(s, "invalid value", s->val_off);
        return false;
      }
      s->state = c == '0' ? JS_NUM_ZERO : JS_NUM_INT;
      return true;
    case JS_NUM_ZERO:
      if (digit) {
        js_fail(s, "number with a leading zero", s->val_off);
        return false;
      }
      break;
    case JS_NUM_INT:
      if (digit)
        return true;
      break;
    case JS_NUM_DOT:
      if (!digit) {
        js_fail(s, "number without digits after its point", s->val_off);
        return false;
      }
      s->state = JS_NUM_FRAC;
      return true;
    case JS_NUM_FRAC:
      if (digit)
        return true;
      if (c == 'e' || c == 'E') {
        s->state = JS_NUM_E;
        return true;
      }
      js_value_end(s, off);
      return false;
    case JS_NUM_E:
      if (c == '+' || c == '-') {
        s->state = JS_NUM_ESIGN;
        return true;
      }
      /* fall through */
    case JS_NUM_ESIGN:
      if (!digit) {
        js_fail(s, "number without exponent digits", s->val_off);
        return false;
      }
      s->state = JS_NUM_EXP;
      return true;
    default: /* JS_NUM_EXP */
      if (digit)
        return true;
      js_value_end(s, off);
      return false;
  }
  /* After the integer part. */
  if (c == '.') {
    s->state = JS_NUM_DOT;
    return true;
  }
  if (c == 'e' || c == 'E') {
    s->state = JS_NUM_E;
    return true;
  }
  js_value_end(s, off);
  return false;
}

void jscan_begin(struct jscan_stream* s) {
  s->pos = 0;
  s->state = JS_VALUE;
  s->depth = 0;
  s->cur = -1;
  s->out.type = JSCAN_NONE;
  s->out.off = 0;
  s->out.len = 0;
  s->out.nmembers = 0;
  s->out.line_break = false;
  s->out.lone_surrogate = false;
  s->out.bad_utf8 = false;
  s->out.max_depth = 0;
  s->out.err = NULL;
  s->out.err_off = 0;
  s->low = false;
  utf8_begin(&s->u8);
}

void jscan_feed(struct jscan_stream* s, const char* data, size_t n) {
  const char* p = data;
  const char* end = data + n;
  const size_t base = s->pos;
#define JS_OFF(q) (base + (size_t)((q)-data))

  while (p < end) {
    char c = *p;
    switch (s->state) {
      case JS_STRING: {
        /* At most JSCAN_RUN bytes at a time, so that those >= 0x80 are
         * checked as UTF-8 while they are in cache, with the byte that
         * ends the run: it ends a character cut short too. */
        const char* lim = (size_t)(end - p) > JSCAN_RUN ? p + JSCAN_RUN : end;
        unsigned high = s->u8.need; /* a character cut by the last piece */
        const char* q = jscan_plain(p, lim, &high);
        if (high)
          utf8_feed(&s->u8, p, (size_t)(q - p) + (q < lim));
        p = q;
        if (p == lim)
          continue;
        if (*p == '"') {
          js_string_end(s, JS_OFF(p));
        } else if (*p == '\\') {
          s->escaped = true;
          s->esc_off = JS_OFF(p);
          s->state = JS_ESC;
        } else {
          js_fail(s, "control character in a string", JS_OFF(p));
          continue;
        }
        p++;
        continue;
      }
      case JS_ESC:
      case JS_HEX:
      case JS_LOW_BS:
      case JS_LOW_U:
        if (js_escape_byte(s, c, JS_OFF(p)))
          p++;
        continue;
      case JS_LIT:
        if (c != s->lit[s->lit_i]) {
          js_fail(s, "invalid value", s->val_off);
          continue;
        }
        p++;
        if (s->lit[++s->lit_i] == '\0')
          js_value_end(s, JS_OFF(p));
        continue;
      case JS_NUM_MINUS:
      case JS_NUM_ZERO:
      case JS_NUM_INT:
      case JS_NUM_DOT:
      case JS_NUM_FRAC:
      case JS_NUM_E:
      case JS_NUM_ESIGN:
      case JS_NUM_EXP:
        if (js_number_byte(s, c, JS_OFF(p)))
          p++;
        continue;
      case JS_FAIL: /* the rest is only checked as UTF-8 */
        utf8_feed(&s->u8, p, (size_t)(end - p));
        p = end;
        continue;
      default:
        break;
    }

    /* Between tokens: whitespace first. */
    if (c == ' ' || c == '\t') {
      p++;
      continue;
    }
    if (c == '\n' || c == '\r') {
      s->out.line_break = true;
      p++;
      continue;
    }
    size_t off = JS_OFF(p);
    switch (s->state) {
      case JS_ARR_FIRST:
        if (c == ']') {
          js_close(s, off);
          break;
        }
        /* fall through */
      case JS_VALUE:
        js_value_byte(s, c, off);
        break;
      case JS_OBJ_FIRST:
        if (c == '}') {
          js_close(s, off);
          break;
        }
        /* fall through */
      case JS_KEY:
        if (c != '"') {
          js_fail(s, "expected a string key", off);
          continue;
        }
        js_string_start(s, off, true);
        break;
      case JS_COLON:
        if (c != ':') {
          js_fail(s, "expected ':'", off);
          continue;
        }
        s->state = JS_VALUE;
        break;
      case JS_AFTER:
        if (js_is_obj(s)) {
          if (c == '}')
            js_close(s, off);
          else if (c == ',')
            s->state = JS_KEY;
          else
            js_fail(s, "expected ',' or '}'", off);
        } else if (c == ']') {
          js_close(s, off);
        } else if (c == ',') {
          s->state = JS_VALUE;
        } else {
          js_fail(s, "expected ',' or ']'", off);
        }
        break;
      default: /* JS_END */
        js_fail(s, "text after the JSON value", off);
        continue;
    }
    if (s->state != JS_FAIL)
      p++; /* else c is checked as UTF-8 with the rest */
  }
#undef JS_OFF
  s->pos = base + n;
}

bool jscan_end(struct jscan_stream* s) {
  size_t at = s->pos;
  s->out.bad_utf8 = !utf8_end(&s->u8);
  switch (s->state) {
    case JS_END:
      return true;
    case JS_FAIL:
      return false;
    case JS_NUM_ZERO:
    case JS_NUM_INT:
    case JS_NUM_FRAC:
    case JS_NUM_EXP:
      js_value_end(s, at);
      if (s->state == JS_END)
        return true;
      js_fail(s, "unterminated object or array", at);
      return false;
    case JS_NUM_MINUS:
    case JS_LIT:
      js_fail(s, "invalid value", s->val_off);
      return false;
    case JS_NUM_DOT:
      js_fail(s, "number without digits after its point", s->val_off);
      return false;
    case JS_NUM_E:
    case JS_NUM_ESIGN:
      js_fail(s, "number without exponent digits", s->val_off);
      return false;
    case JS_STRING:
      js_fail(s, "unterminated string", at);
      return false;
    case JS_ESC:
      js_fail(s, "unterminated string", s->esc_off);
      return false;
    case JS_HEX:
      js_fail(s, "invalid \\u escape", s->esc_off);
      return false;
    case JS_LOW_BS:
      s->out.lone_surrogate = true;
      js_fail(s, "unterminated string", at);
      return false;
    case JS_LOW_U:
      s->out.lone_surrogate = true;
      js_fail(s, "unterminated string", s->esc_off);
      return false;
    case JS_OBJ_FIRST:
    case JS_KEY:
      js_fail(s, "expected a string key", at);
      return false;
    case JS_COLON:
      js_fail(s, "expected ':'", at);
      return false;
    case JS_AFTER:
      js_fail(s, "unterminated object or array", at);
      return false;
    default:
      js_fail(s, "expected a value", at);
      return false;
  }
}

bool jscan_scan(const char* text, size_t len, struct jscan* out) {
  struct jscan_stream s;
  jscan_begin(&s);
  jscan_feed(&s, text, len);
  bool ok = jscan_end(&s);
  *out = s.out;
  return ok;
}

bool jscan_str_equals(const char* raw,
                      size_t raw_len,
                      const char* s,
                      size_t n) {
  if (memchr(raw, '\\', raw_len) == NULL)
    return raw_len == n && memcmp(raw, s, n) == 0;
  size_t i = 0;
  size_t j = 0;
  while (i < raw_len) {
    char buf[4];
    size_t k = 1;
    if (raw[i] != '\\') {
      buf[0] = raw[i++];
    } else {
      char e = raw[i + 1];
      i += 2;
      switch (e) {
        case 'b':
          buf[0] = '\b';
          break;
        case 'f':
          buf[0] = '\f';
          break;
        case 'n':
          buf[0] = '\n';
          break;
        case 'r':
          buf[0] = '\r';
          break;
        case 't':
          buf[0] = '\t';
          break;
        case 'u': {
          uint32_t cp = (uint32_t)jscan_hex4(raw + i);
          i += 4;
          /* A pair makes one code point; a lone half, U+FFFD. */
          if (cp >= 0xD800 && cp <= 0xDBFF && raw_len - i >= 6 &&
              raw[i] == '\\' && raw[i + 1] == 'u') {
            long lo = jscan_hex4(raw + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
              i += 6;
            }
          }
          k = utf8_encode(cp, buf);
          break;
        }
        default:
          buf[0] = e;
          break; /* " \ / */
      }
    }
    if (n - j < k || memcmp(s + j, buf, k) != 0)
      return false;
    j += k;
  }
  return j == n;
}

int jscan_find(const struct jscan* s, const char* text, const char* key) {
  size_t n = s->nmembers < JSCAN_MAX_MEMBERS ? s->nmembers : JSCAN_MAX_MEMBERS;
  size_t klen = strlen(key);
  for (size_t i = 0; i < n; i++) {
    const struct jscan_member* m = &s->members[i];
    if (m->key_escaped
            ? jscan_str_equals(text + m->key_off, m->key_len, key, klen)
            : m->key_len == klen && memcmp(text + m->key_off, key, klen) == 0)
      return (int)i;
  }
  return -1;
}
