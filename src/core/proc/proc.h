/* proc.h - process helpers for supervising a server and its process group:
 * checks before a start and the messages that name why it cannot, group
 * signals, pipe sizes. Servers are started by spawn.h (which sets the
 * parent-death signal and passes only fds 0-2) through child.h.
 */
#ifndef MCPMON_PROC_H
#define MCPMON_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* True while any process of group pgid is alive. Zombies do not count, so
 * a group whose members are dead but not yet reaped (by a PID 1 that never
 * reaps) reads as gone. */
bool proc_group_alive(pid_t pgid);

/* kill(-pgid, sig), ignoring ESRCH. Returns 0 or -errno. */
int proc_signal_group(pid_t pgid, int sig);

/* Finds cmd on PATH (or checks it when it contains '/'). Returns a heap
 * string owned by the caller, or NULL with errno set (ENOENT, EISDIR,
 * EACCES). */
char* proc_find_program(const char* cmd);

/* Whether cmd can be started in cwd (NULL: mcpmon's own), checked before
 * spawning so that the message names the cause (issue 15 defect 6: a
 * missing working directory is not a missing program). Returns 0 and
 * sets *path to the program to exec (owned by the caller; NULL when cmd
 * is to be exec'd as it is: it has a '/' and cwd is set), or a negative
 * errno (UV_E* on Linux) with a sentence in err: -ENOTDIR the working
 * directory does not exist or is not one ("Cannot start 'x': working
 * directory '/p' does not exist"), -ENOENT no such program ("Cannot run
 * 'x': command not found", with what of that name is in the working
 * directory), -EISDIR cmd is a directory, -EACCES not executable. */
int proc_check_start(
    const char* cmd, const char* cwd, char** path, char* err, size_t errlen);

/* The sentence of proc_check_start for errno e of running cmd (ENOENT,
 * EISDIR, EACCES, or any other: "Cannot run 'x': <strerror>"), also for
 * a failure the exec itself reports: then file is what was exec'd
 * (relative to cwd), and ENOENT for a file whose "#!" line names a
 * missing interpreter says so. file may be NULL. Returns -e. */
int proc_start_error(const char* cmd,
                     const char* file,
                     const char* cwd,
                     int e,
                     char* err,
                     size_t errlen);
/* The sentence for a working directory cwd that chdir failed on with e
 * ("... does not exist", "... is not a directory"). Returns -ENOTDIR. */
int proc_cwd_error(
    const char* cmd, const char* cwd, int e, char* err, size_t errlen);

/* Larger pipes for large messages. A pipe holds 64 KiB by default, so a
 * 1 MiB result crosses it in sixteen reads and sixteen writes, each a
 * context switch between writer and reader; in a 1 MiB pipe it crosses
 * in one (bench/analysis.md). mcpmon grows a pipe it reads or writes the
 * first time it finds it full. The capacity counts against the user's
 * pipe-user-pages-soft (64 MiB by default): past that limit every new
 * pipe of the user gets a single page, so all pipes mcpmon grows
 * together stay within an eighth of it, and a pipe that cannot be grown
 * keeps its size. */
#define PROC_PIPE_BIG ((size_t)1024 * 1024)
/* A read or write of this much found a default-sized pipe full. */
#define PROC_PIPE_FULL ((size_t)64 * 1024)

/* Grow pipe fd to PROC_PIPE_BIG if the budget allows. Returns the bytes
 * counted against the budget (0: left as it was), to be given back with
 * proc_pipe_release when the pipe is closed. */
size_t proc_pipe_grow(int fd);
void proc_pipe_release(size_t counted);

/* "exit code 3" / "signal SIGSEGV" into buf. */
void proc_describe_exit(long exit_status,
                        int term_signal,
                        char* buf,
                        size_t cap);

#endif
