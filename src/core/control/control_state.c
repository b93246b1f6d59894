/* control_state.c - what the control socket serves. See control_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/control/control_int.h"
#include "lib/util.h"

/* ---- the model: backends, rings ------------------------------------------ */

static struct ctl_backend* ctl_find(struct control* c,
                                    const struct backend* b) {
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next)
    if (cb->b == b)
      return cb;
  return NULL;
}

struct ctl_backend* ctl_find_name(struct control* c, const char* name) {
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next)
    if (strcmp(backend_name(cb->b), name) == 0)
      return cb;
  return NULL;
}

static void ctl_traffic_clear(struct ctl_traffic* t) {
  free(t->method);
  free(t->tool);
  free(t->error);
  free(t->request);
  free(t->response);
  memset(t, 0, sizeof(*t));
}

void ctl_backend_free(struct ctl_backend* cb) {
  for (int i = 0; i < CONTROL_LOG_RING; i++) free(cb->log[i].text);
  for (int i = 0; i < CONTROL_TRAFFIC_RING; i++)
    ctl_traffic_clear(&cb->traffic[i]);
  free(cb);
}

static cJSON* ctl_log_json(const char* name, const struct ctl_log* l) {
  cJSON* o = cJSON_CreateObject();
  if (name != NULL)
    cJSON_AddStringToObject(o, "backend", name);
  else
    cJSON_AddNullToObject(o, "backend");
  cJSON_AddNumberToObject(o, "t", (double)l->t);
  cJSON_AddStringToObject(o, "level", log_level_name(l->level));
  cJSON_AddStringToObject(o, "source", l->from_server ? "stderr" : "mcpmon");
  cJSON_AddStringToObject(o, "text", l->text);
  return o;
}

static cJSON* ctl_traffic_json(const char* name, const struct ctl_traffic* t) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "traffic");
  cJSON_AddStringToObject(o, "backend", name);
  cJSON_AddNumberToObject(o, "seq", (double)t->seq);
  cJSON_AddNumberToObject(o, "t", (double)t->t);
  cJSON_AddStringToObject(o, "method", t->method);
  if (t->tool != NULL)
    cJSON_AddStringToObject(o, "tool", t->tool);
  cJSON_AddNumberToObject(o, "ms", (double)((long long)(t->ms * 100)) / 100);
  cJSON_AddBoolToObject(o, "ok", t->ok);
  if (t->error != NULL)
    cJSON_AddStringToObject(o, "error", t->error);
  return o;
}

static cJSON* ctl_tools_json(const struct backend* b) {
  cJSON* arr = cJSON_CreateArray();
  const cJSON* t;
  cJSON_ArrayForEach(t, backend_tools(b)) {
    cJSON* o = cJSON_CreateObject();
    const cJSON* n = cJSON_GetObjectItemCaseSensitive(t, "name");
    const cJSON* d = cJSON_GetObjectItemCaseSensitive(t, "description");
    cJSON_AddStringToObject(o, "name", cJSON_IsString(n) ? n->valuestring : "");
    if (cJSON_IsString(d))
      cJSON_AddStringToObject(o, "description", d->valuestring);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

/* Fields shared by the snapshot and state events. */
static void ctl_add_state(cJSON* o, const struct backend* b) {
  cJSON_AddStringToObject(o, "state", backend_state_name(backend_state(b)));
  long pid = backend_pid(b);
  if (pid > 0)
    cJSON_AddNumberToObject(o, "pid", (double)pid);
  else
    cJSON_AddNullToObject(o, "pid");
  cJSON_AddNumberToObject(o, "restarts", backend_restart_count(b));
  uint64_t started = backend_started_at(b);
  if (started > 0)
    cJSON_AddNumberToObject(o, "started", (double)started);
  else
    cJSON_AddNullToObject(o, "started");
  const char* ex = backend_last_exit(b);
  if (ex != NULL)
    cJSON_AddStringToObject(o, "lastExit", ex);
  else
    cJSON_AddNullToObject(o, "lastExit");
}

static cJSON* ctl_list_changed_json(const struct ctl_backend* cb) {
  if (!cb->lc_have)
    return cJSON_CreateNull();
  cJSON* o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "sent", (double)cb->lc_sent);
  cJSON_AddBoolToObject(o, "relisted", cb->lc_relisted);
  return o;
}

static cJSON* ctl_backend_json(const struct ctl_backend* cb) {
  const struct backend* b = cb->b;
  const struct server_config* sc = backend_config(b);
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", backend_name(b));
  ctl_add_state(o, b);
  char* cmd = server_config_command_line(sc);
  cJSON_AddStringToObject(o, "command", cmd);
  free(cmd);
  cJSON* watch = cJSON_AddArrayToObject(o, "watch");
  for (size_t i = 0; i < sc->watch.n; i++)
    cJSON_AddItemToArray(watch, cJSON_CreateString(sc->watch.v[i]));
  cJSON_AddItemToObject(o, "tools", ctl_tools_json(b));
  cJSON* log = cJSON_AddArrayToObject(o, "log");
  int start =
      (cb->log_next - cb->log_count + CONTROL_LOG_RING) % CONTROL_LOG_RING;
  for (int i = 0; i < cb->log_count; i++) {
    const struct ctl_log* l = &cb->log[(start + i) % CONTROL_LOG_RING];
    cJSON* e = ctl_log_json(NULL, l);
    cJSON_DeleteItemFromObjectCaseSensitive(e, "backend");
    cJSON_AddItemToArray(log, e);
  }
  cJSON* tr = cJSON_AddArrayToObject(o, "traffic");
  start = (cb->tr_next - cb->tr_count + CONTROL_TRAFFIC_RING) %
          CONTROL_TRAFFIC_RING;
  for (int i = 0; i < cb->tr_count; i++)
    cJSON_AddItemToArray(
        tr, ctl_traffic_json(backend_name(b),
                             &cb->traffic[(start + i) % CONTROL_TRAFFIC_RING]));
  cJSON_AddItemToObject(o, "listChanged", ctl_list_changed_json(cb));
  return o;
}

cJSON* ctl_snapshot(struct control* c) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "snapshot");
  cJSON* in = cJSON_AddObjectToObject(o, "instance");
  cJSON_AddNumberToObject(in, "pid", (double)getpid());
  cJSON_AddStringToObject(in, "mode", c->mode);
  cJSON_AddStringToObject(in, "version", MCPMON_VERSION);
  if (c->command != NULL)
    cJSON_AddStringToObject(in, "command", c->command);
  else
    cJSON_AddNullToObject(in, "command");
  if (c->config != NULL)
    cJSON_AddStringToObject(in, "config", c->config);
  else
    cJSON_AddNullToObject(in, "config");
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) != NULL)
    cJSON_AddStringToObject(in, "cwd", cwd);
  cJSON_AddNumberToObject(in, "started", (double)c->started);
  cJSON_AddStringToObject(in, "socket", c->path);
  cJSON* arr = cJSON_AddArrayToObject(o, "backends");
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next)
    cJSON_AddItemToArray(arr, ctl_backend_json(cb));
  return o;
}

/* ---- events from backends and the log ------------------------------------ */

void ctl_obs_state(struct backend* b, void* ctx) {
  struct control* c = ctx;
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "state");
  cJSON_AddStringToObject(o, "backend", backend_name(b));
  ctl_add_state(o, b);
  ctl_broadcast(c, o);
}

void ctl_obs_tools(struct backend* b, void* ctx) {
  struct control* c = ctx;
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "tools");
  cJSON_AddStringToObject(o, "backend", backend_name(b));
  cJSON_AddItemToObject(o, "tools", ctl_tools_json(b));
  ctl_broadcast(c, o);
}

void ctl_obs_traffic(struct backend* b,
                     void* ctx,
                     const struct backend_traffic* t) {
  struct control* c = ctx;
  struct ctl_backend* cb = ctl_find(c, b);
  if (cb == NULL)
    return;
  struct ctl_traffic* e = &cb->traffic[cb->tr_next];
  ctl_traffic_clear(e);
  cb->tr_next = (cb->tr_next + 1) % CONTROL_TRAFFIC_RING;
  if (cb->tr_count < CONTROL_TRAFFIC_RING)
    cb->tr_count++;
  e->seq = ++c->traffic_seq;
  e->t = ctl_wall_ms();
  e->method = xstrdup(t->method);
  e->tool = t->tool ? xstrdup(t->tool) : NULL;
  e->ms = t->ms;
  e->ok = t->ok;
  e->error = t->error ? xstrdup(t->error) : NULL;
  if (c->nsubscribed > 0) {
    e->request = t->request ? xstrdup(t->request) : NULL;
    if (t->response != NULL)
      e->response =
          xstrndup(t->response, t->response_len < CONTROL_TRAFFIC_BODY_MAX
                                    ? t->response_len
                                    : CONTROL_TRAFFIC_BODY_MAX);
  }
  ctl_broadcast(c, ctl_traffic_json(backend_name(b), e));
}

void ctl_on_log(void* ctx,
                enum log_level level,
                const char* name,
                bool from_server,
                const char* text) {
  struct control* c = ctx;
  if (c->in_hook || c->closing)
    return;
  c->in_hook = true;
  struct ctl_backend* cb = NULL;
  if (name != NULL)
    cb = ctl_find_name(c, name);
  else if (strcmp(c->mode, "single") == 0)
    cb = c->backends;
  struct ctl_log l = {ctl_wall_ms(), level, from_server, (char*)text};
  if (cb != NULL) {
    struct ctl_log* slot = &cb->log[cb->log_next];
    free(slot->text);
    *slot = l;
    slot->text = xstrdup(text);
    cb->log_next = (cb->log_next + 1) % CONTROL_LOG_RING;
    if (cb->log_count < CONTROL_LOG_RING)
      cb->log_count++;
  }
  if (c->nsubscribed > 0) {
    cJSON* o = ctl_log_json(cb ? backend_name(cb->b) : NULL, &l);
    cJSON_AddStringToObject(o, "type", "log");
    ctl_broadcast(c, o);
  }
  c->in_hook = false;
}

void control_add_backend(struct control* c, struct backend* b) {
  struct ctl_backend* cb = xcalloc(1, sizeof(*cb));
  cb->b = b;
  struct ctl_backend** pp = &c->backends;
  while (*pp != NULL) pp = &(*pp)->next;
  *pp = cb;
  backend_set_observer(b, &c->obs, c);
  if (c->nsubscribed > 0) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "backend_added");
    cJSON_AddItemToObject(o, "backend", ctl_backend_json(cb));
    ctl_broadcast(c, o);
  }
}

void control_remove_backend(struct control* c, struct backend* b) {
  for (struct ctl_backend** pp = &c->backends; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->b != b)
      continue;
    struct ctl_backend* cb = *pp;
    *pp = cb->next;
    backend_set_observer(b, NULL, NULL);
    cJSON* o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "backend_removed");
    cJSON_AddStringToObject(o, "backend", backend_name(b));
    ctl_broadcast(c, o);
    ctl_backend_free(cb);
    return;
  }
}

void control_list_changed(struct control* c, struct backend* b, bool relisted) {
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next) {
    if (b != NULL && cb->b != b)
      continue;
    if (relisted && (!cb->lc_have || cb->lc_relisted))
      continue; /* nothing was pending */
    if (!relisted) {
      cb->lc_have = true;
      cb->lc_sent = ctl_wall_ms();
    }
    cb->lc_relisted = relisted;
    cJSON* o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "list_changed");
    cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
    cJSON_AddNumberToObject(o, "sent", (double)cb->lc_sent);
    cJSON_AddBoolToObject(o, "relisted", relisted);
    ctl_broadcast(c, o);
  }
}
