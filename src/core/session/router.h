/* router.h - the client-facing side of mcpmon.
 *
 * Reads the MCP client's stdin through a framer, validates every message
 * (STDIO-4, STDIO-5), answers what mcpmon answers itself (ping, requests
 * before initialize, malformed input), and hands the rest to the backend.
 * Writes everything for the client to stdout, the only writer of stdout.
 *
 * Single mode: one backend; the client's initialize is answered with the
 * backend's result, patched to advertise listChanged (LIFE-3); after each
 * restart the router tells the client with notifications/tools/list_changed.
 * Server-to-client requests are relayed under ids from one counter that
 * never repeats in the session (ID-2).
 */
#ifndef MCPMON_ROUTER_H
#define MCPMON_ROUTER_H

#include <stdbool.h>
#include <uv.h>

#include "core/backend/backend.h"

struct router;

struct router_hooks {
  /* The client closed stdin or stdout (EOF, EPIPE): time to shut down. */
  void (*client_gone)(void* ctx, const char* why);
  /* A backend reached its final state after backend_stop. */
  void (*backend_stopped)(void* ctx, struct backend* b);
  /* notifications/tools/list_changed went out about b (relisted false),
   * or the client then re-read the tools (relisted true). May be NULL. */
  void (*list_changed)(void* ctx, struct backend* b, bool relisted);
  void* ctx;
};

struct router_options {
  size_t max_line;
  unsigned queue_timeout_ms;
};

/* Create the router on the process's stdin/stdout. Returns NULL with the
 * reason in err when stdin or stdout cannot be used. Owned by the caller:
 * router_close, then it frees itself. */
struct router* router_new(uv_loop_t* loop,
                          const struct router_options* opts,
                          const struct router_hooks* hooks,
                          char* err,
                          size_t errlen);

/* The events a backend must be created with so that it reports to r. */
const struct backend_events* router_backend_events(void);

/* Single mode: the one backend (borrowed). */
void router_set_backend(struct router* r, struct backend* b);

/* Start reading the client. Returns 0 or a negative UV code. */
int router_start(struct router* r);

/* Stop reading the client (shutdown has begun). */
void router_stop_input(struct router* r);

/* Flush what is queued for the client, then close stdin/stdout and free r;
 * done(ctx) runs after everything is closed. */
void router_close(struct router* r, void (*done)(void* ctx), void* ctx);

#endif
