/* backend_int.h - what the files of the backend module share: its
 * constants, the structs behind struct backend, and the bk_ functions one
 * file calls in another. Only the backend's own files (below) include it;
 * everyone else sees backend.h.
 *
 *   backend.c        the state machine: forwarding, queue, handshake,
 *                    the public calls
 *   backend_errors.c the errors mcpmon answers in a backend's name
 *   backend_lists.c  the server's lists (tools, prompts, resources,
 *                    templates) and the logged tool diff
 *   backend_proc.c   the process: spawn, pipes, the stop sequence, exits
 *   backend_progress.c  progress tokens of forwarded requests (PROG-1)
 *   backend_text.c   responses to forwarded requests passed on as text
 */
#ifndef MCPMON_BACKEND_INT_H
#define MCPMON_BACKEND_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/backend/backend.h"
#include "core/log.h"
#include "lib/framer.h"
#include "proto/jscan.h"
#include "proto/jsonrpc.h"

#define BK_INIT_TIMEOUT_MS 20000u
#define BK_STABLE_MS 10000u /* up this long: the crash count resets */
#define BK_MAX_CRASHES 5u   /* in a row, then wait for changes */
#define BK_BACKOFF_FIRST_MS 250u
#define BK_BACKOFF_MAX_MS 8000u
#define BK_EOF_WAIT_MS 100u   /* shutdown: stdin EOF before SIGTERM */
#define BK_KILL_WAIT_MS 2000u /* after SIGKILL, before giving up */
#define BK_POLL_MS 5u         /* while grandchildren outlive the leader */
#define BK_STDERR_LINE_MAX (16u * 1024u)
#define BK_TAIL_LINES 20
#define BK_TAIL_LINE_LEN 240
#define BK_BUCKETS 64
#define BK_STDOUT_EOF_GRACE_MS 500u
#define BK_MAX_TOOL_PAGES 100
#define BK_WRITE_QUEUE_MAX (64u * 1024u * 1024u)
#define BK_MAX_TASK_TOKENS 256
/* Keep a large stdout buffer this long after its last large line. */
#define BK_TRIM_MS 1000u
/* A response this large leaves in the framer's buffer, not in a copy. */
#define BK_TAKE_MIN (64u * 1024u)

enum stop_why { STOP_NONE, STOP_RESTART, STOP_CRASH, STOP_SHUTDOWN };
enum stop_stage { STAGE_NONE, STAGE_EOF_WAIT, STAGE_TERM, STAGE_KILL };
enum req_kind { REQ_FORWARD, REQ_INIT, REQ_LIST, REQ_REPLAY };

struct req {
  int64_t id; /* ours, on the wire to the server */
  enum req_kind kind;
  cJSON* client_id; /* REQ_FORWARD: the client's id, restored exactly */
  char* method;
  enum backend_list list_kind; /* REQ_LIST */
  char* tool;                  /* REQ_FORWARD with an observer: params.name */
  char* body;   /* REQ_FORWARD with an observer: the request, cut */
  cJSON* token; /* REQ_FORWARD: params._meta.progressToken, or NULL */
  uint64_t t0_ns;
  struct req* next;
};

struct bk_listfetch {
  cJSON* acc; /* pages of a fetch in progress, NULL when idle */
  int pages;
  bool again; /* the list changed during the fetch: fetch once more */
};

struct qitem {
  cJSON* msg;
  uint64_t deadline_ms;
  uint64_t t0_ns; /* when the client's request arrived */
  struct qitem* next;
};

struct bproc {
  struct backend* b; /* NULL once detached */
  uv_process_t proc;
  uv_pipe_t in;
  uv_pipe_t out;
  uv_pipe_t err;
  uv_timer_t t_trim; /* gives out_f's large buffer back when idle */
  struct framer out_f;
  struct jscan_stream out_scan; /* the line out_f is receiving, scanned
                                   as it arrives */
  struct framer err_f;
  size_t out_grown; /* stdout's pipe capacity added (proc_pipe_grow) */
  bool out_tried;   /* ... which is tried once */
  int open_handles;
  bool exited;
  bool out_eof;
  bool in_closed;
  long pid;
  uint64_t generation;
  int64_t exit_status;
  int term_signal;
  uint64_t spawned_ms;
};

struct backend {
  uv_loop_t* loop;
  const struct server_config* sc;
  struct backend_events ev;
  void* ctx;
  size_t max_line;
  unsigned queue_timeout_ms;
  const char* logname; /* NULL in single mode */

  enum backend_state state;
  struct bproc* p;
  uint64_t generation;
  int64_t next_id;
  struct req* inflight[BK_BUCKETS];
  size_t ninflight;
  struct qitem* qhead;
  struct qitem* qtail;

  cJSON* init_params;    /* the client's, verbatim (LIFE-1) */
  cJSON* init_result;    /* of the current server */
  char* client_protocol; /* negotiated with the first server */
  bool ever_initialized;
  cJSON* log_level_params; /* last logging/setLevel params */
  cJSON* subscriptions;    /* array of URIs */
  cJSON* task_tokens;      /* progress tokens of task requests of the current
                              process, which outlive their responses (PROG-1);
                              array, the newest BK_MAX_TASK_TOKENS */
  cJSON* lists[BACKEND_LIST_KINDS]; /* arrays, last complete lists */
  struct bk_listfetch fetch[BACKEND_LIST_KINDS];
  unsigned lists_changed; /* kinds refreshed since on_lists last fired */
  bool all_lists;         /* fetch prompts and resources too (gateway) */
  bool removed;           /* stopped because the config dropped it */
  bool replaced;          /* ... or changed it: a new backend runs it */

  enum stop_why stop_why;
  enum stop_stage stage;
  uint64_t stage_deadline_ms;
  uint64_t group_dead_ms;
  unsigned restarts;
  unsigned crashes;
  uint64_t restart_begin_ms;
  bool restart_pending; /* a restart (not a crash) is in progress */
  long last_exit_status;
  int last_term_signal;
  bool have_exit;
  char* start_error;       /* why the last spawn failed, or NULL */
  const char* crash_cause; /* why mcpmon stopped a server that had not
                              exited as a crash (static text), or NULL */
  char* tail[BK_TAIL_LINES];
  int tail_next;

  const struct backend_observer* obs;
  void* obs_ctx;
  char last_exit_text[64];
  uint64_t started_wall_ms;

  uv_timer_t t_stop;
  uv_timer_t t_backoff;
  uv_timer_t t_queue;
  uv_timer_t t_init;
  uv_timer_t t_stable;
  int open_timers;
  bool freeing;
};

static inline long bk_pid(const struct backend* b) {
  return b->p != NULL ? b->p->pid : 0;
}

#define bk_log(b, level, ...)                               \
  do {                                                      \
    if (log_enabled(level))                                 \
      log_msg(level, (b)->logname, bk_pid(b), __VA_ARGS__); \
  } while (0)

/* backend.c */
void bk_set_state(struct backend* b, enum backend_state s);
const char* bk_display_name(const struct backend* b);
bool bk_has_capability(const struct backend* b, const char* cap);
/* The in-flight table: take removes and returns the request (or NULL);
 * the caller frees it with bk_req_free. */
struct req* bk_req_take(struct backend* b, int64_t id);
void bk_req_free(struct req* r);
/* Serialize and write to the current server; does not take msg. */
int bk_write_msg(struct backend* b, const cJSON* msg);
/* One of mcpmon's own requests (ID-3); NULL when it could not be sent. */
struct req* bk_send_own_req(struct backend* b,
                            enum req_kind kind,
                            const char* method,
                            cJSON* params);
/* A forwarded request is answered; takes response. */
void bk_finish_forward(struct backend* b, struct req* r, cJSON* response);
void bk_answer_req_error(struct backend* b,
                         struct req* r,
                         const char* reason,
                         const char* message);
void bk_fail_inflight(struct backend* b, enum stop_why why);

/* backend_progress.c */
/* Keep the progress token of forwarded request r (msg: as the client sent
 * it) with r, and a task request's for the process's life. */
void bk_note_token(struct backend* b, struct req* r, const cJSON* msg);
/* PROG-1: token names a forwarded request of the current process still in
 * flight, or a task request of it. */
bool bk_progress_known(const struct backend* b, const cJSON* token);
void bk_fail_queue(struct backend* b, bool all);
void bk_send_init(struct backend* b);
void bk_on_init_result(struct backend* b, struct jrpc_msg* m);

/* backend_errors.c */
/* data of mcpmon's own -32603 errors: backend, state, reason, restarts,
 * and how the last process ended. Owned by the caller. */
cJSON* bk_error_data(const struct backend* b, const char* reason);
/* The error a request gets when the backend cannot serve it now (id
 * copied); what says what happened to the request. */
cJSON* bk_unavailable_error(struct backend* b,
                            const cJSON* id,
                            const char* what);

/* backend_lists.c */
void bk_fetch_lists(struct backend* b);
void bk_fetch_list(struct backend* b,
                   enum backend_list kind,
                   const char* cursor);
void bk_on_list_page(struct backend* b,
                     enum backend_list kind,
                     struct jrpc_msg* m);
void bk_on_list_changed(struct backend* b, const char* method);

/* backend_text.c */
/* Tell the observer that a client request got its answer (t0_ns: when it
 * arrived; 0 reports nothing). response is the answer as the client gets
 * it, without the newline; it is cut to the observer's body_max, or left
 * out when that is 0. */
void bk_report_text(struct backend* b,
                    const char* method,
                    const char* tool,
                    uint64_t t0_ns,
                    const char* body,
                    bool ok,
                    const char* error,
                    const char* response,
                    size_t response_len);
/* A line from the server: when it is a valid response to a forwarded
 * request in flight, hand it to the owner as text (on_response_text) with
 * the client's id and return true. Returns false, having done nothing,
 * for every other line. scanned: jscan's verdict on the line if known
 * (valid or not), or NULL to scan it here. from: the framer whose on_line
 * this is, so that a large line can leave in its buffer (framer_take), or
 * NULL. */
bool bk_forward_text(struct backend* b,
                     char* line,
                     size_t len,
                     const struct jscan* scanned,
                     struct framer* from);

/* backend_proc.c */
void bk_spawn(struct backend* b);
void bk_begin_stop(struct backend* b, enum stop_why why);
void bk_stop_check(struct backend* b);
void bk_release_proc(struct backend* b);

#endif
