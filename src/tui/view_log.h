/* view_log.h - the dashboard's log pane: the selected backend's lines in
 * the view's log window, newest at the bottom. It follows the newest line,
 * or holds its place by line number while the model's ring takes in new
 * lines and drops old ones. A search marks every occurrence of the needle
 * and moves between the lines that hold it.
 *
 * Its state is the view's log_follow, log_top, search and search_hit*
 * (view.h). These functions read the model, change only that state and
 * set VIEW_D_LOG; view_draw calls view_log_draw.
 */
#ifndef MCPMON_TUI_VIEW_LOG_H
#define MCPMON_TUI_VIEW_LOG_H

#include <stdbool.h>

#include "tui/model.h"
#include "tui/view.h"

/* Scroll by pages (negative up), to the oldest line (INT_MIN) or back to
 * following the newest (INT_MAX). Nothing without a selected backend. */
void view_log_scroll(struct view* v, const struct model* m, int pages);

/* Search the selected backend's log for needle (the view keeps a copy)
 * from the bottom of what is shown, towards older lines. False when no
 * line holds it. */
bool view_log_search(struct view* v, const struct model* m, const char* needle);
/* The next line holding the search, older or newer than the last hit,
 * brought into sight. False when there is none (or no search). */
bool view_log_search_next(struct view* v, const struct model* m, bool older);

/* Paint the log window (wnoutrefresh; view_draw does the doupdate). */
void view_log_draw(struct view* v, const struct model* m);

#endif
