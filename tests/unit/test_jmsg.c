/* test_jmsg.c - messages kept as text (issue 12 item 3): classification
 * as jsonrpc.c does it, reading through spans, and edits that change only
 * the span edited. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/jmsg.h"

static struct jmsg* P(const char* s) {
  return jmsg_parse(s, strlen(s));
}

static char* span_text(const struct jmsg* m, struct jspan v) {
  char* out = malloc(v.len + 1);
  memcpy(out, m->text + v.off, v.len);
  out[v.len] = '\0';
  return out;
}

static void check_span(const struct jmsg* m, struct jspan v, const char* want) {
  char* got = span_text(m, v);
  CHECK_STR(got, want);
  free(got);
}

static void test_classify(void) {
  struct jmsg* m =
      P("  {\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
        "\"params\":{\"name\":\"x\"}}\r\n");
  CHECK_INT(m->kind, JRPC_REQUEST);
  CHECK_STR(m->method, "tools/call");
  check_span(m, m->id, "7");
  check_span(m, m->params, "{\"name\":\"x\"}");
  CHECK_INT(jmsg_int_id(m), 7);
  jmsg_free(m);

  m = P("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}");
  CHECK_INT(m->kind, JRPC_NOTIFICATION);
  CHECK(m->id.len == 0);
  jmsg_free(m);

  m =
      P("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":-1,"
        "\"message\":\"m\"}}");
  CHECK_INT(m->kind, JRPC_RESPONSE);
  CHECK(m->is_error);
  jmsg_free(m);

  m = P("[{\"jsonrpc\":\"2.0\",\"method\":\"a\"}, 1 ,{}]");
  CHECK_INT(m->kind, JRPC_BATCH);
  size_t pos = 0;
  struct jspan el;
  int n = 0;
  while (jmsg_batch_next(m, &pos, &el)) n++;
  CHECK_INT(n, 3);
  jmsg_free(m);

  /* The same error texts as jsonrpc.c. */
  static const struct {
    const char* text;
    int code;
    const char* msg;
  } bad[] = {
      {"{\"jsonrpc\":\"2.0\",\"id\":1,", JRPC_PARSE_ERROR, NULL},
      {"[1", JRPC_PARSE_ERROR, NULL},
      {"3", JRPC_INVALID_REQUEST, "message is not a JSON object"},
      {"{\"id\":1,\"method\":\"x\"}", JRPC_INVALID_REQUEST,
       "missing \"jsonrpc\": \"2.0\""},
      {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}",
       JRPC_INVALID_REQUEST, "id must be a string or an integer"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[]}",
       JRPC_INVALID_REQUEST, "params must be an object"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"extra\":1}",
       JRPC_INVALID_REQUEST, "unexpected member"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}",
       JRPC_INVALID_REQUEST, "duplicate member"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}", JRPC_INVALID_REQUEST,
       "result must be an object"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
       "\"message\":\"m\"}}",
       JRPC_INVALID_REQUEST, "error code must be an integer"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\u0000b\"}",
       JRPC_INVALID_REQUEST, "method must not contain U+0000"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    m = P(bad[i].text);
    CHECK_INT(m->kind, JRPC_INVALID);
    CHECK_INT(m->error_code, bad[i].code);
    if (bad[i].msg != NULL)
      CHECK_STR(m->error_msg, bad[i].msg);
    jmsg_free(m);
  }
  /* The id is kept for the error when it is readable. */
  m = P("{\"jsonrpc\":\"1.0\",\"id\":\"q\",\"method\":\"x\"}");
  check_span(m, m->id, "\"q\"");
  jmsg_free(m);
}

static void test_read(void) {
  struct jmsg* m =
      P("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":[1,{"
        "\"name\":\"no\"}],\"s\":\"x\\\"}\",\"_meta\":{\"progressToken\":"
        "12345678901234567890},\"n\\u0061me\":\"t\\u00e9\\ud83d\"}}");
  CHECK_INT(m->kind, JRPC_REQUEST);
  check_span(m, jmsg_get(m, "params", "_meta", "progressToken", NULL),
             "12345678901234567890");
  struct jspan name = jmsg_get(m, "params", "name", NULL);
  size_t n;
  char* s = jtext_string(m->text, name, &n);
  CHECK_STR(s, "t\xc3\xa9\xef\xbf\xbd"); /* é, and U+FFFD for the lone half */
  free(s);
  CHECK(jmsg_get(m, "params", "missing", NULL).len == 0);
  CHECK(jmsg_get(m, "params", "s", "deeper", NULL).len == 0);
  cJSON* raw =
      jtext_raw(m->text, jmsg_get(m, "params", "_meta", "progressToken", NULL));
  CHECK(cJSON_IsRaw(raw));
  CHECK_STR(raw->valuestring, "12345678901234567890");
  cJSON_Delete(raw);
  jmsg_free(m);
}

/* Issue 13: the items of tasks/list, read one by one. */
static void test_elements(void) {
  struct jmsg* m =
      P("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tasks\":[ {\"taskId\":"
        "\"a]\"} , [1,2],\"x\" ,3 ],\"e\":[ ],\"o\":{}}}");
  struct jspan arr = jmsg_get(m, "result", "tasks", NULL);
  size_t pos = 0;
  struct jspan el;
  CHECK(jtext_element(m->text, arr, &pos, &el));
  check_span(m, el, "{\"taskId\":\"a]\"}");
  CHECK(jtext_element(m->text, arr, &pos, &el));
  check_span(m, el, "[1,2]");
  CHECK(jtext_element(m->text, arr, &pos, &el));
  check_span(m, el, "\"x\"");
  CHECK(jtext_element(m->text, arr, &pos, &el));
  check_span(m, el, "3");
  CHECK(!jtext_element(m->text, arr, &pos, &el));
  pos = 0;
  CHECK(!jtext_element(m->text, jmsg_get(m, "result", "e", NULL), &pos, &el));
  pos = 0;
  CHECK(!jtext_element(m->text, jmsg_get(m, "result", "o", NULL), &pos, &el));
  pos = 0;
  CHECK(!jtext_element(m->text, jmsg_get(m, "result", "no", NULL), &pos, &el));
  jmsg_free(m);
}

static void test_edit(void) {
  const char* in =
      "{\"jsonrpc\":\"2.0\",\"id\":\"client-1\",\"method\":\"tools/call\","
      "\"params\":{\"name\":\"srv__echo\",\"arguments\":{\"big\":"
      "12345678901234567890,\"f\":1.0,\"e\":1E2,\"z\":\"a\\u0000b\"}}}";
  struct jmsg* m = P(in);
  CHECK_INT(m->kind, JRPC_REQUEST);
  jmsg_replace_int(m, m->id, 42);
  jmsg_replace_string(m, jmsg_get(m, "params", "name", NULL), "echo\"q");
  check_span(m, m->id, "42");
  CHECK_STR(m->text,
            "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\","
            "\"params\":{\"name\":\"echo\\\"q\",\"arguments\":{\"big\":"
            "12345678901234567890,\"f\":1.0,\"e\":1E2,\"z\":\"a\\u0000b\"}}}");
  /* The params span followed both edits. */
  CHECK(m->text[m->params.off] == '{');
  CHECK(m->text[m->params.off + m->params.len - 1] == '}');
  CHECK(m->params.off + m->params.len + 1 == m->len);

  jmsg_insert_member(m, m->params, "logger", "\"srv\"");
  check_span(m, jmsg_get(m, "params", "logger", NULL), "\"srv\"");
  check_span(m, jmsg_get(m, "params", "name", NULL), "\"echo\\\"q\"");
  size_t len;
  char* line = jmsg_take_line(m, &len);
  CHECK(len == strlen(line) && line[len - 1] == '\n');
  free(line);

  m = P("{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{ }}");
  jmsg_insert_member(m, m->params, "logger", "\"x\"");
  CHECK_STR(m->text,
            "{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"logger\":"
            "\"x\" }}");
  jmsg_free(m);
}

/* jmsg_from_scan with a stream scan's verdict gives what jmsg_parse does
 * (the backend's path for a server notification). */
static void test_from_scan(void) {
  const char* lines[] = {
      ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
       "\"params\":{\"progressToken\":12345678901234567890,\"p\":1.0}}"),
      "  {\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"m\"}  ",
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    const char* s = lines[i];
    size_t n = strlen(s);
    struct jscan_stream st;
    jscan_begin(&st);
    jscan_feed(&st, s, n / 2);
    jscan_feed(&st, s + n / 2, n - n / 2);
    CHECK(jscan_end(&st));
    struct jmsg* a = jmsg_from_scan(s, n, &st.out);
    struct jmsg* b = jmsg_parse(s, n);
    CHECK(a->kind == b->kind);
    CHECK_STR(a->text, b->text);
    CHECK(a->id.off == b->id.off && a->id.len == b->id.len);
    CHECK(a->params.off == b->params.off && a->params.len == b->params.len);
    CHECK((a->method == NULL) == (b->method == NULL));
    if (a->method != NULL)
      CHECK_STR(a->method, b->method);
    jmsg_free(a);
    jmsg_free(b);
  }
}

int main(void) {
  test_from_scan();
  test_classify();
  test_read();
  test_elements();
  test_edit();
  return check_done();
}
