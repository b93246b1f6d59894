/* control_events.c - see control_events.h. */
#include "core/control/control_events.h"

#include <stdlib.h>
#include <string.h>

#include "core/control/control_rings.h"
#include "lib/util.h"

bool ctl_events_wanted(bool single,
                       const char* backend,
                       enum log_level level,
                       bool from_server) {
  if (from_server)
    return false;
  if (level <= LL_WARN)
    return true;
  return !single && backend == NULL && level <= LL_INFO;
}

static void ctl_event_clear(struct ctl_event* e) {
  free(e->backend);
  free(e->text);
  memset(e, 0, sizeof(*e));
}

void ctl_events_free(struct ctl_events* r) {
  for (size_t i = 0; i < CONTROL_EVENTS_RING; i++) ctl_event_clear(&r->e[i]);
  r->next = 0;
  r->count = 0;
}

const struct ctl_event* ctl_events_push(struct ctl_events* r,
                                        uint64_t t,
                                        enum log_level level,
                                        const char* backend,
                                        const char* text) {
  struct ctl_event* e = &r->e[r->next];
  ctl_event_clear(e);
  size_t len = strlen(text);
  e->t = t;
  e->level = level;
  e->backend = backend != NULL ? xstrdup(backend) : NULL;
  e->text = xstrndup(text, ctl_rings_cut_utf8(text, len, CONTROL_LOG_TEXT_MAX));
  r->next = (r->next + 1) % CONTROL_EVENTS_RING;
  if (r->count < CONTROL_EVENTS_RING)
    r->count++;
  return e;
}

size_t ctl_events_count(const struct ctl_events* r) {
  return r->count;
}

const struct ctl_event* ctl_events_at(const struct ctl_events* r, size_t i) {
  if (i >= r->count)
    return NULL;
  size_t oldest =
      (r->next + CONTROL_EVENTS_RING - r->count) % CONTROL_EVENTS_RING;
  return &r->e[(oldest + i) % CONTROL_EVENTS_RING];
}
