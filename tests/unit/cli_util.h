/* cli_util.h - what test_cli.c and test_cli_messages.c share: parsing an
 * argv list into a fresh config, and checks on errors and string vectors.
 * Header-only (static inline), so each test executable has its own copy. */
#ifndef MCPMON_TEST_CLI_UTIL_H
#define MCPMON_TEST_CLI_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config/cli.h"
#include "config/config.h"

/* argv[0] is added by the macros; the list ends with NULL. */
static inline enum cli_result parse_args(struct mcpmon_config* cfg,
                                         char* err,
                                         size_t errlen,
                                         const char** args) {
  int argc = 0;
  while (args[argc] != NULL) argc++;
  config_init(cfg);
  return cli_parse(argc, (char**)args, cfg, err, errlen);
}

#define ARGS(...) ((const char*[]){"mcpmon", __VA_ARGS__, NULL})
#define PARSE(...) parse_args(&cfg, err, sizeof(err), ARGS(__VA_ARGS__))

/* Parses args, expects CLI_ERROR with needle in a one-line message that
 * has no "mcpmon: " prefix. Prints the message when it does not match. */
static inline bool error_has(const char* needle, const char** args) {
  struct mcpmon_config cfg;
  char err[256];
  memset(err, 'x', sizeof(err));
  enum cli_result r = parse_args(&cfg, err, sizeof(err), args);
  bool ok = r == CLI_ERROR && strstr(err, needle) != NULL &&
            strchr(err, '\n') == NULL && strncmp(err, "mcpmon", 6) != 0;
  if (!ok)
    fprintf(stderr, "  result %d, error \"%s\", wanted \"%s\"\n", (int)r,
            r == CLI_ERROR ? err : "", needle);
  config_free(&cfg);
  return ok;
}

#define CHECK_ERR(needle, ...) CHECK(error_has(needle, ARGS(__VA_ARGS__)))

static inline bool sv_is(const struct strvec* sv, const char** want) {
  size_t n = 0;
  while (want[n] != NULL) n++;
  if (sv->n != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(sv->v[i], want[i]) != 0)
      return false;
  }
  return true;
}

#define LIST(...) ((const char*[]){__VA_ARGS__, NULL})
#define CHECK_SV(sv, ...) CHECK(sv_is(&(sv), LIST(__VA_ARGS__)))

#endif
