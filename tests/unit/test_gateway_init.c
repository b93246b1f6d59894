/* test_gateway_init.c - the gateway's initialize result made from its
 * backends' (issue 13): the oldest version, the union of capabilities,
 * instructions under headings, GW-2's superset with no backend ready. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/session/gateway_init.h"

static cJSON* J(const char* s) {
  cJSON* j = cJSON_Parse(s);
  CHECK(j != NULL);
  return j;
}

static void check_json(const cJSON* got, const char* want) {
  cJSON* w = J(want);
  char* g = cJSON_PrintUnformatted(got);
  char* ws = cJSON_PrintUnformatted(w);
  CHECK_STR(g, ws);
  free(g);
  free(ws);
  cJSON_Delete(w);
}

static void test_union_and_versions(void) {
  cJSON* a =
      J("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{},"
        "\"resources\":{\"subscribe\":false},\"tasks\":{\"list\":{}},"
        "\"experimental\":{\"x\":{}}},\"instructions\":\"use a\"}");
  cJSON* b =
      J("{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{\"prompts\":{},"
        "\"resources\":{\"subscribe\":true},\"experimental\":{\"y\":1}}}");
  cJSON* c =
      J("{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
        "\"instructions\":\"use c\"}");
  struct gw_init_part parts[] = {{"a", "a__", a},
                                 {"b", "b__", b},
                                 {"down", "down__", NULL},
                                 {"c", "c__", c}};
  struct gw_init_notes notes;
  cJSON* r = gw_compose_init(parts, 4, "2025-11-25", "9.9", &notes);
  CHECK(notes.ready == 3);
  CHECK_STR(notes.oldest, "2024-11-05");
  CHECK_STR(notes.newest, "2025-11-25");
  CHECK_STR(notes.forced_by, "b");
  check_json(r,
             "{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{"
             "\"tools\":{\"listChanged\":true},"
             "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
             "\"tasks\":{\"list\":{}},"
             "\"experimental\":{\"x\":{},\"y\":1},"
             "\"prompts\":{\"listChanged\":true}},"
             "\"serverInfo\":{\"name\":\"mcpmon\",\"version\":\"9.9\"},"
             "\"instructions\":\"## a (a__*)\\n\\nuse a\\n\\n## c (c__*)"
             "\\n\\nuse c\"}");
  cJSON_Delete(r);
  /* Agreeing backends: their version, nobody forced it. */
  struct gw_init_part one[] = {{"c", "c__", c}};
  r = gw_compose_init(one, 1, "2025-06-18", "9.9", &notes);
  CHECK(notes.forced_by == NULL);
  CHECK_STR(cJSON_GetObjectItem(r, "protocolVersion")->valuestring,
            "2025-06-18");
  check_json(cJSON_GetObjectItem(r, "capabilities"), "{}");
  cJSON_Delete(r);
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(c);
}

static void test_none_ready(void) {
  struct gw_init_part parts[] = {{"a", "a__", NULL}};
  struct gw_init_notes notes;
  cJSON* r = gw_compose_init(parts, 1, "2025-03-26", "1", &notes);
  CHECK(notes.ready == 0);
  check_json(r,
             "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{"
             "\"tools\":{\"listChanged\":true},"
             "\"prompts\":{\"listChanged\":true},"
             "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
             "\"logging\":{},\"completions\":{}},"
             "\"serverInfo\":{\"name\":\"mcpmon\",\"version\":\"1\"}}");
  cJSON_Delete(r);
  /* A version mcpmon does not know: its newest. */
  r = gw_compose_init(parts, 1, "1999-01-01", "1", NULL);
  CHECK_STR(cJSON_GetObjectItem(r, "protocolVersion")->valuestring,
            "2025-11-25");
  cJSON_Delete(r);
}

int main(void) {
  test_union_and_versions();
  test_none_ready();
  return check_done();
}
