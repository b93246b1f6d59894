/* main.c - argument parsing and dispatch: run, the subcommands, --help,
 * --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/config.h"
#include "config/config_yaml.h"
#include "core/log.h"
#include "core/proc/proc.h"
#include "core/proc/strays.h"
#include "core/run.h"
#include "lib/suggest.h"
#include "tui/tui.h"

/* How long the exit waits for stderr to take the lines still queued: a
 * client that never reads it must not keep mcpmon from exiting. */
#define MAIN_STDERR_FLUSH_MS 500

/* cfg.verbosity (config.h) as the most detailed log level shown. */
static enum log_level main_log_shown(int verbosity) {
  static const enum log_level shown[] = {LOG_QUIET, LOG_DEFAULT, LOG_VERBOSE,
                                         LOG_DEBUG};
  if (verbosity < 0)
    return LOG_QUIET;
  if (verbosity >= (int)(sizeof(shown) / sizeof(shown[0])))
    return LOG_DEBUG;
  return shown[verbosity];
}

/* Issue 15 defect 8: "mcpmon help" and "mcpmon version" do what they
 * say; a first word that is no program on PATH but close to a subcommand
 * ("stauts") is a typo, not a server to start. Returns an exit status, or
 * -1 to go on. */
static int main_subcommand_typo(const char* word) {
  if (strcmp(word, "help") == 0) {
    fputs(cli_help_text(), stdout);
    return 0;
  }
  if (strcmp(word, "version") == 0) {
    printf("mcpmon %s\n", MCPMON_VERSION);
    return 0;
  }
  if (word[0] == '-' || strchr(word, '/') != NULL)
    return -1;
  char* found = proc_find_program(word);
  if (found != NULL) {
    free(found);
    return -1;
  }
  static const char* const subcommands[] = {
      "tui", "status", "restart", "start", "stop", "help", "version"};
  const char* meant =
      suggest_name(word, strlen(word), subcommands,
                   sizeof(subcommands) / sizeof(subcommands[0]));
  if (meant == NULL)
    return -1;
  fprintf(stderr,
          "mcpmon: unknown command '%s' (did you mean '%s'?)\n"
          "Try 'mcpmon --help'.\n",
          word, meant);
  return 2;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "tui") == 0)
    return tui_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "status") == 0)
    return status_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "restart") == 0)
    return restart_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "start") == 0)
    return start_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "stop") == 0)
    return stop_main(argc - 1, argv + 1);
  if (argc > 1) {
    int typo = main_subcommand_typo(argv[1]);
    if (typo >= 0)
      return typo;
  }

  struct mcpmon_config cfg;
  config_init(&cfg);
  char err[512];
  enum cli_result res = cli_parse(argc, argv, &cfg, err, sizeof(err));
  switch (res) {
    case CLI_HELP:
      fputs(cli_help_text(), stdout);
      config_free(&cfg);
      return 0;
    case CLI_VERSION:
      printf("mcpmon %s\n", MCPMON_VERSION);
      config_free(&cfg);
      return 0;
    case CLI_ERROR:
      fprintf(stderr, "mcpmon: %s\nTry 'mcpmon --help'.\n", err);
      config_free(&cfg);
      return 2;
    case CLI_RUN:
      break;
  }
  if (cfg.config_path != NULL) {
    struct config_error cerr;
    char* path = strdup(cfg.config_path);
    if (config_load_yaml(path, &cfg, &cerr) != 0) {
      char text[1200];
      config_error_format(&cerr, text, sizeof(text));
      fprintf(stderr, "mcpmon: %s\n", text);
      free(path);
      config_free(&cfg);
      return 2;
    }
    free(path);
  }
  log_init(main_log_shown(cfg.verbosity), cfg.timestamps);
  if (cfg.log_file != NULL &&
      log_open_file(cfg.log_file, err, sizeof(err)) != 0) {
    fprintf(stderr, "mcpmon: %s\n", err);
    config_free(&cfg);
    return 2;
  }
  log_open_stderr(); /* on failure stderr stays blocking, as before */
  int status = run(&cfg);
  /* Every server has stopped: anything still below mcpmon escaped its
   * server's stop sequence (strays.h). */
  strays_stop_descendants(STRAYS_EXIT_GRACE_MS);
  log_close_stderr(MAIN_STDERR_FLUSH_MS);
  log_close_file();
  config_free(&cfg);
  return status;
}
