/* watcher.c - see watcher.h.
 *
 * Each watched directory is a struct watcher_dir holding a uv_fs_event_t
 * and its real path; a directory is watched before it is scanned, so a file
 * created meanwhile is seen by the scan, the event or both (the second one
 * then finds it unchanged). Files are known only by a 64-bit key of their
 * real path, mapped to a (size, mtime) fingerprint (fingerprint.h): no
 * per-file strings, except those of the burst being collected. Which
 * files count is up to their root (watch_root.h).
 *
 * Several roots may share a directory: the first root to reach it watches
 * it. A root that is a single file watches its parent directory through a
 * watcher_dir of its own (not in the directory map) and looks only at that
 * name, with no extension or ignore filter.
 *
 * Everything runs on the loop thread; the scans are synchronous, as
 * libuv's own inotify calls are.
 */
#include "core/watch/watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/watch/burst.h"
#include "core/watch/evqueue.h"
#include "core/watch/fingerprint.h"
#include "core/watch/path.h"
#include "core/watch/ratelimit.h"
#include "core/watch/watch_root.h"
#include "core/watch/watcher_int.h"
#include "lib/u64map.h"
#include "lib/util.h"

static void watcher_add_dir(struct watcher* w,
                            struct watch_root* r,
                            const char* rel,
                            bool report);

/* ---- closing ------------------------------------------------------ */

static void watcher_free(struct watcher* w) {
  for (size_t i = 0; i < w->nroots; i++) watch_root_free(&w->roots[i]);
  free(w->roots);
  for (size_t i = 0; i < w->nskip; i++) free(w->skip[i]);
  free(w->skip);
  burst_free(&w->burst);
  evqueue_free(&w->queue);
  u64map_free(&w->dirmap);
  fingerprint_free(&w->files);
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
  uv_close((uv_handle_t*)&w->idle, watcher_on_timer_close);
  uv_close((uv_handle_t*)&w->drop_timer, watcher_on_timer_close);
  for (size_t i = 0; i < w->ndirs; i++)
    uv_close((uv_handle_t*)&w->dirs[i]->ev, watcher_on_dir_close);
  w->ndirs = 0;
  u64map_free(&w->dirmap);
}

size_t watcher_dir_count(const struct watcher* w) {
  return w->ndirs - w->nawaiting;
}

/* ---- directories -------------------------------------------------- */

static void watcher_dir_register(struct watcher* w, struct watcher_dir* d) {
  if (w->ndirs == w->capdirs) {
    w->capdirs = w->capdirs ? w->capdirs * 2 : 16;
    w->dirs = xrealloc(w->dirs, w->capdirs * sizeof(*w->dirs));
  }
  d->index = w->ndirs;
  w->dirs[w->ndirs++] = d;
  if (d->awaits)
    w->nawaiting++;
  else if (d->root->file == NULL)
    u64map_put(&w->dirmap, d->key, (uint64_t)(uintptr_t)d);
}

static void watcher_dir_close(struct watcher* w, struct watcher_dir* d) {
  if (d->index != SIZE_MAX) {
    struct watcher_dir* last = w->dirs[--w->ndirs];
    w->dirs[d->index] = last;
    last->index = d->index;
    d->index = SIZE_MAX;
    if (d->awaits)
      w->nawaiting--;
    else if (d->root->file == NULL)
      u64map_del(&w->dirmap, d->key);
  }
  evqueue_forget(&w->queue, d);
  uv_close((uv_handle_t*)&d->ev, watcher_on_dir_close);
}

static struct watcher_dir* watcher_dir_find(struct watcher* w, uint64_t key) {
  struct u64map_ent* e = u64map_find(&w->dirmap, key);
  return e ? (struct watcher_dir*)(uintptr_t)e->val : NULL;
}

/* Stops watching directory d and every watched directory below it. When
 * files were still known inside (the tree was moved away rather than
 * deleted file by file), the directory itself is reported removed. */
static void watcher_remove_tree(struct watcher* w, struct watcher_dir* d) {
  size_t len = strlen(d->abs);
  size_t nfiles = 0;
  char* display = watch_root_display(d->root, d->rel);
  uint64_t key = d->key;
  for (size_t i = w->ndirs; i-- > 0;) {
    struct watcher_dir* s = w->dirs[i];
    if (s->root->file != NULL || s->awaits ||
        strncmp(s->abs, d->abs, len) != 0 ||
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
 * returns NULL (logged) when inotify refuses it. awaits: abs is the
 * parent of directory root r, which is gone. */
static struct watcher_dir* watcher_dir_new(struct watcher* w,
                                           struct watch_root* r,
                                           char* abs,
                                           uint64_t key,
                                           bool awaits) {
  struct watcher_dir* d = xcalloc(1, sizeof(*d));
  d->w = w;
  d->root = r;
  d->abs = abs;
  d->awaits = awaits;
  size_t rlen = strlen(r->real);
  if (r->file != NULL || awaits || strcmp(abs, r->real) == 0)
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

/* (Re)loads the .gitignore of directory rel of r (real path abs). */
static void watcher_load_gitignore(struct watcher* w,
                                   struct watch_root* r,
                                   const char* rel,
                                   const char* abs) {
  if (watch_root_load_gitignore(r, rel, abs))
    WATCHER_LOG(w, LL_VERBOSE, "reloading the ignore rules of %s",
                *rel ? rel : "the root");
}

/* ---- files -------------------------------------------------------- */

/* Whether name in d (st its lstat, NULL when gone) is a file mcpmon's
 * own log lines go to: never watched nor reported, not even at debug
 * level, since every report would be the next event. */
static bool watcher_is_own(const struct watcher* w,
                           const struct watcher_dir* d,
                           const char* name,
                           const struct stat* st) {
  if (st != NULL && S_ISREG(st->st_mode)) {
    for (size_t i = 0; i < w->nown; i++) {
      if (w->own[i].dev == st->st_dev && w->own[i].ino == st->st_ino)
        return true;
    }
  }
  for (size_t i = 0; i < w->nskip; i++) {
    if (path_is_join(w->skip[i], d->abs, name))
      return true;
  }
  return false;
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
  if (watcher_is_own(w, d, name, st))
    return;
  const char* reason = watch_root_skips(d->root, name, rel);
  if (reason != NULL) {
    watcher_drop(w, d, name, rel, reason);
    return;
  }
  uint64_t key = fingerprint_key(d->abs, name);
  /* A file replaced by something else (a directory in a single file's
   * place) is gone as a file. */
  bool file = st != NULL && watcher_is_file(st->st_mode);
  if (!file) {
    if (!fingerprint_forget(&w->files, key)) {
      watcher_drop(w, d, name, rel,
                   st == NULL ? "removed, never seen" : "not a regular file");
      return;
    }
    if (d->nfiles > 0)
      d->nfiles--;
    watcher_accept(w, key, watch_root_display(d->root, rel), WATCH_REMOVED);
    return;
  }
  enum fingerprint_change change = fingerprint_update(&w->files, key, st);
  if (change == FINGERPRINT_UNCHANGED) {
    watcher_drop(w, d, name, rel, "size and mtime unchanged");
    return;
  }
  if (change == FINGERPRINT_ADDED)
    d->nfiles++;
  watcher_accept_stat(
      w, key, watch_root_display(d->root, rel),
      change == FINGERPRINT_ADDED ? WATCH_ADDED : WATCH_MODIFIED, st);
}

/* ---- scanning ----------------------------------------------------- */

/* Watches directory rel of root r, then scans it: its .gitignore first,
 * then its files (recorded; also reported as added when report), then
 * its subdirectories that are not ignored, recursively. */
static void watcher_add_dir(struct watcher* w,
                            struct watch_root* r,
                            const char* rel,
                            bool report) {
  char* abs = path_join(r->real, rel);
  uint64_t key = fingerprint_key(abs, NULL);
  if (watcher_dir_find(w, key) != NULL) {
    free(abs);
    return;
  }
  struct watcher_dir* d = watcher_dir_new(w, r, abs, key, false);
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
      if (watch_root_ignores_dir(r, crel)) {
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
    if ((have_stat ||
         fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0) &&
        watcher_is_file(st.st_mode) && !watcher_is_own(w, d, name, &st) &&
        watch_root_skips(r, name, crel) == NULL) {
      uint64_t fkey = fingerprint_key(d->abs, name);
      if (fingerprint_update(&w->files, fkey, &st) == FINGERPRINT_ADDED)
        d->nfiles++;
      if (report)
        watcher_accept(w, fkey, watch_root_display(r, crel), WATCH_ADDED);
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

static void watcher_await_root(struct watcher* w, struct watch_root* r);

/* Root r, missing until now, exists: watch it (its files reported as
 * added), or say why it cannot be. */
static void watcher_root_appeared(struct watcher* w, struct watch_root* r) {
  char err[512];
  if (watch_root_resolve(r, err, sizeof(err)) < 0) {
    WATCHER_LOG(w, LL_WARN, "%s", err);
    return;
  }
  if (r->file == NULL) {
    WATCHER_LOG(w, LL_WARN, "watch folder '%s' exists now; watching it",
                r->given);
    watcher_add_dir(w, r, "", true);
    return;
  }
  WATCHER_LOG(w, LL_WARN, "watched file '%s' exists now; watching it",
              r->given);
  struct watcher_dir* d = watcher_dir_new(
      w, r, xstrdup(r->real), fingerprint_key(r->real, NULL), false);
  struct stat st;
  char* path = path_join(r->real, r->file);
  if (d != NULL && lstat(path, &st) == 0 && watcher_is_file(st.st_mode)) {
    uint64_t key = fingerprint_key(r->real, r->file);
    fingerprint_update(&w->files, key, &st);
    d->nfiles++;
    watcher_accept(w, key, xstrdup(r->given), WATCH_ADDED);
  }
  free(path);
}

/* An event for name in d, a directory on the way to root r, which is
 * missing or gone (d->awaits); st is its lstat, NULL when it is gone.
 * When the next part of the root's path appears, or d itself goes, the
 * wait moves to the nearest directory that exists then; when the root
 * is there, it is watched. One watch per root that is waited for. */
static void watcher_await_event(struct watcher* w,
                                struct watcher_dir* d,
                                const char* name,
                                const struct stat* st) {
  struct watch_root* r = d->root;
  struct stat self;
  bool gone = watcher_is_self(d, name) &&
              (lstat(d->abs, &self) != 0 || !S_ISDIR(self.st_mode));
  if (!gone) {
    size_t len = strlen(d->abs);
    const char* next = r->real + len;
    if (strncmp(r->real, d->abs, len) != 0 || (*next != '/' && len > 1))
      return;
    while (*next == '/') next++;
    size_t nlen = strcspn(next, "/");
    if (st == NULL || strlen(name) != nlen || memcmp(name, next, nlen) != 0)
      return;
    if (next[nlen] != '\0' && !S_ISDIR(st->st_mode))
      return; /* not yet a way down */
  }
  watcher_dir_close(w, d);
  watcher_await_root(w, r);
}

/* Root r (missing, or a directory root that is gone) is waited for:
 * when it is there, watch it; else watch the nearest directory on the
 * way to it (a checkout or a build that makes it). */
static void watcher_await_root(struct watcher* w, struct watch_root* r) {
  for (int tries = 0; tries < 64; tries++) {
    char* dir = watch_root_locate(r);
    if (dir == NULL) {
      WATCHER_LOG(w, LL_WARN,
                  "cannot wait for '%s': no folder on its way "
                  "exists",
                  r->given);
      return;
    }
    struct stat st;
    if (stat(r->real, &st) == 0 && (r->missing || S_ISDIR(st.st_mode))) {
      free(dir);
      if (r->missing) {
        watcher_root_appeared(w, r);
      } else {
        WATCHER_LOG(w, LL_WARN, "watched directory %s is back", r->given);
        watcher_add_dir(w, r, "", true);
      }
      return;
    }
    struct watcher_dir* d =
        watcher_dir_new(w, r, dir, fingerprint_key(dir, NULL), true);
    if (d == NULL)
      return;
    WATCHER_LOG(w, LL_DEBUG, "waiting in %s for %s", d->abs, r->real);
    /* A part made before the watch began sent no event: look again. */
    char* again = watch_root_locate(r);
    bool same = again != NULL && strcmp(again, d->abs) == 0;
    free(again);
    if (same && stat(r->real, &st) != 0)
      return;
    watcher_dir_close(w, d);
  }
}

/* An event in directory d of a directory root for name (abs, rel below
 * the root); st is its lstat, NULL when it is gone. */
static void watcher_dir_event(struct watcher* w,
                              struct watcher_dir* d,
                              const char* name,
                              const char* abs,
                              const char* rel,
                              const struct stat* st) {
  struct watch_root* r = d->root;
  struct stat self;
  if (st == NULL && watcher_is_self(d, name) &&
      (lstat(d->abs, &self) != 0 || !S_ISDIR(self.st_mode))) {
    /* The directory itself is gone. Usually its parent's watch reports
     * that too; the first one to see it wins. */
    bool root = *d->rel == '\0';
    if (root)
      WATCHER_LOG(w, LL_WARN,
                  "watched directory %s is gone; watching for it to come "
                  "back",
                  r->given);
    watcher_remove_tree(w, d);
    if (root)
      watcher_await_root(w, r);
    return;
  }
  bool is_dir = st != NULL && S_ISDIR(st->st_mode);
  struct watcher_dir* sub = watcher_dir_find(w, fingerprint_key(abs, NULL));
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
    uint64_t fkey = fingerprint_key(d->abs, name);
    if (fingerprint_forget(&w->files, fkey)) {
      if (d->nfiles > 0)
        d->nfiles--;
      watcher_accept(w, fkey, watch_root_display(r, rel), WATCH_REMOVED);
    }
    if (watch_root_ignores_dir(r, rel)) {
      watcher_drop(w, d, name, rel, "ignored directory");
    } else {
      WATCHER_LOG(w, LL_DEBUG, "new directory %s", abs);
      watcher_add_dir(w, r, rel, true);
    }
  }
}

/* Handles one queued event: for filename in d. */
static void watcher_handle_event(struct watcher* w,
                                 struct watcher_dir* d,
                                 const char* filename) {
  char* abs = path_join(d->abs, filename);
  struct stat st;
  bool exists = lstat(abs, &st) == 0;
  if (d->awaits) {
    watcher_await_event(w, d, filename, exists ? &st : NULL);
  } else if (d->root->file != NULL) {
    watcher_file_event(w, d, filename, NULL, exists ? &st : NULL);
  } else {
    char* rel = path_join(d->rel, filename);
    watcher_dir_event(w, d, filename, abs, rel, exists ? &st : NULL);
    free(rel);
  }
  free(abs);
}

/* Handles up to WATCHER_EVENTS_PER_TURN queued events, once per loop
 * turn, until the queue is empty. */
static void watcher_on_idle(uv_idle_t* h) {
  struct watcher* w = h->data;
  for (int i = 0; i < WATCHER_EVENTS_PER_TURN && !w->closing; i++) {
    struct evqueue_ent* e = evqueue_pop(&w->queue);
    if (e == NULL)
      break;
    watcher_handle_event(w, e->dir, e->name);
    free(e);
  }
  if (w->queue.n == 0 || w->closing)
    uv_idle_stop(&w->idle);
}

/* libuv's callback, called for every event it read from inotify, until
 * inotify is empty, all in one loop turn: only queue the event here, so
 * that what handling it writes (a log line into a watched file) cannot
 * keep that turn going for ever. */
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
  if (evqueue_push(&w->queue, d, filename) < 0 && !w->warned_queue) {
    w->warned_queue = true;
    WATCHER_LOG(w, LL_WARN,
                "more than %d file events are waiting; later ones are "
                "dropped until they are handled (a change may be missed: "
                "touch the file again)",
                WATCHER_QUEUE_MAX);
  }
  if (!uv_is_active((uv_handle_t*)&w->idle))
    uv_idle_start(&w->idle, watcher_on_idle);
}

/* ---- start -------------------------------------------------------- */

int watcher_start(uv_loop_t* loop,
                  const struct watcher_options* opts,
                  watcher_cb cb,
                  void* ctx,
                  struct watcher** out,
                  char* err,
                  size_t errlen) {
  *out = NULL;
  struct watcher* w = xcalloc(1, sizeof(*w));
  evqueue_init(&w->queue, WATCHER_QUEUE_MAX);
  w->drops.per_s = WATCHER_DROP_REPORTS_PER_S;
  w->loop = loop;
  w->cb = cb;
  w->ctx = ctx;
  w->delay_ms = opts->delay_ms;
  w->log_name = opts->log_name ? xstrdup(opts->log_name) : NULL;
  w->roots = xcalloc(opts->nroots, sizeof(*w->roots));
  for (size_t i = 0; i < opts->nroots; i++) {
    int rc =
        watch_root_init(&w->roots[i], opts->roots[i], opts->exts, opts->nexts,
                        opts->ignores, opts->nignores, err, errlen);
    if (rc == -ENOENT) {
      /* Issue 15: watched as soon as it appears, not an error. */
      watch_root_free(&w->roots[i]);
      watch_root_init_missing(&w->roots[i], opts->roots[i], opts->exts,
                              opts->nexts, opts->ignores, opts->nignores);
      rc = 0;
    }
    if (rc < 0) {
      watcher_free(w);
      return rc;
    }
    w->nroots++;
  }
  w->skip = xcalloc(opts->nskip, sizeof(*w->skip));
  for (size_t i = 0; i < opts->nskip; i++) {
    if (opts->skip_files[i] != NULL && *opts->skip_files[i] != '\0')
      w->skip[w->nskip++] = path_real_parent(opts->skip_files[i]);
  }

  w->nown = log_written_files(w->own, WATCHER_OWN_MAX);
  uv_timer_init(loop, &w->timer);
  w->timer.data = w;
  uv_idle_init(loop, &w->idle);
  w->idle.data = w;
  uv_timer_init(loop, &w->drop_timer);
  w->drop_timer.data = w;
  w->pending_closes = 3;
  for (size_t i = 0; i < w->nroots; i++) {
    struct watch_root* r = &w->roots[i];
    if (r->missing) {
      WATCHER_LOG(w, LL_WARN,
                  "watch %s '%s' does not exist yet; watching for it",
                  path_looks_like_file(r->given) ? "path" : "folder", r->given);
      watcher_await_root(w, r);
      continue;
    }
    if (r->file != NULL) {
      struct watcher_dir* d = watcher_dir_new(
          w, r, xstrdup(r->real), fingerprint_key(r->real, NULL), false);
      struct stat st;
      char* path = path_join(r->real, r->file);
      if (d != NULL && lstat(path, &st) == 0)
        fingerprint_update(&w->files, fingerprint_key(r->real, r->file), &st);
      free(path);
      continue;
    }
    watcher_add_dir(w, r, "", false);
  }
  size_t nfiles = fingerprint_count(&w->files);
  WATCHER_LOG(w, LL_VERBOSE, "watching %zu %s, %zu %s", w->ndirs,
              w->ndirs == 1 ? "directory" : "directories", nfiles,
              nfiles == 1 ? "file" : "files");
  *out = w;
  return 0;
}
