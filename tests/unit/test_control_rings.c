/* test_control_rings.c - the control socket's rings of recent log lines
 * and traffic (src/core/control/control_rings.h): order and wrap-around
 * (newest kept), copies owned by the ring, every string cut to its bound
 * at a UTF-8 boundary, lookup by seq, and the fair share of a byte budget
 * that fits a snapshot under the line limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/control/control_events.h"
#include "core/control/control_rings.h"
#include "lib/util.h"

static char* repeat(const char* unit, size_t times) {
  size_t n = strlen(unit);
  char* s = xmalloc(n * times + 1);
  for (size_t i = 0; i < times; i++) memcpy(s + i * n, unit, n);
  s[n * times] = '\0';
  return s;
}

static void test_empty(void) {
  struct ctl_rings r;
  ctl_rings_init(&r);
  CHECK_INT(ctl_rings_log_count(&r), 0);
  CHECK_INT(ctl_rings_traffic_count(&r), 0);
  CHECK(ctl_rings_log_at(&r, 0) == NULL);
  CHECK(ctl_rings_traffic_at(&r, 0) == NULL);
  CHECK(ctl_rings_traffic_find(&r, 1) == NULL);
  ctl_rings_free(&r);
}

static void test_log_order_and_wrap(void) {
  struct ctl_rings r;
  ctl_rings_init(&r);
  char text[32];
  const struct ctl_log_entry* l = NULL;
  for (int i = 0; i < 3; i++) {
    snprintf(text, sizeof(text), "line %d", i);
    l = ctl_rings_push_log(&r, 100 + (uint64_t)i, LL_INFO, i == 1, text);
  }
  /* The entry returned is the stored one, a copy. */
  text[0] = 'X';
  CHECK_STR(l->text, "line 2");
  CHECK_INT(ctl_rings_log_count(&r), 3);
  CHECK_STR(ctl_rings_log_at(&r, 0)->text, "line 0");
  CHECK_INT(ctl_rings_log_at(&r, 0)->t, 100);
  CHECK(ctl_rings_log_at(&r, 0)->source == CTL_LOG_MCPMON);
  CHECK(ctl_rings_log_at(&r, 1)->source == CTL_LOG_STDERR);
  CHECK_STR(ctl_rings_log_at(&r, 2)->text, "line 2");
  CHECK(ctl_rings_log_at(&r, 3) == NULL);

  /* Past the ring's size the oldest go; what stays is the newest, in
   * order. */
  int total = CONTROL_LOG_RING + 7;
  for (int i = 3; i < total; i++) {
    snprintf(text, sizeof(text), "line %d", i);
    ctl_rings_push_log(&r, 100 + (uint64_t)i, LL_WARN, false, text);
  }
  CHECK_INT(ctl_rings_log_count(&r), CONTROL_LOG_RING);
  bool ordered = true;
  for (size_t i = 0; i < CONTROL_LOG_RING; i++) {
    snprintf(text, sizeof(text), "line %d", (int)i + 7);
    const struct ctl_log_entry* e = ctl_rings_log_at(&r, i);
    if (e == NULL || strcmp(e->text, text) != 0 || e->t != 107 + i)
      ordered = false;
  }
  CHECK(ordered);
  CHECK(ctl_rings_log_at(&r, CONTROL_LOG_RING) == NULL);

  /* Freed, the ring is empty and usable again. */
  ctl_rings_free(&r);
  CHECK_INT(ctl_rings_log_count(&r), 0);
  ctl_rings_push_log(&r, 1, LL_ERROR, true, "again");
  CHECK_STR(ctl_rings_log_at(&r, 0)->text, "again");
  ctl_rings_free(&r);
}

static void test_log_text_cut(void) {
  struct ctl_rings r;
  ctl_rings_init(&r);
  /* ASCII: cut at the limit exactly. */
  char* a = repeat("a", CONTROL_LOG_TEXT_MAX + 100);
  CHECK_INT(strlen(ctl_rings_push_log(&r, 1, LL_INFO, true, a)->text),
            CONTROL_LOG_TEXT_MAX);
  /* "x" then 2-byte characters: the limit falls inside one, which is
   * left out whole. */
  char* e = repeat("\xc3\xa9", CONTROL_LOG_TEXT_MAX);
  char* xe = xasprintf("x%s", e);
  const char* t = ctl_rings_push_log(&r, 2, LL_INFO, true, xe)->text;
  CHECK_INT(strlen(t), CONTROL_LOG_TEXT_MAX - 1);
  CHECK(memcmp(t + 1, e, CONTROL_LOG_TEXT_MAX - 2) == 0);
  /* A short line is kept as it is. */
  CHECK_STR(ctl_rings_push_log(&r, 3, LL_INFO, true, "short")->text, "short");
  free(a);
  free(e);
  free(xe);
  ctl_rings_free(&r);
}

static void test_cut_utf8(void) {
  CHECK_INT(ctl_rings_cut_utf8("abc", 3, 3), 3);
  CHECK_INT(ctl_rings_cut_utf8("abc", 3, 10), 3);
  CHECK_INT(ctl_rings_cut_utf8("abcdef", 6, 4), 4);
  /* "a" + U+00E9 (2 bytes): max 2 would split it. */
  CHECK_INT(ctl_rings_cut_utf8("a\xc3\xa9", 3, 2), 1);
  /* U+20AC (3 bytes) after "ab": max 3 and 4 split it, 5 keeps it. */
  CHECK_INT(ctl_rings_cut_utf8("ab\xe2\x82\xac", 5, 3), 2);
  CHECK_INT(ctl_rings_cut_utf8("ab\xe2\x82\xac!", 6, 4), 2);
  CHECK_INT(ctl_rings_cut_utf8("ab\xe2\x82\xac!", 6, 5), 5);
  /* U+1F600 (4 bytes). */
  CHECK_INT(ctl_rings_cut_utf8("a\xf0\x9f\x98\x80", 5, 4), 1);
  /* A run of continuation bytes longer than any character is not UTF-8:
   * cut where the limit says. */
  CHECK_INT(ctl_rings_cut_utf8("a\x80\x80\x80\x80\x80\x80", 7, 6), 6);
}

static struct ctl_traffic_entry traffic(uint64_t seq, const char* method) {
  struct ctl_traffic_entry in;
  memset(&in, 0, sizeof(in));
  in.seq = seq;
  in.t = 1000 + seq;
  in.method = (char*)method;
  in.ms = 1.5;
  in.ok = true;
  return in;
}

static void test_traffic(void) {
  struct ctl_rings r;
  ctl_rings_init(&r);
  /* Without bodies and tool: those stay NULL. */
  struct ctl_traffic_entry in = traffic(1, "tools/list");
  const struct ctl_traffic_entry* e = ctl_rings_push_traffic(&r, &in, 0);
  CHECK_STR(e->method, "tools/list");
  CHECK(e->tool == NULL && e->error == NULL);
  CHECK(e->request == NULL && e->response == NULL);
  CHECK_INT(e->seq, 1);
  CHECK_INT(e->t, 1001);
  CHECK(e->ok && e->ms == 1.5);

  /* With everything: copies, the response taken by length (not
   * NUL-terminated). */
  char method[] = "tools/call";
  char tool[] = "echo";
  char error[] = "boom";
  char request[] = "{\"id\":1}";
  char response[] = "{\"id\":1,\"result\":{}}TRAILING";
  in = traffic(2, method);
  in.tool = tool;
  in.ok = false;
  in.error = error;
  in.request = request;
  in.response = response;
  e = ctl_rings_push_traffic(&r, &in, strlen("{\"id\":1,\"result\":{}}"));
  method[0] = tool[0] = error[0] = request[0] = 'X';
  CHECK_STR(e->method, "tools/call");
  CHECK_STR(e->tool, "echo");
  CHECK_STR(e->error, "boom");
  CHECK_STR(e->request, "{\"id\":1}");
  CHECK_STR(e->response, "{\"id\":1,\"result\":{}}");
  CHECK(!e->ok);
  CHECK(ctl_rings_traffic_find(&r, 2) == e);
  CHECK(ctl_rings_traffic_find(&r, 1) == ctl_rings_traffic_at(&r, 0));
  CHECK(ctl_rings_traffic_find(&r, 3) == NULL);

  /* Long strings are cut: texts to CONTROL_TRAFFIC_TEXT_MAX, bodies to
   * CONTROL_TRAFFIC_BODY_MAX. */
  char* big = repeat("m", CONTROL_TRAFFIC_BODY_MAX * 2);
  in = traffic(3, big);
  in.tool = big;
  in.error = big;
  in.request = big;
  in.response = big;
  e = ctl_rings_push_traffic(&r, &in, strlen(big));
  CHECK_INT(strlen(e->method), CONTROL_TRAFFIC_TEXT_MAX);
  CHECK_INT(strlen(e->tool), CONTROL_TRAFFIC_TEXT_MAX);
  CHECK_INT(strlen(e->error), CONTROL_TRAFFIC_TEXT_MAX);
  CHECK_INT(strlen(e->request), CONTROL_TRAFFIC_BODY_MAX);
  CHECK_INT(strlen(e->response), CONTROL_TRAFFIC_BODY_MAX);
  free(big);

  /* Wrap-around: the newest CONTROL_TRAFFIC_RING stay, in order, and the
   * ones that left cannot be found. */
  for (uint64_t s = 4; s <= CONTROL_TRAFFIC_RING + 10; s++) {
    in = traffic(s, "ping");
    ctl_rings_push_traffic(&r, &in, 0);
  }
  CHECK_INT(ctl_rings_traffic_count(&r), CONTROL_TRAFFIC_RING);
  CHECK_INT(ctl_rings_traffic_at(&r, 0)->seq, 11);
  CHECK_INT(ctl_rings_traffic_at(&r, CONTROL_TRAFFIC_RING - 1)->seq,
            CONTROL_TRAFFIC_RING + 10);
  CHECK(ctl_rings_traffic_at(&r, CONTROL_TRAFFIC_RING) == NULL);
  CHECK(ctl_rings_traffic_find(&r, 10) == NULL);
  CHECK(ctl_rings_traffic_find(&r, 11) != NULL);
  bool ordered = true;
  for (size_t i = 1; i < CONTROL_TRAFFIC_RING; i++)
    if (ctl_rings_traffic_at(&r, i)->seq !=
        ctl_rings_traffic_at(&r, i - 1)->seq + 1)
      ordered = false;
  CHECK(ordered);
  ctl_rings_free(&r);
  CHECK_INT(ctl_rings_traffic_count(&r), 0);
}

/* Issue 15: an entry begins running and is answered later in place; a
 * second answer, or one for an entry that left, changes nothing. */
static void test_traffic_running(void) {
  struct ctl_rings r;
  ctl_rings_init(&r);
  struct ctl_traffic_entry in = traffic(7, "tools/call");
  in.running = true;
  in.from_server = false;
  in.ms = 0;
  in.request = "{\"id\":3}";
  const struct ctl_traffic_entry* e = ctl_rings_push_traffic(&r, &in, 0);
  CHECK(e->running && e->response == NULL && e->error == NULL);
  CHECK_STR(e->request, "{\"id\":3}");
  in = traffic(8, "sampling/createMessage");
  in.running = true;
  in.from_server = true;
  ctl_rings_push_traffic(&r, &in, 0);

  const char resp[] = "{\"id\":3,\"result\":{}}XX";
  const struct ctl_traffic_entry* f = ctl_rings_finish_traffic(
      &r, 7, 4000.5, false, "tool failed", resp, sizeof(resp) - 3);
  CHECK(f == e);
  CHECK(!f->running && !f->ok && f->ms == 4000.5);
  CHECK_STR(f->error, "tool failed");
  CHECK_STR(f->response, "{\"id\":3,\"result\":{}}");
  CHECK_STR(f->request, "{\"id\":3}"); /* kept from the begin */
  CHECK_INT(f->t, 1007);               /* the start, not the end */
  /* Answered already, and unknown: NULL, nothing changes. */
  CHECK(ctl_rings_finish_traffic(&r, 7, 1, true, NULL, NULL, 0) == NULL);
  CHECK(!e->ok && e->ms == 4000.5);
  CHECK(ctl_rings_finish_traffic(&r, 99, 1, true, NULL, NULL, 0) == NULL);
  /* The server's request is still running, and says which way it went. */
  const struct ctl_traffic_entry* s = ctl_rings_traffic_find(&r, 8);
  CHECK(s->running && s->from_server);
  /* A long error is cut like any text. */
  char* big = repeat("e", CONTROL_TRAFFIC_TEXT_MAX + 10);
  f = ctl_rings_finish_traffic(&r, 8, 2, false, big, NULL, 0);
  CHECK_INT(strlen(f->error), CONTROL_TRAFFIC_TEXT_MAX);
  CHECK(f->response == NULL);
  free(big);
  ctl_rings_free(&r);
}

static size_t sum(const size_t* v, size_t n) {
  size_t s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s;
}

static void test_share(void) {
  size_t grant[4];
  /* Enough for all: everyone gets what it needs. */
  size_t need1[3] = {10, 20, 30};
  ctl_rings_share(need1, 3, 100, grant);
  CHECK(grant[0] == 10 && grant[1] == 20 && grant[2] == 30);
  /* Equal needs over budget: equal parts. */
  size_t need2[3] = {100, 100, 100};
  ctl_rings_share(need2, 3, 90, grant);
  CHECK(grant[0] == 30 && grant[1] == 30 && grant[2] == 30);
  /* A small need is served whole; what it leaves goes to the others in
   * equal parts. */
  size_t need3[3] = {1000, 10, 1000};
  ctl_rings_share(need3, 3, 310, grant);
  CHECK(grant[1] == 10 && grant[0] == 150 && grant[2] == 150);
  /* Uneven: never more than the need nor the budget. */
  size_t need4[4] = {7, 500, 0, 60};
  ctl_rings_share(need4, 4, 101, grant);
  CHECK(grant[2] == 0 && grant[0] == 7);
  CHECK(grant[3] == 47 && grant[1] == 47);
  CHECK(sum(grant, 4) <= 101);
  for (size_t i = 0; i < 4; i++) CHECK(grant[i] <= need4[i]);
  /* No budget, and no wants. */
  ctl_rings_share(need1, 3, 0, grant);
  CHECK_INT(sum(grant, 3), 0);
  ctl_rings_share(NULL, 0, 100, grant);
}

/* Issue 15 defect 3: which lines are mcpmon's events, and their ring. */
static void test_events(void) {
  CHECK(ctl_events_wanted(false, NULL, LL_INFO, false));
  CHECK(ctl_events_wanted(false, "a", LL_WARN, false));
  CHECK(ctl_events_wanted(true, "server", LL_ERROR, false));
  CHECK(!ctl_events_wanted(false, "a", LL_INFO, false));
  CHECK(!ctl_events_wanted(true, NULL, LL_INFO, false));
  CHECK(!ctl_events_wanted(false, NULL, LL_VERBOSE, false));
  CHECK(!ctl_events_wanted(false, "a", LL_ERROR, true)); /* stderr */
  static struct ctl_events r;
  CHECK_INT(ctl_events_count(&r), 0);
  CHECK(ctl_events_at(&r, 0) == NULL);
  char big[CONTROL_LOG_TEXT_MAX + 10];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  ctl_events_push(&r, 1, LL_ERROR, NULL, big);
  CHECK_INT(strlen(ctl_events_at(&r, 0)->text), CONTROL_LOG_TEXT_MAX);
  CHECK(ctl_events_at(&r, 0)->backend == NULL);
  for (int i = 0; i < CONTROL_EVENTS_RING + 5; i++) {
    char t[32];
    snprintf(t, sizeof(t), "e%d", i);
    ctl_events_push(&r, (uint64_t)i, LL_WARN, "a", t);
  }
  CHECK_INT(ctl_events_count(&r), CONTROL_EVENTS_RING);
  CHECK_STR(ctl_events_at(&r, 0)->text, "e5");
  CHECK_STR(ctl_events_at(&r, 0)->backend, "a");
  char want[32];
  snprintf(want, sizeof(want), "e%d", CONTROL_EVENTS_RING + 4);
  CHECK_STR(ctl_events_at(&r, CONTROL_EVENTS_RING - 1)->text, want);
  ctl_events_free(&r);
  CHECK_INT(ctl_events_count(&r), 0);
}

int main(void) {
  test_events();
  test_empty();
  test_log_order_and_wrap();
  test_log_text_cut();
  test_cut_utf8();
  test_traffic();
  test_traffic_running();
  test_share();
  return check_done();
}
