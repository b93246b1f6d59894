/* child.c - see child.h. */
#include "core/proc/child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proc/proc.h"
#include "core/proc/spawn.h"
#include "core/proc/strays.h"
#include "core/slab.h"
#include "lib/util.h"

/* Keep a large stdout buffer this long after its last large line. */
#define CHILD_TRIM_MS 1000u

enum child_stage { STAGE_NONE, STAGE_EOF_WAIT, STAGE_TERM, STAGE_KILL };

struct child {
  uv_loop_t* loop;
  struct child_events ev;
  void* ctx;
  bool released; /* no callbacks any more */
  char* logname;
  char* err_tag;
  char* command;     /* as configured, for the exec's failure message */
  char* file;        /* ... the program exec'd */
  char* cwd;         /* ... or NULL */
  struct spawn sp;   /* the leader's start (spawn.h) */
  uv_poll_t errpoll; /* sp.errfd: the exec's outcome */
  bool exec_done;    /* ... known, errpoll closing */
  uv_pipe_t in;
  uv_pipe_t out;
  uv_pipe_t err;
  uv_timer_t t_trim; /* gives out_f's large buffer back when idle */
  uv_timer_t t_stop; /* the stop sequence's deadlines */
  uv_signal_t sigchld;
  struct framer out_f;
  struct framer err_f;
  size_t out_grown; /* stdout's pipe capacity added (proc_pipe_grow) */
  bool out_tried;   /* ... which is tried once */
  int open_handles;
  bool exited;
  bool out_eof;
  bool out_paused; /* child_pause_output */
  bool in_closed;
  bool in_ending;        /* child_end_input: stdin ends after the writes */
  uv_shutdown_t in_shut; /* ... through this request */
  long pid;
  uint64_t spawned_ms;
  bool stopping;
  bool gone;
  enum child_stage stage;
  uint64_t stage_deadline_ms;
  uint64_t group_dead_ms;
  unsigned grace_ms;
  struct strays strays; /* its processes outside its group (strays.h) */
  bool swept;           /* a last scan found none: all is gone */
  char tag[64];         /* STRAYS_TAG_VAR=<mcpmon pid>.<spawn number> */
};

#define child_log(c, level, ...)                           \
  do {                                                     \
    if (log_enabled(level))                                \
      log_msg(level, (c)->logname, (c)->pid, __VA_ARGS__); \
  } while (0)

/* Set once, before the first spawn: 1 on, -1 failed, 0 not tried. */
static int child_subreaper;
/* Spawns so far: the number in each child's tag. */
static unsigned long long child_spawns;
/* /proc could not be read for strays (logged once). */
static bool child_strays_warned;

static void child_become_subreaper(void) {
  if (child_subreaper != 0)
    return;
  child_subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 1 : -1;
  if (child_subreaper < 0)
    log_msg(LL_WARN, NULL, 0,
            "Cannot become a child subreaper (%s); process groups are "
            "watched through /proc, and a process that leaves a server's "
            "group after its parent exited is out of reach",
            strerror(errno));
}

/* ---- the group ---------------------------------------------------------- */

/* Reap every member of the group that has exited, except the leader
 * (child_reap_leader's). Returns true while the group has a member that is our
 * child and has not exited, or the leader is not reaped yet. */
static bool child_reap_group(struct child* c) {
  pid_t pgid = (pid_t)c->pid;
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PGID, (id_t)pgid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR)
        continue;
      return false; /* ECHILD: nobody of ours is left in the group */
    }
    if (si.si_pid == 0)
      return true; /* members, none exited */
    if (si.si_pid == pgid)
      return true; /* the leader: child_reap_leader reaps it */
    waitpid(si.si_pid, NULL, WNOHANG);
  }
}

static bool child_group_alive(struct child* c) {
  if (!c->exited)
    return true;
  if (child_subreaper > 0)
    return child_reap_group(c);
  return proc_group_alive((pid_t)c->pid);
}

/* Finds the server's processes outside its group not yet known and sends
 * them sig (strays.h). Returns how many. */
static int child_scan_strays(struct child* c, int sig) {
  pid_t leader = c->exited ? 0 : (pid_t)c->pid; /* unreaped: still ours */
  int n = strays_scan(&c->strays, leader, (pid_t)c->pid, c->tag, sig);
  if (n < 0) {
    if (!child_strays_warned)
      log_msg(LL_WARN, NULL, 0,
              "Cannot read /proc (%s): processes that leave a server's "
              "process group are not stopped with it",
              strerror(-n));
    child_strays_warned = true;
    return 0;
  }
  if (n > 0 && log_enabled(LL_VERBOSE)) {
    char who[512];
    strays_describe(&c->strays, who, sizeof(who));
    child_log(c, LL_VERBOSE,
              "Sending SIG%s also to %s, outside the server's process "
              "group",
              sigabbrev_np(sig), who);
  }
  return n;
}

/* ---- reading ------------------------------------------------------------ */

static void child_on_out_part(void* ctx, const char* bytes, size_t n) {
  struct child* c = ctx;
  if (!c->released && c->ev.on_out_part != NULL)
    c->ev.on_out_part(c->ctx, bytes, n);
}

static void child_on_out_line(void* ctx, char* line, size_t len) {
  struct child* c = ctx;
  if (!c->released)
    c->ev.on_out_line(c->ctx, line, len, &c->out_f);
}

static void child_on_out_oversize(void* ctx,
                                  size_t total,
                                  const char* head,
                                  size_t headlen) {
  struct child* c = ctx;
  if (!c->released)
    c->ev.on_out_oversize(c->ctx, total, head, headlen);
}

/* The child's stdout is read straight into its framer: a large message
 * is not copied once more on its way (bench/analysis.md). */
static void child_alloc_out(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct child* c = h->data;
  (void)suggested;
  size_t room;
  buf->base = framer_space(&c->out_f, &room);
  buf->len = room;
}

static void child_trim_cb(uv_timer_t* t) {
  struct child* c = t->data;
  framer_trim(&c->out_f);
}

/* Give out_f's large buffer back CHILD_TRIM_MS after the last large
 * line, whatever small lines come meanwhile; a large line on its way
 * stops the clock. */
static void child_trim_arm(struct child* c) {
  uv_handle_t* t = (uv_handle_t*)&c->t_trim;
  if (uv_is_closing(t))
    return;
  if (!framer_holding(&c->out_f))
    uv_timer_stop(&c->t_trim);
  else if (!uv_is_active(t))
    uv_timer_start(&c->t_trim, child_trim_cb, CHILD_TRIM_MS, 0);
}

static void child_check(struct child* c);

static void child_on_out_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct child* c = s->data;
  (void)buf;
  if (n > 0 && (size_t)n >= PROC_PIPE_FULL && !c->out_tried) {
    /* The pipe was full: large messages come this way (proc.h). */
    uv_os_fd_t fd;
    c->out_tried = true;
    if (uv_fileno((uv_handle_t*)s, &fd) == 0)
      c->out_grown = proc_pipe_grow(fd);
  }
  if (n > 0) {
    framer_commit(&c->out_f, (size_t)n, child_on_out_line,
                  child_on_out_oversize, c);
    child_trim_arm(c);
    return;
  }
  if (n == 0)
    return;
  uv_read_stop(s);
  c->out_eof = true;
  if (c->released)
    return;
  c->ev.on_out_eof(c->ctx);
  if (c->stopping && !c->released)
    child_check(c);
}

void child_pause_output(struct child* c, bool pause) {
  if (c == NULL || c->out_paused == pause)
    return;
  c->out_paused = pause;
  if (c->out_eof || c->released || uv_is_closing((uv_handle_t*)&c->out))
    return;
  if (pause)
    uv_read_stop((uv_stream_t*)&c->out);
  else
    uv_read_start((uv_stream_t*)&c->out, child_alloc_out, child_on_out_read);
}

static void child_on_err_line(void* ctx, char* line, size_t len) {
  struct child* c = ctx;
  log_passthrough_tag(c->logname, c->pid, c->err_tag, line, len);
  if (!c->released && c->ev.on_err_line != NULL)
    c->ev.on_err_line(c->ctx, line, len);
}

static void child_on_err_oversize(void* ctx,
                                  size_t total,
                                  const char* head,
                                  size_t headlen) {
  struct child* c = ctx;
  char note[64];
  snprintf(note, sizeof(note), "[a %zu-byte stderr line, cut] ", total);
  log_passthrough(c->logname, c->pid, head, headlen);
  log_passthrough(c->logname, c->pid, note, strlen(note));
}

static void child_on_err_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct child* c = s->data;
  if (n > 0) {
    framer_push(&c->err_f, buf->base, (size_t)n, child_on_err_line,
                child_on_err_oversize, c);
  } else if (n < 0) {
    uv_read_stop(s);
    framer_reset(&c->err_f);
  }
}

/* ---- writing ------------------------------------------------------------ */

struct child_write {
  uv_write_t w;
  char* buf;
};

static void child_write_done(uv_write_t* w, int status) {
  struct child_write* cw = (struct child_write*)w;
  (void)status;
  free(cw->buf);
  free(cw);
}

int child_write(struct child* c, char* buf, size_t len) {
  if (c == NULL || c->in_closed || c->in_ending) {
    free(buf);
    return UV_EPIPE;
  }
  struct child_write* cw = xmalloc(sizeof(*cw));
  cw->buf = buf;
  uv_buf_t ub = uv_buf_init(buf, (unsigned)len);
  int rc = uv_write(&cw->w, (uv_stream_t*)&c->in, &ub, 1, child_write_done);
  if (rc != 0) {
    free(buf);
    free(cw);
  }
  return rc;
}

static void child_handle_closed(uv_handle_t* h);

/* Every write before it has reached the pipe, and the child has read
 * EOF's way clear (or the shutdown was cancelled by a close). */
static void child_in_shut_done(uv_shutdown_t* r, int status) {
  struct child* c = r->data;
  (void)status;
  c->in_ending = false;
  if (!c->in_closed) {
    c->in_closed = true;
    uv_close((uv_handle_t*)&c->in, child_handle_closed);
  }
}

void child_end_input(struct child* c) {
  if (c == NULL || c->in_closed || c->in_ending)
    return;
  c->in_ending = true;
  c->in_shut.data = c;
  if (uv_shutdown(&c->in_shut, (uv_stream_t*)&c->in, child_in_shut_done) != 0) {
    c->in_ending = false;
    c->in_closed = true;
    uv_close((uv_handle_t*)&c->in, child_handle_closed);
  }
}

size_t child_write_queue(const struct child* c) {
  return uv_stream_get_write_queue_size((const uv_stream_t*)&c->in);
}

/* ---- handles ------------------------------------------------------------ */

static void child_handle_closed(uv_handle_t* h) {
  struct child* c = h->data;
  if (--c->open_handles > 0)
    return;
  framer_free(&c->out_f);
  framer_free(&c->err_f);
  proc_pipe_release(c->out_grown);
  free(c->command);
  free(c->file);
  free(c->cwd);
  free(c->logname);
  free(c->err_tag);
  free(c);
}

static void child_close_if(struct child* c, uv_handle_t* h) {
  if (!uv_is_closing(h))
    uv_close(h, child_handle_closed);
}

void child_release(struct child* c) {
  if (c == NULL)
    return;
  c->released = true;
  c->in_closed = true;
  child_close_if(c, (uv_handle_t*)&c->in);
  child_close_if(c, (uv_handle_t*)&c->out);
  child_close_if(c, (uv_handle_t*)&c->err);
  child_close_if(c, (uv_handle_t*)&c->t_trim);
  child_close_if(c, (uv_handle_t*)&c->t_stop);
  child_close_if(c, (uv_handle_t*)&c->sigchld);
  /* errpoll stays until the exec's outcome: the child runs on memory of
   * sp until then (spawn.h); it closes in child_exec_outcome. */
  strays_free(&c->strays);
}

/* ---- the stop sequence -------------------------------------------------- */

static void child_stop_timer_cb(uv_timer_t* t) {
  child_check(t->data);
}

static void child_gone(struct child* c) {
  uv_timer_stop(&c->t_stop);
  c->gone = true;
  c->ev.on_gone(c->ctx);
}

/* Advances the stop sequence: stdin EOF -> SIGTERM to the group ->
 * grace -> SIGKILL -> the whole group gone. Runs on the exit, stdout EOF,
 * SIGCHLD and the stop timer. */
static void child_check(struct child* c) {
  if (!c->stopping || c->gone || c->released)
    return;
  uint64_t now = uv_now(c->loop);
  pid_t pgid = (pid_t)c->pid;
  bool alive = child_group_alive(c);
  if (strays_alive(&c->strays)) /* reaps those that are ours */
    alive = true;
  if (!alive && !c->swept) {
    /* All that is known is gone; look once more for what is not (the
     * leader exited by itself after EOF, its children left the group). */
    int sig = c->stage == STAGE_KILL ? SIGKILL : SIGTERM;
    if (child_scan_strays(c, sig) > 0) {
      alive = true;
      if (c->stage == STAGE_EOF_WAIT) {
        c->stage = STAGE_TERM;
        c->stage_deadline_ms = now + c->grace_ms;
      }
    } else {
      c->swept = true;
    }
  }
  if (!alive) {
    if (c->group_dead_ms == 0)
      c->group_dead_ms = now;
    /* Wait for stdout EOF so no answer in the pipe is lost, briefly. */
    if (c->out_eof || now - c->group_dead_ms >= CHILD_DRAIN_MS) {
      child_gone(c);
      return;
    }
  }
  if (now >= c->stage_deadline_ms) {
    switch (c->stage) {
      case STAGE_EOF_WAIT:
        proc_signal_group(pgid, SIGTERM);
        child_scan_strays(c, SIGTERM);
        c->stage = STAGE_TERM;
        c->stage_deadline_ms = now + c->grace_ms;
        break;
      case STAGE_TERM:
        child_log(c, LL_WARN,
                  "Server did not stop within %u ms of SIGTERM; "
                  "sending SIGKILL",
                  c->grace_ms);
        proc_signal_group(pgid, SIGKILL);
        strays_signal(&c->strays, SIGKILL);
        child_scan_strays(c, SIGKILL);
        c->stage = STAGE_KILL;
        c->stage_deadline_ms = now + CHILD_KILL_WAIT_MS;
        break;
      default:
        child_log(c, LL_ERROR,
                  "Server process group %ld (or a process it started "
                  "outside it) survived SIGKILL; giving up on it",
                  (long)pgid);
        child_gone(c);
        return;
    }
  }
  uint64_t wait = c->stage_deadline_ms > now ? c->stage_deadline_ms - now : 0;
  if (alive && c->exited && child_subreaper <= 0 && wait > CHILD_POLL_MS)
    wait = CHILD_POLL_MS; /* no subreaper: no event tells us */
  if (!alive && wait > CHILD_DRAIN_MS - (now - c->group_dead_ms))
    wait = CHILD_DRAIN_MS - (now - c->group_dead_ms);
  uv_timer_start(&c->t_stop, child_stop_timer_cb, wait, 0);
}

void child_stop(struct child* c, bool eof_first, unsigned grace_ms) {
  if (c->stopping)
    return;
  c->stopping = true;
  c->grace_ms = grace_ms;
  c->group_dead_ms = 0;
  if (!c->in_closed) {
    c->in_closed = true;
    uv_close((uv_handle_t*)&c->in, child_handle_closed);
  }
  uint64_t now = uv_now(c->loop);
  if (eof_first && !c->exited) {
    c->stage = STAGE_EOF_WAIT;
    c->stage_deadline_ms = now + CHILD_EOF_WAIT_MS;
  } else {
    proc_signal_group((pid_t)c->pid, SIGTERM);
    child_scan_strays(c, SIGTERM);
    c->stage = STAGE_TERM;
    c->stage_deadline_ms = now + grace_ms;
  }
  child_check(c);
}

void child_kill(struct child* c) {
  if (c->gone)
    return; /* its pid may be another's now */
  proc_signal_group((pid_t)c->pid, SIGKILL);
  strays_signal(&c->strays, SIGKILL);
  child_scan_strays(c, SIGKILL);
  if (!c->stopping || c->released)
    return;
  c->stage = STAGE_KILL;
  c->stage_deadline_ms = uv_now(c->loop) + CHILD_KILL_WAIT_MS;
  /* On the next turn: no callback fires from inside child_kill. */
  uv_timer_start(&c->t_stop, child_stop_timer_cb, 0, 0);
}

/* The exec failed at step with errno e: say why, as a failed start
 * would (proc_check_start's sentences), in the log and to on_err_line;
 * the exit (127) follows. */
static void child_exec_failed(struct child* c, int step, int e) {
  char why[768];
  if (step == SPAWN_STEP_CHDIR && c->cwd != NULL)
    proc_cwd_error(c->command, c->cwd, e, why, sizeof(why));
  else if (step == SPAWN_STEP_EXEC)
    proc_start_error(c->command, c->file, c->cwd, e, why, sizeof(why));
  else
    snprintf(why, sizeof(why), "Cannot start '%s': %s", c->command,
             strerror(e));
  child_log(c, LL_ERROR, "%s", why);
  if (!c->released && c->ev.on_err_line != NULL)
    c->ev.on_err_line(c->ctx, why, strlen(why));
}

/* Reads the exec's outcome if it is there (spawn_poll); once known, the
 * error pipe and errpoll close. */
static void child_exec_outcome(struct child* c) {
  if (c->exec_done || !spawn_poll(&c->sp))
    return;
  c->exec_done = true;
  int step = c->sp.failed_step;
  int e = c->sp.failed_errno;
  uv_poll_stop(&c->errpoll);
  spawn_end(&c->sp);
  uv_close((uv_handle_t*)&c->errpoll, child_handle_closed);
  if (step != SPAWN_STEP_NONE)
    child_exec_failed(c, step, e);
}

static void child_on_errpipe(uv_poll_t* p, int status, int events) {
  struct child* c = p->data;
  (void)events;
  child_exec_outcome(c);
  if (status < 0 && !c->exec_done)
    uv_poll_stop(p); /* the reap reads it (child_reap_leader) */
}

/* The leader is mcpmon's own child, not a uv_process_t: reap it by pid
 * on SIGCHLD and report its exit, once. */
static void child_reap_leader(struct child* c) {
  if (c->exited)
    return;
  int st = 0;
  pid_t r;
  do r = waitpid((pid_t)c->pid, &st, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0 || (r < 0 && errno != ECHILD))
    return;
  /* The pipe has its EOF now: a failed exec is told before its exit. */
  child_exec_outcome(c);
  c->exited = true;
  if (c->released)
    return;
  int64_t status = r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 0;
  int sig = r > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  c->ev.on_exit(c->ctx, status, sig);
  if (c->stopping && !c->released)
    child_check(c);
}

static void child_on_sigchld(uv_signal_t* s, int signum) {
  struct child* c = s->data;
  (void)signum;
  if (c->released)
    return;
  child_reap_leader(c);
  if (c->released)
    return;
  if (c->stopping)
    child_check(c); /* reaps, and sees the group gone */
  else if (child_subreaper > 0)
    child_reap_group(c); /* orphans of a running server */
}

/* ---- spawning ----------------------------------------------------------- */

static bool child_env_sets(const char* entry, const char* key, size_t n) {
  return strncmp(entry, key, n) == 0 && entry[n] == '=';
}

/* The environment, with o->env over it and tag (STRAYS_TAG_VAR=...) over
 * both: the tag lets mcpmon tell the server's orphans (strays.h). */
static char** child_build_env(const struct child_options* o, char* tag) {
  extern char** environ;
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char** env = xcalloc(n + o->nenv + 2, sizeof(char*));
  size_t k = 0;
  size_t taglen = strlen(STRAYS_TAG_VAR);
  for (size_t i = 0; i < n; i++) {
    const char* eq = strchr(environ[i], '=');
    size_t keylen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    bool overridden =
        keylen == taglen && child_env_sets(tag, environ[i], keylen);
    for (size_t j = 0; j < o->nenv; j++)
      if (child_env_sets(o->env[j], environ[i], keylen))
        overridden = true;
    if (!overridden)
      env[k++] = environ[i];
  }
  for (size_t j = 0; j < o->nenv; j++)
    if (!child_env_sets(o->env[j], STRAYS_TAG_VAR, taglen))
      env[k++] = o->env[j];
  env[k++] = tag;
  env[k] = NULL;
  return env;
}

/* The child's stdin, stdout and stderr as pipes, not the socketpairs
 * that UV_CREATE_PIPE makes: a Unix socket costs the server and mcpmon
 * more per message (bench/: about 5 us of a 28 us round trip on one
 * CPU). ours[i] is mcpmon's end (non-blocking), theirs[i] the child's
 * (blocking); both close-on-exec. Returns 0, or a negative UV_E* code
 * with none left open. */
static int child_make_pipes(uv_file ours[3], uv_file theirs[3]) {
  for (int i = 0; i < 3; i++) {
    uv_file fds[2]; /* [0] reads, [1] writes; the child reads stdin */
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

int child_spawn(uv_loop_t* loop,
                const struct child_options* o,
                const struct child_events* ev,
                void* ctx,
                struct child** out,
                char* err,
                size_t errlen) {
  *out = NULL;
  char* resolved = NULL;
  int checked = proc_check_start(o->command, o->cwd, &resolved, err, errlen);
  if (checked != 0)
    return checked;
  child_become_subreaper();
  char** argv = xcalloc(o->nargs + 2, sizeof(char*));
  argv[0] = resolved ? resolved : (char*)o->command;
  for (size_t i = 0; i < o->nargs; i++) argv[i + 1] = o->args[i];
  argv[o->nargs + 1] = NULL;

  uv_file ours[3], theirs[3];
  int rc = child_make_pipes(ours, theirs);
  if (rc != 0) {
    snprintf(err, errlen, "Cannot start '%s': %s", o->command, uv_strerror(rc));
    free(argv);
    free(resolved);
    return rc;
  }
  struct child* c = xcalloc(1, sizeof(*c));
  c->loop = loop;
  c->ev = *ev;
  c->ctx = ctx;
  c->command = xstrdup(o->command);
  c->file = xstrdup(argv[0]);
  c->cwd = o->cwd != NULL ? xstrdup(o->cwd) : NULL;
  c->logname = o->logname != NULL ? xstrdup(o->logname) : NULL;
  c->err_tag = xstrdup(o->err_tag != NULL ? o->err_tag : "| ");
  framer_init(&c->out_f, o->max_line);
  framer_hold(&c->out_f, true); /* until t_trim */
  framer_watch(&c->out_f, child_on_out_part, c);
  framer_init(&c->err_f, CHILD_STDERR_LINE_MAX);
  uv_pipe_init(loop, &c->in, 0);
  uv_pipe_init(loop, &c->out, 0);
  uv_pipe_init(loop, &c->err, 0);
  uv_timer_init(loop, &c->t_trim);
  uv_timer_init(loop, &c->t_stop);
  uv_signal_init(loop, &c->sigchld);
  c->in.data = c->out.data = c->err.data = c->errpoll.data = c;
  c->t_trim.data = c->t_stop.data = c->sigchld.data = c;
  c->open_handles = 6;
  /* Before the child exists: its SIGCHLD must find the handler. */
  uv_signal_start(&c->sigchld, child_on_sigchld, SIGCHLD);

  snprintf(c->tag, sizeof(c->tag), "%s=%ld.%llu", STRAYS_TAG_VAR,
           (long)getpid(), ++child_spawns);
  strays_init(&c->strays);
  char** env = child_build_env(o, c->tag);
  struct spawn_args sa = {
      .file = argv[0],
      .argv = argv,
      .envp = env,
      .cwd = o->cwd,
      .fds = {theirs[0], theirs[1], theirs[2]},
  };
  rc = spawn_start(&c->sp, &sa);
  uv_pipe_t* ends[3] = {&c->in, &c->out, &c->err};
  for (int i = 0; i < 3; i++) {
    close(theirs[i]);
    /* uv_pipe_open cannot fail on a new pipe; if it did, the child would
     * see EOF and EPIPE and be handled as a crash. */
    if (rc != 0 || uv_pipe_open(ends[i], ours[i]) != 0)
      close(ours[i]);
  }
  free(env);
  free(argv);
  free(resolved);
  if (rc != 0) {
    snprintf(err, errlen, "Cannot start '%s': %s", o->command, strerror(-rc));
    c->exited = true;
    c->exec_done = true;
    child_release(c);
    return uv_translate_sys_error(-rc);
  }
  c->pid = c->sp.pid;
  c->spawned_ms = uv_now(loop);
  c->open_handles++;
  /* Fails only for a file epoll cannot watch; sp.errfd is a pipe. */
  if (uv_poll_init(loop, &c->errpoll, c->sp.errfd) != 0)
    abort();
  uv_poll_start(&c->errpoll, UV_READABLE | UV_DISCONNECT, child_on_errpipe);
  uv_read_start((uv_stream_t*)&c->out, child_alloc_out, child_on_out_read);
  uv_read_start((uv_stream_t*)&c->err, slab_alloc, child_on_err_read);
  *out = c;
  return 0;
}

long child_pid(const struct child* c) {
  return c != NULL ? c->pid : 0;
}

bool child_exited(const struct child* c) {
  return c->exited;
}

uint64_t child_spawned_ms(const struct child* c) {
  return c->spawned_ms;
}
