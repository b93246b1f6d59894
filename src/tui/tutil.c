/* tutil.c - see tutil.h. */
#include "tui/tutil.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static void (*tu_fatal_hook)(void);

void tu_set_fatal_hook(void (*hook)(void)) {
  tu_fatal_hook = hook;
}

static void tu_oom(void) {
  static const char msg[] = "mcpmon: out of memory\n";
  if (tu_fatal_hook != NULL)
    tu_fatal_hook();
  ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)n;
  _exit(1);
}

void* tu_malloc(size_t n) {
  void* p = malloc(n == 0 ? 1 : n);
  if (p == NULL)
    tu_oom();
  return p;
}

void* tu_calloc(size_t count, size_t size) {
  void* p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
  if (p == NULL)
    tu_oom();
  return p;
}

void* tu_realloc(void* p, size_t n) {
  void* q = realloc(p, n == 0 ? 1 : n);
  if (q == NULL)
    tu_oom();
  return q;
}

void* tu_grow(void* p, size_t* cap, size_t need, size_t size, size_t first) {
  if (need <= *cap)
    return p;
  size_t c = *cap ? *cap : first;
  while (c < need) c *= 2;
  *cap = c;
  return tu_realloc(p, c * size);
}

char* tu_strdup(const char* s) {
  return tu_strndup(s, strlen(s));
}

char* tu_strndup(const char* s, size_t n) {
  size_t len = strnlen(s, n);
  char* p = tu_malloc(len + 1);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

char* tu_vasprintf(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    n = 0;
  char* p = tu_malloc((size_t)n + 1);
  p[0] = '\0';
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char* tu_asprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char* p = tu_vasprintf(fmt, ap);
  va_end(ap);
  return p;
}

static void* tu_cjson_malloc(size_t n) {
  return tu_malloc(n);
}

void tu_cjson_hooks(void) {
  cJSON_Hooks hooks = {tu_cjson_malloc, free};
  cJSON_InitHooks(&hooks);
}

int64_t tu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_fmt_duration(int64_t ms, char* buf, size_t cap) {
  int64_t s = ms < 0 ? 0 : ms / 1000;
  if (s < 60)
    snprintf(buf, cap, "%llds", (long long)s);
  else if (s < 3600)
    snprintf(buf, cap, "%lldm%02llds", (long long)(s / 60),
             (long long)(s % 60));
  else if (s < 86400)
    snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600),
             (long long)(s % 3600 / 60));
  else
    snprintf(buf, cap, "%lldd%02lldh", (long long)(s / 86400),
             (long long)(s % 86400 / 3600));
}

void tu_fmt_clock(int64_t ms, bool millis, char* buf, size_t cap) {
  if (ms <= 0) {
    snprintf(buf, cap, "%s", millis ? "--:--:--.---" : "--:--:--");
    return;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  if (millis)
    snprintf(buf, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  else
    snprintf(buf, cap, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

size_t tu_strwidth(const char* s) {
  mbstate_t st;
  memset(&st, 0, sizeof(st));
  size_t w = 0;
  size_t left = strlen(s);
  while (left > 0) {
    wchar_t wc;
    size_t n = mbrtowc(&wc, s, left, &st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
      memset(&st, 0, sizeof(st));
      n = 1;
      w++;
    } else {
      int cw = wcwidth(wc);
      w += cw < 0 ? 1 : (size_t)cw;
    }
    s += n;
    left -= n;
  }
  return w;
}

size_t tu_fit(const char* s, int cols, int* width) {
  mbstate_t st;
  memset(&st, 0, sizeof(st));
  const char* start = s;
  int w = 0;
  size_t left = strlen(s);
  while (left > 0) {
    wchar_t wc;
    size_t n = mbrtowc(&wc, s, left, &st);
    int cw = 1;
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
      memset(&st, 0, sizeof(st));
      n = 1;
    } else {
      cw = wcwidth(wc);
      if (cw < 0)
        cw = 1;
    }
    if (w + cw > cols)
      break;
    w += cw;
    s += n;
    left -= n;
  }
  *width = w;
  return (size_t)(s - start);
}

int64_t tu_json_int(const cJSON* v, int64_t dflt) {
  if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble)
    return dflt;
  double d = v->valuedouble;
  if (d >= 9223372036854775807.0)
    return INT64_MAX;
  if (d <= -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t)d;
}

size_t tu_list_top(size_t top, long cur, int h, size_t n) {
  if (cur >= 0) {
    if ((size_t)cur < top)
      top = (size_t)cur;
    if ((size_t)cur >= top + (size_t)h)
      top = (size_t)cur - (size_t)h + 1;
  }
  if (top + (size_t)h > n)
    top = n > (size_t)h ? n - (size_t)h : 0;
  return top;
}

/* Length of the valid UTF-8 sequence at p (left bytes, left > 0), or 0
 * when p starts none. Sets *cp to its code point. */
static size_t tu_utf8_len(const unsigned char* p, size_t left, uint32_t* cp) {
  unsigned c = p[0];
  size_t n;
  uint32_t min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80, *cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800, *cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000, *cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (p[i] & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
    return 0;
  return n;
}

/* Appends to a growing string. */
struct tu_out {
  char* buf;
  size_t len, cap;
};

static void tu_out_put(struct tu_out* o, const char* s, size_t n) {
  o->buf = tu_grow(o->buf, &o->cap, o->len + n + 1, 1, 64);
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void tu_out_hex(struct tu_out* o, const char* fmt, unsigned v) {
  char hex[8];
  int n = snprintf(hex, sizeof(hex), fmt, v);
  tu_out_put(o, hex, (size_t)n);
}

char* tu_escape(const char* s) {
  struct tu_out o = {NULL, 0, 0};
  tu_out_put(&o, "", 0);
  const unsigned char* p = (const unsigned char*)s;
  size_t left = strlen(s);
  while (left > 0) {
    uint32_t cp;
    size_t n = tu_utf8_len(p, left, &cp);
    if (n > 0 && cp == '\t') {
      tu_out_put(&o, "\\t", 2);
    } else if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      if (n == 0)
        n = 1;
      for (size_t i = 0; i < n; i++) tu_out_hex(&o, "\\x%02x", p[i]);
    } else {
      tu_out_put(&o, (const char*)p, n);
    }
    p += n;
    left -= n;
  }
  return o.buf;
}

char* tu_escape_json(const char* json) {
  struct tu_out o = {NULL, 0, 0};
  tu_out_put(&o, "", 0);
  const unsigned char* p = (const unsigned char*)json;
  size_t left = strlen(json);
  while (left > 0) {
    uint32_t cp;
    size_t n = tu_utf8_len(p, left, &cp);
    if (n == 0) {
      tu_out_put(&o, "\\ufffd", 6);
      n = 1;
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      tu_out_hex(&o, "\\u%04x", cp); /* cJSON leaves none below 0x20 */
    } else {
      tu_out_put(&o, (const char*)p, n);
    }
    p += n;
    left -= n;
  }
  return o.buf;
}
