/* fingerprint.c - see fingerprint.h. */
#include "core/watch/fingerprint.h"

#include <string.h>

/* splitmix64's finalizer: spreads every input bit over the output. */
static uint64_t fingerprint_mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

/* FNV-1a over the bytes of s, continuing from h. */
static uint64_t fingerprint_bytes(uint64_t h, const char* s) {
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t fingerprint_key(const char* dir, const char* name) {
  uint64_t h = fingerprint_bytes(0xcbf29ce484222325ULL, dir);
  if (name != NULL && *name != '\0') {
    size_t n = strlen(dir);
    if (n == 0 || dir[n - 1] != '/')
      h = fingerprint_bytes(h, "/");
    h = fingerprint_bytes(h, name);
  }
  h = fingerprint_mix(h);
  return h != 0 ? h : 1;
}

static uint64_t fingerprint_of(const struct stat* st) {
  uint64_t mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ULL +
                   (uint64_t)st->st_mtim.tv_nsec;
  return fingerprint_mix(fingerprint_mix((uint64_t)st->st_size) ^ mtime);
}

enum fingerprint_change fingerprint_update(struct fingerprint_table* t,
                                           uint64_t key,
                                           const struct stat* st) {
  uint64_t fp = fingerprint_of(st);
  struct u64map_ent* e = u64map_find(&t->map, key);
  if (e == NULL) {
    u64map_put(&t->map, key, fp);
    return FINGERPRINT_ADDED;
  }
  if (e->val == fp)
    return FINGERPRINT_UNCHANGED;
  e->val = fp;
  return FINGERPRINT_MODIFIED;
}

bool fingerprint_forget(struct fingerprint_table* t, uint64_t key) {
  return u64map_del(&t->map, key);
}

size_t fingerprint_count(const struct fingerprint_table* t) {
  return t->map.n;
}

void fingerprint_free(struct fingerprint_table* t) {
  u64map_free(&t->map);
}
