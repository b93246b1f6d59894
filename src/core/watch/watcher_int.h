/* watcher_int.h - what the files of the watcher share: its constants,
 * struct watcher and struct watcher_dir, and the calls watcher.c makes
 * into watcher_report.c. Only the watcher's own files include it;
 * everyone else sees watcher.h.
 *
 *   watcher.c         directories, scans, file events, start and close
 *   watcher_report.c  what the watcher reports: the burst and its quiet
 *                     timer (one callback per burst), and the debug
 *                     lines of dropped events (rate-limited)
 *   watcher_server.c  watcher_start for a server's configuration
 */
#ifndef MCPMON_WATCHER_INT_H
#define MCPMON_WATCHER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <uv.h>

#include "core/log.h"
#include "core/watch/burst.h"
#include "core/watch/evqueue.h"
#include "core/watch/fingerprint.h"
#include "core/watch/ratelimit.h"
#include "core/watch/watch_root.h"
#include "core/watch/watcher.h"
#include "lib/u64map.h"

#define WATCHER_LOG(w, level, ...)                   \
  do {                                               \
    if (log_enabled(level))                          \
      log_msg(level, (w)->log_name, 0, __VA_ARGS__); \
  } while (0)

/* File events handled per loop turn: the rest wait in the queue, so
 * that signals and I/O are served between batches whatever the rate. */
#define WATCHER_EVENTS_PER_TURN 256
/* Distinct (directory, name) events waiting at most: more than inotify's
 * own default queue (fs.inotify.max_queued_events, 16384). */
#define WATCHER_QUEUE_MAX 65536
/* Debug lines about dropped file events per second, at most. */
#define WATCHER_DROP_REPORTS_PER_S 20
/* Files log lines go to, at most (the log file and stderr). */
#define WATCHER_OWN_MAX 4

/* ---- types -------------------------------------------------------- */

/* Where the burst stands (watcher_report.c; issue 18). */
enum watcher_phase {
  WATCHER_IDLE,       /* no burst */
  WATCHER_COLLECT,    /* reported whole once quiet (timer: delay_ms) */
  WATCHER_FIRST_DUE,  /* WATCH_FIRST on the next loop turn (timer: 0) */
  WATCHER_OPEN,       /* WATCH_FIRST said; nothing since (timer: delay) */
  WATCHER_COMING_DUE, /* a change since: WATCH_COMING next turn */
  WATCHER_MORE,       /* WATCH_COMING said; WATCH_MORE once quiet */
};

struct watcher_dir {
  uv_fs_event_t ev; /* ev.data points back here */
  struct watcher* w;
  struct watch_root* root;
  char* abs;       /* real path */
  const char* rel; /* inside abs: relative to the root, "" for the root */
  uint64_t key;    /* fingerprint_key(abs, NULL) */
  size_t index;    /* in w->dirs; SIZE_MAX when not registered */
  size_t nfiles;   /* files in the table directly inside it */
  bool awaits;     /* the parent of a directory root that is gone,
                      watched for the root to come back */
};

struct watcher {
  uv_loop_t* loop;
  watcher_cb cb;
  void* ctx;
  char* log_name;
  unsigned delay_ms;
  char** skip; /* realpath of the directory + '/' + name */
  size_t nskip;
  struct watch_root* roots;
  size_t nroots;
  struct watcher_dir** dirs;
  size_t ndirs;
  size_t capdirs;
  struct u64map dirmap; /* key of a directory's real path -> watcher_dir */
  struct fingerprint_table files; /* every file seen, by its real path */
  struct burst burst;             /* the changes until the quiet time */
  uv_timer_t timer;
  enum watcher_phase phase; /* of the burst (watcher_report.c) */
  bool immediate;           /* watcher_set_immediate */
  struct evqueue queue;     /* file events not yet handled */
  uv_idle_t idle;           /* handles them, a batch per loop turn */
  struct ratelimit drops;   /* the debug lines of dropped events */
  uv_timer_t drop_timer;    /* says how many were not shown */
  struct log_file_id own[WATCHER_OWN_MAX]; /* never watched */
  size_t nown;
  size_t pending_closes;
  size_t nawaiting; /* watcher_dirs with awaits set */
  bool closing;
  bool warned_limit;
  bool warned_queue;
};

/* ---- watcher_report.c ---- */

/* Adds path (taking ownership) to the burst under key and restarts the
 * quiet-time timer, whose end calls the watcher's callback once. Only a
 * removal counts as settled (watcher_accept_stat). */
void watcher_accept(struct watcher* w,
                    uint64_t key,
                    char* path,
                    enum watcher_change_kind kind);

/* The same for a file whose lstat is st (NULL: gone). Issue 18: a
 * settled change (gone, a symbolic link, or a regular file that is not
 * empty: libuv reports no IN_CLOSE_WRITE, and an editor that truncates
 * first shows an empty file) is reported at once when the watcher is
 * immediate and no report of this burst is still to come. */
void watcher_accept_stat(struct watcher* w,
                         uint64_t key,
                         char* path,
                         enum watcher_change_kind kind,
                         const struct stat* st);

/* Logs, at debug level, why an event for rel (or name in a single-file
 * root's directory) was dropped: at most WATCHER_DROP_REPORTS_PER_S a
 * second, then one line of how many were not shown. */
void watcher_drop(struct watcher* w,
                  const struct watcher_dir* d,
                  const char* name,
                  const char* rel,
                  const char* reason);

#endif
