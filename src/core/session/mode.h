/* mode.h - what run.c sees of a mode (single.h, gateway.h): the policy of
 * a session, its backends and their watchers, behind three calls.
 *
 * A mode is made on a session (session.h) that it does not own: it sets
 * itself as the session's policy and creates its backends with
 * session_backend_events(). It reports up through struct mode_hooks.
 */
#ifndef MCPMON_MODE_H
#define MCPMON_MODE_H

#include "core/backend/backend.h"

struct mode_hooks {
  /* A backend appeared, or is about to be freed (for the control
   * socket); b is valid until backend_removed returns. index: its place
   * among the servers, in the config file's order. May be NULL. */
  void (*backend_added)(void* ctx, struct backend* b, size_t index);
  void (*backend_removed)(void* ctx, struct backend* b);
  /* A reload swapped old for now (issue 14), or a changed config entry
   * replaced it (issue 15): the same server in the same place, another
   * backend; old is valid until this returns (a backend_removed for it
   * may still follow, and then concerns no server). May be NULL. */
  void (*backend_replaced)(void* ctx, struct backend* old, struct backend* now);
  /* Up to lines recent log lines of b (its stderr and mcpmon's lines
   * about it) as text, oldest first, heap; NULL when none are kept (no
   * control socket). For mcpmon__logs (control_tools.h). May be NULL. */
  char* (*logs)(void* ctx, struct backend* b, int lines);
  /* After mode.shutdown: every backend stopped and the mode freed
   * itself; the session may close now. */
  void (*closed)(void* ctx);
  void* ctx;
};

struct mode {
  void* self;
  /* Start the backends and the watchers. Returns 0, or -1 when the mode
   * cannot run (the reason logged): the caller then shuts it down and
   * exits 1. */
  int (*start)(void* self);
  /* Stop everything for good; hooks.closed fires when done. finish: the
   * client closed its input, so what it sent is delivered and answered
   * first (backend_finish). Once, except that a call without finish
   * after one with it stops at once. */
  void (*shutdown)(void* self, bool finish);
  /* SIGKILL every process still stopping (a second signal). */
  void (*kill_now)(void* self);
};

#endif
