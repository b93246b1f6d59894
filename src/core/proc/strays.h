/* strays.h - the processes of a server that left its process group.
 *
 * kill(-pgid) reaches the members of a server's group only. A process the
 * server started that called setsid() or setpgid() (Node's spawn with
 * detached: true does) is a "stray": it survives the group's SIGTERM and
 * SIGKILL unless it is found and signalled by pid. A stray is found by
 * one walk of /proc/PID/stat, done when a stop sequence sends a signal,
 * never polled: every live process whose parent chain reaches a root and
 * that is not in the server's group. The roots are the leader while it is
 * not reaped, the live members of its group, and the children of mcpmon
 * (a child subreaper: orphans come to it) whose environment holds the
 * spawn's tag (STRAYS_TAG_VAR=<mcpmon pid>.<spawn number>, set by
 * child_spawn and inherited). A stray is held through a pidfd opened
 * after its start time (field 22 of stat) was checked again, so a pid
 * reused meanwhile is never signalled; it is reaped through the pidfd
 * when it is mcpmon's child.
 *
 * Out of reach: a process started through another service (a container
 * runtime, systemd-run) is no descendant of the server at all; a process
 * that cleared its environment and was orphaned before the walk is found
 * only by the sweep at mcpmon's exit (strays_stop_descendants); without
 * /proc nothing outside the group is found.
 */
#ifndef MCPMON_STRAYS_H
#define MCPMON_STRAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#define STRAYS_TAG_VAR "MCPMON_SERVER"
#define STRAYS_EXIT_GRACE_MS 1000u /* the exit sweep: SIGTERM, then KILL */

struct stray {
  LIST_ENTRY(stray) link;
  pid_t pid;
  uint64_t start; /* stat field 22, clock ticks after boot */
  int pidfd;      /* or -1 where pidfd_open is missing */
  bool exited;    /* seen exited, maybe not reaped (not our child) */
};

/* The strays of one server, recorded by strays_scan. Owns its entries
 * and their pidfds; strays_free closes them. */
struct strays {
  LIST_HEAD(, stray) list;
  size_t n; /* recorded, exited or not */
};

/* One process as /proc/PID/stat shows it. */
struct strays_stat {
  pid_t pid;
  pid_t ppid;
  pid_t pgid;
  char state; /* 'R', 'S', ..., 'Z' */
  uint64_t start;
};

/* Parses the text of /proc/PID/stat ("pid (comm) S ppid pgrp ... field
 * 22 ..."; comm may hold spaces and parentheses). Returns 0 or -1. */
int strays_parse_stat(const char* text, struct strays_stat* out);

/* True if the environment block env (n bytes of "K=V\0" entries, as
 * /proc/PID/environ reads) holds the entry want ("K=V") exactly. */
bool strays_environ_has(const char* env, size_t n, const char* want);

void strays_init(struct strays* s);

/* Walks /proc once and records the strays not yet recorded, sending sig
 * (0: none) to each new one. leader is the server's pid while it is not
 * reaped, else 0; pgid its group (0: exclude no group); tag the entry
 * "STRAYS_TAG_VAR=..." of its spawn, or NULL. mcpmon itself is never
 * recorded. Returns the number of new strays, or -errno when /proc
 * cannot be read. */
int strays_scan(
    struct strays* s, pid_t leader, pid_t pgid, const char* tag, int sig);

/* Sends sig to every recorded stray that has not exited. */
void strays_signal(struct strays* s, int sig);

/* Reaps the recorded strays that exited and are mcpmon's children, and
 * notes the exited. Returns true while one has not exited. */
bool strays_alive(struct strays* s);

/* Writes "1234 (comm), 1240 (sh)" of the live strays into buf. */
void strays_describe(const struct strays* s, char* buf, size_t cap);

/* Forgets every stray and closes the pidfds (signals nothing). */
void strays_free(struct strays* s);

/* The sweep at mcpmon's exit, once the loop has ended: every live
 * descendant of mcpmon (a stray no stop sequence found, a server that
 * survived SIGKILL) gets SIGTERM, SIGKILL after grace_ms if still there,
 * and is reaped; blocks up to grace_ms plus a second. Logs what it found.
 * Returns the number found. */
int strays_stop_descendants(unsigned grace_ms);

#endif
