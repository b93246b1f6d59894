/* view.h - what the dashboard shows and where: the layout of windows, the
 * user's place in it (selection, focus, scroll positions, search) and the
 * drawing of a model into it.
 *
 * Handlers change the view's state and set dirty bits; view_draw, run once
 * per loop turn, repaints only dirty windows (wnoutrefresh) and ends with
 * one doupdate. The view reads the model and never changes it.
 *
 * view.c holds the state, the layout, the header, the backends list, its
 * info line, the tools pane and the chooser; the log pane (view_log.h),
 * the traffic and detail screens (view_traffic.h) and the status line
 * with the help box (view_status.h) are drawn by their own files. Calls
 * run one way: view.c calls down into those files, which read and change
 * the struct view below but call nothing of view.c; what they need of it
 * (the selected backend) comes in as an argument, and what both sides
 * draw with lives lower still (pen.h, crt.h, tutil.h).
 */
#ifndef MCPMON_TUI_VIEW_H
#define MCPMON_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "tui/crt.h"
#include "tui/ctlclient.h"
#include "tui/model.h"

enum view_screen {
  VIEW_DASHBOARD, /* backends, tools, log */
  VIEW_TRAFFIC,   /* backends, traffic of all backends */
  VIEW_DETAIL,    /* one traffic entry's request and response */
  VIEW_CHOOSER,   /* pick one of several running instances */
};

enum view_focus {
  VIEW_FOCUS_TOOLS,
  VIEW_FOCUS_LOG,
};

/* Dirty bits: which windows to repaint. */
enum {
  VIEW_D_HEADER = 1 << 0,
  VIEW_D_BACKENDS = 1 << 1,
  VIEW_D_INFO = 1 << 2,
  VIEW_D_TOOLS = 1 << 3,
  VIEW_D_LOG = 1 << 4,
  VIEW_D_BODY = 1 << 5, /* traffic, detail or chooser */
  VIEW_D_STATUS = 1 << 6,
  VIEW_D_LAYOUT = 1 << 7, /* windows re-made, screen cleared */
  VIEW_D_ALL = 0xff,
};

#define VIEW_PROMPT_MAX 120

/* The traffic list's filters: failed entries only; the selected
 * server's only. */
enum {
  VIEW_TF_ERRORS = 1u << 0,
  VIEW_TF_SERVER = 1u << 1,
};

struct view {
  /* Windows, owned, made by the layout (NULL before, or when the screen
   * is too small for them). */
  WINDOW* header;
  WINDOW* backends;
  WINDOW* info;
  WINDOW* tools;
  WINDOW* log;
  WINDOW* body;
  WINDOW* status;
  WINDOW* helpwin; /* the help box while it is up */
  int rows;
  int cols;
  bool too_small;
  int layout_rows_backends; /* backend rows the layout was made for */
  bool cleared;             /* the next draw repaints the whole screen */
  unsigned dirty;

  enum view_screen screen;
  bool help;       /* the help box is up */
  int sel;         /* selected row: a backend, or m->nbackends for the
                      events row (issue 15); -1 when none */
  char* sel_name;  /* owned; keeps the selection across snapshots */
  bool sel_events; /* the events row is selected */
  int backends_top;
  enum view_focus focus;
  size_t tools_top;
  size_t tool_sel; /* the tool under the cursor while tools have focus */

  /* The log pane (view_log.c). */
  bool log_follow;  /* showing the newest lines */
  uint64_t log_top; /* first line shown when not following */
  char* search;     /* owned, NULL when none */
  bool search_hit_valid;
  uint64_t search_hit;

  /* The traffic and detail screens (view_traffic.c). */
  bool traffic_follow;  /* cursor on the newest entry */
  uint64_t traffic_seq; /* cursor, when not following */
  size_t traffic_top;
  unsigned traffic_filter; /* VIEW_TF_* bits, cycled by f (issue 15) */

  size_t detail_top;   /* in rows as wrapped to the pane's width */
  bool detail_tool;    /* showing a tool's definition (issue 15): back
                          goes to the dashboard, not the traffic list */
  bool detail_pending; /* asked the core, no answer yet */
  uint64_t detail_seq;
  char* detail_error; /* owned; the core refused */

  /* The status line (view_status.c) and its search prompt (keys.c). */
  bool prompting; /* typing a search */
  wchar_t prompt[VIEW_PROMPT_MAX + 1];
  size_t prompt_len;

  char* message; /* owned; shown on the status line */
  bool message_alert;
  int64_t message_until; /* tu_now_ms() time to clear it, 0: keep */
  char* conn_note;       /* owned; non-NULL while the core is away */
  int64_t away_since;    /* when it went away (uptimes stop), 0: here */
  char* path;            /* owned; the socket shown while connecting */

  struct ctl_instance* instances; /* chooser, owned */
  size_t ninstances;
  int choose_sel;
};

void view_init(struct view* v);
/* Delete the windows and free the state. Curses must still be up if
 * windows were made. */
void view_free(struct view* v);

/* The terminal is rows x cols now (after resizeterm): re-make windows. */
void view_resize(struct view* v, int rows, int cols);

/* The model changed as model_apply said: keep the selection on the same
 * backend, set dirty bits. */
void view_model_changed(struct view* v,
                        const struct model* m,
                        unsigned changes,
                        int backend);

/* Repaint what is dirty; one doupdate. */
void view_draw(struct view* v, const struct model* m);

/* State changes on keys (the log pane's search and the traffic cursor:
 * view_log.h, view_traffic.h). */
void view_select(struct view* v, const struct model* m, int delta);
void view_select_index(struct view* v, const struct model* m, int index);
/* Select the events row (issue 15 defect 3). */
void view_select_events(struct view* v, const struct model* m);
/* Scroll the focused pane (or the traffic list or detail): by pages
 * (negative up), or to the top (INT_MIN) or the bottom (INT_MAX). */
void view_scroll(struct view* v, const struct model* m, int pages);
void view_set_screen(struct view* v, enum view_screen s);
void view_toggle_focus(struct view* v);
/* Move the tool cursor by delta (tools focused); the tool under it, or
 * NULL. */
void view_tool_move(struct view* v, const struct model* m, int delta);
const char* view_selected_tool(const struct view* v, const struct model* m);

/* Status line: a message (printf-like), alert in the alert colour;
 * cleared after ttl_ms (0: until replaced). */
void view_message(struct view* v,
                  bool alert,
                  int64_t ttl_ms,
                  const char* fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Expire the message; true when something changed. */
bool view_tick(struct view* v, int64_t now_ms);
/* The connection note: NULL when attached; otherwise the state on screen
 * is the last one seen, and uptimes stop counting. */
void view_set_conn_note(struct view* v, const char* note);

/* Selected backend (pointing into m; &m->events for the events row), or
 * NULL; the name of a selected server, or NULL (also for the events
 * row, which names no server). */
const struct model_backend* view_selected(const struct view* v,
                                          const struct model* m);
const char* view_selected_name(const struct view* v, const struct model* m);

#endif
