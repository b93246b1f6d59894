/* yaml_values.c - see yaml_values.h. */
#include "config/yaml_values.h"

#include "config/config.h"

/* A whole number of milliseconds in [min, max]. */
int yaml_value_ms(struct config_error* err,
                  const struct yaml_tree_node* n,
                  const char* label,
                  unsigned min,
                  unsigned max,
                  unsigned* out) {
  if (n->kind != YAML_TREE_SCALAR)
    return yaml_tree_fail(
        err, n, "expected a whole number of milliseconds for '%s', got %s",
        label, yaml_tree_what(n));
  const char* s = n->text;
  unsigned v = 0;
  int r = config_parse_uint(s, max, &v);
  if (r == -1 || yaml_tree_has_nul(n))
    return yaml_tree_fail(err, n,
                          "expected a whole number of milliseconds for '%s', "
                          "got '%.64s'",
                          label, s);
  if (r == -2 || v < min)
    return yaml_tree_fail(
        err, n, "'%s' must be between %u and %u milliseconds, not %.64s", label,
        min, max, s);
  *out = v;
  return 0;
}

/* 'reload': overlap or stop-first (issue 14). */
int yaml_value_reload(struct config_error* err,
                      const struct yaml_tree_node* n,
                      enum reload_mode* out) {
  if (n->kind == YAML_TREE_SCALAR && !yaml_tree_has_nul(n) &&
      reload_mode_parse(n->text, out) == 0)
    return 0;
  if (n->kind == YAML_TREE_SCALAR)
    return yaml_tree_fail(err, n,
                          "expected overlap or stop-first for 'reload', got "
                          "'%.64s'",
                          n->text);
  return yaml_tree_fail(err, n,
                        "expected overlap or stop-first for 'reload', got %s",
                        yaml_tree_what(n));
}

/* A whole number (a count) in [min, max]. */
int yaml_value_count(struct config_error* err,
                     const struct yaml_tree_node* n,
                     const char* label,
                     unsigned min,
                     unsigned max,
                     unsigned* out) {
  if (n->kind != YAML_TREE_SCALAR)
    return yaml_tree_fail(err, n, "expected a whole number for '%s', got %s",
                          label, yaml_tree_what(n));
  unsigned v = 0;
  int r = config_parse_uint(n->text, max, &v);
  if (r == -1 || yaml_tree_has_nul(n))
    return yaml_tree_fail(err, n,
                          "expected a whole number for '%s', got '%.64s'",
                          label, n->text);
  if (r == -2 || v < min)
    return yaml_tree_fail(err, n, "'%s' must be between %u and %u, not %.64s",
                          label, min, max, n->text);
  *out = v;
  return 0;
}

int yaml_value_bool(struct config_error* err,
                    const struct yaml_tree_node* n,
                    const char* label,
                    bool* out) {
  if (n->kind == YAML_TREE_SCALAR && !yaml_tree_has_nul(n) &&
      yaml_tree_bool_word(n->text, out))
    return 0;
  if (n->kind == YAML_TREE_SCALAR)
    return yaml_tree_fail(
        err, n, "expected true or false for '%s', got '%.64s'", label, n->text);
  return yaml_tree_fail(err, n, "expected true or false for '%s', got %s",
                        label, yaml_tree_what(n));
}
