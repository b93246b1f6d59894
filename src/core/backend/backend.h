/* backend.h - one supervised MCP server process.
 *
 * A backend spawns its server in its own process group with stdio pipes,
 * runs the MCP handshake with the client's stored initialize params,
 * forwards client messages with its own ids (ID-1) and restores the
 * client's ids on the way back, queues what arrives while the server is not
 * ready, restarts it on request (file change) or after a crash (with
 * backoff), and keeps copies of the server's lists (tools; in gateway
 * mode prompts, resources and resource templates too).
 *
 * State machine (DESIGN.md):
 *   starting -> initializing -> ready -> restarting -> starting ...
 *   any running state -> (crash) -> crashed (backoff) -> starting
 *   crashed too often -> waiting (for a file change or a restart command)
 *   any -> stopping -> stopped (shutdown)
 *   any -> stopping -> stopped (backend_user_stop: "off") -> starting
 *     (backend_user_start)
 *   disabled (enabled: false in the config) -> starting (backend_user_start)
 *
 * Ownership and lifetimes:
 * - Everything the backend hands its owner through struct backend_events
 *   as cJSON* is owned by the owner from then on; other pointers passed
 *   to a callback are valid during the call only.
 * - The backend keeps its own deep copy of the server config
 *   (backend_options.server): the caller's copy may go at any time.
 * - Pointers the accessors below return point into the backend; each
 *   says until when it stays valid. None outlives backend_free.
 * - backend_free may be called in any state (it SIGKILLs a process still
 *   running), outside the backend's callbacks or from on_stopped, not
 *   from its other callbacks; the memory goes once its timers have
 *   closed, on a later loop turn.
 *
 * The backend never writes to stdout.
 */
#ifndef MCPMON_BACKEND_H
#define MCPMON_BACKEND_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "core/log.h"
#include "proto/jlist.h"
#include "proto/jmsg.h"

enum backend_state {
  BACKEND_IDLE,         /* created, not started */
  BACKEND_STARTING,     /* spawned; waiting for the client's params */
  BACKEND_INITIALIZING, /* initialize sent, waiting for its result */
  BACKEND_READY,
  BACKEND_RESTARTING, /* stopping the old process to start a new one */
  BACKEND_CRASHED,    /* exited on its own; restart after backoff */
  BACKEND_WAITING,    /* crashed repeatedly: waiting for file changes */
  BACKEND_STOPPING,   /* shutting down for good, or stopped by the user */
  BACKEND_STOPPED,    /* for good, or by the user (backend_is_off) */
  BACKEND_DISABLED,   /* enabled: false in the config: never started */
};

const char* backend_state_name(enum backend_state s);

/* The lists a backend keeps a copy of (PAG-1). */
enum backend_list {
  BACKEND_LIST_TOOLS,
  BACKEND_LIST_PROMPTS,
  BACKEND_LIST_RESOURCES,
  BACKEND_LIST_TEMPLATES,
  BACKEND_LIST_KINDS,
};

struct backend;

struct backend_events {
  /* A message mcpmon made for the client: an error for a forwarded
   * request, under the client's id. Takes ownership of msg. */
  void (*on_message)(struct backend* b, void* ctx, cJSON* msg);
  /* A server's message for the client as its text (issue 12 item 3): a
   * notification, or a response to a forwarded request with the client's
   * id spliced in (one that on_response_text did not take). Takes m. */
  void (*on_text)(struct backend* b, void* ctx, struct jmsg* m);
  /* A response to a forwarded request passed on as text: the server's
   * line, valid JSON-RPC, with the client's original id in place of
   * mcpmon's and a trailing '\n', ready for the client's stdout, in n
   * pieces (client_send_pieces). The large pieces point into block (heap,
   * cap bytes), whose ownership passes with the call; the others are
   * valid during the call only. May be NULL: every response then comes
   * through on_message. */
  void (*on_response_text)(struct backend* b,
                           void* ctx,
                           const uv_buf_t* pieces,
                           unsigned n,
                           char* block,
                           size_t cap);
  /* The answer to a request forwarded with backend_forward_watched, with
   * the client's id in place: the server's, or an error mcpmon made for
   * it (crashed, restarted, not ready in time). Takes m. May be NULL:
   * such requests are then answered as others are. */
  void (*on_reply)(struct backend* b,
                   void* ctx,
                   struct jmsg* m,
                   uint64_t cookie);
  /* A request from the server to the client (sampling, roots, ...), with
   * the server's own id. Answer through backend_send_response with the
   * same generation. Takes m. */
  void (*on_server_request)(struct backend* b,
                            void* ctx,
                            struct jmsg* m,
                            uint64_t generation);
  /* The handshake of process `generation` completed; first is true for
   * the first process ever (the client's initialize waits for this). */
  void (*on_initialized)(struct backend* b, void* ctx, bool first);
  /* Ready after a restart: queued requests were sent; time to tell the
   * client that lists may have changed (LIFE, §3.3 step 11). */
  void (*on_restarted)(struct backend* b, void* ctx);
  /* Ready again after backend_user_start of a server that had run
   * before, its lists fetched (instead of on_restarted and that
   * on_lists): changed has bit (1 << enum backend_list) set for each list
   * that differs from the one before the stop. May be NULL: on_lists
   * then reports the fetch. */
  void (*on_resumed)(struct backend* b, void* ctx, unsigned changed);
  /* The process of `generation` is gone: its server->client requests will
   * never be answered by it (CAN-3). */
  void (*on_process_gone)(struct backend* b, void* ctx, uint64_t generation);
  /* The backend reached a final state after backend_stop. */
  void (*on_stopped)(struct backend* b, void* ctx);
  /* Its lists were fetched after it became ready or after its own
   * list_changed; changed has bit (1 << enum backend_list) set for each
   * list that was refreshed (0: nothing to fetch). May be NULL. */
  void (*on_lists)(struct backend* b, void* ctx, unsigned changed);
  /* Any state change (may be NULL). */
  void (*on_state)(struct backend* b, void* ctx);
  /* backend_restart of a backend that would restart: return true when
   * the owner reloads it itself (issue 14: a build first, a new backend
   * beside it), false to let the backend stop and start its server now
   * (may be NULL). */
  bool (*on_restart)(struct backend* b, void* ctx, const char* why);
};

/* One exchange for the dashboard's traffic view (issue 15): reported once
 * when a request arrives (running, seq 0: the observer returns the seq it
 * gave the entry) and once more when it is answered (the same seq, ms,
 * ok, error, response). A request whose begin was not seen is reported
 * once, not running, with seq 0. */
struct backend_traffic {
  uint64_t seq;     /* 0: a new entry; else the one begun as this seq */
  bool running;     /* arrived, not answered yet */
  bool from_server; /* a request of the server to the client (sampling,
                       elicitation, roots); else the client's */
  const char* method;
  const char* tool;     /* params.name of tools/call and prompts/get */
  double ms;            /* request to answer (not while running) */
  bool ok;              /* false: an error, or a tool result with
                           isError true */
  const char* error;    /* its message (a tool's first text) when !ok */
  const char* request;  /* the request (on its begin), NUL-terminated,
                           cut to body_max; NULL when none */
  const char* response; /* the answer as it went (without the newline),
                           not NUL-terminated, cut to body_max; NULL
                           when none */
  size_t response_len;
};

/* Who watches a backend besides its owner (the control socket). Every
 * member may be NULL; pointers are valid only during the call. The
 * struct is borrowed by backend_set_observer. */
struct backend_observer {
  void (*on_state)(struct backend* b, void* ctx);
  void (*on_tools)(struct backend* b, void* ctx);
  /* Returns the seq of the entry (0: not recorded). */
  uint64_t (*on_traffic)(struct backend* b,
                         void* ctx,
                         const struct backend_traffic* t);
  /* A notifications/message of the server (LOG-2), as one line: level
   * mapped onto mcpmon's, text "logger: data" (data as text when a
   * string, else compact JSON), not cut. */
  void (*on_log)(struct backend* b,
                 void* ctx,
                 enum log_level level,
                 const char* text);
  /* b is being freed (backend_free): requests still running were
   * reported ended; forget b. */
  void (*on_gone)(struct backend* b, void* ctx);
  size_t body_max; /* >0: request and response bodies for traffic, cut to
                      this size */
};

/* The owner answered or relayed something in b's name that the backend
 * never saw (issue 15): report it to b's observer as the backend would.
 * Returns the observer's seq, 0 when nothing observes b. */
uint64_t backend_report_traffic(struct backend* b,
                                const struct backend_traffic* t);

struct backend_options {
  const struct server_config* server; /* copied by backend_new */
  size_t max_line;                    /* JSON-RPC line limit */
  unsigned queue_timeout_ms;
  bool gateway; /* log lines carry the name */
  bool trial;   /* issue 14: a new server started beside the serving one:
                   a crash or failed handshake ends it (STOPPED, with
                   on_stopped and backend_failure) instead of restarting
                   it, until backend_promote */
};

/* Create a backend (not started). opts is used during the call only (its
 * server config is copied); ev is copied; ctx is passed back to every
 * callback. Returns the backend, owned by the caller and released with
 * backend_free (usually after on_stopped). */
struct backend* backend_new(uv_loop_t* loop,
                            const struct backend_options* opts,
                            const struct backend_events* ev,
                            void* ctx);

/* Spawn the server. The handshake starts once params are known. Returns
 * 0, or a negative code with the reason logged. A backend whose config
 * says enabled: false is made DISABLED and not spawned (0). */
int backend_start(struct backend* b);

/* The client's initialize params (LIFE-1), copied. Starts the handshake
 * if the process is up. */
void backend_set_init_params(struct backend* b, const cJSON* params);

/* The initialize result of the current (or last) server, or NULL.
 * Borrowed: valid until the next server's handshake completes (before
 * on_initialized) or backend_free. */
const cJSON* backend_init_result(const struct backend* b);

/* Forward a client request (takes m). The server gets the client's bytes
 * with only the id replaced (ID-1). Its answer comes back through
 * on_response_text, on_text or on_message, always: forwarded, queued, or
 * an error. */
void backend_forward_request(struct backend* b, struct jmsg* m);
/* The same for a request whose answer the owner reads before the client
 * does (issue 13: a task's ids, a URI asked of one server after another):
 * every answer, of whatever kind, comes through on_reply with cookie (not
 * 0) and never reaches the client by itself. A request the client
 * cancels (CAN-1) gets no answer at all. */
void backend_forward_watched(struct backend* b,
                             struct jmsg* m,
                             uint64_t cookie);
/* Forward a client notification as it is (takes m); a cancellation gets
 * the server's id of the request (CAN-1). */
void backend_forward_notification(struct backend* b, struct jmsg* m);
/* The client's answer to a server request of process `generation`, with
 * the server's original id already restored, or the client's progress
 * for it (takes m). Dropped when that process is gone. */
void backend_send_response(struct backend* b,
                           struct jmsg* m,
                           uint64_t generation);

/* The error a request gets from this backend when it cannot be served
 * now (crashed and waiting, shutting down, not ready in time), for the
 * client-facing id (copied). Returns it, owned by the caller; sends
 * nothing. */
cJSON* backend_make_unavailable_error(struct backend* b, const cJSON* id);

/* Restart because files changed (debounced). why: "tools.py" or NULL.
 * The owner may take it over (on_restart: a reload with overlap or a
 * build first). */
void backend_restart(struct backend* b, const char* why);
/* The same without asking the owner: stop the server, then start it. */
void backend_restart_now(struct backend* b, const char* why);
/* Stop for good (shutdown): stdin closed, SIGTERM to the group, SIGKILL
 * after the config's grace; on_stopped fires when the group is gone
 * (requests still in flight or queued are answered with errors first). */
void backend_stop(struct backend* b);
/* ---- stopped and started by the user (issue 15) ----
 * A server the dashboard or `mcpmon stop` stopped stays stopped: no
 * process, state STOPPED, requests answered at once with an error that
 * says it is stopped and how to start it, and neither a file change
 * (backend_restart logs that it is stopped) nor the crash policy starts
 * it. backend_stop and backend_finish still end it for good (on_stopped).
 * A server disabled in the config (state DISABLED) is off the same way
 * from the start. */

/* Stop the server as backend_stop does (its in-flight and queued
 * requests get the "stopped" error), but not for good. Returns 0;
 * UV_EALREADY when it is off already; UV_ECANCELED when it is shutting
 * down (or is a trial or a replaced server). */
int backend_user_stop(struct backend* b);
/* Start a server that is off: spawned again with the client's stored
 * handshake replayed (on_resumed follows), or for the first time when it
 * was disabled (as backend_start, for this run). Returns 0; UV_EALREADY
 * when it is not off (running, crashed, waiting: nothing done);
 * UV_ECANCELED when it is shutting down. */
int backend_user_start(struct backend* b);
/* Stopped by the user or disabled in the config (and not started). */
bool backend_is_off(const struct backend* b);

/* ---- reloads with overlap (issue 14) ----
 * A reload starts a second backend (options.trial) beside the serving
 * one, with backend_inherit; once it is ready its owner swaps them
 * (backend_promote, backend_set_events) and the old one drains. */

/* From now on events go to ev (copied) with ctx. */
void backend_set_events(struct backend* b,
                        const struct backend_events* ev,
                        void* ctx);
/* Before backend_start: take what from's server was given (the client's
 * initialize params, log level, subscriptions), its process count (so
 * generations go on rising) and restart count, whether output is paused,
 * and a copy of its lists (so that the "Tools:" line shows what the new
 * server changed). */
void backend_inherit(struct backend* b, const struct backend* from);
/* A trial becomes a backend like any other. */
void backend_promote(struct backend* b);
/* Why a trial ended before it was ready ("it exited (exit code 1) during
 * its handshake"), or NULL. Borrowed until backend_free. */
const char* backend_failure(const struct backend* b);
/* The server's last max lines of stderr (at most 20), oldest first,
 * each ending in '\n'; heap, owned by the caller ("" for none). */
char* backend_stderr_tail(const struct backend* b, int max);
/* The outcome of the last reload attempt of this server ("ok", "start
 * failed", "build failed") with its message, for the dashboard and
 * mcpmon status; the observer hears of it as a state change. Copied. */
void backend_note_reload(struct backend* b,
                         const char* outcome,
                         const char* message);
/* Issue 15: a reload of this serving backend is under way (phase, a
 * static string: "building", "starting"), or none (NULL); the observer
 * hears of it as a state change, so that the dashboard shows an overlap
 * reload, in which the state stays ready. */
void backend_set_reloading(struct backend* b, const char* phase);
const char* backend_reloading(const struct backend* b);
/* That outcome, or false when there was none; the strings are borrowed
 * until the next note or backend_free; at is Unix ms. */
bool backend_last_reload(const struct backend* b,
                         const char** outcome,
                         const char** message,
                         uint64_t* at);
/* b was replaced: no request reaches it any more. It answers what it has
 * in flight (its progress and requests to the client still pass; its
 * other notifications are dropped), then stops as backend_stop does;
 * after ms, what is left gets -32603 with data.reason "restart". */
void backend_drain(struct backend* b, unsigned ms);

/* Stop (pause) or resume reading the server's stdout, for this process
 * and the next ones (from READY on: a handshake is read through): the
 * client is not reading what mcpmon writes it (issue 12 item 5). stderr
 * is read either way. */
void backend_pause_output(struct backend* b, bool pause);
/* Stop for good because the client closed its input (issue 12 item 6):
 * what is queued is delivered once the server is ready (each request
 * within the queue timeout), the server's stdin then ends after the last
 * byte (it reads EOF), and it gets the config's grace to answer what is
 * in flight; then as backend_stop, which may also be called meanwhile to
 * stop at once. The server exiting by itself after its EOF is no crash.
 * No restart happens once its input has ended. */
void backend_finish(struct backend* b);
/* SIGKILL the group now (a second signal during shutdown). */
void backend_kill_now(struct backend* b);
/* Release b (NULL is fine); see the lifetimes at the top. */
void backend_free(struct backend* b);

/* Set (or with NULL clear) the observer. obs is borrowed until it is
 * cleared or the backend is freed, and ctx is passed to its callbacks. */
void backend_set_observer(struct backend* b,
                          const struct backend_observer* obs,
                          void* ctx);

enum backend_state backend_state(const struct backend* b);
/* Wall-clock time (Unix ms) the current process was spawned, 0 if none. */
uint64_t backend_started_at(const struct backend* b);
/* How the previous process ended ("exit code 1"), or NULL. Borrowed
 * (a buffer in the backend): overwritten at the next exit, valid until
 * backend_free. */
const char* backend_last_exit(const struct backend* b);
/* The backend's own copy of its server config. Borrowed until
 * backend_free. */
const struct server_config* backend_config(const struct backend* b);
/* The current process's pid (its process group too), 0 if none. */
long backend_pid(const struct backend* b);
unsigned backend_restart_count(const struct backend* b);
/* How often the server crashed (exited on its own, failed its handshake
 * or its init timeout) since the backend began, across generations. */
unsigned backend_crash_count(const struct backend* b);
/* Which process is current: counts every spawn (0 before the first). A
 * task made by generation g is gone once this differs (TASK-1). */
uint64_t backend_generation(const struct backend* b);
/* The last fetch of that list failed (the one before is kept). */
bool backend_list_failed(const struct backend* b, enum backend_list kind);
/* Fetch one list again now (when the server is ready and has it), as
 * after its own list_changed; on_lists reports it. */
void backend_refresh_list(struct backend* b, enum backend_list kind);
/* The server's name, or "server" when the config has none. Borrowed
 * until backend_free. */
const char* backend_name(const struct backend* b);
/* The server's tools as last fetched (array), or NULL. Borrowed: valid
 * until the next completed fetch of the tools replaces it (on_lists with
 * the tools bit and the observer's on_tools tell) or backend_free; do
 * not keep it across loop turns. */
const cJSON* backend_tools(const struct backend* b);
/* Any list as last fetched (array), or NULL. Borrowed as backend_tools,
 * until on_lists reports that kind changed. */
const cJSON* backend_list(const struct backend* b, enum backend_list kind);
/* The `_meta` of that list's result (its first page), or NULL. Borrowed
 * as backend_list. */
const cJSON* backend_list_meta(const struct backend* b, enum backend_list kind);
/* Issue 18: a list as the server wrote it. text is the items joined as
 * one JSON array ("[item,item]", each item's bytes as the server sent
 * them); items[i] gives each item's span in text and its name (uri,
 * uriTemplate) span (proto/jlist.h). serial changes whenever the list is
 * replaced, and is never the same for two lists of any backend in the
 * process (0: never listed). Borrowed as backend_list. backend_list
 * itself builds a tree from this text the first time it is asked. */
struct backend_list_text {
  const char* text; /* NULL: never listed */
  size_t len;
  const struct jlist_item* items;
  size_t n;
  uint64_t serial;
};
void backend_list_text(const struct backend* b,
                       enum backend_list kind,
                       struct backend_list_text* out);
/* The item's name (uri) with its escapes undone, on the heap (caller
 * frees), or NULL when it has none. */
char* backend_list_item_name(const struct backend_list_text* l, size_t i);
/* Whether a and b hold the same list of that kind, byte for byte (a list
 * never fetched is the same as an empty one). */
bool backend_list_same(const struct backend* a,
                       const struct backend* b,
                       enum backend_list kind);
/* True when the server's initialize result declared capability cap
 * ("tools", "resources", ...); with sub, that member of it is true
 * ("subscribe") or an object (tasks.list is declared as {}). */
bool backend_has_capability(const struct backend* b,
                            const char* cap,
                            const char* sub);

/* Apply the client's logging/setLevel params now (when the server
 * declares logging and is ready) and after every restart (LOG-1). */
void backend_set_log_level(struct backend* b, const cJSON* params);

/* How long a request may wait for this server from now on (a config
 * reload changed queue_timeout); requests already queued keep their
 * deadline. */
void backend_set_queue_timeout(struct backend* b, unsigned ms);

/* Stop for good because the configuration no longer has this backend, or
 * (replaced) has a changed one that another backend will run: like
 * backend_stop, but errors say so (GW-5). */
void backend_remove(struct backend* b, bool replaced);

#endif
