/* model_detail.h - the text of the detail screen, built from the core's
 * answer to a command: one traffic entry's request and response
 * (traffic_detail), or one tool's whole definition (tool_detail, issue
 * 15). Pretty-printed lines, no curses: the view wraps them to its width.
 * Part of the model (model.h owns struct model_detail); pure, unit-tested
 * with it in tests/unit/test_tui_model.c.
 */
#ifndef MCPMON_TUI_MODEL_DETAIL_H
#define MCPMON_TUI_MODEL_DETAIL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "tui/model.h"

/* Free d's lines and title; d is empty (not valid) afterwards. */
void model_detail_free(struct model_detail* d);
/* Fill an empty d from a traffic_detail object. */
void model_detail_of_traffic(struct model_detail* d, const cJSON* obj);
/* Fill an empty d from a tool_detail object:
 * {"type":"tool_detail","backend":"srv","tool":{name, description,
 * inputSchema, ...}} or with "error" when the core has no such tool. */
void model_detail_of_tool(struct model_detail* d, const cJSON* obj);
/* Whether a line of a detail is one of its headings ("Request",
 * "Input schema", ...), drawn as such. */
bool model_detail_heading(const char* line);

#endif
