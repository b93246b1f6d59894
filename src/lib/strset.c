/* strset.c - see strset.h. */
#include "lib/strset.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define uthash_malloc(sz) xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

struct strset_item {
  UT_hash_handle hh;
  size_t len;
  char str[]; /* len bytes and a NUL */
};

void strset_init(struct strset* s) {
  s->head = NULL;
}

void strset_clear(struct strset* s) {
  struct strset_item *it, *tmp;
  HASH_ITER(hh, s->head, it, tmp) {
    HASH_DEL(s->head, it);
    free(it);
  }
}

static struct strset_item* strset_find(const struct strset* s,
                                       const char* str,
                                       size_t len) {
  struct strset_item* it = NULL;
  HASH_FIND(hh, s->head, str, len, it);
  return it;
}

bool strset_add(struct strset* s, const char* str, size_t len) {
  if (strset_find(s, str, len) != NULL)
    return false;
  struct strset_item* it = xmalloc(sizeof(*it) + len + 1);
  it->len = len;
  memcpy(it->str, str, len);
  it->str[len] = '\0';
  HASH_ADD_KEYPTR(hh, s->head, it->str, len, it);
  return true;
}

bool strset_remove(struct strset* s, const char* str, size_t len) {
  struct strset_item* it = strset_find(s, str, len);
  if (it == NULL)
    return false;
  HASH_DEL(s->head, it);
  free(it);
  return true;
}

bool strset_has(const struct strset* s, const char* str, size_t len) {
  return strset_find(s, str, len) != NULL;
}

size_t strset_count(const struct strset* s) {
  return HASH_COUNT(s->head);
}

void strset_each(const struct strset* s,
                 void (*fn)(void* ctx, const char* str, size_t len),
                 void* ctx) {
  for (const struct strset_item* it = s->head; it != NULL; it = it->hh.next)
    fn(ctx, it->str, it->len);
}
