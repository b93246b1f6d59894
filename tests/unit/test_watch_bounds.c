/* test_watch_bounds.c - the watcher's bounds, without a loop: the queue
 * of file events waiting to be handled (src/core/watch/evqueue.c:
 * distinct pairs, oldest first, a cap, a directory forgotten) and the
 * limit on debug reports (src/core/watch/ratelimit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/watch/evqueue.h"
#include "core/watch/ratelimit.h"

static void test_queue_order_and_dedup(void) {
  struct evqueue q;
  int a, b;
  evqueue_init(&q, 8);
  CHECK_INT(evqueue_push(&q, &a, "x.py"), 1);
  CHECK_INT(evqueue_push(&q, &b, "x.py"), 1); /* another directory */
  CHECK_INT(evqueue_push(&q, &a, "y.py"), 1);
  CHECK_INT(evqueue_push(&q, &a, "x.py"), 0); /* already waiting */
  CHECK_INT(q.n, 3);
  struct evqueue_ent* e = evqueue_pop(&q);
  CHECK(e->dir == &a);
  CHECK_STR(e->name, "x.py");
  free(e);
  /* Handled: a new event for it queues again, after the others. */
  CHECK_INT(evqueue_push(&q, &a, "x.py"), 1);
  e = evqueue_pop(&q);
  CHECK(e->dir == &b);
  free(e);
  e = evqueue_pop(&q);
  CHECK_STR(e->name, "y.py");
  free(e);
  e = evqueue_pop(&q);
  CHECK(e->dir == &a);
  CHECK_STR(e->name, "x.py");
  free(e);
  CHECK(evqueue_pop(&q) == NULL);
  CHECK_INT(q.n, 0);
  evqueue_free(&q);
}

static void test_queue_cap_and_forget(void) {
  struct evqueue q;
  int a, b;
  evqueue_init(&q, 3);
  CHECK_INT(evqueue_push(&q, &a, "1"), 1);
  CHECK_INT(evqueue_push(&q, &b, "2"), 1);
  CHECK_INT(evqueue_push(&q, &a, "3"), 1);
  CHECK_INT(evqueue_push(&q, &a, "4"), -1);
  CHECK_INT(evqueue_push(&q, &a, "1"), 0); /* waiting: not a drop */
  CHECK_INT((int)q.dropped, 1);
  evqueue_forget(&q, &a);
  CHECK_INT(q.n, 1);
  CHECK_INT(evqueue_push(&q, &a, "1"), 1); /* forgotten from the map too */
  struct evqueue_ent* e = evqueue_pop(&q);
  CHECK(e->dir == &b);
  free(e);
  evqueue_free(&q); /* frees what is left */
  CHECK_INT(q.n, 0);
  CHECK(evqueue_pop(&q) == NULL);
  CHECK_INT(evqueue_push(&q, &a, "again"), 1); /* usable after free */
  evqueue_free(&q);
}

static void test_queue_many(void) {
  struct evqueue q;
  int a;
  evqueue_init(&q, 100000);
  char name[32];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 20000; i++) {
      snprintf(name, sizeof(name), "f%d", i);
      CHECK_INT(evqueue_push(&q, &a, name), round == 0 ? 1 : 0);
    }
  }
  CHECK_INT(q.n, 20000);
  for (int i = 0; i < 20000; i++) {
    struct evqueue_ent* e = evqueue_pop(&q);
    snprintf(name, sizeof(name), "f%d", i);
    CHECK_STR(e->name, name);
    free(e);
  }
  CHECK_INT(q.map.n, 0);
  evqueue_free(&q);
}

static void test_ratelimit(void) {
  struct ratelimit rl = {.per_s = 3};
  uint64_t t = 5000;
  for (int i = 0; i < 3; i++) CHECK(ratelimit_allow(&rl, t + (uint64_t)i));
  CHECK(!ratelimit_allow(&rl, t + 10));
  CHECK(!ratelimit_allow(&rl, t + 999));
  /* Not summed up while the window lasts. */
  CHECK_INT((int)ratelimit_take_hidden(&rl, t + 500), 0);
  CHECK_INT((int)ratelimit_take_hidden(&rl, t + 1000), 2);
  CHECK_INT((int)ratelimit_take_hidden(&rl, t + 1001), 0);
  /* A new second allows again. */
  CHECK(ratelimit_allow(&rl, t + 1000));
  CHECK(ratelimit_allow(&rl, t + 1001));
  CHECK(ratelimit_allow(&rl, t + 1002));
  CHECK(!ratelimit_allow(&rl, t + 1003));
  CHECK_INT((int)ratelimit_take_hidden(&rl, t + 2500), 1);
}

int main(void) {
  test_queue_order_and_dedup();
  test_queue_cap_and_forget();
  test_queue_many();
  test_ratelimit();
  return check_done();
}
