/* gateway_int.h - what the files of the gateway share: its constants,
 * struct gateway and its parts, and the gw_ functions one file calls in
 * another. Only the gateway files include it. Calls run one way:
 *
 *   gateway.c        the mode: backends, their events and watchers, the
 *                    config file, start and shutdown, the policy table;
 *                    calls both files below
 *   gateway_route.c  the client's requests and notifications: routing by
 *                    name and URI (a URI nobody lists asked of one
 *                    server after another), completion, logging, held
 *                    calls, the answers the gateway reads first;
 *                    calls the files below
 *   gateway_tasks.c  tasks (TASK-3): ids named per server, routed by a
 *                    table of owners, tasks/list across servers;
 *                    calls gateway_ops.c
 *   gateway_merge.c  the merged lists, exposed names, URI ownership, and
 *                    answering list requests (PAG-1, PAG-4, NAME-*, RES-2)
 *   gateway_ops.c    the requests whose answer the gateway reads before
 *                    the client (backend_forward_watched), by cookie
 */
#ifndef MCPMON_GATEWAY_INT_H
#define MCPMON_GATEWAY_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config/config.h"
#include "core/backend/backend.h"
#include "core/session/gateway.h"
#include "core/session/names.h"
#include "core/session/reload.h"
#include "core/session/session.h"
#include "core/session/task_table.h"
#include "lib/u64map.h"
#include "proto/jsonrpc.h"

#define GW_FIRST_LIST_WAIT_MS 10000u /* PAG-4 */
/* Merged lists longer than this are served in pages of it, with a cursor
 * of mcpmon's own (issue 13). */
#define GW_LIST_PAGE 1000
/* How long the client's initialize waits for the backends' (issue 13). */
#define GW_INIT_WAIT_MS 3000u
#define GW_CONFIG_DELAY_MS 100u
/* Tasks whose owner is remembered (task_table.h), and URIs learned from
 * a server that answered for them though its list did not name them. */
#define GW_MAX_TASKS 10000u
#define GW_MAX_LEARNED 4096u
/* A cursor of tasks/list across servers: this, the length of the server's
 * name, ':', the name, then that server's own cursor. */
#define GW_TASK_CURSOR "mcpmon-tasks:"

/* NAME-5: Claude Code exposes mcp__<key>__<name> within 64 characters and
 * Cursor drops <key><name> over 60; with the key "mcpmon" that leaves: */
#define GW_CLAUDE_BUDGET 51u
#define GW_CURSOR_BUDGET 54u

/* Issue 18: one backend's items of one list as the gateway offers them,
 * as text: tools and prompts with the exposed name (NAME-1) written in,
 * resources and templates as the server wrote them; items without a
 * string name (uri) are left out. Built once per list serial
 * (backend_list_text), so that a change in one backend rebuilds only its
 * share. Owned by its gw_backend. */
struct gw_share_item {
  size_t off, len; /* in the share's text */
  size_t src;      /* its index in the backend's list */
  uint64_t hash;   /* of its bytes */
  char* names;     /* the exposed name, NUL, the original name (decoded);
                      for a URI only the URI */
};

struct gw_share {
  uint64_t serial; /* of the list it was made from; 0: none */
  char* sep;       /* the separator it was made with (tools, prompts) */
  char* text;
  size_t len;
  struct gw_share_item* items;
  size_t n;
};

/* A merged list (issue 18): each item's bytes, in a share or in a text
 * of the merged list's own (an item renamed for a collision, mcpmon's
 * own tools); and each page's answer once made. Items point into shares,
 * which change only in gw_rebuild, which makes this list again. */
struct gw_mitem {
  const char* bytes;
  size_t len;
};

struct gw_merged {
  struct gw_mitem* items;
  size_t n, cap;
  char** owned; /* the texts of its own */
  size_t nowned, owned_cap;
  uint64_t hash; /* of the items in order: gw_rebuild_diff compares it */
  char** pages;  /* result texts, by page (from / GW_LIST_PAGE) */
  size_t* page_len;
  size_t npages;
};

/* One configured server. Lives in gw->backends (config order), then, once
 * removed or replaced, in gw->retiring until its backend stopped, then in
 * gw->dead until the next loop turn frees it (never from the backend's own
 * callback). Name tables and templates point at it (owner): they are
 * rebuilt whenever it leaves gw->backends. */
/* Servers started per loop turn at the gateway's start (gw_start_some). */
#define GW_STARTS_PER_TURN 4u

struct gw_backend {
  struct gateway* gw;
  struct server_config sc; /* owned copy */
  struct backend* b;       /* DISABLED when enabled: false (issue 15) */
  struct reload* rl;       /* its overlap reloads (issue 14), or NULL */
  struct watcher* w;
  bool listed;     /* its lists arrived at least once */
  bool off;        /* its backend was off when last seen (issue 15) */
  bool watched;    /* its watcher was started (not while disabled) */
  bool announce;   /* replaces a changed server: list_changed is
                      owed even if it never lists (GW-5) */
  bool to_start;   /* waits for its turn in gw->starter (issue 18) */
  uint64_t serial; /* unique among the gateway's backends, ever: a
                      task names the instance that made it */
  struct gw_share share[BACKEND_LIST_KINDS];
  cJSON* refreshed; /* its resources list before a refresh mcpmon
                       asked for (NULL: none pending): list_changed only
                       when the list differs */
  TAILQ_ENTRY(gw_backend) link;
};
TAILQ_HEAD(gw_backend_list, gw_backend);

/* A template and who owns it (RES-1). */
struct gw_template {
  char* tpl;
  struct gw_backend* owner;
};

/* A list request that waits for backends still starting (PAG-4). */
struct gw_waiting {
  cJSON* id;
  enum backend_list kind;
  struct session_deferred* tr; /* its traffic record (issue 15) */
  STAILQ_ENTRY(gw_waiting) link;
};
STAILQ_HEAD(gw_waiting_list, gw_waiting);

/* A call for a name no list has yet, while a backend is still starting:
 * routed again when lists arrive, or answered "unknown" at its deadline.
 * Kept in arrival order, so the oldest deadline is first. */
struct gw_held {
  struct jmsg* msg;
  uint64_t deadline;
  struct session_deferred* tr; /* its traffic record (issue 15) */
  STAILQ_ENTRY(gw_held) link;
};
STAILQ_HEAD(gw_held_list, gw_held);

/* A request whose answer the gateway reads before the client does. */
enum gw_op_kind {
  GW_OP_READ,      /* resources/read of a URI nobody lists: asked of one
                      server after another until one has it */
  GW_OP_TASK,      /* a task's request: its ids are renamed on the way */
  GW_OP_TASK_LIST, /* tasks/list: one server's page, then the next's */
};

struct gw_op {
  uint64_t cookie; /* backend_forward_watched's */
  enum gw_op_kind kind;
  cJSON* client_id;     /* for a cancellation (CAN-1) */
  struct jmsg* request; /* READ: the client's request, for the next
                           server; TASK_LIST: with its params */
  char** ask;           /* READ: the servers to ask, in order */
  size_t nask, next;    /* ... and the next one to ask */
  struct jmsg* error;   /* READ: the first server's error */
  char* server;         /* TASK_LIST: the server asked now */
  TAILQ_ENTRY(gw_op) link;
};
TAILQ_HEAD(gw_op_list, gw_op);

struct gateway {
  uv_loop_t* loop;
  struct mode_hooks hooks;
  struct mcpmon_config cfg;        /* owned deep copy; cfg.servers is the last
                                      configuration applied */
  struct session* s;               /* borrowed: outlives the gateway */
  struct gw_backend_list backends; /* config order */
  struct gw_backend_list retiring; /* removed, still stopping */
  struct gw_backend_list dead;     /* stopped, freed next loop turn */
  uv_idle_t reaper;                /* frees dead */
  uv_idle_t starter; /* starts GW_STARTS_PER_TURN backends a turn */
  struct watcher* config_watcher;

  char* protocol;        /* answered to the client (gw_init_check) */
  cJSON* init_waiting;   /* ids of initialize requests not yet answered */
  cJSON* init_result;    /* the answer, once made */
  uv_timer_t init_timer; /* GW_INIT_WAIT_MS */
  bool listed_tools;     /* the client has called tools/list */
  bool settled;          /* first-list wait is over */
  uv_timer_t settle_timer;
  struct gw_waiting_list waiting;
  uv_timer_t held_timer;
  struct gw_held_list held;

  struct name_table* tools; /* exposed -> (gw_backend, original) */
  struct name_table* prompts;
  struct name_table* resources; /* uri -> (gw_backend, uri) */
  struct name_table* warned;    /* NAME-5 warnings given */
  struct gw_template* templates;
  size_t ntemplates;
  struct gw_merged merged[BACKEND_LIST_KINDS];
  cJSON* log_level;           /* the client's last logging/setLevel params */
  struct name_table* learned; /* uri -> gw_backend that served it */

  struct u64map op_by_cookie; /* cookie -> struct gw_op* */
  struct gw_op_list ops;      /* oldest first */
  uint64_t next_cookie;
  size_t nchained; /* ops that may ask another server */
  uint64_t next_serial;
  struct task_table* tasks;
  int reloads_open; /* reloads closing at shutdown */

  bool shutting_down;
  bool client_congested; /* the client is not reading (issue 12 item 5) */
  bool finishing;        /* shutdown(finish): the client's EOF; backends are
                            finished once nothing is held or waiting */
  bool closing;          /* every backend stopped: the handles are closing */
  int open;              /* handles still closing */
};

/* Method and result key of each list, by enum backend_list. */
extern const char* const gw_list_method[BACKEND_LIST_KINDS];
extern const char* const gw_list_key[BACKEND_LIST_KINDS];

/* gateway_ctools.c */
/* Answer a tools/call of mcpmon__status, mcpmon__restart or mcpmon__logs
 * (control_tools.h); takes m. */
void gw_control_tool(struct gateway* gw, struct jmsg* m);

/* gateway_ops.c */
/* A new op for the client's request m (borrowed), registered under a
 * fresh cookie. */
struct gw_op* gw_op_new(struct gateway* gw,
                        enum gw_op_kind kind,
                        const struct jmsg* m);
struct gw_op* gw_op_find(struct gateway* gw, uint64_t cookie);
/* Unregister and free op. */
void gw_op_free(struct gateway* gw, struct gw_op* op);
/* The client gets m (taken) as op's answer; op is freed. */
void gw_op_answer(struct gateway* gw, struct gw_op* op, struct jmsg* m);
/* The client cancelled request rid: forget its ops (no answer). */
void gw_ops_cancel(struct gateway* gw, const cJSON* rid);
/* Free every op without answering (the end). */
void gw_free_ops(struct gateway* gw);

/* gateway_tasks.c */
/* tasks/get, tasks/result, tasks/cancel, tasks/list (takes m). */
void gw_on_task_request(struct gateway* gw, struct jmsg* m);
/* A tools/call for gb that asks for a task (params.task): forwarded so
 * that the task's id is renamed on the way back (takes m). */
void gw_forward_task_call(struct gateway* gw,
                          struct gw_backend* gb,
                          struct jmsg* m);
/* The answer to a GW_OP_TASK or GW_OP_TASK_LIST op (takes m and op). */
void gw_on_task_reply(struct gateway* gw,
                      struct gw_backend* gb,
                      struct gw_op* op,
                      struct jmsg* m);
/* A backend's notification or request for the client: the task ids in it
 * get the server's name (notifications/tasks/status, related-task). */
void gw_task_rename_incoming(struct gateway* gw,
                             struct gw_backend* gb,
                             struct jmsg* m);

/* gateway_share.c */
/* Make gb's share of list kind again when its backend's list is another
 * than the one it was made from. */
void gw_share_update(struct gateway* gw,
                     struct gw_backend* gb,
                     enum backend_list kind);
/* Free every share of gb (when gb is freed). */
void gw_share_free(struct gw_backend* gb);
/* Item i of the backend's list l with its name value replaced by the
 * JSON string of name, on the heap (NUL-terminated, length in *len). */
char* gw_item_renamed(const struct backend_list_text* l,
                      size_t i,
                      const char* name,
                      size_t* len);
/* A hash of n bytes (not for hostile use: change detection only). */
uint64_t gw_hash(const char* p, size_t n);

/* gateway_merge.c */
/* The live server of that name (config order), or NULL. */
struct gw_backend* gw_by_name(struct gateway* gw, const char* name);
/* Empty the merged lists and tables (and free what they hold: also
 * at the end); rebuild them from every backend's lists in config order
 * (collisions disambiguated and warned). */
void gw_clear_merged(struct gateway* gw);
void gw_rebuild(struct gateway* gw);
/* gw_rebuild, returning the lists whose merged form changed (bits 1 <<
 * enum backend_list). */
unsigned gw_rebuild_diff(struct gateway* gw);
/* True once every enabled backend has listed or cannot (PAG-4). */
bool gw_all_listed(const struct gateway* gw);
/* End the first-list wait: answer the waiting list requests. */
void gw_settle(struct gateway* gw);
/* After a finishing shutdown: once no call is held and no list waits,
 * every backend gets backend_finish. */
void gw_finish_check(struct gateway* gw);
/* A list request (m borrowed). */
void gw_on_list_request(struct gateway* gw,
                        const struct jmsg* m,
                        enum backend_list kind);
/* Free the waiting list requests without answering (the end). */
void gw_free_waiting(struct gateway* gw);

/* gateway_route.c */
/* The session policy's initialize, request and notification members. */
void gw_on_initialize(void* ctx, const struct jmsg* m, bool first);
/* After a backend's handshake or state changed: answer the waiting
 * initialize once no backend's answer can still come (force: now). */
void gw_init_check(struct gateway* gw, bool force);
void gw_on_request(void* ctx, struct jmsg* m);
void gw_on_notification(void* ctx, struct jmsg* m);
/* The answer to a request forwarded watched (takes m). */
void gw_on_reply(struct gateway* gw,
                 struct gw_backend* gb,
                 struct jmsg* m,
                 uint64_t cookie);
/* gb leaves the configuration: forget the URIs learned from it. */
void gw_forget_backend(struct gateway* gw, struct gw_backend* gb);
/* Route held calls again, oldest first: those whose names are now known,
 * or all once every backend listed; with expire, also those past their
 * deadline (answered "unknown"). Re-arms the timer from the oldest left. */
void gw_release_held(struct gateway* gw, bool expire);
/* Free the held calls without answering (the end). */
void gw_free_held(struct gateway* gw);

#endif
