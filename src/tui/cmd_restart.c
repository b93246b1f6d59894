/* cmd_restart.c - mcpmon restart [PID] [NAME], mcpmon start [PID] NAME
 * and mcpmon stop [PID] NAME (issue 15): ask a running instance to
 * restart one backend or all of them, or to start or stop one. One code
 * path for the three, the command word its parameter; the instance is
 * picked as ctltarget.h says. What the instance says is printed escaped
 * (ctl_print_error). */
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/ctlclient.h"
#include "tui/ctltarget.h"
#include "tui/tui.h"
#include "tui/tutil.h"

/* What differs between restart, start and stop. */
struct ctlcmd {
  const char* word;  /* the command, on the command line and the socket */
  const char* usage; /* printed for --help and usage errors */
  bool needs_name;   /* start and stop name one server */
  const char* doing; /* "Restarting": printed with the name on success */
};

#define CTLCMD_TARGET_HELP                                                \
  "The instance: the one with --socket PATH, the one whose pid is PID\n"  \
  "(as the list of instances shows it), else the only one that has a\n"   \
  "server NAME, else the only one running. A lone number is a pid when\n" \
  "no server has that name.\n"                                            \
  "Exit status: 0 done or under way; 1 no instance could be reached or\n" \
  "it refused; 2 a usage error (several instances, no such server).\n"

static const struct ctlcmd ctlcmd_restart = {
    "restart",
    "Usage: mcpmon restart [PID] [NAME] [--socket PATH] [--pid PID]\n"
    "Restart server NAME of a running mcpmon, or all of its servers\n"
    "(a stopped server is started).\n" CTLCMD_TARGET_HELP,
    false, "Restarting"};

static const struct ctlcmd ctlcmd_start = {
    "start",
    "Usage: mcpmon start [PID] NAME [--socket PATH] [--pid PID]\n"
    "Start server NAME of a running mcpmon: one stopped with 'mcpmon stop'\n"
    "(or x in mcpmon tui), or disabled in the config (enabled: false), for\n"
    "this run; the config file is not changed.\n" CTLCMD_TARGET_HELP,
    true, "Starting"};

static const struct ctlcmd ctlcmd_stop = {
    "stop",
    "Usage: mcpmon stop [PID] NAME [--socket PATH] [--pid PID]\n"
    "Stop server NAME of a running mcpmon until 'mcpmon start NAME' (or s\n"
    "in mcpmon tui): its process ends, its tools leave the client's list,\n"
    "and calls to it get an error saying it is stopped. File changes do\n"
    "not start it.\n" CTLCMD_TARGET_HELP,
    true, "Stopping"};

static int ctlcmd_main(const struct ctlcmd* v, int argc, char** argv) {
  const char* restart_usage = v->usage;
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  struct ctl_target t = {0};
  const char* words[2];
  int nwords = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    int opt = ctl_target_option(&t, v->word, restart_usage, argc, argv, &i);
    if (opt == 2)
      return 2;
    if (opt == 1)
      continue;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(restart_usage, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "mcpmon %s: unknown option '%s'\n%s", v->word, a,
              restart_usage);
      return 2;
    } else if (nwords == 2) {
      fprintf(stderr, "mcpmon %s: one NAME at most ('%s' and '%s')\n%s",
              v->word, words[1], a, restart_usage);
      return 2;
    } else {
      words[nwords++] = a;
    }
  }
  if (nwords == 2) {
    /* restart PID NAME */
    if (!ctl_target_is_pid(words[0])) {
      fprintf(stderr,
              "mcpmon %s: one NAME at most ('%s' and '%s'); a PID "
              "before NAME is a number\n%s",
              v->word, words[0], words[1], restart_usage);
      return 2;
    }
    if (ctl_target_word(&t, v->word, restart_usage, words[0]) != 0)
      return 2;
    t.server = words[1];
  } else if (nwords == 1) {
    t.server = words[0];
    t.server_may_be_pid = t.socket == NULL && t.pid == 0 && !v->needs_name;
  }
  if (t.server == NULL && v->needs_name) {
    fprintf(stderr, "mcpmon %s: which server? NAME is missing\n%s", v->word,
            restart_usage);
    return 2;
  }
  char* path;
  struct ctl_conn c;
  int open = ctl_open_target(v->word, &t, &c, &path);
  if (open != 0)
    return open;
  const char* name = t.server;
  char err[1024];
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", v->word);
  if (name != NULL)
    cJSON_AddStringToObject(cmd, "backend", name);
  cJSON_AddNumberToObject(cmd, "id", 1);
  cJSON* res = NULL;
  int rc =
      ctl_request(&c, cmd, "result", CTL_TIMEOUT_MS, &res, err, sizeof(err));
  cJSON_Delete(cmd);
  int status = 0;
  if (rc != 0) {
    char* msg = tu_asprintf("%s: %s", path, err);
    ctl_print_error("mcpmon: ", msg);
    free(msg);
    status = 1;
  } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok"))) {
    const char* note =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "note"));
    if (note != NULL) {
      char* safe = tu_escape(note); /* "'x' is already stopped" */
      printf("%s\n", safe);
      free(safe);
    } else if (name != NULL)
      printf("%s %s\n", v->doing, name);
    else
      printf("Restarting all servers\n");
  } else {
    const char* why =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "error"));
    if (why == NULL)
      why = cJSON_GetStringValue(
          cJSON_GetObjectItemCaseSensitive(res, "message"));
    /* The name was checked against the snapshot (ctl_resolve_target);
     * the core says why it refused anyway. */
    char* msg = tu_asprintf("the %s was refused: %s", v->word,
                            why ? why : "(no reason given)");
    ctl_print_error("mcpmon: ", msg);
    free(msg);
    status = 1;
  }
  cJSON_Delete(res);
  ctl_close(&c);
  free(path);
  if (fflush(stdout) != 0)
    status = 1;
  return status;
}

int restart_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_restart, argc, argv);
}

int start_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_start, argc, argv);
}

int stop_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_stop, argc, argv);
}
