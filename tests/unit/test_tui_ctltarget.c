/* test_tui_ctltarget.c - how tui, status, restart (and start, stop) read
 * the instance from their command line (src/tui/ctltarget.c, issue 15
 * defect 9): --socket PATH, --pid PID, a bare pid or a path, one at most.
 * Usage errors print to stderr; only the return values are checked. */
#include <string.h>

#include "check.h"
#include "tui/ctltarget.h"

static const char usage[] = "Usage: test\n";

/* Feed argv[1..] to ctl_target_option, words to ctl_target_word; the
 * first nonzero status, or 0. */
static int parse(struct ctl_target* t, int argc, const char** argv) {
  memset(t, 0, sizeof(*t));
  for (int i = 1; i < argc; i++) {
    int rc = ctl_target_option(t, "test", usage, argc, (char**)argv, &i);
    if (rc == 2)
      return 2;
    if (rc == 1)
      continue;
    if (ctl_target_word(t, "test", usage, argv[i]) != 0)
      return 2;
  }
  return 0;
}

#define PARSE(t, ...)                                                         \
  parse(                                                                      \
      t,                                                                      \
      (int)(sizeof((const char*[]){"x", __VA_ARGS__}) / sizeof(const char*)), \
      (const char*[]){"x", __VA_ARGS__})

static void test_is_pid(void) {
  CHECK(ctl_target_is_pid("1"));
  CHECK(ctl_target_is_pid("123456789"));
  CHECK(!ctl_target_is_pid("1234567890")); /* beyond any pid_max */
  CHECK(!ctl_target_is_pid("0"));
  CHECK(!ctl_target_is_pid("000"));
  CHECK(!ctl_target_is_pid(""));
  CHECK(!ctl_target_is_pid("12a"));
  CHECK(!ctl_target_is_pid("-1"));
  CHECK(!ctl_target_is_pid("./12"));
}

static void test_forms(void) {
  struct ctl_target t;
  CHECK_INT(PARSE(&t, "--socket", "/s"), 0);
  CHECK_STR(t.socket, "/s");
  CHECK_INT(PARSE(&t, "--socket=/s"), 0);
  CHECK_STR(t.socket, "/s");
  CHECK_INT(PARSE(&t, "--pid", "42"), 0);
  CHECK(t.pid == 42 && t.socket == NULL);
  CHECK_INT(PARSE(&t, "--pid=42"), 0);
  CHECK(t.pid == 42);
  /* Words: digits are a pid, anything else a socket path (as before). */
  CHECK_INT(PARSE(&t, "1234"), 0);
  CHECK(t.pid == 1234 && t.socket == NULL);
  CHECK_INT(PARSE(&t, "a.sock"), 0);
  CHECK_STR(t.socket, "a.sock");
  CHECK_INT(PARSE(&t, "./1234"), 0);
  CHECK_STR(t.socket, "./1234");
}

static void test_errors(void) {
  struct ctl_target t;
  CHECK_INT(PARSE(&t, "--socket"), 2);
  CHECK_INT(PARSE(&t, "--pid"), 2);
  CHECK_INT(PARSE(&t, "--socket="), 2);
  CHECK_INT(PARSE(&t, "--pid=x"), 2);
  CHECK_INT(PARSE(&t, "--pid", "0"), 2);
  /* One instance at most, in any two forms. */
  CHECK_INT(PARSE(&t, "a.sock", "b.sock"), 2);
  CHECK_INT(PARSE(&t, "12", "--socket", "s"), 2);
  CHECK_INT(PARSE(&t, "--pid", "1", "--pid", "1"), 2);
  CHECK_INT(PARSE(&t, "--socket", "s", "34"), 2);
}

int main(void) {
  test_is_pid();
  test_forms();
  test_errors();
  return check_done();
}
