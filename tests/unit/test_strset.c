/* test_strset.c - the string set: membership, order kept across removals,
 * strings with NULs, and a size no fixed table would hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/strset.h"

struct seen {
  char text[4096];
  size_t n;
};

static void collect(void* ctx, const char* str, size_t len) {
  struct seen* s = ctx;
  s->n++;
  size_t used = strlen(s->text);
  snprintf(s->text + used, sizeof(s->text) - used, "%.*s,", (int)len, str);
}

static void test_add_remove_has(void) {
  struct strset s;
  strset_init(&s);
  CHECK(strset_count(&s) == 0);
  CHECK(strset_add(&s, "file:///a", 9));
  CHECK(!strset_add(&s, "file:///a", 9)); /* twice is once */
  CHECK(strset_add(&s, "file:///b", 9));
  CHECK_INT(strset_count(&s), 2);
  CHECK(strset_has(&s, "file:///a", 9));
  CHECK(!strset_has(&s, "file:///", 8)); /* a prefix is another string */
  CHECK(strset_remove(&s, "file:///a", 9));
  CHECK(!strset_remove(&s, "file:///a", 9));
  CHECK(!strset_has(&s, "file:///a", 9));
  CHECK_INT(strset_count(&s), 1);
  strset_clear(&s);
  CHECK_INT(strset_count(&s), 0);
  CHECK(strset_add(&s, "again", 5)); /* usable after clear */
  strset_clear(&s);
}

static void test_order_is_insertion(void) {
  struct strset s;
  strset_init(&s);
  const char* uris[] = {"c", "a", "d", "b", "e"};
  for (size_t i = 0; i < 5; i++) strset_add(&s, uris[i], 1);
  strset_remove(&s, "d", 1);
  strset_add(&s, "d", 1); /* re-added: now the newest */
  struct seen seen = {{0}, 0};
  strset_each(&s, collect, &seen);
  CHECK_STR(seen.text, "c,a,b,e,d,");
  CHECK_INT(seen.n, 5);
  strset_clear(&s);
}

static void test_nul_bytes_are_part_of_the_string(void) {
  struct strset s;
  strset_init(&s);
  CHECK(strset_add(&s, "a\0b", 3));
  CHECK(strset_add(&s, "a", 1));
  CHECK(strset_add(&s, "a\0c", 3));
  CHECK_INT(strset_count(&s), 3);
  CHECK(strset_has(&s, "a\0b", 3));
  CHECK(!strset_has(&s, "a\0d", 3));
  strset_clear(&s);
}

static void test_many(void) {
  struct strset s;
  strset_init(&s);
  char buf[64];
  size_t added = 0;
  for (int i = 0; i < 50000; i++) {
    int n = snprintf(buf, sizeof(buf), "file:///res/%d", i);
    added += strset_add(&s, buf, (size_t)n);
  }
  CHECK_INT(added, 50000);
  size_t removed = 0;
  for (int i = 0; i < 50000; i += 2) {
    int n = snprintf(buf, sizeof(buf), "file:///res/%d", i);
    removed += strset_remove(&s, buf, (size_t)n);
  }
  CHECK_INT(removed, 25000);
  CHECK_INT(strset_count(&s), 25000);
  int n = snprintf(buf, sizeof(buf), "file:///res/%d", 49999);
  CHECK(strset_has(&s, buf, (size_t)n));
  n = snprintf(buf, sizeof(buf), "file:///res/%d", 49998);
  CHECK(!strset_has(&s, buf, (size_t)n));
  strset_clear(&s);
}

int main(void) {
  test_add_remove_has();
  test_order_is_insertion();
  test_nul_bytes_are_part_of_the_string();
  test_many();
  return check_done();
}
