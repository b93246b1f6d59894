/* relay.h - the server-to-client requests a session has relayed and not
 * seen answered: sampling, elicitation, roots/list, ... (ID-2, CAN-2,
 * CAN-3, PROG-2).
 *
 * Pure: no libuv, no sending. A request of a backend's process goes to the
 * client under an id from one counter that never repeats in the session
 * (ID-2: two backends, or two generations of one, may use the same id);
 * the entry keeps the server's own id, restored exactly on the answer, the
 * backend and the generation of the process that asked, and its progress
 * token (PROG-2: the client's progress for it goes back to that process).
 *
 * Lifetime: an entry keeps a struct backend* that it never dereferences;
 * the session drops every entry of a backend (relay_drop with generation
 * 0) before that backend is freed, so a stale pointer is never returned.
 */
#ifndef MCPMON_RELAY_H
#define MCPMON_RELAY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "proto/jmsg.h"

struct backend;

struct relay_entry {
  int64_t id;          /* what the client sees */
  cJSON* server_id;    /* the server's own id (owned) */
  cJSON* token;        /* params._meta.progressToken (owned), or NULL */
  struct backend* b;   /* borrowed, never dereferenced here */
  uint64_t generation; /* the process that asked */
  /* The owner's, for the dashboard's traffic view (issue 15): relay_add
   * zeroes them, relay_entry_free frees method. */
  uint64_t seq;
  uint64_t t0_ns;
  char* method;
  TAILQ_ENTRY(relay_entry) link;
};

TAILQ_HEAD(relay_list, relay_entry);

struct relay {
  struct relay_list entries; /* oldest first */
  int64_t next_id;
  size_t count;
};

void relay_init(struct relay* r);
/* Free every entry. */
void relay_free(struct relay* r);

/* Record request m (a server->client request: it has an id) of process
 * `generation` of b, and rewrite its id in m to the client-facing one,
 * which is returned. The entry keeps the server's id as it was written
 * (a raw item, jmsg.h). The new entry is the last of r->entries. */
int64_t relay_add(struct relay* r,
                  struct backend* b,
                  uint64_t generation,
                  struct jmsg* m);

/* The entry the client's answer with this id belongs to, unlinked: the
 * caller restores e->server_id and frees e with relay_entry_free. NULL for
 * an id the session never relayed (or relayed and forgot). */
struct relay_entry* relay_take(struct relay* r, int64_t id);

/* The entry of b whose server-side id is server_id, unlinked (a
 * cancellation from the server, CAN-2), or NULL. */
struct relay_entry* relay_take_server_id(struct relay* r,
                                         const struct backend* b,
                                         const cJSON* server_id);

/* The entry whose progress token is token (borrowed, NULL while linked),
 * or NULL. */
const struct relay_entry* relay_find_token(const struct relay* r,
                                           const cJSON* token);

/* Unlink every entry of b's process `generation` (0: of every process of
 * b), oldest first, calling each(e, ctx) for it; the caller's callback
 * owns e (relay_entry_free). */
void relay_drop(struct relay* r,
                const struct backend* b,
                uint64_t generation,
                void (*each)(struct relay_entry* e, void* ctx),
                void* ctx);

void relay_entry_free(struct relay_entry* e);

#endif
