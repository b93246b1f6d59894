/* pen.h - drawing along one row of a window: text one piece after another,
 * or in columns, cut with an ellipsis where the row ends (crt.h measures
 * and draws; this keeps the place). Used by the view's windows.
 */
#ifndef MCPMON_TUI_PEN_H
#define MCPMON_TUI_PEN_H

#include "tui/crt.h"

/* A cursor moving right along row y of w, never past column end. Plain
 * data: set it up with an initializer, {w, y, x, end}; nothing to free. */
struct pen {
  WINDOW* w;
  int y;
  int x;
  int end;
};

/* Draw s in a, cut with an ellipsis when it does not fit; after a cut
 * nothing more goes on this row. */
void pen_put(struct pen* p, const char* s, attr_t a);

/* Draw s in a column of width cols: cut with an ellipsis when wider, then
 * padded with spaces in pad to the column's end. */
void pen_col(struct pen* p, const char* s, attr_t a, int cols, attr_t pad);

#endif
