/* suggest.c - see suggest.h. */
#include "lib/suggest.h"

#include <ctype.h>
#include <string.h>

size_t suggest_distance(const char* a, size_t la, const char* b) {
  enum { MAXW = 32 };
  size_t lb = strlen(b);
  if (la > MAXW || lb > MAXW)
    return (size_t)-1;
  size_t d[MAXW + 1][MAXW + 1];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int ca = tolower((unsigned char)a[i - 1]);
      int cb = tolower((unsigned char)b[j - 1]);
      size_t cost = ca == cb ? 0 : 1;
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best)
        best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

const char* suggest_name(const char* word,
                         size_t len,
                         const char* const* names,
                         size_t n) {
  const char* prefix = NULL;
  size_t nprefix = 0;
  if (len >= 3) {
    for (size_t i = 0; i < n; i++) {
      if (strncmp(names[i], word, len) == 0) {
        prefix = names[i];
        nprefix++;
      }
    }
  }
  if (nprefix == 1)
    return prefix;
  size_t limit = len >= 5 ? 2 : 1;
  const char* best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; i < n; i++) {
    size_t d = suggest_distance(word, len, names[i]);
    if (d < best_d) {
      best = names[i];
      best_d = d;
    }
  }
  return best;
}
