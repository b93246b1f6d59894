/* control.c - see control.h and docs/control-protocol.md. */
#include "core/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/control_proto.h"
#include "core/framer.h"
#include "core/log.h"
#include "core/util.h"

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
  char* request;  /* bodies: only while a dashboard was attached */
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

static void ctl_on_log(void* ctx, enum log_level level, const char* name,
                       bool from_server, const char* text);

static uint64_t ctl_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- clients: writing ---------------------------------------------------- */

static void ctl_client_closed(uv_handle_t* h) {
  struct ctl_client* cl = h->data;
  struct control* c = cl->c;
  framer_free(&cl->in);
  free(cl);
  if (--c->open_handles == 0 && c->closing)
    free(c);
}

/* Lose a client: unlink it now, free it after its handle closed. */
static void ctl_drop(struct ctl_client* cl, const char* why) {
  struct control* c = cl->c;
  if (uv_is_closing((uv_handle_t*)&cl->pipe))
    return;
  for (struct ctl_client** pp = &c->clients; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == cl) {
      *pp = cl->next;
      break;
    }
  }
  if (cl->subscribed && c->nsubscribed > 0)
    c->nsubscribed--;
  c->obs.body_max = c->nsubscribed > 0 ? CONTROL_TRAFFIC_BODY_MAX : 0;
  if (why != NULL)
    log_msg(LL_VERBOSE, NULL, 0, "Control client dropped: %s", why);
  uv_close((uv_handle_t*)&cl->pipe, ctl_client_closed);
}

static void ctl_write_done(uv_write_t* w, int status) {
  struct ctl_write* cw = (struct ctl_write*)w;
  if (--cw->buf->refs == 0)
    free(cw->buf);
  free(cw);
  (void)status; /* a failed write shows up as a read error/EOF too */
}

static struct ctl_buf* ctl_buf_of(const cJSON* obj) {
  char* text = cJSON_PrintUnformatted(obj);
  size_t len = strlen(text);
  struct ctl_buf* b = xmalloc(sizeof(*b) + len + 1);
  b->refs = 1; /* the caller's */
  b->len = len + 1;
  memcpy(b->data, text, len);
  b->data[len] = '\n';
  free(text);
  return b;
}

static void ctl_buf_unref(struct ctl_buf* b) {
  if (--b->refs == 0)
    free(b);
}

static void ctl_write_buf(struct ctl_client* cl, struct ctl_buf* b) {
  if (b->len > CONTROL_SERVER_LINE_MAX || cl->closing ||
      uv_is_closing((uv_handle_t*)&cl->pipe))
    return;
  size_t queued = uv_stream_get_write_queue_size((uv_stream_t*)&cl->pipe);
  if (queued + b->len > CONTROL_CLIENT_OUTPUT_MAX) {
    ctl_drop(cl, "it stopped reading (output limit reached)");
    return;
  }
  struct ctl_write* cw = xmalloc(sizeof(*cw));
  cw->buf = b;
  b->refs++;
  uv_buf_t ub = uv_buf_init(b->data, (unsigned)b->len);
  if (uv_write(&cw->w, (uv_stream_t*)&cl->pipe, &ub, 1, ctl_write_done) != 0) {
    b->refs--;
    free(cw);
    ctl_drop(cl, "write failed");
  }
}

/* Takes obj. */
static void ctl_send(struct ctl_client* cl, cJSON* obj) {
  struct ctl_buf* b = ctl_buf_of(obj);
  cJSON_Delete(obj);
  ctl_write_buf(cl, b);
  ctl_buf_unref(b);
}

/* Send an event to every subscribed client. Takes obj. */
static void ctl_broadcast(struct control* c, cJSON* obj) {
  if (c->nsubscribed == 0) {
    cJSON_Delete(obj);
    return;
  }
  struct ctl_buf* b = ctl_buf_of(obj);
  cJSON_Delete(obj);
  struct ctl_client* next;
  for (struct ctl_client* cl = c->clients; cl != NULL; cl = next) {
    next = cl->next;
    if (cl->subscribed)
      ctl_write_buf(cl, b);
  }
  ctl_buf_unref(b);
}

/* ---- the model: backends, rings ------------------------------------------ */

static struct ctl_backend* ctl_find(struct control* c, const struct backend* b) {
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next)
    if (cb->b == b)
      return cb;
  return NULL;
}

static struct ctl_backend* ctl_find_name(struct control* c, const char* name) {
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

static void ctl_backend_free(struct ctl_backend* cb) {
  for (int i = 0; i < CONTROL_LOG_RING; i++)
    free(cb->log[i].text);
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
  int start = (cb->log_next - cb->log_count + CONTROL_LOG_RING) %
              CONTROL_LOG_RING;
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

static cJSON* ctl_snapshot(struct control* c) {
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

static void ctl_obs_state(struct backend* b, void* ctx) {
  struct control* c = ctx;
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "state");
  cJSON_AddStringToObject(o, "backend", backend_name(b));
  ctl_add_state(o, b);
  ctl_broadcast(c, o);
}

static void ctl_obs_tools(struct backend* b, void* ctx) {
  struct control* c = ctx;
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "tools");
  cJSON_AddStringToObject(o, "backend", backend_name(b));
  cJSON_AddItemToObject(o, "tools", ctl_tools_json(b));
  ctl_broadcast(c, o);
}

static char* ctl_cut(const char* text, size_t max) {
  size_t n = strlen(text);
  return xstrndup(text, n < max ? n : max);
}

static void ctl_obs_traffic(struct backend* b, void* ctx,
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
    char* resp = cJSON_PrintUnformatted(t->response);
    e->response = ctl_cut(resp, CONTROL_TRAFFIC_BODY_MAX);
    free(resp);
  }
  ctl_broadcast(c, ctl_traffic_json(backend_name(b), e));
}

static void ctl_on_log(void* ctx, enum log_level level, const char* name,
                       bool from_server, const char* text) {
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
  while (*pp != NULL)
    pp = &(*pp)->next;
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
  for (struct ctl_backend** pp = &c->backends; *pp != NULL;
       pp = &(*pp)->next) {
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

void control_list_changed(struct control* c, struct backend* b,
                          bool relisted) {
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

/* ---- commands ------------------------------------------------------------ */

static cJSON* ctl_reply(const char* type, const cJSON* id) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  if (id != NULL)
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
  return o;
}

static void ctl_error(struct ctl_client* cl, const cJSON* id,
                      const char* message) {
  cJSON* o = ctl_reply("error", id);
  cJSON_AddStringToObject(o, "message", message);
  ctl_send(cl, o);
}

static void ctl_cmd_restart(struct ctl_client* cl, const cJSON* cmd,
                            const cJSON* id) {
  struct control* c = cl->c;
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(cmd, "backend");
  cJSON* o = ctl_reply("result", id);
  if (name != NULL && !cJSON_IsNull(name)) {
    struct ctl_backend* cb =
        cJSON_IsString(name) ? ctl_find_name(c, name->valuestring) : NULL;
    if (cb == NULL) {
      cJSON_AddFalseToObject(o, "ok");
      char msg[300];
      snprintf(msg, sizeof(msg), "no backend named '%s'",
               cJSON_IsString(name) ? name->valuestring : "?");
      cJSON_AddStringToObject(o, "error", msg);
      cJSON* names = cJSON_AddArrayToObject(o, "backends");
      for (cb = c->backends; cb != NULL; cb = cb->next)
        cJSON_AddItemToArray(names, cJSON_CreateString(backend_name(cb->b)));
      ctl_send(cl, o);
      return;
    }
    cJSON_AddTrueToObject(o, "ok");
    ctl_send(cl, o);
    backend_restart(cb->b, "requested on the control socket");
    return;
  }
  cJSON_AddTrueToObject(o, "ok");
  ctl_send(cl, o);
  for (struct ctl_backend* cb = c->backends; cb != NULL; cb = cb->next)
    backend_restart(cb->b, "requested on the control socket");
}

static void ctl_cmd_traffic(struct ctl_client* cl, const cJSON* cmd,
                            const cJSON* id) {
  const cJSON* seq = cJSON_GetObjectItemCaseSensitive(cmd, "seq");
  if (!cJSON_IsNumber(seq)) {
    ctl_error(cl, id, "traffic needs a numeric 'seq'");
    return;
  }
  for (struct ctl_backend* cb = cl->c->backends; cb != NULL; cb = cb->next) {
    for (int i = 0; i < cb->tr_count; i++) {
      const struct ctl_traffic* t = &cb->traffic[i];
      if ((double)t->seq != seq->valuedouble)
        continue;
      cJSON* o = ctl_reply("traffic_detail", id);
      cJSON_AddNumberToObject(o, "seq", (double)t->seq);
      cJSON_AddStringToObject(o, "backend", backend_name(cb->b));
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
      if (t->request == NULL && t->response == NULL)
        cJSON_AddStringToObject(o, "note",
                                "bodies are kept only while a dashboard is "
                                "attached");
      ctl_send(cl, o);
      return;
    }
  }
  ctl_error(cl, id, "no such traffic entry (it left the ring)");
}

static void ctl_on_line(void* ctx, char* line, size_t len) {
  struct ctl_client* cl = ctx;
  cJSON* cmd = cJSON_ParseWithLength(line, len);
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(cmd, "cmd");
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(cmd, "id");
  if (!cJSON_IsObject(cmd) || !cJSON_IsString(name)) {
    ctl_error(cl, cJSON_IsObject(cmd) ? id : NULL,
              "expected a JSON object with a string \"cmd\"");
  } else if (strcmp(name->valuestring, "snapshot") == 0) {
    cJSON* snap = ctl_snapshot(cl->c);
    if (id != NULL)
      cJSON_AddItemToObject(snap, "id", cJSON_Duplicate(id, 1));
    ctl_send(cl, snap);
  } else if (strcmp(name->valuestring, "subscribe") == 0) {
    cJSON* snap = ctl_snapshot(cl->c);
    if (id != NULL)
      cJSON_AddItemToObject(snap, "id", cJSON_Duplicate(id, 1));
    ctl_send(cl, snap);
    if (!cl->subscribed) {
      cl->subscribed = true;
      cl->c->nsubscribed++;
      cl->c->obs.body_max = CONTROL_TRAFFIC_BODY_MAX;
    }
  } else if (strcmp(name->valuestring, "restart") == 0) {
    ctl_cmd_restart(cl, cmd, id);
  } else if (strcmp(name->valuestring, "traffic") == 0) {
    ctl_cmd_traffic(cl, cmd, id);
  } else {
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command '%.60s'", name->valuestring);
    ctl_error(cl, id, msg);
  }
  cJSON_Delete(cmd);
}

static void ctl_drop_after_flush(struct ctl_client* cl, const char* why);

/* An over-long command: say so, then close the connection. */
static void ctl_on_oversize(void* ctx, size_t total, const char* head,
                            size_t headlen) {
  struct ctl_client* cl = ctx;
  (void)head;
  (void)headlen;
  if (cl->closing)
    return;
  char msg[128];
  snprintf(msg, sizeof(msg), "command of %zu bytes is over the %u-byte limit",
           total, CONTROL_CLIENT_LINE_MAX);
  ctl_error(cl, NULL, msg);
  ctl_drop_after_flush(cl, "it sent an over-long command");
}

static void ctl_flushed(uv_shutdown_t* req, int status) {
  struct ctl_client* cl = req->data;
  (void)status;
  free(req);
  ctl_drop(cl, cl->drop_why);
}

/* Stop reading, let what is queued reach the client, then drop it. */
static void ctl_drop_after_flush(struct ctl_client* cl, const char* why) {
  cl->closing = true;
  cl->drop_why = why;
  uv_read_stop((uv_stream_t*)&cl->pipe);
  uv_shutdown_t* req = xmalloc(sizeof(*req));
  req->data = cl;
  if (uv_shutdown(req, (uv_stream_t*)&cl->pipe, ctl_flushed) != 0) {
    free(req);
    ctl_drop(cl, why);
  }
}

static void ctl_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  static char slab[16384];
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void ctl_on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct ctl_client* cl = s->data;
  if (n > 0) {
    framer_push(&cl->in, buf->base, (size_t)n, ctl_on_line, ctl_on_oversize,
                cl);
    /* Do not wait for the end of an over-long line. */
    if (cl->in.skipping)
      ctl_on_oversize(cl, cl->in.skipped, NULL, 0);
  } else if (n < 0) {
    ctl_drop(cl, NULL);
  }
}

static void ctl_on_connection(uv_stream_t* server, int status) {
  struct control* c = server->data;
  if (status < 0 || c->closing)
    return;
  struct ctl_client* cl = xcalloc(1, sizeof(*cl));
  cl->c = c;
  uv_pipe_init(c->loop, &cl->pipe, 0);
  cl->pipe.data = cl;
  c->open_handles++;
  framer_init(&cl->in, CONTROL_CLIENT_LINE_MAX);
  cl->next = c->clients;
  c->clients = cl;
  if (uv_accept(server, (uv_stream_t*)&cl->pipe) != 0) {
    ctl_drop(cl, "accept failed");
    return;
  }
  uv_os_fd_t fd;
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (uv_fileno((uv_handle_t*)&cl->pipe, &fd) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.uid != getuid()) {
    ctl_error(cl, NULL, "permission denied: this mcpmon belongs to another "
                        "user");
    log_warn("Refused a control connection from uid %ld",
             len == sizeof(cred) ? (long)cred.uid : -1L);
    ctl_drop(cl, NULL);
    return;
  }
  cJSON* hello = cJSON_CreateObject();
  cJSON_AddStringToObject(hello, "type", "hello");
  cJSON_AddNumberToObject(hello, "mcpmon", CONTROL_PROTOCOL_VERSION);
  cJSON_AddStringToObject(hello, "version", MCPMON_VERSION);
  cJSON_AddNumberToObject(hello, "pid", (double)getpid());
  ctl_send(cl, hello);
  uv_read_start((uv_stream_t*)&cl->pipe, ctl_alloc, ctl_on_read);
}

/* ---- the socket ------------------------------------------------------------ */

/* mkdir -p with mode 0700 for what it creates. */
static int ctl_mkdirs(const char* dir) {
  char tmp[512];
  snprintf(tmp, sizeof(tmp), "%s", dir);
  for (char* p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* Replace a stale socket; refuse to take over a live one. */
static int ctl_clear_path(const char* path, char* err, size_t errlen) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0;
  if (!S_ISSOCK(st.st_mode)) {
    snprintf(err, errlen, "'%s' exists and is not a socket", path);
    return UV_EEXIST;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  bool live = fd >= 0 && connect(fd, (struct sockaddr*)&sa, sizeof(sa)) == 0;
  if (fd >= 0)
    close(fd);
  if (live) {
    snprintf(err, errlen, "another mcpmon is serving '%s'", path);
    return UV_EADDRINUSE;
  }
  unlink(path);
  return 0;
}

int control_start(uv_loop_t* loop,
                  const char* path,
                  const struct control_info* info,
                  struct control** out,
                  char* err,
                  size_t errlen) {
  char def[512];
  if (path == NULL) {
    if (control_default_path((long)getpid(), def, sizeof(def)) != 0) {
      snprintf(err, errlen, "the default socket path is too long");
      return UV_ENAMETOOLONG;
    }
    path = def;
  }
  if (strlen(path) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    snprintf(err, errlen, "socket path '%s' is too long (max %zu bytes)", path,
             sizeof(((struct sockaddr_un*)0)->sun_path) - 1);
    return UV_ENAMETOOLONG;
  }
  char dir[512];
  snprintf(dir, sizeof(dir), "%s", path);
  char* slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    int rc = ctl_mkdirs(dir);
    struct stat st;
    if (rc != 0 || stat(dir, &st) != 0) {
      snprintf(err, errlen, "cannot create '%s': %s", dir,
               strerror(rc ? -rc : errno));
      return rc ? rc : -errno;
    }
    if (st.st_uid != getuid()) {
      snprintf(err, errlen, "'%s' belongs to another user", dir);
      return UV_EACCES;
    }
  }
  int rc = ctl_clear_path(path, err, errlen);
  if (rc != 0)
    return rc;

  struct control* c = xcalloc(1, sizeof(*c));
  c->loop = loop;
  c->path = xstrdup(path);
  c->mode = xstrdup(info->mode);
  c->command = info->command ? xstrdup(info->command) : NULL;
  c->config = info->config ? xstrdup(info->config) : NULL;
  c->started = ctl_wall_ms();
  c->obs.on_state = ctl_obs_state;
  c->obs.on_tools = ctl_obs_tools;
  c->obs.on_traffic = ctl_obs_traffic;
  uv_pipe_init(loop, &c->server, 0);
  c->server.data = c;
  c->open_handles = 1;
  mode_t old = umask(0177); /* the socket is born 0600 */
  rc = uv_pipe_bind(&c->server, path);
  umask(old);
  if (rc == 0) {
    chmod(path, 0600);
    rc = uv_listen((uv_stream_t*)&c->server, 16, ctl_on_connection);
  }
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen on '%s': %s", path, uv_strerror(rc));
    control_close(c); /* frees c once its handle has closed */
    return rc;
  }
  log_set_hook(ctl_on_log, c);
  *out = c;
  return 0;
}

const char* control_path(const struct control* c) {
  return c->path;
}

static void ctl_server_closed(uv_handle_t* h) {
  struct control* c = h->data;
  if (--c->open_handles == 0)
    free(c);
}

void control_close(struct control* c) {
  if (c == NULL || c->closing)
    return;
  log_set_hook(NULL, NULL);
  unlink(c->path);
  while (c->clients != NULL)
    ctl_drop(c->clients, NULL);
  c->closing = true;
  while (c->backends != NULL) {
    struct ctl_backend* cb = c->backends;
    c->backends = cb->next;
    backend_set_observer(cb->b, NULL, NULL);
    ctl_backend_free(cb);
  }
  free(c->path);
  free(c->mode);
  free(c->command);
  free(c->config);
  uv_close((uv_handle_t*)&c->server, ctl_server_closed);
}
