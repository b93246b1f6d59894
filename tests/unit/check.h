/* check.h - the unit tests' assertions: each failed check prints its place
 * and is counted; check_done() prints "N passed, N failed" and returns the
 * exit status. */
#ifndef MCPMON_CHECK_H
#define MCPMON_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed;
static int check_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      check_passed++;                                                          \
    } else {                                                                   \
      check_failed++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                     \
  do {                                                                      \
    const char* check_a_ = (a);                                             \
    const char* check_b_ = (b);                                             \
    if (check_a_ != NULL && check_b_ != NULL &&                             \
        strcmp(check_a_, check_b_) == 0) {                                  \
      check_passed++;                                                       \
    } else {                                                                \
      check_failed++;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" vs \"%s\")\n", \
              __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",   \
              check_b_ ? check_b_ : "(null)");                              \
    }                                                                       \
  } while (0)

#define CHECK_INT(a, b)                                                 \
  do {                                                                  \
    long long check_a_ = (long long)(a);                                \
    long long check_b_ = (long long)(b);                                \
    if (check_a_ == check_b_) {                                         \
      check_passed++;                                                   \
    } else {                                                            \
      check_failed++;                                                   \
      fprintf(stderr, "%s:%d: check failed: %s == %s (%lld vs %lld)\n", \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);          \
    }                                                                   \
  } while (0)

static inline int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}

#endif
