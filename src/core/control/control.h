/* control.h - the control socket server (docs/control-protocol.md).
 *
 * Serves a Unix socket, 0600 in a 0700 directory, to processes of the same
 * effective uid: a hello, then on request a snapshot of the instance and its
 * backends, a stream of events (state, log, tools, traffic, list_changed,
 * backend_added, backend_removed), restart commands and traffic details.
 * Keeps a ring of recent log lines and traffic per backend so that a
 * dashboard that attaches late sees the backlog.
 *
 * Bounds (src/proto/control_proto.h), so that nothing a client does or
 * fails to do can stop the core or grow its memory without end:
 *  - a command line over CONTROL_CLIENT_LINE_MAX bytes gets an error and
 *    the connection is closed;
 *  - every line the core sends is at most CONTROL_SERVER_LINE_MAX bytes:
 *    the snapshot (and backend_added, tools) is cut to fit when built,
 *    newest log and traffic kept (control_json.h); what still cannot fit
 *    is never dropped in silence: it is logged, and the client that asked
 *    gets an error object instead;
 *  - a client for which more than CONTROL_CLIENT_OUTPUT_MAX bytes wait
 *    (it stopped reading) is dropped, and that is logged.
 *
 * The files, calls running one way (DESIGN.md):
 *   control.c        this API: the socket, clients, caps, commands
 *   control_json.c   the JSON of every message, bounded
 *   control_model.c  what is shown: a record per backend, the backend
 *                    observer and the log hook, reporting up by callback
 *   control_rings.c  the rings of log lines and traffic (pure)
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
 * start serving on loop. Installs the log hook (log_set_hook: every line
 * logged from now on is also kept and sent to subscribers). Returns 0 and
 * *out (owned by the caller, released with control_close), or a negative
 * UV_E* code with the reason in err; nothing is left to release then.
 * Strings in info are copied.
 * The folder is checked first (proto/control_dir.h): the default one must
 * be private (made 0700, never through a symlink, ours), the folder of a
 * path given must be one nobody else can write (or sticky); otherwise
 * UV_EACCES, with err naming the folder, what is wrong and the fix. */
int control_start(uv_loop_t* loop,
                  const char* path,
                  const struct control_info* info,
                  struct control** out,
                  char* err,
                  size_t errlen);

/* The socket's path (owned by c). */
const char* control_path(const struct control* c);

/* Show backend b (borrowed: it must stay valid until
 * control_remove_backend or control_close). c becomes b's observer
 * (backend_set_observer, replacing any other) and subscribers get a
 * backend_added event. In single mode, log lines that name no backend are
 * attached to the first backend added. */
void control_add_backend(struct control* c, struct backend* b, size_t index);
/* Stop showing b: clears its observer, drops its rings, and subscribers
 * get a backend_removed event. Unknown b: nothing. */
void control_remove_backend(struct control* c, struct backend* b);
/* A reload swapped old for now (issue 14): the same row shows now.
 * Unknown old: now is added. */
void control_replace_backend(struct control* c,
                             struct backend* old,
                             struct backend* now);

/* Traffic the session answered or relayed itself (issue 15), of b or of
 * no backend (b NULL: gateway-level in gateway mode, the one backend in
 * single mode); see ctl_model_traffic. Returns the entry's seq, 0 when
 * not recorded. c NULL: nothing. */
uint64_t control_traffic(struct control* c,
                         struct backend* b,
                         const struct backend_traffic* t);

/* notifications/tools/list_changed was sent (relisted false) or the client
 * then re-read the list (relisted true). b NULL: every backend. */
void control_list_changed(struct control* c, struct backend* b, bool relisted);

/* The newest lines (at most lines) of b's log ring, its stderr and
 * mcpmon's lines about it, as text: "HH:MM:SS level source: text\n"
 * each, oldest first; heap, caller frees; NULL when b is not shown. For
 * mcpmon__logs (issue 15). c may be NULL (then NULL). */
char* control_log_text(struct control* c, struct backend* b, int lines);

/* The instance is shutting down (why: "SIGTERM", "the client closed its
 * input", ...): every client gets {"type":"bye","reason":why}, and from
 * now on backends removed on the way out leave no backend_removed event,
 * so that dashboards keep the last rows they saw. Once; c may be NULL. */
void control_ending(struct control* c, const char* why);

/* Stop serving: remove the log hook and the socket file, drop every
 * client, clear every backend's observer, and free c once all handles have
 * closed (the loop must run on for that). c NULL: nothing. */
void control_close(struct control* c);

#endif
