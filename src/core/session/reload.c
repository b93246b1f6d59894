/* reload.c - see reload.h. */
#include "core/session/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/log.h"
#include "core/proc/build.h"
#include "lib/util.h"

/* Stderr lines of a failed server shown with "Reload failed". */
#define RL_TAIL_LINES 5

/* A backend the reload owns after the swap, or after it abandoned it. */
struct rl_item {
  struct backend* b;
  TAILQ_ENTRY(rl_item) link;
};
TAILQ_HEAD(rl_list, rl_item);

struct reload {
  uv_loop_t* loop;
  struct session* s;
  struct reload_hooks hooks;
  struct backend* cur;       /* borrowed: the one serving while cand starts */
  struct backend* cand;      /* the new server, or NULL */
  struct build* build;       /* the build running before it, or NULL */
  struct backend_options bo; /* of the next server (server borrowed) */
  bool overlap;              /* after the build: beside cur, or stop-first */
  bool waiting;  /* an overlap reload waits for olds to stop: at most two
                    processes of a server at once */
  char* logname; /* the server's name in gateway mode, else NULL */
  char* why;
  uint64_t t0;         /* when cand was started (loop ms) */
  struct rl_list olds; /* draining or abandoned, until they stop */
  struct rl_list dead; /* stopped: freed on the next loop turn */
  uv_idle_t reaper;
  bool folding;  /* issue 18: changes folded in, their reload to come */
  unsigned held; /* list_changed held until then (stop-first) */
  bool closing;
  void (*done)(void* ctx);
  void* done_ctx;
};

static const struct backend_events rl_events;

static const struct backend_events* rl_session(void) {
  return session_backend_events();
}

static void rl_move(struct rl_list* to, struct backend* b) {
  struct rl_item* it = xcalloc(1, sizeof(*it));
  it->b = b;
  TAILQ_INSERT_TAIL(to, it, link);
}

static struct rl_item* rl_find(struct rl_list* in, const struct backend* b) {
  struct rl_item* it;
  TAILQ_FOREACH(it, in, link) {
    if (it->b == b)
      return it;
  }
  return NULL;
}

/* Issue 15: what the serving backend shows the dashboard of this reload
 * ("building", "starting", "waiting"; NULL: none under way). */
static void rl_phase(struct reload* r, const char* phase) {
  if (r->cur != NULL)
    backend_set_reloading(r->cur, phase);
}

/* Stop the starting server and let it go (it is freed once stopped). */
static void rl_abandon(struct reload* r) {
  struct backend* b = r->cand;
  if (b == NULL)
    return;
  r->cand = NULL;
  rl_move(&r->olds, b);
  backend_stop(b);
}

/* ---- the end of the backends it owns ------------------------------------- */

static void rl_closed(uv_handle_t* h) {
  struct reload* r = h->data;
  void (*done)(void*) = r->done;
  void* ctx = r->done_ctx;
  free(r->logname);
  free(r->why);
  free(r);
  if (done != NULL)
    done(ctx);
}

static void rl_free_dead(struct reload* r) {
  struct rl_item* it;
  while ((it = TAILQ_FIRST(&r->dead)) != NULL) {
    TAILQ_REMOVE(&r->dead, it, link);
    backend_free(it->b);
    free(it);
  }
}

static void rl_maybe_closed(struct reload* r) {
  if (!r->closing || r->cand != NULL || !TAILQ_EMPTY(&r->olds) ||
      uv_is_closing((uv_handle_t*)&r->reaper))
    return;
  rl_free_dead(r);
  uv_close((uv_handle_t*)&r->reaper, rl_closed);
}

/* Frees what stopped, a loop turn after its last callback. */
static void rl_reap(uv_idle_t* h) {
  struct reload* r = h->data;
  uv_idle_stop(h);
  rl_free_dead(r);
  rl_maybe_closed(r);
}

/* ---- the new server's outcome -------------------------------------------- */

static void rl_failed(struct reload* r, struct backend* b, const char* why) {
  long pid = r->cur != NULL ? backend_pid(r->cur) : 0;
  rl_phase(r, NULL);
  log_msg(LL_WARN, r->logname, 0, "Reload failed: %s; still serving pid %ld",
          why, pid);
  char* tail = backend_stderr_tail(b, RL_TAIL_LINES);
  for (char *line = tail, *nl; line != NULL && *line != '\0'; line = nl) {
    nl = strchr(line, '\n');
    if (nl != NULL)
      *nl++ = '\0';
    log_msg(LL_WARN, r->logname, 0, "  | %s", line);
  }
  free(tail);
  if (r->cur != NULL)
    backend_note_reload(r->cur, "start failed", why);
}

/* The lists that differ between a and b (templates count as resources,
 * as session_send_list_changed does). */
static unsigned rl_changed(const struct backend* a, const struct backend* b) {
  unsigned mask = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    const cJSON* x = backend_list(a, (enum backend_list)k);
    const cJSON* y = backend_list(b, (enum backend_list)k);
    bool same = (x == NULL || cJSON_GetArraySize(x) == 0)
                    ? (y == NULL || cJSON_GetArraySize(y) == 0)
                    : (y != NULL && cJSON_Compare(x, y, true));
    if (!same)
      mask |= 1u << (k == BACKEND_LIST_TEMPLATES ? BACKEND_LIST_RESOURCES : k);
  }
  return mask;
}

/* The new server answered initialize and its lists: swap. */
static void rl_ready(struct reload* r) {
  struct backend* now = r->cand;
  struct backend* old = r->cur;
  if (backend_has_capability(now, "tools", NULL) &&
      (backend_list(now, BACKEND_LIST_TOOLS) == NULL ||
       backend_list_failed(now, BACKEND_LIST_TOOLS))) {
    r->cand = NULL;
    rl_failed(r, now, "its tools/list failed");
    rl_move(&r->olds, now);
    backend_stop(now);
    return;
  }
  r->cand = NULL;
  rl_phase(r, NULL);
  r->cur = NULL;
  unsigned changed = rl_changed(old, now);
  backend_promote(now);
  backend_set_events(now, rl_session(), r->s);
  r->hooks.swap(r->hooks.ctx, old, now, changed);
  log_msg(LL_INFO, r->logname, backend_pid(now),
          "Restart #%u complete (%llu ms, overlap; pid %ld retires)",
          backend_restart_count(now),
          (unsigned long long)(uv_now(r->loop) - r->t0), backend_pid(old));
  char note[64];
  snprintf(note, sizeof(note), "restart #%u in %llu ms",
           backend_restart_count(now),
           (unsigned long long)(uv_now(r->loop) - r->t0));
  backend_note_reload(now, "ok", note);
  backend_set_events(old, &rl_events, r);
  rl_move(&r->olds, old);
  backend_drain(old, backend_config(old)->drain_ms);
}

/* ---- events of the backends it owns ---------------------------------------
 * What the client must still get goes on to the session. */

static struct reload* rl_of(void* ctx) {
  return ctx;
}

static void rl_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  rl_session()->on_message(b, rl_of(ctx)->s, msg);
}

static void rl_ev_text(struct backend* b, void* ctx, struct jmsg* m) {
  struct reload* r = ctx;
  if (b == r->cand) {
    /* Not serving yet: its news is not the client's (its lists are
     * compared at the swap). */
    jmsg_free(m);
    return;
  }
  rl_session()->on_text(b, r->s, m);
}

static void rl_ev_response_text(struct backend* b,
                                void* ctx,
                                const uv_buf_t* pieces,
                                unsigned n,
                                char* block,
                                size_t cap) {
  rl_session()->on_response_text(b, rl_of(ctx)->s, pieces, n, block, cap);
}

static void rl_ev_reply(struct backend* b,
                        void* ctx,
                        struct jmsg* m,
                        uint64_t cookie) {
  rl_session()->on_reply(b, rl_of(ctx)->s, m, cookie);
}

static void rl_ev_server_request(struct backend* b,
                                 void* ctx,
                                 struct jmsg* m,
                                 uint64_t generation) {
  /* The new server's own (roots/list when initialized) and the old one's
   * for the calls it finishes: the client answers either (relay.h). */
  rl_session()->on_server_request(b, rl_of(ctx)->s, m, generation);
}

static void rl_ev_process_gone(struct backend* b,
                               void* ctx,
                               uint64_t generation) {
  rl_session()->on_process_gone(b, rl_of(ctx)->s, generation);
}

static void rl_proceed(struct reload* r);

static void rl_ev_stopped(struct backend* b, void* ctx) {
  struct reload* r = ctx;
  session_forget_backend(r->s, b); /* its relayed requests go */
  if (b == r->cand) {
    r->cand = NULL;
    const char* why = backend_failure(b);
    rl_failed(r, b, why != NULL ? why : "it stopped before it was ready");
    rl_move(&r->dead, b);
  } else {
    struct rl_item* it = rl_find(&r->olds, b);
    if (it != NULL) {
      TAILQ_REMOVE(&r->olds, it, link);
      TAILQ_INSERT_TAIL(&r->dead, it, link);
    }
  }
  uv_idle_start(&r->reaper, rl_reap);
  if (r->waiting && TAILQ_EMPTY(&r->olds) && !r->closing) {
    r->waiting = false;
    rl_proceed(r);
  }
}

static void rl_ev_lists(struct backend* b, void* ctx, unsigned changed) {
  struct reload* r = ctx;
  (void)changed;
  if (b == r->cand && backend_state(b) == BACKEND_READY && r->cur != NULL)
    rl_ready(r);
}

/* Its handshake and its READY are nobody's news until the swap. */
static void rl_ev_initialized(struct backend* b, void* ctx, bool first) {
  (void)b;
  (void)ctx;
  (void)first;
}

static void rl_ev_restarted(struct backend* b, void* ctx) {
  (void)b;
  (void)ctx;
}

static bool rl_ev_restart(struct backend* b, void* ctx, const char* why) {
  (void)b;
  (void)ctx;
  (void)why;
  return true; /* not serving: nothing to restart */
}

static const struct backend_events rl_events = {
    .on_message = rl_ev_message,
    .on_text = rl_ev_text,
    .on_response_text = rl_ev_response_text,
    .on_reply = rl_ev_reply,
    .on_server_request = rl_ev_server_request,
    .on_process_gone = rl_ev_process_gone,
    .on_stopped = rl_ev_stopped,
    .on_initialized = rl_ev_initialized,
    .on_restarted = rl_ev_restarted,
    .on_lists = rl_ev_lists,
    .on_restart = rl_ev_restart,
};

/* ---- the owner's calls ----------------------------------------------------
 */

struct reload* reload_new(uv_loop_t* loop,
                          struct session* s,
                          const struct reload_hooks* hooks) {
  struct reload* r = xcalloc(1, sizeof(*r));
  r->loop = loop;
  r->s = s;
  r->hooks = *hooks;
  TAILQ_INIT(&r->olds);
  TAILQ_INIT(&r->dead);
  uv_idle_init(loop, &r->reaper);
  r->reaper.data = r;
  return r;
}

static void rl_start_candidate(struct reload* r) {
  struct backend_options o = r->bo;
  o.trial = true;
  r->cand = backend_new(r->loop, &o, &rl_events, r);
  backend_inherit(r->cand, r->cur);
  rl_phase(r, "starting");
  log_msg(LL_INFO, r->logname, backend_pid(r->cur),
          "Reloading%s%s%s: a new server starts beside this one, which "
          "serves until it is ready",
          r->why ? " (" : "", r->why ? r->why : "", r->why ? ")" : "");
  backend_start(r->cand); /* a failure to spawn ends it on a later turn */
}

/* After the build (or without one): the server itself. */
static void rl_go(struct reload* r) {
  if (r->overlap) {
    rl_start_candidate(r);
  } else {
    rl_phase(r, NULL);
    backend_restart_now(r->cur, r->why);
  }
}

static void rl_build_failed(struct reload* r, const char* why) {
  rl_phase(r, NULL);
  bool serving = backend_state(r->cur) == BACKEND_READY;
  if (serving)
    log_msg(LL_WARN, r->logname, 0, "Reload failed: %s; still serving pid %ld",
            why, backend_pid(r->cur));
  else
    log_msg(LL_WARN, r->logname, 0,
            "Build failed: %s; the server is not started", why);
  backend_note_reload(r->cur, "build failed", why);
}

static void rl_build_done(void* ctx, bool ok, const char* what, uint64_t ms) {
  struct reload* r = ctx;
  r->build = NULL;
  if (!ok) {
    char why[160];
    snprintf(why, sizeof(why), "the build failed (%s after %llu ms)", what,
             (unsigned long long)ms);
    rl_build_failed(r, why);
    return;
  }
  log_msg(LL_INFO, r->logname, 0, "Build passed in %llu ms",
          (unsigned long long)ms);
  rl_go(r);
}

void reload_begin(struct reload* r,
                  struct backend* cur,
                  const struct backend_options* opts,
                  const char* why,
                  bool overlap) {
  if (r->closing)
    return;
  free(r->logname);
  r->logname = opts->gateway ? xstrdup(opts->server->name) : NULL;
  if (r->build != NULL) {
    log_msg(LL_INFO, r->logname, 0,
            "Files changed during the build: it is stopped and started "
            "again");
    build_cancel(r->build);
    r->build = NULL;
  }
  if (r->cand != NULL) {
    log_msg(LL_INFO, r->logname, backend_pid(r->cand),
            "Files changed again: the new server still starting is "
            "stopped and another one started");
    rl_abandon(r);
  }
  free(r->why);
  r->why = why != NULL ? xstrdup(why) : NULL;
  r->cur = cur;
  r->t0 = uv_now(r->loop);
  r->bo = *opts;
  r->overlap = overlap;
  if (overlap && !TAILQ_EMPTY(&r->olds)) {
    /* Issue 14: at most two processes of a server at once; the one still
     * finishing its calls (at most --drain) or stopping goes first. */
    log_msg(LL_VERBOSE, r->logname, 0,
            "The reload waits for the old server to finish its calls");
    r->waiting = true;
    rl_phase(r, "waiting");
    return;
  }
  r->waiting = false;
  rl_proceed(r);
}

/* The build if there is one, then the server. */
static void rl_proceed(struct reload* r) {
  if (r->bo.server->build == NULL) {
    rl_go(r);
    return;
  }
  char err[256];
  rl_phase(r, "building");
  r->build = build_start(r->loop, r->bo.server, r->logname, rl_build_done, r,
                         err, sizeof(err));
  if (r->build == NULL)
    rl_build_failed(r, err);
}

void reload_fold(struct reload* r) {
  if (r == NULL || r->closing)
    return;
  r->folding = true;
  if (r->build == NULL && r->cand == NULL && !r->waiting)
    return;
  if (r->build != NULL)
    log_msg(LL_INFO, r->logname, 0,
            "Files changed during the build: it is stopped and started "
            "again once they are quiet");
  else if (r->cand != NULL)
    log_msg(LL_INFO, r->logname, backend_pid(r->cand),
            "Files changed again: the new server still starting is "
            "stopped and another one started once they are quiet");
  else
    log_msg(LL_VERBOSE, r->logname, 0,
            "Files changed again: the reload waits until they are quiet");
  build_cancel(r->build);
  r->build = NULL;
  r->waiting = false;
  rl_abandon(r);
  rl_phase(r, "waiting");
}

unsigned reload_burst_end(struct reload* r, bool restarting) {
  if (r == NULL)
    return 0;
  r->folding = false;
  if (restarting)
    return 0; /* that restart's reload_hold carries them */
  unsigned held = r->held;
  r->held = 0;
  return held;
}

unsigned reload_hold(struct reload* r, unsigned lists) {
  if (r == NULL)
    return lists;
  if (r->folding) {
    r->held |= lists;
    return 0;
  }
  lists |= r->held;
  r->held = 0;
  return lists;
}

bool reload_takes(const struct backend* b, bool* overlap) {
  const struct server_config* sc = backend_config(b);
  *overlap = sc->reload == RELOAD_OVERLAP && backend_state(b) == BACKEND_READY;
  return *overlap || sc->build != NULL;
}

void reload_cancel(struct reload* r) {
  if (r == NULL || r->closing)
    return;
  if (r->build != NULL || r->cand != NULL || r->waiting)
    log_msg(LL_INFO, r->logname, 0,
            "The reload in progress is abandoned: the server was stopped");
  build_cancel(r->build);
  r->build = NULL;
  r->waiting = false;
  rl_abandon(r);
  rl_phase(r, NULL);
  r->cur = NULL;
}

void reload_forward_cancel(struct reload* r, const struct jmsg* m) {
  if (r == NULL)
    return;
  struct rl_item* it;
  TAILQ_FOREACH(it, &r->olds, link) {
    backend_forward_notification(it->b, jmsg_parse(m->text, m->len));
  }
}

void reload_close(struct reload* r, void (*done)(void* ctx), void* ctx) {
  r->closing = true;
  r->done = done;
  r->done_ctx = ctx;
  r->cur = NULL;
  r->waiting = false;
  build_cancel(r->build);
  r->build = NULL;
  rl_abandon(r);
  struct rl_item* it;
  TAILQ_FOREACH(it, &r->olds, link) backend_stop(it->b);
  rl_maybe_closed(r);
}

void reload_kill_now(struct reload* r) {
  if (r == NULL)
    return;
  struct rl_item* it;
  TAILQ_FOREACH(it, &r->olds, link) backend_kill_now(it->b);
}
