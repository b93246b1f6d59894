/* pathfilter.h - which files under a watched root may trigger a restart.
 *
 * Pure (no libuv): glob matching, the default ignore list (VCS and
 * dependency folders, caches, editor swap/backup files), .gitignore rules,
 * user --ignore globs and the extension filter. Paths are relative to the
 * watched root and '/'-separated ("src/pkg/tools.py").
 */
#ifndef MCPMON_PATHFILTER_H
#define MCPMON_PATHFILTER_H

#include <stdbool.h>
#include <stddef.h>

/* gitignore-style glob: '*' and '?' never match '/', "[a-z]" and "[!x]"
 * classes, '\' escapes, and a "**" segment matches any number of whole
 * segments: leading ("**" then "/x"), inner ("a/" "**" "/b") or trailing
 * ("a/" "**"). */
bool glob_match(const char* pattern, const char* path);

struct pathfilter; /* opaque; owned by whoever calls pathfilter_new */

/* exts: extensions without the dot ("py"); "*" or none = every file.
 * ignores: user globs; one without '/' matches a name at any depth, one
 * with '/' is anchored at the root (like .gitignore). Strings are copied. */
struct pathfilter* pathfilter_new(const char* const* exts,
                                  size_t nexts,
                                  const char* const* ignores,
                                  size_t nignores);
void pathfilter_free(struct pathfilter* pf);

/* Add the rules of a .gitignore found in directory dir ("" for the root,
 * "src/pkg" below it). text need not be NUL-terminated. Negation ('!'),
 * trailing '/' (directories only), leading or inner '/' (anchored),
 * comments and escapes follow git. */
void pathfilter_add_gitignore(struct pathfilter* pf,
                              const char* dir,
                              const char* text,
                              size_t len);

/* True when rel (a file or, with is_dir, a directory) is ignored by the
 * defaults, a .gitignore or a user glob. A file inside an ignored directory
 * is ignored too. */
bool pathfilter_ignored(const struct pathfilter* pf,
                        const char* rel,
                        bool is_dir);

/* True when the file name's extension is one of the watched ones. */
bool pathfilter_ext_match(const struct pathfilter* pf, const char* name);

#endif
