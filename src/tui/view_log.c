/* view_log.c - see view_log.h. */
#include "tui/view_log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/pen.h"
#include "tui/tutil.h"

/* ---- scrolling ----------------------------------------------------------- */

/* First log line shown in a pane of h lines that follows: the last h. */
static uint64_t view_log_bottom_top(const struct model_log* log, int h) {
  uint64_t end = model_log_end(log);
  return end > log->first + (uint64_t)h ? end - (uint64_t)h : log->first;
}

/* First log line shown for a pane of h lines. */
static uint64_t view_log_top(const struct view* v,
                             const struct model_log* log,
                             int h) {
  uint64_t bottom_top = view_log_bottom_top(log, h);
  if (v->log_follow)
    return bottom_top;
  uint64_t top = v->log_top < log->first ? log->first : v->log_top;
  return top > bottom_top ? bottom_top : top;
}

void view_log_scroll(struct view* v, const struct model* m, int pages) {
  const struct model_backend* b = view_selected(v, m);
  if (b == NULL)
    return;
  int h = crt_box_rows(v->log);
  const struct model_log* log = &b->log;
  uint64_t bottom_top = view_log_bottom_top(log, h);
  v->dirty |= VIEW_D_LOG;
  if (pages == INT_MAX) {
    v->log_follow = true;
    return;
  }
  if (pages == INT_MIN) {
    v->log_top = log->first;
    v->log_follow = bottom_top == log->first; /* everything fits */
    return;
  }
  int64_t top = (int64_t)view_log_top(v, log, h) + (int64_t)pages * h;
  if (top < (int64_t)log->first)
    top = (int64_t)log->first;
  if ((uint64_t)top >= bottom_top) {
    v->log_follow = true;
  } else {
    v->log_follow = false;
    v->log_top = (uint64_t)top;
  }
}

/* ---- search -------------------------------------------------------------- */

/* Bring log line n into the middle of the pane. */
static void view_log_show_line(struct view* v,
                               const struct model_log* log,
                               uint64_t n) {
  int h = crt_box_rows(v->log);
  uint64_t top = view_log_top(v, log, h);
  v->dirty |= VIEW_D_LOG;
  if (n >= top && n < top + (uint64_t)h)
    return; /* already in sight: leave following as it is */
  uint64_t want = n > (uint64_t)h / 2 ? n - (uint64_t)h / 2 : 0;
  if (want < log->first)
    want = log->first;
  v->log_follow = false;
  v->log_top = want;
}

bool view_log_search_next(struct view* v, const struct model* m, bool older) {
  const struct model_backend* b = view_selected(v, m);
  if (b == NULL || v->search == NULL)
    return false;
  int h = crt_box_rows(v->log);
  uint64_t from;
  if (v->search_hit_valid && model_log_get(&b->log, v->search_hit) != NULL)
    from = v->search_hit;
  else if (older)
    from = view_log_top(v, &b->log, h) + (uint64_t)h;
  else
    from = view_log_top(v, &b->log, h);
  uint64_t hit;
  if (!model_log_search(&b->log, v->search, from, older, &hit))
    return false;
  v->search_hit = hit;
  v->search_hit_valid = true;
  view_log_show_line(v, &b->log, hit);
  return true;
}

bool view_log_search(struct view* v,
                     const struct model* m,
                     const char* needle) {
  free(v->search);
  v->search = tu_strdup(needle);
  v->search_hit_valid = false;
  v->dirty |= VIEW_D_LOG;
  return view_log_search_next(v, m, true);
}

/* ---- drawing ------------------------------------------------------------- */

static attr_t view_log_attr(const struct model_log_line* l) {
  switch (l->level) {
    case MODEL_LV_ERROR:
      return crt_colors[CRT_LOG_ERROR];
    case MODEL_LV_WARN:
      return crt_colors[CRT_LOG_WARN];
    case MODEL_LV_VERBOSE:
    case MODEL_LV_DEBUG:
      return crt_colors[CRT_LOG_DEBUG];
    case MODEL_LV_INFO:
      break;
  }
  return l->from_mcpmon ? crt_colors[CRT_LOG_MCPMON] : A_NORMAL;
}

/* Text with every occurrence of needle (NULL: none) highlighted. */
static void view_log_put_marked(struct pen* p,
                                const char* text,
                                const char* needle,
                                attr_t a) {
  size_t nl = needle ? strlen(needle) : 0;
  while (nl > 0 && p->x < p->end) {
    const char* hit = model_strcasestr(text, needle);
    if (hit == NULL)
      break;
    char* before = tu_strndup(text, (size_t)(hit - text));
    char* match = tu_strndup(hit, nl);
    pen_put(p, before, a);
    pen_put(p, match, crt_colors[CRT_MATCH]);
    free(before);
    free(match);
    text = hit + nl;
  }
  pen_put(p, text, a);
}

void view_log_draw(struct view* v, const struct model* m) {
  WINDOW* w = v->log;
  werase(w);
  const struct model_backend* b = view_selected(v, m);
  int h = crt_box_rows(w);
  int W = getmaxx(w);
  bool focus = v->focus == VIEW_FOCUS_LOG;
  char title[128], note[128];
  note[0] = '\0';
  snprintf(title, sizeof(title), "Log%s%s", b ? ": " : "", b ? b->name : "");
  attr_t note_attr = crt_colors[CRT_DIM];
  if (b != NULL) {
    uint64_t top = view_log_top(v, &b->log, h);
    uint64_t end = model_log_end(&b->log);
    if (v->log_follow) {
      snprintf(note, sizeof(note), "following");
    } else {
      uint64_t below = end > top + (uint64_t)h ? end - top - (uint64_t)h : 0;
      snprintf(note, sizeof(note), "not following: %llu newer %s, G to follow",
               (unsigned long long)below, below == 1 ? "line" : "lines");
      note_attr = crt_colors[CRT_MARKER];
    }
  }
  /* Shorter notes when the title bar is narrow. */
  int room = W - (int)tu_strwidth(title) - 10;
  if ((int)tu_strwidth(note) > room)
    snprintf(note, sizeof(note), "%s", v->log_follow ? "" : "not following");
  if ((int)tu_strwidth(note) > room)
    snprintf(note, sizeof(note), "%s", v->log_follow ? "" : "paused");
  crt_box(w, focus, title, note, note_attr);
  if (b == NULL) {
    wnoutrefresh(w);
    return;
  }
  if (b->log.count == 0)
    crt_text(w, 1, 2, W - 4, "(no log lines yet)", crt_colors[CRT_DIM]);
  uint64_t top = view_log_top(v, &b->log, h);
  for (int row = 0; row < h; row++) {
    const struct model_log_line* l =
        model_log_get(&b->log, top + (uint64_t)row);
    if (l == NULL)
      break;
    struct pen p = {w, 1 + row, 1, W - 1};
    char clock[16];
    tu_fmt_clock(l->t, false, clock, sizeof(clock));
    bool hit = v->search_hit_valid && v->search_hit == top + (uint64_t)row;
    pen_put(&p, hit ? crt_sym_pointer() : " ",
            hit ? crt_colors[CRT_MARKER] : A_NORMAL);
    pen_put(&p, clock, crt_colors[CRT_LOG_TIME]);
    pen_put(&p, " ", A_NORMAL);
    attr_t a = view_log_attr(l);
    if (l->from_mcpmon)
      pen_put(&p, "mcpmon: ", a);
    view_log_put_marked(&p, l->text, v->search, a);
  }
  wnoutrefresh(w);
}
