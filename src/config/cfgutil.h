/* cfgutil.h - allocation and string helpers private to src/config.
 *
 * src/config links neither libuv nor src/core (DESIGN.md, Modules), so it
 * cannot use core/util.h. These never return NULL: on out-of-memory they
 * print one line to stderr and abort() (STYLE.md, Errors). What they
 * return is owned by the caller and released with free().
 */
#ifndef MCPMON_CFGUTIL_H
#define MCPMON_CFGUTIL_H

#include <stddef.h>
#include <stdint.h>
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

/* A growable string; zero it to start. p is NUL-terminated once
 * anything was added, NULL before. */
struct cfg_buf {
  char* p;
  size_t n;
  size_t cap;
};

static inline void cfg_buf_add(struct cfg_buf* b, const char* s, size_t n) {
  if (n > SIZE_MAX / 2 - b->n)
    cfg_oom(n); /* no such string fits in memory */
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (b->n + n + 1 > cap) cap *= 2;
    b->p = cfg_xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

/* The string built so far ("" when nothing was added), owned by the
 * caller; b is emptied. */
static inline char* cfg_buf_take(struct cfg_buf* b) {
  char* p = b->p != NULL ? b->p : cfg_xstrdup("");
  memset(b, 0, sizeof(*b));
  return p;
}

#endif
