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
 *   separator: STR            1-8 of [A-Za-z0-9_:.-], default "__"
 *   delay: MS                 default 30
 *   grace: MS                 default 2000
 *   queue_timeout: MS         1-600000, default 30000
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
 * No libuv. I/O is limited to reading the file, getcwd() and getenv().
 */
#ifndef MCPMON_CONFIG_YAML_H
#define MCPMON_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* Where and why a load failed. line and col are 1-based, 0 when unknown
 * (a file that cannot be read has neither). msg is one line. */
struct config_error {
  char file[512];
  int line;
  int col;
  char msg[512];
};

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

/* Writes "file:line:col: message" into buf (cap bytes, always
 * NUL-terminated when cap > 0), leaving out the line and column when
 * they are 0 and the file when it is empty. */
void config_error_format(const struct config_error* e, char* buf, size_t cap);

/* True when a and b describe the same backend: every field of struct
 * server_config, name and enabled included, lists compared in order. */
bool server_config_equal(const struct server_config* a,
                         const struct server_config* b);

/* What a reload changes, as server names (copies owned by the struct).
 * added, changed and unchanged follow the new config's order, removed
 * the old one's. A server whose settings differ in any way, enabled
 * included, is "changed". globals_changed is set when the separator or
 * queue_timeout_ms differ. */
struct config_diff {
  struct strvec added;
  struct strvec removed;
  struct strvec changed;
  struct strvec unchanged;
  bool globals_changed;
};

/* Compares two loaded configs, matching servers by name. Overwrites *out
 * without freeing it; release it with config_diff_free(). */
void config_diff(const struct mcpmon_config* old_cfg,
                 const struct mcpmon_config* new_cfg,
                 struct config_diff* out);

/* Frees the name lists of d and zeroes it. */
void config_diff_free(struct config_diff* d);

#endif
