/* yaml_map.c - see yaml_map.h.
 *
 * Duplicates are found by sorting (key, position) pairs, so a mapping
 * with many keys costs n log n, not n^2.
 */
#include "config/yaml_map.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfgutil.h"

struct ym_keyref {
  const char* text;
  size_t order;
};

static int ym_keyref_cmp(const void* a, const void* b) {
  const struct ym_keyref* x = a;
  const struct ym_keyref* y = b;
  int r = strcmp(x->text, y->text);
  if (r != 0)
    return r;
  return x->order < y->order ? -1 : x->order > y->order;
}

static bool ym_is_merge(const struct yaml_tree_node* key) {
  return key->kind == YAML_TREE_SCALAR && key->plain &&
         strcmp(key->text, "<<") == 0;
}

/* Checks the keys written in map: strings, no NULs, no duplicates. */
static int ym_check_keys(const struct yaml_tree_node* map,
                         const char* what,
                         const char* where,
                         struct config_error* err) {
  size_t n = map->nkids / 2;
  for (size_t i = 0; i < n; i++) {
    const struct yaml_tree_node* k = map->kids[2 * i];
    if (k->kind != YAML_TREE_SCALAR)
      return yaml_tree_fail(err, k, "expected a string as %s%s, got %s", what,
                            where, yaml_tree_what(k));
    if (yaml_tree_has_nul(k))
      return yaml_tree_fail(err, k, "a %s%s contains a NUL character", what,
                            where);
  }
  if (n < 2)
    return 0;
  struct ym_keyref* refs = cfg_xmalloc(n * sizeof(*refs));
  for (size_t i = 0; i < n; i++)
    refs[i] = (struct ym_keyref){map->kids[2 * i]->text, i};
  qsort(refs, n, sizeof(*refs), ym_keyref_cmp);
  /* Of all repeats, report the one that comes first in the file. */
  size_t first = 0, second = SIZE_MAX;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(refs[i - 1].text, refs[i].text) == 0 && refs[i].order < second) {
      first = refs[i - 1].order;
      second = refs[i].order;
    }
  }
  free(refs);
  if (second == SIZE_MAX)
    return 0;
  const struct yaml_tree_node* a = map->kids[2 * first];
  const struct yaml_tree_node* b = map->kids[2 * second];
  return yaml_tree_fail(err, b, "duplicate %s '%.64s'%s on lines %d and %d",
                        what, b->text, where, a->line, b->line);
}

static void ym_push(struct yaml_map* m,
                    const struct yaml_tree_node* key,
                    const struct yaml_tree_node* val) {
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 8;
    m->v = cfg_xrealloc(m->v, m->cap * sizeof(*m->v));
  }
  m->v[m->n++] = (struct yaml_map_entry){key, val};
}

/* Appends map's entries to out: its own keys first, in file order, then
 * those of the mappings it merges with "<<", earlier ones first. Keys
 * seen twice are dropped later by yaml_map_read(). */
static int ym_flatten(const struct yaml_tree_node* map,
                      const char* what,
                      const char* where,
                      struct yaml_map* out,
                      int depth,
                      struct config_error* err) {
  if (depth > YAML_MAP_MAX_MERGE_DEPTH)
    return yaml_tree_fail(err, map, "'<<' merges nested more than %d deep",
                          YAML_MAP_MAX_MERGE_DEPTH);
  if (ym_check_keys(map, what, where, err) != 0)
    return -1;
  size_t n = map->nkids / 2;
  for (size_t i = 0; i < n; i++) {
    if (!ym_is_merge(map->kids[2 * i]))
      ym_push(out, map->kids[2 * i], map->kids[2 * i + 1]);
  }
  for (size_t i = 0; i < n; i++) {
    if (!ym_is_merge(map->kids[2 * i]))
      continue;
    const struct yaml_tree_node* v = map->kids[2 * i + 1];
    if (v->kind == YAML_TREE_MAP) {
      if (ym_flatten(v, what, where, out, depth + 1, err) != 0)
        return -1;
      continue;
    }
    if (v->kind != YAML_TREE_SEQ)
      return yaml_tree_fail(err, v,
                            "expected a mapping or a list of mappings for "
                            "'<<', got %s",
                            yaml_tree_what(v));
    for (size_t j = 0; j < v->nkids; j++) {
      const struct yaml_tree_node* item = v->kids[j];
      if (item->kind != YAML_TREE_MAP)
        return yaml_tree_fail(err, item,
                              "expected a mapping or a list of mappings for "
                              "'<<', got a list with %s",
                              yaml_tree_what(item));
      if (ym_flatten(item, what, where, out, depth + 1, err) != 0)
        return -1;
    }
  }
  return 0;
}

int yaml_map_read(const struct yaml_tree_node* map,
                  const char* what,
                  const char* where,
                  struct yaml_map* out,
                  struct config_error* err) {
  memset(out, 0, sizeof(*out));
  if (ym_flatten(map, what, where, out, 0, err) != 0)
    return -1;
  if (out->n < 2)
    return 0;
  /* Keep the first of each key (a written key beats a merged one). */
  struct ym_keyref* refs = cfg_xmalloc(out->n * sizeof(*refs));
  bool* drop = cfg_xmalloc(out->n * sizeof(*drop));
  for (size_t i = 0; i < out->n; i++) {
    refs[i] = (struct ym_keyref){out->v[i].key->text, i};
    drop[i] = false;
  }
  qsort(refs, out->n, sizeof(*refs), ym_keyref_cmp);
  for (size_t i = 1; i < out->n; i++) {
    if (strcmp(refs[i - 1].text, refs[i].text) == 0)
      drop[refs[i].order] = true;
  }
  size_t w = 0;
  for (size_t i = 0; i < out->n; i++) {
    if (!drop[i])
      out->v[w++] = out->v[i];
  }
  out->n = w;
  free(drop);
  free(refs);
  return 0;
}

void yaml_map_free(struct yaml_map* m) {
  free(m->v);
  memset(m, 0, sizeof(*m));
}
