/* control_dir.h - whether a folder may hold control sockets (issue 12
 * item 7: the control socket cannot be taken over by another local user).
 *
 * Where XDG_RUNTIME_DIR is unset the default folder is /tmp/mcpmon-UID
 * (control_proto.h), and /tmp is shared: another user can make that folder
 * first, or plant a symlink there, and then hold every instance's socket:
 * serve a fake one to status and restart, or swap the real one. So the
 * default folder must be private: a folder, not a symlink, owned by the
 * effective uid, mode 0700 (no group or other bits). The core makes it
 * (control_dir_make); clients check it before they list or connect
 * (control_dir_check); both refuse with the sentence these functions write.
 *
 * A socket path the user gave (--tui PATH) may be in any folder of theirs,
 * so its folder is held to less (control_dir_make_parent): a folder owned
 * by the effective uid or by root, that nobody else may write unless it is
 * sticky (as /tmp is), so that nobody else can rename or replace what is in
 * it. The parent of the default folder is held to the same.
 *
 * Each error is a negative errno value with a sentence in err that names
 * the folder and what is wrong ("the folder '/tmp/mcpmon-0' is owned by uid
 * 1001, not by this user (uid 0)"), without a fix: the caller knows which
 * fix applies. No allocation, no libuv.
 */
#ifndef MCPMON_CONTROL_DIR_H
#define MCPMON_CONTROL_DIR_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What is wrong with a folder, from its lstat (a symlink shows as one),
 * for the private socket folder of uid: writes a phrase ("is a symlink",
 * "is not a folder", "is owned by uid 1001, not by this user (uid 0)",
 * "has mode 0755, not 0700") to why and returns -1; 0 when it is fine.
 * Pure. */
int control_dir_judge(const struct stat* st, uid_t uid, char* why, size_t cap);

/* The same for the folder that holds a socket path the user gave, from
 * its stat: a folder owned by uid or by root, not writable by group or
 * others unless sticky. Pure. */
int control_dir_judge_parent(const struct stat* st,
                             uid_t uid,
                             char* why,
                             size_t cap);

/* Make the default socket folder dir for the effective uid: its missing
 * parents (0700), its parent checked as control_dir_judge_parent says,
 * then dir itself with mkdir (0700) unless it exists, opened without
 * following a symlink and checked as control_dir_judge says. Returns 0,
 * or a negative errno with the reason in err. */
int control_dir_make(const char* dir, char* err, size_t errlen);

/* Check an existing socket folder dir as control_dir_make does, without
 * making anything: for the clients, before they list or connect. Returns
 * 0; -ENOENT when dir does not exist (err says so); another negative
 * errno with the reason in err. */
int control_dir_check(const char* dir, char* err, size_t errlen);

/* Make the folder dir of a socket path the user gave, with its missing
 * parents (0700), unless it exists; then check it as
 * control_dir_judge_parent says, following links (the user named them).
 * Returns 0 or a negative errno with the reason in err. */
int control_dir_make_parent(const char* dir, char* err, size_t errlen);

#endif
