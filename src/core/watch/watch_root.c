/* watch_root.c - see watch_root.h. */
#include "core/watch/watch_root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/watch/path.h"
#include "lib/util.h"

struct watch_root_gitignore {
  char* dir; /* relative to the root, "" for the root */
  char* text;
  size_t len;
};

static char** watch_root_copy_strings(const char* const* v, size_t n) {
  char** out = xcalloc(n, sizeof(*out));
  for (size_t i = 0; i < n; i++) out[i] = xstrdup(v[i]);
  return out;
}

static char* watch_root_prefix(const char* given) {
  size_t n = strlen(given);
  while (n > 1 && given[n - 1] == '/') n--;
  if (n == 1 && given[0] == '.')
    return xstrdup("");
  if (n == 1 && given[0] == '/')
    return xstrdup("/");
  return xasprintf("%.*s/", (int)n, given);
}

/* given made absolute (against the working directory) with "." and
 * empty components dropped and ".." taken back lexically: the root's
 * path while nothing of it can be resolved on disk. */
static char* watch_root_locate_abs(const char* given) {
  char* cwd = given[0] == '/' ? NULL : getcwd(NULL, 0);
  char* joined = path_join(cwd != NULL ? cwd : "/", given);
  free(cwd);
  size_t len = strlen(joined);
  char* out = xmalloc(len + 2);
  size_t n = 0;
  const char* p = joined;
  while (*p != '\0') {
    while (*p == '/') p++;
    const char* e = strchr(p, '/');
    size_t cl = e ? (size_t)(e - p) : strlen(p);
    if (cl == 0 || (cl == 1 && p[0] == '.')) {
      /* nothing */
    } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0)
        n--;
    } else {
      out[n++] = '/';
      memcpy(out + n, p, cl);
      n += cl;
    }
    p += cl;
  }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  free(joined);
  return out;
}

static void watch_root_rebuild_filter(struct watch_root* r) {
  pathfilter_free(r->pf);
  r->pf = pathfilter_new((const char* const*)r->exts, r->nexts,
                         (const char* const*)r->ignores, r->nignores);
  for (size_t i = 0; i < r->ngis; i++)
    pathfilter_add_gitignore(r->pf, r->gis[i].dir, r->gis[i].text,
                             r->gis[i].len);
}

int watch_root_init(struct watch_root* r,
                    const char* given,
                    const char* const* exts,
                    size_t nexts,
                    const char* const* ignores,
                    size_t nignores,
                    char* err,
                    size_t errlen) {
  memset(r, 0, sizeof(*r));
  char* real = realpath(given, NULL);
  struct stat st;
  if (real == NULL || stat(real, &st) != 0) {
    int e = errno;
    snprintf(err, errlen, "cannot watch '%s': %s", given, strerror(e));
    free(real);
    return -e;
  }
  r->given = xstrdup(given);
  r->prefix = watch_root_prefix(given);
  if (S_ISDIR(st.st_mode)) {
    r->real = real;
    r->exts = watch_root_copy_strings(exts, nexts);
    r->nexts = nexts;
    r->ignores = watch_root_copy_strings(ignores, nignores);
    r->nignores = nignores;
    watch_root_rebuild_filter(r);
    return 0;
  }
  char* slash = strrchr(real, '/');
  r->file = xstrdup(slash + 1);
  r->real =
      slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
  free(real);
  return 0;
}

void watch_root_init_missing(struct watch_root* r,
                             const char* given,
                             const char* const* exts,
                             size_t nexts,
                             const char* const* ignores,
                             size_t nignores) {
  memset(r, 0, sizeof(*r));
  r->given = xstrdup(given);
  r->prefix = watch_root_prefix(given);
  r->missing = true;
  r->exts = watch_root_copy_strings(exts, nexts);
  r->nexts = nexts;
  r->ignores = watch_root_copy_strings(ignores, nignores);
  r->nignores = nignores;
  r->real = watch_root_locate_abs(given);
  watch_root_rebuild_filter(r);
}

char* watch_root_locate(struct watch_root* r) {
  char* target = r->missing ? watch_root_locate_abs(r->given) : NULL;
  const char* want = target != NULL ? target : r->real;
  /* The longest leading part of want that is a directory. */
  char* dir = xstrdup(want);
  struct stat st;
  for (;;) {
    char* slash = strrchr(dir, '/');
    if (slash == NULL) {
      free(dir);
      dir = NULL;
      break;
    }
    if (slash == dir)
      slash[1] = '\0';
    else
      *slash = '\0';
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
      break;
    if (slash == dir) {
      free(dir);
      dir = NULL;
      break;
    }
  }
  char* real = dir != NULL ? realpath(dir, NULL) : NULL;
  if (real != NULL && target != NULL) {
    /* The same path below the directory's real spelling. */
    const char* rest = want + strlen(dir);
    while (*rest == '/') rest++;
    free(r->real);
    r->real = path_join(real, rest);
  }
  free(dir);
  free(target);
  return real;
}

int watch_root_resolve(struct watch_root* r, char* err, size_t errlen) {
  struct watch_root n;
  int rc =
      watch_root_init(&n, r->given, (const char* const*)r->exts, r->nexts,
                      (const char* const*)r->ignores, r->nignores, err, errlen);
  if (rc < 0) {
    watch_root_free(&n);
    return rc;
  }
  watch_root_free(r);
  *r = n;
  return 0;
}

void watch_root_free(struct watch_root* r) {
  free(r->given);
  free(r->prefix);
  free(r->real);
  free(r->file);
  pathfilter_free(r->pf);
  for (size_t i = 0; i < r->nexts; i++) free(r->exts[i]);
  free(r->exts);
  for (size_t i = 0; i < r->nignores; i++) free(r->ignores[i]);
  free(r->ignores);
  for (size_t i = 0; i < r->ngis; i++) {
    free(r->gis[i].dir);
    free(r->gis[i].text);
  }
  free(r->gis);
  memset(r, 0, sizeof(*r));
}

char* watch_root_display(const struct watch_root* r, const char* rel) {
  if (r->file != NULL)
    return xstrdup(r->given);
  return xasprintf("%s%s", r->prefix, rel);
}

const char* watch_root_skips(const struct watch_root* r,
                             const char* name,
                             const char* rel) {
  if (r->file != NULL)
    return strcmp(name, r->file) != 0 ? "not the watched file" : NULL;
  if (!pathfilter_ext_match(r->pf, name))
    return "extension not watched";
  if (pathfilter_ignored(r->pf, rel, false))
    return "ignored";
  return NULL;
}

bool watch_root_ignores_dir(const struct watch_root* r, const char* rel) {
  return pathfilter_ignored(r->pf, rel, true);
}

/* Reads the .gitignore in directory abs; NULL when there is none. */
static char* watch_root_read_gitignore(const char* abs, size_t* len) {
  char* path = path_join(abs, ".gitignore");
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  free(path);
  if (fd < 0)
    return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return NULL;
  }
  size_t cap = st.st_size < WATCH_ROOT_GITIGNORE_MAX ? (size_t)st.st_size
                                                     : WATCH_ROOT_GITIGNORE_MAX;
  char* text = xmalloc(cap + 1);
  size_t n = 0;
  while (n < cap) {
    ssize_t got = read(fd, text + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    n += (size_t)got;
  }
  close(fd);
  text[n] = '\0';
  *len = n;
  return text;
}

bool watch_root_load_gitignore(struct watch_root* r,
                               const char* rel,
                               const char* abs) {
  size_t len = 0;
  char* text = watch_root_read_gitignore(abs, &len);
  struct watch_root_gitignore* gi = NULL;
  for (size_t i = 0; i < r->ngis; i++) {
    if (strcmp(r->gis[i].dir, rel) == 0)
      gi = &r->gis[i];
  }
  if (gi == NULL) {
    if (text == NULL)
      return false;
    r->gis = xrealloc(r->gis, (r->ngis + 1) * sizeof(*r->gis));
    gi = &r->gis[r->ngis++];
    gi->dir = xstrdup(rel);
    gi->text = text;
    gi->len = len;
    pathfilter_add_gitignore(r->pf, rel, text, len);
    return false;
  }
  if (text != NULL && len == gi->len && memcmp(text, gi->text, len) == 0) {
    free(text);
    return false;
  }
  free(gi->text);
  if (text != NULL) {
    gi->text = text;
    gi->len = len;
  } else {
    free(gi->dir);
    *gi = r->gis[--r->ngis];
  }
  watch_root_rebuild_filter(r);
  return true;
}
