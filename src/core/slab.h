/* slab.h - the read buffer of every stream whose reads are consumed at
 * once (by a framer, inside the read callback).
 *
 * slab_alloc is a libuv alloc callback that hands out one static 64 KiB
 * buffer. That is safe because libuv calls an alloc callback and its read
 * callback back to back on one thread, and the read callback copies what
 * it keeps (framer_push). A stream whose reader keeps the buffer must not
 * use it.
 */
#ifndef MCPMON_SLAB_H
#define MCPMON_SLAB_H

#include <uv.h>

void slab_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);

#endif
