/* cmd_restart.c - mcpmon restart [NAME] [--socket PATH], mcpmon start
 * NAME and mcpmon stop NAME (issue 15): ask a running instance to restart
 * one backend or all of them, or to start or stop one. One code path for
 * the three, the command word its parameter. What the instance says is
 * printed escaped (ctl_print_error). */
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/ctlclient.h"
#include "tui/tui.h"
#include "tui/tutil.h"

/* What differs between restart, start and stop. */
struct ctlcmd {
  const char* word;    /* the command, on the command line and the socket */
  const char* usage;   /* printed for --help and usage errors */
  bool needs_name;     /* start and stop name one server */
  const char* doing;   /* "Restarting": printed with the name on success */
  const char* example; /* how to pick an instance ("%s": a socket) */
};

static const struct ctlcmd ctlcmd_restart = {
    "restart",
    "Usage: mcpmon restart [NAME] [--socket PATH]\n"
    "Restart server NAME of a running mcpmon, or all of its servers\n"
    "(a stopped server is started).\n"
    "Without --socket, asks the only running instance.\n",
    false, "Restarting", "mcpmon restart NAME --socket %s"};

static const struct ctlcmd ctlcmd_start = {
    "start",
    "Usage: mcpmon start NAME [--socket PATH]\n"
    "Start server NAME of a running mcpmon: one stopped with 'mcpmon stop'\n"
    "(or x in mcpmon tui), or disabled in the config (enabled: false), for\n"
    "this run; the config file is not changed.\n"
    "Without --socket, asks the only running instance.\n",
    true, "Starting", "mcpmon start NAME --socket %s"};

static const struct ctlcmd ctlcmd_stop = {
    "stop",
    "Usage: mcpmon stop NAME [--socket PATH]\n"
    "Stop server NAME of a running mcpmon until 'mcpmon start NAME' (or s\n"
    "in mcpmon tui): its process ends, its tools leave the client's list,\n"
    "and calls to it get an error saying it is stopped. File changes do\n"
    "not start it.\n"
    "Without --socket, asks the only running instance.\n",
    true, "Stopping", "mcpmon stop NAME --socket %s"};

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

static int ctlcmd_main(const struct ctlcmd* v, int argc, char** argv) {
  const char* restart_usage = v->usage;
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  const char* socket = NULL;
  const char* name = NULL;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "--socket") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mcpmon %s: --socket needs a PATH\n%s", v->word,
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
      fprintf(stderr, "mcpmon %s: unknown option '%s'\n%s", v->word, a,
              restart_usage);
      return 2;
    } else if (name != NULL) {
      fprintf(stderr, "mcpmon %s: one NAME at most ('%s' and '%s')\n%s",
              v->word, name, a, restart_usage);
      return 2;
    } else {
      name = a;
    }
  }
  if (name == NULL && v->needs_name) {
    fprintf(stderr, "mcpmon %s: which server? NAME is missing\n%s", v->word,
            restart_usage);
    return 2;
  }
  if (socket != NULL && socket[0] == '\0') {
    fprintf(stderr, "mcpmon %s: --socket needs a PATH\n%s", v->word,
            restart_usage);
    return 2;
  }
  char* path;
  struct ctl_conn c;
  if (ctl_open_instance(socket,
                        name ? v->example : "mcpmon restart --socket %s", &c,
                        &path) != 0)
    return 1;
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
    bool found = false;
    char* known = name != NULL ? restart_known_names(&c, name, &found) : NULL;
    char* msg;
    if (known != NULL && !found)
      msg = tu_asprintf("no server named '%s' (known: %s)", name,
                        known[0] ? known : "none");
    else
      msg = tu_asprintf("the %s was refused: %s", v->word,
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

int restart_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_restart, argc, argv);
}

int start_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_start, argc, argv);
}

int stop_main(int argc, char** argv) {
  return ctlcmd_main(&ctlcmd_stop, argc, argv);
}
