/* fuzz_jlist.c - a list result indexed as text (jlist.h), on any input.
 *
 * - jlist_index never reads past the text; it succeeds only on a valid
 *   JSON object (jscan) with "tools" an array;
 * - told the text is valid when jscan says so, it gives the same index;
 * - every item span is one valid JSON value inside the text, items in
 *   order and apart, each name span a string body inside its item, the
 *   cursor span a string body;
 * - the items never exceed the bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "proto/jlist.h"
#include "proto/jscan.h"

#define MAX_ITEMS 64

static bool valid_value(const char* t, size_t off, size_t len) {
  struct jscan s;
  return len > 0 && jscan_scan(t + off, len, &s) && s.off == 0 && s.len == len;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char* t = malloc(size > 0 ? size : 1); /* exactly size: ASan sees past */
  if (size > 0)
    memcpy(t, data, size);
  struct jlist l = {0};
  const char* err = NULL;
  bool ok = jlist_index(t, size, false, "tools", "name", MAX_ITEMS, &l, &err);
  struct jscan sc;
  bool valid = jscan_scan(t, size, &sc);
  if (!ok) {
    FUZZ_CHECK(err != NULL && l.n == 0 && l.items == NULL);
  } else {
    FUZZ_CHECK(valid && sc.type == JSCAN_OBJECT);
    FUZZ_CHECK(l.n <= MAX_ITEMS);
    size_t prev_end = 0;
    for (size_t i = 0; i < l.n; i++) {
      const struct jlist_item* it = &l.items[i];
      FUZZ_CHECK(it->off >= prev_end && it->off + it->len <= size);
      FUZZ_CHECK(valid_value(t, it->off, it->len));
      prev_end = it->off + it->len;
      if (it->has_name) {
        FUZZ_CHECK(t[it->off] == '{');
        FUZZ_CHECK(it->name_off > it->off &&
                   it->name_off + it->name_len < it->off + it->len);
        FUZZ_CHECK(valid_value(t, it->name_off - 1, it->name_len + 2));
        FUZZ_CHECK(t[it->name_off - 1] == '"');
      }
    }
    if (l.has_cursor)
      FUZZ_CHECK(valid_value(t, l.cursor_off - 1, l.cursor_len + 2));
  }
  if (valid) {
    struct jlist v = {0};
    bool ok2 = jlist_index(t, size, true, "tools", "name", MAX_ITEMS, &v, NULL);
    FUZZ_CHECK(ok2 == ok);
    FUZZ_CHECK(v.n == l.n && v.truncated == l.truncated &&
               v.has_cursor == l.has_cursor);
    if (v.n > 0)
      FUZZ_CHECK(memcmp(v.items, l.items, v.n * sizeof(*v.items)) == 0);
    jlist_free(&v);
  } else {
    /* Claimed valid falsely: any verdict, but within bounds (ASan). */
    struct jlist v = {0};
    jlist_index(t, size, true, "tools", "name", MAX_ITEMS, &v, NULL);
    jlist_free(&v);
  }
  jlist_free(&l);
  free(t);
  return 0;
}
