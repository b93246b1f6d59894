/* test_watcher.c - the watcher on a real loop and real temporary trees.
 *
 * Every wait runs the loop until the awaited thing happens or a 5 s
 * timeout timer fires; nothing asserts on timing. "Not reported" is shown
 * by changing the ignored file first, then a watched one, and checking
 * that the callback names only the watched one: inotify queues events in
 * syscall order and they are read together, so both land in one burst.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "core/log.h"
#include "core/watch/watcher.h"

#define WAIT_MS 5000
#define DELAY_MS 30
#define MAX_CHANGES 256

static uv_loop_t loop;
static uv_timer_t timeout_timer;
static bool timed_out;

/* What the last callback reported, and how many callbacks there were. */
static int ncb;
static size_t nlast;
static char* last_path[MAX_CHANGES];
static enum watcher_change_kind last_kind[MAX_CHANGES];
static enum watcher_report last_what;

static void forget_last(void) {
  for (size_t i = 0; i < nlast; i++) free(last_path[i]);
  nlast = 0;
}

static void on_change(void* ctx,
                      enum watcher_report what,
                      const struct watcher_change* changes,
                      size_t n) {
  (void)ctx;
  forget_last();
  last_what = what;
  for (size_t i = 0; i < n && i < MAX_CHANGES; i++) {
    last_path[i] = strdup(changes[i].path);
    last_kind[i] = changes[i].kind;
  }
  nlast = n < MAX_CHANGES ? n : MAX_CHANGES;
  ncb++;
}

static void on_timeout(uv_timer_t* t) {
  (void)t;
  timed_out = true;
}

/* Runs the loop until cond(arg) holds or WAIT_MS pass; returns cond. */
static bool wait_for(bool (*cond)(const void*), const void* arg) {
  timed_out = false;
  uv_timer_start(&timeout_timer, on_timeout, WAIT_MS, 0);
  while (!cond(arg) && !timed_out) uv_run(&loop, UV_RUN_ONCE);
  uv_timer_stop(&timeout_timer);
  return cond(arg);
}

static bool cond_ncb(const void* arg) {
  return ncb >= *(const int*)arg;
}

/* Waits for callback number n (counting from the start of the test). */
static bool wait_cb(int n) {
  return wait_for(cond_ncb, &n);
}

struct dir_count {
  const struct watcher* w;
  size_t n;
};

static bool cond_dirs(const void* arg) {
  const struct dir_count* dc = arg;
  return watcher_dir_count(dc->w) == dc->n;
}

static bool wait_dirs(const struct watcher* w, size_t n) {
  struct dir_count dc = {w, n};
  return wait_for(cond_dirs, &dc);
}

/* ---- files ---- */

static char tmp[64];

static void make_tmp(void) {
  snprintf(tmp, sizeof(tmp), "/tmp/mcpmon-watch-XXXXXX");
  if (mkdtemp(tmp) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
}

static int rm_one(const char* path,
                  const struct stat* st,
                  int flag,
                  struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void rm_tree(const char* path) {
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmp + "/" + rel, in a rotating static buffer. */
static const char* at(const char* rel) {
  static char bufs[8][512];
  static int next;
  char* b = bufs[next++ % 8];
  snprintf(b, sizeof(bufs[0]), "%s/%s", tmp, rel);
  return b;
}

static void put(const char* rel, const char* text) {
  int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(at(rel));
    exit(1);
  }
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len)
    perror("write");
  close(fd);
}

static void mkd(const char* rel) {
  if (mkdir(at(rel), 0755) != 0 && errno != EEXIST)
    perror(at(rel));
}

/* ---- fixture ---- */

static struct watcher* start(const char* root,
                             const char* const* exts,
                             size_t nexts) {
  const char* roots[] = {root};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 1,
      .exts = exts,
      .nexts = nexts,
      .delay_ms = DELAY_MS,
  };
  struct watcher* w = NULL;
  char err[256] = "";
  int rc = watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err));
  CHECK_INT(rc, 0);
  if (rc != 0) {
    fprintf(stderr, "watcher_start: %s\n", err);
    exit(1);
  }
  return w;
}

static const char* const py[] = {"py"};

/* Closes w, lets every close callback run and removes the tree. */
static void finish(struct watcher* w) {
  watcher_close(w);
  uv_run(&loop, UV_RUN_DEFAULT);
  forget_last();
  ncb = 0;
  rm_tree(tmp);
}

/* ---- tests ---- */

static void test_modify_one(void) {
  make_tmp();
  put("a.py", "one\n");
  put("b.py", "two\n");
  struct watcher* w = start(tmp, py, 1);
  CHECK_INT(watcher_dir_count(w), 1);
  put("a.py", "changed\n");
  CHECK(wait_cb(1));
  CHECK_INT(ncb, 1);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("a.py"));
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  finish(w);
}

static void test_burst(void) {
  make_tmp();
  char name[32];
  for (int i = 0; i < 50; i++) {
    snprintf(name, sizeof(name), "f%02d.py", i);
    put(name, "x\n");
  }
  struct watcher* w = start(tmp, py, 1);
  /* Backwards, so first-seen order differs from any name order. */
  for (int i = 49; i >= 0; i--) {
    snprintf(name, sizeof(name), "f%02d.py", i);
    put(name, "changed\n");
  }
  CHECK(wait_cb(1));
  CHECK_INT(ncb, 1);
  CHECK_INT(nlast, 50);
  for (int i = 0; i < 50 && (size_t)i < nlast; i++) {
    snprintf(name, sizeof(name), "f%02d.py", 49 - i);
    CHECK_STR(last_path[i], at(name));
    CHECK_INT(last_kind[i], WATCH_MODIFIED);
  }
  put("sentinel.py", "s\n");
  CHECK(wait_cb(2));
  CHECK_INT(ncb, 2);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sentinel.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  finish(w);
}

static void test_new_directories(void) {
  make_tmp();
  mkd("old");
  struct watcher* w = start(tmp, py, 1);
  CHECK_INT(watcher_dir_count(w), 2);
  /* Created before its watch exists: found by the scan of the new tree. */
  mkd("sub");
  mkd("sub/deeper");
  put("sub/deeper/n.py", "n\n");
  put("sub/deeper/n.txt", "n\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sub/deeper/n.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  CHECK_INT(watcher_dir_count(w), 4);
  /* Created after its watch exists: reported by the new watch. */
  mkd("sub2");
  CHECK(wait_dirs(w, 5));
  put("sub2/m.py", "m\n");
  CHECK(wait_cb(2));
  CHECK_INT(ncb, 2);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sub2/m.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  /* An edit after that is a modification, seen once. */
  put("sub2/m.py", "mm\n");
  CHECK(wait_cb(3));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sub2/m.py"));
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  finish(w);
}

static void test_filtered(void) {
  make_tmp();
  mkd("node_modules");
  mkd("node_modules/pkg");
  put("node_modules/pkg/x.py", "x\n");
  mkd(".git");
  mkd("ignored_dir");
  mkd("src");
  put(".gitignore", "*.gen.py\nignored_dir/\n");
  put("src/.gitignore", "local.py\n");
  struct watcher* w = start(tmp, py, 1);
  /* Root and src: never a watch in node_modules, .git or ignored_dir. */
  CHECK_INT(watcher_dir_count(w), 2);
  put("notes.txt", "t\n");
  put("node_modules/pkg/x.py", "changed\n");
  put("node_modules/new.py", "n\n");
  put("x.gen.py", "g\n");
  put("src/y.gen.py", "g\n");
  put("src/local.py", "l\n");
  put("ignored_dir/y.py", "y\n");
  put("a.py.swp", "s\n");
  put(".#a.py", "s\n");
  put("4913", "");
  mkd("build");
  put("build/z.py", "z\n");
  mkd("src/__pycache__");
  put("src/__pycache__/m.py", "c\n");
  put("ok.py", "ok\n");
  CHECK(wait_cb(1));
  CHECK_INT(ncb, 1);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("ok.py"));
  CHECK_INT(watcher_dir_count(w), 2);
  finish(w);
}

static void test_gitignore_reload(void) {
  make_tmp();
  struct watcher* w = start(tmp, py, 1);
  put(".gitignore", "later.py\n");
  put("later.py", "l\n");
  put("now.py", "n\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("now.py"));
  unlink(at(".gitignore"));
  put("later.py", "changed\n");
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("later.py"));
  finish(w);
}

static void test_unchanged_dropped(void) {
  make_tmp();
  put("a.py", "same\n");
  struct stat before;
  CHECK(stat(at("a.py"), &before) == 0);
  struct watcher* w = start(tmp, py, 1);
  /* chmod: an attribute event, same size and mtime. */
  CHECK(chmod(at("a.py"), 0600) == 0);
  /* The same bytes written again, the mtime set back. */
  put("a.py", "same\n");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  CHECK(utimensat(AT_FDCWD, at("a.py"), times, 0) == 0);
  put("b.py", "b\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("b.py"));
  /* A real change of the same file is still seen. */
  put("a.py", "different\n");
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("a.py"));
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  finish(w);
}

static void test_removed(void) {
  char outside[64];
  snprintf(outside, sizeof(outside), "/tmp/mcpmon-out-XXXXXX");
  CHECK(mkdtemp(outside) != NULL);
  make_tmp();
  put("a.py", "a\n");
  mkd("sub");
  put("sub/s.py", "s\n");
  mkd("moved");
  put("moved/m.py", "m\n");
  struct watcher* w = start(tmp, py, 1);
  CHECK_INT(watcher_dir_count(w), 3);
  CHECK(unlink(at("a.py")) == 0);
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("a.py"));
  CHECK_INT(last_kind[0], WATCH_REMOVED);
  /* A directory deleted file by file: the files are reported. */
  CHECK(unlink(at("sub/s.py")) == 0);
  CHECK(rmdir(at("sub")) == 0);
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sub/s.py"));
  CHECK_INT(last_kind[0], WATCH_REMOVED);
  CHECK(wait_dirs(w, 2));
  /* A directory moved away whole: the directory is reported. */
  char dest[128];
  snprintf(dest, sizeof(dest), "%s/moved", outside);
  CHECK(rename(at("moved"), dest) == 0);
  CHECK(wait_cb(3));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("moved"));
  CHECK_INT(last_kind[0], WATCH_REMOVED);
  CHECK_INT(watcher_dir_count(w), 1);
  /* Moved back in: a new directory, its files added. */
  CHECK(rename(dest, at("moved")) == 0);
  CHECK(wait_cb(4));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("moved/m.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  CHECK_INT(watcher_dir_count(w), 2);
  finish(w);
  rm_tree(outside);
}

static void test_skip_files(void) {
  make_tmp();
  mkd("logs");
  char skip[256];
  /* Another spelling of tmp/logs/mcpmon.log, which does not exist yet. */
  snprintf(skip, sizeof(skip), "%s/logs/../logs/./mcpmon.log", tmp);
  const char* skips[] = {skip};
  const char* roots[] = {tmp};
  const char* const all[] = {"*"};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 1,
      .exts = all,
      .nexts = 1,
      .skip_files = skips,
      .nskip = 1,
      .delay_ms = DELAY_MS,
  };
  struct watcher* w = NULL;
  char err[256] = "";
  CHECK_INT(watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err)), 0);
  put("logs/mcpmon.log", "line\n");
  put("logs/other.log", "line\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("logs/other.log"));
  finish(w);
}

static void test_file_root(void) {
  make_tmp();
  put("tool.cfg", "a\n");
  put("other.py", "b\n");
  char root[128];
  snprintf(root, sizeof(root), "%s/tool.cfg", tmp);
  /* An explicitly named file is watched whatever its extension. */
  struct watcher* w = start(root, py, 1);
  CHECK_INT(watcher_dir_count(w), 1);
  put("other.py", "changed\n");
  put("new.py", "new\n");
  put("tool.cfg", "changed\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], root);
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  /* Replaced by rename, as editors save. */
  put("tool.cfg.new", "renamed in\n");
  CHECK(rename(at("tool.cfg.new"), root) == 0);
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], root);
  finish(w);
}

static void test_reported_paths(void) {
  char cwd[512];
  CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
  make_tmp();
  mkd("pkg");
  put("pkg/a.py", "a\n");
  CHECK(chdir(tmp) == 0);
  const char* spellings[] = {".", "./", "pkg/", "pkg"};
  const char* expect[] = {"pkg/a.py", "pkg/a.py", "pkg/a.py", "pkg/a.py"};
  for (size_t i = 0; i < 4; i++) {
    struct watcher* w = start(spellings[i], py, 1);
    char text[32];
    snprintf(text, sizeof(text), "v%zu\n", i);
    put("pkg/a.py", text);
    CHECK(wait_cb(1));
    CHECK_INT(nlast, 1);
    CHECK_STR(last_path[0], expect[i]);
    watcher_close(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    forget_last();
    ncb = 0;
  }
  CHECK(chdir(cwd) == 0);
  char slash[128];
  snprintf(slash, sizeof(slash), "%s/", tmp);
  struct watcher* w = start(slash, py, 1);
  put("pkg/a.py", "last\n");
  CHECK(wait_cb(1));
  CHECK_STR(last_path[0], at("pkg/a.py"));
  finish(w);
}

/* A directory root, a file root elsewhere and a root overlapping the
 * first: each directory watched once, each change reported once. */
static void test_several_roots(void) {
  make_tmp();
  mkd("a");
  mkd("b");
  put("b/conf.yaml", "c\n");
  char ra[128];
  char rb[128];
  snprintf(ra, sizeof(ra), "%s/a", tmp);
  snprintf(rb, sizeof(rb), "%s/b/conf.yaml", tmp);
  const char* roots[] = {ra, rb, tmp};
  const char* const all[] = {"*"};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 3,
      .exts = all,
      .nexts = 1,
      .delay_ms = DELAY_MS,
  };
  struct watcher* w = NULL;
  char err[256] = "";
  CHECK_INT(watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err)), 0);
  /* a, tmp, tmp/b, and b again for the file root. */
  CHECK_INT(watcher_dir_count(w), 4);
  put("a/x.py", "x\n");
  put("b/conf.yaml", "changed\n");
  put("b/other.txt", "o\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 3);
  CHECK_STR(last_path[0], at("a/x.py"));
  CHECK_STR(last_path[1], at("b/conf.yaml"));
  CHECK_STR(last_path[2], at("b/other.txt"));
  /* A file replaced by a directory of the same name. */
  CHECK(unlink(at("b/other.txt")) == 0);
  mkd("b/other.txt");
  put("b/other.txt/inner.py", "i\n");
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 2);
  CHECK_STR(last_path[0], at("b/other.txt"));
  CHECK_INT(last_kind[0], WATCH_REMOVED);
  CHECK_STR(last_path[1], at("b/other.txt/inner.py"));
  CHECK_INT(last_kind[1], WATCH_ADDED);
  finish(w);
}

/* The root itself deleted: its files reported, its watches dropped.
 * Made again: watched again, its files reported as added. */
static void test_root_removed(void) {
  make_tmp();
  mkd("sub");
  put("sub/s.py", "s\n");
  struct watcher* w = start(tmp, py, 1);
  CHECK_INT(watcher_dir_count(w), 2);
  enum log_verbosity saved = log_get_verbosity();
  log_init(LOG_QUIET, false); /* "watched directory ... is gone" */
  rm_tree(tmp);
  CHECK(wait_dirs(w, 0));
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("sub/s.py"));
  CHECK_INT(last_kind[0], WATCH_REMOVED);
  CHECK(mkdir(tmp, 0700) == 0);
  CHECK(wait_dirs(w, 1));
  put("back.py", "b\n");
  CHECK(wait_cb(2));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("back.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  put("back.py", "changed\n");
  CHECK(wait_cb(3));
  CHECK_STR(last_path[0], at("back.py"));
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  log_init(saved, false);
  finish(w);
}

/* Issue 15: a root that does not exist at start is waited for, through
 * each missing folder on its way, and watched once it is made; one
 * that cannot be watched for another reason is still an error. */
static void test_missing_root(void) {
  make_tmp();
  enum log_verbosity saved = log_get_verbosity();
  log_init(LOG_QUIET, false); /* "... does not exist yet" */
  struct watcher* w = start(at("a/b/src"), py, 1);
  CHECK_INT(watcher_dir_count(w), 0);
  mkd("a");
  mkd("a/other"); /* not on the way */
  mkd("a/b");
  mkd("a/b/src");
  CHECK(wait_dirs(w, 1));
  put("a/b/src/new.py", "n\n");
  CHECK(wait_cb(1));
  CHECK_STR(last_path[0], at("a/b/src/new.py"));
  CHECK_INT(last_kind[0], WATCH_ADDED);
  finish(w);

  /* A single file that appears later. */
  make_tmp();
  w = start(at("later.py"), py, 1);
  put("other.py", "o\n");
  put("later.py", "l\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("later.py"));
  put("later.py", "changed\n");
  CHECK(wait_cb(2));
  CHECK_INT(last_kind[0], WATCH_MODIFIED);
  log_init(saved, false);
  finish(w);

  const char* roots[1];
  make_tmp();
  CHECK(chmod(tmp, 0) == 0);
  roots[0] = at("x");
  struct watcher_options o = {.roots = roots, .nroots = 1, .delay_ms = 10};
  w = (struct watcher*)&o; /* must be reset to NULL */
  char err[256] = "";
  int rc = watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err));
  if (geteuid() != 0) { /* root reads any folder */
    CHECK_INT(rc, -EACCES);
    CHECK(w == NULL);
    CHECK(strstr(err, "Permission denied") != NULL);
  } else if (rc == 0) {
    watcher_close(w);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  chmod(tmp, 0700);
  rm_tree(tmp);
}

struct hook_state {
  int accepted;
  bool named;
};

static void on_log(void* ctx,
                   enum log_level level,
                   const char* name,
                   bool from_server,
                   const char* line) {
  struct hook_state* hs = ctx;
  (void)from_server;
  if (level == LL_VERBOSE && strstr(line, "modified: ") != NULL) {
    hs->accepted++;
    hs->named = name != NULL && strcmp(name, "wtest") == 0;
  }
}

static bool cond_accepted(const void* arg) {
  return ((const struct hook_state*)arg)->accepted > 0;
}

/* Closed with a burst pending: the callback never fires. */
static void test_close_with_pending_burst(void) {
  make_tmp();
  put("a.py", "a\n");
  enum log_verbosity saved = log_get_verbosity();
  struct hook_state hs = {0, false};
  log_init(LOG_VERBOSE, false);
  log_set_hook(on_log, &hs);
  const char* roots[] = {tmp};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 1,
      .exts = py,
      .nexts = 1,
      .delay_ms = 60000,
      .log_name = "wtest",
  };
  struct watcher* w = NULL;
  char err[256] = "";
  CHECK_INT(watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err)), 0);
  put("a.py", "changed\n");
  CHECK(wait_for(cond_accepted, &hs));
  CHECK(hs.named);
  log_set_hook(NULL, NULL);
  log_init(saved, false);
  finish(w);
  CHECK_INT(ncb, 0);
}

static struct watcher* closing_w;

static void on_change_close(void* ctx,
                            enum watcher_report what,
                            const struct watcher_change* changes,
                            size_t n) {
  on_change(ctx, what, changes, n);
  watcher_close(closing_w);
}

/* watcher_close from inside the callback. */
static void test_close_in_callback(void) {
  make_tmp();
  const char* roots[] = {tmp};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 1,
      .exts = py,
      .nexts = 1,
      .delay_ms = DELAY_MS,
  };
  char err[256] = "";
  CHECK_INT(watcher_start(&loop, &o, on_change_close, NULL, &closing_w, err,
                          sizeof(err)),
            0);
  put("a.py", "a\n");
  put("b.py", "b\n");
  CHECK(wait_cb(1));
  CHECK_INT(nlast, 2);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_INT(ncb, 1);
  forget_last();
  ncb = 0;
  rm_tree(tmp);
}

/* Issue 18: an immediate watcher reports a burst's first settled change
 * at once (WATCH_FIRST), announces the next change (WATCH_COMING) and
 * reports the rest once quiet (WATCH_MORE); an empty file is not settled
 * and waits for the quiet time (WATCH_BURST). The quiet time is long so
 * that the writes after the first report land inside the burst. */
static void test_immediate(void) {
  make_tmp();
  const char* roots[] = {tmp};
  struct watcher_options o = {
      .roots = roots,
      .nroots = 1,
      .exts = py,
      .nexts = 1,
      .delay_ms = 2000,
  };
  struct watcher* w = NULL;
  char err[256] = "";
  CHECK_INT(watcher_start(&loop, &o, on_change, NULL, &w, err, sizeof(err)), 0);
  watcher_set_immediate(w, true);
  put("a.py", "a\n");
  CHECK(wait_cb(1));
  CHECK_INT(last_what, WATCH_FIRST);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("a.py"));
  put("b.py", "b\n");
  put("c.py", "c\n");
  put("b.py", "bb\n");
  CHECK(wait_cb(2));
  CHECK_INT(last_what, WATCH_COMING);
  CHECK_INT(nlast, 0);
  CHECK(wait_cb(3));
  CHECK_INT(last_what, WATCH_MORE);
  CHECK_INT(nlast, 2);
  CHECK_STR(last_path[0], at("b.py"));
  CHECK_STR(last_path[1], at("c.py"));
  /* The burst is over: the next change is a first one again; nothing
   * after it: WATCH_MORE with none. */
  put("a.py", "changed\n");
  CHECK(wait_cb(4));
  CHECK_INT(last_what, WATCH_FIRST);
  CHECK(wait_cb(5));
  CHECK_INT(last_what, WATCH_MORE);
  CHECK_INT(nlast, 0);
  /* An empty file is not settled: reported whole, once quiet. */
  put("e.py", "");
  CHECK(wait_cb(6));
  CHECK_INT(last_what, WATCH_BURST);
  CHECK_INT(nlast, 1);
  CHECK_STR(last_path[0], at("e.py"));
  CHECK_INT(ncb, 6);
  finish(w);
}

int main(void) {
  const char* debug = getenv("MCPMON_TEST_DEBUG");
  log_init(debug && *debug ? LOG_DEBUG : LOG_DEFAULT, false);
  CHECK_INT(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &timeout_timer);

  test_modify_one();
  test_burst();
  test_new_directories();
  test_filtered();
  test_gitignore_reload();
  test_unchanged_dropped();
  test_removed();
  test_skip_files();
  test_file_root();
  test_reported_paths();
  test_several_roots();
  test_root_removed();
  test_missing_root();
  test_close_with_pending_burst();
  test_close_in_callback();
  test_immediate();

  uv_close((uv_handle_t*)&timeout_timer, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_INT(uv_loop_close(&loop), 0);
  return check_done();
}
