/* tui.h - the commands that talk to a running mcpmon through its control
 * socket (docs/control-protocol.md). main.c dispatches to them when the
 * first argument names one; argv[0] is the command name ("tui", "status",
 * "restart", "start", "stop"). Each takes --socket PATH and --pid PID to
 * name the instance (ctltarget.h) and --help. Each returns the process
 * exit status: 0 ok, 1 when no instance can be reached or the core said
 * no, 2 on a usage error (with several instances to pick from, or a
 * server name no instance has); status also 3 when a server is down.
 */
#ifndef MCPMON_TUI_TUI_H
#define MCPMON_TUI_TUI_H

/* mcpmon tui [PID | SOCKET]: the live dashboard (tui.c). */
int tui_main(int argc, char** argv);

/* mcpmon status [PID | SOCKET] [--json]: the state once, as a table or
 * JSON; exit status 3 when a server is crashed, waiting or failed its
 * last reload (cmd_status.c). */
int status_main(int argc, char** argv);

/* mcpmon restart [PID] [NAME]: restart one backend or all, of the
 * instance that has NAME when no other is named (cmd_restart.c). */
int restart_main(int argc, char** argv);

/* mcpmon start [PID] NAME and mcpmon stop [PID] NAME: start or stop one
 * backend, of the instance that has NAME (issue 15; cmd_restart.c). */
int start_main(int argc, char** argv);
int stop_main(int argc, char** argv);

#endif
