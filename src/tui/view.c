/* view.c - see view.h. */
#include "tui/view.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/tutil.h"

/* ---- state --------------------------------------------------------------- */

void view_init(struct view* v) {
  memset(v, 0, sizeof(*v));
  v->sel = -1;
  v->focus = VIEW_FOCUS_LOG;
  v->log_follow = true;
  v->traffic_follow = true;
  v->dirty = VIEW_D_ALL;
}

static void view_drop_windows(struct view* v) {
  WINDOW** wins[] = {&v->header, &v->backends, &v->info,   &v->tools,
                     &v->log,    &v->body,     &v->status, &v->helpwin};
  for (size_t i = 0; i < TU_ARRAY_LEN(wins); i++) {
    if (*wins[i] != NULL)
      delwin(*wins[i]);
    *wins[i] = NULL;
  }
}

void view_free(struct view* v) {
  view_drop_windows(v);
  free(v->sel_name);
  free(v->search);
  free(v->detail_error);
  free(v->message);
  free(v->conn_note);
  free(v->path);
  ctl_instances_free(v->instances, v->ninstances);
  memset(v, 0, sizeof(*v));
}

void view_message(
    struct view* v, bool alert, int64_t ttl_ms, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  free(v->message);
  v->message = tu_malloc((size_t)(n < 0 ? 0 : n) + 1);
  v->message[0] = '\0';
  va_start(ap, fmt);
  vsnprintf(v->message, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
  va_end(ap);
  v->message_alert = alert;
  v->message_until = ttl_ms > 0 ? tu_now_ms() + ttl_ms : 0;
  v->dirty |= VIEW_D_STATUS;
}

bool view_tick(struct view* v, int64_t now_ms) {
  if (v->message != NULL && v->message_until != 0 &&
      now_ms >= v->message_until) {
    free(v->message);
    v->message = NULL;
    v->dirty |= VIEW_D_STATUS;
    return true;
  }
  return false;
}

/* The time uptimes are counted to: frozen while the core is away, as the
 * rest of its last state is. */
static int64_t view_now(const struct view* v) {
  return v->away_since != 0 ? v->away_since : tu_now_ms();
}

void view_set_conn_note(struct view* v, const char* note) {
  if (note == NULL)
    v->away_since = 0;
  else if (v->conn_note == NULL)
    v->away_since = tu_now_ms();
  free(v->conn_note);
  v->conn_note = note ? tu_strdup(note) : NULL;
  v->dirty |= VIEW_D_STATUS | VIEW_D_HEADER;
}

const char* view_selected_name(const struct view* v, const struct model* m) {
  if (v->sel < 0 || (size_t)v->sel >= m->nbackends)
    return NULL;
  return m->backends[v->sel].name;
}

static const struct model_backend* view_backend(const struct view* v,
                                                const struct model* m) {
  if (v->sel < 0 || (size_t)v->sel >= m->nbackends)
    return NULL;
  return &m->backends[v->sel];
}

/* Lines inside a boxed window (1 when it does not exist). */
static int view_inner(WINDOW* w) {
  if (w == NULL)
    return 1;
  int h = getmaxy(w) - 2;
  return h < 1 ? 1 : h;
}

/* Backend rows the layout gives room for. */
static int view_backend_rows(const struct view* v, size_t nbackends) {
  int maxb = (v->rows - 8) / 3;
  if (maxb < 1)
    maxb = 1;
  int n = nbackends < 1 ? 1 : (int)nbackends;
  return n > maxb ? maxb : n;
}

static void view_reset_backend_view(struct view* v) {
  v->tools_top = 0;
  v->log_follow = true;
  v->search_hit_valid = false;
}

static void view_set_sel(struct view* v, const struct model* m, int i) {
  if (m->nbackends == 0)
    i = -1;
  else if (i < 0)
    i = 0;
  else if ((size_t)i >= m->nbackends)
    i = (int)m->nbackends - 1;
  if (i != v->sel)
    view_reset_backend_view(v);
  v->sel = i;
  free(v->sel_name);
  v->sel_name = i >= 0 ? tu_strdup(m->backends[i].name) : NULL;
  v->dirty |=
      VIEW_D_BACKENDS | VIEW_D_INFO | VIEW_D_TOOLS | VIEW_D_LOG | VIEW_D_STATUS;
}

void view_select(struct view* v, const struct model* m, int delta) {
  view_set_sel(v, m, v->sel + delta);
}

void view_select_index(struct view* v, const struct model* m, int index) {
  view_set_sel(v, m, index);
}

void view_model_changed(struct view* v,
                        const struct model* m,
                        unsigned ch,
                        int backend) {
  if ((ch & MODEL_CH_ALL) == MODEL_CH_ALL) {
    int i = model_find_backend(m, v->sel_name);
    if (i < 0) {
      view_reset_backend_view(v);
      i = v->sel < 0 ? 0 : v->sel;
    }
    view_set_sel(v, m, i);
    if (view_backend_rows(v, m->nbackends) != v->layout_rows_backends)
      v->dirty |= VIEW_D_LAYOUT;
    v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
    return;
  }
  bool mine = backend >= 0 && backend == v->sel;
  if (ch & MODEL_CH_INSTANCE)
    v->dirty |= VIEW_D_HEADER;
  if (ch & MODEL_CH_BACKENDS)
    v->dirty |= VIEW_D_BACKENDS | VIEW_D_INFO;
  if ((ch & MODEL_CH_TOOLS) && mine)
    v->dirty |= VIEW_D_TOOLS;
  if ((ch & MODEL_CH_LOG) && mine)
    v->dirty |= VIEW_D_LOG;
  if ((ch & MODEL_CH_LISTCHANGED) && mine)
    v->dirty |= VIEW_D_INFO;
  if ((ch & MODEL_CH_TRAFFIC) && v->screen == VIEW_TRAFFIC)
    v->dirty |= VIEW_D_BODY;
  if ((ch & MODEL_CH_DETAIL) && m->detail.seq == v->detail_seq) {
    v->detail_pending = false;
    v->detail_top = 0;
    v->dirty |= VIEW_D_BODY;
  }
  if ((ch & MODEL_CH_GLOBAL_LOG) && m->global_log.count > 0) {
    const struct model_log_line* l =
        model_log_get(&m->global_log, model_log_end(&m->global_log) - 1);
    view_message(v, l->level <= MODEL_LV_WARN, 10000, "%s", l->text);
  }
}

void view_set_screen(struct view* v, enum view_screen s) {
  if (v->screen == VIEW_CHOOSER || s == VIEW_CHOOSER)
    v->dirty |= VIEW_D_LAYOUT;
  v->screen = s;
  v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
}

void view_toggle_focus(struct view* v) {
  if (v->tools == NULL) {
    v->focus = VIEW_FOCUS_LOG;
    return;
  }
  v->focus = v->focus == VIEW_FOCUS_LOG ? VIEW_FOCUS_TOOLS : VIEW_FOCUS_LOG;
  v->dirty |= VIEW_D_TOOLS | VIEW_D_LOG | VIEW_D_STATUS;
}

/* ---- scrolling ----------------------------------------------------------- */

/* First log line shown for a pane of h lines. */
static uint64_t view_log_top(const struct view* v,
                             const struct model_log* log,
                             int h) {
  uint64_t end = model_log_end(log);
  uint64_t bottom_top =
      end > log->first + (uint64_t)h ? end - (uint64_t)h : log->first;
  if (v->log_follow)
    return bottom_top;
  uint64_t top = v->log_top < log->first ? log->first : v->log_top;
  return top > bottom_top ? bottom_top : top;
}

static size_t view_tools_max_top(const struct model_backend* b, int h) {
  return b->ntools > (size_t)h ? b->ntools - (size_t)h : 0;
}

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

static void view_detail_set(struct view* v, const struct model* m, long top) {
  long h = view_inner(v->body);
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
    view_detail_set(v, m, (long)v->detail_top + delta);
  else
    view_traffic_set(v, m, view_traffic_index(v, m) + delta);
}

void view_scroll(struct view* v, const struct model* m, int pages) {
  if (v->screen == VIEW_TRAFFIC) {
    /* One line of the box is the column header. */
    int h = view_inner(v->body) - 1;
    if (h < 1)
      h = 1;
    if (pages == INT_MIN)
      view_traffic_set(v, m, 0);
    else if (pages == INT_MAX)
      view_traffic_set(v, m, (long)m->ntraffic);
    else
      view_traffic_set(v, m, view_traffic_index(v, m) + (long)pages * h);
    return;
  }
  if (v->screen == VIEW_DETAIL) {
    long h = view_inner(v->body);
    if (pages == INT_MIN)
      view_detail_set(v, m, 0);
    else if (pages == INT_MAX)
      view_detail_set(v, m, LONG_MAX / 2);
    else
      view_detail_set(v, m, (long)v->detail_top + pages * h);
    return;
  }
  const struct model_backend* b = view_backend(v, m);
  if (b == NULL)
    return;
  if (v->focus == VIEW_FOCUS_TOOLS && v->tools != NULL) {
    int h = view_inner(v->tools);
    size_t max = view_tools_max_top(b, h);
    long top = (long)v->tools_top;
    if (pages == INT_MIN)
      top = 0;
    else if (pages == INT_MAX)
      top = (long)max;
    else
      top += (long)pages * h;
    if (top < 0)
      top = 0;
    if ((size_t)top > max)
      top = (long)max;
    v->tools_top = (size_t)top;
    v->dirty |= VIEW_D_TOOLS;
    return;
  }
  int h = view_inner(v->log);
  const struct model_log* log = &b->log;
  uint64_t end = model_log_end(log);
  uint64_t bottom_top =
      end > log->first + (uint64_t)h ? end - (uint64_t)h : log->first;
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

/* Bring log line n into the middle of the pane. */
static void view_show_line(struct view* v,
                           const struct model_log* log,
                           uint64_t n) {
  int h = view_inner(v->log);
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

bool view_search_next(struct view* v, const struct model* m, bool older) {
  const struct model_backend* b = view_backend(v, m);
  if (b == NULL || v->search == NULL)
    return false;
  int h = view_inner(v->log);
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
  view_show_line(v, &b->log, hit);
  return true;
}

bool view_search(struct view* v, const struct model* m, const char* needle) {
  free(v->search);
  v->search = tu_strdup(needle);
  v->search_hit_valid = false;
  v->dirty |= VIEW_D_LOG;
  return view_search_next(v, m, true);
}

/* ---- layout -------------------------------------------------------------- */

void view_resize(struct view* v, int rows, int cols) {
  v->rows = rows;
  v->cols = cols;
  v->cleared = true;
  v->dirty |= VIEW_D_ALL;
}

static WINDOW* view_win(int h, int w, int y, int x) {
  if (h <= 0 || w <= 0)
    return NULL;
  return newwin(h, w, y, x);
}

static void view_layout(struct view* v, const struct model* m) {
  view_drop_windows(v);
  int R = v->rows, C = v->cols;
  v->too_small = R < 9 || C < 24;
  v->layout_rows_backends = view_backend_rows(v, m->nbackends);
  if (v->too_small)
    return;
  v->header = view_win(1, C, 0, 0);
  v->status = view_win(1, C, R - 1, 0);
  if (v->screen == VIEW_CHOOSER) {
    v->body = view_win(R - 2, C, 1, 0);
    return;
  }
  int hb = v->layout_rows_backends + 2;
  v->backends = view_win(hb, C, 1, 0);
  v->info = view_win(1, C, 1 + hb, 0);
  int y0 = 2 + hb;
  int hbody = R - 1 - y0;
  v->body = view_win(hbody, C, y0, 0);
  if (C >= 72) {
    int wt = C / 4;
    wt = wt < 20 ? 20 : wt > 36 ? 36 : wt;
    v->tools = view_win(hbody, wt, y0, 0);
    v->log = view_win(hbody, C - wt, y0, wt);
  } else if (hbody >= 9) {
    int ht = hbody / 3;
    v->tools = view_win(ht, C, y0, 0);
    v->log = view_win(hbody - ht, C, y0 + ht, 0);
  } else {
    v->log = view_win(hbody, C, y0, 0);
  }
  if (v->tools == NULL)
    v->focus = VIEW_FOCUS_LOG;
}

/* ---- drawing helpers ----------------------------------------------------- */

/* A cursor moving right along one row, never past `end`. */
struct pen {
  WINDOW* w;
  int y;
  int x;
  int end;
};

/* s, cut with an ellipsis when it does not fit. */
static void pen_put(struct pen* p, const char* s, attr_t a) {
  int room = p->end - p->x;
  if (room <= 0)
    return;
  if ((int)tu_strwidth(s) > room) {
    p->x += crt_text(p->w, p->y, p->x, room - 1, s, a);
    p->x +=
        crt_text(p->w, p->y, p->x, 1, crt_sym_ellipsis(), crt_colors[CRT_DIM]);
    p->end = p->x; /* nothing more on this row */
    return;
  }
  p->x += crt_text(p->w, p->y, p->x, room, s, a);
}

/* s in a column of width cols (cut, then padded with spaces in pad). */
static void pen_col(
    struct pen* p, const char* s, attr_t a, int cols, attr_t pad) {
  int start = p->x;
  int room = p->end - p->x;
  int w = cols < room ? cols : room;
  if (w >= 2 && (int)tu_strwidth(s) > w) {
    p->x += crt_text(p->w, p->y, p->x, w - 1, s, a);
    p->x +=
        crt_text(p->w, p->y, p->x, 1, crt_sym_ellipsis(), crt_colors[CRT_DIM]);
  } else {
    p->x += crt_text(p->w, p->y, p->x, w, s, a);
  }
  int stop = start + w;
  if (p->x < stop) {
    wattrset(p->w, pad);
    mvwhline(p->w, p->y, p->x, ' ', stop - p->x);
    wattrset(p->w, A_NORMAL);
    p->x = stop;
  }
}

static void view_clock(int64_t ms, bool millis, char* buf, size_t cap) {
  if (ms <= 0) {
    snprintf(buf, cap, "%s", millis ? "--:--:--.---" : "--:--:--");
    return;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  if (millis)
    snprintf(buf, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  else
    snprintf(buf, cap, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static attr_t view_state_attr(enum model_state s) {
  switch (s) {
    case MODEL_ST_READY:
      return crt_colors[CRT_STATE_READY];
    case MODEL_ST_STARTING:
    case MODEL_ST_INITIALIZING:
    case MODEL_ST_RESTARTING:
    case MODEL_ST_STOPPING:
      return crt_colors[CRT_STATE_BUSY];
    case MODEL_ST_CRASHED:
      return crt_colors[CRT_STATE_CRASHED];
    case MODEL_ST_WAITING:
      return crt_colors[CRT_STATE_WAITING];
    case MODEL_ST_UNKNOWN:
    case MODEL_ST_IDLE:
    case MODEL_ST_STOPPED:
      break;
  }
  return crt_colors[CRT_STATE_OFF];
}

/* ---- windows ------------------------------------------------------------- */

static void view_draw_header(struct view* v, const struct model* m) {
  WINDOW* w = v->header;
  attr_t a = crt_colors[CRT_HEADER];
  attr_t dim = crt_colors[CRT_HEADER_DIM];
  wbkgdset(w, ' ' | a);
  werase(w);
  struct pen p = {w, 0, 0, getmaxx(w)};
  char buf[256];
  snprintf(buf, sizeof(buf), " mcpmon %s",
           m->version ? m->version : MCPMON_VERSION);
  pen_put(&p, buf, a | A_BOLD);
  const char* dot = crt_sym_dot();
  if (v->screen == VIEW_CHOOSER) {
    snprintf(buf, sizeof(buf), "  %s  %zu running instances: choose one", dot,
             v->ninstances);
    pen_put(&p, buf, a);
  } else if (m->have_snapshot) {
    snprintf(buf, sizeof(buf), "  %s  ", dot);
    pen_put(&p, buf, dim);
    snprintf(buf, sizeof(buf), "pid %ld", m->pid);
    pen_put(&p, buf, a);
    snprintf(buf, sizeof(buf), "  %s  ", dot);
    pen_put(&p, buf, dim);
    pen_put(&p, m->mode ? m->mode : "?", a);
    if (m->started > 0) {
      char up[32];
      tu_fmt_duration(view_now(v) - m->started, up, sizeof(up));
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, dim);
      snprintf(buf, sizeof(buf), "up %s", up);
      pen_put(&p, buf, a);
    }
    const char* what = m->config ? m->config : m->command;
    if (what != NULL) {
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, dim);
      pen_put(&p, what, a);
    }
  } else {
    snprintf(buf, sizeof(buf), "  %s  connecting to ", dot);
    pen_put(&p, buf, a);
    pen_put(&p, v->path ? v->path : "?", a);
  }
  wbkgdset(w, ' ');
  wnoutrefresh(w);
}

static void view_draw_backends(struct view* v, const struct model* m) {
  WINDOW* w = v->backends;
  werase(w);
  int h = view_inner(w);
  int W = getmaxx(w);
  if (v->sel >= 0) {
    if (v->sel < v->backends_top)
      v->backends_top = v->sel;
    if (v->sel >= v->backends_top + h)
      v->backends_top = v->sel - h + 1;
  }
  if (v->backends_top > 0 && (size_t)(v->backends_top + h) > m->nbackends)
    v->backends_top = m->nbackends > (size_t)h ? (int)m->nbackends - h : 0;
  char title[64], note[64];
  snprintf(title, sizeof(title), "Servers (%zu)", m->nbackends);
  note[0] = '\0';
  if (m->nbackends > (size_t)h && v->sel >= 0)
    snprintf(note, sizeof(note), "%d/%zu", v->sel + 1, m->nbackends);
  crt_box(w, false, title, note[0] ? note : NULL, crt_colors[CRT_DIM]);
  if (m->nbackends == 0) {
    crt_text(w, 1, 2, W - 4,
             m->have_snapshot ? "(no servers)" : "(waiting for the core)",
             crt_colors[CRT_DIM]);
  }
  int namew = 6;
  for (size_t i = 0; i < m->nbackends; i++) {
    int nw = (int)tu_strwidth(m->backends[i].name);
    if (nw > namew)
      namew = nw;
  }
  if (namew > 24)
    namew = 24;
  int64_t now = view_now(v);
  /* Aligned columns when they fit: " ▶ name  state pid restarts up tools" */
  bool compact = W - 2 < 3 + namew + 1 + 2 + 14 + 12 + 13 + 11 + 9;
  for (int row = 0; row < h; row++) {
    size_t i = (size_t)(v->backends_top + row);
    if (i >= m->nbackends)
      break;
    const struct model_backend* b = &m->backends[i];
    bool sel = (int)i == v->sel;
    struct pen p = {w, 1 + row, 1, W - 1};
    attr_t sa = crt_colors[sel ? CRT_SELECTED : CRT_DEFAULT];
    char pid[32], restarts[32], up[48], tools[32];
    if (b->pid > 0)
      snprintf(pid, sizeof(pid), "pid %ld", b->pid);
    else
      snprintf(pid, sizeof(pid), "pid -");
    snprintf(restarts, sizeof(restarts), "restarts %ld", b->restarts);
    if (b->started > 0) {
      char d[32];
      tu_fmt_duration(now - b->started, d, sizeof(d));
      snprintf(up, sizeof(up), "up %s", d);
    } else {
      snprintf(up, sizeof(up), "up -");
    }
    snprintf(tools, sizeof(tools), "%zu tool%s", b->ntools,
             b->ntools == 1 ? "" : "s");
    const char* state = b->state_name ? b->state_name : "?";
    pen_put(&p, " ", A_NORMAL);
    pen_col(&p, sel ? crt_sym_pointer() : " ", sa, 2, sa);
    if (!compact) {
      pen_col(&p, b->name, sa | A_BOLD, namew + 1, sa);
      pen_put(&p, "  ", A_NORMAL);
      pen_col(&p, state, view_state_attr(b->state), 14, A_NORMAL);
      pen_col(&p, pid, A_NORMAL, 12, A_NORMAL);
      pen_col(&p, restarts, A_NORMAL, 13, A_NORMAL);
      pen_col(&p, up, A_NORMAL, 11, A_NORMAL);
      pen_put(&p, tools, A_NORMAL);
    } else {
      /* Narrow: no columns, the facts in order of importance. */
      pen_put(&p, b->name, sa | A_BOLD);
      const char* rest[] = {state, restarts, pid, up, tools};
      for (size_t k = 0; k < TU_ARRAY_LEN(rest); k++) {
        pen_put(&p, " ", A_NORMAL);
        pen_put(&p, rest[k], k == 0 ? view_state_attr(b->state) : A_NORMAL);
      }
    }
  }
  wnoutrefresh(w);
}

static void view_draw_info(struct view* v, const struct model* m) {
  WINDOW* w = v->info;
  werase(w);
  const struct model_backend* b = view_backend(v, m);
  struct pen p = {w, 0, 1, getmaxx(w) - 1};
  if (b != NULL) {
    char buf[128], clock[16];
    const char* dot = crt_sym_dot();
    pen_put(&p, "list_changed ", crt_colors[CRT_DIM]);
    if (b->lc_known) {
      view_clock(b->lc_sent, false, clock, sizeof(clock));
      snprintf(buf, sizeof(buf), "sent %s, ", clock);
      pen_put(&p, buf, A_NORMAL);
      pen_put(&p, "client re-listed: ", A_NORMAL);
      pen_put(&p, b->lc_relisted ? "yes" : "no",
              crt_colors[b->lc_relisted ? CRT_OK : CRT_LOG_WARN] | A_BOLD);
    } else {
      pen_put(&p, "not sent yet", A_NORMAL);
    }
    if (b->last_exit != NULL) {
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, crt_colors[CRT_DIM]);
      pen_put(&p, "last exit: ", crt_colors[CRT_DIM]);
      pen_put(&p, b->last_exit,
              b->state == MODEL_ST_CRASHED ? crt_colors[CRT_FAIL] : A_NORMAL);
    }
    if (b->nwatch > 0) {
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, crt_colors[CRT_DIM]);
      pen_put(&p, "watching ", crt_colors[CRT_DIM]);
      for (size_t i = 0; i < b->nwatch; i++) {
        if (i > 0)
          pen_put(&p, ", ", A_NORMAL);
        pen_put(&p, b->watch[i], A_NORMAL);
      }
    }
  }
  wnoutrefresh(w);
}

static void view_draw_tools(struct view* v, const struct model* m) {
  WINDOW* w = v->tools;
  werase(w);
  const struct model_backend* b = view_backend(v, m);
  int h = view_inner(w);
  int W = getmaxx(w);
  bool focus = v->focus == VIEW_FOCUS_TOOLS;
  char title[64], note[64];
  note[0] = '\0';
  snprintf(title, sizeof(title), "Tools (%zu)", b ? b->ntools : (size_t)0);
  if (b != NULL) {
    size_t max = view_tools_max_top(b, h);
    if (v->tools_top > max)
      v->tools_top = max;
    if (b->ntools > (size_t)h)
      snprintf(note, sizeof(note), "%zu-%zu", v->tools_top + 1,
               v->tools_top + (size_t)h);
  }
  crt_box(w, focus, title, note[0] ? note : NULL, crt_colors[CRT_DIM]);
  if (b != NULL && b->ntools == 0)
    crt_text(w, 1, 2, W - 4, "(none)", crt_colors[CRT_DIM]);
  for (int row = 0; b != NULL && row < h; row++) {
    size_t i = v->tools_top + (size_t)row;
    if (i >= b->ntools)
      break;
    struct pen p = {w, 1 + row, 2, W - 2};
    pen_put(&p, b->tools[i].name, A_BOLD);
    if (b->tools[i].description != NULL && p.end - p.x > 6) {
      pen_put(&p, "  ", A_NORMAL);
      pen_put(&p, b->tools[i].description, crt_colors[CRT_DIM]);
    }
  }
  wnoutrefresh(w);
}

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
static void view_put_marked(struct pen* p,
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

static void view_draw_log(struct view* v, const struct model* m) {
  WINDOW* w = v->log;
  werase(w);
  const struct model_backend* b = view_backend(v, m);
  int h = view_inner(w);
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
    view_clock(l->t, false, clock, sizeof(clock));
    bool hit = v->search_hit_valid && v->search_hit == top + (uint64_t)row;
    pen_put(&p, hit ? crt_sym_pointer() : " ",
            hit ? crt_colors[CRT_MARKER] : A_NORMAL);
    pen_put(&p, clock, crt_colors[CRT_LOG_TIME]);
    pen_put(&p, " ", A_NORMAL);
    attr_t a = view_log_attr(l);
    if (l->from_mcpmon)
      pen_put(&p, "mcpmon: ", a);
    view_put_marked(&p, l->text, v->search, a);
  }
  wnoutrefresh(w);
}

static void view_draw_traffic(struct view* v, const struct model* m) {
  WINDOW* w = v->body;
  werase(w);
  int h = view_inner(w) - 1; /* a header row */
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
  struct pen hp = {w, 1, 3, W - 2};
  attr_t ha = crt_colors[CRT_TITLE];
  pen_col(&hp, "TIME", ha, 14, A_NORMAL);
  if (show_backend)
    pen_col(&hp, "SERVER", ha, 14, A_NORMAL);
  pen_col(&hp, "METHOD", ha, 20, A_NORMAL);
  pen_col(&hp, "TOOL", ha, 18, A_NORMAL);
  pen_col(&hp, "      MS", ha, 10, A_NORMAL);
  pen_put(&hp, "  RESULT", ha);
  if (m->ntraffic == 0)
    crt_text(w, 2, 2, W - 4, "(no requests yet)", crt_colors[CRT_DIM]);
  long cur = view_traffic_index(v, m);
  if (cur >= 0) {
    if ((size_t)cur < v->traffic_top)
      v->traffic_top = (size_t)cur;
    if ((size_t)cur >= v->traffic_top + (size_t)h)
      v->traffic_top = (size_t)cur - (size_t)h + 1;
  }
  if (v->traffic_top + (size_t)h > m->ntraffic)
    v->traffic_top = m->ntraffic > (size_t)h ? m->ntraffic - (size_t)h : 0;
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
    view_clock(t->t, true, clock, sizeof(clock));
    pen_col(&p, clock, sel ? base : crt_colors[CRT_LOG_TIME], 14, base);
    if (show_backend)
      pen_col(&p, t->backend ? t->backend : "?", base, 14, base);
    pen_col(&p, t->method, base | A_BOLD, 20, base);
    pen_col(&p, t->tool ? t->tool : "", base, 18, base);
    snprintf(buf, sizeof(buf), "%8.1f", t->ms);
    pen_col(&p, buf, base, 10, base);
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

static void view_draw_detail(struct view* v, const struct model* m) {
  WINDOW* w = v->body;
  werase(w);
  int h = view_inner(w);
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

static void view_draw_chooser(struct view* v) {
  WINDOW* w = v->body;
  werase(w);
  int h = view_inner(w);
  int W = getmaxx(w);
  crt_box(w, true, "Running mcpmon instances", NULL, 0);
  int64_t now = tu_now_ms();
  if (v->ninstances == 0)
    crt_text(w, 1, 2, W - 4, "(none found; r to look again)",
             crt_colors[CRT_DIM]);
  int top = v->choose_sel >= h ? v->choose_sel - h + 1 : 0;
  for (int row = 0; row < h; row++) {
    size_t i = (size_t)(top + row);
    if (i >= v->ninstances)
      break;
    bool sel = (int)i == v->choose_sel;
    attr_t a = sel ? crt_colors[CRT_SELECTED] : A_NORMAL;
    if (sel)
      crt_fill(w, 1 + row, 1, 1, a);
    char line[2048];
    ctl_instance_describe(&v->instances[i], now, line, sizeof(line));
    struct pen p = {w, 1 + row, 1, W - 1};
    pen_put(&p, " ", a);
    pen_col(&p, sel ? crt_sym_pointer() : " ", a, 2, a);
    pen_put(&p, line, a);
  }
  wnoutrefresh(w);
}

/* Keys and their meaning on the status line. */
struct view_key {
  const char* key;
  const char* what;
};

static void view_draw_status(struct view* v) {
  WINDOW* w = v->status;
  attr_t a = crt_colors[CRT_STATUS];
  wbkgdset(w, ' ' | a);
  werase(w);
  struct pen p = {w, 0, 0, getmaxx(w)};
  if (v->prompting) {
    pen_put(&p, "Search log: ", crt_colors[CRT_STATUS_KEY]);
    char buf[VIEW_PROMPT_MAX * MB_LEN_MAX + 1];
    wcstombs(buf, v->prompt, sizeof(buf));
    buf[sizeof(buf) - 1] = '\0';
    pen_put(&p, buf, a);
    pen_put(&p, " ", a ^ A_REVERSE);
    pen_put(&p, "   Enter: search  Esc: cancel", a);
    wbkgdset(w, ' ');
    wnoutrefresh(w);
    return;
  }
  if (v->conn_note != NULL) {
    pen_put(&p, " ", crt_colors[CRT_STATUS_ALERT]);
    pen_put(&p, v->conn_note, crt_colors[CRT_STATUS_ALERT]);
    pen_put(&p, " ", crt_colors[CRT_STATUS_ALERT]);
  }
  if (v->message != NULL) {
    attr_t ma = v->message_alert ? crt_colors[CRT_STATUS_ALERT]
                                 : crt_colors[CRT_STATUS_KEY];
    pen_put(&p, " ", ma);
    pen_put(&p, v->message, ma);
    pen_put(&p, " ", ma);
  }
  /* Most useful first: what does not fit is left out whole. */
  static const struct view_key dash[] = {
      {"q", "Quit"},    {"?", "Help"},        {"\u2191\u2193", "Select"},
      {"r", "Restart"}, {"R", "Restart all"}, {"t", "Traffic"},
      {"/", "Search"},  {"Tab", "Focus"},     {"PgUp/PgDn", "Scroll"},
  };
  static const struct view_key traffic[] = {
      {"q", "Quit"},         {"?", "Help"},
      {"Enter", "Details"},  {"\u2191\u2193", "Move"},
      {"t", "Back"},         {"PgUp/PgDn", "Page"},
      {"g/G", "First/Last"},
  };
  static const struct view_key detail[] = {
      {"Esc/q", "Back"},
      {"?", "Help"},
      {"\u2191\u2193", "Scroll"},
      {"PgUp/PgDn", "Page"},
  };
  static const struct view_key chooser[] = {
      {"\u2191\u2193", "Select"},
      {"Enter", "Attach"},
      {"r", "Look again"},
      {"q", "Quit"},
  };
  const struct view_key* keys = dash;
  size_t n = TU_ARRAY_LEN(dash);
  if (v->screen == VIEW_TRAFFIC) {
    keys = traffic;
    n = TU_ARRAY_LEN(traffic);
  } else if (v->screen == VIEW_DETAIL) {
    keys = detail;
    n = TU_ARRAY_LEN(detail);
  } else if (v->screen == VIEW_CHOOSER) {
    keys = chooser;
    n = TU_ARRAY_LEN(chooser);
  }
  for (size_t i = 0; i < n; i++) {
    const char* k = keys[i].key;
    if (!crt_utf8 && strcmp(k, "\u2191\u2193") == 0)
      k = "Up/Dn";
    int need = 2 + (int)tu_strwidth(k) + 1 + (int)tu_strwidth(keys[i].what);
    if (p.x + need > p.end)
      break;
    pen_put(&p, "  ", a);
    pen_put(&p, k, crt_colors[CRT_STATUS_KEY]);
    pen_put(&p, " ", a);
    pen_put(&p, keys[i].what, a);
  }
  wbkgdset(w, ' ');
  wnoutrefresh(w);
}

static void view_draw_help(struct view* v) {
  static const char* const lines[] = {
      "\u2191 \u2193 j k      select a server (traffic: move)",
      "r            restart the selected server",
      "R            restart all servers",
      "Tab          focus tools or log",
      "PgUp PgDn    scroll the focused pane",
      "g G          top, bottom (G follows the log)",
      "/            search the log",
      "n N          next older, newer match",
      "t            traffic view (all servers)",
      "Enter        request and response of a line",
      "Esc q        back from the request view",
      "?            this help",
      "q            quit (mcpmon keeps running)",
      "",
      "Any key closes this help.",
  };
  int n = (int)TU_ARRAY_LEN(lines);
  int h = n + 2, w = 52;
  if (h > v->rows - 2)
    h = v->rows - 2;
  if (w > v->cols - 2)
    w = v->cols - 2;
  if (v->helpwin != NULL)
    delwin(v->helpwin);
  v->helpwin = view_win(h, w, (v->rows - h) / 2, (v->cols - w) / 2);
  if (v->helpwin == NULL)
    return;
  WINDOW* hw = v->helpwin;
  werase(hw);
  crt_box(hw, true, "Keys", NULL, 0);
  for (int i = 0; i < n && i < h - 2; i++) {
    const char* s = lines[i];
    if (!crt_utf8 && i == 0)
      s = "Up Dn j k    select a server (traffic: move)";
    crt_text(hw, 1 + i, 2, w - 4, s, A_NORMAL);
  }
  wnoutrefresh(hw);
}

void view_draw(struct view* v, const struct model* m) {
  if (v->dirty == 0)
    return;
  if (v->dirty & VIEW_D_LAYOUT) {
    view_layout(v, m);
    v->dirty = VIEW_D_ALL;
  }
  if (v->cleared) {
    v->cleared = false;
    werase(stdscr);
    wnoutrefresh(stdscr);
    clearok(curscr, TRUE);
  }
  if (v->too_small) {
    werase(stdscr);
    char buf[96];
    crt_text(stdscr, 0, 0, v->cols, "Terminal too small", A_BOLD);
    snprintf(buf, sizeof(buf), "%dx%d, need 24x9", v->cols, v->rows);
    crt_text(stdscr, 1, 0, v->cols, buf, A_NORMAL);
    crt_text(stdscr, 2, 0, v->cols, "q quits", A_NORMAL);
    wnoutrefresh(stdscr);
    v->dirty = 0;
    doupdate();
    return;
  }
  /* The help box covers parts of other windows: repaint them when it
   * goes away, and it after them while it is up. */
  if (!v->help && v->helpwin != NULL) {
    delwin(v->helpwin);
    v->helpwin = NULL;
    v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
  }
  unsigned d = v->dirty;
  v->dirty = 0;
  if (d & VIEW_D_HEADER)
    view_draw_header(v, m);
  if (v->screen == VIEW_CHOOSER) {
    if (d & VIEW_D_BODY)
      view_draw_chooser(v);
  } else {
    if (d & VIEW_D_BACKENDS)
      view_draw_backends(v, m);
    if (d & VIEW_D_INFO)
      view_draw_info(v, m);
    if (v->screen == VIEW_DASHBOARD) {
      if ((d & VIEW_D_TOOLS) && v->tools != NULL)
        view_draw_tools(v, m);
      if (d & VIEW_D_LOG)
        view_draw_log(v, m);
    } else if (d & VIEW_D_BODY) {
      if (v->screen == VIEW_TRAFFIC)
        view_draw_traffic(v, m);
      else
        view_draw_detail(v, m);
    }
  }
  if (d & VIEW_D_STATUS)
    view_draw_status(v);
  if (v->help && d != 0)
    view_draw_help(v);
  doupdate();
}
