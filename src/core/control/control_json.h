/* control_json.h - the JSON of what the control socket sends
 * (docs/control-protocol.md), built from the model's records. Called only
 * by control.c, and only for a message some client will receive.
 *
 * Two kinds of builders:
 *  - small messages, bounded by what goes in (a backend's state, one ring
 *    entry, whose strings the rings cut): a cJSON object owned by the
 *    caller;
 *  - messages that carry lists (snapshot, backend_added, tools): printed
 *    here, cut to fit max bytes by construction. Each backend's log and
 *    traffic keep their newest entries and its tools their first ones,
 *    the budget shared fairly among backends (ctl_rings_share); the number
 *    left out is in logOmitted / trafficOmitted / toolsOmitted, present
 *    only when not 0. They return a heap string without newline (owned by
 *    the caller, its length in *len), or NULL with the reason in err when
 *    even the message without any list entry is over max.
 */
#ifndef MCPMON_CONTROL_JSON_H
#define MCPMON_CONTROL_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "core/control/control_model.h"

/* The instance as the snapshot describes it; strings borrowed. */
struct ctl_instance {
  const char* mode;
  const char* command; /* NULL: null */
  const char* config;  /* NULL: null */
  const char* socket;
  uint64_t started; /* Unix ms */
};

/* o printed without newline: a heap string owned by the caller, its
 * length in *len. Out of memory aborts (src/lib/util.h's policy). */
char* ctl_json_print(const cJSON* o, size_t* len);

cJSON* ctl_json_state_event(const struct ctl_backend* cb);
/* cb NULL: a line of no backend ("backend":null). */
cJSON* ctl_json_log_event(const struct ctl_backend* cb,
                          const struct ctl_log_entry* l);
/* cb NULL: traffic of no backend ("backend":null, gateway mode). */
cJSON* ctl_json_traffic_event(const struct ctl_backend* cb,
                              const struct ctl_traffic_entry* t);
cJSON* ctl_json_list_changed_event(const struct ctl_backend* cb);
cJSON* ctl_json_backend_removed_event(const char* name);
/* The answer to {"cmd":"traffic"} (cb NULL as above): bodies at most
 * CONTROL_TRAFFIC_BODY_MAX each, so it is bounded too. id (borrowed, may be
 * NULL) is echoed. */
cJSON* ctl_json_traffic_detail(const struct ctl_backend* cb,
                               const struct ctl_traffic_entry* t,
                               const cJSON* id);

/* The snapshot of in and every backend of m; id (borrowed, may be NULL)
 * is echoed. */
char* ctl_json_snapshot(const struct ctl_model* m,
                        const struct ctl_instance* in,
                        const cJSON* id,
                        size_t max,
                        size_t* len,
                        char* err,
                        size_t errlen);
/* index: cb's place in the model, which the event carries (issue 15). */
char* ctl_json_backend_added(const struct ctl_backend* cb,
                             size_t index,
                             size_t max,
                             size_t* len,
                             char* err,
                             size_t errlen);
char* ctl_json_tools_event(const struct ctl_backend* cb,
                           size_t max,
                           size_t* len,
                           char* err,
                           size_t errlen);

#endif
