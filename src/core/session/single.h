/* single.h - single-server mode: one backend behind the session.
 *
 * The client's initialize is answered with the server's own result,
 * changed only in capabilities to advertise listChanged (LIFE-3); every
 * other request and notification is forwarded as it is (the backend maps
 * ids, ID-1); after each restart the client gets list_changed for the
 * lists it was told about (LIFE, section 3.3 step 11). The server's
 * files are watched (watcher.h) and a settled burst restarts it.
 */
#ifndef MCPMON_SINGLE_H
#define MCPMON_SINGLE_H

#include <uv.h>

#include "config/config.h"
#include "core/session/mode.h"
#include "core/session/session.h"

/* Make the mode for cfg->servers[0] on session s and fill *out. cfg is
 * borrowed and must outlive the mode; hooks is copied. Sets itself as
 * s's policy. The backend exists from now on (hooks.backend_added has
 * fired); mode.start spawns it. */
void single_mode(uv_loop_t* loop,
                 const struct mcpmon_config* cfg,
                 struct session* s,
                 const struct mode_hooks* hooks,
                 struct mode* out);

#endif
