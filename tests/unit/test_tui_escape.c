/* test_tui_escape.c - what the clients print from a control socket
 * (tu_escape, tu_escape_json in src/tui/tutil.c; issue 12 item 7): no
 * control byte, C1 control or invalid UTF-8 reaches the terminal, and
 * everything else is kept as it was. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tui/tutil.h"

static void check_escape(const char* in, const char* want) {
  char* got = tu_escape(in);
  CHECK_STR(got, want);
  free(got);
}

static void check_json(const char* in, const char* want) {
  char* got = tu_escape_json(in);
  CHECK_STR(got, want);
  free(got);
}

static void test_escape(void) {
  check_escape("", "");
  check_escape("plain text, a\\b \"q\" ~", "plain text, a\\b \"q\" ~");
  /* What a fake instance sent: a title change and a screen clear. */
  check_escape("x\x1b]0;title\a\x1b[2Jy", "x\\x1b]0;title\\x07\\x1b[2Jy");
  check_escape("\x01\x1f\n\r", "\\x01\\x1f\\x0a\\x0d");
  check_escape("a\tb", "a\\tb");
  check_escape("del\x7f", "del\\x7f");
  /* C1 controls, in UTF-8: CSI (U+009B), U+0080, U+009F; U+00A0 on. */
  check_escape(
      "\xc2\x9b"
      "31m",
      "\\xc2\\x9b31m");
  check_escape("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0");
  /* Valid UTF-8 kept: 2, 3 and 4 bytes, the edges of the ranges. */
  check_escape("h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5 \xf0\x9f\x98\x80",
               "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  check_escape("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
               "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
  /* Invalid: stray bytes, overlong forms, surrogates, past U+10FFFF,
   * cut short. Each bad byte alone; what follows is read afresh. */
  check_escape(
      "a\xff\xfe"
      "b",
      "a\\xff\\xfeb");
  check_escape("\xc0\xaf", "\\xc0\\xaf");
  check_escape("\xc1\x9b", "\\xc1\\x9b"); /* an overlong ESC [ */
  check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
  check_escape("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
  check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
  check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
  check_escape("\xf5\x80", "\\xf5\\x80");
  check_escape("\xe2\x9c", "\\xe2\\x9c");
  check_escape(
      "\xe2\x9c"
      "a",
      "\\xe2\\x9ca");
  check_escape(
      "\x80"
      "ok",
      "\\x80ok");
}

static void test_escape_json(void) {
  check_json("{\"a\":\"x\\u001b[2J\",\"b\":[1,true,null]}",
             "{\"a\":\"x\\u001b[2J\",\"b\":[1,true,null]}");
  check_json("{\"a\":\"del\x7f c1\xc2\x9b ok\xc2\xa0\"}",
             "{\"a\":\"del\\u007f c1\\u009b ok\xc2\xa0\"}");
  check_json(
      "{\"a\":\"b\xff\xfe"
      "ad\"}",
      "{\"a\":\"b\\ufffd\\ufffdad\"}");
  check_json("{\"a\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\"}",
             "{\"a\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\"}");
  check_json("\"raw\x1b\"", "\"raw\\u001b\"");
}

int main(void) {
  test_escape();
  test_escape_json();
  return check_done();
}
