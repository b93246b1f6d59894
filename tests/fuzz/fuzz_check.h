/* fuzz_check.h - the fuzz targets' assertion: a broken invariant prints
 * its place and aborts, which libFuzzer reports as a crash and saves the
 * input. Unlike assert(), it is never compiled out by NDEBUG. */
#ifndef MCPMON_FUZZ_CHECK_H
#define MCPMON_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
              #cond);                                                      \
      abort();                                                             \
    }                                                                      \
  } while (0)

#endif
