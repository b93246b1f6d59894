/* inflight.c - see inflight.h. */
#include "core/backend/inflight.h"

#include <stdlib.h>

#include "lib/util.h"
#include "proto/jsonrpc.h"

/* u64map keys cannot be 0, and wire ids start at 0. */
static uint64_t inflight_key(int64_t id) {
  return (uint64_t)id + 1u;
}

void inflight_init(struct inflight* t, size_t max_task_tokens) {
  t->by_id = (struct u64map){0};
  TAILQ_INIT(&t->order);
  t->n = 0;
  t->nforward = 0;
  STAILQ_INIT(&t->tasks);
  t->ntasks = 0;
  t->max_tasks = max_task_tokens;
}

void inflight_free(struct inflight* t) {
  struct inflight_req* r;
  while ((r = inflight_take_oldest(t)) != NULL) inflight_req_free(r);
  inflight_clear_tasks(t);
  u64map_free(&t->by_id);
}

struct inflight_req* inflight_req_new(int64_t id,
                                      enum inflight_kind kind,
                                      const char* method) {
  struct inflight_req* r = xcalloc(1, sizeof(*r));
  r->id = id;
  r->kind = kind;
  r->method = xstrdup(method != NULL ? method : "?");
  return r;
}

void inflight_req_free(struct inflight_req* r) {
  if (r == NULL)
    return;
  cJSON_Delete(r->client_id);
  cJSON_Delete(r->token);
  free(r->method);
  free(r->tool);
  free(r);
}

void inflight_add(struct inflight* t, struct inflight_req* r) {
  if (r->id < 0 ||
      !u64map_put(&t->by_id, inflight_key(r->id), (uint64_t)(uintptr_t)r))
    abort(); /* broken invariant: ids are ours, fresh and >= 0 */
  TAILQ_INSERT_TAIL(&t->order, r, entry);
  t->n++;
  if (r->kind == INFLIGHT_FORWARD)
    t->nforward++;
}

struct inflight_req* inflight_find(const struct inflight* t, int64_t id) {
  if (id < 0)
    return NULL;
  struct u64map_ent* e = u64map_find(&t->by_id, inflight_key(id));
  return e != NULL ? (struct inflight_req*)(uintptr_t)e->val : NULL;
}

struct inflight_req* inflight_take(struct inflight* t, int64_t id) {
  struct inflight_req* r = inflight_find(t, id);
  if (r == NULL)
    return NULL;
  u64map_del(&t->by_id, inflight_key(id));
  TAILQ_REMOVE(&t->order, r, entry);
  t->n--;
  if (r->kind == INFLIGHT_FORWARD)
    t->nforward--;
  return r;
}

struct inflight_req* inflight_take_oldest(struct inflight* t) {
  struct inflight_req* r = TAILQ_FIRST(&t->order);
  return r != NULL ? inflight_take(t, r->id) : NULL;
}

struct inflight_req* inflight_find_client(const struct inflight* t,
                                          const cJSON* client_id) {
  struct inflight_req* r;
  TAILQ_FOREACH(r, &t->order, entry) {
    if (r->kind == INFLIGHT_FORWARD && r->client_id != NULL &&
        jrpc_id_equal(r->client_id, client_id))
      return r;
  }
  return NULL;
}

static bool inflight_is_token(const cJSON* token) {
  /* a raw item: a token kept as its text (jmsg.h) */
  return cJSON_IsString(token) || cJSON_IsNumber(token) || cJSON_IsRaw(token);
}

void inflight_note_task(struct inflight* t, const cJSON* token) {
  if (!inflight_is_token(token) || t->max_tasks == 0)
    return;
  if (t->ntasks >= t->max_tasks) {
    struct inflight_token* old = STAILQ_FIRST(&t->tasks);
    STAILQ_REMOVE_HEAD(&t->tasks, entry);
    cJSON_Delete(old->token);
    free(old);
    t->ntasks--;
  }
  struct inflight_token* k = xcalloc(1, sizeof(*k));
  k->token = cJSON_Duplicate(token, 1);
  STAILQ_INSERT_TAIL(&t->tasks, k, entry);
  t->ntasks++;
}

void inflight_clear_tasks(struct inflight* t) {
  struct inflight_token* k;
  while ((k = STAILQ_FIRST(&t->tasks)) != NULL) {
    STAILQ_REMOVE_HEAD(&t->tasks, entry);
    cJSON_Delete(k->token);
    free(k);
  }
  t->ntasks = 0;
}

bool inflight_token_known(const struct inflight* t, const cJSON* token) {
  if (!inflight_is_token(token))
    return false;
  const struct inflight_req* r;
  TAILQ_FOREACH(r, &t->order, entry) {
    if (r->token != NULL && jrpc_id_equal(r->token, token))
      return true;
  }
  const struct inflight_token* k;
  STAILQ_FOREACH(k, &t->tasks, entry) {
    if (jrpc_id_equal(k->token, token))
      return true;
  }
  return false;
}
