/* config.c - see config.h. */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "config/cfgutil.h"

void strvec_push(struct strvec* sv, const char* s) {
  /* Exact-size growth: the vectors are short (a few paths or arguments),
   * and it keeps strvec safe to build by hand with no hidden capacity. */
  sv->v = cfg_xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
  sv->v[sv->n++] = cfg_xstrdup(s);
}

void strvec_free(struct strvec* sv) {
  for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
  free(sv->v);
  sv->v = NULL;
  sv->n = 0;
}

void config_init(struct mcpmon_config* cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->verbosity = 1; /* LOG_DEFAULT */
  cfg->max_line = CONFIG_DEFAULT_MAX_LINE;
  cfg->queue_timeout_ms = CONFIG_DEFAULT_QUEUE_TIMEOUT_MS;
  cfg->separator = cfg_xstrdup(CONFIG_DEFAULT_SEPARATOR);
}

void server_config_init(struct server_config* sc) {
  memset(sc, 0, sizeof(*sc));
  sc->enabled = true;
  sc->delay_ms = CONFIG_DEFAULT_DELAY_MS;
  sc->grace_ms = CONFIG_DEFAULT_GRACE_MS;
}

struct server_config* config_add_server(struct mcpmon_config* cfg) {
  cfg->servers =
      cfg_xrealloc(cfg->servers, (cfg->nservers + 1) * sizeof(*cfg->servers));
  struct server_config* sc = &cfg->servers[cfg->nservers++];
  server_config_init(sc);
  return sc;
}

void server_config_free(struct server_config* sc) {
  free(sc->name);
  free(sc->command);
  strvec_free(&sc->args);
  strvec_free(&sc->watch);
  strvec_free(&sc->exts);
  strvec_free(&sc->ignore);
  strvec_free(&sc->env);
  free(sc->cwd);
  memset(sc, 0, sizeof(*sc));
}

void config_free(struct mcpmon_config* cfg) {
  for (size_t i = 0; i < cfg->nservers; i++)
    server_config_free(&cfg->servers[i]);
  free(cfg->servers);
  free(cfg->log_file);
  free(cfg->config_path);
  free(cfg->separator);
  free(cfg->control_path);
  memset(cfg, 0, sizeof(*cfg));
}

static void strvec_copy(struct strvec* dst, const struct strvec* src) {
  dst->v = NULL;
  dst->n = 0;
  for (size_t i = 0; i < src->n; i++)
    strvec_push(dst, src->v[i]);
}

void server_config_copy(struct server_config* dst,
                        const struct server_config* src) {
  *dst = *src;
  dst->name = src->name ? cfg_xstrdup(src->name) : NULL;
  dst->command = src->command ? cfg_xstrdup(src->command) : NULL;
  dst->cwd = src->cwd ? cfg_xstrdup(src->cwd) : NULL;
  strvec_copy(&dst->args, &src->args);
  strvec_copy(&dst->watch, &src->watch);
  strvec_copy(&dst->exts, &src->exts);
  strvec_copy(&dst->ignore, &src->ignore);
  strvec_copy(&dst->env, &src->env);
}

char* server_config_command_line(const struct server_config* sc) {
  const char* cmd = sc->command ? sc->command : "";
  size_t len = strlen(cmd) + 1;
  for (size_t i = 0; i < sc->args.n; i++)
    len += strlen(sc->args.v[i]) + 1;
  char* out = cfg_xmalloc(len);
  strcpy(out, cmd);
  for (size_t i = 0; i < sc->args.n; i++) {
    strcat(out, " ");
    strcat(out, sc->args.v[i]);
  }
  return out;
}
