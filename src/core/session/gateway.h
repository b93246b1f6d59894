/* gateway.h - gateway mode: several backends behind one MCP endpoint.
 *
 * mcpmon answers the client's initialize itself (GW-2), initializes every
 * backend with the client's params (GW-1), merges the backends' tools,
 * prompts, resources and templates into one page each (PAG-1) with tool and
 * prompt names prefixed by the backend (NAME-1..5), routes calls by lookup
 * tables and resource URIs by ownership (RES-1, RES-2), fans out logging
 * and roots notifications, and applies config file changes without a
 * restart: removed backends stop, added ones start, changed ones restart.
 */
#ifndef MCPMON_GATEWAY_H
#define MCPMON_GATEWAY_H

#include <stdbool.h>
#include <uv.h>

#include "config/config.h"
#include "core/backend/backend.h"

struct gateway;

struct gateway_hooks {
  /* The gateway finished shutting down (after gateway_shutdown, or when
   * the client went away); everything is closed. */
  void (*closed)(void* ctx);
  /* A backend appeared or is about to be freed (for the control socket).
   * May be NULL. */
  void (*backend_added)(void* ctx, struct backend* b);
  void (*backend_removed)(void* ctx, struct backend* b);
  /* tools list_changed sent (b, relisted false), or the client re-listed
   * (b NULL, relisted true). May be NULL. */
  void (*list_changed)(void* ctx, struct backend* b, bool relisted);
  void* ctx;
};

/* Create the gateway for cfg (copied; cfg->config_path is watched). Opens
 * stdin/stdout. Returns NULL with the reason in err. */
struct gateway* gateway_new(uv_loop_t* loop,
                            const struct mcpmon_config* cfg,
                            const struct gateway_hooks* hooks,
                            char* err,
                            size_t errlen);

/* Start the backends, their watchers, the config watcher and reading the
 * client. */
void gateway_start(struct gateway* gw);

/* Stop everything; hooks.closed fires when done. why is logged. */
void gateway_shutdown(struct gateway* gw, const char* why);

/* SIGKILL every backend still stopping (a second signal). */
void gateway_kill_now(struct gateway* gw);

#endif
