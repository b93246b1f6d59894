/* relay.c - see relay.h. */
#include "core/session/relay.h"

#include <stdlib.h>

#include "lib/util.h"
#include "proto/jmsg.h"
#include "proto/jsonrpc.h"

void relay_init(struct relay* r) {
  TAILQ_INIT(&r->entries);
  r->next_id = 1;
  r->count = 0;
}

void relay_entry_free(struct relay_entry* e) {
  if (e == NULL)
    return;
  cJSON_Delete(e->server_id);
  cJSON_Delete(e->token);
  free(e->method);
  free(e);
}

void relay_free(struct relay* r) {
  struct relay_entry* e;
  while ((e = TAILQ_FIRST(&r->entries)) != NULL) {
    TAILQ_REMOVE(&r->entries, e, link);
    relay_entry_free(e);
  }
  r->count = 0;
}

int64_t relay_add(struct relay* r,
                  struct backend* b,
                  uint64_t generation,
                  struct jmsg* m) {
  struct relay_entry* e = xcalloc(1, sizeof(*e));
  e->id = r->next_id++;
  e->server_id = jmsg_id(m);
  struct jspan token = jmsg_get(m, "params", "_meta", "progressToken", NULL);
  enum jscan_type t = jtext_type(m->text, token);
  if (t == JSCAN_STRING || t == JSCAN_NUMBER)
    e->token = jtext_raw(m->text, token);
  e->b = b;
  e->generation = generation;
  TAILQ_INSERT_TAIL(&r->entries, e, link);
  r->count++;
  jmsg_replace_int(m, m->id, e->id);
  return e->id;
}

static struct relay_entry* relay_unlink(struct relay* r,
                                        struct relay_entry* e) {
  TAILQ_REMOVE(&r->entries, e, link);
  r->count--;
  return e;
}

struct relay_entry* relay_take(struct relay* r, int64_t id) {
  struct relay_entry* e;
  TAILQ_FOREACH(e, &r->entries, link) {
    if (e->id == id)
      return relay_unlink(r, e);
  }
  return NULL;
}

struct relay_entry* relay_take_server_id(struct relay* r,
                                         const struct backend* b,
                                         const cJSON* server_id) {
  if (server_id == NULL)
    return NULL;
  struct relay_entry* e;
  TAILQ_FOREACH(e, &r->entries, link) {
    if (e->b == b && jrpc_id_equal(e->server_id, server_id))
      return relay_unlink(r, e);
  }
  return NULL;
}

const struct relay_entry* relay_find_token(const struct relay* r,
                                           const cJSON* token) {
  if (token == NULL)
    return NULL;
  const struct relay_entry* e;
  TAILQ_FOREACH(e, &r->entries, link) {
    if (e->token != NULL && jrpc_id_equal(e->token, token))
      return e;
  }
  return NULL;
}

void relay_drop(struct relay* r,
                const struct backend* b,
                uint64_t generation,
                void (*each)(struct relay_entry* e, void* ctx),
                void* ctx) {
  struct relay_entry* e = TAILQ_FIRST(&r->entries);
  while (e != NULL) {
    struct relay_entry* next = TAILQ_NEXT(e, link);
    if (e->b == b && (generation == 0 || e->generation == generation))
      each(relay_unlink(r, e), ctx);
    e = next;
  }
}
