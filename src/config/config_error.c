/* config_error.c - see config_error.h. */
#include "config/config_error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

int config_error_setv(
    struct config_error* e, int line, int col, const char* fmt, va_list ap) {
  e->line = line;
  e->col = col;
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  /* Keys and values come from the file: keep the message on one line. */
  for (char* p = e->msg; *p != '\0'; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  }
  return -1;
}

int config_error_set(
    struct config_error* e, int line, int col, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  config_error_setv(e, line, col, fmt, ap);
  va_end(ap);
  return -1;
}

void config_error_format(const struct config_error* e, char* buf, size_t cap) {
  if (cap == 0)
    return;
  char pos[48] = "";
  if (e->line > 0 && e->col > 0)
    snprintf(pos, sizeof(pos), "%d:%d:", e->line, e->col);
  else if (e->line > 0)
    snprintf(pos, sizeof(pos), "%d:", e->line);
  bool has_file = e->file[0] != '\0';
  bool prefix = has_file || pos[0] != '\0';
  snprintf(buf, cap, "%s%s%s%s%s", has_file ? e->file : "", has_file ? ":" : "",
           pos, prefix ? " " : "", e->msg);
}
