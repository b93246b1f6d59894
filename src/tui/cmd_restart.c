/* cmd_restart.c - mcpmon restart [NAME] [--socket PATH]: ask a running
 * instance to restart one backend, or all of them. What the instance says
 * is printed escaped (ctl_print_error). */
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/ctlclient.h"
#include "tui/tui.h"
#include "tui/tutil.h"

static const char restart_usage[] =
    "Usage: mcpmon restart [NAME] [--socket PATH]\n"
    "Restart server NAME of a running mcpmon, or all of its servers.\n"
    "Without --socket, asks the only running instance.\n";

/* The backend names of the instance, "a, b, c", for the unknown-name
 * message; NULL when the snapshot cannot be had. *found tells whether
 * name is among them. */
static char* restart_known_names(struct ctl_conn* c,
                                 const char* name,
                                 bool* found) {
  *found = false;
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", "snapshot");
  cJSON* snap = NULL;
  char err[256];
  int rc =
      ctl_request(c, cmd, "snapshot", CTL_TIMEOUT_MS, &snap, err, sizeof(err));
  cJSON_Delete(cmd);
  if (rc != 0) {
    cJSON_Delete(snap);
    return NULL;
  }
  char* names = tu_strdup("");
  const cJSON* b;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(snap, "backends")) {
    const char* bname =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
    if (bname == NULL)
      continue;
    if (strcmp(bname, name) == 0)
      *found = true;
    char* more = tu_asprintf("%s%s%s", names, names[0] ? ", " : "", bname);
    free(names);
    names = more;
  }
  cJSON_Delete(snap);
  return names;
}

int restart_main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  const char* socket = NULL;
  const char* name = NULL;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "--socket") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mcpmon restart: --socket needs a PATH\n%s",
                restart_usage);
        return 2;
      }
      socket = argv[++i];
    } else if (strncmp(a, "--socket=", 9) == 0) {
      socket = a + 9;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(restart_usage, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "mcpmon restart: unknown option '%s'\n%s", a,
              restart_usage);
      return 2;
    } else if (name != NULL) {
      fprintf(stderr, "mcpmon restart: one NAME at most ('%s' and '%s')\n%s",
              name, a, restart_usage);
      return 2;
    } else {
      name = a;
    }
  }
  if (socket != NULL && socket[0] == '\0') {
    fprintf(stderr, "mcpmon restart: --socket needs a PATH\n%s", restart_usage);
    return 2;
  }
  char* path;
  struct ctl_conn c;
  if (ctl_open_instance(socket,
                        name ? "mcpmon restart NAME --socket %s"
                             : "mcpmon restart --socket %s",
                        &c, &path) != 0)
    return 1;
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
    bool found = false;
    char* known = name != NULL ? restart_known_names(&c, name, &found) : NULL;
    char* msg;
    if (known != NULL && !found)
      msg = tu_asprintf("no server named '%s' (known: %s)", name,
                        known[0] ? known : "none");
    else
      msg = tu_asprintf("the restart was refused: %s",
                        why ? why : "(no reason given)");
    ctl_print_error("mcpmon: ", msg);
    free(msg);
    free(known);
    status = 1;
  }
  cJSON_Delete(res);
  ctl_close(&c);
  free(path);
  if (fflush(stdout) != 0)
    status = 1;
  return status;
}
