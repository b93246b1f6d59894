/* ctltarget.h - which running mcpmon a control command means (issue 15
 * defect 9), one way for tui, status, restart, start and stop: by
 * --socket PATH, by its pid from the instance list (a bare number or
 * --pid PID), by the server it has (restart NAME: the one instance with a
 * server of that name), or the only one running.
 *
 * Messages go to stderr, "mcpmon: " first, what came from a socket
 * escaped (ctl_print_error). The return values are exit statuses of the
 * commands (tui.h): 0 ok, 1 nothing to reach (no instance, no such pid),
 * 2 a usage error (a bad option, several instances to pick from, a server
 * name that no instance has, with "did you mean").
 */
#ifndef MCPMON_TUI_CTLTARGET_H
#define MCPMON_TUI_CTLTARGET_H

#include <stdbool.h>

#include "tui/ctlclient.h"

/* What the command line named. Zero it, then fill it with
 * ctl_target_option and ctl_target_word. Strings point into argv. */
struct ctl_target {
  const char* socket; /* --socket PATH, or a word that is a path; or NULL */
  long pid;           /* an instance's pid, or 0 */
  const char* server; /* the server the instance must have, or NULL */
  /* server is a lone word of digits (restart 1234): when no instance
   * has a server of that name but one has that pid, it means the pid. */
  bool server_may_be_pid;
};

/* The options every command takes, in "--socket PATH", "--socket=PATH",
 * "--pid PID" and "--pid=PID" form, at argv[*i]. Returns 1 when argv[*i]
 * was one (*i is then on its last word), 0 when it is something else, 2
 * after printing a usage error ("mcpmon CMD: --socket needs a PATH",
 * a second instance) and usage. */
int ctl_target_option(struct ctl_target* t,
                      const char* cmd,
                      const char* usage,
                      int argc,
                      char** argv,
                      int* i);

/* A word naming the instance (status and tui take one): digits are a
 * pid, anything else a socket path (mcpmon status SOCKET, as before).
 * Returns 0, or 2 after printing a usage error (a second instance). */
int ctl_target_word(struct ctl_target* t,
                    const char* cmd,
                    const char* usage,
                    const char* word);

/* Whether word is a pid as the command line writes one: 1 to 9 digits,
 * not 0. */
bool ctl_target_is_pid(const char* word);

/* The socket of the instance t means. Returns 0 and sets *path (owned by
 * the caller); otherwise prints why and returns 1 or 2 (see above). May
 * rewrite t->server and t->pid (server_may_be_pid). cmd is the command's
 * name for the examples it prints ("restart": "mcpmon restart 1234
 * NAME"). A given socket is not checked beyond its server names when
 * t->server is set: connecting reports what is wrong with it. */
int ctl_resolve_target(const char* cmd, struct ctl_target* t, char** path);

/* ctl_resolve_target, then ctl_connect. Returns 0 with c open (ctl_close
 * it) and *path set (owned); else prints why and returns 1 or 2. */
int ctl_open_target(const char* cmd,
                    struct ctl_target* t,
                    struct ctl_conn* c,
                    char** path);

#endif
