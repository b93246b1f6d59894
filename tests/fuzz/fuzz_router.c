/* fuzz_router.c - mcpmon's single-mode core under a fuzzed client and a
 * fuzzed server: the real session, single-mode policy, transport and
 * backend of src/core on a real libuv loop, one fresh loop per input.
 *
 * The client: mcpmon reads fd 0 and writes fd 1 (transport.c), so each input
 * gets two pipes dup2'ed there; the fuzzer holds the other ends as libuv
 * handles on the same loop. The server: mcpmon spawns fuzz_peer (a real
 * process it starts, signals and reaps), which connects back to a
 * listening abstract socket, says its pid, and relays bytes between its
 * stdio and the fuzzer; each process generation is one connection. The
 * fuzzer plays both peers from the byte program (fuzz_router_ops.c) and
 * checks everything mcpmon writes to either against the model
 * (fuzz_router_model.c).
 *
 * Each input ends as a client ends a session: its stdin closes; mcpmon
 * must answer what is pending, stop the server and close within a bound
 * (STDIO-12), then session, mode and fuzzer handles are closed and
 * uv_loop_close must return 0. Nothing leaks across inputs, so
 * libFuzzer's leak check stays on; no server process may outlive its
 * session. Waits are bounded; "settle" runs the loop until the peers have
 * been quiet for a few ms.
 *
 * FUZZ_ROUTER_TRACE=1 in the environment prints every line both ways.
 */
#include "fuzz_router.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "fuzz_check.h"

#ifndef FUZZ_PEER_PATH
#error "FUZZ_PEER_PATH (the fuzz_peer program) must be defined"
#endif

#define FZ_BUDGET_MS 2000u   /* settling per input, in total */
#define FZ_SHUTDOWN_MS 5000u /* stdin EOF to session closed */

struct fz_conn {
  uv_pipe_t h;
  struct fz* z;
  int index; /* in the model */
  long pid;  /* from its hello line; 0 before */
  struct fz_buf in;
  bool eof;
};

struct fz {
  uv_loop_t loop;
  struct fz_setup su;
  struct fz_counters counters;
  struct fz_model model;
  struct mcpmon_config cfg; /* servers[0] is the fuzz_peer */
  struct session* session;
  struct mode mode;
  struct backend* backend; /* NULL once the mode freed it */
  enum backend_state final_state;
  unsigned final_restarts;
  struct backend_observer obs;

  uv_pipe_t cin;  /* our end of mcpmon's stdin */
  uv_pipe_t cout; /* our end of mcpmon's stdout */
  uv_shutdown_t cin_shutdown;
  bool cin_open;
  bool cout_eof;
  struct fz_buf cout_line;

  uv_pipe_t listener;
  struct fz_conn** conns;
  size_t nconns;
  long* pids; /* every server process mcpmon started */
  size_t npids;

  uv_timer_t tick;
  uint64_t last_activity;
  uint64_t budget_ms;
  bool shutting_down;
  bool router_closed;
};

static int fz_devnull = -1;
static char fz_watch_dir[64]; /* empty: the mode's watcher sees nothing */

static void fz_remove_watch_dir(void) {
  rmdir(fz_watch_dir);
}
static bool fz_trace;
static unsigned fz_iteration;

/* ---- accessors for the byte program -------------------------------------- */

struct backend* fz_backend(struct fz* z) {
  return z->backend;
}

struct fz_model* fz_model(struct fz* z) {
  return &z->model;
}

const struct fz_setup* fz_setup(struct fz* z) {
  return &z->su;
}

struct fz_counters* fz_counters(struct fz* z) {
  return &z->counters;
}

/* ---- writing ------------------------------------------------------------- */

struct fz_write {
  uv_write_t w;
  char data[];
};

static void fz_write_done(uv_write_t* w, int status) {
  (void)status; /* a peer that went away: nothing to do */
  free(w);
}

static void fz_write(uv_stream_t* s, const char* data, size_t n) {
  if (n == 0 || uv_is_closing((uv_handle_t*)s))
    return;
  struct fz_write* fw = malloc(sizeof(*fw) + n);
  memcpy(fw->data, data, n);
  uv_buf_t b = uv_buf_init(fw->data, (unsigned)n);
  if (uv_write(&fw->w, s, &b, 1, fz_write_done) != 0)
    free(fw);
}

static void fz_trace_bytes(const char* tag, const char* s, size_t n) {
  if (fz_trace)
    fprintf(stderr, "%s %.*s%s", tag, (int)n, s,
            n > 0 && s[n - 1] == '\n' ? "" : "\n");
}

void fz_client_write(struct fz* z, const char* s, size_t n) {
  if (!z->cin_open || n == 0)
    return;
  fz_trace_bytes("client>", s, n);
  model_client_sent(&z->model, s, n);
  fz_write((uv_stream_t*)&z->cin, s, n);
}

void fz_server_write_to(struct fz* z, int conn, const char* s, size_t n) {
  struct fz_conn* c = z->conns[conn];
  if (c->eof || uv_is_closing((uv_handle_t*)&c->h) || n == 0)
    return;
  fz_trace_bytes("server>", s, n);
  model_server_sent(&z->model, conn, s, n);
  fz_write((uv_stream_t*)&c->h, s, n);
}

int fz_server_conn(struct fz* z) {
  long pid = z->backend != NULL ? backend_pid(z->backend) : 0;
  if (pid <= 0)
    return -1;
  for (size_t i = 0; i < z->nconns; i++) {
    struct fz_conn* c = z->conns[i];
    if (c->pid == pid && !c->eof && !uv_is_closing((uv_handle_t*)&c->h))
      return c->index;
  }
  return -1;
}

/* True while pid is a child of ours that has not been reaped: only then
 * can it not be some other process that got the number since. */
static bool fz_is_child(long pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  char* paren = strrchr(buf, ')');
  char state;
  long ppid;
  return paren != NULL && sscanf(paren + 1, " %c %ld", &state, &ppid) == 2 &&
         ppid == (long)getpid();
}

void fz_server_exit(struct fz* z, int sig) {
  int conn = fz_server_conn(z);
  if (conn < 0)
    return;
  struct fz_conn* c = z->conns[conn];
  if (sig == 0)
    uv_close((uv_handle_t*)&c->h, NULL);
  else if (fz_is_child(c->pid))
    kill((pid_t)c->pid, sig);
}

void fz_client_hangup(struct fz* z) {
  if (z->model.hung_up)
    return;
  z->model.hung_up = true;
  z->cout_eof = true;
  uv_close((uv_handle_t*)&z->cout, NULL);
}

/* ---- reading ------------------------------------------------------------- */

static void fz_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[65536]; /* consumed within the read callback */
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(slab, sizeof(slab));
}

static void fz_activity(struct fz* z) {
  z->last_activity = uv_now(&z->loop);
}

/* Hand every complete line of in (after n new bytes) to fn. */
static void fz_split(struct fz_buf* in,
                     const char* s,
                     size_t n,
                     void (*fn)(void* ctx, const char* line, size_t len),
                     void* ctx) {
  fzb_add(in, s, n);
  size_t start = 0;
  for (size_t i = 0; i < in->len; i++) {
    if (in->p[i] != '\n')
      continue;
    fn(ctx, in->p + start, i - start);
    start = i + 1;
  }
  memmove(in->p, in->p + start, in->len - start);
  in->len -= start;
}

static void fz_client_line(void* ctx, const char* s, size_t n) {
  struct fz* z = ctx;
  if (fz_trace)
    fprintf(stderr, "<client %.*s\n", (int)n, s);
  model_client_line(&z->model, s, n);
}

static void fz_cout_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct fz* z = s->data;
  fz_activity(z);
  if (n > 0) {
    fz_split(&z->cout_line, buf->base, (size_t)n, fz_client_line, z);
  } else if (n < 0) {
    uv_read_stop(s);
    z->cout_eof = true;
  }
}

static void fz_server_line(void* ctx, const char* s, size_t n) {
  struct fz_conn* c = ctx;
  struct fz* z = c->z;
  if (c->pid == 0) { /* fuzz_peer's hello */
    c->pid = strtol(s, NULL, 10);
    return;
  }
  if (fz_trace)
    fprintf(stderr, "<server[%d] %.*s\n", c->index, (int)n, s);
  const char* method = model_server_line(&z->model, c->index, s, n);
  if (method == NULL)
    return;
  const struct fz_mconn* mc = &z->model.conns[c->index];
  const struct fz_seen* seen = &mc->seen[mc->nseen - 1];
  if (strcmp(method, "initialize") == 0 && z->su.auto_init)
    ops_answer_initialize(z, c->index, seen->id);
  else if (strcmp(method, "tools/list") == 0 && z->su.auto_tools)
    ops_answer_tools(z, c->index, seen, false);
}

static void fz_conn_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct fz_conn* c = s->data;
  fz_activity(c->z);
  if (n > 0) {
    fz_split(&c->in, buf->base, (size_t)n, fz_server_line, c);
  } else if (n < 0) {
    /* The process is gone (or going): its socket is of no more use. */
    c->eof = true;
    uv_read_stop(s);
    uv_close((uv_handle_t*)s, NULL);
  }
}

static void fz_on_connection(uv_stream_t* server, int status) {
  struct fz* z = server->data;
  if (status != 0)
    return;
  struct fz_conn* c = calloc(1, sizeof(*c));
  c->z = z;
  uv_pipe_init(&z->loop, &c->h, 0);
  c->h.data = c;
  z->conns = realloc(z->conns, (z->nconns + 1) * sizeof(*z->conns));
  z->conns[z->nconns++] = c;
  c->index = model_add_conn(&z->model);
  FUZZ_CHECK(c->index == (int)z->nconns - 1);
  if (uv_accept(server, (uv_stream_t*)&c->h) != 0) {
    c->eof = true;
    uv_close((uv_handle_t*)&c->h, NULL);
    return;
  }
  uv_read_start((uv_stream_t*)&c->h, fz_alloc, fz_conn_read);
  fz_activity(z);
}

/* ---- mcpmon's hooks
 * ---------------------------------------------------------- */

static void fz_router_closed(void* ctx) {
  struct fz* z = ctx;
  z->session = NULL;
  z->router_closed = true;
  /* libuv closes no fd below 3, so mcpmon's ends of the client's pipes are
   * still open: put /dev/null there, which closes them, so our reader
   * sees EOF and fds 0 and 1 are never free for something else. */
  dup2(fz_devnull, STDIN_FILENO);
  dup2(fz_devnull, STDOUT_FILENO);
}

/* As run.c: stdin EOF shuts the mode down, then the session closes. */
static void fz_client_gone(void* ctx, const char* why, bool eof) {
  struct fz* z = ctx;
  (void)why;
  if (z->shutting_down) {
    if (!eof)
      z->mode.shutdown(z->mode.self, false); /* stop now */
    return;
  }
  z->shutting_down = true;
  session_stop_input(z->session);
  z->mode.shutdown(z->mode.self, eof);
}

static void fz_mode_closed(void* ctx) {
  struct fz* z = ctx;
  session_close(z->session, fz_router_closed, z);
}

static void fz_obs_state(struct backend* b, void* ctx);
static uint64_t fz_obs_traffic(struct backend* b,
                               void* ctx,
                               const struct backend_traffic* t);

static void fz_backend_added(void* ctx, struct backend* b, size_t index) {
  struct fz* z = ctx;
  (void)index;
  z->backend = b;
  z->obs.on_state = fz_obs_state;
  z->obs.on_traffic = fz_obs_traffic;
  z->obs.body_max = z->su.body_max;
  backend_set_observer(b, &z->obs, z);
}

/* Issue 14: a reload swapped the serving backend: follow it (the old one
 * is the reload's now, freed when it has stopped). */
static void fz_backend_replaced(void* ctx,
                                struct backend* old,
                                struct backend* now) {
  struct fz* z = ctx;
  backend_set_observer(old, NULL, NULL);
  z->backend = now;
  backend_set_observer(now, &z->obs, z);
  fz_obs_state(now, z);
}

/* The mode frees its backend after this: keep what fz_finish checks. */
static void fz_backend_removed(void* ctx, struct backend* b) {
  struct fz* z = ctx;
  z->final_state = backend_state(b);
  z->final_restarts = backend_restart_count(b);
  z->backend = NULL;
}

static void fz_obs_state(struct backend* b, void* ctx) {
  struct fz* z = ctx;
  fz_activity(z);
  long pid = backend_pid(b);
  if (pid <= 0 || (z->npids > 0 && z->pids[z->npids - 1] == pid))
    return;
  z->pids = realloc(z->pids, (z->npids + 1) * sizeof(*z->pids));
  z->pids[z->npids++] = pid;
}

static uint64_t fz_obs_traffic(struct backend* b,
                               void* ctx,
                               const struct backend_traffic* t) {
  struct fz* z = ctx;
  (void)b;
  static uint64_t seq;
  FUZZ_CHECK(t->method != NULL && t->ms >= 0);
  FUZZ_CHECK(!t->ok || t->error == NULL);
  FUZZ_CHECK(t->response == NULL || t->response_len <= z->su.body_max);
  /* Issue 15: a begin asks for a seq; an answer names one given. */
  FUZZ_CHECK(t->running ? t->seq == 0 : t->seq <= seq);
  return t->running ? ++seq : t->seq;
}

/* ---- running the loop ---------------------------------------------------- */

static void fz_tick(uv_timer_t* t) {
  (void)t; /* only wakes uv_run up */
}

/* Bound the next uv_run(UV_RUN_ONCE) to about ms. The tick repeats: if it
 * is already due when uv_run updates its clock, it fires before the poll,
 * and without a repeat the poll would then wait for mcpmon's next timer
 * (seconds away: BK_STABLE_MS). */
static void fz_arm_tick(struct fz* z, uint64_t ms) {
  uv_timer_start(&z->tick, fz_tick, ms, 1);
}

/* Settled: nothing half done that a few more ms would finish. */
static bool fz_stable(struct fz* z, bool backoff) {
  if (z->backend == NULL)
    return true; /* the session ended (a client hang-up) */
  enum backend_state s = backend_state(z->backend);
  if (s == BACKEND_RESTARTING || s == BACKEND_STOPPING ||
      (backoff && s == BACKEND_CRASHED))
    return false;
  /* A new process has not said hello yet. (One whose socket is closed
   * but that lives on, being stopped, will not: no waiting for it.) */
  long pid = backend_pid(z->backend);
  for (size_t i = 0; pid > 0 && i < z->nconns; i++)
    if (z->conns[i]->pid == pid)
      return true;
  return pid <= 0;
}

void fz_settle(struct fz* z, unsigned quiet_ms, unsigned max_ms, bool backoff) {
  uv_update_time(&z->loop);
  uint64_t start = uv_now(&z->loop);
  if (max_ms > z->budget_ms)
    max_ms = (unsigned)z->budget_ms;
  z->last_activity = start;
  for (;;) {
    uv_update_time(&z->loop);
    uint64_t now = uv_now(&z->loop);
    if (now - start >= max_ms ||
        (now - z->last_activity >= quiet_ms && fz_stable(z, backoff)))
      break;
    uint64_t quiet_at = z->last_activity + quiet_ms;
    uint64_t wait = quiet_at > now ? quiet_at - now : 1;
    if (wait > start + max_ms - now)
      wait = start + max_ms - now;
    fz_arm_tick(z, wait);
    uv_run(&z->loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&z->tick);
  uv_run(&z->loop, UV_RUN_NOWAIT);
  uv_update_time(&z->loop);
  uint64_t spent = uv_now(&z->loop) - start;
  z->budget_ms = spent < z->budget_ms ? z->budget_ms - spent : 0;
}

/* Run until done(z) or max_ms; returns done(z). */
static bool fz_run_until(struct fz* z, bool (*done)(struct fz*), unsigned ms) {
  uv_update_time(&z->loop);
  uint64_t end = uv_now(&z->loop) + ms;
  while (!done(z)) {
    uv_update_time(&z->loop);
    uint64_t now = uv_now(&z->loop);
    if (now >= end)
      break;
    fz_arm_tick(z, end - now);
    uv_run(&z->loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&z->tick);
  return done(z);
}

static bool fz_is_router_closed(struct fz* z) {
  return z->router_closed;
}

static bool fz_is_cout_eof(struct fz* z) {
  return z->cout_eof;
}

/* ---- one input ----------------------------------------------------------- */

static void fz_open_client(struct fz* z) {
  int in[2], out[2];
  FUZZ_CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
  FUZZ_CHECK(dup2(in[0], STDIN_FILENO) == STDIN_FILENO);
  FUZZ_CHECK(dup2(out[1], STDOUT_FILENO) == STDOUT_FILENO);
  close(in[0]);
  close(out[1]);
  uv_pipe_init(&z->loop, &z->cin, 0);
  uv_pipe_init(&z->loop, &z->cout, 0);
  FUZZ_CHECK(uv_pipe_open(&z->cin, in[1]) == 0);
  FUZZ_CHECK(uv_pipe_open(&z->cout, out[0]) == 0);
  z->cin.data = z->cout.data = z;
  z->cin_open = true;
  uv_read_start((uv_stream_t*)&z->cout, fz_alloc, fz_cout_read);
}

static void fz_listen(struct fz* z, char* name, size_t cap) {
  snprintf(name, cap, "mcpmon-fuzz-router-%ld-%u", (long)getpid(),
           fz_iteration++);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  FUZZ_CHECK(fd >= 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(sa.sun_path + 1, name, n); /* abstract: nothing to unlink */
  FUZZ_CHECK(
      bind(fd, (struct sockaddr*)&sa,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0);
  uv_pipe_init(&z->loop, &z->listener, 0);
  FUZZ_CHECK(uv_pipe_open(&z->listener, fd) == 0);
  z->listener.data = z;
  FUZZ_CHECK(uv_listen((uv_stream_t*)&z->listener, 16, fz_on_connection) == 0);
}

static void fz_start(struct fz* z) {
  FUZZ_CHECK(uv_loop_init(&z->loop) == 0);
  uv_timer_init(&z->loop, &z->tick);
  model_init(&z->model, z->su.max_line);
  z->budget_ms = FZ_BUDGET_MS;

  char name[96];
  fz_listen(z, name, sizeof(name));
  config_init(&z->cfg);
  z->cfg.max_line = z->su.max_line;
  z->cfg.queue_timeout_ms = z->su.queue_timeout_ms;
  struct server_config* sc = config_add_server(&z->cfg);
  free(sc->name);
  sc->name = strdup("fuzz");
  sc->command = strdup(FUZZ_PEER_PATH);
  strvec_push(&sc->args, name);
  strvec_free(&sc->watch);
  strvec_push(&sc->watch, fz_watch_dir);
  sc->grace_ms = 50;
  /* Issue 14: both reload modes; with overlap two connections live at
   * once while the old process drains. */
  sc->reload = z->su.overlap ? RELOAD_OVERLAP : RELOAD_STOP_FIRST;
  z->model.overlap = z->su.overlap;

  fz_open_client(z);
  struct session_hooks hooks = {
      .client_gone = fz_client_gone,
      .list_changed = NULL,
      .ctx = z,
  };
  char err[256];
  z->session = session_new(&z->loop, z->su.max_line, &hooks, err, sizeof(err));
  if (z->session == NULL)
    fprintf(stderr, "fuzz_router: session_new: %s\n", err);
  FUZZ_CHECK(z->session != NULL);
  struct mode_hooks mh = {
      .backend_added = fz_backend_added,
      .backend_removed = fz_backend_removed,
      .backend_replaced = fz_backend_replaced,
      .closed = fz_mode_closed,
      .ctx = z,
  };
  single_mode(&z->loop, &z->cfg, z->session, &mh, &z->mode);
  FUZZ_CHECK(z->backend != NULL);
  FUZZ_CHECK(z->mode.start(z->mode.self) == 0);
  FUZZ_CHECK(session_start(z->session) == 0);
}

static void fz_cin_shut(uv_shutdown_t* req, int status) {
  struct fz* z = req->data;
  (void)status; /* ENOTSOCK on a pipe: what matters is that writes ended */
  if (!uv_is_closing((uv_handle_t*)&z->cin))
    uv_close((uv_handle_t*)&z->cin, NULL);
}

static void fz_guard(uv_timer_t* t) {
  (void)t;
  fprintf(stderr, "fuzz_router: handles still active after teardown:\n");
  uv_print_active_handles(t->loop, stderr);
  FUZZ_CHECK(!"the loop does not empty");
}

/* The client closes stdin; everything must wind down on its own. */
static void fz_finish(struct fz* z) {
  z->cin_open = false;
  z->cin_shutdown.data = z;
  if (uv_shutdown(&z->cin_shutdown, (uv_stream_t*)&z->cin, fz_cin_shut) != 0)
    uv_close((uv_handle_t*)&z->cin, NULL);
  if (!fz_run_until(z, fz_is_router_closed, FZ_SHUTDOWN_MS)) {
    fprintf(stderr,
            "fuzz_router: not closed %u ms after stdin EOF, "
            "backend %s\n",
            FZ_SHUTDOWN_MS,
            z->backend != NULL ? backend_state_name(backend_state(z->backend))
                               : "freed");
    FUZZ_CHECK(!"mcpmon shuts down after stdin EOF (STDIO-12)");
  }
  FUZZ_CHECK(fz_run_until(z, fz_is_cout_eof, 2000));
  /* STDIO-1: every line ends in \n. */
  FUZZ_CHECK(z->model.hung_up || z->cout_line.len == 0);
  FUZZ_CHECK(z->backend == NULL && z->final_state == BACKEND_STOPPED);
  unsigned restarts = z->final_restarts;

  if (!uv_is_closing((uv_handle_t*)&z->cin))
    uv_close((uv_handle_t*)&z->cin, NULL); /* a shutdown that never ran */
  if (!uv_is_closing((uv_handle_t*)&z->cout))
    uv_close((uv_handle_t*)&z->cout, NULL);
  uv_close((uv_handle_t*)&z->listener, NULL);
  uv_close((uv_handle_t*)&z->tick, NULL);
  for (size_t i = 0; i < z->nconns; i++)
    if (!uv_is_closing((uv_handle_t*)&z->conns[i]->h))
      uv_close((uv_handle_t*)&z->conns[i]->h, NULL);
  uv_timer_t guard;
  uv_timer_init(&z->loop, &guard);
  uv_unref((uv_handle_t*)&guard);
  uv_timer_start(&guard, fz_guard, 3000, 0);
  uv_run(&z->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&z->loop, UV_RUN_DEFAULT);
  FUZZ_CHECK(uv_loop_close(&z->loop) == 0);

  /* No server process outlives the session (DESIGN.md). */
  for (size_t i = 0; i < z->npids; i++) {
    int st;
    pid_t r = waitpid((pid_t)z->pids[i], &st, WNOHANG);
    if (r == 0)
      fprintf(stderr, "fuzz_router: server pid %ld still running\n",
              z->pids[i]);
    FUZZ_CHECK(r != 0);
  }
  model_finish(&z->model, restarts, z->su.overlap);
}

static void fz_free(struct fz* z) {
  for (size_t i = 0; i < z->nconns; i++) {
    fzb_free(&z->conns[i]->in);
    free(z->conns[i]);
  }
  free(z->conns);
  free(z->pids);
  fzb_free(&z->cout_line);
  model_free(&z->model);
  config_free(&z->cfg);
  free(z);
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN); /* as mcpmon (STDIO-10) */
  log_init(getenv("FUZZ_ROUTER_LOG") ? LOG_DEBUG : LOG_QUIET, false);
  fz_trace = getenv("FUZZ_ROUTER_TRACE") != NULL;
  fz_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  snprintf(fz_watch_dir, sizeof(fz_watch_dir), "/tmp/fuzz_router-XXXXXX");
  if (mkdtemp(fz_watch_dir) == NULL) {
    fprintf(stderr, "fuzz_router: cannot make a folder to watch\n");
    abort();
  }
  atexit(fz_remove_watch_dir);
  if (fz_devnull < 0 || access(FUZZ_PEER_PATH, X_OK) != 0) {
    fprintf(stderr, "fuzz_router: cannot use /dev/null or %s\n",
            FUZZ_PEER_PATH);
    abort();
  }
  /* mcpmon's client owns fds 0 and 1 during each input; between inputs
   * they hold /dev/null (libFuzzer writes to stderr only). */
  dup2(fz_devnull, STDIN_FILENO);
  dup2(fz_devnull, STDOUT_FILENO);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FZ_MAX_INPUT)
    return -1;
  struct fz* z = calloc(1, sizeof(*z));
  struct fz_input in = {data, size, 0};
  ops_read_setup(&in, &z->su);
  fz_start(z);
  if (z->su.client_init)
    ops_client_initialize(z);
  if (z->su.start_settle)
    fz_settle(z, 2, 300, false);
  ops_run(z, &in);
  fz_finish(z);
  fz_free(z);
  return 0;
}
