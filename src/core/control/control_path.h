/* control_path.h - where the control socket goes, made safe to bind
 * (docs/control-protocol.md, issue 12 item 7): the default private folder
 * or the folder of a --tui PATH made and checked, the length checked, a
 * stale socket at the path replaced and a live one refused. No libuv
 * handles; used by control.c before it binds.
 */
#ifndef MCPMON_CONTROL_PATH_H
#define MCPMON_CONTROL_PATH_H

#include <stddef.h>

/* *pathp: the path asked for (NULL: the default for this pid, written
 * into def, defcap bytes, and *pathp pointed at it). Returns 0 when the
 * path may be bound now, else a negative UV error with a sentence in err
 * that names the path or folder and the fix. */
int ctl_path_prepare(
    const char** pathp, char* def, size_t defcap, char* err, size_t errlen);

#endif
