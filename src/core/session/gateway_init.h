/* gateway_init.h - the gateway's answer to the client's initialize, made
 * from what its backends answered (issue 13, handshake).
 *
 * Pure: no libuv, no sending, no logging. The gateway (gateway_route.c)
 * collects each ready backend's initialize result, in config order, and
 * asks for the one result the client gets:
 * - protocolVersion: the oldest any ready backend negotiated, so that no
 *   backend is presented as speaking a version it did not accept (GW-3);
 *   the newest when they agree. With no backend ready, the client's own
 *   version where mcpmon knows it, else mcpmon's newest (GW-2's rule).
 * - capabilities: the union of the backends' (members merged one level
 *   deep, a true flag wins), with listChanged true on tools, prompts and
 *   resources where present (mcpmon sends those, LIFE-3); nothing none of
 *   them has; `tasks` too, since the gateway routes them (TASK-3). With no
 *   backend ready, GW-2's fixed superset.
 * - instructions: each backend's under a heading with its name and the
 *   prefix its names carry, in config order; none when none has any.
 * - serverInfo: mcpmon's own.
 */
#ifndef MCPMON_GATEWAY_INIT_H
#define MCPMON_GATEWAY_INIT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* One backend's part: borrowed for the call. result is its initialize
 * result, or NULL when it is not ready (it then adds nothing). */
struct gw_init_part {
  const char* name;
  const char* prefix; /* name + separator, as in "alpha__" */
  const cJSON* result;
};

/* What the composition decided about the version, for the log. */
struct gw_init_notes {
  size_t ready;          /* parts with a result */
  const char* oldest;    /* the version answered, when ready > 0 */
  const char* forced_by; /* a backend with that version, when the parts
                            disagreed (NULL when they agreed) */
  const char* newest;    /* the newest any part negotiated */
};

/* The result for the client (owned by the caller). client_version is the
 * client's protocolVersion, or NULL. notes may be NULL; its pointers point
 * into parts. */
cJSON* gw_compose_init(const struct gw_init_part* parts,
                       size_t n,
                       const char* client_version,
                       const char* server_version,
                       struct gw_init_notes* notes);

#endif
