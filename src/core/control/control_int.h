/* control_int.h - what the two files of the control socket share.
 *
 *   control.c        the socket: clients, writing with output limits,
 *                    commands, start and close
 *   control_state.c  what it serves: per-backend rings of log lines and
 *                    traffic, the snapshot and event objects, the
 *                    backend observer and the log hook
 */
#ifndef MCPMON_CONTROL_INT_H
#define MCPMON_CONTROL_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/backend/backend.h"
#include "core/control/control.h"
#include "core/log.h"
#include "lib/framer.h"
#include "proto/control_proto.h"

struct ctl_log {
  uint64_t t;
  enum log_level level;
  bool from_server;
  char* text;
};

struct ctl_traffic {
  uint64_t seq;
  uint64_t t;
  char* method;
  char* tool;
  double ms;
  bool ok;
  char* error;
  char* request; /* bodies: only while a dashboard was attached */
  char* response;
};

struct ctl_backend {
  struct backend* b;
  struct ctl_log log[CONTROL_LOG_RING];
  int log_next;
  int log_count;
  struct ctl_traffic traffic[CONTROL_TRAFFIC_RING];
  int tr_next;
  int tr_count;
  bool lc_have;
  bool lc_relisted;
  uint64_t lc_sent;
  struct ctl_backend* next;
};

struct ctl_client {
  struct control* c;
  uv_pipe_t pipe;
  struct framer in;
  bool subscribed;
  bool closing;         /* flushing before the drop */
  const char* drop_why; /* static text */
  struct ctl_client* next;
};

/* A line written to several clients, freed by its last write. */
struct ctl_buf {
  int refs;
  size_t len;
  char data[];
};

struct ctl_write {
  uv_write_t w;
  struct ctl_buf* buf;
};

struct control {
  uv_loop_t* loop;
  uv_pipe_t server;
  char* path;
  char* mode;
  char* command;
  char* config;
  uint64_t started;
  struct ctl_backend* backends;
  struct ctl_client* clients;
  size_t nsubscribed;
  uint64_t traffic_seq;
  struct backend_observer obs;
  bool in_hook;
  bool closing;
  int open_handles;
};

/* Wall-clock time in Unix milliseconds, the protocol's time unit. */
static inline uint64_t ctl_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* control.c */
/* Send an event to every subscribed client. Takes obj. */
void ctl_broadcast(struct control* c, cJSON* obj);

/* control_state.c */
/* The rings of the backend named name; NULL when unknown. */
struct ctl_backend* ctl_find_name(struct control* c, const char* name);
void ctl_backend_free(struct ctl_backend* cb);
/* The snapshot object (docs/control-protocol.md); owned by the caller. */
cJSON* ctl_snapshot(struct control* c);
/* The backend_observer and log hook callbacks (ctx is the control). */
void ctl_obs_state(struct backend* b, void* ctx);
void ctl_obs_tools(struct backend* b, void* ctx);
void ctl_obs_traffic(struct backend* b,
                     void* ctx,
                     const struct backend_traffic* t);
void ctl_on_log(void* ctx,
                enum log_level level,
                const char* name,
                bool from_server,
                const char* text);

#endif
