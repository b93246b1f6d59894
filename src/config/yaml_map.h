/* yaml_map.h - the entries of a YAML mapping, merge keys applied.
 *
 * A mapping of a yaml_tree (yaml_tree.h) read as a list of key: value
 * entries: keys must be strings without NUL bytes and written once; "<<"
 * merges the keys of another mapping, or of a list of mappings, that the
 * mapping does not write itself (earlier merged mappings win, merges nest
 * up to YAML_MAP_MAX_MERGE_DEPTH). Pure: no I/O.
 */
#ifndef MCPMON_YAML_MAP_H
#define MCPMON_YAML_MAP_H

#include <stddef.h>

#include "config/config_error.h"
#include "config/yaml_tree.h"

#define YAML_MAP_MAX_MERGE_DEPTH 16 /* "<<" inside merged mappings */

/* One key and its value; both point into the tree. */
struct yaml_map_entry {
  const struct yaml_tree_node* key;
  const struct yaml_tree_node* val;
};

/* Every key of a mapping once: the keys it writes, in file order, then
 * those it merges. v is owned by the struct; free it with yaml_map_free. */
struct yaml_map {
  struct yaml_map_entry* v;
  size_t n;
  size_t cap;
};

/* Reads the mapping node map (kind YAML_TREE_MAP) into *out, which it
 * overwrites. what names a key in messages ("key", "server name"); where
 * is appended to it (" in server 'x'", or ""). Returns 0, or -1 with err
 * set at the offending node; either way release *out with
 * yaml_map_free. */
int yaml_map_read(const struct yaml_tree_node* map,
                  const char* what,
                  const char* where,
                  struct yaml_map* out,
                  struct config_error* err);

/* Frees m->v and zeroes m. */
void yaml_map_free(struct yaml_map* m);

#endif
