/* view_traffic.c - see view_traffic.h. */
#include "tui/view_traffic.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/pen.h"
#include "tui/tutil.h"

/* ---- the cursor and scrolling -------------------------------------------- */

/* The traffic cursor as an index, or -1 when the list is empty. */
static long view_traffic_index(const struct view* v, const struct model* m) {
  if (m->ntraffic == 0)
    return -1;
  if (v->traffic_follow)
    return (long)m->ntraffic - 1;
  long i = model_find_traffic(m, v->traffic_seq);
  if (i >= 0)
    return i;
  /* It fell off the ring: the oldest one held. */
  return 0;
}

bool view_traffic_current(const struct view* v,
                          const struct model* m,
                          uint64_t* seq) {
  long i = view_traffic_index(v, m);
  if (i < 0)
    return false;
  *seq = m->traffic[i].seq;
  return true;
}

static void view_traffic_set(struct view* v, const struct model* m, long i) {
  if (m->ntraffic == 0)
    return;
  if (i < 0)
    i = 0;
  if (i >= (long)m->ntraffic - 1) {
    v->traffic_follow = true;
  } else {
    v->traffic_follow = false;
    v->traffic_seq = m->traffic[i].seq;
  }
  v->dirty |= VIEW_D_BODY;
}

static void view_traffic_detail_set(struct view* v,
                                    const struct model* m,
                                    long top) {
  long h = crt_box_rows(v->body);
  long max = (long)m->detail.nlines - h;
  if (top > max)
    top = max;
  if (top < 0)
    top = 0;
  v->detail_top = (size_t)top;
  v->dirty |= VIEW_D_BODY;
}

void view_traffic_move(struct view* v, const struct model* m, int delta) {
  if (v->screen == VIEW_DETAIL)
    view_traffic_detail_set(v, m, (long)v->detail_top + delta);
  else
    view_traffic_set(v, m, view_traffic_index(v, m) + delta);
}

void view_traffic_scroll(struct view* v, const struct model* m, int pages) {
  if (v->screen == VIEW_DETAIL) {
    long h = crt_box_rows(v->body);
    if (pages == INT_MIN)
      view_traffic_detail_set(v, m, 0);
    else if (pages == INT_MAX)
      view_traffic_detail_set(v, m, LONG_MAX / 2);
    else
      view_traffic_detail_set(v, m, (long)v->detail_top + pages * h);
    return;
  }
  /* One line of the box is the column header. */
  int h = crt_box_rows(v->body) - 1;
  if (h < 1)
    h = 1;
  if (pages == INT_MIN)
    view_traffic_set(v, m, 0);
  else if (pages == INT_MAX)
    view_traffic_set(v, m, (long)m->ntraffic);
  else
    view_traffic_set(v, m, view_traffic_index(v, m) + (long)pages * h);
}

/* ---- the detail pane ----------------------------------------------------- */

void view_traffic_detail_open(struct view* v, uint64_t seq) {
  v->detail_seq = seq;
  v->detail_pending = true;
  v->detail_top = 0;
  free(v->detail_error);
  v->detail_error = NULL;
  v->dirty |= VIEW_D_BODY;
}

void view_traffic_detail_failed(struct view* v, const char* why) {
  v->detail_pending = false;
  free(v->detail_error);
  v->detail_error = tu_strdup(why);
  v->dirty |= VIEW_D_BODY;
}

/* ---- drawing ------------------------------------------------------------- */

static void view_traffic_draw_list(struct view* v, const struct model* m) {
  WINDOW* w = v->body;
  werase(w);
  int h = crt_box_rows(w) - 1; /* a header row */
  int W = getmaxx(w);
  char title[64];
  snprintf(title, sizeof(title), "Traffic (%zu)", m->ntraffic);
  crt_box(w, true, title, "Enter: request and response  t: back",
          crt_colors[CRT_DIM]);
  if (h < 1) {
    wnoutrefresh(w);
    return;
  }
  bool show_backend = m->nbackends != 1;
  /* Narrow terminals: shorter columns, so the result always shows. */
  bool narrow = W < 100;
  int wtime = narrow ? 9 : 14, wserver = narrow ? 10 : 14;
  int wmethod = narrow ? 14 : 20, wtool = narrow ? 13 : 18;
  int wms = narrow ? 8 : 10;
  struct pen hp = {w, 1, 3, W - 2};
  attr_t ha = crt_colors[CRT_TITLE];
  pen_col(&hp, "TIME", ha, wtime, A_NORMAL);
  if (show_backend)
    pen_col(&hp, "SERVER", ha, wserver, A_NORMAL);
  pen_col(&hp, "METHOD", ha, wmethod, A_NORMAL);
  pen_col(&hp, "TOOL", ha, wtool, A_NORMAL);
  pen_col(&hp, narrow ? "    MS" : "      MS", ha, wms, A_NORMAL);
  pen_put(&hp, "  RESULT", ha);
  if (m->ntraffic == 0)
    crt_text(w, 2, 2, W - 4, "(no requests yet)", crt_colors[CRT_DIM]);
  long cur = view_traffic_index(v, m);
  v->traffic_top = tu_list_top(v->traffic_top, cur, h, m->ntraffic);
  for (int row = 0; row < h; row++) {
    size_t i = v->traffic_top + (size_t)row;
    if (i >= m->ntraffic)
      break;
    const struct model_traffic* t = &m->traffic[i];
    bool sel = (long)i == cur;
    attr_t base = sel ? crt_colors[CRT_SELECTED] : A_NORMAL;
    if (sel)
      crt_fill(w, 2 + row, 1, 1, base);
    struct pen p = {w, 2 + row, 1, W - 1};
    char buf[64], clock[16];
    pen_col(&p, sel ? crt_sym_pointer() : " ", base, 2, base);
    tu_fmt_clock(t->t, !narrow, clock, sizeof(clock));
    pen_col(&p, clock, sel ? base : crt_colors[CRT_LOG_TIME], wtime, base);
    if (show_backend)
      pen_col(&p, t->backend ? t->backend : "?", base, wserver, base);
    pen_col(&p, t->method, base | A_BOLD, wmethod, base);
    pen_col(&p, t->tool ? t->tool : "", base, wtool, base);
    snprintf(buf, sizeof(buf), narrow ? "%6.1f" : "%8.1f", t->ms);
    pen_col(&p, buf, base, wms, base);
    pen_put(&p, "  ", base);
    if (t->ok) {
      pen_put(&p, "ok", sel ? base : crt_colors[CRT_OK]);
    } else {
      pen_put(&p, "error", sel ? base | A_BOLD : crt_colors[CRT_FAIL]);
      if (t->error != NULL) {
        pen_put(&p, ": ", base);
        pen_put(&p, t->error, base);
      }
    }
  }
  wnoutrefresh(w);
}

static void view_traffic_draw_detail(struct view* v, const struct model* m) {
  WINDOW* w = v->body;
  werase(w);
  int h = crt_box_rows(w);
  int W = getmaxx(w);
  char title[256];
  long i = model_find_traffic(m, v->detail_seq);
  if (i >= 0) {
    const struct model_traffic* t = &m->traffic[i];
    snprintf(title, sizeof(title), "#%llu %s%s%s%s%s",
             (unsigned long long)t->seq, t->method, t->tool ? " " : "",
             t->tool ? t->tool : "", t->backend ? " on " : "",
             t->backend ? t->backend : "");
  } else {
    snprintf(title, sizeof(title), "#%llu", (unsigned long long)v->detail_seq);
  }
  bool have = !v->detail_pending && v->detail_error == NULL &&
              m->detail.valid && m->detail.seq == v->detail_seq;
  char note[64] = "Esc: back";
  if (have && m->detail.nlines > (size_t)h)
    snprintf(note, sizeof(note), "%zu-%zu/%zu  Esc: back", v->detail_top + 1,
             v->detail_top + (size_t)h < m->detail.nlines
                 ? v->detail_top + (size_t)h
                 : m->detail.nlines,
             m->detail.nlines);
  crt_box(w, true, title, note, crt_colors[CRT_DIM]);
  if (v->detail_error != NULL) {
    struct pen p = {w, 1, 2, W - 2};
    pen_put(&p, "Not available: ", crt_colors[CRT_FAIL]);
    pen_put(&p, v->detail_error, A_NORMAL);
  } else if (!have) {
    crt_text(w, 1, 2, W - 4, "Asking the core...", crt_colors[CRT_DIM]);
  } else {
    for (int row = 0; row < h; row++) {
      size_t k = v->detail_top + (size_t)row;
      if (k >= m->detail.nlines)
        break;
      const char* line = m->detail.lines[k];
      bool heading =
          strcmp(line, "Request") == 0 || strcmp(line, "Response") == 0;
      crt_text(w, 1 + row, 2, W - 4, line,
               heading ? crt_colors[CRT_TITLE_FOCUS] : A_NORMAL);
    }
  }
  wnoutrefresh(w);
}

void view_traffic_draw(struct view* v, const struct model* m) {
  if (v->screen == VIEW_TRAFFIC)
    view_traffic_draw_list(v, m);
  else
    view_traffic_draw_detail(v, m);
}
