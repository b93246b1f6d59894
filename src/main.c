/* main.c - argument parsing and dispatch: run, --help, --version, and the
 * exec shim that starts every backend (proc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/config.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/run.h"

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], PROC_SHIM_FLAG) == 0)
    return proc_exec_shim(argc, argv);

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
    fprintf(stderr,
            "mcpmon: gateway mode (--config) is not available in this "
            "build yet\n");
    config_free(&cfg);
    return 2;
  }
  log_init((enum log_verbosity)cfg.verbosity, cfg.timestamps);
  if (cfg.log_file != NULL &&
      log_open_file(cfg.log_file, err, sizeof(err)) != 0) {
    fprintf(stderr, "mcpmon: %s\n", err);
    config_free(&cfg);
    return 2;
  }
  proc_init_self();
  int status = run_single(&cfg);
  log_close_file();
  config_free(&cfg);
  return status;
}
