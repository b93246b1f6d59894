/* test_jscan_flags.c - what jscan reports so that a text can be forwarded
 * as it is (jscan.h): unpaired surrogate escapes (lone_surrogate) and the
 * nesting depth (max_depth), each also against cJSON, which refuses a
 * lone surrogate and more than 1000 levels; ill-formed UTF-8 (bad_utf8)
 * of each kind, in strings and out, around the edges of the blocks and
 * runs jscan skips strings by. Each text is also fed in pieces cut at
 * every place, which must give the verdict and the flags of the whole.
 * The grammar, members and spans are tested in test_jscan.c. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/utf8.h"
#include "proto/jscan.h"

/* cJSON's verdict on the whole text. */
static bool cjson_ok(const char* s, size_t n) {
  const char* end = NULL;
  cJSON* root = cJSON_ParseWithLengthOpts(s, n, &end, false);
  bool ok = root != NULL && end == s + n;
  cJSON_Delete(root);
  return ok;
}

static bool same(bool va,
                 const struct jscan* a,
                 bool vb,
                 const struct jscan* b) {
  return va == vb && a->err == b->err && a->err_off == b->err_off &&
         a->type == b->type && a->lone_surrogate == b->lone_surrogate &&
         a->max_depth == b->max_depth && a->bad_utf8 == b->bad_utf8;
}

/* The scan of text, whole and fed in two pieces cut at every place (at
 * every 61st of a long text), then byte by byte: all alike. Returns the
 * verdict of the whole in *j. */
static bool scan_all_ways(const char* text, size_t n, struct jscan* j) {
  bool v = jscan_scan(text, n, j);
  CHECK(j->bad_utf8 == !utf8_valid(text, n));
  int differ = 0;
  for (size_t cut = 0; cut <= n; cut += n > 2000 ? 61 : 1) {
    struct jscan_stream st;
    jscan_begin(&st);
    jscan_feed(&st, text, cut);
    jscan_feed(&st, text + cut, n - cut);
    bool vp = jscan_end(&st);
    if (!same(v, j, vp, &st.out))
      differ++;
  }
  struct jscan_stream st;
  jscan_begin(&st);
  for (size_t i = 0; i < n; i++) jscan_feed(&st, text + i, 1);
  bool vb = jscan_end(&st);
  if (!same(v, j, vb, &st.out))
    differ++;
  if (differ)
    fprintf(stderr, "streamed differently (%d): %.*s\n", differ, (int)n, text);
  CHECK_INT(differ, 0);
  return v;
}

/* Unpaired surrogate escapes: valid JSON by the RFC, refused by cJSON,
 * reported. */
static void test_surrogates(void) {
  static const struct {
    const char* text;
    bool lone;
  } cases[] = {
      {"\"\\ud800\"", true},
      {"\"\\udc00\"", true},
      {"\"\\uDFFF\"", true},
      {"\"\\ud83dx\"", true},
      {"\"\\ud83d\\u0041\"", true},
      {"\"\\ud83d\\n\"", true},
      {"\"\\ud83d\\\"\"", true},
      {"\"\\ud83d\\\\\"", true},
      {"\"\\ud83d\xc3\xa9\"", true},
      {"\"\\ude00\\ud83d\"", true},
      {"\"\\ud83d\\ud83d\\ude00\"", true}, /* a lone high, then a pair */
      {"{\"\\ud800\":1}", true},
      {"[\"a\",{\"b\":[\"\\udbff\"]}]", true},
      {"\"\\ud83d\\ude00\"", false},
      {"\"\\ud7ff\\ue000\\uffff\"", false},
      {"[\"\\ud800\\udc00\",\"\\udbff\\udfff\"]", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct jscan j;
    size_t n = strlen(cases[i].text);
    bool v = scan_all_ways(cases[i].text, n, &j);
    if (!v || j.lone_surrogate != cases[i].lone)
      fprintf(stderr, "%s: %s, lone %d\n", cases[i].text, v ? "valid" : j.err,
              j.lone_surrogate);
    CHECK(v && j.lone_surrogate == cases[i].lone);
    CHECK(cjson_ok(cases[i].text, n) == !cases[i].lone);
  }
  /* The escape after a lone high one is checked as any other. */
  static const struct {
    const char* text;
    const char* err;
    size_t off;
  } bad[] = {
      {"\"\\ud800\\u00G0\"", "invalid \\u escape", 7},
      {"\"\\ud800\\q\"", "invalid escape in a string", 7},
      {"\"\\ud800", "unterminated string", 7},
      {"\"\\ud800\\", "unterminated string", 7},
      {"\"\\ud800\\u", "invalid \\u escape", 7},
      {"\"\\ud800\x01\"", "control character in a string", 7},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct jscan j;
    CHECK(!scan_all_ways(bad[i].text, strlen(bad[i].text), &j));
    CHECK_STR(j.err, bad[i].err);
    CHECK_INT(j.err_off, bad[i].off);
  }
  /* A key with a lone surrogate is found as U+FFFD. */
  struct jscan j;
  const char* t = "{\"a\\udc00\":1,\"\\ud83d\\ude00\":2,\"\\ud83d\\u0041\":3}";
  CHECK(jscan_scan(t, strlen(t), &j) && j.lone_surrogate);
  CHECK_INT(jscan_find(&j, t, "a\xef\xbf\xbd"), 0);
  CHECK_INT(jscan_find(&j, t, "\xf0\x9f\x98\x80"), 1);
  CHECK_INT(jscan_find(&j, t,
                       "\xef\xbf\xbd"
                       "A"),
            2);
  CHECK_INT(jscan_find(&j, t, "a"), -1);
}

/* depth levels of arrays, every third an object, around a number. */
static size_t nest(char* s, int depth) {
  size_t n = 0;
  for (int i = 0; i < depth; i++) {
    if (i % 3 == 1) {
      memcpy(s + n, "{\"k\":", 5);
      n += 5;
    } else {
      s[n++] = '[';
    }
  }
  s[n++] = '7';
  for (int i = depth - 1; i >= 0; i--) s[n++] = i % 3 == 1 ? '}' : ']';
  return n;
}

static void test_depth(void) {
  static const struct {
    const char* text;
    unsigned depth;
  } cases[] = {
      {"1", 0},
      {"\"[\"", 0},
      {"[]", 1},
      {"{}", 1},
      {"[[],[[]],[]]", 3},
      {"{\"a\":[{\"b\":{}}],\"c\":[]}", 4},
      {"[[[[]]]]", 4},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct jscan j;
    CHECK(scan_all_ways(cases[i].text, strlen(cases[i].text), &j));
    CHECK_INT(j.max_depth, cases[i].depth);
  }
  /* cJSON's limit, then past it, up to jscan's. */
  char* s = malloc(6 * JSCAN_MAX_DEPTH + 16);
  static const int depths[] = {1000, 1001, 2000, JSCAN_MAX_DEPTH};
  for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
    size_t n = nest(s, depths[i]);
    struct jscan j;
    CHECK(jscan_scan(s, n, &j));
    CHECK_INT(j.max_depth, depths[i]);
    CHECK(cjson_ok(s, n) == (depths[i] <= 1000));
  }
  /* One level more is refused where it opens; what was seen is kept. */
  size_t n = nest(s, JSCAN_MAX_DEPTH + 1);
  struct jscan j;
  CHECK(!scan_all_ways(s, n, &j));
  CHECK_STR(j.err, "nested too deep");
  CHECK_INT(j.max_depth, JSCAN_MAX_DEPTH);
  n = nest(s, JSCAN_MAX_DEPTH);
  CHECK(scan_all_ways(s, n, &j));
  CHECK_INT(j.max_depth, JSCAN_MAX_DEPTH);
  /* A client's request 2000 deep, as issue 12 has it. */
  n = (size_t)sprintf(s,
                      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\","
                      "\"params\":{\"a\":");
  n += nest(s + n, 1998);
  s[n++] = '}';
  s[n++] = '}';
  CHECK(jscan_scan(s, n, &j) && j.max_depth == 2000 && j.nmembers == 4);
  CHECK(!cjson_ok(s, n));
  free(s);
  CHECK(sizeof(((struct jscan_stream*)0)->is_obj) == 512);
}

/* Ill-formed UTF-8 of each kind, in a string value and in a key. */
static void test_bad_utf8(void) {
  static const struct {
    const char* body;
    bool bad;
  } cases[] = {
      {"plain", false},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", false},
      {"\xed\x9f\xbf\xee\x80\x80", false}, /* around the surrogates */
      {"\xc0\x80", true},                  /* overlong */
      {"\xc1\xbf", true},
      {"\xe0\x9f\xbf", true},
      {"\xf0\x8f\xbf\xbf", true},
      {"\xed\xa0\x80", true}, /* an encoded surrogate */
      {"\xed\xbf\xbf", true},
      {"\xf4\x90\x80\x80", true}, /* above U+10FFFF */
      {"\xf5\x80\x80\x80", true},
      {"\xfe", true},
      {"\xff", true},
      {"\x80", true}, /* a stray continuation */
      {"a\xbf", true},
      {"\xc3\xa9\xa9", true},
      {"\xe2\x82", true}, /* cut short by the closing quote */
      {"\xf0\x9f\x98", true},
      {"\xe2\x82x", true},   /* by another byte */
      {"\xe2\x82\\n", true}, /* by an escape */
      {"\xc3\xc3\xa9", true},
  };
  /* A character is not carried from one string to the next. */
  static const char* const across[] = {
      "[\"\xe2\x82\",\"\xac\"]",
      "[\"\xe2\x82x\",\"\xac\"]",
      "{\"\xf0\x9f\":\"\x98\x80\"}",
      "[\"\xe2\x82\\n\xac\"]",
  };
  for (size_t i = 0; i < sizeof(across) / sizeof(across[0]); i++) {
    struct jscan j;
    CHECK(scan_all_ways(across[i], strlen(across[i]), &j) && j.bad_utf8);
  }
  char text[128];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    for (int key = 0; key <= 1; key++) {
      int n = snprintf(text, sizeof(text),
                       key ? "{\"%s\":1}" : "{\"a\":[\"%s\"]}", cases[i].body);
      struct jscan j;
      bool v = scan_all_ways(text, (size_t)n, &j);
      CHECK(v);
      if (j.bad_utf8 != cases[i].bad)
        fprintf(stderr, "bad_utf8 %d: %s\n", j.bad_utf8, text);
      CHECK(j.bad_utf8 == cases[i].bad);
    }
  }
  /* Outside strings such bytes end the scan; the flag is still said of
   * the whole text. A character cut by the end is ill-formed. */
  static const struct {
    const char* text;
    bool bad;
    const char* err;
  } out[] = {
      {"\xc3\xa9", false, "invalid value"},
      {"[\xc3\xa9]", false, "invalid value"},
      {"[1]\xff", true, "text after the JSON value"},
      {"[1] \xe2\x82", true, "text after the JSON value"},
      {"{\"a\":1\xe2\x82\xac}", false, "expected ',' or '}'"},
      {"[\"\x01\xff\"]", true, "control character in a string"},
      {"[\"\\\xff\"]", true, "invalid escape in a string"},
      {"[\"\\u00\xe9\"]", true, "invalid \\u escape"},
      {"[\"\\u00\xc3\xa9\"]", false, "invalid \\u escape"},
      {"[tr\xc3\xbc\x65]", false, "invalid value"},
      {"[-\xc3\xa9]", false, "invalid value"},
      {"[1\xff]", true, "expected ',' or ']'"},
      {"\"abc\xe2\x82", true, "unterminated string"},
      {"\"abc\xe2\x82\xac", false, "unterminated string"},
  };
  for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
    struct jscan j;
    CHECK(!scan_all_ways(out[i].text, strlen(out[i].text), &j));
    CHECK_STR(j.err, out[i].err);
    CHECK(j.bad_utf8 == out[i].bad);
  }
}

/* One character at every place around the edges of the blocks that
 * string bodies are skipped by (32 and 64 bytes) and of the runs that are
 * checked as UTF-8 (64 KiB), in a long string, whole and cut inside it. */
static void test_long_utf8(void) {
  static const char* const chars[] = {
      "\xc3\xa9",         "\xe2\x82\xac", "\xf0\x9f\x98\x80",
      "\xc0\x80",         "\xe2\x82",     "\x80",
      "\xf4\x90\x80\x80", "\xed\xa0\x80", "\xf0\x9f\x98\\n",
      "\xc3\xa9\\u00e9",  "\xff\"",
  };
  static const size_t places[] = {0,      1,      30,    31,    32,    63,
                                  64,     65,     255,   256,   257,   65532,
                                  65533,  65534,  65535, 65536, 65537, 131070,
                                  131071, 131072, 139990};
  enum { LEN = 140000 };
  char* s = malloc(LEN + 16);
  int bad = 0;
  for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
      memset(s, 'a', LEN);
      s[0] = '"';
      size_t at = 1 + places[i];
      size_t k = strlen(chars[c]);
      memcpy(s + at, chars[c], k);
      s[LEN] = '"';
      size_t n = LEN + 1;
      bool want = !utf8_valid(s, n);
      struct jscan j;
      bool v = jscan_scan(s, n, &j);
      if (v != (strchr(chars[c], '"') == NULL) || j.bad_utf8 != want)
        bad++; /* "\xff\"" ends the string: the scan fails after it */
      /* Cut inside the character, and in pieces of 64 KiB. */
      const size_t cuts[] = {at + 1, at + k - 1, 65536, 65537};
      for (size_t m = 0; m < sizeof(cuts) / sizeof(cuts[0]); m++) {
        struct jscan_stream st;
        jscan_begin(&st);
        jscan_feed(&st, s, cuts[m]);
        jscan_feed(&st, s + cuts[m], n - cuts[m]);
        if (jscan_end(&st) != v || st.out.bad_utf8 != want)
          bad++;
      }
    }
  }
  CHECK_INT(bad, 0);
  free(s);
}

int main(void) {
  test_surrogates();
  test_depth();
  test_bad_utf8();
  test_long_utf8();
  return check_done();
}
