/* Unit tests of names.c: exposed names, sanitizing, hashing, the table. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/session/names.h"

static bool valid(const char* s) {
  regex_t re;
  regcomp(&re, "^[A-Za-z0-9_-]{1,64}$", REG_EXTENDED | REG_NOSUB);
  bool ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

static void test_expose(void) {
  char out[NAMES_MAX + 1];
  names_expose("sage", "__", "recall", out);
  CHECK_STR(out, "sage__recall");
  names_expose("my-server", "__", "lookup", out);
  CHECK_STR(out, "my-server__lookup");
  /* NAME-2: '.', ':', '/', spaces and non-ASCII become '_'. */
  names_expose("my.srv", "__", "get/item name", out);
  CHECK_STR(out, "my_srv__get_item_name");
  CHECK(valid(out));
  names_expose("a", "__", "caf\xc3\xa9", out);
  CHECK_STR(out, "a__caf__");
  /* The separator is kept as configured, even "::". */
  names_expose("sage", "::", "recall", out);
  CHECK_STR(out, "sage::recall");
  names_expose("s", "-", "t", out);
  CHECK_STR(out, "s-t");
}

static void test_long_names(void) {
  char longtool[200];
  memset(longtool, 'x', 150);
  longtool[150] = '\0';
  char out[NAMES_MAX + 1];
  names_expose("server", "__", longtool, out);
  CHECK_INT(strlen(out), NAMES_MAX);
  CHECK(valid(out));
  CHECK(strncmp(out, "server__xxx", 11) == 0);
  /* Stable: the same input gives the same name. */
  char again[NAMES_MAX + 1];
  names_expose("server", "__", longtool, again);
  CHECK_STR(out, again);
  /* Two long names sharing the first 57 characters still differ. */
  char other[200];
  strcpy(other, longtool);
  other[149] = 'y';
  names_expose("server", "__", other, again);
  CHECK(strcmp(out, again) != 0);
  CHECK(valid(again));
  /* Exactly 64 characters is kept as is. */
  char exact[NAMES_MAX + 1];
  memset(exact, 'a', 56);
  exact[56] = '\0';
  names_expose("srv_ab", "__", exact, out);
  CHECK_INT(strlen(out), 64);
  CHECK(strstr(out, "srv_ab__aaaa") == out);
}

static void test_disambiguate(void) {
  char out[NAMES_MAX + 1];
  names_disambiguate("a__b__c", "a__b", out);
  CHECK(strncmp(out, "a__b__c_", 8) == 0);
  CHECK_INT(strlen(out), 7 + 7);
  CHECK(valid(out));
  char out2[NAMES_MAX + 1];
  names_disambiguate("a__b__c", "other", out2);
  CHECK(strcmp(out, out2) != 0);
  char longn[NAMES_MAX + 1];
  memset(longn, 'z', 64);
  longn[64] = '\0';
  names_disambiguate(longn, "x", out);
  CHECK_INT(strlen(out), 64);
  CHECK(strcmp(out, longn) != 0);
  /* A shortened name whose suffix is the very one the variant would get
   * (a 24-bit hash collision tests/fuzz found): still a different name. */
  char exposed[NAMES_MAX + 1];
  names_expose("gh", "__",
               "createissuet_issuexxx\x88\x07\x87\x07\x87\x87\x87\x8a"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxgh",
               exposed);
  names_disambiguate(exposed, "", out);
  CHECK_INT(strlen(out), 64);
  CHECK(valid(out));
  CHECK(strcmp(out, exposed) != 0);
}

static void test_table(void) {
  struct name_table* t = name_table_new();
  int a = 1, b = 2;
  CHECK_INT(name_table_add(t, "a__tool", &a, "tool", NULL), 0);
  CHECK_INT(name_table_add(t, "b__tool", &b, "tool", NULL), 0);
  void* existing = NULL;
  CHECK_INT(name_table_add(t, "a__tool", &b, "x", &existing), -1);
  CHECK(existing == &a);
  void* owner = NULL;
  const char* orig = NULL;
  CHECK(name_table_find(t, "b__tool", &owner, &orig));
  CHECK(owner == &b);
  CHECK_STR(orig, "tool");
  CHECK(!name_table_find(t, "c__tool", &owner, &orig));
  /* Routing never splits: a prefix containing the separator is fine. */
  CHECK_INT(name_table_add(t, "x__y__z", &a, "y__z", NULL), 0);
  CHECK(name_table_find(t, "x__y__z", &owner, &orig));
  CHECK_STR(orig, "y__z");
  CHECK_INT(name_table_count(t), 3);
  name_table_remove_owner(t, &a);
  CHECK_INT(name_table_count(t), 1);
  CHECK(!name_table_find(t, "a__tool", NULL, NULL));
  CHECK(name_table_find(t, "b__tool", NULL, NULL));
  for (int i = 0; i < 1000; i++) {
    char name[32];
    snprintf(name, sizeof(name), "t%d", i);
    name_table_add(t, name, &a, name, NULL);
  }
  CHECK_INT(name_table_count(t), 1001);
  CHECK(name_table_find(t, "t999", &owner, &orig));
  CHECK_STR(orig, "t999");
  name_table_clear(t);
  CHECK_INT(name_table_count(t), 0);
  name_table_free(t);
}

int main(void) {
  test_expose();
  test_long_names();
  test_disambiguate();
  test_table();
  return check_done();
}
