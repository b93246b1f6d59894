/* view.c - see view.h. */
#include "tui/view.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/pen.h"
#include "tui/tutil.h"
#include "tui/view_log.h"
#include "tui/view_status.h"
#include "tui/view_traffic.h"

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
  free(v->message);
  va_list ap;
  va_start(ap, fmt);
  v->message = tu_vasprintf(fmt, ap);
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

const struct model_backend* view_selected(const struct view* v,
                                          const struct model* m) {
  if (v->sel >= 0 && (size_t)v->sel == m->nbackends && m->have_snapshot)
    return &m->events;
  if (v->sel < 0 || (size_t)v->sel >= m->nbackends)
    return NULL;
  return &m->backends[v->sel];
}

const char* view_selected_name(const struct view* v, const struct model* m) {
  if (v->sel < 0 || (size_t)v->sel >= m->nbackends)
    return NULL;
  return m->backends[v->sel].name;
}

/* Rows of the servers list: every backend, then the events row. */
static size_t view_list_rows(const struct model* m) {
  return m->have_snapshot ? m->nbackends + 1 : m->nbackends;
}

/* Backend rows the layout gives room for. */
static int view_backend_rows(const struct view* v, size_t nbackends) {
  int maxb = (v->rows - 8) / 3;
  if (maxb < 1)
    maxb = 1;
  int n = (int)nbackends + 1; /* and the events row */
  return n > maxb ? maxb : n;
}

static void view_reset_backend_view(struct view* v) {
  v->tools_top = 0;
  v->tool_sel = 0;
  v->log_follow = true;
  v->search_hit_valid = false;
}

static void view_set_sel(struct view* v, const struct model* m, int i) {
  size_t rows = view_list_rows(m);
  if (rows == 0)
    i = -1;
  else if (i < 0)
    i = 0;
  else if ((size_t)i >= rows)
    i = (int)rows - 1;
  if (i != v->sel)
    view_reset_backend_view(v);
  v->sel = i;
  v->sel_events = i >= 0 && (size_t)i == m->nbackends;
  free(v->sel_name);
  v->sel_name =
      i >= 0 && !v->sel_events ? tu_strdup(m->backends[i].name) : NULL;
  v->dirty |=
      VIEW_D_BACKENDS | VIEW_D_INFO | VIEW_D_TOOLS | VIEW_D_LOG | VIEW_D_STATUS;
}

void view_select(struct view* v, const struct model* m, int delta) {
  view_set_sel(v, m, v->sel + delta);
}

void view_select_index(struct view* v, const struct model* m, int index) {
  view_set_sel(v, m, index);
}

void view_select_events(struct view* v, const struct model* m) {
  view_set_sel(v, m, (int)m->nbackends);
}

void view_model_changed(struct view* v,
                        const struct model* m,
                        unsigned ch,
                        int backend) {
  if ((ch & MODEL_CH_ALL) == MODEL_CH_ALL) {
    int i =
        v->sel_events ? (int)m->nbackends : model_find_backend(m, v->sel_name);
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
  if ((ch & MODEL_CH_GLOBAL_LOG) && m->events.log.count > 0) {
    const struct model_log_line* l =
        model_log_get(&m->events.log, model_log_end(&m->events.log) - 1);
    /* Warnings and errors reach the status line too; the info lines
     * (config reloads, list_changed sent) stay in the events pane, not
     * over the answer to what the user just did. */
    if (l->level <= MODEL_LV_WARN)
      view_message(v, true, 10000, "%s%s", l->text,
                   v->sel_events ? "" : "  (e: events)");
    v->dirty |= VIEW_D_BACKENDS | (v->sel_events ? VIEW_D_LOG : 0);
  }
}

void view_set_screen(struct view* v, enum view_screen s) {
  if (v->screen == VIEW_CHOOSER || s == VIEW_CHOOSER)
    v->dirty |= VIEW_D_LAYOUT;
  v->screen = s;
  v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
}

void view_tool_move(struct view* v, const struct model* m, int delta) {
  const struct model_backend* b = view_selected(v, m);
  if (b == NULL || b->ntools == 0)
    return;
  long i = (long)v->tool_sel + delta;
  if (i < 0)
    i = 0;
  if ((size_t)i >= b->ntools)
    i = (long)b->ntools - 1;
  v->tool_sel = (size_t)i;
  int h = crt_box_rows(v->tools);
  if (v->tool_sel < v->tools_top)
    v->tools_top = v->tool_sel;
  else if (h > 0 && v->tool_sel >= v->tools_top + (size_t)h)
    v->tools_top = v->tool_sel - (size_t)h + 1;
  v->dirty |= VIEW_D_TOOLS;
}

const char* view_selected_tool(const struct view* v, const struct model* m) {
  const struct model_backend* b = view_selected(v, m);
  if (b == NULL || v->sel_events || v->tool_sel >= b->ntools)
    return NULL;
  return b->tools[v->tool_sel].name;
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

static size_t view_tools_max_top(const struct model_backend* b, int h) {
  return b->ntools > (size_t)h ? b->ntools - (size_t)h : 0;
}

static void view_tools_scroll(struct view* v,
                              const struct model_backend* b,
                              int pages) {
  int h = crt_box_rows(v->tools);
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
}

void view_scroll(struct view* v, const struct model* m, int pages) {
  if (v->screen == VIEW_TRAFFIC || v->screen == VIEW_DETAIL) {
    view_traffic_scroll(v, m, pages);
    return;
  }
  const struct model_backend* b = view_selected(v, m);
  if (b == NULL)
    return;
  if (v->focus == VIEW_FOCUS_TOOLS && v->tools != NULL)
    view_tools_scroll(v, b, pages);
  else
    view_log_scroll(v, b, pages);
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
    /* Log lines wrap, tool descriptions are cut: the tools get 30 %. */
    int wt = C * 3 / 10;
    wt = wt < 20 ? 20 : wt > 48 ? 48 : wt;
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

static attr_t view_state_attr(const struct model_backend* b) {
  if (b->reloading != NULL && b->state == MODEL_ST_READY)
    return crt_colors[CRT_STATE_BUSY];
  if (model_backend_failed(b))
    return crt_colors[CRT_STATE_CRASHED]; /* issue 15: waiting too */
  switch (b->state) {
    case MODEL_ST_READY:
      return crt_colors[CRT_STATE_READY];
    case MODEL_ST_STARTING:
    case MODEL_ST_INITIALIZING:
    case MODEL_ST_RESTARTING:
    case MODEL_ST_STOPPING:
      return crt_colors[CRT_STATE_BUSY];
    case MODEL_ST_CRASHED:
    case MODEL_ST_WAITING:
      return crt_colors[CRT_STATE_CRASHED];
    case MODEL_ST_STOPPED:
      return crt_colors[CRT_DEFAULT]; /* on purpose; not dim, not red */
    case MODEL_ST_UNKNOWN:
    case MODEL_ST_IDLE:
    case MODEL_ST_DISABLED:
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

/* The last row of the list: mcpmon's own events, how many warnings and
 * errors, and the newest (issue 15 defect 3). */
static void view_draw_events_row(struct view* v,
                                 const struct model* m,
                                 int y,
                                 int namew) {
  WINDOW* w = v->backends;
  bool sel = v->sel_events;
  attr_t sa = crt_colors[sel ? CRT_SELECTED : CRT_DEFAULT];
  const struct model_log* log = &m->events.log;
  size_t nerr = 0, nwarn = 0;
  for (uint64_t n = log->first; n < model_log_end(log); n++) {
    const struct model_log_line* l = model_log_get(log, n);
    if (l->level == MODEL_LV_ERROR)
      nerr++;
    else if (l->level == MODEL_LV_WARN)
      nwarn++;
  }
  struct pen p = {w, y, 1, getmaxx(w) - 1};
  pen_put(&p, " ", A_NORMAL);
  pen_col(&p, sel ? crt_sym_pointer() : " ", sa, 2, sa);
  pen_col(&p, m->nbackends == 0 ? "(no servers) events" : "events",
          sa | crt_colors[CRT_DIM], namew + 1, sa);
  pen_put(&p, "  ", A_NORMAL);
  char buf[96];
  if (nerr + nwarn == 0) {
    snprintf(buf, sizeof(buf), "%zu from mcpmon, no warnings",
             (size_t)log->count);
    pen_put(&p, buf, crt_colors[CRT_DIM]);
  } else {
    snprintf(buf, sizeof(buf), "%zu error%s", nerr, nerr == 1 ? "" : "s");
    pen_put(&p, buf, nerr > 0 ? crt_colors[CRT_FAIL] | A_BOLD : A_NORMAL);
    snprintf(buf, sizeof(buf), ", %zu warning%s", nwarn, nwarn == 1 ? "" : "s");
    pen_put(&p, buf, nwarn > 0 ? crt_colors[CRT_LOG_WARN] : A_NORMAL);
  }
  if (log->count > 0) {
    const struct model_log_line* l = model_log_get(log, model_log_end(log) - 1);
    char clock[16];
    tu_fmt_clock(l->t, false, clock, sizeof(clock));
    snprintf(buf, sizeof(buf), "  %s  %s ", crt_sym_dot(), clock);
    pen_put(&p, buf, crt_colors[CRT_DIM]);
    pen_put(&p, l->text,
            l->level <= MODEL_LV_WARN ? crt_colors[CRT_FAIL] : A_NORMAL);
  }
}

static void view_draw_backends(struct view* v, const struct model* m) {
  WINDOW* w = v->backends;
  werase(w);
  int h = crt_box_rows(w);
  int W = getmaxx(w);
  v->backends_top =
      (int)tu_list_top((size_t)v->backends_top, v->sel, h, view_list_rows(m));
  char title[64], note[64];
  snprintf(title, sizeof(title), "Servers (%zu)", m->nbackends);
  note[0] = '\0';
  if (view_list_rows(m) > (size_t)h && v->sel >= 0 && !v->sel_events)
    snprintf(note, sizeof(note), "%d/%zu", v->sel + 1, m->nbackends);
  crt_box(w, false, title, note[0] ? note : NULL, crt_colors[CRT_DIM]);
  if (!m->have_snapshot)
    crt_text(w, 1, 2, W - 4, "(waiting for the core)", crt_colors[CRT_DIM]);
  int namew = 6;
  for (size_t i = 0; i < m->nbackends; i++) {
    int nw = (int)tu_strwidth(m->backends[i].name);
    if (nw > namew)
      namew = nw;
  }
  if (namew > 24)
    namew = 24;
  int64_t now = view_now(v);
  /* Aligned columns when they fit:
   * " ▶ name  state pid restarts crashes up tools" */
  bool compact = W - 2 < 3 + namew + 1 + 2 + 14 + 12 + 13 + 12 + 11 + 9;
  for (int row = 0; row < h; row++) {
    size_t i = (size_t)(v->backends_top + row);
    if (i == m->nbackends && m->have_snapshot) {
      view_draw_events_row(v, m, 1 + row, namew);
      break;
    }
    if (i >= m->nbackends)
      break;
    const struct model_backend* b = &m->backends[i];
    bool sel = (int)i == v->sel;
    struct pen p = {w, 1 + row, 1, W - 1};
    attr_t sa = crt_colors[sel ? CRT_SELECTED : CRT_DEFAULT];
    /* Issue 15: a disabled server's whole row is dim. */
    attr_t na = sa | (b->state == MODEL_ST_DISABLED ? A_DIM : A_BOLD);
    char pid[32], restarts[32], crashes[32], up[48], tools[32];
    if (b->pid > 0)
      snprintf(pid, sizeof(pid), "pid %ld", b->pid);
    else
      snprintf(pid, sizeof(pid), "pid -");
    snprintf(restarts, sizeof(restarts), "restarts %ld", b->restarts);
    snprintf(crashes, sizeof(crashes), "crashes %ld", b->crashes);
    attr_t ca = b->crashes > 0 ? crt_colors[CRT_FAIL] : A_NORMAL;
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
    /* Issue 15: an overlap reload keeps the state ready; say it runs. */
    bool reloading = b->reloading != NULL && b->state == MODEL_ST_READY;
    if (reloading)
      state = "reloading";
    pen_put(&p, " ", A_NORMAL);
    pen_col(&p, sel ? crt_sym_pointer() : " ", sa, 2, sa);
    if (!compact) {
      pen_col(&p, b->name, na, namew + 1, sa);
      pen_put(&p, "  ", A_NORMAL);
      pen_col(&p, state, view_state_attr(b), 14, A_NORMAL);
      pen_col(&p, pid, A_NORMAL, 12, A_NORMAL);
      pen_col(&p, restarts, A_NORMAL, 13, A_NORMAL);
      pen_col(&p, crashes, ca, 12, A_NORMAL);
      pen_col(&p, up, A_NORMAL, 11, A_NORMAL);
      pen_put(&p, tools, A_NORMAL);
    } else {
      /* Narrow: no columns, the facts in order of importance. */
      pen_put(&p, b->name, na);
      const char* rest[] = {state, restarts, crashes, pid, up, tools};
      for (size_t k = 0; k < TU_ARRAY_LEN(rest); k++) {
        pen_put(&p, " ", A_NORMAL);
        pen_put(&p, rest[k],
                k == 0   ? view_state_attr(b)
                : k == 2 ? ca
                         : A_NORMAL);
      }
    }
  }
  wnoutrefresh(w);
}

static void view_draw_info(struct view* v, const struct model* m) {
  WINDOW* w = v->info;
  werase(w);
  const struct model_backend* b = view_selected(v, m);
  struct pen p = {w, 0, 1, getmaxx(w) - 1};
  if (v->sel_events) {
    pen_put(&p,
            "mcpmon's own events: config errors in full, reload failures, "
            "watcher errors, config reloads",
            crt_colors[CRT_DIM]);
  } else if (b != NULL) {
    char buf[128], clock[16];
    const char* dot = crt_sym_dot();
    pen_put(&p, "list_changed ", crt_colors[CRT_DIM]);
    if (b->lc_known) {
      tu_fmt_clock(b->lc_sent, false, clock, sizeof(clock));
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
              model_backend_failed(b) ? crt_colors[CRT_FAIL] : A_NORMAL);
    }
    if (b->reloading != NULL) {
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, crt_colors[CRT_DIM]);
      pen_put(&p, "reload: ", crt_colors[CRT_DIM]);
      pen_put(&p, b->reloading, crt_colors[CRT_STATE_BUSY] | A_BOLD);
      pen_put(&p, " (the old server serves meanwhile)", A_NORMAL);
    } else if (b->reload_outcome != NULL) {
      /* Issue 14: a failed reload leaves the old server serving; say so
       * where the user looks. */
      bool ok = strcmp(b->reload_outcome, "ok") == 0;
      snprintf(buf, sizeof(buf), "  %s  ", dot);
      pen_put(&p, buf, crt_colors[CRT_DIM]);
      pen_put(&p, "last reload: ", crt_colors[CRT_DIM]);
      pen_put(&p, b->reload_outcome,
              ok ? A_NORMAL : crt_colors[CRT_FAIL] | A_BOLD);
      if (!ok && b->reload_message != NULL) {
        pen_put(&p, ": ", A_NORMAL);
        pen_put(&p, b->reload_message, crt_colors[CRT_FAIL]);
        pen_put(&p, " (the old server still serves)", A_NORMAL);
      }
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
  const struct model_backend* b = view_selected(v, m);
  int h = crt_box_rows(w);
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
  if (v->sel_events)
    crt_text(w, 1, 2, W - 4, "(no tools: events)", crt_colors[CRT_DIM]);
  else if (b != NULL && b->ntools == 0)
    crt_text(w, 1, 2, W - 4, "(none)", crt_colors[CRT_DIM]);
  for (int row = 0; b != NULL && row < h; row++) {
    size_t i = v->tools_top + (size_t)row;
    if (i >= b->ntools)
      break;
    /* Issue 15: with the focus here, a cursor; Enter shows the tool. */
    bool cur = focus && i == v->tool_sel;
    attr_t ca = cur ? crt_colors[CRT_SELECTED] : A_NORMAL;
    if (cur)
      crt_fill(w, 1 + row, 1, 1, ca);
    struct pen p = {w, 1 + row, 2, W - 2};
    pen_put(&p, b->tools[i].name, ca | A_BOLD);
    if (b->tools[i].description != NULL && p.end - p.x > 6) {
      pen_put(&p, "  ", A_NORMAL);
      pen_put(&p, b->tools[i].description, crt_colors[CRT_DIM]);
    }
  }
  wnoutrefresh(w);
}

static void view_draw_chooser(struct view* v) {
  WINDOW* w = v->body;
  werase(w);
  int h = crt_box_rows(w);
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
        view_log_draw(v, view_selected(v, m));
    } else if (d & VIEW_D_BODY) {
      view_traffic_draw(v, m);
    }
  }
  if (d & VIEW_D_STATUS)
    view_status_draw(v);
  if (v->help && d != 0)
    view_status_draw_help(v);
  doupdate();
}
