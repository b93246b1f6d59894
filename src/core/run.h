/* run.h - one mcpmon run: the loop, the client, the backend, the watcher
 * and the signals, from start to an orderly exit.
 */
#ifndef MCPMON_RUN_H
#define MCPMON_RUN_H

#include "config/config.h"

/* Run in single-server mode (cfg->servers[0]) until the client goes away
 * or a signal asks to stop. Returns the process exit status: 0 after an
 * orderly shutdown, 1 when mcpmon could not start (the reason logged). */
int run_single(const struct mcpmon_config* cfg);

/* Run in gateway mode: cfg has been loaded from cfg->config_path. Same
 * exit statuses. */
int run_gateway(const struct mcpmon_config* cfg);

#endif
