/* watcher.c - see watcher.h.
 *
 * Each watched directory is a struct watcher_dir holding a uv_fs_event_t
 * and its real path; a directory is watched before it is scanned, so a file
 * created meanwhile is seen by the scan, the event or both (the second one
 * then finds it unchanged). Files are known only by a 64-bit hash of their
 * real path, mapped to a fingerprint of (size, mtime ns) in a 16-byte slot:
 * no per-file strings, except those of the burst being collected.
 *
 * Several roots may share a directory: the first root to reach it watches
 * it. A root that is a single file watches its parent directory through a
 * watcher_dir of its own (not in the directory map) and looks only at that
 * name, with no extension or ignore filter.
 *
 * Everything runs on the loop thread; the scans are synchronous, as
 * libuv's own inotify calls are.
 */
#include "core/watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/pathfilter.h"
#include "core/util.h"

/* A .gitignore larger than this is read only up to here. */
#define WATCHER_GITIGNORE_MAX (1024 * 1024)

#define WATCHER_LOG(w, level, ...)                   \
  do {                                               \
    if (log_enabled(level))                          \
      log_msg(level, (w)->log_name, 0, __VA_ARGS__); \
  } while (0)

/* ---- hash table: 64-bit key -> 64-bit value ------------------------- */

/* Open addressing, linear probing, backward-shift deletion; key 0 marks
 * an empty slot (hashes are never 0). */
struct htab_ent {
  uint64_t key;
  uint64_t val;
};

struct htab {
  struct htab_ent* e;
  size_t cap; /* 0 or a power of two */
  size_t n;
};

static struct htab_ent* htab_find(const struct htab* t, uint64_t key) {
  if (t->cap == 0)
    return NULL;
  size_t mask = t->cap - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    if (t->e[i].key == key)
      return &t->e[i];
    if (t->e[i].key == 0)
      return NULL;
  }
}

static void htab_put_new(struct htab* t, uint64_t key, uint64_t val) {
  size_t mask = t->cap - 1;
  size_t i = key & mask;
  while (t->e[i].key != 0) i = (i + 1) & mask;
  t->e[i].key = key;
  t->e[i].val = val;
  t->n++;
}

/* Sets key to val; returns true when key was not there before. */
static bool htab_put(struct htab* t, uint64_t key, uint64_t val) {
  struct htab_ent* found = htab_find(t, key);
  if (found != NULL) {
    found->val = val;
    return false;
  }
  if ((t->n + 1) * 4 > t->cap * 3) {
    struct htab old = *t;
    t->cap = old.cap ? old.cap * 2 : 64;
    t->e = xcalloc(t->cap, sizeof(*t->e));
    t->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
      if (old.e[i].key != 0)
        htab_put_new(t, old.e[i].key, old.e[i].val);
    }
    free(old.e);
  }
  htab_put_new(t, key, val);
  return true;
}

static bool htab_del(struct htab* t, uint64_t key) {
  struct htab_ent* found = htab_find(t, key);
  if (found == NULL)
    return false;
  size_t mask = t->cap - 1;
  size_t i = (size_t)(found - t->e);
  for (size_t j = (i + 1) & mask; t->e[j].key != 0; j = (j + 1) & mask) {
    size_t home = t->e[j].key & mask;
    /* Move e[j] into the hole unless its home lies in (i, j]. */
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      t->e[i] = t->e[j];
      i = j;
    }
  }
  t->e[i].key = 0;
  t->e[i].val = 0;
  t->n--;
  return true;
}

static void htab_free(struct htab* t) {
  free(t->e);
  memset(t, 0, sizeof(*t));
}

static uint64_t hash_mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

static uint64_t hash_bytes(uint64_t h, const char* s) {
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

static uint64_t hash_final(uint64_t h) {
  h = hash_mix(h);
  return h != 0 ? h : 1;
}

/* Hash of path_join(dir, name) (name may be NULL for dir alone). */
static uint64_t hash_path(const char* dir, const char* name) {
  uint64_t h = hash_bytes(0xcbf29ce484222325ULL, dir);
  if (name != NULL && *name != '\0') {
    size_t n = strlen(dir);
    if (n == 0 || dir[n - 1] != '/')
      h = hash_bytes(h, "/");
    h = hash_bytes(h, name);
  }
  return hash_final(h);
}

static uint64_t stat_fingerprint(const struct stat* st) {
  uint64_t mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ULL +
                   (uint64_t)st->st_mtim.tv_nsec;
  return hash_mix(hash_mix((uint64_t)st->st_size) ^ mtime);
}

/* ---- paths -------------------------------------------------------- */

/* dir + '/' + name, with no doubled '/'; a "" part is left out. */
static char* path_join(const char* dir, const char* name) {
  size_t n = strlen(dir);
  if (n == 0)
    return xstrdup(name);
  if (*name == '\0')
    return xstrdup(dir);
  return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* Whether full equals path_join(dir, name). */
static bool path_is_join(const char* full, const char* dir, const char* name) {
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

/* ---- types -------------------------------------------------------- */

struct watcher_gitignore {
  char* dir; /* relative to the root, "" for the root */
  char* text;
  size_t len;
};

struct watcher_root {
  char* given;  /* as the user gave it */
  char* prefix; /* what reported paths start with: "" for ".", "src/" */
  char* real;   /* real path of the directory, or of a file's parent */
  char* file;   /* single-file root: the file's name; NULL for a dir */
  struct pathfilter* pf; /* directory roots only */
  struct watcher_gitignore* gis;
  size_t ngis;
};

struct watcher_dir {
  uv_fs_event_t ev; /* ev.data points back here */
  struct watcher* w;
  struct watcher_root* root;
  char* abs;       /* real path */
  const char* rel; /* inside abs: relative to the root, "" for the root */
  uint64_t key;    /* hash_path(abs, NULL) */
  size_t index;    /* in w->dirs; SIZE_MAX when not registered */
  size_t nfiles;   /* files in the table directly inside it */
};

struct watcher_pending {
  char* path;
  enum watcher_change_kind kind;
};

struct watcher {
  uv_loop_t* loop;
  watcher_cb cb;
  void* ctx;
  char* log_name;
  unsigned delay_ms;
  char** exts;
  size_t nexts;
  char** ignores;
  size_t nignores;
  char** skip; /* realpath of the directory + '/' + name */
  size_t nskip;
  struct watcher_root* roots;
  size_t nroots;
  struct watcher_dir** dirs;
  size_t ndirs;
  size_t capdirs;
  struct htab dirmap; /* hash of a directory's real path -> watcher_dir */
  struct htab files;  /* hash of a file's real path -> stat fingerprint */
  struct watcher_pending* burst; /* distinct paths, first seen first */
  size_t nburst;
  size_t capburst;
  struct htab burstmap; /* hash of a real path -> index in burst */
  uv_timer_t timer;
  size_t pending_closes;
  bool closing;
  bool warned_limit;
};

static void watcher_add_dir(struct watcher* w,
                            struct watcher_root* r,
                            const char* rel,
                            bool report);

static const char* watcher_kind_name(enum watcher_change_kind kind) {
  switch (kind) {
    case WATCH_ADDED:
      return "added";
    case WATCH_MODIFIED:
      return "modified";
    case WATCH_REMOVED:
      return "removed";
  }
  return "changed";
}

static char* watcher_display(const struct watcher_root* r, const char* rel) {
  if (r->file != NULL)
    return xstrdup(r->given);
  return xasprintf("%s%s", r->prefix, rel);
}

/* ---- closing ------------------------------------------------------ */

static void watcher_free(struct watcher* w) {
  for (size_t i = 0; i < w->nroots; i++) {
    struct watcher_root* r = &w->roots[i];
    free(r->given);
    free(r->prefix);
    free(r->real);
    free(r->file);
    pathfilter_free(r->pf);
    for (size_t j = 0; j < r->ngis; j++) {
      free(r->gis[j].dir);
      free(r->gis[j].text);
    }
    free(r->gis);
  }
  free(w->roots);
  for (size_t i = 0; i < w->nexts; i++) free(w->exts[i]);
  free(w->exts);
  for (size_t i = 0; i < w->nignores; i++) free(w->ignores[i]);
  free(w->ignores);
  for (size_t i = 0; i < w->nskip; i++) free(w->skip[i]);
  free(w->skip);
  for (size_t i = 0; i < w->nburst; i++) free(w->burst[i].path);
  free(w->burst);
  htab_free(&w->burstmap);
  htab_free(&w->dirmap);
  htab_free(&w->files);
  free(w->dirs);
  free(w->log_name);
  free(w);
}

static void watcher_closed_one(struct watcher* w) {
  if (--w->pending_closes == 0 && w->closing)
    watcher_free(w);
}

static void watcher_on_dir_close(uv_handle_t* h) {
  struct watcher_dir* d = h->data;
  struct watcher* w = d->w;
  free(d->abs);
  free(d);
  watcher_closed_one(w);
}

static void watcher_on_timer_close(uv_handle_t* h) {
  watcher_closed_one(h->data);
}

void watcher_close(struct watcher* w) {
  if (w == NULL || w->closing)
    return;
  w->closing = true;
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t*)&w->timer, watcher_on_timer_close);
  for (size_t i = 0; i < w->ndirs; i++)
    uv_close((uv_handle_t*)&w->dirs[i]->ev, watcher_on_dir_close);
  w->ndirs = 0;
  htab_free(&w->dirmap);
}

size_t watcher_dir_count(const struct watcher* w) {
  return w->ndirs;
}

/* ---- the burst ---------------------------------------------------- */

static void watcher_on_timer(uv_timer_t* t) {
  struct watcher* w = t->data;
  struct watcher_pending* burst = w->burst;
  size_t n = w->nburst;
  w->burst = NULL;
  w->nburst = 0;
  w->capburst = 0;
  htab_free(&w->burstmap);
  if (n == 0)
    return;
  struct watcher_change* changes = xmalloc(n * sizeof(*changes));
  for (size_t i = 0; i < n; i++) {
    changes[i].path = burst[i].path;
    changes[i].kind = burst[i].kind;
  }
  /* The callback may call watcher_close: w stays allocated until the
   * close callbacks run, but nothing here touches it any more. */
  w->cb(w->ctx, changes, n);
  for (size_t i = 0; i < n; i++) free(burst[i].path);
  free(burst);
  free(changes);
}

/* Adds path (taking ownership) to the burst under key and restarts the
 * quiet-time timer. */
static void watcher_accept(struct watcher* w,
                           uint64_t key,
                           char* path,
                           enum watcher_change_kind kind) {
  WATCHER_LOG(w, LL_VERBOSE, "%s: %s", watcher_kind_name(kind), path);
  struct htab_ent* e = htab_find(&w->burstmap, key);
  if (e != NULL) {
    struct watcher_pending* p = &w->burst[e->val];
    if (!(p->kind == WATCH_ADDED && kind == WATCH_MODIFIED))
      p->kind = kind;
    free(path);
  } else {
    if (w->nburst == w->capburst) {
      w->capburst = w->capburst ? w->capburst * 2 : 16;
      w->burst = xrealloc(w->burst, w->capburst * sizeof(*w->burst));
    }
    w->burst[w->nburst].path = path;
    w->burst[w->nburst].kind = kind;
    htab_put(&w->burstmap, key, w->nburst);
    w->nburst++;
  }
  uv_timer_start(&w->timer, watcher_on_timer, w->delay_ms, 0);
}

/* ---- directories -------------------------------------------------- */

static void watcher_dir_register(struct watcher* w, struct watcher_dir* d) {
  if (w->ndirs == w->capdirs) {
    w->capdirs = w->capdirs ? w->capdirs * 2 : 16;
    w->dirs = xrealloc(w->dirs, w->capdirs * sizeof(*w->dirs));
  }
  d->index = w->ndirs;
  w->dirs[w->ndirs++] = d;
  if (d->root->file == NULL)
    htab_put(&w->dirmap, d->key, (uint64_t)(uintptr_t)d);
}

static void watcher_dir_close(struct watcher* w, struct watcher_dir* d) {
  if (d->index != SIZE_MAX) {
    struct watcher_dir* last = w->dirs[--w->ndirs];
    w->dirs[d->index] = last;
    last->index = d->index;
    d->index = SIZE_MAX;
    if (d->root->file == NULL)
      htab_del(&w->dirmap, d->key);
  }
  uv_close((uv_handle_t*)&d->ev, watcher_on_dir_close);
}

static struct watcher_dir* watcher_dir_find(struct watcher* w, uint64_t key) {
  struct htab_ent* e = htab_find(&w->dirmap, key);
  return e ? (struct watcher_dir*)(uintptr_t)e->val : NULL;
}

/* Stops watching directory d and every watched directory below it. When
 * files were still known inside (the tree was moved away rather than
 * deleted file by file), the directory itself is reported removed. */
static void watcher_remove_tree(struct watcher* w, struct watcher_dir* d) {
  size_t len = strlen(d->abs);
  size_t nfiles = 0;
  char* display = watcher_display(d->root, d->rel);
  uint64_t key = d->key;
  for (size_t i = w->ndirs; i-- > 0;) {
    struct watcher_dir* s = w->dirs[i];
    if (s->root->file != NULL || strncmp(s->abs, d->abs, len) != 0 ||
        (s->abs[len] != '\0' && s->abs[len] != '/'))
      continue;
    nfiles += s->nfiles;
    WATCHER_LOG(w, LL_DEBUG, "unwatching %s", s->abs);
    watcher_dir_close(w, s);
  }
  if (nfiles > 0)
    watcher_accept(w, key, display, WATCH_REMOVED);
  else
    free(display);
}

/* Logs why directory abs could not be watched: an inotify limit once, as
 * a warning naming it. */
static void watcher_watch_failed(struct watcher* w, const char* abs, int rc) {
  if (rc == UV_ENOENT || rc == UV_ENOTDIR) {
    /* Gone again before we could watch it: its parent reports that. */
    WATCHER_LOG(w, LL_DEBUG, "cannot watch %s: %s", abs, uv_strerror(rc));
    return;
  }
  if (rc != UV_ENOSPC && rc != UV_EMFILE) {
    WATCHER_LOG(w, LL_WARN, "cannot watch %s: %s", abs, uv_strerror(rc));
    return;
  }
  if (w->warned_limit) {
    WATCHER_LOG(w, LL_DEBUG, "cannot watch %s: %s", abs, uv_strerror(rc));
    return;
  }
  w->warned_limit = true;
  WATCHER_LOG(w, LL_WARN,
              "cannot watch %s: %s: the inotify limit %s is reached; "
              "changes in unwatched directories are missed (raise it with "
              "sysctl)",
              abs, uv_strerror(rc),
              rc == UV_ENOSPC ? "fs.inotify.max_user_watches"
                              : "fs.inotify.max_user_instances (or the "
                                "open file limit)");
}

static void watcher_on_fs_event(uv_fs_event_t* h,
                                const char* filename,
                                int events,
                                int status);

/* Creates and starts the watch of directory abs (taking ownership);
 * returns NULL (logged) when inotify refuses it. */
static struct watcher_dir* watcher_dir_new(struct watcher* w,
                                           struct watcher_root* r,
                                           char* abs,
                                           uint64_t key) {
  struct watcher_dir* d = xcalloc(1, sizeof(*d));
  d->w = w;
  d->root = r;
  d->abs = abs;
  size_t rlen = strlen(r->real);
  if (r->file != NULL || strcmp(abs, r->real) == 0)
    d->rel = abs + strlen(abs);
  else
    d->rel = abs + rlen + (r->real[rlen - 1] == '/' ? 0 : 1);
  d->key = key;
  d->index = SIZE_MAX;
  uv_fs_event_init(w->loop, &d->ev);
  d->ev.data = d;
  w->pending_closes++;
  int rc = uv_fs_event_start(&d->ev, watcher_on_fs_event, abs, 0);
  if (rc < 0) {
    watcher_watch_failed(w, abs, rc);
    uv_close((uv_handle_t*)&d->ev, watcher_on_dir_close);
    return NULL;
  }
  watcher_dir_register(w, d);
  return d;
}

/* ---- .gitignore --------------------------------------------------- */

/* Reads the .gitignore in directory abs; NULL when there is none. */
static char* watcher_read_gitignore(const char* abs, size_t* len) {
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
  size_t cap = st.st_size < WATCHER_GITIGNORE_MAX ? (size_t)st.st_size
                                                  : WATCHER_GITIGNORE_MAX;
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

static void watcher_rebuild_filter(struct watcher* w, struct watcher_root* r) {
  pathfilter_free(r->pf);
  r->pf = pathfilter_new((const char* const*)w->exts, w->nexts,
                         (const char* const*)w->ignores, w->nignores);
  for (size_t i = 0; i < r->ngis; i++)
    pathfilter_add_gitignore(r->pf, r->gis[i].dir, r->gis[i].text,
                             r->gis[i].len);
}

/* (Re)loads the .gitignore of directory rel of r (real path abs). A new
 * one adds its rules; a changed or deleted one rebuilds the filter. */
static void watcher_load_gitignore(struct watcher* w,
                                   struct watcher_root* r,
                                   const char* rel,
                                   const char* abs) {
  size_t len = 0;
  char* text = watcher_read_gitignore(abs, &len);
  struct watcher_gitignore* gi = NULL;
  for (size_t i = 0; i < r->ngis; i++) {
    if (strcmp(r->gis[i].dir, rel) == 0)
      gi = &r->gis[i];
  }
  if (gi == NULL) {
    if (text == NULL)
      return;
    r->gis = xrealloc(r->gis, (r->ngis + 1) * sizeof(*r->gis));
    gi = &r->gis[r->ngis++];
    gi->dir = xstrdup(rel);
    gi->text = text;
    gi->len = len;
    pathfilter_add_gitignore(r->pf, rel, text, len);
    return;
  }
  if (text != NULL && len == gi->len && memcmp(text, gi->text, len) == 0) {
    free(text);
    return;
  }
  free(gi->text);
  if (text != NULL) {
    gi->text = text;
    gi->len = len;
  } else {
    free(gi->dir);
    *gi = r->gis[--r->ngis];
  }
  WATCHER_LOG(w, LL_VERBOSE, "reloading the ignore rules of %s",
              *rel ? rel : "the root");
  watcher_rebuild_filter(w, r);
}

/* ---- files -------------------------------------------------------- */

/* Why the file name in directory d (rel below the root, NULL for a
 * single-file root) is not watched, or NULL when it is. */
static const char* watcher_file_filter(const struct watcher* w,
                                       const struct watcher_dir* d,
                                       const char* name,
                                       const char* rel) {
  const struct watcher_root* r = d->root;
  if (r->file != NULL) {
    if (strcmp(name, r->file) != 0)
      return "not the watched file";
  } else {
    if (!pathfilter_ext_match(r->pf, name))
      return "extension not watched";
    if (pathfilter_ignored(r->pf, rel, false))
      return "ignored";
  }
  for (size_t i = 0; i < w->nskip; i++) {
    if (path_is_join(w->skip[i], d->abs, name))
      return "skip file";
  }
  return NULL;
}

/* Logs, at debug level, why an event for rel (or name in a single-file
 * root's directory) was dropped. */
static void watcher_drop(const struct watcher* w,
                         const struct watcher_dir* d,
                         const char* name,
                         const char* rel,
                         const char* reason) {
  if (!log_enabled(LL_DEBUG))
    return;
  char* path =
      d->root->file ? path_join(d->abs, name) : watcher_display(d->root, rel);
  log_msg(LL_DEBUG, w->log_name, 0, "dropped %s: %s", path, reason);
  free(path);
}

static bool watcher_is_file(mode_t mode) {
  return S_ISREG(mode) || S_ISLNK(mode);
}

/* A file event in d for name: st is its lstat, NULL when it is gone. */
static void watcher_file_event(struct watcher* w,
                               struct watcher_dir* d,
                               const char* name,
                               const char* rel,
                               const struct stat* st) {
  const char* reason = watcher_file_filter(w, d, name, rel);
  if (reason != NULL) {
    watcher_drop(w, d, name, rel, reason);
    return;
  }
  uint64_t key = hash_path(d->abs, name);
  if (st == NULL) {
    if (!htab_del(&w->files, key)) {
      watcher_drop(w, d, name, rel, "removed, never seen");
      return;
    }
    if (d->nfiles > 0)
      d->nfiles--;
    watcher_accept(w, key, watcher_display(d->root, rel), WATCH_REMOVED);
    return;
  }
  if (!watcher_is_file(st->st_mode)) {
    watcher_drop(w, d, name, rel, "not a regular file");
    return;
  }
  uint64_t fp = stat_fingerprint(st);
  struct htab_ent* e = htab_find(&w->files, key);
  if (e != NULL && e->val == fp) {
    watcher_drop(w, d, name, rel, "size and mtime unchanged");
    return;
  }
  enum watcher_change_kind kind = e ? WATCH_MODIFIED : WATCH_ADDED;
  if (htab_put(&w->files, key, fp))
    d->nfiles++;
  watcher_accept(w, key, watcher_display(d->root, rel), kind);
}

/* ---- scanning ----------------------------------------------------- */

/* Watches directory rel of root r, then scans it: its .gitignore first,
 * then its files (recorded; also reported as added when report), then
 * its subdirectories that are not ignored, recursively. */
static void watcher_add_dir(struct watcher* w,
                            struct watcher_root* r,
                            const char* rel,
                            bool report) {
  char* abs = path_join(r->real, rel);
  uint64_t key = hash_path(abs, NULL);
  if (watcher_dir_find(w, key) != NULL) {
    free(abs);
    return;
  }
  struct watcher_dir* d = watcher_dir_new(w, r, abs, key);
  if (d == NULL)
    return;
  WATCHER_LOG(w, LL_DEBUG, "watching %s", d->abs);
  watcher_load_gitignore(w, r, rel, d->abs);

  DIR* dir = opendir(d->abs);
  if (dir == NULL) {
    WATCHER_LOG(w, LL_DEBUG, "cannot read %s: %s", d->abs, strerror(errno));
    return;
  }
  char** subdirs = NULL;
  size_t nsub = 0;
  size_t capsub = 0;
  struct dirent* de;
  while ((de = readdir(dir)) != NULL) {
    const char* name = de->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    struct stat st;
    bool have_stat = false;
    bool is_dir = de->d_type == DT_DIR;
    if (de->d_type == DT_UNKNOWN) {
      if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      have_stat = true;
      is_dir = S_ISDIR(st.st_mode);
    }
    char* crel = path_join(rel, name);
    if (is_dir) {
      if (pathfilter_ignored(r->pf, crel, true)) {
        watcher_drop(w, d, name, crel, "ignored directory");
        free(crel);
        continue;
      }
      if (nsub == capsub) {
        capsub = capsub ? capsub * 2 : 8;
        subdirs = xrealloc(subdirs, capsub * sizeof(*subdirs));
      }
      subdirs[nsub++] = crel;
      continue;
    }
    if (watcher_file_filter(w, d, name, crel) == NULL &&
        (have_stat ||
         fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0) &&
        watcher_is_file(st.st_mode)) {
      uint64_t fkey = hash_path(d->abs, name);
      if (htab_put(&w->files, fkey, stat_fingerprint(&st)))
        d->nfiles++;
      if (report)
        watcher_accept(w, fkey, watcher_display(r, crel), WATCH_ADDED);
    }
    free(crel);
  }
  closedir(dir);
  for (size_t i = 0; i < nsub; i++) {
    watcher_add_dir(w, r, subdirs[i], report);
    free(subdirs[i]);
  }
  free(subdirs);
}

/* ---- events ------------------------------------------------------- */

/* Whether name, reported for directory d, is d's own name: libuv names
 * an event on the watched directory itself (deleted, moved) so. */
static bool watcher_is_self(const struct watcher_dir* d, const char* name) {
  const char* base = strrchr(d->abs, '/');
  return base != NULL && strcmp(base + 1, name) == 0;
}

/* An event in directory d of a directory root for name (abs, rel below
 * the root); st is its lstat, NULL when it is gone. */
static void watcher_dir_event(struct watcher* w,
                              struct watcher_dir* d,
                              const char* name,
                              const char* abs,
                              const char* rel,
                              const struct stat* st) {
  struct watcher_root* r = d->root;
  struct stat self;
  if (st == NULL && watcher_is_self(d, name) &&
      (lstat(d->abs, &self) != 0 || !S_ISDIR(self.st_mode))) {
    /* The directory itself is gone. Usually its parent's watch reports
     * that too; the first one to see it wins. */
    if (*d->rel == '\0')
      WATCHER_LOG(w, LL_WARN, "watched directory %s is gone", r->given);
    watcher_remove_tree(w, d);
    return;
  }
  bool is_dir = st != NULL && S_ISDIR(st->st_mode);
  struct watcher_dir* sub = watcher_dir_find(w, hash_path(abs, NULL));
  if (sub != NULL && !is_dir) {
    watcher_remove_tree(w, sub);
    if (st == NULL)
      return;
  }
  if (strcmp(name, ".gitignore") == 0)
    watcher_load_gitignore(w, r, d->rel, d->abs);
  if (!is_dir) {
    watcher_file_event(w, d, name, rel, st);
  } else if (sub != NULL) {
    /* Already watched: an attribute change, or found by a scan. */
  } else {
    /* A file known here before is gone, a directory in its place. */
    uint64_t fkey = hash_path(d->abs, name);
    if (htab_del(&w->files, fkey)) {
      if (d->nfiles > 0)
        d->nfiles--;
      watcher_accept(w, fkey, watcher_display(r, rel), WATCH_REMOVED);
    }
    if (pathfilter_ignored(r->pf, rel, true)) {
      watcher_drop(w, d, name, rel, "ignored directory");
    } else {
      WATCHER_LOG(w, LL_DEBUG, "new directory %s", abs);
      watcher_add_dir(w, r, rel, true);
    }
  }
}

static void watcher_on_fs_event(uv_fs_event_t* h,
                                const char* filename,
                                int events,
                                int status) {
  struct watcher_dir* d = h->data;
  struct watcher* w = d->w;
  (void)events;
  if (w->closing || d->index == SIZE_MAX)
    return;
  if (status < 0) {
    WATCHER_LOG(w, LL_WARN, "watch error on %s: %s", d->abs,
                uv_strerror(status));
    return;
  }
  if (filename == NULL || *filename == '\0' || strchr(filename, '/'))
    return;
  char* abs = path_join(d->abs, filename);
  struct stat st;
  bool exists = lstat(abs, &st) == 0;
  if (d->root->file != NULL) {
    watcher_file_event(w, d, filename, NULL, exists ? &st : NULL);
  } else {
    char* rel = path_join(d->rel, filename);
    watcher_dir_event(w, d, filename, abs, rel, exists ? &st : NULL);
    free(rel);
  }
  free(abs);
}

/* ---- start -------------------------------------------------------- */

static char** watcher_copy_strings(const char* const* v, size_t n) {
  char** out = xcalloc(n, sizeof(*out));
  for (size_t i = 0; i < n; i++) out[i] = xstrdup(v[i]);
  return out;
}

/* What a skip file is compared as: the real path of its directory joined
 * with its name (the file itself need not exist yet). */
static char* watcher_skip_path(const char* path) {
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

static char* watcher_root_prefix(const char* given) {
  size_t n = strlen(given);
  while (n > 1 && given[n - 1] == '/') n--;
  if (n == 1 && given[0] == '.')
    return xstrdup("");
  if (n == 1 && given[0] == '/')
    return xstrdup("/");
  return xasprintf("%.*s/", (int)n, given);
}

/* Resolves root given into r; returns 0 or a negative errno. */
static int watcher_root_init(struct watcher_root* r,
                             const char* given,
                             char* err,
                             size_t errlen) {
  char* real = realpath(given, NULL);
  struct stat st;
  if (real == NULL || stat(real, &st) != 0) {
    int e = errno;
    snprintf(err, errlen, "cannot watch '%s': %s", given, strerror(e));
    free(real);
    return -e;
  }
  r->given = xstrdup(given);
  r->prefix = watcher_root_prefix(given);
  if (S_ISDIR(st.st_mode)) {
    r->real = real;
    return 0;
  }
  char* slash = strrchr(real, '/');
  r->file = xstrdup(slash + 1);
  r->real =
      slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
  free(real);
  return 0;
}

int watcher_start(uv_loop_t* loop,
                  const struct watcher_options* opts,
                  watcher_cb cb,
                  void* ctx,
                  struct watcher** out,
                  char* err,
                  size_t errlen) {
  *out = NULL;
  struct watcher* w = xcalloc(1, sizeof(*w));
  w->loop = loop;
  w->cb = cb;
  w->ctx = ctx;
  w->delay_ms = opts->delay_ms;
  w->log_name = opts->log_name ? xstrdup(opts->log_name) : NULL;
  w->exts = watcher_copy_strings(opts->exts, opts->nexts);
  w->nexts = opts->nexts;
  w->ignores = watcher_copy_strings(opts->ignores, opts->nignores);
  w->nignores = opts->nignores;
  w->roots = xcalloc(opts->nroots, sizeof(*w->roots));
  for (size_t i = 0; i < opts->nroots; i++) {
    int rc = watcher_root_init(&w->roots[i], opts->roots[i], err, errlen);
    if (rc < 0) {
      watcher_free(w);
      return rc;
    }
    w->nroots++;
  }
  w->skip = xcalloc(opts->nskip, sizeof(*w->skip));
  for (size_t i = 0; i < opts->nskip; i++) {
    if (opts->skip_files[i] != NULL && *opts->skip_files[i] != '\0')
      w->skip[w->nskip++] = watcher_skip_path(opts->skip_files[i]);
  }

  uv_timer_init(loop, &w->timer);
  w->timer.data = w;
  w->pending_closes = 1;
  for (size_t i = 0; i < w->nroots; i++) {
    struct watcher_root* r = &w->roots[i];
    if (r->file != NULL) {
      struct watcher_dir* d =
          watcher_dir_new(w, r, xstrdup(r->real), hash_path(r->real, NULL));
      struct stat st;
      char* path = path_join(r->real, r->file);
      if (d != NULL && lstat(path, &st) == 0)
        htab_put(&w->files, hash_path(r->real, r->file), stat_fingerprint(&st));
      free(path);
      continue;
    }
    watcher_rebuild_filter(w, r);
    watcher_add_dir(w, r, "", false);
  }
  WATCHER_LOG(w, LL_VERBOSE, "watching %zu directories, %zu files", w->ndirs,
              w->files.n);
  *out = w;
  return 0;
}

static char* watcher_join(const struct strvec* sv, const char* prefix,
                          const char* sep) {
  size_t total = 1;
  for (size_t i = 0; i < sv->n; i++)
    total += strlen(prefix) + strlen(sv->v[i]) + strlen(sep);
  char* out = xmalloc(total);
  out[0] = '\0';
  for (size_t i = 0; i < sv->n; i++) {
    if (i > 0)
      strcat(out, sep);
    if (strcmp(sv->v[i], "*") != 0)
      strcat(out, prefix);
    strcat(out, sv->v[i]);
  }
  return out;
}

int watcher_start_server(uv_loop_t* loop,
                         const struct server_config* sc,
                         const char* skip_file,
                         const char* log_name,
                         watcher_cb cb,
                         void* ctx,
                         struct watcher** out) {
  const char* skip[1] = {skip_file};
  struct watcher_options wo = {
      .roots = (const char* const*)sc->watch.v,
      .nroots = sc->watch.n,
      .exts = (const char* const*)sc->exts.v,
      .nexts = sc->exts.n,
      .ignores = (const char* const*)sc->ignore.v,
      .nignores = sc->ignore.n,
      .skip_files = skip,
      .nskip = skip_file != NULL ? 1 : 0,
      .delay_ms = sc->delay_ms,
      .log_name = log_name,
  };
  char err[512];
  int rc = watcher_start(loop, &wo, cb, ctx, out, err, sizeof(err));
  if (rc != 0) {
    log_msg(LL_ERROR, log_name, 0, "Cannot watch: %s", err);
    return rc;
  }
  if (log_enabled(LL_INFO)) {
    char* roots = watcher_join(&sc->watch, "", ", ");
    char* exts = watcher_join(&sc->exts, ".", ",");
    log_msg(LL_INFO, log_name, 0, "Watching %s for %s changes (%zu %s)",
            roots, exts, watcher_dir_count(*out),
            watcher_dir_count(*out) == 1 ? "directory" : "directories");
    free(roots);
    free(exts);
  }
  return 0;
}
