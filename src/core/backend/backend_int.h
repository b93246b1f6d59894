/* backend_int.h - what the files of the backend module share: its
 * constants, struct backend, and the bk_ functions one file calls in
 * another. Only the backend's own files include it; everyone else sees
 * backend.h.
 *
 * The files, top to bottom; a file calls only the files below it, and
 * upwards only through the callbacks it was given (libuv style):
 *
 *   backend.c          the public calls: create, start, restart, stop,
 *                      free, the client's initialize params
 *   backend_machine.c  the state machine: spawn (src/core/proc/child.h),
 *                      the process's events, dispatch of its lines, the
 *                      handshake and its replay, the stop sequence's
 *                      outcome, failing what was in flight
 *   backend_recv.c     what the server sends besides answers to mcpmon:
 *                      a line read as a message, its notifications for
 *                      the client, its log messages, unreadable answers
 *   backend_lists.c    the server's lists (tools, prompts, resources,
 *                      templates) and the logged tool diff; reports
 *                      through ev.on_lists and obs->on_tools
 *   backend_send.c     writing to the server: forwarded requests and
 *                      notifications, mcpmon's own requests, the queue
 *                      of what waits for READY, cancellation, answers
 *                      to the owner and the observer
 *   backend_text.c     responses to forwarded requests passed on as text
 *   backend_errors.c   pure builders of the errors mcpmon answers in a
 *                      backend's name: they return messages, never send
 *   backend_info.c     state names, bk_set_state and the read-only
 *                      accessors of backend.h
 *   inflight.c         the in-flight request map (pure, inflight.h)
 */
#ifndef MCPMON_BACKEND_INT_H
#define MCPMON_BACKEND_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "core/backend/backend.h"
#include "core/backend/inflight.h"
#include "core/log.h"
#include "core/proc/child.h"
#include "lib/framer.h"
#include "lib/strset.h"
#include "proto/jscan.h"
#include "proto/jsonrpc.h"

#define BK_BACKOFF_FIRST_MS 250u
#define BK_BACKOFF_MAX_MS 8000u
#define BK_TAIL_LINES 20
#define BK_TAIL_LINE_LEN 240
#define BK_STDOUT_EOF_GRACE_MS 500u
/* A list is fetched page by page to the end (PAG-1), within these bounds
 * (a server whose cursors never end, or a list past any use); past one
 * the list is cut there and a warning names the server (issue 13). */
#define BK_MAX_LIST_PAGES 10000
#define BK_MAX_LIST_ITEMS 100000
#define BK_WRITE_QUEUE_MAX (64u * 1024u * 1024u)
/* What may wait for READY (issue 12 item 5): the same 64 MiB rule. */
#define BK_QUEUE_MAX_ITEMS 100000u
#define BK_QUEUE_MAX_BYTES (64u * 1024u * 1024u)
/* Resource subscriptions kept for the replay after a restart. */
#define BK_SUBSCRIPTIONS_MAX 100000u
#define BK_MAX_TASK_TOKENS 256
/* A response this large leaves in the framer's buffer, not in a copy. */
#define BK_TAKE_MIN (64u * 1024u)

/* STOP_USER: backend_user_stop (issue 15): stopped until started. */
enum stop_why { STOP_NONE, STOP_RESTART, STOP_CRASH, STOP_SHUTDOWN, STOP_USER };

/* A list kept as text (issue 18): the items joined as one JSON array,
 * each item's span in it (backend_list_text). */
struct bk_list {
  char* text; /* "[a,b]", NUL-terminated; NULL: never listed */
  size_t len, cap;
  struct jlist_item* items;
  size_t n, ncap;
  uint64_t serial;
  cJSON* tree; /* backend_list's tree of it, made when first asked */
};

struct bk_listfetch {
  bool active;        /* a fetch in progress */
  struct bk_list acc; /* its pages so far */
  cJSON* meta;        /* the first page's result._meta, or NULL */
  int pages;
  bool again; /* the list changed during the fetch: fetch once more */
};

/* A client message waiting for READY. */
struct qitem {
  struct jmsg* msg;
  uint64_t deadline_ms;
  uint64_t t0_ns;  /* when the client's request arrived */
  uint64_t cookie; /* backend_forward_watched, else 0 */
  uint64_t seq;    /* its traffic entry (issue 15), or 0 */
  size_t mem;      /* counted in queue_bytes */
  TAILQ_ENTRY(qitem) entry;
};

TAILQ_HEAD(bk_queue, qitem);

struct backend {
  uv_loop_t* loop;
  struct server_config config;    /* our own deep copy */
  const struct server_config* sc; /* &config */
  struct backend_events ev;
  void* ctx;
  size_t max_line;
  unsigned queue_timeout_ms;
  const char* logname; /* config.name in gateway mode, else NULL */

  enum backend_state state;
  struct child* p;              /* the current process, or NULL */
  uint64_t generation;          /* of p (counts every spawn) */
  struct jscan_stream out_scan; /* the line p's stdout is receiving,
                                   scanned as it arrives */
  int64_t next_id;
  struct inflight inflight; /* requests sent to p */
  struct bk_queue queue;
  size_t queue_count; /* messages in queue */
  size_t queue_bytes; /* ... and the memory they hold */
  bool queue_full_warned;
  bool utf8_warned; /* said once that the server's UTF-8 was repaired */

  cJSON* init_params;    /* the client's, verbatim (LIFE-1) */
  cJSON* init_result;    /* of the current server */
  char* client_protocol; /* negotiated with the first server */
  bool ever_initialized;
  cJSON* log_level_params;     /* last logging/setLevel params */
  struct strset subscriptions; /* URIs, replayed on restart */
  bool subscriptions_full_warned;
  struct bk_list lists[BACKEND_LIST_KINDS]; /* last complete lists */
  cJSON* list_meta[BACKEND_LIST_KINDS];     /* their result._meta, or NULL */
  struct bk_listfetch fetch[BACKEND_LIST_KINDS];
  unsigned lists_changed; /* kinds refreshed since on_lists last fired */
  unsigned list_errors;   /* kinds whose last fetch failed */
  bool all_lists;         /* fetch prompts and resources too (gateway) */
  bool removed;           /* stopped because the config dropped it */
  bool off;               /* backend_user_stop, or disabled (issue 15) */
  bool start_after;       /* backend_user_start during that stop */
  bool resuming;          /* started again: on_resumed after the lists */
  unsigned resume_diff;   /* lists that differ from before the stop */
  bool replaced;          /* ... or changed it: a new backend runs it */

  bool trial;    /* backend_options.trial, until backend_promote */
  bool draining; /* backend_drain: replaced, finishing its calls */
  unsigned drain_ms;
  char fail_why[320];      /* why a trial failed (the first cause), or "" */
  char reload_outcome[24]; /* backend_note_reload, "" for none */
  const char* reloading;   /* backend_set_reloading: static text or NULL */
  char reload_message[320];
  uint64_t reload_at; /* Unix ms */
  bool out_paused;    /* backend_pause_output: also for the next process */
  bool finishing;     /* backend_finish: delivering, then answers */
  bool input_ended;   /* ... the server's stdin ends after what was sent */

  enum stop_why stop_why;
  unsigned restarts;
  unsigned crashes;            /* within the crash window (server_config's
                                  crash_retries and crash_window_ms) */
  uint64_t crash_window_start; /* loop time of the first of them */
  unsigned crash_total;        /* every crash, for the dashboard */
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

  uv_timer_t t_stop; /* stdout closed early; a stop with no process */
  uv_timer_t t_backoff;
  uv_timer_t t_queue;
  uv_timer_t t_init;
  uv_timer_t t_finish; /* --grace after the end of input */
  uv_timer_t t_drain;  /* --drain */
  int open_timers;
  bool freeing;
};

static inline long bk_pid(const struct backend* b) {
  return child_pid(b->p);
}

#define bk_log(b, level, ...)                               \
  do {                                                      \
    if (log_enabled(level))                                 \
      log_msg(level, (b)->logname, bk_pid(b), __VA_ARGS__); \
  } while (0)

/* backend_machine.c */
/* backend_stop's work: state STOPPING, then the stop sequence. */
void bk_shutdown(struct backend* b);
/* The first cause of a trial's failure, for backend_failure. */
void bk_note_fail(struct backend* b, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* After a line from a draining server: stop once nothing is in flight. */
void bk_drain_check(struct backend* b);
/* After what may end a backend_finish (a line read, READY, WAITING, the
 * queue expired): end the server's input once all is delivered, stop
 * once all is answered. */
void bk_finish_check(struct backend* b);
/* While a finish waits for READY: check again once the last queued
 * request has expired. */
void bk_finish_arm_queue(struct backend* b);
/* backend_user_start's work for a backend that is off (STOPPED or
 * DISABLED): spawn it, its handshake replayed (issue 15). */
void bk_resume(struct backend* b);
/* Spawn a new process (state STARTING, or WAITING when that failed). */
void bk_spawn(struct backend* b);
/* Start stopping the current process for why; a shutdown overrides a
 * stop in progress. The outcome follows on the loop (restart, crashed,
 * stopped). */
void bk_begin_stop(struct backend* b, enum stop_why why);
/* Send initialize with the client's params (state INITIALIZING). */
void bk_send_init(struct backend* b);

/* backend_recv.c */
/* The server's line as a message: jscan's text when valid is the stream
 * scan's verdict that it is (NULL: scan it now), else what cJSON makes
 * of it (STDIO-8 leniency). Owned by the caller. */
struct jmsg* bk_line_msg(const char* line,
                         size_t len,
                         const struct jscan* valid);
/* A server notification for the client: passed on through ev.on_text
 * (which takes m), or dropped and freed. */
void bk_on_notification(struct backend* b, struct jmsg* m);
/* A line that is not JSON-RPC (why): the forwarded request its id names,
 * if any, is answered with an error. m stays the caller's. */
void bk_unreadable_answer(struct backend* b,
                          const struct jmsg* m,
                          const char* why);

/* backend_lists.c */
/* Fetch every list the server declares (tools only in single mode). */
void bk_fetch_lists(struct backend* b);
/* One page of list kind arrived (m: the response). */
void bk_on_list_page(struct backend* b,
                     enum backend_list kind,
                     const struct jmsg* m);
/* The server's notifications/X/list_changed: refresh our copy of X. */
void bk_on_list_changed(struct backend* b, const char* method);
/* The process is gone: forget fetches in progress. */
void bk_lists_reset(struct backend* b);
/* Free a list's text, index and tree (it becomes never listed). */
void bk_list_clear(struct bk_list* l);
/* Make to a copy of from, under a new serial. */
void bk_list_copy(struct bk_list* to, const struct bk_list* from);
/* Every fetch is done: on_lists with mask, or on_resumed after a
 * backend_user_start. */
void bk_lists_done(struct backend* b, unsigned mask);

/* backend_send.c */
/* Write to the current server. bk_write_text takes text; bk_write_msg
 * serializes msg and does not take it. 0 or a negative UV_E* code. */
int bk_write_text(struct backend* b, char* text, size_t len);
int bk_write_msg(struct backend* b, const cJSON* msg);
/* One of mcpmon's own requests (ID-3), params taken; the request is in
 * the in-flight map (borrowed) or NULL when it could not be sent. */
struct inflight_req* bk_send_own_req(struct backend* b,
                                     enum inflight_kind kind,
                                     const char* method,
                                     cJSON* params);
/* A forwarded request is answered: tell the observer, then hand the
 * answer to the owner (on_message, or on_reply for a watched request).
 * Takes response; r is the caller's still. */
void bk_finish_forward(struct backend* b,
                       struct inflight_req* r,
                       cJSON* response);
/* The same with one of mcpmon's errors (bk_error). */
void bk_answer_req_error(struct backend* b,
                         struct inflight_req* r,
                         const char* reason,
                         const char* message);
/* Hand a message mcpmon made for a watched request (cookie) to the
 * owner's on_reply as text. Takes msg. */
void bk_reply_tree(struct backend* b, cJSON* msg, uint64_t cookie);
/* backend_forward_notification's work (backend.c adds the drain check). */
void bk_forward_notification(struct backend* b, struct jmsg* m);
/* Send every queued message (while READY). */
void bk_flush_queue(struct backend* b);
/* Answer (requests) or drop (notifications) queued messages: all, or
 * those past their deadline. */
void bk_fail_queue(struct backend* b, bool all);
/* Free the queue without answering (backend_free). */
void bk_drop_queue(struct backend* b);
/* A client request arrived (m: as the client sent it): its traffic
 * entry begins, running; returns its seq (0: nothing observes). */
uint64_t bk_traffic_begin(struct backend* b, const struct jmsg* m);
/* Before backend_free: every request still queued or in flight ends in
 * the observer's view with why as its error. */
void bk_traffic_abandon(struct backend* b, const char* why);
/* Remember the log level a restarted server must get again (§3.3 step
 * 9); params copied. */
void bk_track_log_level(struct backend* b, const cJSON* params);

/* backend_text.c */
/* Tell the observer that the client request of traffic entry seq got
 * its answer (t0_ns: when it arrived; seq 0 reports nothing). response is
 * the answer as the client gets it, without the newline; it is cut to
 * the observer's body_max, or left out when that is 0. method and tool
 * describe the request again for an observer that lost the entry. */
void bk_report_text(struct backend* b,
                    uint64_t seq,
                    const char* method,
                    const char* tool,
                    uint64_t t0_ns,
                    bool ok,
                    const char* error,
                    const char* response,
                    size_t response_len);
/* Issue 15: the result at res (in text) is a tool's failure (isError
 * true): its first text content (heap; "" when it has none), else NULL. */
char* bk_tool_error(const char* text, struct jspan res);
/* The same for a result as a tree. */
char* bk_tool_error_tree(const cJSON* result);
/* A line from the server: when it is a valid response to a forwarded
 * request in flight, hand it to the owner as text (on_response_text) with
 * the client's id and return true. Returns false, having done nothing,
 * for every other line. scanned: jscan's verdict on the line if known
 * (valid or not), or NULL to scan it here. from: the framer whose line
 * this is, so that a large line can leave in its buffer (framer_take), or
 * NULL. */
bool bk_forward_text(struct backend* b,
                     char* line,
                     size_t len,
                     const struct jscan* scanned,
                     struct framer* from);

/* backend_errors.c: each returns a new message owned by the caller. */
/* data of mcpmon's own -32603 errors: backend, state, reason, restarts,
 * and how the last process ended. */
cJSON* bk_error_data(const struct backend* b, const char* reason);
/* A -32603 error for client id (copied) with bk_error_data. */
cJSON* bk_error(const struct backend* b,
                const cJSON* id,
                const char* reason,
                const char* message);
/* The error a request gets when the backend cannot serve it now (id
 * copied); what says what happened to the request. */
cJSON* bk_unavailable_error(const struct backend* b,
                            const cJSON* id,
                            const char* what);
/* Why the requests in flight of a process stopped for why get no
 * answer: the message into msg, the reason (static text) returned. */
const char* bk_gone_message(const struct backend* b,
                            enum stop_why why,
                            char* msg,
                            size_t cap);
/* After a failed spawn (child_spawn's rc and message why, NUL-terminated
 * in cap bytes): a command not found that holds spaces is a whole command
 * line; append how to write it, in the gateway's YAML or the client's
 * configuration (issue 15 defect 6). */
void bk_start_failure_hint(const struct backend* b,
                           int rc,
                           char* why,
                           size_t cap);

/* backend_info.c */
void bk_set_state(struct backend* b, enum backend_state s);
const char* bk_display_name(const struct backend* b);
bool bk_has_capability(const struct backend* b, const char* cap);

#endif
