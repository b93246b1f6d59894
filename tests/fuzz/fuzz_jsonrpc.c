/* fuzz_jsonrpc.c - src/core/jsonrpc.c: classify a line, re-serialize what
 * it accepted and classify that again; sniff an id from a prefix, as for
 * an over-long line.
 *
 * Invariants: the class and its members are consistent (a request has a
 * method and a valid id, ...); serializing gives one line ending in '\n';
 * parsing it again keeps the class, id, method and error flag, and
 * serializing that gives the same bytes; a sniffed id is a valid id; id
 * formatting stays inside its buffer whatever its size.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/framer.h"
#include "core/jsonrpc.h"
#include "fuzz_check.h"

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

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return 0;
  struct jrpc_msg m;
  jrpc_parse((const char*)data, size, &m);
  check_msg(&m);
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
