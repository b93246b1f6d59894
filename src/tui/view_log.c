/* view_log.c - see view_log.h. */
#include "tui/view_log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/pen.h"
#include "tui/tutil.h"

/* ---- layout -------------------------------------------------------------- */

/* A line is drawn as: a marker column, its clock (HH:MM:SS), a space,
 * "mcpmon: " for mcpmon's own events, then its text, wrapped onto as many
 * rows as it needs (after a space where the row has one), each
 * continuation starting under the first row's text. In a pane too narrow for
 * that, a line takes one row, cut. */
#define VL_TEXT_COL 11 /* border, marker, clock, space */
#define VL_MIN_ROOM 8

/* Laying text out along the rows of a pane, drawing it or only counting
 * the rows (w NULL). */
struct vl_flow {
  WINDOW* w;
  int y;     /* row being filled (window coordinates) */
  int x;     /* next column */
  int right; /* first column past the text */
  int rows;  /* rows used so far */
  int max;   /* rows allowed: nothing is drawn past them */
};

static bool vl_wraps(int W) {
  return W - 1 - VL_TEXT_COL >= VL_MIN_ROOM;
}

/* Lay s out in attribute a, wrapping at f->right. */
static void vl_flow_put(struct vl_flow* f, const char* s, attr_t a) {
  while (*s != '\0' && f->rows <= f->max) {
    int width;
    size_t n = tu_fit(s, f->right - f->x, &width);
    if (n == 0 && f->x == VL_TEXT_COL) {
      /* Nothing fits a whole row: skip a byte rather than loop. */
      n = 1;
      width = 0;
    } else if (n > 0 && s[n] != '\0') {
      /* The rest goes on the next row: break after a space if the row
       * has one, so that words stay whole. */
      if (s[n] == ' ') {
        n++;
      } else {
        size_t sp = n;
        while (sp > 0 && s[sp - 1] != ' ') sp--;
        if (sp > 1)
          n = sp;
      }
    }
    if (n > 0 && f->w != NULL && f->rows <= f->max) {
      char* piece = tu_strndup(s, n);
      crt_text(f->w, f->y, f->x, f->right - f->x, piece, a);
      free(piece);
    }
    s += n;
    f->x += width;
    if (*s != '\0') { /* the rest on the next row */
      f->rows++;
      f->y++;
      f->x = VL_TEXT_COL;
    }
  }
}

/* The text part of line l (after the clock), into f; with needle, every
 * occurrence of it highlighted. */
static void vl_flow_line(struct vl_flow* f,
                         const struct model_log_line* l,
                         const char* needle,
                         attr_t a) {
  char lv[24];
  if (l->from_mcpmon)
    vl_flow_put(f, "mcpmon: ", a);
  else if (l->from_server) { /* notifications/message, with its level */
    snprintf(lv, sizeof(lv), "[%s] ", model_level_name(l->level));
    vl_flow_put(f, lv, a);
  }
  const char* text = l->text;
  size_t nl = needle ? strlen(needle) : 0;
  while (nl > 0) {
    const char* hit = model_strcasestr(text, needle);
    if (hit == NULL)
      break;
    char* before = tu_strndup(text, (size_t)(hit - text));
    char* match = tu_strndup(hit, nl);
    vl_flow_put(f, before, a);
    vl_flow_put(f, match, crt_colors[CRT_MATCH]);
    free(before);
    free(match);
    text = hit + nl;
  }
  vl_flow_put(f, text, a);
}

/* Rows line n takes in a pane W columns wide (1 when it is not held). */
static int vl_rows(const struct model_log* log, uint64_t n, int W) {
  const struct model_log_line* l = model_log_get(log, n);
  if (l == NULL || !vl_wraps(W))
    return 1;
  struct vl_flow f = {NULL, 0, VL_TEXT_COL, W - 1, 1, INT_MAX};
  vl_flow_line(&f, l, NULL, A_NORMAL);
  return f.rows;
}

/* How many lines from top are shown whole in h rows (at least one, the
 * first being cut when it alone is taller than the pane). */
static uint64_t vl_fitting(const struct model_log* log,
                           uint64_t top,
                           int h,
                           int W) {
  uint64_t end = model_log_end(log);
  uint64_t n = 0;
  int used = 0;
  while (top + n < end) {
    used += vl_rows(log, top + n, W);
    if (used > h && n > 0)
      break;
    n++;
    if (used >= h)
      break;
  }
  return n;
}

/* The first of the lines before `before` that fill at most h rows (at
 * least one line back when there is one). */
static uint64_t vl_back(const struct model_log* log,
                        uint64_t before,
                        int h,
                        int W) {
  uint64_t top = before;
  int used = 0;
  while (top > log->first) {
    int r = vl_rows(log, top - 1, W);
    if (used + r > h && top < before)
      break;
    used += r;
    top--;
    if (used >= h)
      break;
  }
  return top;
}

/* ---- scrolling ----------------------------------------------------------- */

/* First log line shown in a pane of h rows that follows: the newest lines
 * that fill it. */
static uint64_t view_log_bottom_top(const struct model_log* log, int h, int W) {
  return vl_back(log, model_log_end(log), h, W);
}

/* First log line shown for a pane of h rows. */
static uint64_t view_log_top(const struct view* v,
                             const struct model_log* log,
                             int h,
                             int W) {
  uint64_t bottom_top = view_log_bottom_top(log, h, W);
  if (v->log_follow)
    return bottom_top;
  uint64_t top = v->log_top < log->first ? log->first : v->log_top;
  return top > bottom_top ? bottom_top : top;
}

void view_log_scroll(struct view* v, const struct model_backend* b, int pages) {
  if (b == NULL)
    return;
  int h = crt_box_rows(v->log);
  int W = getmaxx(v->log);
  const struct model_log* log = &b->log;
  uint64_t bottom_top = view_log_bottom_top(log, h, W);
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
  uint64_t top = view_log_top(v, log, h, W);
  for (int i = 0; i < pages && top < bottom_top; i++)
    top += vl_fitting(log, top, h, W);
  for (int i = 0; i > pages && top > log->first; i--)
    top = vl_back(log, top, h, W);
  if (top >= bottom_top) {
    v->log_follow = true;
  } else {
    v->log_follow = false;
    v->log_top = top;
  }
}

/* ---- search -------------------------------------------------------------- */

/* Bring log line n into the middle of the pane. */
static void view_log_show_line(struct view* v,
                               const struct model_log* log,
                               uint64_t n) {
  int h = crt_box_rows(v->log);
  int W = getmaxx(v->log);
  uint64_t top = view_log_top(v, log, h, W);
  v->dirty |= VIEW_D_LOG;
  if (n >= top && n < top + vl_fitting(log, top, h, W))
    return; /* already in sight: leave following as it is */
  v->log_follow = false;
  v->log_top = vl_back(log, n, h / 2, W);
}

bool view_log_search_next(struct view* v,
                          const struct model_backend* b,
                          bool older) {
  if (b == NULL || v->search == NULL)
    return false;
  int h = crt_box_rows(v->log);
  int W = getmaxx(v->log);
  uint64_t top = view_log_top(v, &b->log, h, W);
  uint64_t from;
  if (v->search_hit_valid && model_log_get(&b->log, v->search_hit) != NULL)
    from = v->search_hit;
  else if (older)
    from = top + vl_fitting(&b->log, top, h, W);
  else
    from = top;
  uint64_t hit;
  if (!model_log_search(&b->log, v->search, from, older, &hit))
    return false;
  v->search_hit = hit;
  v->search_hit_valid = true;
  view_log_show_line(v, &b->log, hit);
  return true;
}

bool view_log_search(struct view* v,
                     const struct model_backend* b,
                     const char* needle) {
  free(v->search);
  v->search = tu_strdup(needle);
  v->search_hit_valid = false;
  v->dirty |= VIEW_D_LOG;
  return view_log_search_next(v, b, true);
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

void view_log_draw(struct view* v, const struct model_backend* b) {
  WINDOW* w = v->log;
  werase(w);
  int h = crt_box_rows(w);
  int W = getmaxx(w);
  bool focus = v->focus == VIEW_FOCUS_LOG;
  char title[128], note[128];
  note[0] = '\0';
  snprintf(title, sizeof(title), "Log%s%s", b ? ": " : "", b ? b->name : "");
  attr_t note_attr = crt_colors[CRT_DIM];
  if (b != NULL) {
    uint64_t top = view_log_top(v, &b->log, h, W);
    uint64_t end = model_log_end(&b->log);
    if (v->log_follow) {
      snprintf(note, sizeof(note), "following");
    } else {
      uint64_t shown = top + vl_fitting(&b->log, top, h, W);
      uint64_t below = end > shown ? end - shown : 0;
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
  uint64_t top = view_log_top(v, &b->log, h, W);
  bool wrap = vl_wraps(W);
  int row = 0;
  for (uint64_t n = top; row < h; n++) {
    const struct model_log_line* l = model_log_get(&b->log, n);
    if (l == NULL)
      break;
    struct pen p = {w, 1 + row, 1, W - 1};
    char clock[16];
    tu_fmt_clock(l->t, false, clock, sizeof(clock));
    bool hit = v->search_hit_valid && v->search_hit == n;
    pen_put(&p, hit ? crt_sym_pointer() : " ",
            hit ? crt_colors[CRT_MARKER] : A_NORMAL);
    pen_put(&p, clock, crt_colors[CRT_LOG_TIME]);
    pen_put(&p, " ", A_NORMAL);
    attr_t a = view_log_attr(l);
    if (!wrap) { /* too narrow: one row, cut */
      char lv[24];
      if (l->from_mcpmon)
        pen_put(&p, "mcpmon: ", a);
      else if (l->from_server) {
        snprintf(lv, sizeof(lv), "[%s] ", model_level_name(l->level));
        pen_put(&p, lv, a);
      }
      pen_put(&p, l->text, a);
      row++;
      continue;
    }
    struct vl_flow f = {w, 1 + row, p.x, W - 1, 1, h - row};
    vl_flow_line(&f, l, v->search, a);
    row += f.rows;
  }
  wnoutrefresh(w);
}
