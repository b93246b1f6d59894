/* inflight.h - the requests a backend has sent to its server and not yet
 * seen answered, keyed by mcpmon's own wire id (ID-1, ID-3).
 *
 * Pure: no libuv, no sending. A table is one process generation's worth
 * of requests; the owner empties it (inflight_take_oldest until NULL)
 * when that process is gone. Lookup by wire id is a u64map; the requests
 * are also kept in a TAILQ in the order they were added, so that failing
 * everything in flight answers the oldest first, deterministically.
 *
 * Progress tokens (PROG-1): a forwarded request carries its
 * params._meta.progressToken while it is in flight. A task request's
 * token outlives its response (the task runs on), so the table also keeps
 * the tokens of the newest max_task_tokens task requests until
 * inflight_clear_tasks.
 */
#ifndef MCPMON_INFLIGHT_H
#define MCPMON_INFLIGHT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "lib/u64map.h"

enum inflight_kind {
  INFLIGHT_FORWARD, /* a client's request, answered to the client */
  INFLIGHT_INIT,    /* mcpmon's initialize */
  INFLIGHT_LIST,    /* mcpmon's fetch of one page of a list */
  INFLIGHT_REPLAY,  /* the client's state replayed after a restart */
};

/* One request in flight. Every pointer member is owned by the request and
 * freed by inflight_req_free. */
struct inflight_req {
  int64_t id; /* ours, on the wire to the server; >= 0 */
  enum inflight_kind kind;
  cJSON* client_id; /* FORWARD: the client's id, restored exactly */
  char* method;
  unsigned list;   /* LIST: which list (enum backend_list) */
  char* tool;      /* FORWARD with an observer: params.name */
  uint64_t seq;    /* FORWARD: its traffic entry (observer's), or 0 */
  cJSON* token;    /* FORWARD: params._meta.progressToken, or NULL */
  uint64_t cookie; /* FORWARD: non-zero: the owner reads the answer
                      first (backend_forward_watched) */
  uint64_t t0_ns;
  TAILQ_ENTRY(inflight_req) entry; /* private */
};

TAILQ_HEAD(inflight_list, inflight_req);

struct inflight_token {
  cJSON* token;
  STAILQ_ENTRY(inflight_token) entry;
};

STAILQ_HEAD(inflight_tokens, inflight_token);

/* Initialise with inflight_init; release with inflight_free. Members are
 * private; n, nforward and ntasks are read-only. */
struct inflight {
  struct u64map by_id;        /* id + 1 -> struct inflight_req* */
  struct inflight_list order; /* oldest first */
  size_t n;
  size_t nforward;              /* of them INFLIGHT_FORWARD */
  struct inflight_tokens tasks; /* oldest first */
  size_t ntasks;
  size_t max_tasks;
};

/* An empty table that keeps at most max_task_tokens task tokens. */
void inflight_init(struct inflight* t, size_t max_task_tokens);
/* Frees every request and token still held, and the table's memory. */
void inflight_free(struct inflight* t);

/* A new request (zeroed, id and kind set, method copied); not yet in a
 * table. Owned by the caller until inflight_add. */
struct inflight_req* inflight_req_new(int64_t id,
                                      enum inflight_kind kind,
                                      const char* method);
/* Frees r and everything it owns (NULL is fine). */
void inflight_req_free(struct inflight_req* r);

/* Add r (ownership passes to the table). Its id must be >= 0 and not in
 * the table. */
void inflight_add(struct inflight* t, struct inflight_req* r);
/* The request with wire id, left in the table (borrowed until it is
 * taken), or NULL. Negative ids are never found. */
struct inflight_req* inflight_find(const struct inflight* t, int64_t id);
/* Remove and return the request with wire id (owned by the caller from
 * then on), or NULL. */
struct inflight_req* inflight_take(struct inflight* t, int64_t id);
/* Remove and return the oldest request, or NULL when empty. */
struct inflight_req* inflight_take_oldest(struct inflight* t);
/* The forwarded request whose client id equals client_id (type and
 * value), left in the table, or NULL. */
struct inflight_req* inflight_find_client(const struct inflight* t,
                                          const cJSON* client_id);

/* Keep token (copied; a string or a number, else ignored) as a task
 * token; the oldest one goes when there are max_task_tokens already. */
void inflight_note_task(struct inflight* t, const cJSON* token);
/* Forget every task token (their process is gone). */
void inflight_clear_tasks(struct inflight* t);
/* PROG-1: token belongs to a request in flight or to a task kept. */
bool inflight_token_known(const struct inflight* t, const cJSON* token);

#endif
