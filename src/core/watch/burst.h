/* burst.h - the changes of one burst of file events, collected until the
 * quiet time ends: each file once, in the order first seen, its kind
 * merged (added then modified stays added). No libuv: the watcher owns
 * the timer. */
#ifndef MCPMON_BURST_H
#define MCPMON_BURST_H

#include <stddef.h>
#include <stdint.h>

#include "core/watch/watcher.h"
#include "lib/u64map.h"

struct burst {
  /* private */
  struct watcher_change* v; /* paths owned (allocated by the caller) */
  size_t n;
  size_t cap;
  struct u64map map; /* key of a real path -> index in v */
};

/* Adds path (taking ownership) under key, or merges it into the entry
 * already there (path then freed). */
void burst_add(struct burst* b,
               uint64_t key,
               char* path,
               enum watcher_change_kind kind);

/* Moves the changes out: returns them (heap; release with
 * burst_free_changes) with their number in *n, and leaves b empty. */
struct watcher_change* burst_take(struct burst* b, size_t* n);

void burst_free_changes(struct watcher_change* v, size_t n);

/* Frees what b holds. */
void burst_free(struct burst* b);

/* "added", "modified", "removed". */
const char* burst_kind_name(enum watcher_change_kind kind);

#endif
