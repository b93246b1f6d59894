/* control_proto.h - the control socket's wire protocol, shared by the core
 * (control.c, the server) and its clients (src/tui: mcpmon tui, status,
 * restart). The only core header the TUI includes. The protocol itself is
 * documented in docs/control-protocol.md.
 *
 * Bump CONTROL_PROTOCOL_VERSION on any incompatible change (a member that
 * changes meaning or disappears); new members and event types need no bump.
 */
#ifndef MCPMON_CONTROL_PROTO_H
#define MCPMON_CONTROL_PROTO_H

#include <stddef.h>

#define CONTROL_PROTOCOL_VERSION 1

/* Longest line a client may send; longer ones close the connection. */
#define CONTROL_CLIENT_LINE_MAX (64u * 1024u)
/* Longest line the core sends, counted without its '\n'. Every message
 * is built to fit: a snapshot (and a backend_added or tools event) cuts
 * each backend's log and traffic backlog, newest kept, and then its tools,
 * saying how many it left out (logOmitted, trafficOmitted, toolsOmitted).
 * A message that still cannot fit is not sent: the core logs it and
 * answers the client that asked with an error object. */
#define CONTROL_SERVER_LINE_MAX (1024u * 1024u)
/* Output the core holds for one client before dropping it; at least one
 * full line more than a client ever needs to receive at once. */
#define CONTROL_CLIENT_OUTPUT_MAX (4u * 1024u * 1024u)
/* Ring sizes kept per backend. */
#define CONTROL_LOG_RING 500
#define CONTROL_TRAFFIC_RING 200
/* mcpmon's own events kept (all backends together), and the room the
 * newest of them get in a snapshot, in bytes. */
#define CONTROL_EVENTS_RING 200
#define CONTROL_EVENTS_SNAPSHOT_MAX (64u * 1024u)
/* Longest log text kept (bytes, cut at a UTF-8 boundary). */
#define CONTROL_LOG_TEXT_MAX 4096u
/* Longest method, tool and error text of a traffic entry, each. */
#define CONTROL_TRAFFIC_TEXT_MAX 4096u
/* Request/response bodies kept for traffic_detail, each. */
#define CONTROL_TRAFFIC_BODY_MAX (16u * 1024u)

/* The directory where instances put their sockets by default:
 * $XDG_RUNTIME_DIR/mcpmon, else /tmp/mcpmon-UID. Writes it into buf and
 * returns 0, or -1 when it does not fit. */
int control_default_dir(char* buf, size_t cap);

/* The default socket path of the instance with this pid. */
int control_default_path(long pid, char* buf, size_t cap);

#endif
