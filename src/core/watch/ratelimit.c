/* ratelimit.c - see ratelimit.h. */
#include "core/watch/ratelimit.h"

bool ratelimit_allow(struct ratelimit* rl, uint64_t now_ms) {
  if (now_ms - rl->window_ms >= 1000 || now_ms < rl->window_ms) {
    rl->window_ms = now_ms;
    rl->shown = 0;
  }
  if (rl->shown < rl->per_s) {
    rl->shown++;
    return true;
  }
  rl->hidden++;
  return false;
}

unsigned long long ratelimit_take_hidden(struct ratelimit* rl,
                                         uint64_t now_ms) {
  if (rl->hidden == 0 || now_ms - rl->window_ms < 1000)
    return 0;
  unsigned long long n = rl->hidden;
  rl->hidden = 0;
  return n;
}
