/* view_status.h - what the dashboard tells the user in words: the status
 * line at the bottom (the search prompt while typing one; else the
 * connection note, the message and the keys of the current screen, as
 * many as fit, most useful first) and the help box over the middle of the
 * screen.
 *
 * Both read the view's state (view.h) and draw only; view_draw calls
 * them and does the doupdate.
 */
#ifndef MCPMON_TUI_VIEW_STATUS_H
#define MCPMON_TUI_VIEW_STATUS_H

#include "tui/view.h"

/* Paint the status window (wnoutrefresh). */
void view_status_draw(struct view* v);

/* Make the help box's window (v->helpwin, owned by the view, replaced on
 * each call) centred on the screen, and paint it (wnoutrefresh). */
void view_status_draw_help(struct view* v);

#endif
