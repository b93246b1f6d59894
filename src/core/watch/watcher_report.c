/* watcher_report.c - what the watcher reports (watcher_int.h): the changes
 * of a burst, collected until the quiet time ends and then given to the
 * watcher's callback in one call, and the debug lines of the events it
 * dropped, at most WATCHER_DROP_REPORTS_PER_S a second. */
#include <stdlib.h>

#include "core/watch/path.h"
#include "core/watch/watcher_int.h"

/* ---- the burst ---------------------------------------------------- */

static void watcher_on_timer(uv_timer_t* t) {
  struct watcher* w = t->data;
  size_t n;
  struct watcher_change* changes = burst_take(&w->burst, &n);
  /* The callback may call watcher_close: w stays allocated until the
   * close callbacks run, but nothing here touches it any more. */
  if (n > 0)
    w->cb(w->ctx, changes, n);
  burst_free_changes(changes, n);
}

/* Adds path (taking ownership) to the burst under key and restarts the
 * quiet-time timer. */
void watcher_accept(struct watcher* w,
                    uint64_t key,
                    char* path,
                    enum watcher_change_kind kind) {
  WATCHER_LOG(w, LL_VERBOSE, "%s: %s", burst_kind_name(kind), path);
  burst_add(&w->burst, key, path, kind);
  uv_timer_start(&w->timer, watcher_on_timer, w->delay_ms, 0);
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
