/* suggest.h - "did you mean ...?" for misspelt option, key and server
 * names.
 *
 * Shared by the command line (cli.c), .mcpmon.yaml (config_yaml.c) and the
 * control commands (tui/ctlclient.c: server names) so all guess the same
 * way; in lib because the TUI links only lib and proto. Pure: no
 * allocation, no I/O.
 */
#ifndef MCPMON_SUGGEST_H
#define MCPMON_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions) between a[0..la) and the string b, ignoring ASCII case.
 * Either word longer than 32 bytes gives (size_t)-1: only small distances
 * between short words matter here. */
size_t suggest_distance(const char* a, size_t la, const char* b);

/* The name in names[0..n) the user probably meant by word[0..len), or
 * NULL: the only name that starts with it (when it is 3 characters or
 * more), else the closest name within 1 edit (2 for words of 5 or more).
 * Returns one of the names pointers; nothing is copied. */
const char* suggest_name(const char* word,
                         size_t len,
                         const char* const* names,
                         size_t n);

#endif
