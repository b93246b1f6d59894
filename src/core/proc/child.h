/* child.h - one supervised child process and its process group.
 *
 * A child is spawned by spawn.h (clone and exec, without blocking the
 * loop: it sets the parent-death signal, default signals, and passes
 * only fds 0-2) in a process group of its own (setsid), with pipes for
 * stdin, stdout and stderr. It knows no JSON-RPC: it reports stdout
 * lines (through a framer, whose parts a caller may scan as they
 * arrive), stderr lines, the exit of the leader, and, after child_stop,
 * that the whole group is gone. An exec that fails after child_spawn
 * returned (the program went away meanwhile, a script whose interpreter
 * is missing) is told as a start error would be: proc.h's sentence in the
 * log and to on_err_line, then on_exit with exit code 127.
 *
 * The leader is not a uv_process_t: the child reaps it itself, with
 * waitpid on its pid on every SIGCHLD (libuv's own SIGCHLD handler reaps
 * only its uv_spawn'ed pids, build.h's). mcpmon is a child subreaper
 * (PR_SET_CHILD_SUBREAPER, set once before the first spawn), so members
 * of a group whose parent dies re-parent to mcpmon. On every SIGCHLD a
 * child reaps the leader, then the other members of its group (waitid
 * with WNOWAIT first, so the leader's exit is read by its own waitpid
 * and reported). Once the leader is reaped, waitpid(-pgid) failing with
 * ECHILD means no member is left: the group is gone. No polling, except
 * where the subreaper could not be set (then /proc is scanned every
 * CHILD_POLL_MS while members outlive the leader).
 *
 * Processes the server started that left its group (setsid, setpgid) are
 * its strays (strays.h): each signal of the stop sequence goes to them
 * too, found by one walk of /proc when it is sent, and "gone" counts
 * them: after child_stop nothing the server started is left. Each child
 * runs with STRAYS_TAG_VAR=<mcpmon pid>.<spawn number> in its
 * environment, so that its orphans are told apart from another server's.
 *
 * Lifetime: child_spawn returns a child owned by the caller, who ends it
 * with child_release. Release detaches it (no callback fires after) and
 * closes its handles; the memory goes when the last has closed (counted
 * closes), so a new child can be spawned at once while the old one's
 * handles close; one whose exec is still under way keeps its error pipe
 * open until the exec is done (spawn.h: it runs on memory of mcpmon's
 * until then). Release does not signal the group: stop it first
 * (child_stop, child_kill), and a leader released before its exit is
 * not reaped.
 */
#ifndef MCPMON_CHILD_H
#define MCPMON_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/framer.h"

#define CHILD_EOF_WAIT_MS 100u   /* child_stop(eof_first): EOF, then TERM */
#define CHILD_KILL_WAIT_MS 2000u /* after SIGKILL, before giving up */
#define CHILD_DRAIN_MS 500u      /* group gone: wait for stdout EOF */
#define CHILD_POLL_MS 5u         /* without the subreaper only */
#define CHILD_STDERR_LINE_MAX (16u * 1024u)

struct child;

/* Every callback gets the ctx given to child_spawn. Pointers passed in
 * are valid during the call only, unless said otherwise. */
struct child_events {
  /* The framer's watch on stdout (framer_watch): bytes NULL when a new
   * line starts, else the next bytes of the line being received. May be
   * NULL. */
  void (*on_out_part)(void* ctx, const char* bytes, size_t n);
  /* One stdout line without its newline (and '\r'). from is the framer
   * the line is in, so that a large line can leave in its buffer
   * (framer_take) during the call. */
  void (*on_out_line)(void* ctx, char* line, size_t len, struct framer* from);
  /* A stdout line over max_line, skipped; head is its first bytes. */
  void (*on_out_oversize)(void* ctx,
                          size_t total,
                          const char* head,
                          size_t headlen);
  /* stdout reached EOF (or failed). */
  void (*on_out_eof)(void* ctx);
  /* One stderr line, after it was passed to the log (log_passthrough).
   * May be NULL. */
  void (*on_err_line)(void* ctx, const char* line, size_t len);
  /* The leader exited (fires once). */
  void (*on_exit)(void* ctx, int64_t status, int term_signal);
  /* After child_stop: the leader exited, its group is gone and stdout
   * was drained (or CHILD_DRAIN_MS passed), or the group survived
   * SIGKILL for CHILD_KILL_WAIT_MS (logged). Fires once. */
  void (*on_gone)(void* ctx);
};

struct child_options {
  const char* command; /* as configured: found on PATH unless it has
                          a '/' and cwd is set */
  char* const* args;   /* nargs arguments after the command */
  size_t nargs;
  char* const* env; /* nenv "KEY=value" over the environment */
  size_t nenv;
  const char* cwd;     /* or NULL */
  size_t max_line;     /* stdout line limit */
  const char* logname; /* for log lines (copied), or NULL */
  const char* err_tag; /* before each stderr line in the log (copied);
                          NULL: "| " */
};

/* Spawn. All of opts is copied or used during the call only. Returns 0
 * with *out set once the child exists (its exec is under way), or a
 * negative code with the reason in err and nothing left to release:
 * proc_check_start's codes and sentences when the program or the working
 * directory is wrong ("Cannot run 'x': command not found" is UV_ENOENT),
 * another UV_E* when the spawn failed (clone, pipes). */
int child_spawn(uv_loop_t* loop,
                const struct child_options* opts,
                const struct child_events* ev,
                void* ctx,
                struct child** out,
                char* err,
                size_t errlen);

/* Write to stdin; takes buf (heap), freed after the write. Returns 0 or a
 * negative UV_E* code (UV_EPIPE once stdin is closed). */
int child_write(struct child* c, char* buf, size_t len);
/* No more writes (issue 12 item 6): stdin ends with EOF once everything
 * written so far has reached the pipe; later writes fail with
 * UV_EPIPE. A child_stop or child_release before that closes stdin at
 * once (what was still queued is lost). */
void child_end_input(struct child* c);
/* Stop reading the child's stdout (pause), or read it again: what it
 * writes meanwhile waits in the pipe and then blocks it (issue 12 item
 * 5, the client's back-pressure). stderr is read either way. */
void child_pause_output(struct child* c, bool pause);
/* Bytes written and not yet taken by the child. */
size_t child_write_queue(const struct child* c);

/* The stop sequence (STDIO-11): close stdin; with eof_first and the
 * leader running, give it CHILD_EOF_WAIT_MS to exit by itself; SIGTERM
 * to the group; SIGKILL grace_ms later; on_gone when done. Once only:
 * later calls do nothing. */
void child_stop(struct child* c, bool eof_first, unsigned grace_ms);
/* SIGKILL the group and its strays now; when stopping, on_gone follows
 * as above, from a later loop turn. Nothing after on_gone. */
void child_kill(struct child* c);
/* Detach and close (see Lifetime above). NULL is fine. */
void child_release(struct child* c);

long child_pid(const struct child* c);
bool child_exited(const struct child* c);
/* uv_now when spawned. */
uint64_t child_spawned_ms(const struct child* c);

#endif
