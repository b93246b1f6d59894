/* tui.h - the commands that talk to a running mcpmon through its control
 * socket (docs/control-protocol.md). main.c dispatches to them when the
 * first argument names one; argv[0] is the command name ("tui", "status",
 * "restart", "start", "stop"). Each returns the process exit status: 0 ok, 1
 * when no instance runs or the core said no, 2 on a usage error.
 */
#ifndef MCPMON_TUI_TUI_H
#define MCPMON_TUI_TUI_H

/* mcpmon tui [SOCKET]: the live dashboard (tui.c). */
int tui_main(int argc, char** argv);

/* mcpmon status [SOCKET] [--json]: the state once, as a table or JSON
 * (cmd_status.c). */
int status_main(int argc, char** argv);

/* mcpmon restart [NAME] [--socket PATH]: restart one backend or all
 * (cmd_restart.c). */
int restart_main(int argc, char** argv);

/* mcpmon start NAME [--socket PATH] and mcpmon stop NAME [--socket
 * PATH]: start or stop one backend (issue 15; cmd_restart.c). */
int start_main(int argc, char** argv);
int stop_main(int argc, char** argv);

#endif
