/* util.c - see util.h. */
#include "lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void util_oom(size_t n) {
  fprintf(stderr, "mcpmon: out of memory (allocating %zu bytes)\n", n);
  abort();
}

void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (p == NULL)
    util_oom(n);
  return p;
}

void* xcalloc(size_t count, size_t size) {
  void* p = calloc(count ? count : 1, size ? size : 1);
  if (p == NULL)
    util_oom(count * size);
  return p;
}

void* xrealloc(void* p, size_t n) {
  void* q = realloc(p, n ? n : 1);
  if (q == NULL)
    util_oom(n);
  return q;
}

char* xstrdup(const char* s) {
  return xstrndup(s, strlen(s));
}

char* xstrndup(const char* s, size_t n) {
  char* p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char* xasprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    util_oom(0);
  char* p = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

static char* util_spare;
static size_t util_spare_cap;

void util_spare_put(char* block, size_t cap) {
  if (cap < UTIL_SPARE_MIN) {
    free(block);
    return;
  }
  free(util_spare);
  util_spare = block;
  util_spare_cap = cap;
}

char* util_spare_take(size_t need, size_t* cap) {
  if (util_spare == NULL || util_spare_cap < need)
    return NULL;
  char* b = util_spare;
  *cap = util_spare_cap;
  util_spare = NULL;
  util_spare_cap = 0;
  return b;
}

void util_spare_drop(void) {
  free(util_spare);
  util_spare = NULL;
  util_spare_cap = 0;
}
