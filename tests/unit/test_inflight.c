/* test_inflight.c - the in-flight request table of a backend (inflight.h):
 * add, find and take by wire id, find by client id, fail-all order
 * (oldest first), progress tokens of requests and of tasks (PROG-1). */
#include <stdlib.h>

#include "check.h"
#include "core/backend/inflight.h"

static struct inflight_req* fwd(int64_t id, cJSON* client_id, cJSON* token) {
  struct inflight_req* r = inflight_req_new(id, INFLIGHT_FORWARD, "tools/call");
  r->client_id = client_id;
  r->token = token;
  return r;
}

static void test_add_find_take(void) {
  struct inflight t;
  inflight_init(&t, 4);
  CHECK(inflight_find(&t, 0) == NULL);
  CHECK(inflight_take(&t, 0) == NULL);
  struct inflight_req* a = fwd(0, cJSON_CreateNumber(7), NULL);
  struct inflight_req* b = inflight_req_new(1, INFLIGHT_INIT, "initialize");
  inflight_add(&t, a);
  inflight_add(&t, b);
  CHECK_INT(t.n, 2);
  CHECK(inflight_find(&t, 0) == a);
  CHECK(inflight_find(&t, 1) == b);
  CHECK(inflight_find(&t, 2) == NULL);
  CHECK(inflight_find(&t, -1) == NULL);
  CHECK_STR(inflight_find(&t, 1)->method, "initialize");
  CHECK(inflight_take(&t, 0) == a);
  CHECK(inflight_take(&t, 0) == NULL); /* taken once */
  CHECK(inflight_find(&t, 0) == NULL);
  CHECK(inflight_find(&t, 1) == b);
  CHECK_INT(t.n, 1);
  inflight_req_free(a);
  inflight_free(&t); /* frees b */
}

static void test_many_ids(void) {
  /* More than the old 64 buckets, taken in a scattered order. */
  struct inflight t;
  inflight_init(&t, 4);
  for (int64_t i = 0; i < 1000; i++)
    inflight_add(&t, inflight_req_new(i * 64, INFLIGHT_LIST, "tools/list"));
  CHECK_INT(t.n, 1000);
  int found = 0;
  for (int64_t i = 0; i < 1000; i += 3) {
    struct inflight_req* r = inflight_take(&t, i * 64);
    found += r != NULL && r->id == i * 64;
    inflight_req_free(r);
  }
  CHECK_INT(found, 334);
  CHECK_INT(t.n, 666);
  CHECK(inflight_find(&t, 64) != NULL);
  CHECK(inflight_find(&t, 65) == NULL);
  inflight_free(&t);
}

static void test_fail_all_oldest_first(void) {
  struct inflight t;
  inflight_init(&t, 4);
  /* Ids that hash anywhere, added in this order. */
  int64_t ids[] = {40, 3, 1000, 7, 64, 0, 128};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
    inflight_add(&t, fwd(ids[i], cJSON_CreateNumber((double)i), NULL));
  /* One from the middle answered meanwhile. */
  inflight_req_free(inflight_take(&t, 1000));
  int64_t want[] = {40, 3, 7, 64, 0, 128};
  size_t k = 0;
  struct inflight_req* r;
  while ((r = inflight_take_oldest(&t)) != NULL) {
    CHECK(k < sizeof(want) / sizeof(want[0]));
    if (k < sizeof(want) / sizeof(want[0]))
      CHECK_INT(r->id, want[k]);
    k++;
    inflight_req_free(r);
  }
  CHECK_INT(k, 6);
  CHECK_INT(t.n, 0);
  CHECK(inflight_find(&t, 40) == NULL);
  /* Still usable after being emptied. */
  inflight_add(&t, fwd(5, cJSON_CreateNumber(1), NULL));
  CHECK(inflight_find(&t, 5) != NULL);
  inflight_free(&t);
}

static void test_find_client(void) {
  struct inflight t;
  inflight_init(&t, 4);
  inflight_add(&t, fwd(0, cJSON_CreateString("1"), NULL));
  inflight_add(&t, fwd(1, cJSON_CreateNumber(1), NULL));
  inflight_add(&t, inflight_req_new(2, INFLIGHT_REPLAY, "logging/setLevel"));
  cJSON* one = cJSON_CreateNumber(1);
  cJSON* sone = cJSON_CreateString("1");
  cJSON* two = cJSON_CreateNumber(2);
  struct inflight_req* r = inflight_find_client(&t, one);
  CHECK(r != NULL && r->id == 1); /* type and value: 1 is not "1" */
  r = inflight_find_client(&t, sone);
  CHECK(r != NULL && r->id == 0);
  CHECK(inflight_find_client(&t, two) == NULL);
  cJSON_Delete(one);
  cJSON_Delete(sone);
  cJSON_Delete(two);
  inflight_free(&t);
}

static void test_tokens(void) {
  struct inflight t;
  inflight_init(&t, 3);
  cJSON* tok = cJSON_CreateString("p1");
  cJSON* num = cJSON_CreateNumber(9);
  cJSON* other = cJSON_CreateString("p2");
  CHECK(!inflight_token_known(&t, tok));
  inflight_add(&t, fwd(0, cJSON_CreateNumber(1), cJSON_Duplicate(tok, 1)));
  CHECK(inflight_token_known(&t, tok));
  CHECK(!inflight_token_known(&t, other));
  CHECK(!inflight_token_known(&t, num));
  CHECK(!inflight_token_known(&t, NULL));
  /* Answered: its token goes with it. */
  inflight_req_free(inflight_take(&t, 0));
  CHECK(!inflight_token_known(&t, tok));
  /* A task's token outlives its response. */
  inflight_note_task(&t, num);
  CHECK(inflight_token_known(&t, num));
  cJSON* not_a_token = cJSON_CreateObject();
  inflight_note_task(&t, not_a_token);
  CHECK_INT(t.ntasks, 1);
  CHECK(!inflight_token_known(&t, not_a_token));
  cJSON_Delete(not_a_token);
  inflight_clear_tasks(&t);
  CHECK(!inflight_token_known(&t, num));
  cJSON_Delete(tok);
  cJSON_Delete(num);
  cJSON_Delete(other);
  inflight_free(&t);
}

static void test_task_tokens_bounded(void) {
  struct inflight t;
  inflight_init(&t, 3);
  for (int i = 0; i < 5; i++) {
    cJSON* k = cJSON_CreateNumber(i);
    inflight_note_task(&t, k);
    cJSON_Delete(k);
  }
  CHECK_INT(t.ntasks, 3);
  /* The newest three are kept: 2, 3, 4. */
  for (int i = 0; i < 5; i++) {
    cJSON* k = cJSON_CreateNumber(i);
    CHECK(inflight_token_known(&t, k) == (i >= 2));
    cJSON_Delete(k);
  }
  inflight_free(&t); /* frees the tokens */
}

int main(void) {
  test_add_find_take();
  test_many_ids();
  test_fail_all_oldest_first();
  test_find_client();
  test_tokens();
  test_task_tokens_bounded();
  return check_done();
}
