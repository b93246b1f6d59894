/* path.h - joining and comparing '/'-separated paths, for the watcher.
 *
 * Plain string work except path_real_parent, which asks the file system
 * (realpath, getcwd). Every string returned is owned by the caller.
 */
#ifndef MCPMON_PATH_H
#define MCPMON_PATH_H

#include <stdbool.h>

/* dir + '/' + name, with no doubled '/'; a "" part is left out. */
char* path_join(const char* dir, const char* name);

/* Whether full equals path_join(dir, name), without building it. */
bool path_is_join(const char* full, const char* dir, const char* name);

/* path with its directory made real: realpath() of the directory joined
 * with the last component, so a file that does not exist yet still gets
 * one spelling. When the directory cannot be resolved either: path
 * itself if absolute, else path joined to the working directory. */
char* path_real_parent(const char* path);

/* Whether a path reads as a file ("server.py", an extension) rather
 * than a folder ("src"): for the words of a log line only. */
bool path_looks_like_file(const char* path);

#endif
