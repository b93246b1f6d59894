/* names.h - tool and prompt names exposed by the gateway (§7, NAME-1..5).
 *
 * Pure (no libuv). An exposed name is <prefix><separator><original> with
 * every character outside [A-Za-z0-9_-] replaced by '_' (the configured
 * separator is kept as given), shortened with a stable hash when longer
 * than 64 characters. Routing goes through a name_table, never by splitting
 * a name on the separator (NAME-3).
 */
#ifndef MCPMON_NAMES_H
#define MCPMON_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define NAMES_MAX 64

/* Writes the exposed name of original from backend prefix into out (at
 * least NAMES_MAX + 1 bytes). */
void names_expose(const char* prefix,
                  const char* separator,
                  const char* original,
                  char* out);

/* Replace characters outside [A-Za-z0-9_-] with '_' in place. */
void names_sanitize(char* s);

/* Make a variant of name that differs from it (for a collision): the name,
 * shortened as needed, plus '_' and 6 hex digits of a hash of salt. */
void names_disambiguate(const char* name, const char* salt, char* out);

/* Exposed name -> (owner, original name). Owned by the caller of
 * name_table_new; strings are copied, owners are borrowed. */
struct name_table;

struct name_table* name_table_new(void);
void name_table_free(struct name_table* t);
void name_table_clear(struct name_table* t);
size_t name_table_count(const struct name_table* t);

/* Add exposed -> (owner, original). Returns 0, or -1 when exposed is
 * taken already (then *existing, if not NULL, is that entry's owner). */
int name_table_add(struct name_table* t,
                   const char* exposed,
                   void* owner,
                   const char* original,
                   void** existing);

/* Finds exposed; returns true and fills owner/original (borrowed, valid
 * until the table changes). */
bool name_table_find(const struct name_table* t,
                     const char* exposed,
                     void** owner,
                     const char** original);

/* Remove every entry of owner. */
void name_table_remove_owner(struct name_table* t, const void* owner);

#endif
