/* config_diff.h - what a reload of .mcpmon.yaml changes.
 *
 * Compares two loaded configs (config.h), matching servers by name and
 * comparing them with server_config_equal(). Pure: no I/O.
 */
#ifndef MCPMON_CONFIG_DIFF_H
#define MCPMON_CONFIG_DIFF_H

#include <stdbool.h>

#include "config/config.h"

/* What a reload changes, as server names (copies owned by the struct).
 * added, changed and unchanged follow the new config's order, removed
 * the old one's. A server whose settings differ in any way, enabled
 * included, is "changed". globals_changed is set when the separator or
 * queue_timeout_ms differ. */
struct config_diff {
  struct strvec added;
  struct strvec removed;
  struct strvec changed;
  struct strvec unchanged;
  bool globals_changed;
};

/* Compares two loaded configs, matching servers by name. Overwrites *out
 * without freeing it; release it with config_diff_free(). */
void config_diff(const struct mcpmon_config* old_cfg,
                 const struct mcpmon_config* new_cfg,
                 struct config_diff* out);

/* Frees the name lists of d and zeroes it. */
void config_diff_free(struct config_diff* d);

#endif
