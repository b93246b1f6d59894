/* fuzz_names.c - src/core/names.c: exposed tool names and their variants.
 *
 * Input: prefix, separator, original name and a salt, separated by NUL
 * bytes (missing parts are empty). Invariants: with a separator from
 * [A-Za-z0-9_-], an exposed name matches ^[A-Za-z0-9_-]{1,64}$, and so
 * does its variant, which differs from it; with any separator, a name is
 * 1 to 64 bytes whose characters outside that alphabet come from the
 * separator. Results are deterministic, and the name table finds what it
 * was given.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/session/names.h"
#include "fuzz_check.h"

#define FUZZ_MAX_INPUT 4096

static bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool all_name_chars(const char* s) {
  for (; *s != '\0'; s++) {
    if (!name_char(*s))
      return false;
  }
  return true;
}

/* ^[A-Za-z0-9_-]{1,64}$ */
static bool valid_name(const char* s) {
  size_t n = strlen(s);
  return n >= 1 && n <= NAMES_MAX && all_name_chars(s);
}

/* Takes the next NUL-terminated part of [*p, end) as a new string. */
static char* next_part(const uint8_t** p, const uint8_t* end) {
  const uint8_t* nul = memchr(*p, '\0', (size_t)(end - *p));
  size_t n = nul != NULL ? (size_t)(nul - *p) : (size_t)(end - *p);
  char* s = malloc(n + 1);
  FUZZ_CHECK(s != NULL);
  memcpy(s, *p, n);
  s[n] = '\0';
  *p = nul != NULL ? nul + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return 0;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  char* prefix = next_part(&p, end);
  char* sep = next_part(&p, end);
  char* orig = next_part(&p, end);
  char* salt = next_part(&p, end);

  /* Out-of-bounds writes land in the canary rather than out of sight. */
  char out[NAMES_MAX + 1 + 16];
  memset(out, 0x5a, sizeof(out));
  names_expose(prefix, sep, orig, out);
  for (size_t i = NAMES_MAX + 1; i < sizeof(out); i++)
    FUZZ_CHECK(out[i] == 0x5a);
  size_t n = strlen(out);
  FUZZ_CHECK(n >= 1 && n <= NAMES_MAX);
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK(name_char(out[i]) || strchr(sep, out[i]) != NULL);
  bool sep_ok = all_name_chars(sep);
  if (sep_ok)
    FUZZ_CHECK(valid_name(out));

  char again[NAMES_MAX + 1];
  names_expose(prefix, sep, orig, again);
  FUZZ_CHECK(strcmp(out, again) == 0);

  /* A collision's variant: valid, different, deterministic. */
  char var[NAMES_MAX + 1 + 16];
  memset(var, 0x5a, sizeof(var));
  names_disambiguate(out, salt, var);
  for (size_t i = NAMES_MAX + 1; i < sizeof(var); i++)
    FUZZ_CHECK(var[i] == 0x5a);
  FUZZ_CHECK(strlen(var) >= 1 && strlen(var) <= NAMES_MAX);
  FUZZ_CHECK(strcmp(var, out) != 0);
  if (sep_ok)
    FUZZ_CHECK(valid_name(var));
  names_disambiguate(out, salt, again);
  FUZZ_CHECK(strcmp(var, again) == 0);

  /* Any string at all: at most NAMES_MAX bytes come out. */
  names_disambiguate(orig, salt, var);
  FUZZ_CHECK(strlen(var) <= NAMES_MAX);
  for (size_t i = NAMES_MAX + 1; i < sizeof(var); i++)
    FUZZ_CHECK(var[i] == 0x5a);

  char* s = malloc(strlen(orig) + 1);
  FUZZ_CHECK(s != NULL);
  strcpy(s, orig);
  names_sanitize(s);
  FUZZ_CHECK(strlen(s) == strlen(orig) && all_name_chars(s));
  free(s);

  /* The table routes by the exposed name, whatever it holds. */
  struct name_table* t = name_table_new();
  int a = 1, b = 2;
  FUZZ_CHECK(name_table_add(t, out, &a, orig, NULL) == 0);
  void* owner = NULL;
  FUZZ_CHECK(name_table_add(t, out, &b, prefix, &owner) == -1 && owner == &a);
  if (strcmp(out, orig) != 0)
    FUZZ_CHECK(name_table_add(t, orig, &b, salt, NULL) == 0);
  const char* found = NULL;
  FUZZ_CHECK(name_table_find(t, out, &owner, &found) && owner == &a &&
             strcmp(found, orig) == 0);
  name_table_remove_owner(t, &a);
  FUZZ_CHECK(!name_table_find(t, out, NULL, NULL));
  name_table_free(t);

  free(prefix);
  free(sep);
  free(orig);
  free(salt);
  return 0;
}
