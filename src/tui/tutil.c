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

char* tu_asprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  char* p = tu_malloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
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
