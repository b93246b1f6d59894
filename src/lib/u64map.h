/* u64map.h - a hash table from 64-bit keys to 64-bit values.
 *
 * Open addressing with linear probing and backward-shift deletion, so
 * there are no tombstones; 16 bytes a slot, doubled when 3/4 full, never
 * shrunk. Key 0 marks an empty slot and cannot be stored: keys are meant
 * to be hashes that are never 0 (fingerprint_key). Pure: no libuv, no
 * I/O.
 */
#ifndef MCPMON_U64MAP_H
#define MCPMON_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map_ent {
  uint64_t key;
  uint64_t val;
};

/* Zero it to start (an empty map allocates nothing); release it with
 * u64map_free. n is read-only. */
struct u64map {
  struct u64map_ent* e;
  size_t cap; /* 0 or a power of two */
  size_t n;   /* keys stored */
};

/* The entry of key, or NULL. Valid until the next put or del; its val
 * may be changed in place. */
struct u64map_ent* u64map_find(const struct u64map* m, uint64_t key);

/* Sets key (not 0) to val; returns true when key was not there before. */
bool u64map_put(struct u64map* m, uint64_t key, uint64_t val);

/* Removes key; returns whether it was there. */
bool u64map_del(struct u64map* m, uint64_t key);

/* Frees the slots and zeroes m. */
void u64map_free(struct u64map* m);

#endif
