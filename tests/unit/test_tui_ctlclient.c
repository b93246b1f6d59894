/* test_tui_ctlclient.c - the control client's line reader and hello check
 * (src/tui/ctlclient.c): bytes in any chunking, bounded lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/control_proto.h"
#include "tui/ctlclient.h"
#include "tui/follow.h"

/* Push text in chunks of `chunk` bytes, collect lines joined by '|',
 * over-long ones as "<long>". */
static void read_all(const char* text, size_t chunk, size_t max, char* out) {
  struct ctl_reader r;
  ctl_reader_init(&r, max);
  out[0] = '\0';
  size_t len = strlen(text);
  for (size_t off = 0; off < len; off += chunk) {
    size_t n = len - off < chunk ? len - off : chunk;
    ctl_reader_push(&r, text + off, n);
    for (;;) {
      char* line;
      size_t ll;
      int got = ctl_reader_next(&r, &line, &ll);
      if (got == 0)
        break;
      if (out[0] != '\0')
        strcat(out, "|");
      if (got < 0) {
        strcat(out, "<long>");
      } else {
        CHECK_INT(strlen(line), ll);
        strcat(out, line);
      }
    }
  }
  ctl_reader_free(&r);
}

static void test_reader(void) {
  char out[1024];
  const char* text = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}\npartial";
  for (size_t chunk = 1; chunk <= strlen(text); chunk++) {
    read_all(text, chunk, 100, out);
    CHECK_STR(out, "{\"a\":1}|{\"b\":2}|{\"c\":3}");
  }
  /* Over the limit: skipped to its newline, reported once, then on. */
  const char* longtext = "short\n0123456789abcdef\nok\n0123456789abcdefXYZ";
  for (size_t chunk = 1; chunk <= strlen(longtext); chunk++) {
    read_all(longtext, chunk, 10, out);
    CHECK_STR(out, "short|<long>|ok");
  }
  read_all("0123456789\n01234567890\n", 3, 10, out);
  CHECK_STR(out, "0123456789|<long>");
}

static void test_hello(void) {
  char err[256];
  long pid = -1;
  cJSON* h = cJSON_Parse(
      "{\"type\":\"hello\",\"mcpmon\":1,\"version\":\"0.1.0\",\"pid\":42}");
  CHECK_INT(ctl_check_hello(h, &pid, err, sizeof(err)), 0);
  CHECK_INT(pid, 42);
  cJSON_Delete(h);
  h = cJSON_Parse("{\"type\":\"hello\",\"mcpmon\":2,\"pid\":42}");
  CHECK_INT(ctl_check_hello(h, &pid, err, sizeof(err)), -EPROTO);
  CHECK(strstr(err, "version 2") != NULL);
  cJSON_Delete(h);
  h = cJSON_Parse("{\"type\":\"snapshot\"}");
  CHECK_INT(ctl_check_hello(h, &pid, err, sizeof(err)), -EPROTO);
  cJSON_Delete(h);
  CHECK_INT(ctl_check_hello(NULL, &pid, err, sizeof(err)), -EPROTO);
}

static void test_connect_errors(void) {
  char err[512];
  int fd;
  CHECK_INT(
      ctl_socket_connect("/nonexistent/dir/x.sock", 100, &fd, err, sizeof(err)),
      -ENOENT);
  char longpath[200];
  memset(longpath, 'a', sizeof(longpath) - 1);
  longpath[sizeof(longpath) - 1] = '\0';
  CHECK_INT(ctl_socket_connect(longpath, 100, &fd, err, sizeof(err)),
            -ENAMETOOLONG);
  char dirs[2][512];
  int n = ctl_search_dirs(dirs);
  CHECK_INT(n, 1);
  char want[512];
  CHECK_INT(control_default_dir(want, sizeof(want)), 0);
  CHECK_STR(dirs[0], want);
}

/* Issue 15 defect 2: the identity a hello names, and which hellos are
 * the same instance's next one. */
static void test_follow_identity(void) {
  cJSON* g = cJSON_Parse(
      "{\"type\":\"hello\",\"mcpmon\":1,\"pid\":5,\"mode\":\"gateway\","
      "\"config\":\"/p/.mcpmon.yaml\",\"cwd\":\"/p\"}");
  struct follow_id id = {0};
  follow_id_set(&id, g);
  CHECK(follow_id_known(&id));
  CHECK(follow_id_matches(&id, g));
  char buf[256];
  follow_id_describe(&id, buf, sizeof(buf));
  CHECK_STR(buf, "the config /p/.mcpmon.yaml");
  cJSON* other = cJSON_Parse(
      "{\"mode\":\"gateway\",\"config\":\"/q/.mcpmon.yaml\",\"cwd\":\"/p\"}");
  CHECK(!follow_id_matches(&id, other));
  cJSON* single = cJSON_Parse(
      "{\"mode\":\"single\",\"command\":\"python -m s\",\"cwd\":\"/p\"}");
  CHECK(!follow_id_matches(&id, single));
  follow_id_set(&id, single);
  CHECK(follow_id_known(&id));
  CHECK(follow_id_matches(&id, single));
  follow_id_describe(&id, buf, sizeof(buf));
  CHECK_STR(buf, "'python -m s' in /p");
  cJSON* moved = cJSON_Parse(
      "{\"mode\":\"single\",\"command\":\"python -m s\",\"cwd\":\"/r\"}");
  CHECK(!follow_id_matches(&id, moved));
  /* An older core's hello names nothing: never matched, never known. */
  cJSON* old = cJSON_Parse("{\"type\":\"hello\",\"mcpmon\":1,\"pid\":9}");
  follow_id_set(&id, old);
  CHECK(!follow_id_known(&id));
  CHECK(!follow_id_matches(&id, old));
  follow_id_free(&id);
  cJSON_Delete(g);
  cJSON_Delete(other);
  cJSON_Delete(single);
  cJSON_Delete(moved);
  cJSON_Delete(old);
}

int main(void) {
  test_follow_identity();
  test_reader();
  test_hello();
  test_connect_errors();
  return check_done();
}
