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
  sc->reload = RELOAD_OVERLAP;
  sc->drain_ms = CONFIG_DEFAULT_DRAIN_MS;
  sc->init_timeout_ms = CONFIG_DEFAULT_INIT_TIMEOUT_MS;
  sc->crash_retries = CONFIG_DEFAULT_CRASH_RETRIES;
  sc->crash_window_ms = CONFIG_DEFAULT_CRASH_WINDOW_MS;
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
  free(sc->build);
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
  for (size_t i = 0; i < src->n; i++) strvec_push(dst, src->v[i]);
}

void server_config_copy(struct server_config* dst,
                        const struct server_config* src) {
  *dst = *src;
  dst->name = src->name ? cfg_xstrdup(src->name) : NULL;
  dst->command = src->command ? cfg_xstrdup(src->command) : NULL;
  dst->cwd = src->cwd ? cfg_xstrdup(src->cwd) : NULL;
  dst->build = src->build ? cfg_xstrdup(src->build) : NULL;
  strvec_copy(&dst->args, &src->args);
  strvec_copy(&dst->watch, &src->watch);
  strvec_copy(&dst->exts, &src->exts);
  strvec_copy(&dst->ignore, &src->ignore);
  strvec_copy(&dst->env, &src->env);
}

static char* config_strdup_or_null(const char* s) {
  return s != NULL ? cfg_xstrdup(s) : NULL;
}

void config_copy(struct mcpmon_config* dst, const struct mcpmon_config* src) {
  *dst = *src;
  dst->log_file = config_strdup_or_null(src->log_file);
  dst->config_path = config_strdup_or_null(src->config_path);
  dst->separator = config_strdup_or_null(src->separator);
  dst->control_path = config_strdup_or_null(src->control_path);
  dst->servers = NULL;
  dst->nservers = 0;
  if (src->nservers > 0) {
    dst->servers = cfg_xmalloc(src->nservers * sizeof(*dst->servers));
    for (size_t i = 0; i < src->nservers; i++)
      server_config_copy(&dst->servers[i], &src->servers[i]);
    dst->nservers = src->nservers;
  }
}

char* server_config_command_line(const struct server_config* sc) {
  const char* cmd = sc->command ? sc->command : "";
  size_t len = strlen(cmd) + 1;
  for (size_t i = 0; i < sc->args.n; i++) len += strlen(sc->args.v[i]) + 1;
  char* out = cfg_xmalloc(len);
  strcpy(out, cmd);
  for (size_t i = 0; i < sc->args.n; i++) {
    strcat(out, " ");
    strcat(out, sc->args.v[i]);
  }
  return out;
}

static bool config_str_eq(const char* a, const char* b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool config_strvec_eq(const struct strvec* a, const struct strvec* b) {
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++) {
    if (strcmp(a->v[i], b->v[i]) != 0)
      return false;
  }
  return true;
}

/* delay_fixed is left out: "delay: 30" written where the default 30
 * was changes no server (the watcher keeps its mode until restarted). */
bool server_config_equal(const struct server_config* a,
                         const struct server_config* b) {
  return config_str_eq(a->name, b->name) &&
         config_str_eq(a->command, b->command) &&
         config_strvec_eq(&a->args, &b->args) &&
         config_strvec_eq(&a->watch, &b->watch) &&
         config_strvec_eq(&a->exts, &b->exts) &&
         a->exts_default == b->exts_default &&
         config_strvec_eq(&a->ignore, &b->ignore) &&
         config_strvec_eq(&a->env, &b->env) && config_str_eq(a->cwd, b->cwd) &&
         config_str_eq(a->build, b->build) && a->enabled == b->enabled &&
         a->delay_ms == b->delay_ms && a->grace_ms == b->grace_ms &&
         a->reload == b->reload && a->drain_ms == b->drain_ms &&
         a->init_timeout_ms == b->init_timeout_ms &&
         a->crash_retries == b->crash_retries &&
         a->crash_window_ms == b->crash_window_ms;
}

int config_parse_uint(const char* s, unsigned max, unsigned* out) {
  if (*s == '\0')
    return -1;
  unsigned long v = 0;
  bool over = false;
  for (const char* p = s; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    if (!over) {
      v = v * 10 + (unsigned long)(*p - '0');
      if (v > max)
        over = true;
    }
  }
  if (over)
    return -2;
  *out = (unsigned)v;
  return 0;
}

static bool config_is_blank(const char* blanks, char ch) {
  return ch != '\0' && strchr(blanks, ch) != NULL;
}

int config_add_exts(struct strvec* exts,
                    const char* list,
                    const char* blanks,
                    size_t max,
                    const char** item,
                    size_t* len) {
  const char* p = list;
  for (;;) {
    const char* end = strchr(p, ',');
    if (end == NULL)
      end = p + strlen(p);
    const char* b = p;
    const char* e = end;
    while (b < e && config_is_blank(blanks, *b)) b++;
    while (e > b && config_is_blank(blanks, e[-1])) e--;
    while (b < e && *b == '.') b++;
    size_t n = (size_t)(e - b);
    *item = b;
    *len = n;
    if (n == 0)
      return CONFIG_EXT_EMPTY;
    bool star = n == 1 && *b == '*';
    for (const char* q = b; q < e && !star; q++) {
      if (*q == '/' || *q == '*' || *q == '?' || *q == '[' ||
          config_is_blank(blanks, *q))
        return CONFIG_EXT_INVALID;
    }
    bool dup = false;
    for (size_t i = 0; i < exts->n && !dup; i++)
      dup = strlen(exts->v[i]) == n && memcmp(exts->v[i], b, n) == 0;
    if (!dup && exts->n >= max)
      return CONFIG_EXT_TOO_MANY;
    if (!dup) {
      char* copy = cfg_xstrndup(b, n);
      strvec_push(exts, copy);
      free(copy);
    }
    if (*end == '\0')
      return 0;
    p = end + 1;
  }
}

/* Whether base is name followed by nothing or by a version: digits and
 * dots ("python3", "python3.11"). */
static bool config_is_versioned(const char* base, const char* name) {
  size_t n = strlen(name);
  if (strncmp(base, name, n) != 0)
    return false;
  for (const char* p = base + n; *p != '\0'; p++) {
    if ((*p < '0' || *p > '9') && *p != '.')
      return false;
  }
  return true;
}

const char* config_default_exts(const char* command, bool* known) {
  static const char* const js[] = {"node", "nodejs", "npx",
                                   "tsx",  "bun",    "deno"};
  static const char* const py[] = {"python", "uv", "uvx"};
  const char* base = command != NULL ? strrchr(command, '/') : NULL;
  base = base != NULL ? base + 1 : command != NULL ? command : "";
  if (known != NULL)
    *known = true;
  for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
    if (config_is_versioned(base, js[i]))
      return "js,mjs,cjs,ts,json";
  }
  for (size_t i = 0; i < sizeof(py) / sizeof(py[0]); i++) {
    if (config_is_versioned(base, py[i]))
      return "py";
  }
  if (known != NULL)
    *known = false;
  return "py";
}

const char* reload_mode_name(enum reload_mode m) {
  return m == RELOAD_STOP_FIRST ? "stop-first" : "overlap";
}

int reload_mode_parse(const char* s, enum reload_mode* out) {
  if (strcmp(s, "overlap") == 0)
    *out = RELOAD_OVERLAP;
  else if (strcmp(s, "stop-first") == 0)
    *out = RELOAD_STOP_FIRST;
  else
    return -1;
  return 0;
}
