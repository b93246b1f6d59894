/* test_cli_messages.c - what the user reads from the command line
 * (src/config/cli.c): the one-line error messages and their "did you
 * mean" hints, the help text, the caller's error buffer, and that the
 * parser itself prints nothing. What a good command line turns into is
 * in test_cli.c. No loop. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli_util.h"
#include "config/cli.h"
#include "config/config.h"

static void test_missing_command(void) {
  struct mcpmon_config cfg;
  char err[256];
  const char* want =
      "missing server command (usage: mcpmon [options] -- command "
      "[args...])";
  CHECK_INT(parse_args(&cfg, err, sizeof(err), (const char*[]){"mcpmon", NULL}),
            CLI_ERROR);
  CHECK_STR(err, want);
  config_free(&cfg);
  CHECK_INT(PARSE("-w", "src", "--"), CLI_ERROR);
  CHECK_STR(err, want);
  config_free(&cfg);
  CHECK_INT(PARSE("-q", "-t"), CLI_ERROR);
  CHECK_STR(err, want);
  config_free(&cfg);
  CHECK_ERR("server command is empty", "--", "", "x");
}

static void test_unknown_options(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--foo", "--", "x"), CLI_ERROR);
  CHECK_STR(err, "unknown option '--foo'");
  config_free(&cfg);
  CHECK_INT(PARSE("--wach", "src", "--", "x"), CLI_ERROR);
  CHECK_STR(err, "unknown option '--wach'; did you mean '--watch'?");
  config_free(&cfg);
  CHECK_ERR("unknown option '--foo'", "--foo=1", "--", "x");
  CHECK_INT(PARSE("--foo=1", "--", "x"), CLI_ERROR);
  CHECK(strstr(err, "did you mean") == NULL);
  config_free(&cfg);
  CHECK_ERR("did you mean '--delay'?", "--dealy", "5", "--", "x");
  CHECK_ERR("did you mean '--delay'?", "--Delay=5", "--", "x");
  CHECK_ERR("did you mean '--ext'?", "--exts", "py", "--", "x");
  CHECK_ERR("did you mean '--timestamps'?", "--time", "--", "x");
  CHECK_ERR("did you mean '--queue-timeout'?", "--queue", "1", "--", "x");
  CHECK_ERR("did you mean '--verbose'?", "--verbos", "--", "x");
  CHECK_ERR("did you mean '--no-tui'?", "--notui", "--", "x");
  CHECK_ERR("unknown option '---'", "---", "--", "x");

  CHECK_INT(PARSE("-x", "--", "x"), CLI_ERROR);
  CHECK_STR(err, "unknown option '-x'");
  config_free(&cfg);
  CHECK_ERR("unknown option '-x' (in '-qx')", "-qx", "--", "x");
  CHECK_ERR("unknown option '-watch'; did you mean '--watch'?", "-watch", "src",
            "--", "x");
  CHECK_ERR("did you mean '--delay'?", "-delay", "5", "--", "x");
  CHECK_ERR("did you mean '--debug'?", "-debgu", "--", "x");

  /* Control characters never make a second line. */
  CHECK_ERR("unknown option '--a?b'", "--a\nb", "--", "x");
}

static void test_missing_values(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--", "x"), CLI_RUN); /* sanity */
  config_free(&cfg);
  CHECK_INT(PARSE("--delay"), CLI_ERROR);
  CHECK_STR(err, "option '--delay' needs a value (milliseconds)");
  config_free(&cfg);
  CHECK_ERR("option '--delay' needs a value (milliseconds)", "--delay=", "--",
            "x");
  CHECK_ERR("option '--grace' needs a value (milliseconds)", "--grace");
  CHECK_ERR("option '--queue-timeout' needs a value (milliseconds)",
            "--queue-timeout");
  CHECK_ERR("option '--max-line' needs a value (size", "--max-line");
  CHECK_ERR("option '--watch' needs a value (path)", "--watch");
  CHECK_ERR("option '-w' needs a value (path)", "-w");
  CHECK_ERR("option '-w' needs a value", "-qw");
  CHECK_ERR("option '--ext' needs a value", "--ext");
  CHECK_ERR("option '-e' needs a value", "-e");
  CHECK_ERR("option '--ignore' needs a value (glob)", "--ignore");
  CHECK_ERR("option '--config' needs a value (file)", "--config");
  CHECK_ERR("option '-c' needs a value (file)", "-c");
  CHECK_ERR("option '--tui' needs a value (socket path)", "--tui");
  CHECK_ERR("option '--log-file' needs a value (file)", "--log-file");
  CHECK_ERR("option '-l' needs a value (file)", "-l");
  /* An empty value counts as none. */
  CHECK_ERR("option '-w' needs a value (path)", "-w", "", "--", "x");
  CHECK_ERR("option '--watch' needs a value (path)", "--watch", "", "--", "x");
  CHECK_ERR("option '-c' needs a value (file)", "-c", "");
  CHECK_ERR("option '-e' needs a value", "-e", "", "--", "x");
  /* The next word is another option, not a value. */
  CHECK_ERR("option '--watch' needs a value", "--watch", "--ext", "py", "--",
            "x");
  CHECK_ERR("option '-w' needs a value", "-w", "-q", "--", "x");
  CHECK_ERR("option '--delay' needs a value", "--delay", "--", "x");

  /* Flags take none. */
  CHECK_ERR("option '--quiet' takes no value", "--quiet=1", "--", "x");
  CHECK_ERR("option '--no-tui' takes no value", "--no-tui=", "--", "x");
  CHECK_ERR("option '--help' takes no value", "--help=yes");
}

static void test_help_version(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--help"), CLI_HELP);
  config_free(&cfg);
  CHECK_INT(PARSE("-h"), CLI_HELP);
  config_free(&cfg);
  CHECK_INT(PARSE("-qh"), CLI_HELP);
  config_free(&cfg);
  CHECK_INT(PARSE("-w", "src", "--help", "--bogus"), CLI_HELP);
  config_free(&cfg);
  CHECK_INT(PARSE("-c", "x.yaml", "-w", "src", "-h"), CLI_HELP);
  config_free(&cfg);
  CHECK_INT(PARSE("--version"), CLI_VERSION);
  config_free(&cfg);
  CHECK_INT(PARSE("-V"), CLI_VERSION);
  config_free(&cfg);
  CHECK_INT(PARSE("-tV", "--", "x"), CLI_VERSION);
  config_free(&cfg);
  /* An error before --help wins, as getopt does. */
  CHECK_ERR("unknown option '--bogus'", "--bogus", "--help");

  const char* h = cli_help_text();
  CHECK(h == cli_help_text());
  const char* want[] = {
      "mcpmon [options] -- command [args...]",
      "mcpmon [options] --config FILE",
      "mcpmon tui [PID | SOCKET]",
      "mcpmon status [PID | SOCKET] [--json]",
      "mcpmon restart [PID] [NAME]",
      "exit\n                          status 3 when one is down",
      "-w, --watch PATH",
      "-e, --ext LIST",
      "--ignore GLOB",
      "--delay MS",
      "--grace MS",
      "--queue-timeout MS",
      "--max-line SIZE",
      "-c, --config FILE",
      "--tui PATH",
      "--no-tui",
      "-q, --quiet",
      "-v, --verbose",
      "--debug",
      "-t, --timestamps",
      "-l, --log-file FILE",
      "-h, --help",
      "-V, --version",
      "(default: .)",
      "and deno; else py)",
      "--crash-retries N",
      "(default: 30)",
      "(default: 2000)",
      "(default: 30000)",
      "(default: 64M)",
      "Examples:",
      "mcpmon --watch src/ --ext py,json -- python -m my_server",
      "mcpmon -t -l mcpmon.log -- node server.js",
      "\"command\": \"mcpmon\"",
      "\"args\": [",
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    if (strstr(h, want[i]) == NULL) {
      fprintf(stderr, "  help lacks \"%s\"\n", want[i]);
      CHECK(0);
    }
  }
  /* Under 80 columns, no tabs, ends with a newline. */
  size_t col = 0;
  size_t widest = 0;
  CHECK(strchr(h, '\t') == NULL);
  for (const char* p = h; *p != '\0'; p++) {
    col = *p == '\n' ? 0 : col + 1;
    if (col > widest)
      widest = col;
  }
  CHECK(widest < 80);
  CHECK(h[strlen(h) - 1] == '\n');
  /* Every option the parser knows appears in the help. */
  const char* longs[] = {
      "--watch",         "--ext",      "--ignore", "--delay",      "--grace",
      "--queue-timeout", "--max-line", "--config", "--tui",        "--no-tui",
      "--quiet",         "--verbose",  "--debug",  "--timestamps", "--log-file",
      "--help",          "--version"};
  for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
    CHECK(strstr(h, longs[i]) != NULL);
    /* ... and the parser knows every option in this list. */
    char e[256] = "";
    enum cli_result r =
        parse_args(&cfg, e, sizeof(e), ARGS(longs[i], "v", "--", "x"));
    CHECK(r != CLI_ERROR || strstr(e, "unknown option") == NULL);
    config_free(&cfg);
  }
}

static void test_err_buffer(void) {
  struct mcpmon_config cfg;
  /* A small buffer truncates; NULL is allowed. */
  char small[8];
  CHECK_INT(parse_args(&cfg, small, sizeof(small), ARGS("--bogus-option")),
            CLI_ERROR);
  CHECK_INT(strlen(small), 7);
  config_free(&cfg);
  CHECK_INT(parse_args(&cfg, NULL, 0, ARGS("--bogus-option")), CLI_ERROR);
  config_free(&cfg);
  /* On success err is empty. */
  char err[64] = "stale";
  CHECK_INT(parse_args(&cfg, err, sizeof(err), ARGS("--", "x")), CLI_RUN);
  CHECK_STR(err, "");
  config_free(&cfg);
}

/* getopt prints its own messages unless told not to; the parser prints
 * nothing (cli.h), so stderr stays empty through every kind of error. */
static void test_prints_nothing(void) {
  char path[] = "/tmp/test_cli_stderr.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  unlink(path);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  const char** cases[] = {
      ARGS("--bogus"),
      ARGS("-x", "--", "y"),
      ARGS("-qx"),
      ARGS("--quiet=1"),
      ARGS("-w"),
      ARGS("--delay"),
      ARGS("--watch", "--q"),
      ARGS("--verb"),
      ARGS("-watch", "x"),
  };
  int errors = 0;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct mcpmon_config cfg;
    char err[256];
    if (parse_args(&cfg, err, sizeof(err), cases[i]) == CLI_ERROR)
      errors++;
    config_free(&cfg);
  }
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  CHECK_INT(errors, (int)(sizeof(cases) / sizeof(cases[0])));
  CHECK_INT(lseek(fd, 0, SEEK_END), 0);
  close(fd);
}

int main(void) {
  test_missing_command();
  test_unknown_options();
  test_missing_values();
  test_help_version();
  test_err_buffer();
  test_prints_nothing();
  return check_done();
}
