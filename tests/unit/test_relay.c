/* Unit tests of relay.c: the session's table of server->client requests
 * (ID-2, CAN-2, CAN-3, PROG-2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/session/relay.h"
#include "proto/jmsg.h"
#include "proto/jsonrpc.h"

/* Two backends: only their addresses matter to the table. */
static int backend_a, backend_b;
#define BA ((struct backend*)&backend_a)
#define BB ((struct backend*)&backend_b)

static struct jmsg* request(const char* id_json, const char* token_json) {
  char text[256];
  if (token_json != NULL)
    snprintf(text, sizeof(text),
             "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"sampling/"
             "createMessage\",\"params\":{\"_meta\":{\"progressToken\":%s}}}",
             id_json, token_json);
  else
    snprintf(text, sizeof(text),
             "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"roots/list\"}",
             id_json);
  return jmsg_parse(text, strlen(text));
}

static void test_ids_never_repeat(void) {
  struct relay r;
  relay_init(&r);
  /* ID-2: two backends, and two processes of one, use the same id 0. */
  struct jmsg* m1 = request("0", NULL);
  struct jmsg* m2 = request("0", NULL);
  struct jmsg* m3 = request("0", NULL);
  int64_t a = relay_add(&r, BA, 1, m1);
  int64_t b = relay_add(&r, BB, 1, m2);
  int64_t c = relay_add(&r, BA, 2, m3);
  CHECK(a != b && b != c && a != c);
  CHECK_INT(jmsg_int_id(m1), a); /* the id in the text is the new one */
  CHECK_INT(jmsg_int_id(m3), c);
  CHECK_INT(r.count, 3);
  struct relay_entry* e = relay_take(&r, b);
  CHECK(e != NULL && e->b == BB && e->generation == 1);
  CHECK(cJSON_IsRaw(e->server_id) &&
        strcmp(e->server_id->valuestring, "0") == 0);
  relay_entry_free(e);
  CHECK(relay_take(&r, b) == NULL); /* answered once */
  CHECK(relay_take(&r, 999) == NULL);
  /* A new request after one was answered still gets a new id. */
  struct jmsg* m4 = request("0", NULL);
  int64_t d = relay_add(&r, BB, 1, m4);
  CHECK(d != a && d != b && d != c);
  relay_free(&r);
  CHECK_INT(r.count, 0);
  jmsg_free(m1);
  jmsg_free(m2);
  jmsg_free(m3);
  jmsg_free(m4);
}

static void test_server_id_kept_exactly(void) {
  struct relay r;
  relay_init(&r);
  struct jmsg* m = request("\"req-7\"", NULL);
  int64_t id = relay_add(&r, BA, 1, m);
  /* CAN-2: the server cancels by its own id; only its own entries. */
  cJSON* sid = cJSON_CreateString("req-7");
  CHECK(relay_take_server_id(&r, BB, sid) == NULL);
  struct relay_entry* e = relay_take_server_id(&r, BA, sid);
  CHECK(e != NULL && e->id == id);
  /* kept as the server wrote it */
  CHECK(e != NULL && cJSON_IsRaw(e->server_id) &&
        strcmp(e->server_id->valuestring, "\"req-7\"") == 0);
  relay_entry_free(e);
  CHECK(relay_take_server_id(&r, BA, sid) == NULL);
  CHECK(relay_take_server_id(&r, BA, NULL) == NULL);
  cJSON_Delete(sid);
  jmsg_free(m);
  relay_free(&r);
}

static void test_progress_tokens(void) {
  struct relay r;
  relay_init(&r);
  struct jmsg* m1 = request("1", "\"tok\"");
  struct jmsg* m2 = request("2", "42");
  struct jmsg* m3 = request("3", "{\"not\":\"a token\"}");
  relay_add(&r, BA, 1, m1);
  int64_t b = relay_add(&r, BB, 3, m2);
  relay_add(&r, BA, 1, m3);
  cJSON* t = cJSON_CreateString("tok");
  const struct relay_entry* e = relay_find_token(&r, t);
  CHECK(e != NULL && e->b == BA);
  cJSON_Delete(t);
  t = cJSON_CreateNumber(42);
  e = relay_find_token(&r, t);
  CHECK(e != NULL && e->b == BB && e->generation == 3 && e->id == b);
  /* The entry stays: progress is not an answer. */
  CHECK(relay_find_token(&r, t) == e);
  cJSON_Delete(t);
  t = cJSON_CreateString("42"); /* type matters */
  CHECK(relay_find_token(&r, t) == NULL);
  cJSON_Delete(t);
  CHECK(relay_find_token(&r, NULL) == NULL);
  jmsg_free(m1);
  jmsg_free(m2);
  jmsg_free(m3);
  relay_free(&r);
}

struct dropped {
  int64_t ids[8];
  int n;
};

static void collect(struct relay_entry* e, void* ctx) {
  struct dropped* d = ctx;
  d->ids[d->n++] = e->id;
  relay_entry_free(e);
}

static void test_drop_by_process(void) {
  struct relay r;
  relay_init(&r);
  struct jmsg* m[5];
  int64_t id[5];
  struct backend* owner[5] = {BA, BB, BA, BA, BB};
  uint64_t gen[5] = {1, 1, 2, 1, 1};
  for (int i = 0; i < 5; i++) {
    m[i] = request("5", NULL);
    id[i] = relay_add(&r, owner[i], gen[i], m[i]);
  }
  /* CAN-3: process 1 of BA is gone: its entries, oldest first. */
  struct dropped d = {{0}, 0};
  relay_drop(&r, BA, 1, collect, &d);
  CHECK_INT(d.n, 2);
  CHECK_INT(d.ids[0], id[0]);
  CHECK_INT(d.ids[1], id[3]);
  CHECK_INT(r.count, 3);
  /* BA itself goes (generation 0): whatever is left of it. */
  d.n = 0;
  relay_drop(&r, BA, 0, collect, &d);
  CHECK_INT(d.n, 1);
  CHECK_INT(d.ids[0], id[2]);
  /* BB's entries are untouched. */
  struct relay_entry* e = relay_take(&r, id[4]);
  CHECK(e != NULL && e->b == BB);
  relay_entry_free(e);
  CHECK_INT(r.count, 1);
  for (int i = 0; i < 5; i++) jmsg_free(m[i]);
  relay_free(&r);
}

int main(void) {
  test_ids_never_repeat();
  test_server_id_kept_exactly();
  test_progress_tokens();
  test_drop_by_process();
  return check_done();
}
