/* view_traffic.h - the traffic screen and its detail pane. The traffic
 * screen lists the requests of all backends, oldest first, with a cursor
 * that follows the newest entry or stays on one by seq while the model's
 * ring moves on. The detail pane shows one entry's request and response,
 * as the core sent them in answer to a traffic command (model.detail).
 *
 * Its state is the view's traffic_* and detail_* members (view.h). These
 * functions read the model and never change it; they set VIEW_D_BODY.
 */
#ifndef MCPMON_TUI_VIEW_TRAFFIC_H
#define MCPMON_TUI_VIEW_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/model.h"
#include "tui/view.h"

/* The seq under the traffic cursor; false when the list is empty. */
bool view_traffic_current(const struct view* v,
                          const struct model* m,
                          uint64_t* seq);
/* Move the traffic cursor by lines (on the detail screen: scroll the
 * detail pane by lines). */
void view_traffic_move(struct view* v, const struct model* m, int delta);
/* The traffic cursor (or on the detail screen, the detail pane) by pages
 * (negative up), to the first (INT_MIN) or the last (INT_MAX). */
void view_traffic_scroll(struct view* v, const struct model* m, int pages);

/* The next filter of the list (f): all, errors only, the selected
 * server's, the selected server's errors; the cursor follows the newest
 * entry shown. */
void view_traffic_cycle_filter(struct view* v, const struct model* m);

/* Make the detail pane wait for the core's answer for seq (a
 * MODEL_CH_DETAIL for it, in view_model_changed). The caller shows it:
 * view_set_screen(v, VIEW_DETAIL). */
void view_traffic_detail_open(struct view* v, uint64_t seq);
/* The same for a tool's definition (issue 15): back goes to the
 * dashboard. */
void view_traffic_detail_open_tool(struct view* v);
/* The core will not answer for the detail shown: say why (copied) in its
 * place. */
void view_traffic_detail_failed(struct view* v, const char* why);

/* Paint the body window: the list on VIEW_TRAFFIC, the detail pane on
 * VIEW_DETAIL (wnoutrefresh; view_draw does the doupdate). */
void view_traffic_draw(struct view* v, const struct model* m);

#endif
