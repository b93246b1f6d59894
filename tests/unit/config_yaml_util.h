/* config_yaml_util.h - what test_config_yaml.c and test_config_load.c
 * share: parsing YAML from memory (display name .mcpmon.yaml, base
 * directory /proj) into a fresh config, the last formatted error, and
 * checks on failures and string vectors. Header-only (static inline), so
 * each test executable has its own copy. */
#ifndef MCPMON_TEST_CONFIG_YAML_UTIL_H
#define MCPMON_TEST_CONFIG_YAML_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/config_yaml.h"

static char g_msg[1200]; /* the last formatted error */

/* Parses yaml into a fresh cfg (the caller frees it). */
static inline int load(struct mcpmon_config* cfg, const char* yaml) {
  struct config_error e;
  config_init(cfg);
  int r =
      config_parse_yaml(yaml, strlen(yaml), ".mcpmon.yaml", "/proj", cfg, &e);
  if (r != 0)
    config_error_format(&e, g_msg, sizeof(g_msg));
  else
    g_msg[0] = '\0';
  return r;
}

/* yaml fails with the formatted error want (exact, or a substring when
 * sub), leaving no servers behind. */
static inline bool fails(const char* yaml, const char* want, bool sub) {
  struct mcpmon_config cfg;
  int r = load(&cfg, yaml);
  bool ok = r == -1 && cfg.nservers == 0 && cfg.servers == NULL &&
            (sub ? strstr(g_msg, want) != NULL : strcmp(g_msg, want) == 0) &&
            strchr(g_msg, '\n') == NULL;
  if (!ok)
    fprintf(stderr, "  result %d, error \"%s\"\n  wanted \"%s\"\n", r, g_msg,
            want);
  config_free(&cfg);
  return ok;
}

#define CHECK_FAIL(yaml, want) CHECK(fails(yaml, want, false))
#define CHECK_FAIL_HAS(yaml, want) CHECK(fails(yaml, want, true))

static inline bool sv_is(const struct strvec* sv, const char** want) {
  size_t n = 0;
  while (want[n] != NULL) n++;
  bool ok = sv->n == n;
  for (size_t i = 0; ok && i < n; i++) ok = strcmp(sv->v[i], want[i]) == 0;
  if (!ok) {
    fprintf(stderr, "  got [");
    for (size_t i = 0; i < sv->n; i++)
      fprintf(stderr, "%s\"%s\"", i ? ", " : "", sv->v[i]);
    fprintf(stderr, "]\n");
  }
  return ok;
}

#define LIST(...) ((const char*[]){__VA_ARGS__, NULL})
#define CHECK_SV(sv, ...) CHECK(sv_is(&(sv), LIST(__VA_ARGS__)))
#define CHECK_SV_EMPTY(sv) CHECK_INT((sv).n, 0)

/* A server "s" with the given extra lines (each indented 4). */
#define SERVER(lines) "servers:\n  s:\n    command: python\n" lines

#endif
