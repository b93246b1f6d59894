/* control_events.h - mcpmon's own events, kept apart from any backend's
 * log for the dashboard's events pane (issue 15 defect 3): config errors
 * in full, reload failures, watcher errors. Pure: no libuv, no JSON, no
 * I/O; unit-tested in tests/unit/test_control_rings.c.
 *
 * Which lines are events (ctl_events_wanted): mcpmon's own lines (never a
 * server's stderr) at warn or error, about any backend or none, and in
 * gateway mode also its lines about no backend at all (config reloads).
 * The ring owns copies of what is pushed; text is cut to
 * CONTROL_LOG_TEXT_MAX bytes at a UTF-8 boundary. Pointers it returns are
 * valid until the next push or ctl_events_free.
 */
#ifndef MCPMON_CONTROL_EVENTS_H
#define MCPMON_CONTROL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "proto/control_proto.h"

struct ctl_event {
  uint64_t t; /* Unix ms */
  enum log_level level;
  char* backend; /* NULL: about no backend */
  char* text;
};

/* Fields private. Zeroed memory is an empty ring. */
struct ctl_events {
  struct ctl_event e[CONTROL_EVENTS_RING];
  size_t next;
  size_t count;
};

bool ctl_events_wanted(bool single,
                       const char* backend,
                       enum log_level level,
                       bool from_server);

void ctl_events_free(struct ctl_events* r);
/* Append (backend and text copied, text cut); the oldest goes when full. */
const struct ctl_event* ctl_events_push(struct ctl_events* r,
                                        uint64_t t,
                                        enum log_level level,
                                        const char* backend,
                                        const char* text);
size_t ctl_events_count(const struct ctl_events* r);
/* 0 the oldest; NULL past the count. */
const struct ctl_event* ctl_events_at(const struct ctl_events* r, size_t i);

#endif
