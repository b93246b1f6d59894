/* test_strays.c - the pure part of strays.h: /proc/PID/stat lines (comm
 * with spaces and parentheses, field 22, short and broken lines) and the
 * search of an environment block for the spawn tag (exact entries only,
 * at the start, the end, without a final NUL). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/proc/strays.h"

static void test_parse_stat(void) {
  struct strays_stat st;
  const char* line =
      "4131 (python3) S 4127 4131 4131 0 -1 4194560 1016 0 0 0 1 0 0 0 20 "
      "0 1 0 987654 17000000 2000 18446744073709551615 1 1 0 0 0 0 0 "
      "16781312 2 0 0 0 17 1 0 0 0 0 0\n";
  CHECK_INT(strays_parse_stat(line, &st), 0);
  CHECK_INT(st.pid, 4131);
  CHECK_INT(st.ppid, 4127);
  CHECK_INT(st.pgid, 4131);
  CHECK(st.state == 'S');
  CHECK_INT(st.start, 987654);

  /* comm is what the process chose: spaces and ") S 1 1" inside. */
  const char* tricky =
      "77 (a) S 1 1 (b) Z 9 8 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0\n";
  CHECK_INT(strays_parse_stat(tricky, &st), 0);
  CHECK_INT(st.pid, 77);
  CHECK(st.state == 'Z');
  CHECK_INT(st.ppid, 9);
  CHECK_INT(st.pgid, 8);
  CHECK_INT(st.start, 4242);

  CHECK_INT(strays_parse_stat("12 (x) S 1 1 0 0\n", &st), -1); /* short */
  CHECK_INT(strays_parse_stat("12 x S 1 1\n", &st), -1);       /* no ')' */
  CHECK_INT(strays_parse_stat("(x) S 1 1\n", &st), -1);        /* no pid */
  CHECK_INT(strays_parse_stat("", &st), -1);
}

static void test_environ_has(void) {
  static const char env[] =
      "PATH=/usr/bin\0MCPMON_SERVER=10.2\0MCPMON_SERVER_X=10.1\0HOME=/h";
  size_t n = sizeof(env) - 1; /* the last entry without its NUL */
  CHECK(strays_environ_has(env, n, "MCPMON_SERVER=10.2"));
  CHECK(strays_environ_has(env, n, "PATH=/usr/bin"));
  CHECK(strays_environ_has(env, n, "HOME=/h"));
  CHECK(!strays_environ_has(env, n, "MCPMON_SERVER=10.1"));
  CHECK(!strays_environ_has(env, n, "MCPMON_SERVER=10")); /* a prefix */
  CHECK(!strays_environ_has(env, n, "SERVER=10.2"));      /* a suffix */
  CHECK(!strays_environ_has(env, n, "HOME=/h2"));
  CHECK(!strays_environ_has(env, 0, "PATH=/usr/bin"));
  CHECK(!strays_environ_has(env, 4, "PATH=/usr/bin")); /* cut short */
}

int main(void) {
  test_parse_stat();
  test_environ_has();
  return check_done();
}
