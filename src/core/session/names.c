/* names.c - see names.h. */
#include "core/session/names.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool names_ok(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void names_sanitize(char* s) {
  for (; *s; s++)
    if (!names_ok(*s))
      *s = '_';
}

static uint32_t names_hash(const char* a, const char* b) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const char* p = a; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
  h = (h ^ 0xffu) * 16777619u;
  for (const char* p = b; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
  return h;
}

/* Keep the first NAMES_MAX - 7 characters, then "_" and 6 hex digits. */
static void names_shorten(char* name, uint32_t h) {
  size_t keep = NAMES_MAX - 7;
  if (strlen(name) < keep)
    keep = strlen(name);
  snprintf(name + keep, NAMES_MAX + 1 - keep, "_%06x", h & 0xffffffu);
}

void names_expose(const char* prefix,
                  const char* separator,
                  const char* original,
                  char* out) {
  char* p = xstrdup(prefix);
  char* o = xstrdup(original);
  names_sanitize(p);
  names_sanitize(o);
  char* full = xasprintf("%s%s%s", p, separator, o);
  if (full[0] == '\0') {
    free(full);
    full = xstrdup("_");
  }
  if (strlen(full) > NAMES_MAX)
    names_shorten(full, names_hash(prefix, original));
  memcpy(out, full, strlen(full) + 1);
  free(full);
  free(p);
  free(o);
}

void names_disambiguate(const char* name, const char* salt, char* out) {
  char buf[NAMES_MAX + 1];
  snprintf(buf, sizeof(buf), "%s", name);
  names_shorten(buf, names_hash(name, salt));
  if (strlen(name) + 7 <= NAMES_MAX)
    snprintf(buf, sizeof(buf), "%s_%06x", name,
             names_hash(name, salt) & 0xffffffu);
  /* A name of NAMES_MAX characters may end in this very suffix. */
  if (strcmp(buf, name) == 0)
    names_shorten(buf, names_hash(name, salt) + 1);
  memcpy(out, buf, strlen(buf) + 1);
}

/* The table is a uthash hash keyed by the exposed string; allocation
 * failure follows lib/util.h (abort with a message), like every other
 * allocation of the core. */
#define uthash_malloc(sz) xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

struct nt_entry {
  char* exposed; /* the key */
  char* original;
  void* owner;
  UT_hash_handle hh;
};

struct name_table {
  struct nt_entry* head; /* uthash's handle of the whole table */
};

struct name_table* name_table_new(void) {
  return xcalloc(1, sizeof(struct name_table));
}

static void nt_delete(struct name_table* t, struct nt_entry* e) {
  HASH_DEL(t->head, e);
  free(e->exposed);
  free(e->original);
  free(e);
}

void name_table_clear(struct name_table* t) {
  struct nt_entry *e, *tmp;
  HASH_ITER(hh, t->head, e, tmp) {
    nt_delete(t, e);
  }
}

void name_table_free(struct name_table* t) {
  if (t == NULL)
    return;
  name_table_clear(t);
  free(t);
}

size_t name_table_count(const struct name_table* t) {
  return HASH_COUNT(t->head);
}

static struct nt_entry* nt_get(const struct name_table* t, const char* key) {
  struct nt_entry* e = NULL;
  HASH_FIND_STR(t->head, key, e);
  return e;
}

int name_table_add(struct name_table* t,
                   const char* exposed,
                   void* owner,
                   const char* original,
                   void** existing) {
  struct nt_entry* old = nt_get(t, exposed);
  if (old != NULL) {
    if (existing != NULL)
      *existing = old->owner;
    return -1;
  }
  struct nt_entry* e = xmalloc(sizeof(*e));
  e->exposed = xstrdup(exposed);
  e->original = xstrdup(original);
  e->owner = owner;
  HASH_ADD_KEYPTR(hh, t->head, e->exposed, strlen(e->exposed), e);
  return 0;
}

bool name_table_find(const struct name_table* t,
                     const char* exposed,
                     void** owner,
                     const char** original) {
  struct nt_entry* e = nt_get(t, exposed);
  if (e == NULL)
    return false;
  if (owner != NULL)
    *owner = e->owner;
  if (original != NULL)
    *original = e->original;
  return true;
}

void name_table_remove_owner(struct name_table* t, const void* owner) {
  struct nt_entry *e, *tmp;
  HASH_ITER(hh, t->head, e, tmp) {
    if (e->owner == owner)
      nt_delete(t, e);
  }
}
