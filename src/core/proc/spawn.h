/* spawn.h - start a server process without blocking the loop.
 *
 * The child is made with clone(CLONE_VM | SIGCHLD) on a private stack:
 * no copy of mcpmon's page tables (what fork costs) and, unlike vfork or
 * posix_spawn, no wait for the exec: spawn_start returns as soon as the
 * child exists (issue 18: uv_spawn blocked the loop 0.4-0.7 ms per start,
 * the exec shim before it re-executed mcpmon for 1.4 ms more). Between
 * clone and exec the child runs only raw system calls that touch neither
 * errno nor the heap, since it shares mcpmon's memory and thread state:
 *
 *   setsid                   its own session and process group
 *   prctl(PR_SET_PDEATHSIG)  SIGTERM when mcpmon dies, even by SIGKILL
 *                            (STDIO-12); then exits if mcpmon is already
 *                            gone (getppid is not mcpmon)
 *   every signal to SIG_DFL  (mcpmon blocks all signals around clone, so
 *   and an empty mask        none of its handlers runs in the child)
 *   chdir(cwd)
 *   fds[0..2] onto 0, 1, 2   and every other descriptor closed: a server
 *                            gets only fds 0-2
 *   execve(file)             a file the kernel cannot exec (ENOEXEC: a
 *                            script without "#!") runs through /bin/sh, as
 *                            execvp does
 *
 * A failed step writes {step, errno} to a close-on-exec pipe and exits
 * with 127. The parent reads that pipe when it is readable (spawn_poll):
 * EOF alone means the exec succeeded; the child's memory (arguments and
 * stack, copied at spawn_start) is freed once the pipe reached EOF, when
 * the child no longer uses it. Reaping the child is the caller's
 * (waitpid on its pid).
 */
#ifndef MCPMON_SPAWN_H
#define MCPMON_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The child's stack: room for the raw calls, and for what ASan or
 * coverage instrumentation around them may use. */
#define SPAWN_STACK_SIZE ((size_t)64 * 1024)

/* What the child runs. All of it is copied by spawn_start. */
struct spawn_args {
  const char* file;  /* program to execve, after the chdir */
  char* const* argv; /* argv[0] ... NULL */
  char* const* envp; /* NULL-terminated */
  const char* cwd;   /* or NULL: mcpmon's */
  int fds[3];        /* become the child's 0, 1, 2 (not closed) */
};

/* The step that failed (spawn.failed_step). */
enum spawn_step {
  SPAWN_STEP_NONE = 0,
  SPAWN_STEP_SETUP, /* setsid, prctl, signals, descriptors */
  SPAWN_STEP_CHDIR,
  SPAWN_STEP_EXEC,
};

/* One started child. Fields are read-only for the caller. */
struct spawn {
  pid_t pid;
  int errfd;        /* the error pipe's read end (non-blocking), or -1
                       once spawn_end closed it */
  bool finished;    /* the pipe reached EOF: exec'd or failed */
  int failed_step;  /* enum spawn_step; NONE: exec'd (when finished) */
  int failed_errno; /* with failed_step */
  void* mem;        /* private: the copied arguments and the stack */
  size_t memlen;
};

/* Start a child. Returns 0 with sp filled in (the caller polls sp->errfd
 * and calls spawn_poll when it is readable, spawn_end at last), or a
 * negative errno with nothing left open. */
int spawn_start(struct spawn* sp, const struct spawn_args* a);

/* Read what the error pipe holds now, without blocking. Returns true
 * once sp->finished (EOF seen: the child exec'd, or failed and exited;
 * failed_step and failed_errno say which). Also true after the child was
 * reaped, whatever it got to. */
bool spawn_poll(struct spawn* sp);

/* Close the error pipe and, if the child is finished, free its memory.
 * When it is not (the caller gives up on it before its exec), the memory
 * is kept, a small leak, rather than pulled from under a running child.
 * Idempotent. */
void spawn_end(struct spawn* sp);

#endif
