/* backend_info.c - a backend's state and what backend.h lets others read
 * of it. Calls nothing else of the backend. See backend_int.h. */
#include <string.h>

#include "core/backend/backend_int.h"

const char* backend_state_name(enum backend_state s) {
  switch (s) {
    case BACKEND_IDLE:
      return "idle";
    case BACKEND_STARTING:
      return "starting";
    case BACKEND_INITIALIZING:
      return "initializing";
    case BACKEND_READY:
      return "ready";
    case BACKEND_RESTARTING:
      return "restarting";
    case BACKEND_CRASHED:
      return "crashed";
    case BACKEND_WAITING:
      return "waiting";
    case BACKEND_STOPPING:
      return "stopping";
    case BACKEND_STOPPED:
      return "stopped";
    case BACKEND_DISABLED:
      return "disabled";
  }
  return "unknown";
}

/* Tells the owner and the observer (their callbacks). */
void bk_set_state(struct backend* b, enum backend_state s) {
  if (b->state == s)
    return;
  bk_log(b, LL_DEBUG, "state %s -> %s", backend_state_name(b->state),
         backend_state_name(s));
  b->state = s;
  if (b->ev.on_state != NULL)
    b->ev.on_state(b, b->ctx);
  if (b->obs != NULL && b->obs->on_state != NULL)
    b->obs->on_state(b, b->obs_ctx);
}

const char* bk_display_name(const struct backend* b) {
  return b->sc->name != NULL ? b->sc->name : "server";
}

bool bk_has_capability(const struct backend* b, const char* cap) {
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(b->init_result, "capabilities");
  return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, cap));
}

enum backend_state backend_state(const struct backend* b) {
  return b->state;
}

void backend_set_observer(struct backend* b,
                          const struct backend_observer* obs,
                          void* ctx) {
  b->obs = obs;
  b->obs_ctx = ctx;
}

uint64_t backend_started_at(const struct backend* b) {
  return b->p != NULL ? b->started_wall_ms : 0;
}

const char* backend_last_exit(const struct backend* b) {
  return b->last_exit_text[0] ? b->last_exit_text : NULL;
}

const struct server_config* backend_config(const struct backend* b) {
  return b->sc;
}

long backend_pid(const struct backend* b) {
  return bk_pid(b);
}

uint64_t backend_generation(const struct backend* b) {
  return b->generation;
}

unsigned backend_restart_count(const struct backend* b) {
  return b->restarts;
}

unsigned backend_crash_count(const struct backend* b) {
  return b->crash_total;
}

const char* backend_name(const struct backend* b) {
  return bk_display_name(b);
}

const cJSON* backend_list_meta(const struct backend* b,
                               enum backend_list kind) {
  return (unsigned)kind < BACKEND_LIST_KINDS ? b->list_meta[kind] : NULL;
}

const cJSON* backend_init_result(const struct backend* b) {
  return b->init_result;
}

bool backend_has_capability(const struct backend* b,
                            const char* cap,
                            const char* sub) {
  if (!bk_has_capability(b, cap))
    return false;
  if (sub == NULL)
    return true;
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(b->init_result, "capabilities");
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(caps, cap), sub);
  return cJSON_IsTrue(v) || cJSON_IsObject(v);
}

void backend_set_queue_timeout(struct backend* b, unsigned ms) {
  b->queue_timeout_ms = ms;
}
