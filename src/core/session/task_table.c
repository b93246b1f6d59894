/* task_table.c - see task_table.h. uthash for the lookup, its insertion
 * order (the hash's own list) for the age: a refreshed entry is deleted
 * and added again, so the head is always the oldest. */
#include "core/session/task_table.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define uthash_malloc(sz) xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

struct task_item {
  UT_hash_handle hh;
  char* server;
  uint64_t serial;
  uint64_t generation;
  char exposed[]; /* NUL-terminated */
};

struct task_table {
  struct task_item* head;
  size_t max;
};

struct task_table* task_table_new(size_t max) {
  struct task_table* t = xcalloc(1, sizeof(*t));
  t->max = max > 0 ? max : 1;
  return t;
}

static void task_item_free(struct task_item* it) {
  free(it->server);
  free(it);
}

void task_table_free(struct task_table* t) {
  if (t == NULL)
    return;
  struct task_item *it, *tmp;
  HASH_ITER(hh, t->head, it, tmp) {
    HASH_DEL(t->head, it);
    task_item_free(it);
  }
  free(t);
}

size_t task_table_count(const struct task_table* t) {
  return HASH_COUNT(t->head);
}

static struct task_item* task_find(const struct task_table* t,
                                   const char* exposed) {
  struct task_item* it = NULL;
  HASH_FIND_STR(t->head, exposed, it);
  return it;
}

void task_table_put(struct task_table* t,
                    const char* exposed,
                    const struct task_owner* owner) {
  struct task_item* it = task_find(t, exposed);
  if (it != NULL) {
    HASH_DEL(t->head, it);
    task_item_free(it);
  }
  while (HASH_COUNT(t->head) >= t->max) {
    struct task_item* oldest = t->head;
    HASH_DEL(t->head, oldest);
    task_item_free(oldest);
  }
  size_t n = strlen(exposed);
  it = xmalloc(sizeof(*it) + n + 1);
  memcpy(it->exposed, exposed, n + 1);
  it->server = xstrdup(owner->server);
  it->serial = owner->serial;
  it->generation = owner->generation;
  HASH_ADD_KEYPTR(hh, t->head, it->exposed, n, it);
}

bool task_table_find(const struct task_table* t,
                     const char* exposed,
                     struct task_owner* owner) {
  struct task_item* it = task_find(t, exposed);
  if (it == NULL)
    return false;
  owner->server = it->server;
  owner->serial = it->serial;
  owner->generation = it->generation;
  return true;
}
