/* backend_proc.c - a backend's server process: spawn, pipes, stop, exit. See
 * backend_int.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/backend/backend_int.h"
#include "core/proc/proc.h"
#include "core/slab.h"
#include "lib/util.h"

/* ---- reading the server ------------------------------------------------- */

static void bk_on_response(struct backend* b, struct jrpc_msg* m) {
  struct req* r = bk_req_take(b, jrpc_int_id(m->id));
  if (r == NULL) {
    char idtext[64];
    jrpc_id_format(m->id, idtext, sizeof(idtext));
    bk_log(b, LL_DEBUG, "dropped a response to unknown id %s", idtext);
    return;
  }
  switch (r->kind) {
    case REQ_FORWARD:
      jrpc_set_id(m->root, r->client_id);
      bk_finish_forward(b, r, m->root);
      m->root = NULL;
      break;
    case REQ_INIT:
      bk_on_init_result(b, m);
      break;
    case REQ_LIST:
      bk_on_list_page(b, r->list_kind, m);
      break;
    case REQ_REPLAY:
      if (m->is_error)
        bk_log(b, LL_WARN, "Server refused the replayed %s", r->method);
      break;
  }
  bk_req_free(r);
}

static bool bk_is_list_changed(const char* method) {
  return strncmp(method, "notifications/", 14) == 0 &&
         strstr(method, "/list_changed") != NULL;
}

/* Scan the server's line while its bytes are fresh in cache: for a large
 * result this saves a pass over memory (bench/analysis.md). */
static void bk_on_out_part(void* ctx, const char* bytes, size_t n) {
  struct bproc* p = ctx;
  if (bytes == NULL)
    jscan_begin(&p->out_scan);
  else
    jscan_feed(&p->out_scan, bytes, n);
}

static void bk_on_out_line(void* ctx, char* line, size_t len) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  /* The scan covers the line unless it ended in "\r\n" (the '\r' was
   * scanned as whitespace before the framer took it off). */
  const struct jscan* scanned = NULL;
  if (p->out_scan.pos == len) {
    jscan_end(&p->out_scan);
    scanned = &p->out_scan.out;
  }
  if (bk_forward_text(b, line, len, scanned, &p->out_f))
    return; /* a response to a forwarded request, passed on as text */
  struct jrpc_msg m;
  jrpc_parse(line, len, &m);
  if (m.kind == JRPC_INVALID || m.kind == JRPC_BATCH) {
    /* STDIO-8: a stray print() must not reach the client. */
    bk_log(b, LL_WARN,
           "Server wrote non-JSON-RPC output to stdout "
           "(dropped; use stderr for logs): %.200s",
           line);
    jrpc_msg_free(&m);
    return;
  }
  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "<- server %.300s", line);
  switch (m.kind) {
    case JRPC_RESPONSE:
      bk_on_response(b, &m);
      break;
    case JRPC_REQUEST:
      if (strcmp(m.method, "ping") == 0) {
        cJSON* pong = jrpc_make_result(m.id, cJSON_CreateObject());
        bk_write_msg(b, pong); /* PING-1: answered by mcpmon */
        cJSON_Delete(pong);
      } else {
        b->ev.on_server_request(b, b->ctx, m.root, p->generation);
        m.root = NULL;
      }
      break;
    case JRPC_NOTIFICATION:
      if (strcmp(m.method, "notifications/progress") == 0 &&
          !bk_progress_known(
              b, cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(m.root, "params"),
                     "progressToken"))) {
        /* PROG-1: a token no request in flight has (late, or made up). */
        bk_log(b, LL_DEBUG, "dropped progress for an unknown token");
        break;
      }
      if (bk_is_list_changed(m.method) && b->state != BACKEND_READY) {
        /* §3.3 step 11: swallowed during re-initialization. */
        bk_log(b, LL_DEBUG, "swallowed %s during initialization", m.method);
        break;
      }
      if (bk_is_list_changed(m.method))
        bk_on_list_changed(b, m.method);
      b->ev.on_message(b, b->ctx, m.root);
      m.root = NULL;
      break;
    default:
      break;
  }
  jrpc_msg_free(&m);
}

static void bk_on_out_oversize(void* ctx,
                               size_t total,
                               const char* head,
                               size_t headlen) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  cJSON* id = jrpc_sniff_id(head, headlen);
  struct req* r = id ? bk_req_take(b, jrpc_int_id(id)) : NULL;
  cJSON_Delete(id);
  bk_log(b, LL_WARN,
         "Server wrote a %zu-byte message, over the %zu-byte limit "
         "(--max-line); dropped",
         total, b->max_line);
  if (r != NULL && r->kind == REQ_FORWARD) {
    char text[256];
    snprintf(text, sizeof(text),
             "The response of server '%s' was %zu bytes, over mcpmon's "
             "limit of %zu bytes (--max-line)",
             bk_display_name(b), total, b->max_line);
    bk_answer_req_error(b, r, "oversize", text);
  }
  if (r != NULL)
    bk_req_free(r);
}

/* The server's stdout is read straight into its framer: a large message
 * is not copied once more on its way (bench/analysis.md). */
static void bk_alloc_out(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct bproc* p = h->data;
  (void)suggested;
  size_t room;
  buf->base = framer_space(&p->out_f, &room);
  buf->len = room;
}

static void bk_trim_cb(uv_timer_t* t) {
  struct bproc* p = t->data;
  framer_trim(&p->out_f);
}

/* Give out_f's large buffer back BK_TRIM_MS after the last large line,
 * whatever small lines come meanwhile; a large line on its way stops the
 * clock. */
static void bk_trim_arm(struct bproc* p) {
  uv_handle_t* t = (uv_handle_t*)&p->t_trim;
  if (uv_is_closing(t))
    return;
  if (!framer_holding(&p->out_f))
    uv_timer_stop(&p->t_trim);
  else if (!uv_is_active(t))
    uv_timer_start(&p->t_trim, bk_trim_cb, BK_TRIM_MS, 0);
}

static void bk_stdout_closed_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->p == NULL || b->p->exited || b->stop_why != STOP_NONE)
    return;
  bk_log(b, LL_WARN,
         "Server closed its stdout but is still running; "
         "stopping it");
  b->crash_cause = "closed its stdout while still running";
  bk_begin_stop(b, STOP_CRASH);
}

static void bk_on_out_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct bproc* p = s->data;
  if (n > 0 && (size_t)n >= PROC_PIPE_FULL && !p->out_tried) {
    /* The pipe was full: large messages come this way (proc.h). */
    uv_os_fd_t fd;
    p->out_tried = true;
    if (uv_fileno((uv_handle_t*)s, &fd) == 0)
      p->out_grown = proc_pipe_grow(fd);
  }
  if (n > 0) {
    framer_commit(&p->out_f, (size_t)n, bk_on_out_line, bk_on_out_oversize, p);
    bk_trim_arm(p);
    return;
  }
  if (n == 0)
    return;
  uv_read_stop(s);
  p->out_eof = true;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  if (!p->exited && b->stop_why == STOP_NONE) {
    /* Usually the exit follows at once; if not, the server can no longer
     * answer and is stopped. */
    uv_timer_start(&b->t_stop, bk_stdout_closed_cb, BK_STDOUT_EOF_GRACE_MS, 0);
    return;
  }
  bk_stop_check(b);
}

static void bk_on_err_line(void* ctx, char* line, size_t len) {
  struct bproc* p = ctx;
  struct backend* b = p->b;
  const char* name = b ? b->logname : NULL;
  log_passthrough(name, p->pid, line, len);
  if (b == NULL)
    return;
  free(b->tail[b->tail_next]);
  b->tail[b->tail_next] =
      xstrndup(line, len > BK_TAIL_LINE_LEN ? BK_TAIL_LINE_LEN : len);
  b->tail_next = (b->tail_next + 1) % BK_TAIL_LINES;
}

static void bk_on_err_oversize(void* ctx,
                               size_t total,
                               const char* head,
                               size_t headlen) {
  struct bproc* p = ctx;
  char note[64];
  int n = snprintf(note, sizeof(note), "[a %zu-byte stderr line, cut] ", total);
  (void)n;
  log_passthrough(p->b ? p->b->logname : NULL, p->pid, head, headlen);
  log_passthrough(p->b ? p->b->logname : NULL, p->pid, note, strlen(note));
}

static void bk_on_err_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct bproc* p = s->data;
  if (n > 0) {
    framer_push(&p->err_f, buf->base, (size_t)n, bk_on_err_line,
                bk_on_err_oversize, p);
  } else if (n < 0) {
    uv_read_stop(s);
    framer_reset(&p->err_f);
  }
}

/* ---- process lifetime --------------------------------------------------- */

static void bk_handle_closed(uv_handle_t* h) {
  struct bproc* p = h->data;
  if (--p->open_handles > 0)
    return;
  framer_free(&p->out_f);
  framer_free(&p->err_f);
  proc_pipe_release(p->out_grown);
  free(p);
}

static void bk_close_if(struct bproc* p, uv_handle_t* h) {
  if (!uv_is_closing(h)) {
    uv_close(h, bk_handle_closed);
  }
}

/* Detach the finished process from b and close its handles. */
void bk_release_proc(struct backend* b) {
  struct bproc* p = b->p;
  if (p == NULL)
    return;
  b->p = NULL;
  p->b = NULL;
  p->in_closed = true;
  bk_close_if(p, (uv_handle_t*)&p->in);
  bk_close_if(p, (uv_handle_t*)&p->out);
  bk_close_if(p, (uv_handle_t*)&p->err);
  bk_close_if(p, (uv_handle_t*)&p->t_trim);
  bk_close_if(p, (uv_handle_t*)&p->proc);
}

static void bk_backoff_cb(uv_timer_t* t) {
  struct backend* b = t->data;
  if (b->state == BACKEND_CRASHED)
    bk_spawn(b);
}

/* The old process and its group are gone: decide what comes next. */
static void bk_stop_finished(struct backend* b) {
  enum stop_why why = b->stop_why;
  uint64_t gen = b->p ? b->p->generation : 0;
  uv_timer_stop(&b->t_stop);
  b->stage = STAGE_NONE;
  b->stop_why = STOP_NONE;
  bk_fail_inflight(b, why);
  b->crash_cause = NULL;
  bool had = b->p != NULL;
  bk_release_proc(b);
  if (had)
    b->ev.on_process_gone(b, b->ctx, gen);

  switch (why) {
    case STOP_RESTART:
      bk_spawn(b);
      return;
    case STOP_SHUTDOWN:
      bk_set_state(b, BACKEND_STOPPED);
      bk_fail_queue(b, true);
      b->ev.on_stopped(b, b->ctx);
      return;
    default:
      break;
  }
  /* A crash. */
  b->crashes++;
  if (b->crashes >= BK_MAX_CRASHES) {
    bk_set_state(b, BACKEND_WAITING);
    bk_log(b, LL_ERROR,
           "Server crashed %u times in a row; waiting for file changes "
           "before restarting",
           b->crashes);
    bk_fail_queue(b, true);
    return;
  }
  unsigned delay = BK_BACKOFF_FIRST_MS << (b->crashes - 1);
  if (delay > BK_BACKOFF_MAX_MS)
    delay = BK_BACKOFF_MAX_MS;
  bk_set_state(b, BACKEND_CRASHED);
  bk_log(b, LL_INFO, "Restarting in %u ms (crash %u of %u)", delay, b->crashes,
         BK_MAX_CRASHES);
  uv_timer_start(&b->t_backoff, bk_backoff_cb, delay, 0);
}

static void bk_stop_timer_cb(uv_timer_t* t) {
  bk_stop_check(t->data);
}

/* Advances the stop sequence (STDIO-11): stdin EOF -> SIGTERM to the
 * group -> grace -> SIGKILL -> the whole group gone. Runs on the process
 * exit, stdout EOF and the stop timer. */
void bk_stop_check(struct backend* b) {
  struct bproc* p = b->p;
  if (b->stop_why == STOP_NONE)
    return;
  if (p == NULL) {
    bk_stop_finished(b);
    return;
  }
  uint64_t now = uv_now(b->loop);
  pid_t pgid = (pid_t)p->pid;
  bool alive = !p->exited || proc_group_alive(pgid);
  if (!alive) {
    if (b->group_dead_ms == 0)
      b->group_dead_ms = now;
    /* Wait for stdout EOF so no answer in the pipe is lost, briefly. */
    if (p->out_eof || now - b->group_dead_ms >= 500) {
      bk_stop_finished(b);
      return;
    }
  }
  if (now >= b->stage_deadline_ms) {
    switch (b->stage) {
      case STAGE_EOF_WAIT:
        proc_signal_group(pgid, SIGTERM);
        b->stage = STAGE_TERM;
        b->stage_deadline_ms = now + b->sc->grace_ms;
        break;
      case STAGE_TERM:
        bk_log(b, LL_WARN,
               "Server did not stop within %u ms of SIGTERM; "
               "sending SIGKILL",
               b->sc->grace_ms);
        proc_signal_group(pgid, SIGKILL);
        b->stage = STAGE_KILL;
        b->stage_deadline_ms = now + BK_KILL_WAIT_MS;
        break;
      default:
        bk_log(b, LL_ERROR,
               "Server process group %ld survived SIGKILL; "
               "giving up on it",
               (long)pgid);
        bk_stop_finished(b);
        return;
    }
  }
  uint64_t wait = b->stage_deadline_ms > now ? b->stage_deadline_ms - now : 0;
  if (alive && p->exited && wait > BK_POLL_MS)
    wait = BK_POLL_MS; /* only grandchildren left: no event tells us */
  if (!alive && wait > 50)
    wait = 50;
  uv_timer_start(&b->t_stop, bk_stop_timer_cb, wait, 0);
}

void bk_begin_stop(struct backend* b, enum stop_why why) {
  uv_timer_stop(&b->t_init);
  uv_timer_stop(&b->t_stable);
  uv_timer_stop(&b->t_backoff);
  if (b->stop_why != STOP_NONE) {
    /* Already stopping: a shutdown overrides a restart or crash. */
    if (why == STOP_SHUTDOWN)
      b->stop_why = why;
    return;
  }
  b->stop_why = why;
  b->group_dead_ms = 0;
  if (why == STOP_CRASH) {
    /* "Restart #N complete (T ms)" then counts from the crash. */
    b->restart_begin_ms = uv_now(b->loop);
    bk_set_state(b, BACKEND_CRASHED);
  }
  struct bproc* p = b->p;
  if (p == NULL) {
    uv_timer_start(&b->t_stop, bk_stop_timer_cb, 0, 0);
    return;
  }
  if (!p->in_closed) {
    p->in_closed = true;
    uv_close((uv_handle_t*)&p->in, bk_handle_closed);
  }
  uint64_t now = uv_now(b->loop);
  if (why == STOP_SHUTDOWN && !p->exited) {
    b->stage = STAGE_EOF_WAIT;
    b->stage_deadline_ms = now + BK_EOF_WAIT_MS;
  } else {
    proc_signal_group((pid_t)p->pid, SIGTERM);
    b->stage = STAGE_TERM;
    b->stage_deadline_ms = now + b->sc->grace_ms;
  }
  bk_stop_check(b);
}

static void bk_on_exit(uv_process_t* proc, int64_t status, int sig) {
  struct bproc* p = proc->data;
  p->exited = true;
  p->exit_status = status;
  p->term_signal = sig;
  struct backend* b = p->b;
  if (b == NULL)
    return;
  b->have_exit = true;
  b->last_exit_status = (long)status;
  b->last_term_signal = sig;
  char ex[64];
  proc_describe_exit((long)status, sig, ex, sizeof(ex));
  snprintf(b->last_exit_text, sizeof(b->last_exit_text), "%s", ex);
  if (b->stop_why == STOP_NONE) {
    bk_log(b, LL_ERROR, "Server exited unexpectedly (%s)%s", ex,
           b->state == BACKEND_INITIALIZING || b->state == BACKEND_STARTING
               ? " during its handshake"
               : "");
    bk_begin_stop(b, STOP_CRASH);
    return;
  }
  bk_log(b, b->stop_why == STOP_SHUTDOWN ? LL_INFO : LL_VERBOSE,
         "Server stopped (%s)", ex);
  bk_stop_check(b);
}

static char** bk_build_env(const struct server_config* sc) {
  extern char** environ;
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char** env = xcalloc(n + sc->env.n + 1, sizeof(char*));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char* eq = strchr(environ[i], '=');
    size_t keylen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    bool overridden = false;
    for (size_t j = 0; j < sc->env.n; j++)
      if (strncmp(sc->env.v[j], environ[i], keylen) == 0 &&
          sc->env.v[j][keylen] == '=')
        overridden = true;
    if (!overridden)
      env[k++] = environ[i];
  }
  for (size_t j = 0; j < sc->env.n; j++) env[k++] = sc->env.v[j];
  env[k] = NULL;
  return env;
}

static void bk_enter_waiting(struct backend* b, const char* why) {
  bk_log(b, LL_ERROR, "%s; waiting for file changes before restarting", why);
  b->have_exit = false;
  free(b->start_error);
  b->start_error = xstrdup(why);
  bk_set_state(b, BACKEND_WAITING);
  bk_fail_queue(b, true);
}

/* The server's stdin, stdout and stderr as pipes, not the socketpairs that
 * UV_CREATE_PIPE makes: a Unix socket costs the server and mcpmon more per
 * message (bench/: about 5 us of a 28 us round trip on one CPU). ours[i]
 * is mcpmon's end (non-blocking), theirs[i] the server's (blocking); both
 * close-on-exec. Returns 0, or a negative UV_E* code with none left open. */
static int bk_make_pipes(uv_file ours[3], uv_file theirs[3]) {
  for (int i = 0; i < 3; i++) {
    uv_file fds[2]; /* [0] reads, [1] writes; the server reads stdin */
    int rc = i == 0 ? uv_pipe(fds, 0, UV_NONBLOCK_PIPE)
                    : uv_pipe(fds, UV_NONBLOCK_PIPE, 0);
    if (rc != 0) {
      for (int j = 0; j < i; j++) {
        close(ours[j]);
        close(theirs[j]);
      }
      return rc;
    }
    ours[i] = fds[i == 0 ? 1 : 0];
    theirs[i] = fds[i == 0 ? 0 : 1];
  }
  return 0;
}

void bk_spawn(struct backend* b) {
  const struct server_config* sc = b->sc;
  char* resolved = NULL;
  if (sc->cwd == NULL || strchr(sc->command, '/') == NULL) {
    resolved = proc_find_program(sc->command);
    if (resolved == NULL) {
      char why[512];
      snprintf(why, sizeof(why), "Cannot run '%s': %s", sc->command,
               errno == ENOENT ? "command not found" : strerror(errno));
      bk_enter_waiting(b, why);
      return;
    }
  }
  const char* self = proc_self_exe();
  size_t argc = 0;
  char** argv = xcalloc(sc->args.n + 6, sizeof(char*));
  char ppid[32];
  snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
  if (self != NULL) {
    argv[argc++] = (char*)self;
    argv[argc++] = PROC_SHIM_FLAG;
    argv[argc++] = ppid;
    argv[argc++] = "--";
  }
  argv[argc++] = resolved ? resolved : sc->command;
  for (size_t i = 0; i < sc->args.n; i++) argv[argc++] = sc->args.v[i];
  argv[argc] = NULL;

  uv_file ours[3], theirs[3];
  int rc = bk_make_pipes(ours, theirs);
  if (rc != 0) {
    char why[512];
    snprintf(why, sizeof(why), "Cannot start '%s': %s", sc->command,
             uv_strerror(rc));
    free(argv);
    free(resolved);
    bk_enter_waiting(b, why);
    return;
  }
  struct bproc* p = xcalloc(1, sizeof(*p));
  p->b = b;
  p->generation = ++b->generation;
  framer_init(&p->out_f, b->max_line);
  framer_hold(&p->out_f, true); /* until t_trim */
  framer_watch(&p->out_f, bk_on_out_part, p);
  jscan_begin(&p->out_scan);
  framer_init(&p->err_f, BK_STDERR_LINE_MAX);
  uv_pipe_init(b->loop, &p->in, 0);
  uv_pipe_init(b->loop, &p->out, 0);
  uv_pipe_init(b->loop, &p->err, 0);
  uv_timer_init(b->loop, &p->t_trim);
  p->in.data = p->out.data = p->err.data = p->proc.data = p->t_trim.data = p;
  p->open_handles = 4;

  uv_stdio_container_t stdio[3];
  for (int i = 0; i < 3; i++) {
    stdio[i].flags = UV_INHERIT_FD;
    stdio[i].data.fd = theirs[i];
  }
  char** env = sc->env.n > 0 ? bk_build_env(sc) : NULL;
  uv_process_options_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.file = argv[0];
  opts.args = argv;
  opts.env = env;
  opts.cwd = sc->cwd;
  opts.flags = UV_PROCESS_DETACHED; /* setsid: its own process group */
  opts.stdio_count = 3;
  opts.stdio = stdio;
  opts.exit_cb = bk_on_exit;
  rc = uv_spawn(b->loop, &p->proc, &opts);
  uv_pipe_t* ends[3] = {&p->in, &p->out, &p->err};
  for (int i = 0; i < 3; i++) {
    close(theirs[i]);
    /* uv_pipe_open cannot fail on a new pipe; if it did, the server would
     * see EOF and EPIPE and be handled as a crash. */
    if (rc != 0 || uv_pipe_open(ends[i], ours[i]) != 0)
      close(ours[i]);
  }
  free(env);
  free(argv);
  p->open_handles++; /* the process handle must be closed even on failure */
  b->p = p;
  if (rc != 0) {
    p->exited = true;
    bk_release_proc(b);
    char why[512];
    snprintf(why, sizeof(why), "Cannot start '%s': %s", sc->command,
             uv_strerror(rc));
    free(resolved);
    bk_enter_waiting(b, why);
    return;
  }
  free(resolved);
  free(b->start_error);
  b->start_error = NULL;
  p->pid = p->proc.pid;
  p->spawned_ms = uv_now(b->loop);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  b->started_wall_ms =
      (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
  uv_read_start((uv_stream_t*)&p->out, bk_alloc_out, bk_on_out_read);
  uv_read_start((uv_stream_t*)&p->err, slab_alloc, bk_on_err_read);
  if (log_enabled(LL_INFO)) {
    char* cmd = server_config_command_line(sc);
    bk_log(b, LL_INFO, "Started: %s", cmd);
    free(cmd);
  }
  bk_set_state(b, BACKEND_STARTING);
  if (b->init_params != NULL)
    bk_send_init(b);
}
