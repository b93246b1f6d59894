/* yaml_values.h - the typed settings of .mcpmon.yaml read from one node
 * of the tree (yaml_tree.h): milliseconds, counts, the reload mode and
 * booleans. Each returns 0 with the value in *out, or -1 with a
 * file:line:col message in err naming label and the range; *out is then
 * unchanged. Nothing is allocated.
 */
#ifndef MCPMON_YAML_VALUES_H
#define MCPMON_YAML_VALUES_H

#include <stdbool.h>

#include "config/config.h"
#include "config/config_error.h"
#include "config/yaml_tree.h"

/* A whole number of milliseconds in [min, max]. */
int yaml_value_ms(struct config_error* err,
                  const struct yaml_tree_node* n,
                  const char* label,
                  unsigned min,
                  unsigned max,
                  unsigned* out);

/* A whole number (a count) in [min, max]. */
int yaml_value_count(struct config_error* err,
                     const struct yaml_tree_node* n,
                     const char* label,
                     unsigned min,
                     unsigned max,
                     unsigned* out);

/* 'reload': overlap or stop-first (issue 14). */
int yaml_value_reload(struct config_error* err,
                      const struct yaml_tree_node* n,
                      enum reload_mode* out);

/* true or false (and the other YAML 1.1 words). */
int yaml_value_bool(struct config_error* err,
                    const struct yaml_tree_node* n,
                    const char* label,
                    bool* out);

#endif
