/* control.c - see control.h and docs/control-protocol.md.
 *
 * The top of the control socket: the listening socket, its clients and
 * their caps, the commands. What it serves comes from below, and calls
 * run one way:
 *   control.c -> control_json.c -> control_model.c -> control_rings.c
 * The model reports changes up through struct ctl_model_events (the
 * ctl_ev_* callbacks here); each builds its event only when a subscribed
 * client will receive it.
 */
#include "core/control/control.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/control/control_json.h"
#include "core/control/control_model.h"
#include "core/control/control_path.h"
#include "core/log.h"
#include "core/slab.h"
#include "lib/framer.h"
#include "lib/util.h"
#include "proto/control_dir.h"
#include "proto/control_proto.h"

struct ctl_client {
  struct control* c;
  uv_pipe_t pipe;
  struct framer in;
  bool subscribed;
  bool closing;         /* flushing before the drop */
  const char* drop_why; /* static text */
  TAILQ_ENTRY(ctl_client) link;
};

TAILQ_HEAD(ctl_client_list, ctl_client);

/* A line written to several clients, freed by its last write. */
struct ctl_buf {
  int refs;
  size_t len; /* with the '\n' */
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
  char* cwd; /* NULL when getcwd failed */
  uint64_t started;
  struct ctl_model model;
  struct ctl_client_list clients; /* connected, not yet dropped */
  size_t nsubscribed;
  bool closing;
  bool ending;      /* control_ending: said bye, rows stay as they were */
  int open_handles; /* the server and every client pipe not yet closed */
};

/* A client that reads must always be able to take one whole line on top of
 * what it was already sent (the hello before the snapshot). */
_Static_assert(CONTROL_CLIENT_OUTPUT_MAX >= 2 * (CONTROL_SERVER_LINE_MAX + 1),
               "the output cap must hold a full line and more");

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
  TAILQ_REMOVE(&c->clients, cl, link);
  if (cl->subscribed && c->nsubscribed > 0)
    c->nsubscribed--;
  uv_close((uv_handle_t*)&cl->pipe, ctl_client_closed);
  if (why != NULL)
    log_msg(LL_VERBOSE, NULL, 0, "Control client dropped: %s", why);
}

static void ctl_write_done(uv_write_t* w, int status) {
  struct ctl_write* cw = (struct ctl_write*)w;
  if (--cw->buf->refs == 0)
    free(cw->buf);
  free(cw);
  (void)status; /* a failed write shows up as a read error/EOF too */
}

/* A buffer holding text and a newline. Takes text (len bytes). */
static struct ctl_buf* ctl_buf_of(char* text, size_t len) {
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

/* Queue b for cl, or drop cl when it would hold more than
 * CONTROL_CLIENT_OUTPUT_MAX bytes. b is at most CONTROL_SERVER_LINE_MAX
 * bytes and a newline (the callers check), so a client that reads gets
 * any one line: hello and snapshot together are far below the cap. */
static void ctl_write_buf(struct ctl_client* cl, struct ctl_buf* b) {
  if (cl->closing || uv_is_closing((uv_handle_t*)&cl->pipe))
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

/* Send text (len bytes, no newline; taken) to one client. */
static void ctl_send_text(struct ctl_client* cl, char* text, size_t len) {
  struct ctl_buf* b = ctl_buf_of(text, len);
  ctl_write_buf(cl, b);
  ctl_buf_unref(b);
}

static cJSON* ctl_reply(const char* type, const cJSON* id) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  if (id != NULL)
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
  return o;
}

static void ctl_error(struct ctl_client* cl,
                      const cJSON* id,
                      const char* message);

/* Send an answer to the client that asked. Takes obj. An answer over the
 * line limit is logged and replaced by an error object, never dropped
 * silently; an error that does not fit either (its id is what is too
 * long) goes without the id. */
static void ctl_send(struct ctl_client* cl, cJSON* obj) {
  size_t len;
  char* text = ctl_json_print(obj, &len);
  if (len <= CONTROL_SERVER_LINE_MAX) {
    cJSON_Delete(obj);
    ctl_send_text(cl, text, len);
    return;
  }
  free(text);
  const char* type =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "type"));
  char msg[256];
  snprintf(msg, sizeof(msg),
           "%s answer of %zu bytes not sent: over the %u-byte line limit",
           type ? type : "an", len, CONTROL_SERVER_LINE_MAX);
  log_warn("Control: %s", msg);
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(obj, "id");
  bool is_error = type != NULL && strcmp(type, "error") == 0;
  ctl_error(cl, is_error ? NULL : id, msg);
  cJSON_Delete(obj);
}

static void ctl_error(struct ctl_client* cl,
                      const cJSON* id,
                      const char* message) {
  cJSON* o = ctl_reply("error", id);
  cJSON_AddStringToObject(o, "message", message);
  ctl_send(cl, o);
}

/* Send text (len bytes, no newline; taken) to every subscribed client. */
static void ctl_broadcast_text(struct control* c, char* text, size_t len) {
  if (len > CONTROL_SERVER_LINE_MAX) { /* the builders prevent it */
    log_warn(
        "Control: an event of %zu bytes not sent: over the %u-byte "
        "line limit",
        len, CONTROL_SERVER_LINE_MAX);
    free(text);
    return;
  }
  struct ctl_buf* b = ctl_buf_of(text, len);
  struct ctl_client* next;
  for (struct ctl_client* cl = TAILQ_FIRST(&c->clients); cl != NULL;
       cl = next) {
    next = TAILQ_NEXT(cl, link);
    if (cl->subscribed)
      ctl_write_buf(cl, b);
  }
  ctl_buf_unref(b);
}

/* Send an event to every subscribed client. Takes obj. */
static void ctl_broadcast(struct control* c, cJSON* obj) {
  size_t len;
  char* text = ctl_json_print(obj, &len);
  cJSON_Delete(obj);
  ctl_broadcast_text(c, text, len);
}

/* An event cut to fit by its builder (text NULL: even the smallest form
 * was over the limit, err says why). */
static void ctl_broadcast_fitted(struct control* c,
                                 const char* what,
                                 char* text,
                                 size_t len,
                                 const char* err) {
  if (text == NULL) {
    log_warn("Control: %s event not sent: %s", what, err);
    return;
  }
  ctl_broadcast_text(c, text, len);
}

/* ---- events from the model ------------------------------------------------
 * Each runs after the model recorded the change, and builds its event only
 * when a subscribed client will get it. */

static void ctl_ev_state(void* ctx, const struct ctl_backend* cb) {
  struct control* c = ctx;
  if (c->nsubscribed > 0)
    ctl_broadcast(c, ctl_json_state_event(cb));
}

static void ctl_ev_tools(void* ctx, const struct ctl_backend* cb) {
  struct control* c = ctx;
  if (c->nsubscribed == 0)
    return;
  char err[256];
  size_t len = 0;
  char* text =
      ctl_json_tools_event(cb, CONTROL_SERVER_LINE_MAX, &len, err, sizeof(err));
  ctl_broadcast_fitted(c, "a tools", text, len, err);
}

static void ctl_ev_traffic(void* ctx,
                           const struct ctl_backend* cb,
                           const struct ctl_traffic_entry* t) {
  struct control* c = ctx;
  if (c->nsubscribed > 0)
    ctl_broadcast(c, ctl_json_traffic_event(cb, t));
}

static void ctl_ev_log(void* ctx,
                       const struct ctl_backend* cb,
                       const struct ctl_log_entry* l) {
  struct control* c = ctx;
  if (c->nsubscribed > 0)
    ctl_broadcast(c, ctl_json_log_event(cb, l));
}

static void ctl_ev_list_changed(void* ctx, const struct ctl_backend* cb) {
  struct control* c = ctx;
  if (c->nsubscribed > 0)
    ctl_broadcast(c, ctl_json_list_changed_event(cb));
}

static const struct ctl_model_events ctl_events = {
    .on_state = ctl_ev_state,
    .on_tools = ctl_ev_tools,
    .on_traffic = ctl_ev_traffic,
    .on_log = ctl_ev_log,
    .on_list_changed = ctl_ev_list_changed,
};

/* ---- commands ------------------------------------------------------------ */

/* snapshot, and subscribe (then events follow). A snapshot that cannot be
 * built under the line limit is logged and answered with an error, and
 * does not subscribe: events without a snapshot describe nothing. */
static void ctl_cmd_snapshot(struct ctl_client* cl,
                             const cJSON* id,
                             bool subscribe) {
  struct control* c = cl->c;
  struct ctl_instance in = {c->mode, c->command, c->config, c->path,
                            c->started};
  char err[256];
  size_t len = 0;
  char* text = ctl_json_snapshot(&c->model, &in, id, CONTROL_SERVER_LINE_MAX,
                                 &len, err, sizeof(err));
  if (text == NULL) {
    log_warn("Control snapshot not sent: %s", err);
    char msg[300];
    snprintf(msg, sizeof(msg), "snapshot not sent: %s", err);
    ctl_error(cl, id, msg);
    return;
  }
  ctl_send_text(cl, text, len);
  if (subscribe && !cl->subscribed) {
    cl->subscribed = true;
    c->nsubscribed++;
  }
}

/* restart, start and stop (issue 15), of one backend or (restart only)
 * of all. A restart of a stopped server starts it; a restart of all
 * leaves stopped and disabled ones as they are. start of a running server
 * and stop of a stopped one are no errors: ok with a "note". */
enum ctl_verb { CTL_RESTART, CTL_START, CTL_STOP };

/* Start or stop cb's backend (a restart of one that is off starts it);
 * the outcome into the answer o. */
static void ctl_apply(struct ctl_backend* cb, enum ctl_verb verb, cJSON* o) {
  struct backend* b = cb->b;
  const char* name = backend_name(b);
  int rc = verb == CTL_STOP ? backend_user_stop(b) : backend_user_start(b);
  char msg[300];
  if (rc == UV_ECANCELED) {
    cJSON_AddFalseToObject(o, "ok");
    snprintf(msg, sizeof(msg), "'%s' cannot be %s now: it is shutting down",
             name, verb == CTL_STOP ? "stopped" : "started");
    cJSON_AddStringToObject(o, "error", msg);
    return;
  }
  cJSON_AddTrueToObject(o, "ok");
  if (rc == UV_EALREADY) {
    snprintf(msg, sizeof(msg), "'%s' is already %s", name,
             verb == CTL_STOP ? "stopped" : "running");
    cJSON_AddStringToObject(o, "note", msg);
  }
}

static void ctl_cmd_control(struct ctl_client* cl,
                            const cJSON* cmd,
                            const cJSON* id,
                            enum ctl_verb verb) {
  struct control* c = cl->c;
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(cmd, "backend");
  cJSON* o = ctl_reply("result", id);
  struct ctl_backend* cb;
  if (verb != CTL_RESTART && (name == NULL || cJSON_IsNull(name))) {
    cJSON_AddFalseToObject(o, "ok");
    cJSON_AddStringToObject(o, "error",
                            verb == CTL_START
                                ? "start needs a \"backend\" to start"
                                : "stop needs a \"backend\" to stop");
    ctl_send(cl, o);
    return;
  }
  if (name != NULL && !cJSON_IsNull(name)) {
    cb = cJSON_IsString(name)
             ? ctl_model_find_name(&c->model, name->valuestring)
             : NULL;
    if (cb == NULL) {
      cJSON_AddFalseToObject(o, "ok");
      char msg[300];
      snprintf(msg, sizeof(msg), "no backend named '%s'",
               cJSON_IsString(name) ? name->valuestring : "?");
      cJSON_AddStringToObject(o, "error", msg);
      cJSON* names = cJSON_AddArrayToObject(o, "backends");
      STAILQ_FOREACH(cb, &c->model.backends, link) {
        cJSON_AddItemToArray(names, cJSON_CreateString(backend_name(cb->b)));
      }
      ctl_send(cl, o);
      return;
    }
    if (verb == CTL_RESTART && !backend_is_off(cb->b)) {
      cJSON_AddTrueToObject(o, "ok"); /* the answer, then the restart */
      ctl_send(cl, o);
      backend_restart(cb->b, "requested on the control socket");
      return;
    }
    /* The state events a start or stop causes may precede its answer. */
    ctl_apply(cb, verb, o);
    ctl_send(cl, o);
    return;
  }
  cJSON_AddTrueToObject(o, "ok");
  ctl_send(cl, o);
  STAILQ_FOREACH(cb, &c->model.backends, link) {
    if (!backend_is_off(cb->b))
      backend_restart(cb->b, "requested on the control socket");
  }
}

static void ctl_cmd_traffic(struct ctl_client* cl,
                            const cJSON* cmd,
                            const cJSON* id) {
  const cJSON* seq = cJSON_GetObjectItemCaseSensitive(cmd, "seq");
  if (!cJSON_IsNumber(seq)) {
    ctl_error(cl, id, "traffic needs a numeric 'seq'");
    return;
  }
  /* Only whole numbers a double holds exactly can name an entry; the
   * range check comes first so that the cast is defined. */
  double d = seq->valuedouble;
  const struct ctl_backend* cb = NULL;
  const struct ctl_traffic_entry* t = NULL;
  if (d >= 1 && d <= 9007199254740992.0 && (double)(uint64_t)d == d)
    t = ctl_model_traffic_find(&cl->c->model, (uint64_t)d, &cb);
  if (t == NULL) {
    ctl_error(cl, id, "no such traffic entry (it left the ring)");
    return;
  }
  ctl_send(cl, ctl_json_traffic_detail(cb, t, id));
}

/* Issue 15: one tool's whole definition, as its server listed it, for
 * the dashboard's tool detail (the snapshot carries names and
 * descriptions only). */
static void ctl_cmd_tool(struct ctl_client* cl,
                         const cJSON* cmd,
                         const cJSON* id) {
  const char* bname =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "backend"));
  const char* tname =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "name"));
  if (bname == NULL || tname == NULL) {
    ctl_error(cl, id, "tool needs a 'backend' and a 'name'");
    return;
  }
  const struct ctl_backend* cb = ctl_model_find_name(&cl->c->model, bname);
  const cJSON* tool = NULL;
  const cJSON* tools = cb != NULL ? backend_tools(cb->b) : NULL;
  const cJSON* t;
  cJSON_ArrayForEach(t, tools) {
    const char* n =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "name"));
    if (n != NULL && strcmp(n, tname) == 0) {
      tool = t;
      break;
    }
  }
  if (tool == NULL) {
    char msg[300];
    snprintf(msg, sizeof(msg), "%s '%.100s' has no tool '%.100s' now",
             cb != NULL ? "server" : "no server", bname, tname);
    ctl_error(cl, id, msg);
    return;
  }
  cJSON* o = ctl_reply("tool_detail", id);
  cJSON_AddStringToObject(o, "backend", bname);
  cJSON_AddItemToObject(o, "tool", cJSON_Duplicate(tool, 1));
  size_t len;
  char* text = ctl_json_print(o, &len);
  cJSON_Delete(o);
  if (len > CONTROL_SERVER_LINE_MAX) {
    free(text);
    ctl_error(cl, id, "that tool's definition is over the 1 MiB line limit");
    return;
  }
  ctl_send_text(cl, text, len);
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
    ctl_cmd_snapshot(cl, id, false);
  } else if (strcmp(name->valuestring, "subscribe") == 0) {
    ctl_cmd_snapshot(cl, id, true);
  } else if (strcmp(name->valuestring, "restart") == 0) {
    ctl_cmd_control(cl, cmd, id, CTL_RESTART);
  } else if (strcmp(name->valuestring, "start") == 0) {
    ctl_cmd_control(cl, cmd, id, CTL_START);
  } else if (strcmp(name->valuestring, "stop") == 0) {
    ctl_cmd_control(cl, cmd, id, CTL_STOP);
  } else if (strcmp(name->valuestring, "traffic") == 0) {
    ctl_cmd_traffic(cl, cmd, id);
  } else if (strcmp(name->valuestring, "tool") == 0) {
    ctl_cmd_tool(cl, cmd, id);
  } else {
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command '%.60s'", name->valuestring);
    ctl_error(cl, id, msg);
  }
  cJSON_Delete(cmd);
}

static void ctl_drop_after_flush(struct ctl_client* cl, const char* why);

/* An over-long command: say so, then close the connection. */
static void ctl_on_oversize(void* ctx,
                            size_t total,
                            const char* head,
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
  TAILQ_INSERT_HEAD(&c->clients, cl, link);
  if (uv_accept(server, (uv_stream_t*)&cl->pipe) != 0) {
    ctl_drop(cl, "accept failed");
    return;
  }
  uv_os_fd_t fd;
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (uv_fileno((uv_handle_t*)&cl->pipe, &fd) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.uid != geteuid()) {
    ctl_error(cl, NULL,
              "permission denied: this mcpmon belongs to another "
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
  /* Issue 15: what this instance serves, so that a dashboard whose
   * instance ended can find the next one of the same identity. */
  cJSON_AddStringToObject(hello, "mode", c->mode);
  if (c->config != NULL)
    cJSON_AddStringToObject(hello, "config", c->config);
  if (c->command != NULL)
    cJSON_AddStringToObject(hello, "command", c->command);
  if (c->cwd != NULL)
    cJSON_AddStringToObject(hello, "cwd", c->cwd);
  ctl_send(cl, hello);
  uv_read_start((uv_stream_t*)&cl->pipe, slab_alloc, ctl_on_read);
}

/* ---- the socket ------------------------------------------------------------
 */

int control_start(uv_loop_t* loop,
                  const char* path,
                  const struct control_info* info,
                  struct control** out,
                  char* err,
                  size_t errlen) {
  char def[512];
  int rc = ctl_path_prepare(&path, def, sizeof(def), err, errlen);
  if (rc != 0)
    return rc;

  struct control* c = xcalloc(1, sizeof(*c));
  c->loop = loop;
  c->path = xstrdup(path);
  c->mode = xstrdup(info->mode);
  c->command = info->command ? xstrdup(info->command) : NULL;
  c->config = info->config ? xstrdup(info->config) : NULL;
  char cwd[4096];
  c->cwd = getcwd(cwd, sizeof(cwd)) != NULL ? xstrdup(cwd) : NULL;
  c->started = ctl_model_now_ms();
  TAILQ_INIT(&c->clients);
  ctl_model_init(&c->model, strcmp(info->mode, "single") == 0, &ctl_events, c);
  uv_pipe_init(loop, &c->server, 0);
  c->server.data = c;
  c->open_handles = 1;
  /* Bind under a temporary name and rename once listening, so that the
   * path never names a socket that refuses connections. */
  char tmp[sizeof(((struct sockaddr_un*)0)->sun_path)];
  int n = snprintf(tmp, sizeof(tmp), "%s.new", path);
  const char* bind_path = n > 0 && (size_t)n < sizeof(tmp) ? tmp : path;
  if (bind_path != path)
    unlink(bind_path);      /* left over by a core that was killed */
  mode_t old = umask(0177); /* the socket is born 0600 */
  rc = uv_pipe_bind(&c->server, bind_path);
  umask(old);
  if (rc == 0) {
    chmod(bind_path, 0600);
    rc = uv_listen((uv_stream_t*)&c->server, 16, ctl_on_connection);
    if (rc == 0 && bind_path != path && rename(bind_path, path) != 0)
      rc = -errno;
  }
  if (rc != 0) {
    if (bind_path != path)
      unlink(bind_path);
    snprintf(err, errlen, "cannot listen on '%s': %s", path, uv_strerror(rc));
    control_close(c); /* frees c once its handle has closed */
    return rc;
  }
  log_set_hook(ctl_model_on_log, &c->model);
  *out = c;
  return 0;
}

const char* control_path(const struct control* c) {
  return c->path;
}

/* cb's whole row to every dashboard, as a backend_added event: a new
 * row at its index, or one of a known name updated in place. */
static void ctl_broadcast_row(struct control* c, const struct ctl_backend* cb) {
  if (c->nsubscribed == 0)
    return;
  char err[256];
  size_t len = 0;
  char* text =
      ctl_json_backend_added(cb, ctl_model_index(&c->model, cb),
                             CONTROL_SERVER_LINE_MAX, &len, err, sizeof(err));
  ctl_broadcast_fitted(c, "a backend_added", text, len, err);
}

void control_add_backend(struct control* c, struct backend* b, size_t index) {
  ctl_broadcast_row(c, ctl_model_add(&c->model, b, index));
}

void control_remove_backend(struct control* c, struct backend* b) {
  struct ctl_backend* cb = ctl_model_find(&c->model, b);
  if (cb == NULL)
    return;
  ctl_model_remove(&c->model, cb);
  /* Ending, the rows stay on the dashboards as they were last. */
  if (c->nsubscribed > 0 && !c->ending)
    ctl_broadcast(c, ctl_json_backend_removed_event(backend_name(b)));
}

void control_replace_backend(struct control* c,
                             struct backend* old,
                             struct backend* now) {
  struct ctl_backend* cb = ctl_model_find(&c->model, old);
  if (cb == NULL) {
    control_add_backend(c, now, SIZE_MAX);
    return;
  }
  ctl_model_replace(&c->model, cb, now);
  /* The whole row again (its new pid, state and tools; a changed config
   * entry may have another command or watch list): dashboards update it
   * in place, by its name. */
  ctl_broadcast_row(c, cb);
}

uint64_t control_traffic(struct control* c,
                         struct backend* b,
                         const struct backend_traffic* t) {
  return c != NULL ? ctl_model_traffic(&c->model, b, t) : 0;
}

void control_list_changed(struct control* c, struct backend* b, bool relisted) {
  ctl_model_list_changed(&c->model, b, relisted);
}

char* control_log_text(struct control* c, struct backend* b, int lines) {
  const struct ctl_backend* cb =
      c != NULL ? ctl_model_find(&c->model, b) : NULL;
  if (cb == NULL)
    return NULL;
  size_t n = ctl_rings_log_count(&cb->rings);
  size_t from = lines > 0 && (size_t)lines < n ? n - (size_t)lines : 0;
  char* out = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&out, &len);
  if (f == NULL)
    return NULL;
  for (size_t i = from; i < n; i++) {
    const struct ctl_log_entry* l = ctl_rings_log_at(&cb->rings, i);
    time_t secs = (time_t)(l->t / 1000);
    struct tm tm;
    char clock[16] = "??:??:??";
    if (localtime_r(&secs, &tm) != NULL)
      strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
    static const char* const sources[] = {"mcpmon", "stderr", "server"};
    fprintf(f, "%s %s %s: %s\n", clock, log_level_name(l->level),
            (unsigned)l->source < ARRAY_LEN(sources) ? sources[l->source] : "?",
            l->text);
  }
  fclose(f);
  return out;
}

void control_ending(struct control* c, const char* why) {
  if (c == NULL || c->closing || c->ending)
    return;
  c->ending = true;
  cJSON* bye = cJSON_CreateObject();
  cJSON_AddStringToObject(bye, "type", "bye");
  cJSON_AddStringToObject(bye, "reason", why);
  size_t len;
  char* text = ctl_json_print(bye, &len);
  cJSON_Delete(bye);
  struct ctl_buf* b = ctl_buf_of(text, len); /* takes text */
  /* A write may drop its client (over the cap): step past it first. */
  for (struct ctl_client* cl = TAILQ_FIRST(&c->clients); cl != NULL;) {
    struct ctl_client* next = TAILQ_NEXT(cl, link);
    ctl_write_buf(cl, b);
    cl = next;
  }
  ctl_buf_unref(b);
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
  while (!TAILQ_EMPTY(&c->clients)) ctl_drop(TAILQ_FIRST(&c->clients), NULL);
  c->closing = true;
  ctl_model_free(&c->model);
  free(c->path);
  free(c->mode);
  free(c->command);
  free(c->config);
  free(c->cwd);
  uv_close((uv_handle_t*)&c->server, ctl_server_closed);
}
