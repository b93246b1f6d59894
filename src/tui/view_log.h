/* view_log.h - the dashboard's log pane: the selected backend's lines in
 * the view's log window, newest at the bottom. It follows the newest line,
 * or holds its place by line number while the model's ring takes in new
 * lines and drops old ones. A search marks every occurrence of the needle
 * and moves between the lines that hold it.
 *
 * Its state is the view's log_follow, log_top, search and search_hit*
 * (view.h). The backend b shown is the view's selected one, given by the
 * caller (view_selected; NULL when none): this file reads it, changes only
 * that state and sets VIEW_D_LOG, and calls nothing of view.c, which
 * calls view_log_draw.
 */
#ifndef MCPMON_TUI_VIEW_LOG_H
#define MCPMON_TUI_VIEW_LOG_H

#include <stdbool.h>

#include "tui/model.h"
#include "tui/view.h"

/* Scroll by pages (negative up), to the oldest line (INT_MIN) or back to
 * following the newest (INT_MAX). Nothing when b is NULL. */
void view_log_scroll(struct view* v, const struct model_backend* b, int pages);

/* Search b's log for needle (the view keeps a copy) from the bottom of
 * what is shown, towards older lines. False when no line holds it (or b
 * is NULL). */
bool view_log_search(struct view* v,
                     const struct model_backend* b,
                     const char* needle);
/* The next line of b's log holding the search, older or newer than the
 * last hit, brought into sight. False when there is none (or no search,
 * or b is NULL). */
bool view_log_search_next(struct view* v,
                          const struct model_backend* b,
                          bool older);

/* Paint the log window with b's log, or an empty pane when b is NULL
 * (wnoutrefresh; view_draw does the doupdate). */
void view_log_draw(struct view* v, const struct model_backend* b);

#endif
