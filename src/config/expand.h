/* expand.h - what a value in .mcpmon.yaml may write: "~", $VAR, and
 * paths relative to a directory.
 *
 * Pure apart from getenv() and getcwd(); no libuv. Every string returned
 * is owned by the caller.
 */
#ifndef MCPMON_EXPAND_H
#define MCPMON_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

/* Expands s: a leading "~" or "~/" becomes $HOME; $VAR and ${VAR} become
 * the variable's value (unset is an error); "$$" is "$", and a "$" before
 * anything else is itself. label names the setting in messages. *used
 * counts text already read or made against max: an expansion that would
 * take it past max fails. Returns 0 with *out set and its length added to
 * *used, or -1 with a one-line reason in err (errlen bytes). */
int expand_vars(const char* s,
                const char* label,
                size_t* used,
                size_t max,
                char** out,
                char* err,
                size_t errlen);

/* Whether s[0..n) is an environment variable name: [A-Za-z_] then
 * [A-Za-z0-9_]. */
bool expand_var_name_ok(const char* s, size_t n);

/* p made absolute against the absolute directory base (p as it is when
 * absolute), then normalised: empty and "." components and trailing
 * slashes dropped. ".." is kept: without the file system it cannot be
 * undone safely (symbolic links). */
char* expand_resolve(const char* base, const char* p);

/* p made absolute against the working directory and normalised, or NULL
 * with errno set when the working directory cannot be found. */
char* expand_absolute(const char* p);

#endif
