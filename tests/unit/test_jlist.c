/* test_jlist.c - a list result indexed as text: item spans, the name (or
 * uri) span of each object item, nextCursor, hostile texts refused, the
 * bound on items, and a differential check against cJSON over generated
 * lists (each item span parses to cJSON's item, each name span reads as
 * cJSON's name). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/jlist.h"

static bool idx(const char* s, struct jlist* l, const char** err) {
  return jlist_index(s, strlen(s), false, "tools", "name", 100000, l, err);
}

static bool span_is(const char* s, size_t off, size_t len, const char* want) {
  return len == strlen(want) && memcmp(s + off, want, len) == 0;
}

static void test_basic(void) {
  const char* s =
      " {\"tools\" : [ {\"name\":\"a\",\"x\":[1,{\"name\":\"no\"}]} ,"
      "{\"description\":\"d\", \"name\" : \"b\\\"c\"}, 7, \"s\", "
      "{\"name\":5}, {\"name\":\"first\",\"name\":\"second\"}],"
      "\"nextCursor\":\"c1\",\"_meta\":{}} ";
  struct jlist l = {0};
  const char* err = NULL;
  CHECK(idx(s, &l, &err));
  CHECK_INT(l.n, 6);
  CHECK(span_is(s, l.items[0].off, l.items[0].len,
                "{\"name\":\"a\",\"x\":[1,{\"name\":\"no\"}]}"));
  CHECK(l.items[0].has_name && !l.items[0].name_escaped);
  CHECK(span_is(s, l.items[0].name_off, l.items[0].name_len, "a"));
  CHECK(l.items[1].has_name && l.items[1].name_escaped);
  CHECK(span_is(s, l.items[1].name_off, l.items[1].name_len, "b\\\"c"));
  CHECK(span_is(s, l.items[2].off, l.items[2].len, "7"));
  CHECK(!l.items[2].has_name);
  CHECK(span_is(s, l.items[3].off, l.items[3].len, "\"s\""));
  CHECK(!l.items[3].has_name);
  CHECK(!l.items[4].has_name); /* a name that is not a string */
  CHECK(span_is(s, l.items[5].name_off, l.items[5].name_len, "first"));
  CHECK(l.has_cursor);
  CHECK(span_is(s, l.cursor_off, l.cursor_len, "c1"));
  CHECK(!l.truncated);
  jlist_free(&l);

  /* An escaped key counts as what it decodes to. */
  const char* e = "{\"t\\u006fols\":[{\"n\\u0061me\":\"z\"}]}";
  CHECK(idx(e, &l, &err));
  CHECK_INT(l.n, 1);
  CHECK(l.items[0].has_name);
  CHECK(span_is(e, l.items[0].name_off, l.items[0].name_len, "z"));
  CHECK(!l.has_cursor);
  jlist_free(&l);

  CHECK(idx("{\"tools\":[]}", &l, &err));
  CHECK_INT(l.n, 0);
  CHECK(idx("{\"tools\":[],\"nextCursor\":null}", &l, &err));
  CHECK(!l.has_cursor);
  jlist_free(&l);

  /* uri for resources */
  const char* r = "{\"resources\":[{\"name\":\"n\",\"uri\":\"file:///a\"}]}";
  CHECK(jlist_index(r, strlen(r), true, "resources", "uri", 10, &l, &err));
  CHECK(span_is(r, l.items[0].name_off, l.items[0].name_len, "file:///a"));
  jlist_free(&l);
}

static void test_hostile(void) {
  static const char* bad[] = {
      "",
      "[]",
      "{}",
      "{\"tools\":{}}",
      "{\"tools\":\"x\"}",
      "{\"tools\":[1,]}",
      "{\"tools\":[{\"name\":\"a\"}",
      "{\"tools\":[{\"name\":\"a\"}]} x",
      "{\"tools\":[{\"name\":\"a\001\"}]}",
      "{\"tools\":[01]}",
      "null",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct jlist l = {0};
    const char* err = NULL;
    CHECK(!idx(bad[i], &l, &err));
    CHECK(err != NULL);
    CHECK(l.n == 0 && l.items == NULL);
  }
  /* Cut short: every prefix of a valid text either fails or (the whole
   * text) succeeds; with valid=true claimed falsely, never a read past
   * the end (ASan) and no success for a cut object. */
  const char* s = "{\"tools\":[{\"name\":\"a\",\"d\":\"x\\\"y\"},[1,2],{}]}";
  size_t n = strlen(s);
  for (size_t k = 0; k < n; k++) {
    char* cut = malloc(k + 1);
    memcpy(cut, s, k);
    struct jlist l = {0};
    CHECK(!jlist_index(cut, k, false, "tools", "name", 100, &l, NULL));
    CHECK(!jlist_index(cut, k, true, "tools", "name", 100, &l, NULL));
    jlist_free(&l);
    free(cut);
  }
  /* Bounded. */
  struct jlist l = {0};
  CHECK(jlist_index(s, n, false, "tools", "name", 2, &l, NULL));
  CHECK_INT(l.n, 2);
  CHECK(l.truncated);
  jlist_free(&l);
}

/* Generated lists: each item span is cJSON's item printed alike. */
static void test_differential(void) {
  unsigned seed = 12345;
  for (int round = 0; round < 200; round++) {
    cJSON* res = cJSON_CreateObject();
    cJSON* arr = cJSON_AddArrayToObject(res, "tools");
    int n = round % 37;
    for (int i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      cJSON* t = cJSON_CreateObject();
      if (seed % 5 != 0)
        cJSON_AddNumberToObject(t, "x", (double)(seed % 1000));
      char name[64];
      snprintf(name, sizeof(name), "t%d\"\\\n%u", i, seed % 97);
      if (seed % 7 != 0)
        cJSON_AddStringToObject(t, "name", name);
      cJSON* sch = cJSON_AddObjectToObject(t, "inputSchema");
      cJSON_AddStringToObject(sch, "name", "inner");
      cJSON_AddItemToArray(arr, t);
    }
    if (round % 2)
      cJSON_AddStringToObject(res, "nextCursor", "next");
    char* text = round % 3 ? cJSON_Print(res) : cJSON_PrintUnformatted(res);
    struct jlist l = {0};
    CHECK(jlist_index(text, strlen(text), round % 4 == 0, "tools", "name", 1000,
                      &l, NULL));
    CHECK_INT(l.n, n);
    CHECK(l.has_cursor == (round % 2 == 1));
    for (size_t i = 0; i < l.n && (int)i < n; i++) {
      cJSON* mine =
          cJSON_ParseWithLength(text + l.items[i].off, l.items[i].len);
      cJSON* want = cJSON_GetArrayItem(arr, (int)i);
      CHECK(cJSON_Compare(mine, want, true));
      const cJSON* nm = cJSON_GetObjectItemCaseSensitive(want, "name");
      CHECK(l.items[i].has_name == cJSON_IsString(nm));
      if (l.items[i].has_name) {
        /* the span with its quotes parses to the name */
        cJSON* s = cJSON_ParseWithLength(text + l.items[i].name_off - 1,
                                         l.items[i].name_len + 2);
        CHECK(cJSON_IsString(s) &&
              strcmp(s->valuestring, nm->valuestring) == 0);
        cJSON_Delete(s);
      }
      cJSON_Delete(mine);
    }
    jlist_free(&l);
    free(text);
    cJSON_Delete(res);
  }
}

int main(void) {
  test_basic();
  test_hostile();
  test_differential();
  return check_done();
}
