/* keys.h - what each key does on each screen of the dashboard (the help
 * box in view_status.c lists them for the user).
 *
 * A key changes the view's state only: selection, focus, scrolling, the
 * screen shown, the help box, the search prompt and the search. What
 * needs the control socket or ends the program is handed back as a
 * keys_action for the loop (tui.c) to carry out.
 */
#ifndef MCPMON_TUI_KEYS_H
#define MCPMON_TUI_KEYS_H

#include <wchar.h>

#include "tui/model.h"
#include "tui/view.h"

enum keys_action {
  KEYS_NONE,
  KEYS_QUIT,        /* leave with status 0 */
  KEYS_RESTART,     /* restart the selected backend, if there is one */
  KEYS_RESTART_ALL, /* restart every backend */
  KEYS_STOP,        /* stop the selected backend (issue 15) */
  KEYS_START,       /* start the selected backend, stopped or disabled */
  KEYS_DETAIL,      /* ask the core for the entry under the traffic cursor */
  KEYS_TOOL_DETAIL, /* ask the core for the tool under the tools cursor */
  KEYS_CHOOSE,      /* attach to the instance selected in the chooser */
  KEYS_RESCAN,      /* look for running instances again (chooser) */
};

/* Handle one key as wget_wch read it: a KEY_* code when is_key (it said
 * KEY_CODE_YES), else a character. Sets the view's dirty bits. */
enum keys_action keys_handle(struct view* v,
                             const struct model* m,
                             int is_key,
                             wint_t ch);

#endif
