/* keys.c - see keys.h. */
#include "tui/keys.h"

#include <limits.h>
#include <stdlib.h>
#include <wctype.h>

#include "tui/crt.h"
#include "tui/view_log.h"
#include "tui/view_traffic.h"

/* A key while the search prompt is up: edit it, search on Enter. */
static void keys_prompt(struct view* v,
                        const struct model* m,
                        int is_key,
                        wint_t ch) {
  v->dirty |= VIEW_D_STATUS;
  if (!is_key && ch == 27) {
    v->prompting = false;
    return;
  }
  if ((!is_key && (ch == L'\r' || ch == L'\n')) ||
      (is_key && ch == KEY_ENTER)) {
    v->prompting = false;
    if (v->prompt_len == 0)
      return;
    char buf[VIEW_PROMPT_MAX * MB_LEN_MAX + 1];
    size_t n = wcstombs(buf, v->prompt, sizeof(buf) - 1);
    if (n == (size_t)-1)
      return;
    buf[n] = '\0';
    if (!view_log_search(v, view_selected(v, m), buf))
      view_message(v, true, 4000, "Not found: %s", buf);
    return;
  }
  if ((is_key && ch == KEY_BACKSPACE) || (!is_key && (ch == 127 || ch == 8))) {
    if (v->prompt_len > 0)
      v->prompt[--v->prompt_len] = L'\0';
    return;
  }
  if (!is_key && ch >= 32 && ch != 127 && iswprint(ch) &&
      v->prompt_len < VIEW_PROMPT_MAX) {
    v->prompt[v->prompt_len++] = (wchar_t)ch;
    v->prompt[v->prompt_len] = L'\0';
  }
}

/* The chooser: pick one of several running instances. */
static enum keys_action keys_chooser(struct view* v, int key, wint_t c) {
  enum keys_action act = KEYS_NONE;
  if (key == KEY_UP || c == L'k') {
    if (v->choose_sel > 0)
      v->choose_sel--;
  } else if (key == KEY_DOWN || c == L'j') {
    if (v->choose_sel + 1 < (int)v->ninstances)
      v->choose_sel++;
  } else if (key == KEY_ENTER || c == L'\r' || c == L'\n') {
    act = KEYS_CHOOSE;
  } else if (c == L'r') {
    act = KEYS_RESCAN;
  } else if (c == L'q' || c == 27) {
    act = KEYS_QUIT;
  }
  v->dirty |= VIEW_D_BODY;
  return act;
}

/* PgUp, PgDn, g/Home and G/End, on every screen but the chooser. False
 * for other keys. */
static bool keys_scroll(struct view* v,
                        const struct model* m,
                        int key,
                        wint_t c) {
  if (key == KEY_PPAGE)
    view_scroll(v, m, -1);
  else if (key == KEY_NPAGE)
    view_scroll(v, m, 1);
  else if (c == L'g' || key == KEY_HOME)
    view_scroll(v, m, INT_MIN);
  else if (c == L'G' || key == KEY_END)
    view_scroll(v, m, INT_MAX);
  else
    return false;
  return true;
}

/* The detail pane: one request and its response. */
static void keys_detail(struct view* v,
                        const struct model* m,
                        int key,
                        wint_t c) {
  if (c == 27 || c == L'q' || key == KEY_BACKSPACE || c == 127 ||
      key == KEY_LEFT)
    view_set_screen(v, v->detail_tool ? VIEW_DASHBOARD : VIEW_TRAFFIC);
  else if (c == L't')
    view_set_screen(v, VIEW_DASHBOARD);
  else if (key == KEY_UP || c == L'k')
    view_traffic_move(v, m, -1);
  else if (key == KEY_DOWN || c == L'j')
    view_traffic_move(v, m, 1);
  else if (c == L' ')
    view_scroll(v, m, 1);
  else
    keys_scroll(v, m, key, c);
}

/* The traffic list. */
static enum keys_action keys_traffic(struct view* v,
                                     const struct model* m,
                                     int key,
                                     wint_t c) {
  if (key == KEY_UP || c == L'k')
    view_traffic_move(v, m, -1);
  else if (key == KEY_DOWN || c == L'j')
    view_traffic_move(v, m, 1);
  else if (key == KEY_ENTER || c == L'\r' || c == L'\n')
    return KEYS_DETAIL;
  else if (c == L'f')
    view_traffic_cycle_filter(v, m);
  else if (c == L't' || c == 27)
    view_set_screen(v, VIEW_DASHBOARD);
  return KEYS_NONE;
}

/* The dashboard: backends, tools and log. */
static enum keys_action keys_dashboard(struct view* v,
                                       const struct model* m,
                                       int key,
                                       wint_t c) {
  bool tools = v->focus == VIEW_FOCUS_TOOLS && v->tools != NULL;
  if (key == KEY_UP || c == L'k') {
    if (tools)
      view_tool_move(v, m, -1);
    else
      view_select(v, m, -1);
  } else if (key == KEY_DOWN || c == L'j') {
    if (tools)
      view_tool_move(v, m, 1);
    else
      view_select(v, m, 1);
  } else if (tools && (key == KEY_ENTER || c == L'\r' || c == L'\n')) {
    return KEYS_TOOL_DETAIL;
  } else if (c == L'\t' || key == KEY_BTAB) {
    view_toggle_focus(v);
  } else if (c == L'/') {
    v->prompting = true;
    v->prompt_len = 0;
    v->prompt[0] = L'\0';
    v->dirty |= VIEW_D_STATUS;
  } else if (c == L'n' || c == L'N') {
    if (v->search == NULL)
      view_message(v, false, 3000, "No search yet: / to search the log");
    else if (!view_log_search_next(v, view_selected(v, m), c == L'n'))
      view_message(v, false, 3000, "No %s match for: %s",
                   c == L'n' ? "older" : "newer", v->search);
  } else if (c == L't') {
    v->traffic_follow = true;
    view_set_screen(v, VIEW_TRAFFIC);
  } else if (c == L'e') {
    view_select_events(v, m);
  }
  return KEYS_NONE;
}

enum keys_action keys_handle(struct view* v,
                             const struct model* m,
                             int is_key,
                             wint_t ch) {
  if (is_key && ch == KEY_RESIZE) {
    view_resize(v, LINES, COLS);
    return KEYS_NONE;
  }
  if (v->help) {
    v->help = false;
    v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
    return KEYS_NONE;
  }
  if (v->prompting) {
    keys_prompt(v, m, is_key, ch);
    return KEYS_NONE;
  }
  int key = is_key ? (int)ch : 0;
  wint_t c = is_key ? 0 : ch;
  if (c == 12) { /* Ctrl-L */
    v->cleared = true;
    v->dirty |= VIEW_D_ALL & ~VIEW_D_LAYOUT;
    return KEYS_NONE;
  }
  if (v->screen == VIEW_CHOOSER)
    return keys_chooser(v, key, c);
  if (c == L'?') {
    v->help = true;
    v->dirty |= VIEW_D_STATUS;
    return KEYS_NONE;
  }
  if (v->screen == VIEW_DETAIL) {
    keys_detail(v, m, key, c);
    return KEYS_NONE;
  }
  if (c == L'q')
    return KEYS_QUIT;
  if (c == L'r')
    return KEYS_RESTART;
  if (c == L'R')
    return KEYS_RESTART_ALL;
  if (c == L'x')
    return KEYS_STOP;
  if (c == L's')
    return KEYS_START;
  if (keys_scroll(v, m, key, c))
    return KEYS_NONE;
  if (v->screen == VIEW_TRAFFIC)
    return keys_traffic(v, m, key, c);
  return keys_dashboard(v, m, key, c);
}
