/* run.h - one mcpmon run, for both modes: the loop, the session on
 * stdin/stdout, the mode (single or gateway) with its backends and
 * watchers, the control socket and the signals, from start to an orderly
 * exit.
 */
#ifndef MCPMON_RUN_H
#define MCPMON_RUN_H

#include "config/config.h"

/* Run until the client goes away or a signal asks to stop: gateway mode
 * when cfg->config_path is set (cfg was loaded from it), else single mode
 * for cfg->servers[0]. cfg is borrowed for the whole run. Returns the
 * process exit status: 0 after an orderly shutdown, 1 when mcpmon could
 * not start (the reason logged). */
int run(const struct mcpmon_config* cfg);

#endif
