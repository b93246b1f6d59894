/* config_yaml.h - gateway mode's .mcpmon.yaml: load, validate, compare.
 *
 * The file, parsed with libyaml into a struct mcpmon_config (config.h):
 *
 *   servers:                  required, at least one; file order is kept
 *     NAME:                   1-64 characters, no control characters
 *       command: STR          required
 *       args: [STR, ...]      numbers and booleans kept as written
 *       watch: STR | [STR]    default: the config file's directory
 *       extensions: "py,json" | [py, json]   dots dropped; "*" = all;
 *                             default py
 *       ignore: GLOB | [GLOB]
 *       env: {KEY: VALUE}     stored as "KEY=VALUE"
 *       cwd: STR
 *       enabled: BOOL         true/false, yes/no, on/off; default true
 *       delay: MS             0-60000, default the top-level delay
 *       grace: MS             0-600000, default the top-level grace
 *       reload, drain, init_timeout: as at the top level, which is
 *                             their default
 *       build: STR            run with /bin/sh -c before each reload
 *   separator: STR            1-8 of [A-Za-z0-9_:.-], default "__"
 *   delay: MS                 default 30; given (here or for a server),
 *                             every burst waits for it (delay_fixed),
 *                             else a reload starts at the first saved
 *                             file (issue 18)
 *   grace: MS                 default 2000
 *   queue_timeout: MS         1-600000, default 30000
 *   reload: overlap | stop-first   default overlap (issue 14)
 *   drain: MS                 0-600000, default 10000
 *   init_timeout: MS          1-600000, default 20000
 *
 * A key left empty (or null) means "not given". In command, args, watch,
 * cwd and env values a leading "~" or "~/" is $HOME (a bare ~ is $HOME
 * here, not YAML's null), $VAR and ${VAR} are expanded (unset is an
 * error, "$$" is "$"). Relative watch and cwd paths are taken from the
 * config file's directory; a relative command with a '/' from cwd, else
 * from that directory; a bare command name is left for the PATH search.
 * Anchors, aliases and "<<" merge keys work; alias expansion is capped.
 * Top-level keys starting with "x-" are ignored: a place for anchors.
 *
 * Errors are a struct config_error (config_error.h, with
 * config_error_format); a reload compares configs with config_diff.h.
 * No libuv. I/O is limited to reading the file, getcwd() and getenv().
 */
#ifndef MCPMON_CONFIG_YAML_H
#define MCPMON_CONFIG_YAML_H

#include <stddef.h>

#include "config/config.h"
#include "config/config_error.h"

/* Reads and validates the YAML file at path (at most 4 MiB). On success
 * returns 0: cfg->servers (and nservers) are replaced by the file's
 * servers, cfg->separator by its separator (or the default),
 * cfg->queue_timeout_ms is set when the file gives one, and
 * cfg->config_path becomes the absolute path of the file. On failure
 * returns -1 with *err filled (err->file is path as given), cfg->servers
 * is empty (any servers it held are freed) and nothing else in cfg has
 * changed. cfg must have been config_init()ed; its command-line settings
 * (verbosity, log file, control socket, ...) are never touched. err may
 * be NULL. */
int config_load_yaml(const char* path,
                     struct mcpmon_config* cfg,
                     struct config_error* err);

/* The same for a document already in memory: text[0..len), which need
 * not be NUL-terminated and is only read. display_path names the file in
 * errors (may be NULL). Relative paths resolve against base_dir (made
 * absolute against the working directory; NULL means the working
 * directory), which also is the default watch path. cfg->config_path is
 * left alone. */
int config_parse_yaml(const char* text,
                      size_t len,
                      const char* display_path,
                      const char* base_dir,
                      struct mcpmon_config* cfg,
                      struct config_error* err);

#endif
