/* u64map.c - see u64map.h. */
#include "lib/u64map.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct u64map_ent* u64map_find(const struct u64map* m, uint64_t key) {
  if (m->cap == 0)
    return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    if (m->e[i].key == key)
      return &m->e[i];
    if (m->e[i].key == 0)
      return NULL;
  }
}

/* Stores key, known to be absent, in a map with room for it. */
static void u64map_put_new(struct u64map* m, uint64_t key, uint64_t val) {
  size_t mask = m->cap - 1;
  size_t i = key & mask;
  while (m->e[i].key != 0) i = (i + 1) & mask;
  m->e[i].key = key;
  m->e[i].val = val;
  m->n++;
}

bool u64map_put(struct u64map* m, uint64_t key, uint64_t val) {
  struct u64map_ent* found = u64map_find(m, key);
  if (found != NULL) {
    found->val = val;
    return false;
  }
  if ((m->n + 1) * 4 > m->cap * 3) {
    struct u64map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->e = xcalloc(m->cap, sizeof(*m->e));
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
      if (old.e[i].key != 0)
        u64map_put_new(m, old.e[i].key, old.e[i].val);
    }
    free(old.e);
  }
  u64map_put_new(m, key, val);
  return true;
}

bool u64map_del(struct u64map* m, uint64_t key) {
  struct u64map_ent* found = u64map_find(m, key);
  if (found == NULL)
    return false;
  size_t mask = m->cap - 1;
  size_t i = (size_t)(found - m->e);
  for (size_t j = (i + 1) & mask; m->e[j].key != 0; j = (j + 1) & mask) {
    size_t home = m->e[j].key & mask;
    /* Move e[j] into the hole unless its home lies in (i, j]. */
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      m->e[i] = m->e[j];
      i = j;
    }
  }
  m->e[i].key = 0;
  m->e[i].val = 0;
  m->n--;
  return true;
}

void u64map_free(struct u64map* m) {
  free(m->e);
  memset(m, 0, sizeof(*m));
}
