/* config_diff.c - see config_diff.h. */
#include "config/config_diff.h"

#include <string.h>

static bool config_diff_str_eq(const char* a, const char* b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static const struct server_config* config_diff_find(
    const struct mcpmon_config* cfg, const char* name) {
  for (size_t i = 0; i < cfg->nservers; i++) {
    if (config_diff_str_eq(cfg->servers[i].name, name))
      return &cfg->servers[i];
  }
  return NULL;
}

void config_diff(const struct mcpmon_config* old_cfg,
                 const struct mcpmon_config* new_cfg,
                 struct config_diff* out) {
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < new_cfg->nservers; i++) {
    const struct server_config* s = &new_cfg->servers[i];
    const char* name = s->name != NULL ? s->name : "";
    const struct server_config* o = config_diff_find(old_cfg, s->name);
    if (o == NULL)
      strvec_push(&out->added, name);
    else if (server_config_equal(o, s))
      strvec_push(&out->unchanged, name);
    else
      strvec_push(&out->changed, name);
  }
  for (size_t i = 0; i < old_cfg->nservers; i++) {
    const struct server_config* o = &old_cfg->servers[i];
    if (config_diff_find(new_cfg, o->name) == NULL)
      strvec_push(&out->removed, o->name != NULL ? o->name : "");
  }
  out->globals_changed =
      !config_diff_str_eq(old_cfg->separator, new_cfg->separator) ||
      old_cfg->queue_timeout_ms != new_cfg->queue_timeout_ms;
}

void config_diff_free(struct config_diff* d) {
  strvec_free(&d->added);
  strvec_free(&d->removed);
  strvec_free(&d->changed);
  strvec_free(&d->unchanged);
  d->globals_changed = false;
}
