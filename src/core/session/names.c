/* names.c - see names.h. */
#include "core/session/names.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define NT_BUCKETS 256

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

struct nt_entry {
  char* exposed;
  char* original;
  void* owner;
  struct nt_entry* next;
};

struct name_table {
  struct nt_entry* b[NT_BUCKETS];
  size_t n;
};

static size_t nt_bucket(const char* s) {
  return names_hash(s, "") % NT_BUCKETS;
}

struct name_table* name_table_new(void) {
  return xcalloc(1, sizeof(struct name_table));
}

void name_table_clear(struct name_table* t) {
  for (size_t i = 0; i < NT_BUCKETS; i++) {
    struct nt_entry* e = t->b[i];
    while (e != NULL) {
      struct nt_entry* next = e->next;
      free(e->exposed);
      free(e->original);
      free(e);
      e = next;
    }
    t->b[i] = NULL;
  }
  t->n = 0;
}

void name_table_free(struct name_table* t) {
  if (t == NULL)
    return;
  name_table_clear(t);
  free(t);
}

size_t name_table_count(const struct name_table* t) {
  return t->n;
}

int name_table_add(struct name_table* t,
                   const char* exposed,
                   void* owner,
                   const char* original,
                   void** existing) {
  size_t h = nt_bucket(exposed);
  for (struct nt_entry* e = t->b[h]; e != NULL; e = e->next) {
    if (strcmp(e->exposed, exposed) == 0) {
      if (existing != NULL)
        *existing = e->owner;
      return -1;
    }
  }
  struct nt_entry* e = xmalloc(sizeof(*e));
  e->exposed = xstrdup(exposed);
  e->original = xstrdup(original);
  e->owner = owner;
  e->next = t->b[h];
  t->b[h] = e;
  t->n++;
  return 0;
}

bool name_table_find(const struct name_table* t,
                     const char* exposed,
                     void** owner,
                     const char** original) {
  for (struct nt_entry* e = t->b[nt_bucket(exposed)]; e != NULL; e = e->next) {
    if (strcmp(e->exposed, exposed) == 0) {
      if (owner != NULL)
        *owner = e->owner;
      if (original != NULL)
        *original = e->original;
      return true;
    }
  }
  return false;
}

void name_table_remove_owner(struct name_table* t, const void* owner) {
  for (size_t i = 0; i < NT_BUCKETS; i++) {
    struct nt_entry** pp = &t->b[i];
    while (*pp != NULL) {
      struct nt_entry* e = *pp;
      if (e->owner == owner) {
        *pp = e->next;
        free(e->exposed);
        free(e->original);
        free(e);
        t->n--;
      } else {
        pp = &e->next;
      }
    }
  }
}
