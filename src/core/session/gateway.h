/* gateway.h - gateway mode: several backends behind one session.
 *
 * mcpmon answers the client's initialize itself (GW-2), initializes every
 * backend with the client's params (GW-1), merges the backends' tools,
 * prompts, resources and templates into one page each (PAG-1) with tool and
 * prompt names prefixed by the backend (NAME-1..5), routes calls by lookup
 * tables and resource URIs by ownership (RES-1, RES-2), fans out logging
 * and roots notifications, and applies config file changes without a
 * restart (GW-5): removed backends stop, added ones start, changed ones
 * restart, and the globals (separator, queue_timeout) take effect.
 */
#ifndef MCPMON_GATEWAY_H
#define MCPMON_GATEWAY_H

#include <uv.h>

#include "config/config.h"
#include "core/session/mode.h"
#include "core/session/session.h"

/* Make the mode for cfg on session s and fill *out. cfg is copied whole
 * (config_copy): the caller may free it at once; cfg->config_path is
 * watched from mode.start on. hooks is copied. Sets itself as s's
 * policy; the backends exist from now on (hooks.backend_added fired for
 * each) and start with mode.start. */
void gateway_mode(uv_loop_t* loop,
                  const struct mcpmon_config* cfg,
                  struct session* s,
                  const struct mode_hooks* hooks,
                  struct mode* out);

#endif
