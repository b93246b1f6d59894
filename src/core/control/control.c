/* control.c - see control.h, control_int.h and docs/control-protocol.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/control/control_int.h"
#include "core/slab.h"
#include "lib/util.h"

void ctl_on_log(void* ctx,
                enum log_level level,
                const char* name,
                bool from_server,
                const char* text);

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
void ctl_broadcast(struct control* c, cJSON* obj) {
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

/* ---- commands ------------------------------------------------------------ */

static cJSON* ctl_reply(const char* type, const cJSON* id) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  if (id != NULL)
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
  return o;
}

static void ctl_error(struct ctl_client* cl,
                      const cJSON* id,
                      const char* message) {
  cJSON* o = ctl_reply("error", id);
  cJSON_AddStringToObject(o, "message", message);
  ctl_send(cl, o);
}

static void ctl_cmd_restart(struct ctl_client* cl,
                            const cJSON* cmd,
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

static void ctl_cmd_traffic(struct ctl_client* cl,
                            const cJSON* cmd,
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
  ctl_send(cl, hello);
  uv_read_start((uv_stream_t*)&cl->pipe, slab_alloc, ctl_on_read);
}

/* ---- the socket ------------------------------------------------------------
 */

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
  while (c->clients != NULL) ctl_drop(c->clients, NULL);
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
