/* control_json.c - see control_json.h. */
#include "core/control/control_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

char* ctl_json_print(const cJSON* o, size_t* len) {
  char* text = cJSON_PrintUnformatted(o);
  if (text == NULL) {
    /* cJSON fails only when an allocation does: util.h's policy. */
    fprintf(stderr, "mcpmon: out of memory (printing a control message)\n");
    abort();
  }
  *len = strlen(text);
  return text;
}

/* ---- pieces -------------------------------------------------------------- */

static cJSON* ctl_json_log(const char* name, const struct ctl_log_entry* l) {
  cJSON* o = cJSON_CreateObject();
  if (name != NULL)
    cJSON_AddStringToObject(o, "backend", name);
  else
    cJSON_AddNullToObject(o, "backend");
  cJSON_AddNumberToObject(o, "t", (double)l->t);
  cJSON_AddStringToObject(o, "level", log_level_name(l->level));
  static const char* const sources[] = {"mcpmon", "stderr", "server"};
  cJSON_AddStringToObject(
      o, "source",
      sources[l->source <= CTL_LOG_SERVER ? l->source : CTL_LOG_MCPMON]);
  cJSON_AddStringToObject(o, "text", l->text);
  return o;
}

static cJSON* ctl_json_event(const struct ctl_event* e) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "t", (double)e->t);
  cJSON_AddStringToObject(o, "level", log_level_name(e->level));
  if (e->backend != NULL)
    cJSON_AddStringToObject(o, "backend", e->backend);
  else
    cJSON_AddNullToObject(o, "backend");
  cJSON_AddStringToObject(o, "text", e->text);
  return o;
}

static cJSON* ctl_json_traffic(const char* name,
                               const struct ctl_traffic_entry* t) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "traffic");
  if (name != NULL)
    cJSON_AddStringToObject(o, "backend", name);
  else
    cJSON_AddNullToObject(o, "backend");
  cJSON_AddNumberToObject(o, "seq", (double)t->seq);
  cJSON_AddNumberToObject(o, "t", (double)t->t);
  cJSON_AddStringToObject(o, "method", t->method);
  if (t->tool != NULL)
    cJSON_AddStringToObject(o, "tool", t->tool);
  /* Issue 15: in flight until an event with the same seq ends it. */
  cJSON_AddBoolToObject(o, "running", t->running);
  cJSON_AddStringToObject(o, "direction", t->from_server ? "server" : "client");
  cJSON_AddNumberToObject(o, "ms", (double)((long long)(t->ms * 100)) / 100);
  cJSON_AddBoolToObject(o, "ok", t->ok);
  if (t->error != NULL)
    cJSON_AddStringToObject(o, "error", t->error);
  return o;
}

static cJSON* ctl_json_tool(const cJSON* t) {
  cJSON* o = cJSON_CreateObject();
  const cJSON* n = cJSON_GetObjectItemCaseSensitive(t, "name");
  const cJSON* d = cJSON_GetObjectItemCaseSensitive(t, "description");
  cJSON_AddStringToObject(o, "name", cJSON_IsString(n) ? n->valuestring : "");
  if (cJSON_IsString(d))
    cJSON_AddStringToObject(o, "description", d->valuestring);
  return o;
}

/* Fields shared by the snapshot and state events. */
static void ctl_json_add_state(cJSON* o, const struct backend* b) {
  cJSON_AddStringToObject(o, "state", backend_state_name(backend_state(b)));
  long pid = backend_pid(b);
  if (pid > 0)
    cJSON_AddNumberToObject(o, "pid", (double)pid);
  else
    cJSON_AddNullToObject(o, "pid");
  cJSON_AddNumberToObject(o, "restarts", backend_restart_count(b));
  cJSON_AddNumberToObject(o, "crashes", backend_crash_count(b));
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
  /* Issue 14: how the last reload attempt went. */
  const char *outcome, *message;
  uint64_t at;
  if (backend_last_reload(b, &outcome, &message, &at)) {
    cJSON* r = cJSON_AddObjectToObject(o, "lastReload");
    cJSON_AddStringToObject(r, "outcome", outcome);
    cJSON_AddStringToObject(r, "message", message);
    cJSON_AddNumberToObject(r, "at", (double)at);
  } else {
    cJSON_AddNullToObject(o, "lastReload");
  }
  /* Issue 15: an overlap reload in progress (the state stays ready). */
  const char* phase = backend_reloading(b);
  if (phase != NULL)
    cJSON_AddStringToObject(o, "reloading", phase);
  else
    cJSON_AddNullToObject(o, "reloading");
}

static cJSON* ctl_json_list_changed(const struct ctl_backend* cb) {
  if (!cb->lc_have)
    return cJSON_CreateNull();
  cJSON* o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "sent", (double)cb->lc_sent);
  cJSON_AddBoolToObject(o, "relisted", cb->lc_relisted);
  return o;
}

/* ---- small messages ------------------------------------------------------ */

cJSON* ctl_json_state_event(const struct ctl_backend* cb) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "state");
  cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
  ctl_json_add_state(o, cb->b);
  return o;
}

cJSON* ctl_json_log_event(const struct ctl_backend* cb,
                          const struct ctl_log_entry* l) {
  cJSON* o = ctl_json_log(cb ? backend_name(cb->b) : NULL, l);
  cJSON_AddStringToObject(o, "type", "log");
  return o;
}

cJSON* ctl_json_traffic_event(const struct ctl_backend* cb,
                              const struct ctl_traffic_entry* t) {
  return ctl_json_traffic(cb != NULL ? backend_name(cb->b) : NULL, t);
}

cJSON* ctl_json_list_changed_event(const struct ctl_backend* cb) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "list_changed");
  cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
  cJSON_AddNumberToObject(o, "sent", (double)cb->lc_sent);
  cJSON_AddBoolToObject(o, "relisted", cb->lc_relisted);
  return o;
}

cJSON* ctl_json_backend_removed_event(const char* name) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "backend_removed");
  cJSON_AddStringToObject(o, "backend", name);
  return o;
}

cJSON* ctl_json_traffic_detail(const struct ctl_backend* cb,
                               const struct ctl_traffic_entry* t,
                               const cJSON* id) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "traffic_detail");
  if (id != NULL)
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
  cJSON_AddNumberToObject(o, "seq", (double)t->seq);
  if (cb != NULL)
    cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
  else
    cJSON_AddNullToObject(o, "backend");
  if (t->running)
    cJSON_AddTrueToObject(o, "running");
  const char* bodies[2] = {t->request, t->response};
  const char* keys[2] = {"request", "response"};
  bool truncated = false;
  for (int k = 0; k < 2; k++) {
    cJSON* parsed = bodies[k] ? cJSON_Parse(bodies[k]) : NULL;
    if (parsed != NULL) {
      cJSON_AddItemToObject(o, keys[k], parsed);
    } else if (bodies[k] != NULL) {
      cJSON_AddStringToObject(o, keys[k], bodies[k]);
      truncated = true;
    } else {
      cJSON_AddNullToObject(o, keys[k]);
    }
  }
  if (truncated)
    cJSON_AddTrueToObject(o, "truncated");
  if (t->running)
    cJSON_AddStringToObject(o, "note", "no answer yet");
  else if (t->request == NULL && t->response == NULL)
    cJSON_AddStringToObject(o, "note", "no bodies were recorded for it");
  return o;
}

/* ---- messages cut to fit ------------------------------------------------- */

enum { CTL_TOOLS, CTL_LOG, CTL_TRAFFIC, CTL_LISTS };

static const char* const ctl_omitted_key[CTL_LISTS] = {
    "toolsOmitted", "logOmitted", "trafficOmitted"};

/* Room kept per list for its "...Omitted" member: a comma, the key in
 * quotes, a colon and a number as cJSON prints it (at most 24 bytes). */
#define CTL_OMITTED_RESERVE 48u

/* The entries one list of one backend could hold, each printed once to
 * know its size, and which of them go in: [from, from + count). */
struct ctl_list {
  cJSON* arr; /* the empty array in the message (borrowed); NULL: this
                 message has no such list */
  cJSON** item;
  size_t* size;
  size_t n;
  size_t from;
  size_t count;
};

/* One backend's lists in a message being fitted. */
struct ctl_fit {
  const struct ctl_backend* cb;
  cJSON* obj; /* where the Omitted members go (borrowed) */
  struct ctl_list list[CTL_LISTS];
};

static void ctl_list_push(struct ctl_list* l, cJSON* item) {
  l->item = xrealloc(l->item, (l->n + 1) * sizeof(*l->item));
  l->size = xrealloc(l->size, (l->n + 1) * sizeof(*l->size));
  char* text = ctl_json_print(item, &l->size[l->n]);
  free(text);
  l->item[l->n++] = item;
}

/* Printed size of entries [from, from + count) in an array: the entries
 * and the commas between them. */
static size_t ctl_list_bytes(const struct ctl_list* l,
                             size_t from,
                             size_t count) {
  size_t sum = count > 0 ? count - 1 : 0;
  for (size_t i = from; i < from + count; i++) sum += l->size[i];
  return sum;
}

/* Choose the entries that fit in grant bytes: the newest ones (a suffix)
 * or the first ones (a prefix). Returns the bytes they take. */
static size_t ctl_list_choose(struct ctl_list* l, size_t grant, bool newest) {
  size_t used = 0;
  size_t count = 0;
  while (count < l->n) {
    size_t i = newest ? l->n - 1 - count : count;
    size_t cost = l->size[i] + (count > 0 ? 1 : 0);
    if (used + cost > grant)
      break;
    used += cost;
    count++;
  }
  l->count = count;
  l->from = newest ? l->n - count : 0;
  return used;
}

/* Fill fit's lists from its backend, for those that have an array. */
static void ctl_fit_collect(struct ctl_fit* f) {
  const struct ctl_backend* cb = f->cb;
  const char* name = backend_name(cb->b);
  if (f->list[CTL_TOOLS].arr != NULL) {
    const cJSON* t;
    cJSON_ArrayForEach(t, backend_tools(cb->b)) {
      ctl_list_push(&f->list[CTL_TOOLS], ctl_json_tool(t));
    }
  }
  if (f->list[CTL_LOG].arr != NULL) {
    size_t n = ctl_rings_log_count(&cb->rings);
    for (size_t i = 0; i < n; i++) {
      cJSON* e = ctl_json_log(NULL, ctl_rings_log_at(&cb->rings, i));
      cJSON_DeleteItemFromObjectCaseSensitive(e, "backend");
      ctl_list_push(&f->list[CTL_LOG], e);
    }
  }
  if (f->list[CTL_TRAFFIC].arr != NULL) {
    size_t n = ctl_rings_traffic_count(&cb->rings);
    for (size_t i = 0; i < n; i++)
      ctl_list_push(
          &f->list[CTL_TRAFFIC],
          ctl_json_traffic(name, ctl_rings_traffic_at(&cb->rings, i)));
  }
}

/* Move the chosen entries into their arrays, free the others, and say how
 * many were left out. */
static void ctl_fit_apply(struct ctl_fit* f) {
  for (int k = 0; k < CTL_LISTS; k++) {
    struct ctl_list* l = &f->list[k];
    for (size_t i = 0; i < l->n; i++) {
      if (i >= l->from && i < l->from + l->count)
        cJSON_AddItemToArray(l->arr, l->item[i]);
      else
        cJSON_Delete(l->item[i]);
    }
    if (l->arr != NULL && l->count < l->n)
      cJSON_AddNumberToObject(f->obj, ctl_omitted_key[k],
                              (double)(l->n - l->count));
    free(l->item);
    free(l->size);
    memset(l, 0, sizeof(*l));
  }
}

/* Print root (whose lists in fits are still empty) with as many entries
 * as fit in max bytes. Takes root and the entries; see control_json.h. */
static char* ctl_fit_print(cJSON* root,
                           struct ctl_fit* fits,
                           size_t n,
                           size_t max,
                           size_t* len,
                           char* err,
                           size_t errlen) {
  size_t base;
  char* text = ctl_json_print(root, &base);
  free(text);
  size_t reserve = n * CTL_LISTS * CTL_OMITTED_RESERVE;
  if (base + reserve > max) {
    snprintf(err, errlen,
             "%zu bytes without any tool, log line or traffic entry, over "
             "the %zu-byte line limit",
             base, max);
    for (size_t i = 0; i < n; i++) ctl_fit_apply(&fits[i]);
    cJSON_Delete(root);
    return NULL;
  }
  size_t avail = max - base - reserve;
  for (size_t i = 0; i < n; i++) ctl_fit_collect(&fits[i]);

  /* Tools first (they are the backend's state, the rest is history),
   * then log and traffic, each level shared fairly among backends. */
  size_t* need = xcalloc(n ? n : 1, sizeof(*need));
  size_t* grant = xcalloc(n ? n : 1, sizeof(*grant));
  for (size_t i = 0; i < n; i++) {
    struct ctl_list* l = &fits[i].list[CTL_TOOLS];
    need[i] = ctl_list_bytes(l, 0, l->n);
  }
  ctl_rings_share(need, n, avail, grant);
  for (size_t i = 0; i < n; i++)
    avail -= ctl_list_choose(&fits[i].list[CTL_TOOLS], grant[i], false);
  for (size_t i = 0; i < n; i++) {
    struct ctl_list* lg = &fits[i].list[CTL_LOG];
    struct ctl_list* tr = &fits[i].list[CTL_TRAFFIC];
    need[i] = ctl_list_bytes(lg, 0, lg->n) + ctl_list_bytes(tr, 0, tr->n);
  }
  ctl_rings_share(need, n, avail, grant);
  for (size_t i = 0; i < n; i++) {
    struct ctl_list* lg = &fits[i].list[CTL_LOG];
    struct ctl_list* tr = &fits[i].list[CTL_TRAFFIC];
    size_t two[2] = {ctl_list_bytes(lg, 0, lg->n),
                     ctl_list_bytes(tr, 0, tr->n)};
    size_t split[2];
    ctl_rings_share(two, 2, grant[i], split);
    ctl_list_choose(lg, split[0], true);
    ctl_list_choose(tr, split[1], true);
  }
  free(need);
  free(grant);
  for (size_t i = 0; i < n; i++) ctl_fit_apply(&fits[i]);
  text = ctl_json_print(root, len);
  cJSON_Delete(root);
  if (*len > max) { /* a broken invariant of the arithmetic above */
    snprintf(err, errlen, "%zu bytes, over the %zu-byte line limit", *len, max);
    free(text);
    return NULL;
  }
  return text;
}

/* Issue 15: mcpmon's own events, the newest that fit in
 * CONTROL_EVENTS_SNAPSHOT_MAX bytes, oldest first; eventsOmitted says how
 * many older ones were left out. Part of the message's base size, so the
 * fitting below makes room for them. */
static void ctl_json_add_events(cJSON* o, const struct ctl_events* ev) {
  size_t n = ctl_events_count(ev);
  size_t used = 0, from = n;
  while (from > 0) {
    const struct ctl_event* e = ctl_events_at(ev, from - 1);
    cJSON* item = ctl_json_event(e);
    size_t sz;
    free(ctl_json_print(item, &sz));
    cJSON_Delete(item);
    if (used + sz + 1 > CONTROL_EVENTS_SNAPSHOT_MAX)
      break;
    used += sz + 1;
    from--;
  }
  cJSON* arr = cJSON_AddArrayToObject(o, "events");
  for (size_t i = from; i < n; i++)
    cJSON_AddItemToArray(arr, ctl_json_event(ctl_events_at(ev, i)));
  if (from > 0)
    cJSON_AddNumberToObject(o, "eventsOmitted", (double)from);
}

/* Issue 15: the traffic of no backend (what a gateway answers itself:
 * merged lists, mcpmon's own tools, unknown names), newest kept within
 * CONTROL_EVENTS_SNAPSHOT_MAX bytes, oldest first, "backend": null. Part
 * of the base size, as the events are. */
static void ctl_json_add_gateway_traffic(cJSON* o, const struct ctl_rings* r) {
  size_t n = ctl_rings_traffic_count(r);
  size_t used = 0, from = n;
  while (from > 0) {
    cJSON* item = ctl_json_traffic(NULL, ctl_rings_traffic_at(r, from - 1));
    size_t sz;
    free(ctl_json_print(item, &sz));
    cJSON_Delete(item);
    if (used + sz + 1 > CONTROL_EVENTS_SNAPSHOT_MAX)
      break;
    used += sz + 1;
    from--;
  }
  cJSON* arr = cJSON_AddArrayToObject(o, "traffic");
  for (size_t i = from; i < n; i++)
    cJSON_AddItemToArray(arr,
                         ctl_json_traffic(NULL, ctl_rings_traffic_at(r, i)));
  if (from > 0)
    cJSON_AddNumberToObject(o, "trafficOmitted", (double)from);
}

/* A backend as the snapshot and backend_added show it, its lists empty
 * and registered in f. */
static cJSON* ctl_json_backend(const struct ctl_backend* cb,
                               struct ctl_fit* f) {
  const struct backend* b = cb->b;
  const struct server_config* sc = backend_config(b);
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", backend_name(b));
  ctl_json_add_state(o, b);
  char* cmd = server_config_command_line(sc);
  cJSON_AddStringToObject(o, "command", cmd);
  free(cmd);
  cJSON* watch = cJSON_AddArrayToObject(o, "watch");
  for (size_t i = 0; i < sc->watch.n; i++)
    cJSON_AddItemToArray(watch, cJSON_CreateString(sc->watch.v[i]));
  memset(f, 0, sizeof(*f));
  f->cb = cb;
  f->obj = o;
  f->list[CTL_TOOLS].arr = cJSON_AddArrayToObject(o, "tools");
  f->list[CTL_LOG].arr = cJSON_AddArrayToObject(o, "log");
  f->list[CTL_TRAFFIC].arr = cJSON_AddArrayToObject(o, "traffic");
  cJSON_AddItemToObject(o, "listChanged", ctl_json_list_changed(cb));
  return o;
}

char* ctl_json_snapshot(const struct ctl_model* m,
                        const struct ctl_instance* inst,
                        const cJSON* id,
                        size_t max,
                        size_t* len,
                        char* err,
                        size_t errlen) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "snapshot");
  cJSON* in = cJSON_AddObjectToObject(o, "instance");
  cJSON_AddNumberToObject(in, "pid", (double)getpid());
  cJSON_AddStringToObject(in, "mode", inst->mode);
  cJSON_AddStringToObject(in, "version", MCPMON_VERSION);
  if (inst->command != NULL)
    cJSON_AddStringToObject(in, "command", inst->command);
  else
    cJSON_AddNullToObject(in, "command");
  if (inst->config != NULL)
    cJSON_AddStringToObject(in, "config", inst->config);
  else
    cJSON_AddNullToObject(in, "config");
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) != NULL)
    cJSON_AddStringToObject(in, "cwd", cwd);
  cJSON_AddNumberToObject(in, "started", (double)inst->started);
  cJSON_AddStringToObject(in, "socket", inst->socket);
  cJSON* arr = cJSON_AddArrayToObject(o, "backends");
  size_t n = 0;
  const struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) n++;
  struct ctl_fit* fits = xcalloc(n ? n : 1, sizeof(*fits));
  size_t i = 0;
  STAILQ_FOREACH(cb, &m->backends, link) {
    cJSON_AddItemToArray(arr, ctl_json_backend(cb, &fits[i++]));
  }
  ctl_json_add_events(o, &m->events);
  ctl_json_add_gateway_traffic(o, &m->none);
  if (id != NULL)
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
  char* text = ctl_fit_print(o, fits, n, max, len, err, errlen);
  free(fits);
  return text;
}

char* ctl_json_backend_added(const struct ctl_backend* cb,
                             size_t index,
                             size_t max,
                             size_t* len,
                             char* err,
                             size_t errlen) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "backend_added");
  struct ctl_fit f;
  cJSON_AddItemToObject(o, "backend", ctl_json_backend(cb, &f));
  /* Issue 15: its place in the config file's order. */
  cJSON_AddNumberToObject(o, "index", (double)index);
  return ctl_fit_print(o, &f, 1, max, len, err, errlen);
}

char* ctl_json_tools_event(const struct ctl_backend* cb,
                           size_t max,
                           size_t* len,
                           char* err,
                           size_t errlen) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "tools");
  cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
  struct ctl_fit f;
  memset(&f, 0, sizeof(f));
  f.cb = cb;
  f.obj = o;
  f.list[CTL_TOOLS].arr = cJSON_AddArrayToObject(o, "tools");
  return ctl_fit_print(o, &f, 1, max, len, err, errlen);
}
