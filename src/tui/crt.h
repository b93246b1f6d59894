/* crt.h - the terminal under the dashboard: curses set-up and teardown,
 * colours by element name (one table, as in htop's CRT.c), and text
 * drawing that measures by columns (wcwidth) rather than bytes.
 *
 * Only crt.c, pen.c and the view (view*.c) draw; tui.c and keys.c only
 * read keys and follow the terminal's size.
 */
#ifndef MCPMON_TUI_CRT_H
#define MCPMON_TUI_CRT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stdio.h>

/* Every element the view paints; the colour of each comes from
 * crt_scheme[][] in crt.c, never from a raw colour pair. */
enum crt_elem {
  CRT_DEFAULT,
  CRT_HEADER, /* the top bar */
  CRT_HEADER_DIM,
  CRT_BORDER,
  CRT_BORDER_FOCUS,
  CRT_TITLE,
  CRT_TITLE_FOCUS,
  CRT_SELECTED,     /* the selected row of a focused list */
  CRT_SELECTED_DIM, /* ... of a list without focus */
  CRT_DIM,
  CRT_STATE_READY,
  CRT_STATE_BUSY,    /* starting, initializing, restarting, stopping */
  CRT_STATE_CRASHED, /* crashed, and waiting after crashes (issue 15) */
  CRT_STATE_OFF,     /* idle, stopped, unknown */
  CRT_LOG_TIME,
  CRT_LOG_MCPMON,
  CRT_LOG_WARN,
  CRT_LOG_ERROR,
  CRT_LOG_DEBUG,
  CRT_MATCH,  /* search hits */
  CRT_MARKER, /* "not following" and similar notes */
  CRT_STATUS, /* the bottom line */
  CRT_STATUS_KEY,
  CRT_STATUS_ALERT, /* connection lost, errors */
  CRT_OK,
  CRT_FAIL,
  CRT_ELEM_COUNT,
};

/* The attribute to draw an element with (colour pair and video
 * attributes, or only the latter in monochrome). Set by crt_init. */
extern attr_t crt_colors[CRT_ELEM_COUNT];
/* The terminal's codeset is UTF-8: Unicode borders and symbols. */
extern bool crt_utf8;

/* Start curses on stdout, reading keys from in (the caller's own open
 * file of the terminal, so that non-blocking reads do not change the
 * shell's stdin). The locale must be set already. Colours unless the
 * terminal has none or NO_COLOR is set. Returns 0, or -1 with the reason
 * in err when the terminal cannot be used. */
int crt_init(FILE* in, char* err, size_t errlen);
/* End curses and show the cursor. Idempotent; safe before crt_init and
 * from a signal handler about to re-raise a fatal signal. */
void crt_done(void);
/* Fatal signals (SEGV, BUS, FPE, ILL, ABRT) give the terminal back
 * (crt_done), then kill the process as the signal would. Not under ASan,
 * whose own handler reports first. */
void crt_install_crash_handlers(void);
/* Open the terminal again for the dashboard's own reading: uv_poll makes
 * its fd non-blocking, which must not leak into the shell's shared stdin.
 * NULL with the reason in err. */
FILE* crt_open_tty(char* err, size_t errlen);
/* Free curses' memory after crt_done, once all windows are deleted. */
void crt_free(void);
bool crt_active(void);

/* Draw UTF-8 text at (y, x) of w in at most maxw columns: control
 * characters and undecodable bytes become '?', a wide character that does
 * not fit is left out. Returns the columns used. */
int crt_text(WINDOW* w, int y, int x, int maxw, const char* s, attr_t attr);
/* Fill the rest of row y from column x to the window's right edge
 * (exclusive of `right` columns) with spaces in attr. */
void crt_fill(WINDOW* w, int y, int x, int right, attr_t attr);
/* Border around w with a title at the top left and a note at the top
 * right (either may be NULL), ASCII when the codeset is not UTF-8. */
void crt_box(WINDOW* w,
             bool focus,
             const char* title,
             const char* note,
             attr_t note_attr);
/* Rows inside the border crt_box draws on w: its height less two, at
 * least 1 (also 1 when w is NULL, a window the layout had no room for). */
int crt_box_rows(WINDOW* w);

/* Symbols that depend on the codeset. */
const char* crt_sym_pointer(void);  /* selected row: "▶" or ">" */
const char* crt_sym_dot(void);      /* separator: "·" or "-" */
const char* crt_sym_ellipsis(void); /* "…" or "~" */

#endif
