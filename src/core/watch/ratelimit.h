/* ratelimit.h - at most N reports a second, and a count of the rest.
 *
 * The watcher's debug line for every dropped file event is itself a
 * write; when the log lands in a watched folder, each line is the next
 * event. Limiting those lines to a few a second bounds any such loop,
 * and one summary line says how many were not shown. Pure: the caller
 * passes the time.
 */
#ifndef MCPMON_RATELIMIT_H
#define MCPMON_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Zero it, then set per_s; all fields are private. */
struct ratelimit {
  unsigned per_s;            /* reports allowed per one-second window */
  uint64_t window_ms;        /* start of the current window */
  unsigned shown;            /* reports in it so far */
  unsigned long long hidden; /* refused since the last summary */
};

/* Whether one more report may be shown at now_ms; a refused one is
 * counted in hidden. */
bool ratelimit_allow(struct ratelimit* rl, uint64_t now_ms);

/* How many reports were refused and not yet summed up, when their window
 * is over at now_ms (0 otherwise, or when none were); the count restarts
 * at 0 once taken. */
unsigned long long ratelimit_take_hidden(struct ratelimit* rl, uint64_t now_ms);

#endif
