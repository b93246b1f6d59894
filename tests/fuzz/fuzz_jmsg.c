/* fuzz_jmsg.c - the text-splicing relay (issue 12 item 3): any valid JSON
 * text in, the same text out except the spans rewritten.
 *
 * For every input jmsg_parse takes:
 * - the message's text is the input without the whitespace around it
 *   (CR and LF between tokens become spaces, STDIO-1);
 * - classification agrees with jsonrpc.c's on texts cJSON can read;
 * - replacing the id, params.name (as mcpmon does: ID-1, NAME-3) and
 *   inserting params.logger (LOG-2) change exactly those bytes: what
 *   is before and after each edit is the original, byte for byte, and
 *   the result is still valid JSON whose spans read back what was put;
 * - every span jmsg_get returns is one valid JSON value, and a string
 *   read by jtext_string equals cJSON's reading of it when cJSON can;
 * - batch elements are valid values that tile the array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "proto/jmsg.h"

static bool valid_value(const char* t, struct jspan v) {
  struct jscan s;
  return v.len > 0 && jscan_scan(t + v.off, v.len, &s) && s.off == 0 &&
         s.len == v.len;
}

static void check_string(const struct jmsg* m, struct jspan v) {
  if (jtext_type(m->text, v) != JSCAN_STRING)
    return;
  size_t n;
  char* s = jtext_string(m->text, v, &n);
  FUZZ_CHECK(s != NULL && n < v.len);
  cJSON* tree = jtext_tree(m->text, v);
  if (cJSON_IsString(tree) && memchr(s, '\0', n) == NULL &&
      strchr(tree->valuestring, 0xEF) == NULL) /* no U+FFFD repair */
    FUZZ_CHECK(strcmp(tree->valuestring, s) == 0);
  cJSON_Delete(tree);
  FUZZ_CHECK(jtext_str_eq(m->text, v, s) || memchr(s, '\0', n) != NULL);
  free(s);
}

/* Replace at with `with`, checking that only those bytes changed. */
static void edit(struct jmsg* m, struct jspan at, const char* with) {
  size_t n = strlen(with);
  char* before = malloc(m->len + 1);
  memcpy(before, m->text, m->len + 1);
  size_t len = m->len;
  jmsg_replace(m, at, with, n);
  FUZZ_CHECK(m->len == len - at.len + n);
  FUZZ_CHECK(memcmp(m->text, before, at.off) == 0);
  FUZZ_CHECK(memcmp(m->text + at.off, with, n) == 0);
  FUZZ_CHECK(memcmp(m->text + at.off + n, before + at.off + at.len,
                    len - at.off - at.len + 1) == 0);
  struct jscan s;
  FUZZ_CHECK(jscan_scan(m->text, m->len, &s));
  free(before);
}

static void check_message(struct jmsg* m) {
  if (m->id.len != 0)
    FUZZ_CHECK(valid_value(m->text, m->id));
  if (m->params.len != 0)
    FUZZ_CHECK(valid_value(m->text, m->params));
  struct jspan name = jmsg_get(m, "params", "name", NULL);
  if (name.len != 0) {
    FUZZ_CHECK(valid_value(m->text, name));
    check_string(m, name);
  }
  struct jspan tok = jmsg_get(m, "params", "_meta", "progressToken", NULL);
  if (tok.len != 0)
    FUZZ_CHECK(valid_value(m->text, tok));
  if (m->kind != JRPC_REQUEST && m->kind != JRPC_NOTIFICATION)
    return;
  if (m->id.len != 0) {
    edit(m, m->id, "123456789");
    FUZZ_CHECK(jmsg_int_id(m) == 123456789);
  }
  name = jmsg_get(m, "params", "name", NULL);
  if (jtext_type(m->text, name) == JSCAN_STRING) {
    edit(m, name, "\"a\\\"b\"");
    FUZZ_CHECK(
        jtext_str_eq(m->text, jmsg_get(m, "params", "name", NULL), "a\"b"));
  }
  if (jtext_type(m->text, m->params) == JSCAN_OBJECT &&
      jmsg_get(m, "params", "logger", NULL).len == 0) {
    jmsg_insert_member(m, m->params, "logger", "\"srv\"");
    struct jscan s;
    FUZZ_CHECK(jscan_scan(m->text, m->len, &s));
    FUZZ_CHECK(
        jtext_str_eq(m->text, jmsg_get(m, "params", "logger", NULL), "srv"));
  }
  /* The edits kept the message what it was. */
  struct jmsg* again = jmsg_parse(m->text, m->len);
  FUZZ_CHECK(again->kind == m->kind);
  FUZZ_CHECK(again->id.off == m->id.off && again->id.len == m->id.len);
  FUZZ_CHECK(again->params.off == m->params.off &&
             again->params.len == m->params.len);
  jmsg_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* in = (const char*)data;
  struct jmsg* m = jmsg_parse(in, size);
  struct jscan s;
  bool valid = size > 0 && jscan_scan(in, size, &s);
  FUZZ_CHECK(valid ==
             !(m->kind == JRPC_INVALID && m->error_code == JRPC_PARSE_ERROR));
  if (!valid) {
    jmsg_free(m);
    return 0;
  }
  /* The value, as it came, apart from CR and LF between tokens. */
  FUZZ_CHECK(m->len == s.len);
  for (size_t i = 0; i < s.len; i++) {
    char c = in[s.off + i];
    FUZZ_CHECK(m->text[i] == c ||
               ((c == '\r' || c == '\n') && m->text[i] == ' '));
  }
  /* The same verdict as the cJSON path wherever cJSON can read it. */
  if (!s.lone_surrogate && s.max_depth <= 1000) {
    struct jrpc_msg j;
    jrpc_parse(in, size, &j);
    /* Where they differ on purpose: cJSON ends a string (a key, the
     * method) at "\u0000". */
    bool nul_method = memmem(in, size, "\\u0000", 6) != NULL;
    FUZZ_CHECK(nul_method || j.kind == m->kind);
    if (!nul_method && j.kind == JRPC_INVALID)
      FUZZ_CHECK(strcmp(j.error_msg, m->error_msg) == 0);
    jrpc_msg_free(&j);
  }
  if (m->kind == JRPC_BATCH) {
    size_t pos = 0;
    struct jspan el;
    size_t last = 0;
    while (jmsg_batch_next(m, &pos, &el)) {
      FUZZ_CHECK(el.off > last && valid_value(m->text, el));
      last = el.off + el.len;
    }
  }
  check_message(m);
  jmsg_free(m);
  return 0;
}
