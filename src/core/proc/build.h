/* build.h - one run of a server's build command (issue 14: --build,
 * YAML build:), before a reload.
 *
 * The command runs as /bin/sh -c CMD in the server's working directory
 * with the server's environment, in a process group of its own (child.h),
 * stdin closed at once. Each line it writes, on stdout or stderr, goes to
 * the log as "build | line" under the server's name (so the dashboard
 * shows it in that server's pane). When the shell exits, done() tells
 * whether it succeeded (exit status 0) and how long it took; what it left
 * running in its group is then stopped. build_cancel kills the group at
 * once (a save during the build starts it again) and nothing is reported.
 *
 * Ownership: build_start returns a run owned by the caller until done()
 * fires or build_cancel is called; after either, the run frees itself
 * once its processes are gone. Calls run one way: the caller (reload.c)
 * calls the build, which reports up through done().
 */
#ifndef MCPMON_BUILD_H
#define MCPMON_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

struct build;

/* ok: exit status 0. what: "exit code 2", "signal SIGKILL", or why it
 * could not start (valid during the call). ms: how long it ran. */
typedef void (*build_done_fn)(void* ctx,
                              bool ok,
                              const char* what,
                              uint64_t ms);

/* Start sc->build (must not be NULL). logname: the server's name in log
 * lines, or NULL (single mode). Returns the run, or NULL with the reason
 * in err (nothing to free then). */
struct build* build_start(uv_loop_t* loop,
                          const struct server_config* sc,
                          const char* logname,
                          build_done_fn done,
                          void* ctx,
                          char* err,
                          size_t errlen);

/* Stop it now (SIGKILL to its group); done() does not fire. */
void build_cancel(struct build* b);

#endif
