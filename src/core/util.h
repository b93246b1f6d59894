/* util.h - allocation wrappers and small string helpers shared by the core.
 *
 * The x* allocators never return NULL: on out-of-memory they print one line
 * to stderr and abort(), the only abort on a data path (STYLE.md, Errors).
 * Everything they return is owned by the caller and released with free().
 */
#ifndef MCPMON_UTIL_H
#define MCPMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

void* xmalloc(size_t n);
void* xcalloc(size_t count, size_t size);
void* xrealloc(void* p, size_t n);
char* xstrdup(const char* s);
char* xstrndup(const char* s, size_t n);
/* printf into a new heap string owned by the caller. */
char* xasprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* libuv alloc callback for streams whose reads are consumed inside the
 * read callback (by a framer): every such read uses one static 64 KiB
 * buffer, safe because an alloc and its read callback run back to back. */
void util_read_slab(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);

/* Monotonic clock in milliseconds (uv_hrtime based, any epoch). */
uint64_t util_now_ms(void);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
