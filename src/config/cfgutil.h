/* cfgutil.h - allocation helpers private to src/config.
 *
 * src/config links neither libuv nor src/core (DESIGN.md, Modules), so it
 * cannot use core/util.h. These never return NULL: on out-of-memory they
 * print one line to stderr and abort() (STYLE.md, Errors). What they return
 * is owned by the caller and released with free().
 */
#ifndef MCPMON_CFGUTIL_H
#define MCPMON_CFGUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void cfg_oom(size_t n) {
  fprintf(stderr, "mcpmon: out of memory (allocating %zu bytes)\n", n);
  abort();
}

static inline void* cfg_xrealloc(void* p, size_t n) {
  void* q = realloc(p, n ? n : 1);
  if (q == NULL)
    cfg_oom(n);
  return q;
}

static inline void* cfg_xmalloc(size_t n) {
  return cfg_xrealloc(NULL, n);
}

static inline char* cfg_xstrndup(const char* s, size_t n) {
  char* p = cfg_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static inline char* cfg_xstrdup(const char* s) {
  return cfg_xstrndup(s, strlen(s));
}

#endif
