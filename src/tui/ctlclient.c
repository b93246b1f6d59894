/* ctlclient.c - see ctlclient.h. */
#include "tui/ctlclient.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/control_dir.h"
#include "proto/control_proto.h"
#include "tui/tutil.h"

/* ---- line reader ------------------------------------------------------ */

void ctl_reader_init(struct ctl_reader* r, size_t max) {
  memset(r, 0, sizeof(*r));
  r->max = max;
}

void ctl_reader_free(struct ctl_reader* r) {
  free(r->buf);
  memset(r, 0, sizeof(*r));
}

static void ctl_reader_compact(struct ctl_reader* r) {
  if (r->consumed == 0)
    return;
  memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
  r->len -= r->consumed;
  r->scanned = r->scanned > r->consumed ? r->scanned - r->consumed : 0;
  r->consumed = 0;
}

void ctl_reader_push(struct ctl_reader* r, const char* data, size_t n) {
  ctl_reader_compact(r);
  r->buf = tu_grow(r->buf, &r->cap, r->len + n + 1, 1, 4096);
  memcpy(r->buf + r->len, data, n);
  r->len += n;
}

int ctl_reader_next(struct ctl_reader* r, char** line, size_t* len) {
  ctl_reader_compact(r);
  for (;;) {
    char* nl = r->len > r->scanned
                   ? memchr(r->buf + r->scanned, '\n', r->len - r->scanned)
                   : NULL;
    if (nl == NULL) {
      r->scanned = r->len;
      if (!r->skipping && r->len > r->max) {
        /* Over-long: drop what we hold and the rest up to its '\n'. */
        r->skipping = true;
      }
      if (r->skipping) {
        r->len = 0;
        r->scanned = 0;
      }
      return 0;
    }
    size_t n = (size_t)(nl - r->buf);
    if (r->skipping || n > r->max) {
      r->skipping = false;
      r->consumed = n + 1;
      ctl_reader_compact(r);
      return -1;
    }
    r->consumed = n + 1;
    r->scanned = n + 1;
    if (n > 0 && r->buf[n - 1] == '\r')
      n--;
    r->buf[n] = '\0';
    if (n == 0) {
      ctl_reader_compact(r);
      continue; /* empty line */
    }
    *line = r->buf;
    *len = n;
    return 1;
  }
}

/* ---- hello -------------------------------------------------------------- */

int ctl_check_hello(const cJSON* hello, long* pid, char* err, size_t errlen) {
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(hello, "type");
  const cJSON* ver = cJSON_GetObjectItemCaseSensitive(hello, "mcpmon");
  if (!cJSON_IsString(type) || strcmp(type->valuestring, "hello") != 0 ||
      !cJSON_IsNumber(ver)) {
    snprintf(err, errlen, "it did not greet like an mcpmon control socket");
    return -EPROTO;
  }
  if (ver->valuedouble != CONTROL_PROTOCOL_VERSION) {
    snprintf(err, errlen,
             "it speaks control protocol version %g, this mcpmon speaks "
             "version %d",
             ver->valuedouble, CONTROL_PROTOCOL_VERSION);
    return -EPROTO;
  }
  const cJSON* p = cJSON_GetObjectItemCaseSensitive(hello, "pid");
  *pid = (long)tu_json_int(p, 0);
  return 0;
}

/* ---- blocking connection ----------------------------------------------- */

static int64_t ctl_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; returns >0, 0 on timeout, or a
 * negative errno. */
static int ctl_wait(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - ctl_mono_ms();
    if (left < 0)
      left = 0;
    struct pollfd pfd = {fd, events, 0};
    int n = poll(&pfd, 1, (int)left);
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return -errno;
  }
}

/* Only a server of our own effective uid is an instance of ours: anyone
 * could make a socket that greets like one (issue 12 item 7). */
static int ctl_check_peer(int fd, const char* path, char* err, size_t errlen) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    snprintf(err, errlen, "%s: refusing it: cannot tell who serves it: %s",
             path, strerror(errno));
    return -EPERM;
  }
  if (cred.uid != geteuid()) {
    snprintf(err, errlen,
             "%s: refusing it: it is served by uid %ld, not by this user "
             "(uid %ld)",
             path, (long)cred.uid, (long)geteuid());
    return -EPERM;
  }
  return 0;
}

int ctl_socket_connect(
    const char* path, int timeout_ms, int* fd_out, char* err, size_t errlen) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(sa.sun_path)) {
    snprintf(err, errlen, "%s: socket path too long", path);
    return -ENAMETOOLONG;
  }
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "socket: %s", strerror(e));
    return -e;
  }
  int64_t deadline = ctl_mono_ms() + timeout_ms;
  int rc;
  do {
    rc = connect(fd, (struct sockaddr*)&sa, sizeof(sa));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && (errno == EINPROGRESS || errno == EAGAIN)) {
    /* A full listen backlog: wait for the core to accept. */
    int w = ctl_wait(fd, POLLOUT, deadline);
    if (w == 0) {
      close(fd);
      snprintf(err, errlen, "%s: timed out connecting", path);
      return -ETIMEDOUT;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (w < 0)
      soerr = -w;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
      soerr = errno;
    if (soerr == EAGAIN) {
      close(fd);
      snprintf(err, errlen, "%s: the core is not accepting connections", path);
      return -EAGAIN;
    }
    errno = soerr;
    rc = soerr == 0 ? 0 : -1;
  }
  if (rc != 0) {
    int e = errno;
    close(fd);
    if (e == ECONNREFUSED)
      snprintf(err, errlen, "%s: nobody is listening (stale socket)", path);
    else
      snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -e;
  }
  rc = ctl_check_peer(fd, path, err, errlen);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  *fd_out = fd;
  return 0;
}

int ctl_connect(struct ctl_conn* c,
                const char* path,
                int timeout_ms,
                char* err,
                size_t errlen) {
  c->fd = -1;
  c->pid = 0;
  ctl_reader_init(&c->rd, CONTROL_SERVER_LINE_MAX);
  int rc = ctl_socket_connect(path, timeout_ms, &c->fd, err, errlen);
  if (rc != 0) {
    ctl_close(c);
    return rc;
  }
  cJSON* hello = NULL;
  char why[256];
  rc = ctl_recv(c, timeout_ms, &hello, why, sizeof(why));
  if (rc == 0)
    rc = ctl_check_hello(hello, &c->pid, why, sizeof(why));
  cJSON_Delete(hello);
  if (rc != 0) {
    snprintf(err, errlen, "%s: %s", path, why);
    ctl_close(c);
    return rc;
  }
  return 0;
}

int ctl_send(struct ctl_conn* c,
             const cJSON* cmd,
             int timeout_ms,
             char* err,
             size_t errlen) {
  char* text = cJSON_PrintUnformatted(cmd);
  if (text == NULL) {
    snprintf(err, errlen, "cannot encode the command");
    return -ENOMEM;
  }
  size_t len = strlen(text);
  text[len] = '\n'; /* replaces the NUL; length kept in len + 1 */
  size_t off = 0;
  int64_t deadline = ctl_mono_ms() + timeout_ms;
  int rc = 0;
  while (off < len + 1) {
    ssize_t n = send(c->fd, text + off, len + 1 - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      int w = ctl_wait(c->fd, POLLOUT, deadline);
      if (w > 0)
        continue;
      rc = w == 0 ? -ETIMEDOUT : w;
    } else {
      rc = -errno;
    }
    snprintf(err, errlen, "sending to the core: %s", strerror(-rc));
    break;
  }
  free(text);
  return rc;
}

int ctl_recv(
    struct ctl_conn* c, int timeout_ms, cJSON** out, char* err, size_t errlen) {
  *out = NULL;
  int64_t deadline = ctl_mono_ms() + timeout_ms;
  for (;;) {
    char* line;
    size_t len;
    int got = ctl_reader_next(&c->rd, &line, &len);
    if (got < 0) {
      snprintf(err, errlen, "the core sent a line over %u bytes",
               CONTROL_SERVER_LINE_MAX);
      return -EMSGSIZE;
    }
    if (got > 0) {
      cJSON* obj = cJSON_ParseWithLength(line, len);
      if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        snprintf(err, errlen,
                 "the core sent something that is not a JSON "
                 "object");
        return -EPROTO;
      }
      *out = obj;
      return 0;
    }
    char buf[65536];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n > 0) {
      ctl_reader_push(&c->rd, buf, (size_t)n);
      continue;
    }
    if (n == 0) {
      snprintf(err, errlen, "the core closed the connection");
      return -ECONNRESET;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN) {
      int e = errno;
      snprintf(err, errlen, "reading from the core: %s", strerror(e));
      return -e;
    }
    int w = ctl_wait(c->fd, POLLIN, deadline);
    if (w == 0) {
      snprintf(err, errlen, "the core did not answer within %d ms", timeout_ms);
      return -ETIMEDOUT;
    }
    if (w < 0) {
      snprintf(err, errlen, "poll: %s", strerror(-w));
      return w;
    }
  }
}

int ctl_request(struct ctl_conn* c,
                const cJSON* cmd,
                const char* want_type,
                int timeout_ms,
                cJSON** out,
                char* err,
                size_t errlen) {
  *out = NULL;
  int64_t deadline = ctl_mono_ms() + timeout_ms;
  int rc = ctl_send(c, cmd, timeout_ms, err, errlen);
  if (rc != 0)
    return rc;
  for (;;) {
    int left = (int)(deadline - ctl_mono_ms());
    cJSON* obj;
    rc = ctl_recv(c, left > 0 ? left : 0, &obj, err, errlen);
    if (rc != 0)
      return rc;
    const cJSON* type = cJSON_GetObjectItemCaseSensitive(obj, "type");
    if (cJSON_IsString(type) && (strcmp(type->valuestring, want_type) == 0 ||
                                 strcmp(type->valuestring, "error") == 0)) {
      *out = obj;
      return 0;
    }
    cJSON_Delete(obj);
  }
}

void ctl_close(struct ctl_conn* c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  ctl_reader_free(&c->rd);
}

/* ---- finding instances ------------------------------------------------- */

int ctl_search_dirs(char dirs[2][512]) {
  /* Only the directory an instance started in this environment would
   * use: scanning /tmp/mcpmon-UID as well would mix in instances of other
   * runtime directories (and every test's instances). */
  if (control_default_dir(dirs[0], sizeof(dirs[0])) != 0)
    return 0;
  return 1;
}

int ctl_check_search_dirs(char* err, size_t errlen) {
  char dirs[2][512];
  int n = ctl_search_dirs(dirs);
  for (int d = 0; d < n; d++) {
    char why[768];
    int rc = control_dir_check(dirs[d], why, sizeof(why));
    if (rc != 0 && rc != -ENOENT) {
      snprintf(err, errlen,
               "%s; remove it, or set XDG_RUNTIME_DIR to a folder of your "
               "own, or name the socket to use",
               why);
      return rc;
    }
  }
  return 0;
}

void ctl_search_dirs_text(char* buf, size_t cap) {
  char dirs[2][512];
  int n = ctl_search_dirs(dirs);
  if (n == 0)
    snprintf(buf, cap, "(no usable directory)");
  else if (n == 1)
    snprintf(buf, cap, "%s", dirs[0]);
  else
    snprintf(buf, cap, "%s and %s", dirs[0], dirs[1]);
}

static char* ctl_json_strdup(const cJSON* obj, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? tu_strdup(v->valuestring) : NULL;
}

bool ctl_probe(const char* path, int timeout_ms, struct ctl_instance* in) {
  memset(in, 0, sizeof(*in));
  struct ctl_conn c;
  char err[512];
  int fd;
  int rc = ctl_socket_connect(path, timeout_ms, &fd, err, sizeof(err));
  if (rc != 0) {
    if (rc == -ECONNREFUSED || rc == -ENOENT || rc == -ENOTSOCK)
      return false;
    in->path = tu_strdup(path);
    in->problem = tu_strdup(err);
    return true;
  }
  c.fd = fd;
  c.pid = 0;
  ctl_reader_init(&c.rd, CONTROL_SERVER_LINE_MAX);
  in->path = tu_strdup(path);
  cJSON* obj = NULL;
  rc = ctl_recv(&c, timeout_ms, &obj, err, sizeof(err));
  if (rc == 0)
    rc = ctl_check_hello(obj, &c.pid, err, sizeof(err));
  cJSON_Delete(obj);
  obj = NULL;
  in->pid = c.pid;
  if (rc == 0) {
    cJSON* cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "cmd", "snapshot");
    rc = ctl_request(&c, cmd, "snapshot", timeout_ms, &obj, err, sizeof(err));
    cJSON_Delete(cmd);
  }
  const cJSON* inst = cJSON_GetObjectItemCaseSensitive(obj, "instance");
  if (rc == 0 && cJSON_IsObject(inst)) {
    in->mode = ctl_json_strdup(inst, "mode");
    in->command = ctl_json_strdup(inst, "command");
    in->config = ctl_json_strdup(inst, "config");
    const cJSON* st = cJSON_GetObjectItemCaseSensitive(inst, "started");
    in->started = tu_json_int(st, 0);
    const cJSON* pid = cJSON_GetObjectItemCaseSensitive(inst, "pid");
    if (cJSON_IsNumber(pid))
      in->pid = (long)tu_json_int(pid, 0);
    const cJSON* backends = cJSON_GetObjectItemCaseSensitive(obj, "backends");
    in->nbackends = cJSON_GetArraySize(backends);
    const cJSON* b;
    cJSON_ArrayForEach(b, backends) {
      const char* name =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
      if (name == NULL)
        continue;
      in->servers =
          tu_realloc(in->servers, (in->nservers + 1) * sizeof(*in->servers));
      in->servers[in->nservers++] = tu_strdup(name);
    }
  } else {
    in->problem = tu_strdup(rc != 0 ? err : "no snapshot");
  }
  cJSON_Delete(obj);
  ctl_close(&c);
  return true;
}

static int ctl_instance_cmp(const void* a, const void* b) {
  const struct ctl_instance* x = a;
  const struct ctl_instance* y = b;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return strcmp(x->path, y->path);
}

size_t ctl_find_instances(struct ctl_instance** out, int timeout_ms) {
  char dirs[2][512];
  int ndirs = ctl_search_dirs(dirs);
  struct ctl_instance* list = NULL;
  size_t n = 0, cap = 0;
  for (int d = 0; d < ndirs; d++) {
    char why[768];
    if (control_dir_check(dirs[d], why, sizeof(why)) != 0)
      continue; /* missing, or not only ours: ctl_check_search_dirs */
    DIR* dir = opendir(dirs[d]);
    if (dir == NULL)
      continue;
    struct dirent* de;
    while ((de = readdir(dir)) != NULL) {
      size_t len = strlen(de->d_name);
      if (len < 6 || strcmp(de->d_name + len - 5, ".sock") != 0)
        continue;
      char path[1024];
      int plen = snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
      if (plen < 0 || (size_t)plen >= sizeof(path))
        continue; /* a name too long to be one of ours */
      struct stat st;
      if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        continue;
      struct ctl_instance in;
      if (!ctl_probe(path, timeout_ms, &in))
        continue;
      list = tu_grow(list, &cap, n + 1, sizeof(*list), 4);
      list[n++] = in;
    }
    closedir(dir);
  }
  if (n > 1)
    qsort(list, n, sizeof(*list), ctl_instance_cmp);
  *out = list;
  return n;
}

void ctl_instance_free(struct ctl_instance* in) {
  free(in->path);
  free(in->mode);
  free(in->command);
  free(in->config);
  free(in->problem);
  for (size_t i = 0; i < in->nservers; i++) free(in->servers[i]);
  free(in->servers);
  memset(in, 0, sizeof(*in));
}

bool ctl_instance_has(const struct ctl_instance* in, const char* name) {
  for (size_t i = 0; i < in->nservers; i++)
    if (strcmp(in->servers[i], name) == 0)
      return true;
  return false;
}

void ctl_instances_free(struct ctl_instance* list, size_t n) {
  for (size_t i = 0; i < n; i++) ctl_instance_free(&list[i]);
  free(list);
}

void ctl_instance_describe(const struct ctl_instance* in,
                           int64_t now_ms,
                           char* buf,
                           size_t cap) {
  if (in->problem != NULL) {
    snprintf(buf, cap, "pid %-7ld %s  (%s)", in->pid, in->path, in->problem);
    return;
  }
  char up[32] = "?";
  if (in->started > 0)
    tu_fmt_duration(now_ms - in->started, up, sizeof(up));
  const char* what = in->config ? in->config : in->command ? in->command : "";
  snprintf(buf, cap, "pid %-7ld %-7s up %-7s %s  (%s)", in->pid,
           in->mode ? in->mode : "?", up, what, in->path);
}

void ctl_print_error(const char* prefix, const char* text) {
  char* safe = tu_escape(text);
  fprintf(stderr, "%s%s\n", prefix, safe);
  free(safe);
}
