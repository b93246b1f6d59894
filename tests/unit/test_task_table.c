/* test_task_table.c - the gateway's task owners (issue 13, TASK-3):
 * lookup, refresh, and the bound that drops the oldest first. */
#include <stdio.h>

#include "check.h"
#include "core/session/task_table.h"

static void test_put_find(void) {
  struct task_table* t = task_table_new(10);
  struct task_owner o = {"ev", 3, 7};
  task_table_put(t, "ev__abc", &o);
  struct task_owner got;
  CHECK(task_table_find(t, "ev__abc", &got));
  CHECK_STR(got.server, "ev");
  CHECK_INT(got.serial, 3);
  CHECK_INT(got.generation, 7);
  CHECK(!task_table_find(t, "ev__abd", &got));
  CHECK(!task_table_find(t, "", &got));
  /* The same name again: the new owner wins, one entry. */
  struct task_owner o2 = {"ev", 4, 1};
  task_table_put(t, "ev__abc", &o2);
  CHECK(task_table_find(t, "ev__abc", &got));
  CHECK_INT(got.serial, 4);
  CHECK_INT(got.generation, 1);
  CHECK_INT(task_table_count(t), 1);
  task_table_free(t);
}

static void test_bound_drops_oldest(void) {
  struct task_table* t = task_table_new(3);
  struct task_owner o = {"a", 1, 1};
  task_table_put(t, "a__1", &o);
  task_table_put(t, "a__2", &o);
  task_table_put(t, "a__3", &o);
  /* Refreshing 1 makes 2 the oldest. */
  task_table_put(t, "a__1", &o);
  task_table_put(t, "a__4", &o);
  struct task_owner got;
  CHECK_INT(task_table_count(t), 3);
  CHECK(task_table_find(t, "a__1", &got));
  CHECK(!task_table_find(t, "a__2", &got));
  CHECK(task_table_find(t, "a__3", &got));
  CHECK(task_table_find(t, "a__4", &got));
  task_table_free(t);
}

static void test_many(void) {
  struct task_table* t = task_table_new(1000);
  char buf[64];
  struct task_owner o = {"srv", 2, 9};
  for (int i = 0; i < 50000; i++) {
    snprintf(buf, sizeof(buf), "srv__%d", i);
    task_table_put(t, buf, &o);
  }
  CHECK_INT(task_table_count(t), 1000);
  struct task_owner got;
  CHECK(task_table_find(t, "srv__49999", &got));
  CHECK(task_table_find(t, "srv__49000", &got));
  CHECK(!task_table_find(t, "srv__48999", &got));
  task_table_free(t);
  task_table_free(NULL);
}

int main(void) {
  test_put_find();
  test_bound_drops_oldest();
  test_many();
  return check_done();
}
