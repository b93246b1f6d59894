/* jscan.c - see jscan.h.
 *
 * One pass, no recursion: the kind of each open container (object or
 * array) is a bit in a fixed stack, so deep nesting costs 64 bytes of
 * stack, not a call frame per level. String bodies, where large messages
 * spend their bytes, are skipped 16 bytes at a time (SSE2, which every
 * x86-64 has) up to the next quote, backslash or control character.
 */
#include "core/jscan.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static bool jscan_digit(char c) {
  return c >= '0' && c <= '9';
}

static enum jscan_type jscan_type_of(char c) {
  switch (c) {
    case '{': return JSCAN_OBJECT;
    case '[': return JSCAN_ARRAY;
    case '"': return JSCAN_STRING;
    case 't': return JSCAN_TRUE;
    case 'f': return JSCAN_FALSE;
    case 'n': return JSCAN_NULL;
    default: return JSCAN_NUMBER;
  }
}

/* Skip whitespace; note CR and LF in *line_break. */
static inline const char* jscan_ws(const char* p,
                                   const char* end,
                                   bool* line_break) {
  while (p < end) {
    char c = *p;
    if (c == ' ' || c == '\t') {
      p++;
    } else if (c == '\n' || c == '\r') {
      *line_break = true;
      p++;
    } else {
      break;
    }
  }
  return p;
}

/* The first '"', '\\' or byte below 0x20 at or after p, or end. */
static inline const char* jscan_plain(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1f);
  while ((size_t)(end - p) >= 32) {
    __m128i a = _mm_loadu_si128((const __m128i*)(const void*)p);
    __m128i b = _mm_loadu_si128((const __m128i*)(const void*)(p + 16));
    /* min(v, 0x1f) == v exactly when v <= 0x1f, unsigned. */
    __m128i ma = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(a, quote), _mm_cmpeq_epi8(a, bslash)),
        _mm_cmpeq_epi8(_mm_min_epu8(a, ctl), a));
    __m128i mb = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, bslash)),
        _mm_cmpeq_epi8(_mm_min_epu8(b, ctl), b));
    unsigned m = (unsigned)_mm_movemask_epi8(ma) |
                 ((unsigned)_mm_movemask_epi8(mb) << 16);
    if (m != 0)
      return p + __builtin_ctz(m);
    p += 32;
  }
#endif
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\' || c < 0x20)
      return p;
    p++;
  }
  return end;
}

/* The value of 4 hex digits at p, or -1. */
static long jscan_hex4(const char* p) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* The escape at p (a backslash): returns what follows it, or NULL with
 * *err set. */
static const char* jscan_escape(const char* p,
                                const char* end,
                                const char** err) {
  if (end - p < 2) {
    *err = "unterminated string";
    return NULL;
  }
  switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
      return p + 2;
    case 'u':
      break;
    default:
      *err = "invalid escape in a string";
      return NULL;
  }
  long cp = end - p >= 6 ? jscan_hex4(p + 2) : -1;
  if (cp < 0) {
    *err = "invalid \\u escape";
    return NULL;
  }
  if (cp >= 0xDC00 && cp <= 0xDFFF) {
    *err = "unpaired UTF-16 surrogate";
    return NULL;
  }
  if (cp < 0xD800 || cp > 0xDBFF)
    return p + 6;
  long lo = -1;
  if (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
    lo = jscan_hex4(p + 8);
  if (lo < 0xDC00 || lo > 0xDFFF) {
    *err = "unpaired UTF-16 surrogate";
    return NULL;
  }
  return p + 12;
}

/* p follows the opening quote: returns the closing quote, or NULL with
 * *err set and *at where it failed. */
static const char* jscan_string(const char* p,
                                const char* end,
                                bool* escaped,
                                const char** err,
                                const char** at) {
  for (;;) {
    p = jscan_plain(p, end);
    if (p == end) {
      *err = "unterminated string";
      *at = p;
      return NULL;
    }
    if (*p == '"')
      return p;
    if (*p != '\\') {
      *err = "control character in a string";
      *at = p;
      return NULL;
    }
    *escaped = true;
    const char* next = jscan_escape(p, end, err);
    if (next == NULL) {
      *at = p;
      return NULL;
    }
    p = next;
  }
}

/* A number by the RFC grammar at p: returns what follows it, or NULL with
 * *err set. */
static const char* jscan_number(const char* p,
                                const char* end,
                                const char** err) {
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0') {
    p++;
    if (p < end && jscan_digit(*p)) {
      *err = "number with a leading zero";
      return NULL;
    }
  } else if (p < end && *p >= '1' && *p <= '9') {
    while (++p < end && jscan_digit(*p)) {
    }
  } else {
    *err = "invalid value";
    return NULL;
  }
  if (p < end && *p == '.') {
    p++;
    if (p == end || !jscan_digit(*p)) {
      *err = "number without digits after its point";
      return NULL;
    }
    while (++p < end && jscan_digit(*p)) {
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    if (p == end || !jscan_digit(*p)) {
      *err = "number without exponent digits";
      return NULL;
    }
    while (++p < end && jscan_digit(*p)) {
    }
  }
  return p;
}

#define JSCAN_FAIL(msg, where) \
  do {                         \
    out->err = (msg);          \
    at = (where);              \
    goto fail;                 \
  } while (0)

bool jscan_scan(const char* text, size_t len, struct jscan* out) {
  const char* p = text;
  const char* end = text + len;
  const char* at = text;
  /* Bit d: open container d is an object (else an array). */
  uint64_t is_obj[JSCAN_MAX_DEPTH / 64] = {0};
  int depth = 0;
  bool lb = false;
  bool escaped;
  const char* q;
  struct jscan_member* cur = NULL; /* the member being scanned, depth 1 */

  out->type = JSCAN_NONE;
  out->nmembers = 0;
  out->line_break = false;
  out->err = NULL;
  out->err_off = 0;
  p = jscan_ws(p, end, &lb);
  out->off = (size_t)(p - text);

value:
  if (p == end)
    JSCAN_FAIL("expected a value", p);
  if (depth == 0)
    out->type = jscan_type_of(*p);
  else if (cur != NULL && depth == 1) {
    cur->off = (size_t)(p - text);
    cur->type = jscan_type_of(*p);
  }
  switch (*p) {
    case '{':
      if (depth == JSCAN_MAX_DEPTH)
        JSCAN_FAIL("nested too deep", p);
      is_obj[depth >> 6] |= (uint64_t)1 << (depth & 63);
      depth++;
      p = jscan_ws(p + 1, end, &lb);
      if (p < end && *p == '}') {
        p++;
        depth--;
        goto after;
      }
      goto key;
    case '[':
      if (depth == JSCAN_MAX_DEPTH)
        JSCAN_FAIL("nested too deep", p);
      is_obj[depth >> 6] &= ~((uint64_t)1 << (depth & 63));
      depth++;
      p = jscan_ws(p + 1, end, &lb);
      if (p < end && *p == ']') {
        p++;
        depth--;
        goto after;
      }
      goto value;
    case '"':
      escaped = false;
      q = jscan_string(p + 1, end, &escaped, &out->err, &at);
      if (q == NULL)
        goto fail;
      p = q + 1;
      goto after;
    case 't':
      if (end - p < 4 || memcmp(p, "true", 4) != 0)
        JSCAN_FAIL("invalid value", p);
      p += 4;
      goto after;
    case 'f':
      if (end - p < 5 || memcmp(p, "false", 5) != 0)
        JSCAN_FAIL("invalid value", p);
      p += 5;
      goto after;
    case 'n':
      if (end - p < 4 || memcmp(p, "null", 4) != 0)
        JSCAN_FAIL("invalid value", p);
      p += 4;
      goto after;
    default:
      q = jscan_number(p, end, &out->err);
      if (q == NULL) {
        at = p;
        goto fail;
      }
      p = q;
      goto after;
  }

after: /* a value ended at p */
  if (depth == 0)
    goto finish;
  if (depth == 1 && cur != NULL) {
    cur->len = (size_t)(p - text) - cur->off;
    cur = NULL;
  }
  p = jscan_ws(p, end, &lb);
  if (p == end)
    JSCAN_FAIL("unterminated object or array", p);
  if ((is_obj[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1) {
    if (*p == '}') {
      p++;
      depth--;
      goto after;
    }
    if (*p != ',')
      JSCAN_FAIL("expected ',' or '}'", p);
    p = jscan_ws(p + 1, end, &lb);
    goto key;
  }
  if (*p == ']') {
    p++;
    depth--;
    goto after;
  }
  if (*p != ',')
    JSCAN_FAIL("expected ',' or ']'", p);
  p = jscan_ws(p + 1, end, &lb);
  goto value;

key: /* p is at an object's key */
  if (p == end || *p != '"')
    JSCAN_FAIL("expected a string key", p);
  escaped = false;
  q = jscan_string(p + 1, end, &escaped, &out->err, &at);
  if (q == NULL)
    goto fail;
  if (depth == 1) {
    size_t n = out->nmembers++;
    cur = n < JSCAN_MAX_MEMBERS ? &out->members[n] : NULL;
    if (cur != NULL) {
      cur->key_off = (size_t)(p + 1 - text);
      cur->key_len = (size_t)(q - p - 1);
      cur->key_escaped = escaped;
    }
  }
  p = jscan_ws(q + 1, end, &lb);
  if (p == end || *p != ':')
    JSCAN_FAIL("expected ':'", p);
  p = jscan_ws(p + 1, end, &lb);
  goto value;

finish:
  out->len = (size_t)(p - text) - out->off;
  p = jscan_ws(p, end, &lb);
  if (p != end)
    JSCAN_FAIL("text after the JSON value", p);
  out->line_break = lb;
  return true;

fail:
  out->err_off = (size_t)(at - text);
  out->type = JSCAN_NONE;
  return false;
}

/* Writes code point cp as UTF-8 into buf; returns its length. */
static size_t jscan_utf8(unsigned long cp, unsigned char buf[4]) {
  if (cp < 0x80) {
    buf[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (unsigned char)(0xC0 | (cp >> 6));
    buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (unsigned char)(0xE0 | (cp >> 12));
    buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = (unsigned char)(0xF0 | (cp >> 18));
  buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
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
    unsigned char buf[4];
    size_t k = 1;
    if (raw[i] != '\\') {
      buf[0] = (unsigned char)raw[i++];
    } else {
      char e = raw[i + 1];
      i += 2;
      switch (e) {
        case 'b': buf[0] = '\b'; break;
        case 'f': buf[0] = '\f'; break;
        case 'n': buf[0] = '\n'; break;
        case 'r': buf[0] = '\r'; break;
        case 't': buf[0] = '\t'; break;
        case 'u': {
          unsigned long cp = (unsigned long)jscan_hex4(raw + i);
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned long lo = (unsigned long)jscan_hex4(raw + i + 2);
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          k = jscan_utf8(cp, buf);
          break;
        }
        default: buf[0] = (unsigned char)e; break; /* " \ / */
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
    if (m->key_escaped ? jscan_str_equals(text + m->key_off, m->key_len, key,
                                          klen)
                       : m->key_len == klen &&
                             memcmp(text + m->key_off, key, klen) == 0)
      return (int)i;
  }
  return -1;
}
