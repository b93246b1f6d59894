/* fingerprint.h - which files really changed.
 *
 * A file is known by a 64-bit key, a hash of its real path, mapped to a
 * fingerprint of its size and mtime (ns): 16 bytes a file and no
 * strings. An event for a file whose size and mtime are those last seen
 * (an editor rewriting it unchanged, a scan and an event for one file)
 * is then told apart from a real change. Pure: no libuv, no I/O; the
 * caller does the stat.
 */
#ifndef MCPMON_FINGERPRINT_H
#define MCPMON_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "lib/u64map.h"

/* The key of path_join(dir, name) (path.h), or of dir alone when name is
 * NULL or "": a 64-bit hash, never 0, usable as a u64map key for files
 * and directories alike. */
uint64_t fingerprint_key(const char* dir, const char* name);

/* The files seen so far. Zero it to start; release with
 * fingerprint_free. */
struct fingerprint_table {
  struct u64map map; /* key -> fingerprint; private */
};

enum fingerprint_change {
  FINGERPRINT_ADDED,     /* not known before */
  FINGERPRINT_MODIFIED,  /* known, with another size or mtime */
  FINGERPRINT_UNCHANGED, /* known with this size and mtime */
};

/* Records st (the file's lstat) as what file key looks like now and says
 * how that compares with what was recorded before. */
enum fingerprint_change fingerprint_update(struct fingerprint_table* t,
                                           uint64_t key,
                                           const struct stat* st);

/* Forgets file key (deleted, or a directory now); returns whether it was
 * known. */
bool fingerprint_forget(struct fingerprint_table* t, uint64_t key);

/* How many files are known. */
size_t fingerprint_count(const struct fingerprint_table* t);

/* Frees the table and zeroes it. */
void fingerprint_free(struct fingerprint_table* t);

#endif
