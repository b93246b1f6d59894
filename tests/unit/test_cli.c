/* test_cli.c - the command line (src/config/cli.c) and the config data
 * model helpers (src/config/config.c): what a command line turns into.
 * The messages a bad one gets are in test_cli_messages.c. No loop, no
 * I/O. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli_util.h"
#include "config/cli.h"
#include "config/config.h"

static void test_strvec_and_config(void) {
  struct strvec sv = {0};
  char buf[8] = "abc";
  strvec_push(&sv, buf);
  buf[0] = 'X'; /* the vector holds a copy */
  strvec_push(&sv, "");
  strvec_push(&sv, "d");
  CHECK_SV(sv, "abc", "", "d");
  strvec_free(&sv);
  CHECK(sv.v == NULL);
  CHECK_INT(sv.n, 0);
  strvec_free(&sv); /* freeing twice is harmless */

  struct mcpmon_config cfg;
  config_init(&cfg);
  CHECK_INT(cfg.verbosity, 1);
  CHECK(!cfg.timestamps);
  CHECK(cfg.log_file == NULL);
  CHECK_INT(cfg.max_line, 64u * 1024 * 1024);
  CHECK_INT(cfg.queue_timeout_ms, 30000);
  CHECK(cfg.config_path == NULL);
  CHECK_STR(cfg.separator, "__");
  CHECK(cfg.control_path == NULL);
  CHECK(!cfg.no_control);
  CHECK_INT(cfg.nservers, 0);
  for (int i = 0; i < 5; i++) {
    struct server_config* sc = config_add_server(&cfg);
    CHECK(sc == &cfg.servers[i]);
    CHECK(sc->enabled);
    CHECK_INT(sc->delay_ms, 30);
    CHECK_INT(sc->grace_ms, 2000);
    CHECK(sc->name == NULL && sc->command == NULL && sc->cwd == NULL);
    CHECK_INT(sc->watch.n + sc->exts.n + sc->args.n, 0);
    char name[16];
    snprintf(name, sizeof(name), "b%d", i);
    sc->name = strdup(name);
    sc->cwd = strdup("/tmp");
    strvec_push(&sc->env, "A=1");
    strvec_push(&sc->watch, "src");
  }
  CHECK_INT(cfg.nservers, 5);
  CHECK_STR(cfg.servers[0].name, "b0");
  CHECK_STR(cfg.servers[4].name, "b4");
  config_free(&cfg);
  CHECK(cfg.servers == NULL && cfg.separator == NULL);
  CHECK_INT(cfg.nservers, 0);
  config_free(&cfg); /* zeroed: freeing twice is harmless */

  struct server_config one;
  server_config_init(&one);
  one.command = strdup("x");
  server_config_free(&one);
  CHECK(one.command == NULL);
}

/* Issue 15: the default extensions by the command's base name. */
static void test_default_exts(void) {
  struct {
    const char* cmd;
    const char* exts;
    bool known;
  } cases[] = {
      {"node", "js,mjs,cjs,ts,json", true},
      {"/usr/bin/nodejs", "js,mjs,cjs,ts,json", true},
      {"npx", "js,mjs,cjs,ts,json", true},
      {"tsx", "js,mjs,cjs,ts,json", true},
      {"bun", "js,mjs,cjs,ts,json", true},
      {"deno", "js,mjs,cjs,ts,json", true},
      {"python", "py", true},
      {"python3", "py", true},
      {"/usr/bin/python3.11", "py", true},
      {"uv", "py", true},
      {"uvx", "py", true},
      {"pythonic", "py", false},
      {"nodemon", "py", false},
      {"./server", "py", false},
      {"", "py", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    bool known = !cases[i].known;
    CHECK_STR(config_default_exts(cases[i].cmd, &known), cases[i].exts);
    CHECK_INT(known, cases[i].known);
  }
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--", "npx", "tsx", "src/index.ts"), CLI_RUN);
  CHECK_SV(cfg.servers[0].exts, "js", "mjs", "cjs", "ts", "json");
  CHECK(cfg.servers[0].exts_default);
  config_free(&cfg);
  CHECK_INT(PARSE("--ext", "py", "--", "node", "x.js"), CLI_RUN);
  CHECK_SV(cfg.servers[0].exts, "py");
  CHECK(!cfg.servers[0].exts_default);
  config_free(&cfg);
}

static void test_defaults(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--", "python", "server.py", "--port", "1"), CLI_RUN);
  CHECK_INT(cfg.nservers, 1);
  struct server_config* sc = &cfg.servers[0];
  CHECK_STR(sc->name, "server");
  CHECK_STR(sc->command, "python");
  CHECK_SV(sc->args, "server.py", "--port", "1");
  CHECK_SV(sc->watch, ".");
  CHECK_SV(sc->exts, "py");
  CHECK_INT(sc->ignore.n, 0);
  CHECK_INT(sc->env.n, 0);
  CHECK(sc->cwd == NULL);
  CHECK(sc->enabled);
  CHECK_INT(sc->delay_ms, CONFIG_DEFAULT_DELAY_MS);
  CHECK_INT(sc->grace_ms, CONFIG_DEFAULT_GRACE_MS);
  CHECK_INT(cfg.verbosity, 1);
  CHECK(!cfg.timestamps);
  CHECK(cfg.log_file == NULL);
  CHECK_INT(cfg.max_line, CONFIG_DEFAULT_MAX_LINE);
  CHECK_INT(cfg.queue_timeout_ms, CONFIG_DEFAULT_QUEUE_TIMEOUT_MS);
  CHECK(cfg.config_path == NULL);
  CHECK(cfg.control_path == NULL);
  CHECK(!cfg.no_control);
  CHECK_STR(cfg.separator, "__");
  config_free(&cfg);

  /* A command with no arguments. */
  CHECK_INT(PARSE("--", "./server"), CLI_RUN);
  CHECK_STR(cfg.servers[0].command, "./server");
  CHECK_INT(cfg.servers[0].args.n, 0);
  config_free(&cfg);
}

static void test_long_options(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(
      PARSE("--watch", "src", "--ext", "py,json", "--ignore", "*.tmp",
            "--delay", "50", "--grace", "100", "--queue-timeout", "5",
            "--max-line", "1M", "--tui", "/tmp/s.sock", "--verbose",
            "--timestamps", "--log-file", "out.log", "--", "node", "server.js"),
      CLI_RUN);
  struct server_config* sc = &cfg.servers[0];
  CHECK_SV(sc->watch, "src");
  CHECK_SV(sc->exts, "py", "json");
  CHECK_SV(sc->ignore, "*.tmp");
  CHECK_INT(sc->delay_ms, 50);
  CHECK_INT(sc->grace_ms, 100);
  CHECK_INT(cfg.queue_timeout_ms, 5);
  CHECK_INT(cfg.max_line, 1024 * 1024);
  CHECK_STR(cfg.control_path, "/tmp/s.sock");
  CHECK(!cfg.no_control);
  CHECK_INT(cfg.verbosity, 2);
  CHECK(cfg.timestamps);
  CHECK_STR(cfg.log_file, "out.log");
  CHECK_STR(sc->command, "node");
  CHECK_SV(sc->args, "server.js");
  config_free(&cfg);

  /* The same with "=". */
  CHECK_INT(
      PARSE("--watch=src", "--ext=py,json", "--ignore=*.tmp", "--delay=50",
            "--grace=100", "--queue-timeout=5", "--max-line=1M",
            "--tui=/tmp/s.sock", "--log-file=out.log", "--", "node"),
      CLI_RUN);
  sc = &cfg.servers[0];
  CHECK_SV(sc->watch, "src");
  CHECK_SV(sc->exts, "py", "json");
  CHECK_SV(sc->ignore, "*.tmp");
  CHECK_INT(sc->delay_ms, 50);
  CHECK_INT(sc->grace_ms, 100);
  CHECK_INT(cfg.queue_timeout_ms, 5);
  CHECK_INT(cfg.max_line, 1024 * 1024);
  CHECK_STR(cfg.control_path, "/tmp/s.sock");
  CHECK_STR(cfg.log_file, "out.log");
  config_free(&cfg);

  /* "=" keeps everything after the first one; "-" is a path. */
  CHECK_INT(PARSE("--watch=a=b", "--ignore", "-", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "a=b");
  CHECK_SV(cfg.servers[0].ignore, "-");
  config_free(&cfg);

  CHECK_INT(PARSE("--quiet", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 0);
  config_free(&cfg);
  CHECK_INT(PARSE("--debug", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 3);
  config_free(&cfg);
  CHECK_INT(PARSE("--no-tui", "--", "x"), CLI_RUN);
  CHECK(cfg.no_control);
  CHECK(cfg.control_path == NULL);
  config_free(&cfg);
}

static void test_short_options(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(
      PARSE("-w", "src", "-e", "json", "-l", "a.log", "-t", "-v", "--", "x"),
      CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "src");
  CHECK_SV(cfg.servers[0].exts, "json");
  CHECK_STR(cfg.log_file, "a.log");
  CHECK(cfg.timestamps);
  CHECK_INT(cfg.verbosity, 2);
  config_free(&cfg);

  /* Attached values. */
  CHECK_INT(PARSE("-wsrc", "-ejson,md", "-la.log", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "src");
  CHECK_SV(cfg.servers[0].exts, "json", "md");
  CHECK_STR(cfg.log_file, "a.log");
  config_free(&cfg);

  /* Combined flags, with a value at the end, attached or not. */
  CHECK_INT(PARSE("-qt", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 0);
  CHECK(cfg.timestamps);
  config_free(&cfg);
  CHECK_INT(PARSE("-qtwsrc", "-tvl", "b.log", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "src");
  CHECK_INT(cfg.verbosity, 2);
  CHECK(cfg.timestamps);
  CHECK_STR(cfg.log_file, "b.log");
  config_free(&cfg);

  /* -c with and without a space. */
  CHECK_INT(PARSE("-c", "a.yaml"), CLI_RUN);
  CHECK_STR(cfg.config_path, "a.yaml");
  config_free(&cfg);
  CHECK_INT(PARSE("-cb.yaml"), CLI_RUN);
  CHECK_STR(cfg.config_path, "b.yaml");
  config_free(&cfg);
}

static void test_repeatable(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(
      PARSE("-w", "a", "--watch", "b", "--watch=c", "-wd", "-e", "py", "--ext",
            ".json,.md", "-e*", "--ignore", "x", "--ignore=y", "--", "cmd"),
      CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "a", "b", "c", "d");
  CHECK_SV(cfg.servers[0].exts, "py", "json", "md", "*");
  CHECK_SV(cfg.servers[0].ignore, "x", "y");
  config_free(&cfg);

  /* Single-valued options: the last one wins (and nothing leaks). */
  CHECK_INT(PARSE("-l", "a", "--log-file", "b", "--delay", "1", "--delay=2",
                  "--tui", "s1", "--tui", "s2", "--", "x"),
            CLI_RUN);
  CHECK_STR(cfg.log_file, "b");
  CHECK_INT(cfg.servers[0].delay_ms, 2);
  CHECK_STR(cfg.control_path, "s2");
  config_free(&cfg);
  CHECK_INT(PARSE("-c", "a.yaml", "--config", "b.yaml"), CLI_RUN);
  CHECK_STR(cfg.config_path, "b.yaml");
  config_free(&cfg);

  /* Verbosity: the last of -q, -v, --debug wins. */
  CHECK_INT(PARSE("-q", "-v", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 2);
  config_free(&cfg);
  CHECK_INT(PARSE("--debug", "-q", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 0);
  config_free(&cfg);
  CHECK_INT(PARSE("-v", "--debug", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 3);
  config_free(&cfg);

  /* --tui and --no-tui together: an error naming both, in either order
   * (issue 15), not "last wins". */
  static const char both[] = "options '--tui' and '--no-tui' contradict";
  CHECK_INT(PARSE("--tui", "s", "--no-tui", "--", "x"), CLI_ERROR);
  CHECK(strstr(err, both) != NULL);
  config_free(&cfg);
  CHECK_INT(PARSE("--no-tui", "--tui=s", "--", "x"), CLI_ERROR);
  CHECK(strstr(err, both) != NULL);
  config_free(&cfg);
  CHECK_INT(PARSE("--no-tui", "--no-tui", "--", "x"), CLI_RUN);
  CHECK(cfg.no_control);
  config_free(&cfg);
}

static void test_extensions(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("-e", ".py,..json, md ,PY,py", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].exts, "py", "json", "md", "PY");
  config_free(&cfg);
  CHECK_INT(PARSE("-e", "d.ts", "-e", ".*", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].exts, "d.ts", "*");
  config_free(&cfg);

  CHECK_ERR("empty extension in 'py,,json'", "-e", "py,,json", "--", "x");
  CHECK_ERR("'--ext' has an empty extension", "--ext", ",py", "--", "x");
  CHECK_ERR("'-e' has an empty extension", "-e", "py,", "--", "x");
  CHECK_ERR("empty extension", "-e", ".", "--", "x");
  CHECK_ERR("empty extension", "-e", " , ", "--", "x");
  CHECK_ERR("not '*.py'", "--ext", "*.py", "--", "x");
  CHECK_ERR("not 'src/py'", "--ext", "src/py", "--", "x");
  CHECK_ERR("not 'p y'", "--ext", "p y", "--", "x");
}

static void test_no_dashdash(void) {
  struct mcpmon_config cfg;
  char err[256];
  /* Options stop at the first word that is not one. */
  CHECK_INT(PARSE("-w", "src", "python", "server.py", "--watch", "x", "-q"),
            CLI_RUN);
  CHECK_STR(cfg.servers[0].command, "python");
  CHECK_SV(cfg.servers[0].args, "server.py", "--watch", "x", "-q");
  CHECK_SV(cfg.servers[0].watch, "src");
  CHECK_INT(cfg.verbosity, 1);
  config_free(&cfg);

  CHECK_INT(PARSE("python", "--", "a"), CLI_RUN);
  CHECK_STR(cfg.servers[0].command, "python");
  CHECK_SV(cfg.servers[0].args, "--", "a");
  config_free(&cfg);

  /* After "--" everything belongs to the server, options included. */
  CHECK_INT(PARSE("--", "--help", "-w"), CLI_RUN);
  CHECK_STR(cfg.servers[0].command, "--help");
  CHECK_SV(cfg.servers[0].args, "-w");
  config_free(&cfg);

  /* A lone "-" is not an option: it starts the command. */
  CHECK_INT(PARSE("-", "a"), CLI_RUN);
  CHECK_STR(cfg.servers[0].command, "-");
  config_free(&cfg);

  /* --help after the command word is the server's. */
  CHECK_INT(PARSE("node", "--help"), CLI_RUN);
  CHECK_SV(cfg.servers[0].args, "--help");
  config_free(&cfg);
}

static void test_numbers(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(
      PARSE("--delay", "0", "--grace", "0", "--queue-timeout", "1", "--", "x"),
      CLI_RUN);
  CHECK_INT(cfg.servers[0].delay_ms, 0);
  CHECK_INT(cfg.servers[0].grace_ms, 0);
  CHECK_INT(cfg.queue_timeout_ms, 1);
  config_free(&cfg);
  CHECK_INT(PARSE("--delay", "60000", "--grace", "600000", "--queue-timeout",
                  "600000", "--", "x"),
            CLI_RUN);
  CHECK_INT(cfg.servers[0].delay_ms, 60000);
  CHECK_INT(cfg.servers[0].grace_ms, 600000);
  CHECK_INT(cfg.queue_timeout_ms, 600000);
  config_free(&cfg);
  CHECK_INT(PARSE("--delay=007", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.servers[0].delay_ms, 7);
  config_free(&cfg);

  CHECK_INT(PARSE("--delay", "50ms", "--", "x"), CLI_ERROR);
  CHECK_STR(err,
            "option '--delay' expects milliseconds as a whole number "
            "(like --delay 50), not '50ms'");
  config_free(&cfg);
  CHECK_ERR("'--delay' expects milliseconds", "--delay", "-5", "--", "x");
  CHECK_ERR("'--delay' expects milliseconds", "--delay=+5", "--", "x");
  CHECK_ERR("'--delay' expects milliseconds", "--delay= 5", "--", "x");
  CHECK_ERR("'--delay' expects milliseconds", "--delay=1.5", "--", "x");
  CHECK_ERR("'--delay' expects milliseconds", "--delay=0x10", "--", "x");
  CHECK_ERR("'--grace' expects milliseconds", "--grace", "2s", "--", "x");
  CHECK_ERR("'--queue-timeout' expects milliseconds", "--queue-timeout", "abc",
            "--", "x");
  /* Issue 14. */
  CHECK_INT(PARSE("--reload", "stop-first", "--drain", "0", "--init-timeout",
                  "250", "--", "x"),
            CLI_RUN);
  CHECK_INT(cfg.servers[0].reload, RELOAD_STOP_FIRST);
  CHECK_INT(cfg.servers[0].drain_ms, 0);
  CHECK_INT(cfg.servers[0].init_timeout_ms, 250);
  config_free(&cfg);
  CHECK_INT(PARSE("--build", "make -j2", "--", "x"), CLI_RUN);
  CHECK_STR(cfg.servers[0].build, "make -j2");
  config_free(&cfg);
  CHECK_ERR("option '--build' needs a value (command)", "--build", "", "--",
            "x");
  CHECK_ERR("option '--reload' expects overlap or stop-first, not 'fast'",
            "--reload", "fast", "--", "x");
  CHECK_ERR("'--init-timeout' expects milliseconds", "--init-timeout", "1s",
            "--", "x");
  CHECK_ERR("option '--init-timeout' must be between 1 and 600000",
            "--init-timeout", "0", "--", "x");
  /* Issue 15: the crash policy. */
  CHECK_INT(PARSE("--", "x"), CLI_RUN);
  CHECK_INT(cfg.servers[0].crash_retries, CONFIG_DEFAULT_CRASH_RETRIES);
  CHECK_INT(cfg.servers[0].crash_window_ms, CONFIG_DEFAULT_CRASH_WINDOW_MS);
  config_free(&cfg);
  CHECK_INT(PARSE("--crash-retries", "2", "--crash-window=500", "--", "x"),
            CLI_RUN);
  CHECK_INT(cfg.servers[0].crash_retries, 2);
  CHECK_INT(cfg.servers[0].crash_window_ms, 500);
  config_free(&cfg);
  CHECK_ERR("option '--crash-retries' must be between 1 and 1000, not '0'",
            "--crash-retries", "0", "--", "x");
  CHECK_ERR("option '--crash-retries' must be between 1 and 1000, not '1001'",
            "--crash-retries", "1001", "--", "x");
  CHECK_ERR(
      "option '--crash-retries' expects a whole number (like "
      "--crash-retries 5), not 'five'",
      "--crash-retries", "five", "--", "x");
  CHECK_ERR(
      "option '--crash-window' must be between 1 and 3600000 "
      "milliseconds, not '0'",
      "--crash-window", "0", "--", "x");
  CHECK_ERR("'--crash-window' expects milliseconds", "--crash-window", "30s",
            "--", "x");
  CHECK_ERR("option '--crash-retries' cannot be used with --config",
            "--crash-retries", "3", "--config", "x.yaml");

  CHECK_ERR("option '--delay' must be at most 60000 milliseconds, not '60001'",
            "--delay", "60001", "--", "x");
  CHECK_ERR("'--delay' must be at most 60000",
            "--delay=99999999999999999999999999", "--", "x");
  CHECK_ERR("'--grace' must be at most 600000", "--grace", "600001", "--", "x");
  CHECK_ERR("'--queue-timeout' must be between 1 and 600000 milliseconds",
            "--queue-timeout", "0", "--", "x");
  CHECK_ERR("'--queue-timeout' must be between 1 and 600000",
            "--queue-timeout=600001", "--", "x");
}

static void test_sizes(void) {
  size_t n = 1;
  CHECK_INT(cli_parse_size("64M", &n), 0);
  CHECK_INT(n, 64u * 1024 * 1024);
  CHECK_INT(cli_parse_size("10MiB", &n), 0);
  CHECK_INT(n, 10u * 1024 * 1024);
  CHECK_INT(cli_parse_size("10mb", &n), 0);
  CHECK_INT(n, 10u * 1024 * 1024);
  CHECK_INT(cli_parse_size("512k", &n), 0);
  CHECK_INT(n, 512u * 1024);
  CHECK_INT(cli_parse_size("512KB", &n), 0);
  CHECK_INT(n, 512u * 1024);
  CHECK_INT(cli_parse_size("1KiB", &n), 0);
  CHECK_INT(n, 1024);
  CHECK_INT(cli_parse_size("1048576", &n), 0);
  CHECK_INT(n, 1048576);
  CHECK_INT(cli_parse_size("100B", &n), 0);
  CHECK_INT(n, 100);
  CHECK_INT(cli_parse_size("1G", &n), 0);
  CHECK_INT(n, 1024u * 1024 * 1024);
  CHECK_INT(cli_parse_size("2GiB", &n), 0);
  CHECK_INT(n, 2ull * 1024 * 1024 * 1024);
  CHECK_INT(cli_parse_size("0", &n), 0); /* parses; the CLI rejects it */
  CHECK_INT(n, 0);

  n = 7;
  const char* bad[] = {"",
                       "M",
                       "64X",
                       "1.5M",
                       "-1",
                       "+1",
                       "64 M",
                       " 64",
                       "64M ",
                       "64Mi",
                       "64T",
                       "0x10",
                       "18446744073709551616",
                       "17179869184G"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (cli_parse_size(bad[i], &n) != -1) {
      fprintf(stderr, "  size '%s' was accepted\n", bad[i]);
      CHECK(0);
    }
  }
  CHECK_INT(n, 7); /* untouched on error */
  CHECK_INT(cli_parse_size(NULL, &n), -1);

  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--max-line=10MiB", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.max_line, 10u * 1024 * 1024);
  config_free(&cfg);
  CHECK_INT(PARSE("--max-line", "512k", "--", "x"), CLI_RUN);
  CHECK_INT(cfg.max_line, 512u * 1024);
  config_free(&cfg);
  CHECK_ERR("option '--max-line' must be greater than 0, not '0'", "--max-line",
            "0", "--", "x");
  CHECK_ERR("must be greater than 0, not '0K'", "--max-line=0K", "--", "x");
  CHECK_ERR("option '--max-line' expects a size like 64M", "--max-line", "64X",
            "--", "x");
  CHECK_ERR("not '1.5M'", "--max-line=1.5M", "--", "x");
}

static void test_gateway(void) {
  struct mcpmon_config cfg;
  char err[256];
  CHECK_INT(PARSE("--config", ".mcpmon.yaml", "-t", "-l", "g.log", "--debug",
                  "--queue-timeout", "9", "--max-line", "2M", "--tui", "s"),
            CLI_RUN);
  CHECK_STR(cfg.config_path, ".mcpmon.yaml");
  CHECK_INT(cfg.nservers, 0);
  CHECK(cfg.timestamps);
  CHECK_STR(cfg.log_file, "g.log");
  CHECK_INT(cfg.verbosity, 3);
  CHECK_INT(cfg.queue_timeout_ms, 9);
  CHECK_INT(cfg.max_line, 2u * 1024 * 1024);
  CHECK_STR(cfg.control_path, "s");
  config_free(&cfg);

  /* A bare "--" with nothing after it is fine. */
  CHECK_INT(PARSE("--config=a.yaml", "--"), CLI_RUN);
  CHECK_STR(cfg.config_path, "a.yaml");
  CHECK_INT(cfg.nservers, 0);
  config_free(&cfg);

  CHECK_ERR("option '--watch' cannot be used with --config", "-c", "a.yaml",
            "--watch", "src");
  CHECK_ERR("option '-w' cannot be used with --config", "-w", "src", "-c",
            "a.yaml");
  CHECK_ERR("option '-e' cannot be used with --config", "-c", "a.yaml", "-e",
            "py");
  CHECK_ERR("option '--ext' cannot be used with --config", "-c", "a.yaml",
            "--ext=py");
  CHECK_ERR("option '--ignore' cannot be used with --config", "--ignore", "x",
            "--config", "a.yaml");
  CHECK_ERR("option '--delay' cannot be used with --config", "-c", "a.yaml",
            "--delay", "5");
  CHECK_ERR("option '--grace' cannot be used with --config", "-c", "a.yaml",
            "--grace=5");
  CHECK_ERR("server command ('python') cannot be used with --config", "-c",
            "a.yaml", "--", "python", "x.py");
  CHECK_ERR("server command ('python') cannot be used with --config", "-c",
            "a.yaml", "python");
  /* A bad value is still reported as such. */
  CHECK_ERR("'--delay' expects milliseconds", "-c", "a.yaml", "--delay", "x");
}

static void test_argv_untouched(void) {
  struct mcpmon_config cfg;
  char err[256];
  char a0[] = "mcpmon", a1[] = "-qtwsrc", a2[] = "--ext=.py,.json", a3[] = "--",
       a4[] = "node", a5[] = "s.js";
  char* argv[] = {a0, a1, a2, a3, a4, a5, NULL};
  config_init(&cfg);
  CHECK_INT(cli_parse(6, argv, &cfg, err, sizeof(err)), CLI_RUN);
  CHECK_STR(a1, "-qtwsrc");
  CHECK_STR(a2, "--ext=.py,.json");
  CHECK(argv[4] == a4);
  /* The config holds copies, not argv pointers. */
  CHECK(cfg.servers[0].command != a4);
  CHECK(cfg.servers[0].args.v[0] != a5);
  config_free(&cfg);
}

/* getopt_long keeps state between calls (optind, and inside glibc the
 * rest of a short cluster); each parse must start afresh, even after one
 * that stopped in the middle of a cluster. */
static void test_parse_again(void) {
  struct mcpmon_config cfg;
  char err[256];
  for (int round = 0; round < 3; round++) {
    char h[] = "-hq"; /* --help stops before the q, left for next time */
    char* argv1[] = {"mcpmon", h, NULL};
    config_init(&cfg);
    CHECK_INT(cli_parse(2, argv1, &cfg, err, sizeof(err)), CLI_HELP);
    config_free(&cfg);
    CHECK_INT(PARSE("-tv", "--", "x"), CLI_RUN);
    CHECK(cfg.timestamps);
    CHECK_INT(cfg.verbosity, 2);
    config_free(&cfg);
    CHECK_INT(PARSE("-qw"), CLI_ERROR); /* an error mid-cluster, too */
    CHECK_STR(err, "option '-w' needs a value (path)");
    config_free(&cfg);
    CHECK_INT(PARSE("x", "-q"), CLI_RUN);
    CHECK_INT(cfg.verbosity, 1);
    CHECK_SV(cfg.servers[0].args, "-q");
    config_free(&cfg);
  }
}

/* What getopt_long alone would take and mcpmon refuses. */
static void test_getopt_leniency(void) {
  struct mcpmon_config cfg;
  char err[256];
  /* Abbreviated long names, unambiguous or not. */
  CHECK_ERR("unknown option '--conf'", "--conf", "a.yaml");
  CHECK_ERR("unknown option '--no'", "--no", "--", "x");
  CHECK_ERR("unknown option '--deb'", "--deb", "--", "x");
  CHECK_ERR("unknown option '--max'", "--max=1M", "--", "x");
  /* A separate value that is another option; attached, it is a value. */
  CHECK_ERR("option '-l' needs a value (file)", "-l", "--quiet", "--", "x");
  CHECK_ERR("option '--log-file' needs a value", "--log-file", "-t", "--", "x");
  CHECK_INT(PARSE("--watch=--odd", "-w-dir", "--", "x"), CLI_RUN);
  CHECK_SV(cfg.servers[0].watch, "--odd", "-dir");
  config_free(&cfg);
  /* Options after the command are the command's, even where getopt would
   * permute them to the front. */
  unsetenv("POSIXLY_CORRECT");
  CHECK_INT(PARSE("node", "s.js", "-w", "x", "--debug", "--", "-q"), CLI_RUN);
  CHECK_INT(cfg.verbosity, 1);
  CHECK_SV(cfg.servers[0].watch, ".");
  CHECK_SV(cfg.servers[0].args, "s.js", "-w", "x", "--debug", "--", "-q");
  config_free(&cfg);
}

int main(void) {
  test_strvec_and_config();
  test_defaults();
  test_long_options();
  test_short_options();
  test_repeatable();
  test_extensions();
  test_default_exts();
  test_no_dashdash();
  test_numbers();
  test_sizes();
  test_gateway();
  test_argv_untouched();
  test_parse_again();
  test_getopt_leniency();
  return check_done();
}
