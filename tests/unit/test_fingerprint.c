/* test_fingerprint.c - the watcher's tables, without a loop: u64map
 * (src/core/u64map.c), above all deletion inside probe runs that wrap
 * around the end of the slots, and the (size, mtime) fingerprints of
 * src/core/fingerprint.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "core/watch/fingerprint.h"
#include "core/watch/path.h"
#include "lib/u64map.h"

/* Every key of 1..n that is not a multiple of gone maps to key * 3, and
 * the others are absent. */
static bool map_holds(const struct u64map* m, uint64_t n, uint64_t gone) {
  for (uint64_t k = 1; k <= n; k++) {
    const struct u64map_ent* e = u64map_find(m, k);
    bool want = gone == 0 || k % gone != 0;
    if (want != (e != NULL) || (e != NULL && e->val != k * 3))
      return false;
  }
  return true;
}

static void test_map_basic(void) {
  struct u64map m = {0};
  CHECK(u64map_find(&m, 42) == NULL);
  CHECK(!u64map_del(&m, 42));
  CHECK(u64map_put(&m, 42, 1));
  CHECK(!u64map_put(&m, 42, 2));
  CHECK_INT(m.n, 1);
  CHECK_INT(u64map_find(&m, 42)->val, 2);
  CHECK(u64map_del(&m, 42));
  CHECK(u64map_find(&m, 42) == NULL);
  CHECK_INT(m.n, 0);
  u64map_free(&m);
  CHECK(m.e == NULL && m.cap == 0 && m.n == 0);
}

static void test_map_grow_and_delete(void) {
  struct u64map m = {0};
  for (uint64_t k = 1; k <= 1000; k++) CHECK(u64map_put(&m, k, k * 3));
  CHECK_INT(m.n, 1000);
  CHECK(m.n * 4 <= m.cap * 3);
  CHECK(map_holds(&m, 1000, 0));
  for (uint64_t k = 7; k <= 1000; k += 7) CHECK(u64map_del(&m, k));
  CHECK(map_holds(&m, 1000, 7));
  u64map_free(&m);
}

/* Keys that all want the last slot: their run wraps to the front, and
 * deleting from it must keep every other key reachable. */
static void test_map_wrapping_run(void) {
  struct u64map m = {0};
  u64map_put(&m, 1, 0); /* cap 64 from here on while n stays small */
  u64map_del(&m, 1);
  uint64_t keys[6];
  for (int i = 0; i < 6; i++) {
    keys[i] = 63 + 64 * (uint64_t)i; /* home slot 63 */
    CHECK(u64map_put(&m, keys[i], (uint64_t)i));
  }
  CHECK_INT(m.cap, 64);
  u64map_put(&m, 2, 100); /* home 2, pushed along by the wrapped run */
  CHECK(u64map_del(&m, keys[0]));
  CHECK(u64map_del(&m, keys[3]));
  for (int i = 0; i < 6; i++) {
    const struct u64map_ent* e = u64map_find(&m, keys[i]);
    if (i == 0 || i == 3)
      CHECK(e == NULL);
    else
      CHECK(e != NULL && e->val == (uint64_t)i);
  }
  CHECK(u64map_find(&m, 2) != NULL && u64map_find(&m, 2)->val == 100);
  CHECK_INT(m.n, 5);
  u64map_free(&m);
}

static void test_keys(void) {
  /* The key of dir + name is the key of the joined path. */
  char* p = path_join("/a/b", "c.py");
  CHECK_STR(p, "/a/b/c.py");
  CHECK_INT(fingerprint_key("/a/b", "c.py"), fingerprint_key(p, NULL));
  CHECK_INT(fingerprint_key("/a/b/", "c.py"), fingerprint_key(p, ""));
  CHECK(fingerprint_key("/a/b", "c.py") != fingerprint_key("/a/bc", ".py"));
  CHECK(fingerprint_key("", NULL) != 0);
  CHECK(path_is_join(p, "/a/b", "c.py"));
  CHECK(path_is_join(p, "/a/b/", "c.py"));
  CHECK(!path_is_join(p, "/a", "c.py"));
  free(p);
}

static void test_fingerprints(void) {
  struct fingerprint_table t = {0};
  struct stat st;
  memset(&st, 0, sizeof(st));
  st.st_size = 10;
  st.st_mtim.tv_sec = 1000;
  uint64_t k = fingerprint_key("/p", "a.py");
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_ADDED);
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_UNCHANGED);
  st.st_mtim.tv_nsec = 1; /* a nanosecond later */
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_MODIFIED);
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_UNCHANGED);
  st.st_size = 11;
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_MODIFIED);
  CHECK_INT(fingerprint_update(&t, fingerprint_key("/p", "b.py"), &st),
            FINGERPRINT_ADDED);
  CHECK_INT(fingerprint_count(&t), 2);
  CHECK(fingerprint_forget(&t, k));
  CHECK(!fingerprint_forget(&t, k));
  CHECK_INT(fingerprint_count(&t), 1);
  CHECK_INT(fingerprint_update(&t, k, &st), FINGERPRINT_ADDED);
  fingerprint_free(&t);
  CHECK_INT(fingerprint_count(&t), 0);
}

int main(void) {
  test_map_basic();
  test_map_grow_and_delete();
  test_map_wrapping_run();
  test_keys();
  test_fingerprints();
  return check_done();
}
