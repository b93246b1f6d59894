/* view_status.c - see view_status.h. */
#include "tui/view_status.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tui/pen.h"
#include "tui/tutil.h"

/* Keys and their meaning on the status line. */
struct view_status_key {
  const char* key;
  const char* what;
};

void view_status_draw(struct view* v) {
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
  static const struct view_status_key dash[] = {
      {"q", "Quit"},    {"?", "Help"},        {"\u2191\u2193", "Select"},
      {"r", "Restart"}, {"R", "Restart all"}, {"t", "Traffic"},
      {"/", "Search"},  {"Tab", "Focus"},     {"PgUp/PgDn", "Scroll"},
  };
  static const struct view_status_key traffic[] = {
      {"q", "Quit"},         {"?", "Help"},
      {"Enter", "Details"},  {"\u2191\u2193", "Move"},
      {"f", "Filter"},       {"t", "Back"},
      {"PgUp/PgDn", "Page"}, {"g/G", "First/Last"},
  };
  static const struct view_status_key detail[] = {
      {"Esc/q", "Back"},
      {"?", "Help"},
      {"\u2191\u2193", "Scroll"},
      {"PgUp/PgDn", "Page"},
  };
  static const struct view_status_key chooser[] = {
      {"\u2191\u2193", "Select"},
      {"Enter", "Attach"},
      {"r", "Look again"},
      {"q", "Quit"},
  };
  const struct view_status_key* keys = dash;
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

void view_status_draw_help(struct view* v) {
  static const char* const lines[] = {
      "\u2191 \u2193 j k      select a server (traffic: move)",
      "r R          restart the selected server, all",
      "x s          stop, start the selected server",
      "Tab          focus tools or log (j k: a tool)",
      "Enter        details of a tool or a traffic line",
      "PgUp PgDn    scroll the focused pane",
      "g G          top, bottom (G follows the log)",
      "/ n N        search the log, older, newer match",
      "t            traffic view (all servers)",
      "f            traffic filter: errors, one server",
      "e            mcpmon's own events (last row)",
      "Esc q        back from a detail view",
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
  v->helpwin = h > 0 && w > 0
                   ? newwin(h, w, (v->rows - h) / 2, (v->cols - w) / 2)
                   : NULL;
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
