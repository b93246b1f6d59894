/* watch_root.h - one root of a watcher: what the user named, and which
 * files below it count.
 *
 * A root is a directory or a single file. A directory root filters files
 * through a pathfilter (extensions, default ignores, user globs) plus the
 * rules of every .gitignore found below it so far; a single-file root
 * looks only at that file's name. No libuv: realpath(), stat() and
 * reading .gitignore files are its only I/O.
 */
#ifndef MCPMON_WATCH_ROOT_H
#define MCPMON_WATCH_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/watch/pathfilter.h"

/* A .gitignore larger than this is read only up to here. */
#define WATCH_ROOT_GITIGNORE_MAX (1024 * 1024)

struct watch_root_gitignore;

struct watch_root {
  /* read-only */
  char* given;  /* as the user gave it */
  char* prefix; /* what reported paths start with: "" for ".", "src/" */
  char* real;   /* real path of the directory, or of a file's parent */
  char* file;   /* single-file root: the file's name; NULL for a dir */
  bool missing; /* did not exist at start: real is where it will be,
                   and it becomes a directory or a file root once
                   watch_root_resolve succeeds */
  /* private */
  struct pathfilter* pf; /* directory roots only */
  char** exts;
  size_t nexts;
  char** ignores;
  size_t nignores;
  struct watch_root_gitignore* gis;
  size_t ngis;
};

/* Resolves given (a directory or a file) into *r, which it overwrites;
 * a directory root gets its filter from exts and ignores (see
 * pathfilter_new; all strings are copied). Returns 0, or a negative
 * errno with "cannot watch 'given': reason" in err and *r left empty.
 * Release r with watch_root_free either way. */
int watch_root_init(struct watch_root* r,
                    const char* given,
                    const char* const* exts,
                    size_t nexts,
                    const char* const* ignores,
                    size_t nignores,
                    char* err,
                    size_t errlen);

/* Like watch_root_init for a root given that does not exist yet:
 * r->missing is set and r keeps what watch_root_resolve needs. */
void watch_root_init_missing(struct watch_root* r,
                             const char* given,
                             const char* const* exts,
                             size_t nexts,
                             const char* const* ignores,
                             size_t nignores);

/* Where root r (missing, or a directory root that is gone) is to be
 * waited for: the nearest directory that exists on the way to it, as a
 * real path (heap, owned by the caller), or NULL when there is none. For
 * a missing root, r->real is updated to the path the root will have
 * below that directory. */
char* watch_root_locate(struct watch_root* r);

/* A missing root whose path exists now: r becomes a directory or a
 * file root (r->missing cleared). Returns 0, or a negative errno with
 * the reason in err and r unchanged. */
int watch_root_resolve(struct watch_root* r, char* err, size_t errlen);

/* Frees what r holds and zeroes it. */
void watch_root_free(struct watch_root* r);

/* How a change of rel (relative to the root) is reported: the root as
 * given joined with rel ("src/tools.py"), or a single-file root as given.
 * Heap, owned by the caller. */
char* watch_root_display(const struct watch_root* r, const char* rel);

/* Why file name, rel below the root (NULL for a single-file root), does
 * not count: "not the watched file", "extension not watched" or
 * "ignored"; NULL when it counts. */
const char* watch_root_skips(const struct watch_root* r,
                             const char* name,
                             const char* rel);

/* Whether directory rel is ignored (and not to be watched). */
bool watch_root_ignores_dir(const struct watch_root* r, const char* rel);

/* (Re)reads the .gitignore of directory rel of a directory root (real
 * path abs). A new one adds its rules; a changed or deleted one rebuilds
 * the filter, and then true is returned (for the caller to log). */
bool watch_root_load_gitignore(struct watch_root* r,
                               const char* rel,
                               const char* abs);

#endif
