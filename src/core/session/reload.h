/* reload.h - a reload with overlap (issue 14), the same for both modes.
 *
 * On a reload the serving backend is left alone while a new one (a
 * trial, backend.h) starts beside it with what the old one was given
 * (backend_inherit). Once the new server answered initialize and its
 * lists, the two are swapped: the owner (single.c, gateway.c) re-points
 * its pointer in hooks.swap, and from then on every request goes to the
 * new one; the old one drains (backend_drain) and stops. When the new
 * server fails first (it exits, refuses or does not answer initialize in
 * --init-timeout, or its tools/list fails), the old one keeps serving as
 * if nothing happened: the log says why, and backend_note_reload records
 * it on the old one for the dashboard. A reload asked for while
 * one is starting abandons that one and starts another, once it has
 * stopped: at most two processes of a server run at once (one asked for
 * while an old one drains waits for it). A server with a
 * build command is built first (build.h), in both reload modes: a failed
 * build never stops the old server.
 *
 * Ownership: the reload owns the trial until the swap and every old or
 * abandoned backend until it has stopped (their events come here, and go
 * on to the session for what the client must still get: the old server's
 * answers, progress and requests; session_backend_events). The owner
 * keeps the serving backend. Calls run one way: the owner calls the
 * reload, the reload calls backends and the session, and reports up
 * through struct reload_hooks.
 */
#ifndef MCPMON_RELOAD_H
#define MCPMON_RELOAD_H

#include <stdbool.h>
#include <uv.h>

#include "config/config.h"
#include "core/backend/backend.h"
#include "core/session/session.h"
#include "proto/jmsg.h"

struct reload;

struct reload_hooks {
  /* now is ready and serves from here on in place of old (which the
   * reload drains). changed: the lists that differ between them (bits
   * 1 << enum backend_list): list_changed is owed for these only. */
  void (*swap)(void* ctx,
               struct backend* old,
               struct backend* now,
               unsigned changed);
  void* ctx;
};

/* A reload for one configured server (sc is copied into each backend it
 * makes, when it makes it; it must be valid during reload_begin). */
struct reload* reload_new(uv_loop_t* loop,
                          struct session* s,
                          const struct reload_hooks* hooks);

/* Reload cur's server for why (a file list, or NULL): first its build
 * (server_config.build) when it has one, whose failure leaves cur as it
 * is (the log and backend_note_reload say so); then with overlap a new server
 * beside cur (which must be READY), else backend_restart_now(cur). A reload
 * while a build runs stops the build and starts it again. */
void reload_begin(struct reload* r,
                  struct backend* cur,
                  const struct backend_options* opts,
                  const char* why,
                  bool overlap);

/* The serving server was stopped by the user (issue 15): a build or a
 * new server still starting is stopped, so that nothing takes its place;
 * old servers still draining finish as they would. */
void reload_cancel(struct reload* r);

/* Issue 18: the owner's watcher reported a burst's first change at once
 * (and the owner asked for this reload) and now says that more changes
 * are coming: the build running or the new server still starting is
 * stopped (it would serve files still being written) and nothing starts
 * until the owner calls reload_begin (or restarts) again with the rest,
 * once quiet: a burst starts a server twice at most. From then until
 * reload_burst_end, what reload_hold is given is held, so that with
 * stop-first (whose every restart owes list_changed) the client gets
 * one list_changed for the restarts still to come, after the last.
 * NULL is taken. */
void reload_fold(struct reload* r);

/* Issue 18: the burst is over (WATCH_MORE; restarting: the owner
 * restarts the server for its changes, and that restart's reload_hold
 * carries what is held). Returns the lists held when no restart
 * follows: the owner sends them now. NULL is taken. */
unsigned reload_burst_end(struct reload* r, bool restarting);

/* The lists (bits 1 << enum backend_list) a stop-first restart owes
 * list_changed for: returns those to send now (with any held before),
 * 0 between reload_fold and reload_burst_end (then held). NULL: returns
 * lists. */
unsigned reload_hold(struct reload* r, unsigned lists);

/* Whether the owner should take backend_restart of b over (on_restart):
 * with overlap for a READY server (*overlap true), or to build first. */
bool reload_takes(const struct backend* b, bool* overlap);

/* A copy of the client's cancellation m (borrowed) to every old server
 * still finishing its calls (CAN-1: the call may be one of them). Both
 * this and reload_kill_now take NULL (a reload already closed). */
void reload_forward_cancel(struct reload* r, const struct jmsg* m);

/* The end: stop the starting server and the draining ones; done(ctx)
 * fires once they have all stopped and the reload is freed (maybe before
 * this returns). kill: SIGKILL them now (a second signal). */
void reload_close(struct reload* r, void (*done)(void* ctx), void* ctx);
void reload_kill_now(struct reload* r);

#endif
