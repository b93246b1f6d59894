/* evqueue.c - see evqueue.h. */
#include "core/watch/evqueue.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void evqueue_init(struct evqueue* q, size_t cap) {
  memset(q, 0, sizeof(*q));
  TAILQ_INIT(&q->list);
  q->cap = cap;
}

/* FNV-1a of name, mixed with the directory's address; never 0. */
static uint64_t evqueue_key(const void* dir, const char* name) {
  uint64_t h = 1469598103934665603ull ^
               ((uint64_t)(uintptr_t)dir * 0x9e3779b97f4a7c15ull);
  for (const unsigned char* p = (const unsigned char*)name; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return h != 0 ? h : 1;
}

int evqueue_push(struct evqueue* q, void* dir, const char* name) {
  uint64_t key = evqueue_key(dir, name);
  struct u64map_ent* e = u64map_find(&q->map, key);
  if (e != NULL) {
    struct evqueue_ent* old = (struct evqueue_ent*)(uintptr_t)e->val;
    if (old->dir == dir && strcmp(old->name, name) == 0)
      return 0;
    key = 0; /* another pair with the same hash: queued, not mapped */
  }
  if (q->n >= q->cap) {
    q->dropped++;
    return -1;
  }
  size_t len = strlen(name);
  struct evqueue_ent* ent = xmalloc(sizeof(*ent) + len + 1);
  ent->key = key;
  ent->dir = dir;
  memcpy(ent->name, name, len + 1);
  TAILQ_INSERT_TAIL(&q->list, ent, link);
  if (key != 0)
    u64map_put(&q->map, key, (uint64_t)(uintptr_t)ent);
  q->n++;
  return 1;
}

static void evqueue_unlink(struct evqueue* q, struct evqueue_ent* ent) {
  TAILQ_REMOVE(&q->list, ent, link);
  if (ent->key != 0)
    u64map_del(&q->map, ent->key);
  q->n--;
}

struct evqueue_ent* evqueue_pop(struct evqueue* q) {
  struct evqueue_ent* ent = TAILQ_FIRST(&q->list);
  if (ent != NULL)
    evqueue_unlink(q, ent);
  return ent;
}

void evqueue_forget(struct evqueue* q, const void* dir) {
  struct evqueue_ent* ent = TAILQ_FIRST(&q->list);
  while (ent != NULL) {
    struct evqueue_ent* next = TAILQ_NEXT(ent, link);
    if (ent->dir == dir) {
      evqueue_unlink(q, ent);
      free(ent);
    }
    ent = next;
  }
}

void evqueue_free(struct evqueue* q) {
  struct evqueue_ent* ent;
  while ((ent = evqueue_pop(q)) != NULL) free(ent);
  u64map_free(&q->map);
  size_t cap = q->cap;
  unsigned long long dropped = q->dropped;
  evqueue_init(q, cap);
  q->dropped = dropped;
}
