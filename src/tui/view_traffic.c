/* view_traffic.c - see view_traffic.h. */
#include "tui/view_traffic.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/model_detail.h"
#include "tui/pen.h"
#include "tui/tutil.h"

/* ---- the filter ---------------------------------------------------------- */

/* The selected server's name (view.c's view_selected_name; view.c calls
 * this file, so not back). */
static const char* vt_server(const struct view* v, const struct model* m) {
  if (v->sel < 0 || (size_t)v->sel >= m->nbackends)
    return NULL;
  return m->backends[v->sel].name;
}

/* The indexes of the entries the filter shows, oldest first, into out
 * (room for MODEL_TRAFFIC_MAX); returns how many. */
static size_t vt_visible(const struct view* v,
                         const struct model* m,
                         size_t* out) {
  bool errors = (v->traffic_filter & VIEW_TF_ERRORS) != 0;
  const char* server =
      (v->traffic_filter & VIEW_TF_SERVER) ? vt_server(v, m) : NULL;
  size_t n = 0;
  for (size_t i = 0; i < m->ntraffic && n < MODEL_TRAFFIC_MAX; i++)
    if (model_traffic_match(&m->traffic[i], errors, server))
      out[n++] = i;
  return n;
}

/* Where entry seq is among the visible ones, or -1. */
static long vt_find(const struct model* m,
                    const size_t* vis,
                    size_t n,
                    uint64_t seq) {
  for (size_t k = n; k-- > 0;)
    if (m->traffic[vis[k]].seq == seq)
      return (long)k;
  return -1;
}

void view_traffic_cycle_filter(struct view* v, const struct model* m) {
  (void)m;
  v->traffic_filter = (v->traffic_filter + 1) & 3u;
  v->traffic_follow = true;
  v->traffic_top = 0;
  v->dirty |= VIEW_D_BODY | VIEW_D_STATUS;
}

/* ---- the cursor and scrolling -------------------------------------------- */

/* The traffic cursor as a position among the visible entries, or -1 when
 * none is shown. */
static long vt_cursor(const struct view* v,
                      const struct model* m,
                      const size_t* vis,
                      size_t n) {
  if (n == 0)
    return -1;
  if (v->traffic_follow)
    return (long)n - 1;
  long k = vt_find(m, vis, n, v->traffic_seq);
  if (k >= 0)
    return k;
  /* It fell off the ring or out of the filter: the oldest one shown. */
  return 0;
}

bool view_traffic_current(const struct view* v,
                          const struct model* m,
                          uint64_t* seq) {
  static size_t vis[MODEL_TRAFFIC_MAX];
  size_t n = vt_visible(v, m, vis);
  long k = vt_cursor(v, m, vis, n);
  if (k < 0)
    return false;
  *seq = m->traffic[vis[k]].seq;
  return true;
}

/* Put the cursor on visible position k (clamped). */
static void view_traffic_set(struct view* v,
                             const struct model* m,
                             const size_t* vis,
                             size_t n,
                             long k) {
  if (n == 0)
    return;
  if (k < 0)
    k = 0;
  if (k >= (long)n - 1) {
    v->traffic_follow = true;
  } else {
    v->traffic_follow = false;
    v->traffic_seq = m->traffic[vis[k]].seq;
  }
  v->dirty |= VIEW_D_BODY;
}

/* The width detail text wraps at, and the rows the detail takes at it:
 * a line longer than the pane goes on in rows below, two columns in. */
static int vt_detail_width(const struct view* v) {
  int w = getmaxx(v->body) - 4;
  return w < 8 ? 8 : w;
}

/* Bytes of s from its start that fill one row of cols columns (at least
 * one character, so that a row always moves on). */
static size_t vt_piece(const char* s, int cols) {
  int width;
  size_t n = tu_fit(s, cols, &width);
  if (n == 0 && s[0] != '\0') {
    n = 1;
    while (((unsigned char)s[n] & 0xC0) == 0x80) n++;
  }
  return n;
}

static size_t vt_line_rows(const char* s, int cols) {
  size_t rows = 1;
  size_t off = vt_piece(s, cols);
  while (s[off] != '\0') {
    off += vt_piece(s + off, cols - 2);
    rows++;
  }
  return rows;
}

static size_t vt_detail_rows(const struct view* v, const struct model* m) {
  int cols = vt_detail_width(v);
  size_t rows = 0;
  for (size_t i = 0; i < m->detail.nlines; i++)
    rows += vt_line_rows(m->detail.lines[i], cols);
  return rows;
}

static void view_traffic_detail_set(struct view* v,
                                    const struct model* m,
                                    long top) {
  long h = crt_box_rows(v->body);
  long max = (long)vt_detail_rows(v, m) - h;
  if (top > max)
    top = max;
  if (top < 0)
    top = 0;
  v->detail_top = (size_t)top;
  v->dirty |= VIEW_D_BODY;
}

void view_traffic_move(struct view* v, const struct model* m, int delta) {
  if (v->screen == VIEW_DETAIL) {
    view_traffic_detail_set(v, m, (long)v->detail_top + delta);
    return;
  }
  static size_t vis[MODEL_TRAFFIC_MAX];
  size_t n = vt_visible(v, m, vis);
  view_traffic_set(v, m, vis, n, vt_cursor(v, m, vis, n) + delta);
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
  static size_t vis[MODEL_TRAFFIC_MAX];
  size_t n = vt_visible(v, m, vis);
  if (pages == INT_MIN)
    view_traffic_set(v, m, vis, n, 0);
  else if (pages == INT_MAX)
    view_traffic_set(v, m, vis, n, (long)n);
  else
    view_traffic_set(v, m, vis, n, vt_cursor(v, m, vis, n) + (long)pages * h);
}

/* ---- the detail pane ----------------------------------------------------- */

void view_traffic_detail_open_tool(struct view* v) {
  view_traffic_detail_open(v, 0);
  v->detail_tool = true;
}

void view_traffic_detail_open(struct view* v, uint64_t seq) {
  v->detail_tool = false;
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

/* The filter in words, for the box's title. */
static void vt_filter_name(const struct view* v,
                           const struct model* m,
                           char* buf,
                           size_t cap) {
  const char* server = vt_server(v, m);
  bool errors = (v->traffic_filter & VIEW_TF_ERRORS) != 0;
  if (v->traffic_filter & VIEW_TF_SERVER)
    snprintf(buf, cap, "%s%s", server ? server : "?", errors ? ", errors" : "");
  else
    snprintf(buf, cap, "%s", errors ? "errors" : "all");
}

/* A column that keeps one blank column after its text, so that a cut
 * text never runs into the next column. */
static void vt_col(
    struct pen* p, const char* s, attr_t a, int cols, attr_t pad) {
  pen_col(p, s, a, cols - 1, pad);
  pen_col(p, "", pad, 1, pad);
}

static void view_traffic_draw_list(struct view* v, const struct model* m) {
  WINDOW* w = v->body;
  werase(w);
  int h = crt_box_rows(w) - 1; /* a header row */
  int W = getmaxx(w);
  static size_t vis[MODEL_TRAFFIC_MAX];
  size_t n = vt_visible(v, m, vis);
  char title[160], filter[100];
  vt_filter_name(v, m, filter, sizeof(filter));
  if (n == m->ntraffic)
    snprintf(title, sizeof(title), "Traffic (%zu) %s", m->ntraffic, filter);
  else
    snprintf(title, sizeof(title), "Traffic (%zu of %zu) %s", n, m->ntraffic,
             filter);
  crt_box(w, true, title, "Enter: details  f: filter  t: back",
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
  else if (n == 0)
    crt_text(w, 2, 2, W - 4, "(none match the filter: f for the next)",
             crt_colors[CRT_DIM]);
  long cur = vt_cursor(v, m, vis, n);
  v->traffic_top = tu_list_top(v->traffic_top, cur, h, n);
  int64_t now = tu_now_ms();
  for (int row = 0; row < h; row++) {
    size_t k = v->traffic_top + (size_t)row;
    if (k >= n)
      break;
    const struct model_traffic* t = &m->traffic[vis[k]];
    bool sel = (long)k == cur;
    attr_t base = sel ? crt_colors[CRT_SELECTED] : A_NORMAL;
    if (sel)
      crt_fill(w, 2 + row, 1, 1, base);
    struct pen p = {w, 2 + row, 1, W - 1};
    char buf[64], clock[16];
    pen_col(&p, sel ? crt_sym_pointer() : " ", base, 2, base);
    tu_fmt_clock(t->t, !narrow, clock, sizeof(clock));
    pen_col(&p, clock, sel ? base : crt_colors[CRT_LOG_TIME], wtime, base);
    if (show_backend)
      vt_col(&p, t->backend ? t->backend : "(gateway)", base, wserver, base);
    /* A server's request to the client is marked with an arrow back. */
    char method[300];
    snprintf(method, sizeof(method), "%s%s", t->from_server ? "<- " : "",
             t->method);
    vt_col(&p, method, base | A_BOLD, wmethod, base);
    vt_col(&p, t->tool ? t->tool : "", base, wtool, base);
    /* Running: the time so far, counting up (redrawn every second). */
    double ms = t->running ? (double)(now > t->t ? now - t->t : 0) : t->ms;
    snprintf(buf, sizeof(buf), narrow ? "%6.0f" : "%8.0f", ms);
    if (!t->running)
      snprintf(buf, sizeof(buf), narrow ? "%6.1f" : "%8.1f", ms);
    pen_col(&p, buf, base, wms, base);
    pen_put(&p, "  ", base);
    if (t->running) {
      pen_put(&p, "running", sel ? base | A_BOLD : crt_colors[CRT_LOG_WARN]);
    } else if (t->ok) {
      pen_put(&p, "ok", sel ? base : crt_colors[CRT_OK]);
    } else {
      pen_put(&p, "error", sel ? base | A_BOLD : crt_colors[CRT_FAIL]);
      if (t->error != NULL && t->error[0] != '\0') {
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
  long i = v->detail_tool ? -1 : model_find_traffic(m, v->detail_seq);
  bool have = !v->detail_pending && v->detail_error == NULL &&
              m->detail.valid && m->detail.seq == v->detail_seq &&
              m->detail.tool == v->detail_tool;
  if (v->detail_tool) {
    snprintf(title, sizeof(title), "%s",
             have && m->detail.title != NULL ? m->detail.title : "Tool");
  } else if (i >= 0) {
    const struct model_traffic* t = &m->traffic[i];
    snprintf(title, sizeof(title), "#%llu %s%s%s%s%s",
             (unsigned long long)t->seq, t->method, t->tool ? " " : "",
             t->tool ? t->tool : "", t->backend ? " on " : "",
             t->backend ? t->backend : "");
  } else {
    snprintf(title, sizeof(title), "#%llu", (unsigned long long)v->detail_seq);
  }
  size_t rows = have ? vt_detail_rows(v, m) : 0;
  char note[64] = "Esc: back";
  if (have && rows > (size_t)h)
    snprintf(
        note, sizeof(note), "%zu-%zu/%zu  Esc: back", v->detail_top + 1,
        v->detail_top + (size_t)h < rows ? v->detail_top + (size_t)h : rows,
        rows);
  crt_box(w, true, title, note, crt_colors[CRT_DIM]);
  if (v->detail_error != NULL) {
    struct pen p = {w, 1, 2, W - 2};
    pen_put(&p, "Not available: ", crt_colors[CRT_FAIL]);
    pen_put(&p, v->detail_error, A_NORMAL);
  } else if (!have) {
    crt_text(w, 1, 2, W - 4, "Asking the core...", crt_colors[CRT_DIM]);
  } else {
    /* Issue 15: long values wrap (two columns in) instead of being cut
     * at the border; detail_top counts rows. */
    int cols = vt_detail_width(v);
    size_t r = 0;
    int y = 1;
    for (size_t k = 0; k < m->detail.nlines && y <= h; k++) {
      const char* line = m->detail.lines[k];
      attr_t a =
          model_detail_heading(line) ? crt_colors[CRT_TITLE_FOCUS] : A_NORMAL;
      size_t off = 0;
      bool first = true;
      do {
        size_t n = vt_piece(line + off, first ? cols : cols - 2);
        if (r++ >= v->detail_top && y <= h) {
          char* piece = tu_strndup(line + off, n);
          crt_text(w, y++, first ? 2 : 4, first ? cols : cols - 2, piece, a);
          free(piece);
        }
        off += n;
        first = false;
      } while (line[off] != '\0');
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
