/* fuzz_config.c - src/config/config_yaml.c: load .mcpmon.yaml text, then
 * compare the result with a fixed config as a reload does, and format the
 * error of a failed load.
 *
 * Invariants: a load fills a valid config or none (on failure no servers,
 * and a one-line message); a loaded config equals itself and its copy;
 * the diff against a fixed config accounts for every server of both;
 * config_error_format stays inside its buffer whatever its size.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_diff.h"
#include "config/config_yaml.h"
#include "fuzz_check.h"

#define FUZZ_MAX_INPUT (64u * 1024u)
#define FUZZ_BASE "/fuzz/base"

static const char fixed_yaml[] =
    "x-common: &common\n"
    "  delay: 50\n"
    "  extensions: py,json\n"
    "servers:\n"
    "  weather:\n"
    "    <<: *common\n"
    "    command: python3\n"
    "    args: [weather.py]\n"
    "  files:\n"
    "    command: ./files-server\n"
    "    enabled: false\n";

static struct mcpmon_config fixed;

static void fixed_load(void) {
  static bool done;
  if (done)
    return;
  done = true;
  config_init(&fixed);
  struct config_error err;
  int rc = config_parse_yaml(fixed_yaml, sizeof(fixed_yaml) - 1, "fixed.yaml",
                             FUZZ_BASE, &fixed, &err);
  if (rc != 0)
    fprintf(stderr, "fixed config: %s\n", err.msg);
  FUZZ_CHECK(rc == 0 && fixed.nservers == 2);
}

static bool one_line(const char* s) {
  for (; *s != '\0'; s++) {
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  }
  return true;
}

static void check_error(const struct config_error* err) {
  FUZZ_CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
  FUZZ_CHECK(memchr(err->file, '\0', sizeof(err->file)) != NULL);
  FUZZ_CHECK(err->msg[0] != '\0');
  FUZZ_CHECK(one_line(err->msg));
  FUZZ_CHECK(err->line >= 0 && err->col >= 0);
  static const size_t caps[] = {0, 1, 2, 5, 16, 64, 2048};
  for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
    size_t cap = caps[i];
    char* buf = malloc(cap ? cap : 1);
    FUZZ_CHECK(buf != NULL);
    config_error_format(err, buf, cap);
    if (cap > 0)
      FUZZ_CHECK(memchr(buf, '\0', cap) != NULL);
    free(buf);
  }
}

static void check_server(const struct server_config* sc) {
  FUZZ_CHECK(sc->name != NULL && sc->name[0] != '\0');
  FUZZ_CHECK(one_line(sc->name));
  FUZZ_CHECK(sc->command != NULL && sc->command[0] != '\0');
  FUZZ_CHECK(sc->watch.n >= 1 && sc->exts.n >= 1);
  for (size_t i = 0; i < sc->watch.n; i++) FUZZ_CHECK(sc->watch.v[i][0] == '/');
  FUZZ_CHECK(sc->cwd == NULL || sc->cwd[0] == '/');
  for (size_t i = 0; i < sc->env.n; i++)
    FUZZ_CHECK(strchr(sc->env.v[i], '=') != NULL);
  FUZZ_CHECK(sc->delay_ms <= 60000 && sc->grace_ms <= 600000);
}

static void check_diff(const struct mcpmon_config* a,
                       const struct mcpmon_config* b) {
  struct config_diff d;
  config_diff(a, b, &d);
  FUZZ_CHECK(d.added.n + d.changed.n + d.unchanged.n == b->nservers);
  FUZZ_CHECK(d.removed.n + d.changed.n + d.unchanged.n == a->nservers);
  config_diff_free(&d);
}

static void check_loaded(const struct mcpmon_config* cfg) {
  FUZZ_CHECK(cfg->nservers >= 1 && cfg->servers != NULL);
  size_t seplen = strlen(cfg->separator);
  FUZZ_CHECK(seplen >= 1 && seplen <= 8);
  FUZZ_CHECK(cfg->queue_timeout_ms >= 1 && cfg->queue_timeout_ms <= 600000);
  for (size_t i = 0; i < cfg->nservers; i++) {
    check_server(&cfg->servers[i]);
    for (size_t j = 0; j < i; j++)
      FUZZ_CHECK(strcmp(cfg->servers[i].name, cfg->servers[j].name) != 0);
    struct server_config copy;
    server_config_copy(&copy, &cfg->servers[i]);
    FUZZ_CHECK(server_config_equal(&copy, &cfg->servers[i]));
    server_config_free(&copy);
  }

  struct config_diff d;
  config_diff(cfg, cfg, &d);
  FUZZ_CHECK(d.unchanged.n == cfg->nservers && d.added.n == 0 &&
             d.removed.n == 0 && d.changed.n == 0 && !d.globals_changed);
  config_diff_free(&d);
  check_diff(&fixed, cfg);
  check_diff(cfg, &fixed);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return 0;
  fixed_load();

  struct mcpmon_config cfg;
  config_init(&cfg);
  struct config_error err;
  int rc = config_parse_yaml((const char*)data, size, "fuzz.yaml", FUZZ_BASE,
                             &cfg, &err);
  if (rc == 0) {
    check_loaded(&cfg);
  } else {
    FUZZ_CHECK(rc == -1);
    FUZZ_CHECK(cfg.nservers == 0 && cfg.servers == NULL);
    check_error(&err);
    check_diff(&fixed, &cfg);
  }

  /* A reload over a loaded config replaces its servers or clears them. */
  struct mcpmon_config again;
  config_init(&again);
  for (size_t i = 0; i < fixed.nservers; i++)
    server_config_copy(config_add_server(&again), &fixed.servers[i]);
  int rc2 =
      config_parse_yaml((const char*)data, size, NULL, FUZZ_BASE, &again, NULL);
  FUZZ_CHECK(rc2 == rc);
  FUZZ_CHECK(again.nservers == cfg.nservers);
  config_free(&again);
  config_free(&cfg);
  return 0;
}
