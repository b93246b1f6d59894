/* watcher.h - recursive file watching with filtering and debounce.
 *
 * One uv_fs_event_t per directory (libuv does not recurse on Linux); new
 * directories are picked up as they appear, deleted ones dropped. Events are
 * filtered through a pathfilter (extensions, default ignores, .gitignore,
 * user globs), events whose file did not really change (same size and mtime
 * as last seen) are dropped, and a burst is collected until delay_ms of
 * quiet, then reported in one callback (one restart per burst).
 *
 * Issue 18: with watcher_set_immediate, the first settled change of a
 * burst (a regular file that is not empty, a symbolic link, or a file
 * gone) is reported at once (WATCH_FIRST), on the next loop turn, so that
 * a reload starts without waiting for the quiet time; the changes after
 * it are announced once (WATCH_COMING, so that a server still starting
 * can be abandoned) and reported once quiet for delay_ms (WATCH_MORE).
 * A burst thus gives at most two reports that carry changes.
 */
#ifndef MCPMON_WATCHER_H
#define MCPMON_WATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "config/config.h"

enum watcher_change_kind {
  WATCH_ADDED,
  WATCH_MODIFIED,
  WATCH_REMOVED,
};

struct watcher_change {
  const char* path; /* as the user would name it: the watch root as given
                       joined with the relative path ("src/tools.py") */
  enum watcher_change_kind kind;
};

/* What a call of the watcher's callback reports. */
enum watcher_report {
  WATCH_BURST,  /* a whole burst, after delay_ms of quiet (the only kind
                   without watcher_set_immediate) */
  WATCH_FIRST,  /* the first settled change(s) of a burst, at once; the
                   burst goes on: WATCH_MORE ends it */
  WATCH_COMING, /* after WATCH_FIRST, once: another change arrived
                   (n is 0); WATCH_MORE will carry it */
  WATCH_MORE,   /* after WATCH_FIRST: the changes since, once quiet for
                   delay_ms; n is 0 when none came (the burst is over) */
};

/* Called once per settled burst (WATCH_BURST), or per report of an
 * immediate burst (WATCH_FIRST, maybe WATCH_COMING, WATCH_MORE). changes[0]
 * is the first file changed; the array and its strings are valid only
 * during the call. */
typedef void (*watcher_cb)(void* ctx,
                           enum watcher_report what,
                           const struct watcher_change* changes,
                           size_t n);

struct watcher_options {
  const char* const* roots; /* directories or single files to watch */
  size_t nroots;
  const char* const* exts; /* see pathfilter_new */
  size_t nexts;
  const char* const* ignores;
  size_t nignores;
  const char* const* skip_files; /* never reported (mcpmon's own log file);
                                    any spelling, compared by realpath */
  size_t nskip;
  unsigned delay_ms;    /* debounce quiet time */
  const char* log_name; /* backend name for log lines, NULL in single
                           mode */
};

struct watcher; /* opaque */

/* Start watching. On success returns 0 and *out (owned by the caller,
 * released with watcher_close). A root that does not exist is an error
 * (-ENOENT) with the reason in err. Strings in opts are copied. */
int watcher_start(uv_loop_t* loop,
                  const struct watcher_options* opts,
                  watcher_cb cb,
                  void* ctx,
                  struct watcher** out,
                  char* err,
                  size_t errlen);

/* ---- watcher_server.c ---- */

/* Start watching what server sc names (its watch paths, extensions,
 * ignores and delay), never reporting skip_file (may be NULL), and log
 * "Watching ... for ... changes". log_name as in watcher_options. */
int watcher_start_server(uv_loop_t* loop,
                         const struct server_config* sc,
                         const char* skip_file,
                         const char* log_name,
                         watcher_cb cb,
                         void* ctx,
                         struct watcher** out);

/* Log a settled burst the way every restart names its cause ("File
 * modified: src/tools.py", "(and N more)", or each file at verbose), for
 * backend log_name (NULL in single mode). Returns the first file's base
 * name, pointing into changes[0].path. */
const char* watcher_report(const char* log_name,
                           const struct watcher_change* changes,
                           size_t n);

/* ---- watcher_report.c ---- */

/* Issue 18: report the first settled change of a burst at once (see the
 * top of this file), or (on false, the default) only whole bursts after
 * the quiet time (--delay given: a fixed quiet time). Takes effect with
 * the next burst. */
void watcher_set_immediate(struct watcher* w, bool on);

/* ---- watcher.c ---- */

/* Stop watching and release the watcher once all its handles have closed
 * (after this call no callback fires). */
void watcher_close(struct watcher* w);

/* Number of directories currently watched. */
size_t watcher_dir_count(const struct watcher* w);

#endif
