/* cmd_restart.c - mcpmon restart [PID] [NAME] [--socket PATH]: ask a
 * running instance to restart one backend, or all of them. What the instance
 * says is printed escaped (ctl_print_error). */
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/ctlclient.h"
#include "tui/ctltarget.h"
#include "tui/tui.h"
#include "tui/tutil.h"

static const char restart_usage[] =
    "Usage: mcpmon restart [PID] [NAME] [--socket PATH] [--pid PID]\n"
    "Restart server NAME of a running mcpmon, or all of its servers.\n"
    "The instance: the one with --socket PATH, the one whose pid is PID\n"
    "(as the list of instances shows it), else the only one that has a\n"
    "server NAME, else the only one running. A lone number is a pid when\n"
    "no server has that name.\n"
    "Exit status: 0 the restart began; 1 no instance could be reached or\n"
    "it refused; 2 a usage error (several instances, no such server).\n";

int restart_main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  struct ctl_target t = {0};
  const char* words[2];
  int nwords = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    int opt = ctl_target_option(&t, "restart", restart_usage, argc, argv, &i);
    if (opt == 2)
      return 2;
    if (opt == 1)
      continue;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(restart_usage, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "mcpmon restart: unknown option '%s'\n%s", a,
              restart_usage);
      return 2;
    } else if (nwords == 2) {
      fprintf(stderr, "mcpmon restart: one NAME at most ('%s' and '%s')\n%s",
              words[1], a, restart_usage);
      return 2;
    } else {
      words[nwords++] = a;
    }
  }
  if (nwords == 2) {
    /* restart PID NAME */
    if (!ctl_target_is_pid(words[0])) {
      fprintf(stderr,
              "mcpmon restart: one NAME at most ('%s' and '%s'); a PID "
              "before NAME is a number\n%s",
              words[0], words[1], restart_usage);
      return 2;
    }
    if (ctl_target_word(&t, "restart", restart_usage, words[0]) != 0)
      return 2;
    t.server = words[1];
  } else if (nwords == 1) {
    t.server = words[0];
    t.server_may_be_pid = t.socket == NULL && t.pid == 0;
  }
  char* path;
  struct ctl_conn c;
  int open = ctl_open_target("restart", &t, &c, &path);
  if (open != 0)
    return open;
  const char* name = t.server;
  char err[1024];
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", "restart");
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
    if (name != NULL)
      printf("Restarting %s\n", name);
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
    char* msg = tu_asprintf("the restart was refused: %s",
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
