/* control_model.h - what the control socket knows: one record per backend
 * shown (its rings of recent log lines and traffic, its list_changed
 * state), filled by the backend observer and the log hook.
 *
 * Calls run one way: control.c owns a model and calls into it; the model
 * reports each change up through the struct ctl_model_events it was
 * given, after it has recorded the change. The model builds no JSON and
 * knows nothing of clients: whether anyone hears an event is the
 * owner's business.
 */
#ifndef MCPMON_CONTROL_MODEL_H
#define MCPMON_CONTROL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "core/backend/backend.h"
#include "core/control/control_events.h"
#include "core/control/control_rings.h"
#include "core/log.h"

/* Predecessors a record still follows while they drain (issue 14: at
 * most one drains at a time; a few to spare). */
#define CTL_MODEL_OLD_MAX 4

/* One backend shown. Fields read-only outside control_model.c. */
struct ctl_backend {
  struct backend* b; /* borrowed, from ctl_model_add to ctl_model_remove */
  /* Backends it replaced (ctl_model_replace) that still answer what
   * they had in flight: their traffic is this record's until they are
   * freed (observer on_gone). Borrowed; NULL slots are free. */
  struct backend* old[CTL_MODEL_OLD_MAX];
  struct ctl_rings rings;
  bool lc_have;     /* a list_changed was sent */
  bool lc_relisted; /* and the client re-read the list since */
  uint64_t lc_sent; /* Unix ms of the last one */
  STAILQ_ENTRY(ctl_backend) link;
};

STAILQ_HEAD(ctl_backend_list, ctl_backend);

/* Called after the model recorded a change; every member may be NULL.
 * Pointers are valid only during the call. A callback may log (the log
 * hook ignores lines logged from inside itself) but must not add or
 * remove backends. */
struct ctl_model_events {
  /* backend_observer.on_state / on_tools of cb's backend. */
  void (*on_state)(void* ctx, const struct ctl_backend* cb);
  void (*on_tools)(void* ctx, const struct ctl_backend* cb);
  /* A request arrived or was answered: t in cb's traffic ring, or cb
   * NULL for one of no backend (gateway mode: in the model's own ring). */
  void (*on_traffic)(void* ctx,
                     const struct ctl_backend* cb,
                     const struct ctl_traffic_entry* t);
  /* A log line: in cb's ring as l, or cb NULL for a line of no backend
   * (gateway mode; l then lives only for the call). */
  void (*on_log)(void* ctx,
                 const struct ctl_backend* cb,
                 const struct ctl_log_entry* l);
  /* cb's list_changed state changed (ctl_model_list_changed). */
  void (*on_list_changed)(void* ctx, const struct ctl_backend* cb);
};

/* Fields private except backends (read-only: iterate with STAILQ). */
struct ctl_model {
  struct ctl_backend_list backends; /* in the order added */
  bool single;                      /* nameless log lines go to the first */
  uint64_t traffic_seq;
  struct ctl_events events; /* issue 15: mcpmon's own events */
  /* Gateway mode: traffic of no backend (what the gateway answers for
   * all servers or for none: ping, merged lists, unknown names). Only
   * its traffic ring is used. */
  struct ctl_rings none;
  struct backend_observer obs;
  const struct ctl_model_events* ev;
  void* ctx;
  bool in_hook;
};

/* Wall-clock time in Unix milliseconds, the protocol's time unit. */
uint64_t ctl_model_now_ms(void);

/* ev (borrowed, must outlive m) and ctx are passed to every event. */
void ctl_model_init(struct ctl_model* m,
                    bool single,
                    const struct ctl_model_events* ev,
                    void* ctx);
/* Remove every backend (clearing its observer) and free the records. */
void ctl_model_free(struct ctl_model* m);

/* Record traffic of b as its observer would (issue 15: what the session
 * answered or relayed itself), or with b NULL of no backend: the single
 * backend in single mode, the model's own ring in gateway mode. Returns
 * the entry's seq (0: b is not shown). Bodies are always kept (cut to
 * CONTROL_TRAFFIC_BODY_MAX each). */
uint64_t ctl_model_traffic(struct ctl_model* m,
                           struct backend* b,
                           const struct backend_traffic* t);

/* Show b (borrowed): a new record at place index (past the end: at the
 * end), the model as b's observer. Returns the record (owned by m). */
struct ctl_backend* ctl_model_add(struct ctl_model* m,
                                  struct backend* b,
                                  size_t index);
/* cb shows now in place of its backend (issue 14: a reload swapped
 * them), keeping its place, rings and list_changed record; the model
 * observes now, and the old backend until it is freed, for the answers
 * it still gives (its traffic stays cb's). The caller tells the dashboards (the
 * whole row: control_replace_backend). */
void ctl_model_replace(struct ctl_model* m,
                       struct ctl_backend* cb,
                       struct backend* now);
/* cb's place in the model (0 first). */
size_t ctl_model_index(const struct ctl_model* m, const struct ctl_backend* cb);
/* Stop showing cb's backend: clears its observer and frees cb. */
void ctl_model_remove(struct ctl_model* m, struct ctl_backend* cb);
/* The record of b, or of the backend named name; NULL when none. */
struct ctl_backend* ctl_model_find(const struct ctl_model* m,
                                   const struct backend* b);
struct ctl_backend* ctl_model_find_name(const struct ctl_model* m,
                                        const char* name);
/* The traffic entry seq of any backend, with its record in *cb (NULL for
 * the model's own ring); NULL when it left the ring. */
const struct ctl_traffic_entry* ctl_model_traffic_find(
    const struct ctl_model* m, uint64_t seq, const struct ctl_backend** cb);

/* notifications/tools/list_changed was sent (relisted false) or the
 * client re-read the list (relisted true), for b or (NULL) every backend.
 * Fires on_list_changed for each record that changed. */
void ctl_model_list_changed(struct ctl_model* m,
                            struct backend* b,
                            bool relisted);

/* The log hook (log_set_hook(ctl_model_on_log, m)): records the line in
 * its backend's ring, and in m->events when it is one (control_events.h),
 * and fires on_log. */
void ctl_model_on_log(void* m,
                      enum log_level level,
                      const char* name,
                      bool from_server,
                      const char* text);

#endif
