/* fuzz_jsonrpc.c - src/proto/jsonrpc.c: classify a line, re-serialize what
 * it accepted and classify that again; sniff an id from a prefix, as for
 * an over-long line.
 *
 * Invariants: the class and its members are consistent (a request has a
 * method and a valid id, ...); serializing gives one line ending in '\n';
 * parsing it again keeps the class, id, method and error flag, and
 * serializing that gives the same bytes; a sniffed id is a valid id; id
 * formatting stays inside its buffer whatever its size.
 *
 * src/proto/jscan.c against cJSON, differentially: a text jscan accepts
 * with no lone surrogate escape and nested at most 1000 deep (cJSON's
 * CJSON_NESTING_LIMIT) is one cJSON parses with only whitespace after it
 * (jrpc_parse gives a root), of the same type; for an object the members
 * agree in number, order, keys and value types, and each value's span
 * parses alone. A line jrpc_scan_response takes (the text fast path)
 * within the same bounds is one jrpc_parse classifies as a response with
 * the same id and error flag, and it stays one with its id replaced. The
 * stream fed in pieces agrees with the scan of the whole text, flags
 * included, and bad_utf8 is !utf8_valid of the text.
 *
 * src/lib/utf8.c against a decoder written here: the verdicts agree, fed
 * whole or in pieces; utf8_repair gives text both find valid, within
 * UTF8_REPAIR_MAX, unchanged when it was valid, a fixed point, and for a
 * JSON text jscan accepts, one it accepts again with the same shape.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lib/framer.h"
#include "lib/utf8.h"
#include "proto/jscan.h"
#include "proto/jsonrpc.h"

#define FUZZ_MAX_INPUT (64u * 1024u)

static void check_msg(const struct jrpc_msg* m) {
  switch (m->kind) {
    case JRPC_REQUEST:
      FUZZ_CHECK(m->root != NULL && m->method != NULL);
      FUZZ_CHECK(m->id != NULL && jrpc_id_valid(m->id));
      FUZZ_CHECK(!m->is_error && m->error_msg == NULL);
      break;
    case JRPC_NOTIFICATION:
      FUZZ_CHECK(m->root != NULL && m->method != NULL && m->id == NULL);
      FUZZ_CHECK(!m->is_error && m->error_msg == NULL);
      break;
    case JRPC_RESPONSE:
      FUZZ_CHECK(m->root != NULL && m->method == NULL);
      FUZZ_CHECK(m->id != NULL ? jrpc_id_valid(m->id) : m->is_error);
      FUZZ_CHECK(m->error_msg == NULL);
      break;
    case JRPC_BATCH:
      FUZZ_CHECK(cJSON_IsArray(m->root));
      break;
    case JRPC_INVALID:
      FUZZ_CHECK(m->error_msg != NULL);
      FUZZ_CHECK(m->root != NULL ? m->error_code == JRPC_INVALID_REQUEST
                                 : m->error_code == JRPC_PARSE_ERROR);
      FUZZ_CHECK(m->id == NULL || jrpc_id_valid(m->id));
      break;
    default:
      FUZZ_CHECK(!"unknown kind");
  }
}

/* Formats id into buffers of every small size and one large one. */
static void check_id_format(const cJSON* id) {
  char big[512];
  for (size_t cap = 0; cap <= 12; cap++) {
    char* buf = malloc(cap ? cap : 1);
    FUZZ_CHECK(buf != NULL);
    jrpc_id_format(id, buf, cap);
    if (cap > 0)
      FUZZ_CHECK(memchr(buf, '\0', cap) != NULL);
    free(buf);
  }
  jrpc_id_format(id, big, sizeof(big));
  FUZZ_CHECK(memchr(big, '\0', sizeof(big)) != NULL);
  FUZZ_CHECK(strchr(big, '\n') == NULL);
}

static void round_trip(const struct jrpc_msg* m) {
  size_t len;
  char* s = jrpc_serialize(m->root, &len);
  FUZZ_CHECK(len >= 1 && s[len - 1] == '\n' && s[len] == '\0');
  FUZZ_CHECK(memchr(s, '\n', len - 1) == NULL);
  FUZZ_CHECK(strlen(s) == len);

  struct jrpc_msg m2;
  jrpc_parse(s, len, &m2);
  check_msg(&m2);
  FUZZ_CHECK(m2.kind == m->kind);
  FUZZ_CHECK(jrpc_id_equal(m->id, m2.id));
  FUZZ_CHECK(jrpc_id_equal(m2.id, m->id));
  FUZZ_CHECK(m->is_error == m2.is_error);
  FUZZ_CHECK((m->method == NULL) == (m2.method == NULL));
  if (m->method != NULL)
    FUZZ_CHECK(strcmp(m->method, m2.method) == 0);

  /* Serializing is a fixed point after one round. */
  size_t len2;
  char* s2 = jrpc_serialize(m2.root, &len2);
  FUZZ_CHECK(len2 == len && memcmp(s, s2, len) == 0);

  /* The id survives the builders too. */
  if (m->id != NULL) {
    check_id_format(m->id);
    cJSON* r = jrpc_make_result(m->id, NULL);
    struct jrpc_msg m3;
    size_t len3;
    char* s3 = jrpc_serialize(r, &len3);
    jrpc_parse(s3, len3, &m3);
    FUZZ_CHECK(m3.kind == JRPC_RESPONSE);
    FUZZ_CHECK(jrpc_id_equal(m->id, m3.id));
    jrpc_msg_free(&m3);
    free(s3);
    cJSON_Delete(r);
  }
  free(s2);
  jrpc_msg_free(&m2);
  free(s);
}

/* jrpc_sniff_id on the first n bytes, copied to a buffer of exactly that
 * size so that reading past it is caught. */
static void sniff(const uint8_t* data, size_t n) {
  char* head = malloc(n ? n : 1);
  FUZZ_CHECK(head != NULL);
  if (n > 0)
    memcpy(head, data, n);
  cJSON* id = jrpc_sniff_id(head, n);
  if (id != NULL) {
    FUZZ_CHECK(jrpc_id_valid(id));
    check_id_format(id);
    cJSON_Delete(id);
  }
  free(head);
}

static int jscan_type_of(const cJSON* c) {
  switch (c->type & 0xff) {
    case cJSON_False:
      return JSCAN_FALSE;
    case cJSON_True:
      return JSCAN_TRUE;
    case cJSON_NULL:
      return JSCAN_NULL;
    case cJSON_Number:
      return JSCAN_NUMBER;
    case cJSON_String:
      return JSCAN_STRING;
    case cJSON_Array:
      return JSCAN_ARRAY;
    case cJSON_Object:
      return JSCAN_OBJECT;
    default:
      return -1;
  }
}

/* cJSON cuts a key at an escaped NUL; such keys are not compared. */
static bool has_nul_escape(const char* s, size_t n) {
  for (size_t i = 0; i + 6 <= n; i++)
    if (memcmp(s + i, "\\u0000", 6) == 0)
      return true;
  return false;
}

/* The stream fed in pieces (cut where the text's own bytes say) reaches
 * the same verdict, spans and error as the scan of the whole. */
static void check_pieces(const char* text,
                         size_t size,
                         bool whole_ok,
                         const struct jscan* whole) {
  struct jscan_stream st;
  jscan_begin(&st);
  size_t at = 0;
  while (at < size) {
    size_t piece = 1 + ((unsigned char)text[at] * 7u) % 23u;
    if (piece > size - at)
      piece = size - at;
    jscan_feed(&st, text + at, piece);
    at += piece;
  }
  FUZZ_CHECK(st.pos == size);
  bool ok = jscan_end(&st);
  FUZZ_CHECK(ok == whole_ok);
  FUZZ_CHECK(st.out.type == whole->type && st.out.err == whole->err);
  FUZZ_CHECK(st.out.lone_surrogate == whole->lone_surrogate);
  FUZZ_CHECK(st.out.max_depth == whole->max_depth);
  FUZZ_CHECK(st.out.bad_utf8 == whole->bad_utf8);
  if (!ok) {
    FUZZ_CHECK(st.out.err_off == whole->err_off);
    return;
  }
  FUZZ_CHECK(st.out.off == whole->off && st.out.len == whole->len);
  FUZZ_CHECK(st.out.nmembers == whole->nmembers);
  FUZZ_CHECK(st.out.line_break == whole->line_break);
  size_t n =
      whole->nmembers < JSCAN_MAX_MEMBERS ? whole->nmembers : JSCAN_MAX_MEMBERS;
  for (size_t i = 0; i < n; i++) {
    const struct jscan_member* a = &st.out.members[i];
    const struct jscan_member* b = &whole->members[i];
    FUZZ_CHECK(a->key_off == b->key_off && a->key_len == b->key_len &&
               a->key_escaped == b->key_escaped && a->off == b->off &&
               a->len == b->len && a->type == b->type);
  }
}

static void check_jscan(const char* text,
                        size_t size,
                        const struct jrpc_msg* m) {
  struct jscan s;
  bool ok = jscan_scan(text, size, &s);
  check_pieces(text, size, ok, &s);
  FUZZ_CHECK(s.bad_utf8 == !utf8_valid(text, size));
  if (!ok) {
    FUZZ_CHECK(s.err != NULL && s.err_off <= size);
    return;
  }
  FUZZ_CHECK(s.max_depth <= JSCAN_MAX_DEPTH);
  if (s.lone_surrogate || s.max_depth > CJSON_NESTING_LIMIT)
    return;                    /* valid JSON that cJSON cannot decode */
  FUZZ_CHECK(m->root != NULL); /* else never more permissive than cJSON */
  FUZZ_CHECK((int)s.type == jscan_type_of(m->root));
  FUZZ_CHECK(s.off + s.len <= size);
  if (s.type != JSCAN_OBJECT)
    return;
  size_t count = 0;
  for (const cJSON* c = m->root->child; c != NULL; c = c->next, count++) {
    if (count >= JSCAN_MAX_MEMBERS)
      continue;
    const struct jscan_member* mb = &s.members[count];
    FUZZ_CHECK((int)mb->type == jscan_type_of(c));
    FUZZ_CHECK(mb->off + mb->len <= s.off + s.len);
    if (!has_nul_escape(text + mb->key_off, mb->key_len))
      FUZZ_CHECK(jscan_str_equals(text + mb->key_off, mb->key_len, c->string,
                                  strlen(c->string)));
    cJSON* v = cJSON_ParseWithLength(text + mb->off, mb->len);
    FUZZ_CHECK(v != NULL && jscan_type_of(v) == jscan_type_of(c));
    cJSON_Delete(v);
  }
  FUZZ_CHECK(count == s.nmembers);
}

static void check_text_response(const char* text,
                                size_t size,
                                const struct jrpc_msg* m) {
  struct jrpc_text_response t;
  if (!jrpc_scan_response(text, size, &t))
    return;
  struct jscan s;
  if (!jscan_scan(text, size, &s) || s.lone_surrogate ||
      s.max_depth > CJSON_NESTING_LIMIT) {
    cJSON_Delete(t.error); /* forwarded as it is; cJSON cannot read it */
    return;
  }
  FUZZ_CHECK(m->kind == JRPC_RESPONSE);
  FUZZ_CHECK(jrpc_int_id(m->id) == t.id);
  FUZZ_CHECK(m->is_error == (t.error != NULL));
  FUZZ_CHECK(t.off <= t.id_off && t.id_off + t.id_len <= t.off + t.len);
  FUZZ_CHECK(t.off + t.len <= size);
  /* With a string id in place of ours, as the client may have sent. */
  static const char id[] = "\"c\\u00e9\"";
  size_t head = t.id_off - t.off;
  size_t tail = t.off + t.len - (t.id_off + t.id_len);
  char* out = malloc(head + sizeof(id) - 1 + tail);
  FUZZ_CHECK(out != NULL);
  memcpy(out, text + t.off, head);
  memcpy(out + head, id, sizeof(id) - 1);
  memcpy(out + head + sizeof(id) - 1, text + t.id_off + t.id_len, tail);
  struct jrpc_msg m2;
  jrpc_parse(out, head + sizeof(id) - 1 + tail, &m2);
  FUZZ_CHECK(m2.kind == JRPC_RESPONSE && cJSON_IsString(m2.id));
  FUZZ_CHECK(strcmp(m2.id->valuestring, "c\xc3\xa9") == 0);
  FUZZ_CHECK(m2.is_error == m->is_error);
  jrpc_msg_free(&m2);
  free(out);
  cJSON_Delete(t.error);
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* The reference: decode each character to its code point, then check the
 * code point (not overlong for its length, no surrogate, at most
 * 10FFFF), apart from lib/utf8.c's table of lead bytes and ranges. */
static bool ref_utf8_valid(const unsigned char* s, size_t n) {
  static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    size_t len = b < 0x80       ? 1
                 : b >> 5 == 6  ? 2
                 : b >> 4 == 14 ? 3
                 : b >> 3 == 30 ? 4
                                : 0;
    if (len == 0 || n - i < len)
      return false;
    uint32_t cp = len == 1 ? b : b & (0x7Fu >> len);
    for (size_t k = 1; k < len; k++) {
      if (s[i + k] >> 6 != 2)
        return false;
      cp = cp << 6 | (s[i + k] & 0x3Fu);
    }
    if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

static void check_utf8(const char* text, size_t size, const struct jscan* s) {
  bool valid = ref_utf8_valid((const unsigned char*)text, size);
  FUZZ_CHECK(utf8_valid(text, size) == valid);
  /* In pieces cut where the text's own bytes say. */
  struct utf8_state st;
  utf8_begin(&st);
  for (size_t at = 0; at < size;) {
    size_t piece = 1 + ((unsigned char)text[at] * 13u) % 97u;
    if (piece > size - at)
      piece = size - at;
    utf8_feed(&st, text + at, piece);
    at += piece;
  }
  FUZZ_CHECK(utf8_end(&st) == valid);

  char* out = malloc(UTF8_REPAIR_MAX(size) + 1);
  FUZZ_CHECK(out != NULL);
  size_t n = utf8_repair(text, size, out);
  FUZZ_CHECK(n <= UTF8_REPAIR_MAX(size) && n >= size);
  FUZZ_CHECK(ref_utf8_valid((const unsigned char*)out, n));
  FUZZ_CHECK(utf8_valid(out, n));
  if (valid)
    FUZZ_CHECK(n == size && memcmp(out, text, size) == 0);
  char* again = malloc(UTF8_REPAIR_MAX(n) + 1);
  FUZZ_CHECK(again != NULL);
  FUZZ_CHECK(utf8_repair(out, n, again) == n && memcmp(again, out, n) == 0);
  free(again);
  /* The bytes mended are only in strings: the JSON keeps its shape. */
  if (s->err == NULL) {
    struct jscan r;
    FUZZ_CHECK(jscan_scan(out, n, &r));
    FUZZ_CHECK(!r.bad_utf8 && r.type == s->type && r.nmembers == s->nmembers &&
               r.max_depth == s->max_depth &&
               r.lone_surrogate == s->lone_surrogate);
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return 0;
  struct jrpc_msg m;
  jrpc_parse((const char*)data, size, &m);
  check_msg(&m);
  check_jscan((const char*)data, size, &m);
  struct jscan s;
  jscan_scan((const char*)data, size, &s);
  check_utf8((const char*)data, size, &s);
  check_text_response((const char*)data, size, &m);
  if (m.kind == JRPC_REQUEST || m.kind == JRPC_NOTIFICATION ||
      m.kind == JRPC_RESPONSE)
    round_trip(&m);
  else if (m.id != NULL)
    check_id_format(m.id);
  jrpc_msg_free(&m);

  sniff(data, size);
  sniff(data, size < FRAMER_HEAD_MAX ? size : FRAMER_HEAD_MAX);
  if (size > 0)
    sniff(data, data[size - 1] % (size + 1));
  return 0;
}
