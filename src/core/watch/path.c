/* path.c - see path.h. */
#include "core/watch/path.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

char* path_join(const char* dir, const char* name) {
  size_t n = strlen(dir);
  if (n == 0)
    return xstrdup(name);
  if (*name == '\0')
    return xstrdup(dir);
  return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

bool path_is_join(const char* full, const char* dir, const char* name) {
  size_t n = strlen(dir);
  if (strncmp(full, dir, n) != 0)
    return false;
  full += n;
  if (n > 0 && dir[n - 1] != '/') {
    if (*full != '/')
      return false;
    full++;
  }
  return strcmp(full, name) == 0;
}

char* path_real_parent(const char* path) {
  const char* slash = strrchr(path, '/');
  const char* name = slash ? slash + 1 : path;
  char* dir = slash == NULL   ? xstrdup(".")
              : slash == path ? xstrdup("/")
                              : xstrndup(path, (size_t)(slash - path));
  char* real = realpath(dir, NULL);
  char* out;
  if (real != NULL) {
    out = path_join(real, name);
    free(real);
  } else if (path[0] == '/') {
    out = xstrdup(path);
  } else {
    char cwd[PATH_MAX];
    out = getcwd(cwd, sizeof(cwd)) ? path_join(cwd, path) : xstrdup(path);
  }
  free(dir);
  return out;
}

bool path_looks_like_file(const char* path) {
  const char* base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  const char* dot = strrchr(base, '.');
  return dot != NULL && dot != base && dot[1] != '\0';
}
