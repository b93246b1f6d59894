/* control.h - the control socket server (docs/control-protocol.md).
 *
 * Serves a Unix socket, 0600 in a 0700 directory, to processes of the same
 * uid: a snapshot of the instance and its backends, then a stream of events
 * (state, log, tools, traffic, list_changed), and restart commands. Keeps a
 * ring of recent log lines and traffic per backend so a dashboard that
 * attaches late sees the backlog. A client that stops reading is dropped
 * once CONTROL_CLIENT_OUTPUT_MAX bytes wait for it; nothing a client sends
 * can stop the core.
 */
#ifndef MCPMON_CONTROL_H
#define MCPMON_CONTROL_H

#include <stdbool.h>
#include <uv.h>

#include "core/backend/backend.h"

struct control;

struct control_info {
  const char* mode;    /* "single" or "gateway" */
  const char* command; /* single mode: the server command line */
  const char* config;  /* gateway mode: the config file */
};

/* Create the socket at path (NULL: the default path for this pid) and
 * start serving. Installs the log hook. Returns 0 and *out (owned by the
 * caller, released with control_close), or a negative code with the reason
 * in err. Strings in info are copied. */
int control_start(uv_loop_t* loop,
                  const char* path,
                  const struct control_info* info,
                  struct control** out,
                  char* err,
                  size_t errlen);

/* The socket's path (owned by c). */
const char* control_path(const struct control* c);

/* Show backend b (borrowed; stays until control_remove_backend). In single
 * mode, log lines that name no backend are attached to the one added. */
void control_add_backend(struct control* c, struct backend* b);
void control_remove_backend(struct control* c, struct backend* b);

/* notifications/tools/list_changed was sent (relisted false) or the client
 * then re-read the list (relisted true). b NULL: every backend. */
void control_list_changed(struct control* c, struct backend* b, bool relisted);

/* Stop serving: close every client and the socket, remove the file, and
 * free c once all handles have closed. */
void control_close(struct control* c);

#endif
