/* strset.h - a set of strings, in the order they were added.
 *
 * Pure (no libuv, no JSON): uthash underneath, so add, remove and lookup
 * take constant time whatever the size (a backend's resource
 * subscriptions, replayed after a restart: resources/subscribe). The set
 * owns copies of its strings. Allocation follows util.h (never NULL).
 */
#ifndef MCPMON_STRSET_H
#define MCPMON_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset_item;

struct strset {
  struct strset_item* head; /* private: uthash's table */
};

/* A zeroed struct strset is an empty set too. */
void strset_init(struct strset* s);
/* Remove everything; the set stays usable. */
void strset_clear(struct strset* s);

/* Add a copy of str (len bytes, may hold NULs). Returns true when it was
 * not there yet. */
bool strset_add(struct strset* s, const char* str, size_t len);
/* Returns true when str was there (and is gone now). */
bool strset_remove(struct strset* s, const char* str, size_t len);
bool strset_has(const struct strset* s, const char* str, size_t len);
size_t strset_count(const struct strset* s);

/* Call fn for each string, oldest first; fn must not change the set. The
 * string is NUL-terminated after its len bytes. */
void strset_each(const struct strset* s,
                 void (*fn)(void* ctx, const char* str, size_t len),
                 void* ctx);

#endif
