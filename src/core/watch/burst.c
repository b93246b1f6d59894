/* burst.c - see burst.h. */
#include "core/watch/burst.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void burst_add(struct burst* b,
               uint64_t key,
               char* path,
               enum watcher_change_kind kind) {
  struct u64map_ent* e = u64map_find(&b->map, key);
  if (e != NULL) {
    struct watcher_change* p = &b->v[e->val];
    if (!(p->kind == WATCH_ADDED && kind == WATCH_MODIFIED))
      p->kind = kind;
    free(path);
    return;
  }
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 16;
    b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
  }
  b->v[b->n].path = path;
  b->v[b->n].kind = kind;
  u64map_put(&b->map, key, b->n);
  b->n++;
}

struct watcher_change* burst_take(struct burst* b, size_t* n) {
  struct watcher_change* v = b->v;
  *n = b->n;
  b->v = NULL;
  b->n = 0;
  b->cap = 0;
  u64map_free(&b->map);
  return v;
}

void burst_free_changes(struct watcher_change* v, size_t n) {
  for (size_t i = 0; i < n; i++) free((char*)v[i].path);
  free(v);
}

void burst_free(struct burst* b) {
  size_t n;
  struct watcher_change* v = burst_take(b, &n);
  burst_free_changes(v, n);
}

const char* burst_kind_name(enum watcher_change_kind kind) {
  switch (kind) {
    case WATCH_ADDED:
      return "added";
    case WATCH_MODIFIED:
      return "modified";
    case WATCH_REMOVED:
      return "removed";
  }
  return "changed";
}
