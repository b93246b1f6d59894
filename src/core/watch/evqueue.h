/* evqueue.h - the file events waiting to be handled: distinct
 * (directory, name) pairs, oldest first, at most a fixed number.
 *
 * libuv reads inotify until it is empty and calls back for every event
 * within one loop turn; when handling an event causes another (a log
 * line written to a watched file), that turn never ends and signals are
 * never served. So the watcher only queues an event here in libuv's
 * callback and handles a bounded number per loop turn. An event for a
 * pair already queued adds nothing: it is handled once, with the file's
 * state at that time. Pure: no libuv, no I/O.
 */
#ifndef MCPMON_EVQUEUE_H
#define MCPMON_EVQUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "lib/u64map.h"

/* One queued event; name is NUL-terminated. Owned by the queue until
 * evqueue_pop hands it out. */
struct evqueue_ent {
  TAILQ_ENTRY(evqueue_ent) link; /* private */
  uint64_t key;                  /* private: 0 when not in the map */
  void* dir;                     /* read-only */
  char name[];                   /* read-only */
};

TAILQ_HEAD(evqueue_list, evqueue_ent);

/* evqueue_init it; n and dropped are read-only. */
struct evqueue {
  struct evqueue_list list;   /* private */
  struct u64map map;          /* private: key of (dir, name) -> entry */
  size_t n;                   /* entries queued */
  size_t cap;                 /* at most this many */
  unsigned long long dropped; /* pushes refused because full, in all */
};

void evqueue_init(struct evqueue* q, size_t cap);

/* Queues (dir, name) unless it is queued already (name is copied).
 * Returns 1 when queued, 0 when already there, -1 when the queue is full
 * (counted in dropped). */
int evqueue_push(struct evqueue* q, void* dir, const char* name);

/* Takes the oldest entry off the queue: the caller owns it and frees it
 * with free(). NULL when empty. */
struct evqueue_ent* evqueue_pop(struct evqueue* q);

/* Removes every entry of dir (a directory no longer watched). */
void evqueue_forget(struct evqueue* q, const void* dir);

/* Frees every entry; q is empty (and usable) afterwards. */
void evqueue_free(struct evqueue* q);

#endif
