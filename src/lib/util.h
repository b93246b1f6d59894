/* util.h - allocation wrappers and small string helpers shared by every layer.
 * No libuv, no JSON (DESIGN.md, src/lib).
 *
 * The x* allocators never return NULL: on out-of-memory they print one line
 * to stderr and abort(), the only abort on a data path (STYLE.md, Errors).
 * Everything they return is owned by the caller and released with free().
 */
#ifndef MCPMON_UTIL_H
#define MCPMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

void* xmalloc(size_t n);
void* xcalloc(size_t count, size_t size);
void* xrealloc(void* p, size_t n);
char* xstrdup(const char* s);
char* xstrndup(const char* s, size_t n);
/* printf into a new heap string owned by the caller. */
char* xasprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* One large block kept for reuse, process-wide (single-threaded). A large
 * server message travels in its framer's buffer to the client's stdout
 * without a copy (framer_take); once written, that buffer becomes the
 * framer's next one instead of fresh memory, whose first touch costs more
 * than the copy saved (bench/analysis.md).
 * util_spare_put: takes block (cap bytes); keeps it when it is large
 * (>= UTIL_SPARE_MIN) and frees what it replaces, else frees it.
 * util_spare_take: the kept block if it holds at least need bytes (owned
 * by the caller, its size in *cap), else NULL.
 * util_spare_drop: free it (nothing large has moved for a while). */
#define UTIL_SPARE_MIN ((size_t)256 * 1024)
void util_spare_put(char* block, size_t cap);
char* util_spare_take(size_t need, size_t* cap);
void util_spare_drop(void);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
