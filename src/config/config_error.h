/* config_error.h - where and why reading a config file failed.
 *
 * Filled by the YAML loader (config_yaml.h) and the layers under it
 * (yaml_tree.h, yaml_map.h); formatted once, by config_error_format().
 * Pure: no I/O.
 */
#ifndef MCPMON_CONFIG_ERROR_H
#define MCPMON_CONFIG_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Where and why a load failed. line and col are 1-based, 0 when unknown
 * (a file that cannot be read has neither). msg is one line. */
struct config_error {
  char file[512];
  int line;
  int col;
  char msg[512];
};

/* Sets e's line, col and message (printf format; e->file is left alone).
 * Control characters in the result become '?', so a message quoting the
 * file stays on one line. Always returns -1, for "return
 * config_error_set(...);" on a failure path. */
int config_error_set(struct config_error* e,
                     int line,
                     int col,
                     const char* fmt,
                     ...) __attribute__((format(printf, 4, 5)));

/* The same with a va_list. */
int config_error_setv(struct config_error* e,
                      int line,
                      int col,
                      const char* fmt,
                      va_list ap) __attribute__((format(printf, 4, 0)));

/* Writes "file:line:col: message" into buf (cap bytes, always
 * NUL-terminated when cap > 0), leaving out the line and column when
 * they are 0 and the file when it is empty. */
void config_error_format(const struct config_error* e, char* buf, size_t cap);

#endif
