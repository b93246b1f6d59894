/* expand.c - see expand.h. */
#include "config/expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfgutil.h"

static bool expand_name_start(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool expand_name_char(char ch) {
  return expand_name_start(ch) || (ch >= '0' && ch <= '9');
}

bool expand_var_name_ok(const char* s, size_t n) {
  if (n == 0 || !expand_name_start(s[0]))
    return false;
  for (size_t i = 1; i < n; i++) {
    if (!expand_name_char(s[i]))
      return false;
  }
  return true;
}

int expand_vars(const char* s,
                const char* label,
                size_t* used,
                size_t max,
                char** out,
                char* err,
                size_t errlen) {
  struct cfg_buf b = {0};
  const char* p = s;
  if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
    const char* home = getenv("HOME");
    if (home == NULL || *home == '\0') {
      free(b.p);
      snprintf(err, errlen, "environment variable 'HOME' is not set (in '%s')",
               label);
      return -1;
    }
    cfg_buf_add(&b, home, strlen(home));
    p++;
  }
  while (*p != '\0') {
    const char* d = strchr(p, '$');
    if (d == NULL) {
      cfg_buf_add(&b, p, strlen(p));
      break;
    }
    cfg_buf_add(&b, p, (size_t)(d - p));
    const char* name;
    size_t n;
    if (d[1] == '$') {
      cfg_buf_add(&b, "$", 1);
      p = d + 2;
      continue;
    } else if (d[1] == '{') {
      const char* close = strchr(d + 2, '}');
      if (close == NULL) {
        free(b.p);
        snprintf(err, errlen, "unterminated '${' (in '%s')", label);
        return -1;
      }
      name = d + 2;
      n = (size_t)(close - name);
      p = close + 1;
      if (!expand_var_name_ok(name, n)) {
        free(b.p);
        snprintf(err, errlen, "invalid variable name '${%.*s}' (in '%s')",
                 n > 64 ? 64 : (int)n, name, label);
        return -1;
      }
    } else if (expand_name_start(d[1])) {
      name = d + 1;
      n = 1;
      while (expand_name_char(name[n])) n++;
      p = name + n;
    } else {
      cfg_buf_add(&b, "$", 1); /* "$" before anything else is itself */
      p = d + 1;
      continue;
    }
    char* var = cfg_xstrndup(name, n);
    const char* v = getenv(var);
    if (v == NULL) {
      snprintf(err, errlen, "environment variable '%.64s' is not set (in '%s')",
               var, label);
      free(var);
      free(b.p);
      return -1;
    }
    free(var);
    if (*used + b.n + strlen(v) > max) {
      free(b.p);
      snprintf(err, errlen,
               "expanding variables in '%s' makes the file more than %zu "
               "MiB of text",
               label, max >> 20);
      return -1;
    }
    cfg_buf_add(&b, v, strlen(v));
  }
  *used += b.n;
  *out = cfg_buf_take(&b);
  return 0;
}

/* Drops empty and "." components and trailing slashes of the absolute
 * path s, in place. */
static void expand_normalize(char* s) {
  char* w = s;
  const char* r = s;
  for (;;) {
    while (*r == '/') r++;
    const char* e = r;
    while (*e != '\0' && *e != '/') e++;
    size_t n = (size_t)(e - r);
    if (n == 0)
      break;
    if (!(n == 1 && r[0] == '.')) {
      *w++ = '/';
      memmove(w, r, n);
      w += n;
    }
    r = e;
  }
  if (w == s)
    *w++ = '/';
  *w = '\0';
}

char* expand_resolve(const char* base, const char* p) {
  struct cfg_buf b = {0};
  if (p[0] != '/') {
    cfg_buf_add(&b, base, strlen(base));
    cfg_buf_add(&b, "/", 1);
  }
  cfg_buf_add(&b, p, strlen(p));
  expand_normalize(b.p);
  return cfg_buf_take(&b);
}

char* expand_absolute(const char* p) {
  if (p[0] == '/')
    return expand_resolve("/", p);
  char* cwd = getcwd(NULL, 0);
  if (cwd == NULL)
    return NULL;
  char* abs = expand_resolve(cwd, p);
  free(cwd);
  return abs;
}
