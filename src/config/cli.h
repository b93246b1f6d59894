/* cli.h - the command line of `mcpmon [options] -- command [args...]`.
 *
 * Pure: parses argv into a struct mcpmon_config with one server named
 * "server" (single mode) or with config_path set (gateway mode, --config).
 * Prints nothing; the caller prints the error or the help text. Scans
 * with getopt_long, whose globals (optind, optarg, optopt, opterr) each
 * call resets and leaves changed: one parse at a time, any number of
 * times.
 */
#ifndef MCPMON_CLI_H
#define MCPMON_CLI_H

#include <stddef.h>

#include "config/config.h"

enum cli_result {
  CLI_ERROR = -1,  /* err holds one line naming the bad argument; exit 2 */
  CLI_RUN = 0,     /* cfg is filled: run */
  CLI_HELP = 1,    /* -h/--help: print cli_help_text(), exit 0 */
  CLI_VERSION = 2, /* -V/--version: print version, exit 0 */
};

/* Parse argv[1..argc-1]. cfg must have been config_init()ed; on CLI_RUN it
 * holds the run's settings, on any other result its contents are
 * unspecified but still freed by config_free(). */
enum cli_result cli_parse(
    int argc, char** argv, struct mcpmon_config* cfg, char* err, size_t errlen);

/* The full --help text (static storage). */
const char* cli_help_text(void);

/* Parses a size like "64M", "10MiB", "512k", "1048576" into bytes.
 * Returns 0 or -1. */
int cli_parse_size(const char* s, size_t* out);

#endif
