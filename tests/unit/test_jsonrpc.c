/* test_jsonrpc.c - classification of every message class, ids, builders'
 * exact output, and exact round-trips of large integers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/util.h"
#include "proto/jsonrpc.h"

/* Parse s (NUL-terminated); the caller frees m. */
static void parse(const char* s, struct jrpc_msg* m) {
  jrpc_parse(s, strlen(s), m);
}

/* Serialize msg and return it without its '\n' (checking that it is
 * there), owned by the caller. */
static char* text(const cJSON* msg) {
  size_t len = 0;
  char* s = jrpc_serialize(msg, &len);
  CHECK(len > 0 && s[len - 1] == '\n');
  CHECK_INT(strlen(s), len);
  s[len - 1] = '\0';
  return s;
}

/* Parse s, serialize it again and compare with want. */
static void check_roundtrip(const char* s, const char* want) {
  struct jrpc_msg m;
  parse(s, &m);
  CHECK(m.root != NULL);
  if (m.root != NULL) {
    char* out = text(m.root);
    CHECK_STR(out, want);
    free(out);
  }
  jrpc_msg_free(&m);
}

/* Classify s as JRPC_INVALID with code and msg; want_id is the formatted id
 * the caller can answer with, or NULL for none. */
static void check_invalid(const char* s,
                          int code,
                          const char* msg,
                          const char* want_id) {
  struct jrpc_msg m;
  parse(s, &m);
  if (m.kind != JRPC_INVALID)
    fprintf(stderr, "not invalid: %s\n", s);
  CHECK_INT(m.kind, JRPC_INVALID);
  CHECK_INT(m.error_code, code);
  CHECK_STR(m.error_msg, msg);
  if (want_id == NULL) {
    CHECK(m.id == NULL);
  } else {
    char buf[64];
    jrpc_id_format(m.id, buf, sizeof(buf));
    CHECK_STR(buf, want_id);
  }
  jrpc_msg_free(&m);
}

static void test_valid(void) {
  struct jrpc_msg m;
  char buf[64];

  parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}", &m);
  CHECK_INT(m.kind, JRPC_REQUEST);
  CHECK_STR(m.method, "tools/list");
  CHECK_INT(jrpc_int_id(m.id), 7);
  CHECK(m.error_msg == NULL);
  CHECK_INT(m.error_code, 0);
  jrpc_msg_free(&m);

  parse(
      "{\"method\":\"tools/call\",\"params\":{\"name\":\"x\"},"
      "\"id\":\"abc\",\"jsonrpc\":\"2.0\"}",
      &m);
  CHECK_INT(m.kind, JRPC_REQUEST);
  CHECK_STR(m.method, "tools/call");
  jrpc_id_format(m.id, buf, sizeof(buf));
  CHECK_STR(buf, "\"abc\"");
  CHECK_INT(jrpc_int_id(m.id), -1);
  jrpc_msg_free(&m);

  parse(
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\","
      "\"params\":{}}",
      &m);
  CHECK_INT(m.kind, JRPC_NOTIFICATION);
  CHECK_STR(m.method, "notifications/initialized");
  CHECK(m.id == NULL);
  jrpc_msg_free(&m);

  parse("{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}", &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK(!m.is_error);
  CHECK(m.method == NULL);
  CHECK_INT(jrpc_int_id(m.id), 0);
  jrpc_msg_free(&m);

  parse(
      "{\"jsonrpc\":\"2.0\",\"id\":-3,\"error\":{\"code\":-32601,"
      "\"message\":\"Method not found\",\"data\":[1]}}",
      &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK(m.is_error);
  jrpc_id_format(m.id, buf, sizeof(buf));
  CHECK_STR(buf, "-3");
  CHECK_INT(jrpc_int_id(m.id), -1);
  jrpc_msg_free(&m);

  /* An error without id answers a parse error (STDIO-4). */
  parse(
      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,"
      "\"message\":\"Parse error\"}}",
      &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK(m.is_error);
  CHECK(m.id == NULL);
  jrpc_msg_free(&m);

  /* Whitespace around the value, and a length that stops before the end of
   * the buffer (no NUL needed). */
  parse(" \t{\"jsonrpc\":\"2.0\",\"method\":\"m\"} \r\n", &m);
  CHECK_INT(m.kind, JRPC_NOTIFICATION);
  jrpc_msg_free(&m);
  const char* s = "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}GARBAGE";
  size_t n = strlen(s) - strlen("GARBAGE");
  char* exact = xmalloc(n); /* no NUL: ASan/valgrind catch reads past it */
  memcpy(exact, s, n);
  jrpc_parse(exact, n, &m);
  CHECK_INT(m.kind, JRPC_NOTIFICATION);
  jrpc_msg_free(&m);
  free(exact);

  /* Ids at the edge of the exact range; integral numbers written in other
   * forms are integers. */
  parse("{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"result\":{}}", &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK_INT(jrpc_int_id(m.id), 9007199254740991LL);
  jrpc_msg_free(&m);
  parse("{\"jsonrpc\":\"2.0\",\"id\":-9007199254740991,\"result\":{}}", &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK_INT(jrpc_int_id(m.id), -1);
  jrpc_msg_free(&m);
  /* 2^53 + 1 reads as 2^53 and would come back as another id: refused,
   * like everything from 2^53 on. */
  parse("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"x\"}", &m);
  CHECK_INT(m.kind, JRPC_INVALID);
  CHECK_INT(m.error_code, JRPC_INVALID_REQUEST);
  jrpc_msg_free(&m);
  parse("{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,\"method\":\"x\"}", &m);
  CHECK_INT(m.kind, JRPC_INVALID);
  jrpc_msg_free(&m);
  parse("{\"jsonrpc\":\"2.0\",\"id\":1e3,\"result\":{}}", &m);
  CHECK_INT(m.kind, JRPC_RESPONSE);
  CHECK_INT(jrpc_int_id(m.id), 1000);
  jrpc_msg_free(&m);

  /* A top-level array is a batch, whatever it holds. */
  parse("[{\"jsonrpc\":\"2.0\",\"method\":\"a\"},1]", &m);
  CHECK_INT(m.kind, JRPC_BATCH);
  CHECK(m.error_msg == NULL);
  CHECK_INT(m.error_code, 0);
  CHECK(cJSON_IsArray(m.root));
  CHECK_INT(cJSON_GetArraySize(m.root), 2);
  jrpc_msg_free(&m);
  parse("[]", &m);
  CHECK_INT(m.kind, JRPC_BATCH);
  jrpc_msg_free(&m);
}

static void test_parse_errors(void) {
  const int pe = JRPC_PARSE_ERROR;
  check_invalid("", pe, "not valid JSON", NULL);
  check_invalid("   ", pe, "not valid JSON", NULL);
  check_invalid("hello", pe, "not valid JSON", NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",", pe, "not valid JSON", NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} x", pe,
                "text after the JSON value", NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}{}", pe,
                "text after the JSON value", NULL);

  struct jrpc_msg m;
  parse("{nope", &m);
  CHECK(m.root == NULL);
  CHECK(m.method == NULL);
  jrpc_msg_free(&m);
  jrpc_parse(NULL, 0, &m);
  CHECK_INT(m.kind, JRPC_INVALID);
  CHECK_INT(m.error_code, pe);
  jrpc_msg_free(&m);
}

static void test_invalid_requests(void) {
  const int ir = JRPC_INVALID_REQUEST;
  const char* not_obj = "message is not a JSON object";
  check_invalid("\"str\"", ir, not_obj, NULL);
  check_invalid("42", ir, not_obj, NULL);
  check_invalid("null", ir, not_obj, NULL);
  check_invalid("true", ir, not_obj, NULL);

  const char* no_ver = "missing \"jsonrpc\": \"2.0\"";
  check_invalid("{\"id\":1,\"method\":\"m\"}", ir, no_ver, "1");
  check_invalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}", ir, no_ver,
                "1");
  check_invalid("{\"jsonrpc\":2.0,\"id\":\"a\",\"method\":\"m\"}", ir, no_ver,
                "\"a\"");
  check_invalid("{\"jsonrpc\":\"2.0 \",\"method\":\"m\"}", ir, no_ver, NULL);

  const char* extra = "unexpected member";
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"foo\":1}", ir,
                extra, "5");
  /* Member names are case-sensitive. */
  check_invalid("{\"jsonrpc\":\"2.0\",\"ID\":5,\"method\":\"m\"}", ir, extra,
                NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{},\"\":0}", ir,
                extra, "5");

  const char* dup = "duplicate member";
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"a\",\"method\":\"b\"}", ir,
      dup, "5");
  /* With two ids neither can be trusted. */
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":5,\"id\":6,\"method\":\"a\"}", ir,
                dup, NULL);

  const char* bad_id = "id must be a string or an integer";
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}", ir,
                bad_id, NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}", ir, bad_id,
                NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}", ir,
                bad_id, NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}", ir, bad_id,
                NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}", ir, bad_id,
                NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1e16,\"method\":\"m\"}", ir,
                bad_id, NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"m\"}", ir,
                bad_id, NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", ir, bad_id,
                NULL);

  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", ir,
                "method must be a string", "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":null}", ir,
                "method must be a string", "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[]}",
                ir, "params must be an object", "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null}", ir,
                "params must be an object", NULL);
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"result\":{}}",
                ir, "request has a result or error", "1");

  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1}", ir,
                "missing method, result or error", "1");
  check_invalid("{\"jsonrpc\":\"2.0\"}", ir, "missing method, result or error",
                NULL);
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},"
      "\"error\":{\"code\":1,\"message\":\"x\"}}",
      ir, "response has both result and error", "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"params\":{}}",
                ir, "response has params", "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"result\":{}}", ir, "result without id",
                NULL);

  const char* res = "result must be an object";
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}", ir, res, "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}", ir, res, "1");
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"ok\"}", ir, res,
                "1");

  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"bad\"}", ir,
                "error must be an object", "1");
  const char* code = "error code must be an integer";
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"x\"}}",
                ir, code, "1");
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
      "\"message\":\"x\"}}",
      ir, code, "1");
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"-1\","
      "\"message\":\"x\"}}",
      ir, code, "1");
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":4294967296,"
      "\"message\":\"x\"}}",
      ir, code, "1");
  const char* emsg = "error message must be a string";
  check_invalid("{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"error\":{\"code\":1}}", ir,
                emsg, "\"q\"");
  check_invalid(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":2}}", ir,
      emsg, "1");

  /* An invalid message keeps its tree and a readable method for logs. */
  struct jrpc_msg m;
  parse("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"x\":0}", &m);
  CHECK(m.root != NULL);
  CHECK_STR(m.method, "tools/call");
  CHECK(!m.is_error);
  jrpc_msg_free(&m);
}

static void test_ids(void) {
  cJSON* i7 = cJSON_CreateNumber(7);
  cJSON* i7b = cJSON_CreateNumber(7);
  cJSON* i8 = cJSON_CreateNumber(8);
  cJSON* s7 = cJSON_CreateString("7");
  cJSON* sa = cJSON_CreateString("a");
  cJSON* sa2 = cJSON_CreateString("a");
  cJSON* frac = cJSON_CreateNumber(7.5);
  cJSON* null = cJSON_CreateNull();
  cJSON* big = cJSON_CreateNumber(9007199254740991.0);
  cJSON* huge = cJSON_CreateNumber(9007199254740992.0);

  CHECK(jrpc_id_valid(i7));
  CHECK(jrpc_id_valid(s7));
  CHECK(jrpc_id_valid(big));
  CHECK(!jrpc_id_valid(huge));
  CHECK(!jrpc_id_valid(frac));
  CHECK(!jrpc_id_valid(null));
  CHECK(!jrpc_id_valid(NULL));

  CHECK(jrpc_id_equal(i7, i7b));
  CHECK(jrpc_id_equal(sa, sa2));
  CHECK(!jrpc_id_equal(i7, i8));
  CHECK(!jrpc_id_equal(i7, s7));
  CHECK(!jrpc_id_equal(s7, i7));
  CHECK(!jrpc_id_equal(sa, s7));
  CHECK(!jrpc_id_equal(i7, NULL));
  CHECK(jrpc_id_equal(NULL, NULL));

  CHECK_INT(jrpc_int_id(i7), 7);
  CHECK_INT(jrpc_int_id(big), 9007199254740991LL);
  CHECK_INT(jrpc_int_id(s7), -1);
  CHECK_INT(jrpc_int_id(frac), -1);
  CHECK_INT(jrpc_int_id(huge), -1);
  CHECK_INT(jrpc_int_id(null), -1);
  CHECK_INT(jrpc_int_id(NULL), -1);

  char buf[64];
  jrpc_id_format(i7, buf, sizeof(buf));
  CHECK_STR(buf, "7");
  jrpc_id_format(big, buf, sizeof(buf));
  CHECK_STR(buf, "9007199254740991");
  jrpc_id_format(s7, buf, sizeof(buf));
  CHECK_STR(buf, "\"7\"");
  jrpc_id_format(NULL, buf, sizeof(buf));
  CHECK_STR(buf, "(none)");
  jrpc_id_format(null, buf, sizeof(buf));
  CHECK_STR(buf, "(invalid)");
  cJSON* odd = cJSON_CreateString("a\"b\\c\n\x01\xc3\xa9");
  jrpc_id_format(odd, buf, sizeof(buf));
  CHECK_STR(buf, "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\"");
  /* Truncated, always terminated. */
  jrpc_id_format(odd, buf, 5);
  CHECK_STR(buf, "\"a\\\"");
  jrpc_id_format(sa, buf, 3);
  CHECK_STR(buf, "\"a");
  jrpc_id_format(i7, buf, 1);
  CHECK_STR(buf, "");

  cJSON* all[] = {i7, i7b, i8, s7, sa, sa2, frac, null, big, huge, odd};
  for (size_t i = 0; i < ARRAY_LEN(all); i++) cJSON_Delete(all[i]);
}

static void test_builders(void) {
  char* s;

  cJSON* m = jrpc_make_request(5, "tools/list", NULL);
  s = text(m);
  CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
  free(s);
  cJSON_Delete(m);

  cJSON* params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "cursor", "c1");
  m = jrpc_make_request(4294967296LL, "tools/list", params);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":4294967296,\"method\":\"tools/list\","
            "\"params\":{\"cursor\":\"c1\"}}");
  free(s);
  cJSON_Delete(m);

  m = jrpc_make_notification("notifications/initialized", NULL);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
  free(s);
  cJSON_Delete(m);

  params = cJSON_CreateObject();
  cJSON_AddNumberToObject(params, "progress", 50);
  m = jrpc_make_notification("notifications/progress", params);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
            "\"params\":{\"progress\":50}}");
  free(s);
  cJSON_Delete(m);

  cJSON* sid = cJSON_CreateString("abc");
  m = jrpc_make_result(sid, NULL);
  s = text(m);
  CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{}}");
  free(s);
  cJSON_Delete(m);

  cJSON* result = cJSON_CreateObject();
  cJSON_AddItemToObject(result, "tools", cJSON_CreateArray());
  cJSON* nid = cJSON_CreateNumber(9007199254740991.0);
  m = jrpc_make_result(nid, result);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,"
            "\"result\":{\"tools\":[]}}");
  free(s);
  cJSON_Delete(m);

  m = jrpc_make_error(NULL, JRPC_PARSE_ERROR, "Parse error", NULL);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
            "\"message\":\"Parse error\"}}");
  free(s);
  cJSON_Delete(m);

  cJSON* data = cJSON_CreateObject();
  cJSON_AddStringToObject(data, "method", "x/y");
  m = jrpc_make_error(sid, JRPC_METHOD_NOT_FOUND, "Method not found", data);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"error\":{\"code\":-32601,"
            "\"message\":\"Method not found\",\"data\":{\"method\":\"x/y\"}}}");
  free(s);
  /* Built messages classify as what they are. */
  char* line = text(m);
  struct jrpc_msg pm;
  parse(line, &pm);
  CHECK_INT(pm.kind, JRPC_RESPONSE);
  CHECK(pm.is_error);
  CHECK(jrpc_id_equal(pm.id, sid));
  jrpc_msg_free(&pm);
  free(line);
  cJSON_Delete(m);

  m = jrpc_make_error(nid, JRPC_INTERNAL_ERROR, NULL, NULL);
  s = text(m);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"error\":"
            "{\"code\":-32603,\"message\":\"\"}}");
  free(s);
  cJSON_Delete(m);

  cJSON_Delete(sid);
  cJSON_Delete(nid);
}

static void test_set_id(void) {
  struct jrpc_msg m;
  parse(
      "{\"jsonrpc\":\"2.0\",\"id\":\"client-1\",\"method\":\"tools/call\","
      "\"params\":{\"id\":\"keep\"}}",
      &m);
  CHECK_INT(m.kind, JRPC_REQUEST);
  cJSON* orig = cJSON_Duplicate(m.id, true);

  /* Replaced in place; a nested "id" is untouched. */
  jrpc_set_int_id(m.root, 42);
  char* s = text(m.root);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\","
            "\"params\":{\"id\":\"keep\"}}");
  free(s);

  /* Restored exactly, type included. */
  jrpc_set_id(m.root, orig);
  s = text(m.root);
  CHECK_STR(s,
            "{\"jsonrpc\":\"2.0\",\"id\":\"client-1\",\"method\":"
            "\"tools/call\",\"params\":{\"id\":\"keep\"}}");
  free(s);
  CHECK(jrpc_id_equal(cJSON_GetObjectItemCaseSensitive(m.root, "id"), orig));
  jrpc_msg_free(&m);

  /* Added when absent, removed with NULL. */
  cJSON* n = jrpc_make_notification("ping", NULL);
  jrpc_set_id(n, orig);
  s = text(n);
  CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":\"client-1\"}");
  free(s);
  jrpc_set_id(n, NULL);
  s = text(n);
  CHECK_STR(s, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}");
  free(s);
  jrpc_set_int_id(n, 9007199254740991LL);
  s = text(n);
  CHECK_STR(
      s, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":9007199254740991}");
  free(s);
  cJSON_Delete(n);
  cJSON_Delete(orig);
}

static void test_numbers(void) {
  /* cJSON 1.7.15 alone prints 9007199254740991 as 9.00719925474099e+15 and
   * 0.30000000000000004 as 0.3. */
  check_roundtrip(
      "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"result\":"
      "{\"a\":4294967296,\"b\":-9007199254740991,\"c\":9007199254740992,"
      "\"d\":2147483647,\"e\":2147483648,\"f\":-2147483648,\"g\":0,"
      "\"h\":1000000000000000,\"i\":999999999999999,\"j\":1234567890123456}}",
      "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"result\":"
      "{\"a\":4294967296,\"b\":-9007199254740991,\"c\":9007199254740992,"
      "\"d\":2147483647,\"e\":2147483648,\"f\":-2147483648,\"g\":0,"
      "\"h\":1000000000000000,\"i\":999999999999999,\"j\":1234567890123456}}");
  check_roundtrip(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":0.1,\"b\":1.5,"
      "\"c\":0.30000000000000004,\"d\":1e300,\"e\":-2.5e-7,"
      "\"f\":[3.141592653589793,[2.718281828459045]]}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":0.1,\"b\":1.5,"
      "\"c\":0.30000000000000004,\"d\":1e+300,\"e\":-2.5e-07,"
      "\"f\":[3.141592653589793,[2.718281828459045]]}}");

  /* Every integer near 2^53 survives parse + serialize. */
  int bad = 0;
  for (long long v = 9007199254740991LL - 50; v <= 9007199254740991LL; v++) {
    char in[128];
    char want[160];
    snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{}}",
             v);
    snprintf(want, sizeof(want), "%s\n", in);
    struct jrpc_msg m;
    parse(in, &m);
    size_t len;
    char* out = jrpc_serialize(m.root, &len);
    if (strcmp(out, want) != 0 || jrpc_int_id(m.id) != v)
      bad++;
    free(out);
    jrpc_msg_free(&m);
  }
  CHECK_INT(bad, 0);

  /* Serializing one element of a tree prints just that element, and leaves
   * the tree as it was. */
  struct jrpc_msg m;
  parse("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},{\"x\":1e15}]", &m);
  CHECK_INT(m.kind, JRPC_BATCH);
  char* first = text(cJSON_GetArrayItem(m.root, 0));
  CHECK_STR(first, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
  free(first);
  char* all = text(m.root);
  CHECK_STR(all,
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},"
            "{\"x\":1000000000000000}]");
  free(all);
  const cJSON* x =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m.root, 1), "x");
  CHECK(cJSON_IsNumber(x));
  CHECK(x->valuestring == NULL);
  jrpc_msg_free(&m);
}

static void test_bytes_preserved(void) {
  /* cJSON does not validate UTF-8: bytes inside strings pass through, as do
   * escapes it must keep. */
  check_roundtrip(
      "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
      "{\"s\":\"\xff\xfe caf\xc3\xa9 \\u00e9 \\\" \\\\ \\n \\u0001\"}}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":"
      "{\"s\":\"\xff\xfe caf\xc3\xa9 \xc3\xa9 \\\" \\\\ \\n \\u0001\"}}");
}

/* The id of an over-long line from its first bytes (not NUL-terminated:
 * each head is copied to a buffer of exactly its size). */
static cJSON* sniff(const char* text) {
  size_t n = strlen(text);
  char* head = malloc(n + 1);
  memcpy(head, text, n);
  cJSON* id = jrpc_sniff_id(head, n);
  free(head);
  return id;
}

static void test_sniff(void) {
  cJSON* id = sniff("{\"jsonrpc\":\"2.0\",\"id\": 42,\"params\":{\"a");
  CHECK(cJSON_IsNumber(id) && id->valuedouble == 42);
  cJSON_Delete(id);
  id = sniff("{\"id\":\"q-9\",\"method\":\"x\",\"params\":{\"a");
  CHECK(cJSON_IsString(id) && strcmp(id->valuestring, "q-9") == 0);
  cJSON_Delete(id);
  id = sniff("{\"id\":-9007199254740991,");
  CHECK(cJSON_IsNumber(id) && id->valuedouble == -9007199254740991.0);
  cJSON_Delete(id);
  /* Digits up to the end of the head may go on (tests/fuzz found that
   * strtoll read past it); no digits, a fraction, or more than an id can
   * hold give no id. */
  CHECK(sniff("{\"jsonrpc\":\"2.0\",\"id\":12345") == NULL);
  CHECK(sniff("{\"id\":-x,") == NULL);
  CHECK(sniff("{\"id\":1.5,") == NULL);
  CHECK(sniff("{\"id\":9007199254740993,") == NULL);
  CHECK(sniff("{\"id\":99999999999999999999999,") == NULL);
  CHECK(sniff("{\"id\":\"abc") == NULL);
}

/* jrpc_scan_response takes exactly the responses jrpc_parse accepts in
 * the plain form, and leaves every other line to it. */
static bool scan(const char* s, struct jrpc_text_response* t) {
  bool ok = jrpc_scan_response(s, strlen(s), t);
  struct jrpc_msg m;
  jrpc_parse(s, strlen(s), &m);
  if (ok) { /* whatever it takes, jrpc_parse takes as the same response */
    CHECK(m.kind == JRPC_RESPONSE);
    CHECK_INT(jrpc_int_id(m.id), t->id);
    CHECK(m.is_error == (t->error != NULL));
  }
  jrpc_msg_free(&m);
  return ok;
}

static void test_scan_response(void) {
  struct jrpc_text_response t;
  const char* s = "  {\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"a\":[1]}} ";
  CHECK(scan(s, &t));
  CHECK_INT(t.id, 42);
  CHECK(t.error == NULL);
  CHECK_INT(t.off, 2);
  CHECK_INT(t.len, strlen(s) - 3);
  CHECK(t.id_len == 2 && memcmp(s + t.id_off, "42", 2) == 0);

  /* Any order, spaces, escaped keys and value, an error with data. */
  s = "{\"error\" : {\"code\":-32001,\"message\":\"no\",\"data\":{}},"
      "\"\\u0069d\": 0 ,\"jsonrpc\":\"2\\u002e0\"}";
  CHECK(scan(s, &t));
  CHECK_INT(t.id, 0);
  CHECK(t.error != NULL);
  CHECK_STR(cJSON_GetObjectItemCaseSensitive(t.error, "message")->valuestring,
            "no");
  cJSON_Delete(t.error);
  CHECK(
      scan("{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,"
           "\"result\":{}}",
           &t));
  CHECK(
      !scan("{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,"
            "\"result\":{}}",
            &t));

  /* Left to jrpc_parse: valid in other forms, or not valid at all. */
  const char* no[] = {
      "{\"jsonrpc\":\"2.0\",\"id\":1.0,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1e0,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":-1,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"x\":1}",
      "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}",
      "{\"jsonrpc\":2.0,\"id\":1,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
      "\"message\":\"m\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":4294967296,"
      "\"message\":\"m\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\r\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"a\tb\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":01,\"result\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}} x",
      "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]",
  };
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    bool taken = scan(no[i], &t);
    if (taken) {
      fprintf(stderr, "taken: %s\n", no[i]);
      cJSON_Delete(t.error);
    }
    CHECK(!taken);
  }
}

/* jrpc_parse_strict refuses what only cJSON takes, with jscan's reason;
 * jrpc_parse keeps taking it (a server's line is repaired, not dropped).
 * jrpc_from_tree classifies a tree as it is, numbers exact. */
static void test_strict_and_tree(void) {
  static const struct {
    const char* text;
    const char* why;
  } lenient[] = {
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"n\":01}}",
       "number with a leading zero"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\tb\"}",
       "control character in a string"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"n\":1.}}",
       "number without digits after its point"},
  };
  for (size_t i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
    struct jrpc_msg m;
    jrpc_parse_strict(lenient[i].text, strlen(lenient[i].text), &m);
    CHECK_INT(m.kind, JRPC_INVALID);
    CHECK_INT(m.error_code, JRPC_PARSE_ERROR);
    CHECK_STR(m.error_msg, lenient[i].why);
    CHECK(m.root == NULL && m.id == NULL);
    jrpc_msg_free(&m);
    jrpc_parse(lenient[i].text, strlen(lenient[i].text), &m);
    CHECK_INT(m.kind, JRPC_REQUEST);
    jrpc_msg_free(&m);
  }
  struct jrpc_msg m;
  const char* ok = "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"ping\"}";
  jrpc_parse_strict(ok, strlen(ok), &m);
  CHECK_INT(m.kind, JRPC_REQUEST);
  jrpc_msg_free(&m);

  cJSON* tree = cJSON_Parse(
      "{\"jsonrpc\":\"2.0\",\"id\":9007199254740989,\"method\":\"ping\"}");
  jrpc_from_tree(tree, &m);
  CHECK_INT(m.kind, JRPC_REQUEST);
  CHECK_INT(jrpc_int_id(m.id), 9007199254740989LL);
  size_t len;
  char* text = jrpc_serialize(m.root, &len);
  CHECK(strstr(text, "\"id\":9007199254740989") != NULL);
  free(text);
  jrpc_msg_free(&m);
}

int main(void) {
  test_valid();
  test_parse_errors();
  test_invalid_requests();
  test_ids();
  test_builders();
  test_set_id();
  test_numbers();
  test_bytes_preserved();
  test_sniff();
  test_scan_response();
  test_strict_and_tree();
  return check_done();
}
