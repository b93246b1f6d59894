/* watcher_report.c - what the watcher reports (watcher_int.h): the changes
 * of a burst, collected until the quiet time ends and then given to the
 * watcher's callback in one call, or (issue 18, immediate) its first
 * settled change at once and the rest once quiet; and the debug lines of
 * the events it dropped, at most WATCHER_DROP_REPORTS_PER_S a second. */
#include <stdlib.h>

#include "core/watch/path.h"
#include "core/watch/watcher_int.h"

/* ---- the burst ----------------------------------------------------
 * Issue 18. Without watcher_set_immediate a burst is COLLECTed and
 * reported whole (WATCH_BURST) once quiet for delay_ms. When immediate,
 * its first settled change moves it to FIRST_DUE: reported on the next
 * loop turn (a timer of 0, so that no callback runs inside a scan or an
 * event batch, and what the rest of the batch holds goes with it), then
 * OPEN until quiet. A change while OPEN is announced once (COMING_DUE,
 * then MORE) and every change since is reported once quiet (WATCH_MORE):
 * two reports with changes per burst at most, whatever its length. */

static void watcher_on_timer(uv_timer_t* t) {
  struct watcher* w = t->data;
  enum watcher_report what;
  switch (w->phase) {
    case WATCHER_FIRST_DUE:
      w->phase = WATCHER_OPEN;
      what = WATCH_FIRST;
      uv_timer_start(&w->timer, watcher_on_timer, w->delay_ms, 0);
      break;
    case WATCHER_COMING_DUE:
      w->phase = WATCHER_MORE;
      uv_timer_start(&w->timer, watcher_on_timer, w->delay_ms, 0);
      w->cb(w->ctx, WATCH_COMING, NULL, 0);
      return;
    case WATCHER_OPEN:
    case WATCHER_MORE:
      w->phase = WATCHER_IDLE;
      what = WATCH_MORE;
      break;
    default:
      w->phase = WATCHER_IDLE;
      what = WATCH_BURST;
      break;
  }
  size_t n;
  struct watcher_change* changes = burst_take(&w->burst, &n);
  if (what == WATCH_MORE)
    WATCHER_LOG(w, LL_VERBOSE, "changes quiet: %zu more after the first", n);
  /* The callback may call watcher_close: w stays allocated until the
   * close callbacks run, but nothing here touches it any more. */
  if (n > 0 || what == WATCH_MORE)
    w->cb(w->ctx, what, changes, n);
  burst_free_changes(changes, n);
}

void watcher_set_immediate(struct watcher* w, bool on) {
  w->immediate = on;
}

/* Adds path (taking ownership) to the burst under key and moves the
 * burst on: its timer restarted, or due now for a settled change. */
static void watcher_add(struct watcher* w,
                        uint64_t key,
                        char* path,
                        enum watcher_change_kind kind,
                        bool settled) {
  WATCHER_LOG(w, LL_VERBOSE, "%s: %s", burst_kind_name(kind), path);
  burst_add(&w->burst, key, path, kind);
  unsigned delay = w->delay_ms;
  switch (w->phase) {
    case WATCHER_IDLE:
    case WATCHER_COLLECT:
      /* An editor that truncates first: the empty file waits, the
       * write that fills it is reported at once. */
      if (w->immediate && settled) {
        w->phase = WATCHER_FIRST_DUE;
        delay = 0;
      } else {
        w->phase = WATCHER_COLLECT;
      }
      break;
    case WATCHER_FIRST_DUE:
    case WATCHER_COMING_DUE:
      return; /* goes with the report due on the next turn */
    case WATCHER_OPEN:
      w->phase = WATCHER_COMING_DUE;
      delay = 0;
      break;
    case WATCHER_MORE:
      break;
  }
  uv_timer_start(&w->timer, watcher_on_timer, delay, 0);
}

void watcher_accept(struct watcher* w,
                    uint64_t key,
                    char* path,
                    enum watcher_change_kind kind) {
  watcher_add(w, key, path, kind, kind == WATCH_REMOVED);
}

void watcher_accept_stat(struct watcher* w,
                         uint64_t key,
                         char* path,
                         enum watcher_change_kind kind,
                         const struct stat* st) {
  bool settled = kind == WATCH_REMOVED || st == NULL || S_ISLNK(st->st_mode) ||
                 (S_ISREG(st->st_mode) && st->st_size > 0);
  watcher_add(w, key, path, kind, settled);
}

static void watcher_say_hidden(const struct watcher* w, unsigned long long n) {
  if (n > 0)
    log_msg(LL_DEBUG, w->log_name, 0,
            "%llu more dropped file event%s not shown (at most %d a second)", n,
            n == 1 ? "" : "s", WATCHER_DROP_REPORTS_PER_S);
}

static void watcher_on_drop_timer(uv_timer_t* t) {
  struct watcher* w = t->data;
  watcher_say_hidden(w, ratelimit_take_hidden(&w->drops, uv_now(w->loop)));
}

/* Logs, at debug level, why an event for rel (or name in a single-file
 * root's directory) was dropped: at most WATCHER_DROP_REPORTS_PER_S a
 * second, then one line of how many were not shown. */
void watcher_drop(struct watcher* w,
                  const struct watcher_dir* d,
                  const char* name,
                  const char* rel,
                  const char* reason) {
  if (!log_enabled(LL_DEBUG))
    return;
  uint64_t now = uv_now(w->loop);
  watcher_say_hidden(w, ratelimit_take_hidden(&w->drops, now));
  if (!ratelimit_allow(&w->drops, now)) {
    if (!uv_is_active((uv_handle_t*)&w->drop_timer))
      uv_timer_start(&w->drop_timer, watcher_on_drop_timer, 1000, 0);
    return;
  }
  char* path = d->root->file ? path_join(d->abs, name)
                             : watch_root_display(d->root, rel);
  log_msg(LL_DEBUG, w->log_name, 0, "dropped %s: %s", path, reason);
  free(path);
}
