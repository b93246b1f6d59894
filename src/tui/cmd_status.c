/* cmd_status.c - mcpmon status [PID | SOCKET] [--json]: the snapshot of a
 * running instance, once, as two tables or as the JSON object itself,
 * and its health as the exit status (3: a server is down).
 * What the instance says is printed escaped (tu_escape, tu_escape_json). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/ctlclient.h"
#include "tui/ctltarget.h"
#include "tui/model.h"
#include "tui/tui.h"
#include "tui/tutil.h"

static const char status_usage[] =
    "Usage: mcpmon status [PID | SOCKET] [--socket PATH] [--pid PID] "
    "[--json]\n"
    "Print the state of a running mcpmon and of each of its servers.\n"
    "Without PID or SOCKET, asks the only running instance; a number is\n"
    "the pid of an instance as the list of instances shows it.\n"
    "  --socket PATH  the control socket of the instance (mcpmon --tui PATH)\n"
    "  --pid PID      the instance whose process id is PID\n"
    "  --json         print the snapshot object of the control protocol\n"
    "Exit status: 0 every server is ready (or starting, or stopped on\n"
    "purpose); 3 a server is crashed or waiting for a file change, or its\n"
    "last reload failed; 1 no instance could be reached; 2 a usage error.\n";

/* A table of strings printed with columns padded to their widest cell;
 * each cell is escaped (tu_escape): it came from the socket. */
struct status_table {
  size_t ncols;
  char** cells; /* row-major, owned */
  size_t nrows;
};

static void status_row(struct status_table* t, const char* const* cells) {
  t->cells = tu_realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char*));
  for (size_t c = 0; c < t->ncols; c++)
    t->cells[t->nrows * t->ncols + c] = tu_escape(cells[c] ? cells[c] : "-");
  t->nrows++;
}

static void status_print(struct status_table* t) {
  size_t* w = tu_calloc(t->ncols, sizeof(size_t));
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t cw = tu_strwidth(t->cells[r * t->ncols + c]);
      if (cw > w[c])
        w[c] = cw;
    }
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      const char* s = t->cells[r * t->ncols + c];
      fputs(s, stdout);
      if (c + 1 < t->ncols)
        printf("%*s", (int)(w[c] - tu_strwidth(s) + 2), "");
    }
    putchar('\n');
  }
  for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  free(w);
}

static void status_tables(const struct model* m) {
  int64_t now = tu_now_ms();
  char up[32], pid[32];
  bool gateway = m->config != NULL;
  struct status_table inst = {4, NULL, 0};
  const char* head[] = {"PID", "MODE", "UPTIME",
                        gateway ? "CONFIG" : "COMMAND"};
  status_row(&inst, head);
  snprintf(pid, sizeof(pid), "%ld", m->pid);
  strcpy(up, "-");
  if (m->started > 0)
    tu_fmt_duration(now - m->started, up, sizeof(up));
  const char* row[] = {pid, m->mode, up, gateway ? m->config : m->command};
  status_row(&inst, row);
  status_print(&inst);
  putchar('\n');

  bool any_exit = false, any_reload = false;
  for (size_t i = 0; i < m->nbackends; i++) {
    any_exit |= m->backends[i].last_exit != NULL;
    any_reload |= m->backends[i].reload_outcome != NULL;
  }
  /* LAST RELOAD only when one happened (issue 14); LAST EXIT then always,
   * so that the columns keep their places. */
  size_t ncols = any_reload ? 9 : any_exit ? 8 : 7;
  struct status_table bt = {ncols, NULL, 0};
  const char* bhead[] = {"NAME",     "STATE",     "PID",
                         "RESTARTS", "CRASHES",   "UPTIME",
                         "TOOLS",    "LAST EXIT", "LAST RELOAD"};
  status_row(&bt, bhead);
  for (size_t i = 0; i < m->nbackends; i++) {
    const struct model_backend* b = &m->backends[i];
    char bpid[32], restarts[32], crashes[32], bup[32], tools[32];
    strcpy(bpid, "-");
    strcpy(bup, "-");
    if (b->pid > 0)
      snprintf(bpid, sizeof(bpid), "%ld", b->pid);
    if (b->started > 0)
      tu_fmt_duration(now - b->started, bup, sizeof(bup));
    snprintf(restarts, sizeof(restarts), "%ld", b->restarts);
    snprintf(crashes, sizeof(crashes), "%ld", b->crashes);
    snprintf(tools, sizeof(tools), "%zu", b->ntools);
    char* reload = NULL;
    if (b->reload_outcome != NULL)
      reload = tu_asprintf(
          "%s%s%s", b->reload_outcome,
          b->reload_message != NULL && strcmp(b->reload_outcome, "ok") != 0
              ? ": "
              : "",
          b->reload_message != NULL && strcmp(b->reload_outcome, "ok") != 0
              ? b->reload_message
              : "");
    const char* cells[] = {b->name,  b->state_name, bpid,
                           restarts, crashes,       bup,
                           tools,    b->last_exit,  reload};
    status_row(&bt, cells);
    free(reload);
  }
  status_print(&bt);
  if (m->nbackends == 0)
    puts("(no servers)");
}

/* Issue 15: the health in the exit status, from the snapshot itself: 3
 * when a server the user has not turned off is crashed or waiting, or
 * its last reload failed; else 0. Starting and restarting are on their
 * way; stopped and disabled are off on purpose. */
static int status_health(const cJSON* snap) {
  const cJSON* b;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(snap, "backends")) {
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(b, "enabled")))
      continue;
    const char* state =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "state"));
    if (state != NULL &&
        (strcmp(state, "crashed") == 0 || strcmp(state, "waiting") == 0))
      return 3;
    const char* outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(b, "lastReload"), "outcome"));
    if (outcome != NULL && strcmp(outcome, "ok") != 0)
      return 3;
  }
  return 0;
}

int status_main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  struct ctl_target t = {0};
  bool json = false;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    int opt = ctl_target_option(&t, "status", status_usage, argc, argv, &i);
    if (opt == 2)
      return 2;
    if (opt == 1)
      continue;
    if (strcmp(a, "--json") == 0) {
      json = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(status_usage, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "mcpmon status: unknown option '%s'\n%s", a,
              status_usage);
      return 2;
    } else if (ctl_target_word(&t, "status", status_usage, a) != 0) {
      return 2;
    }
  }
  char* path;
  struct ctl_conn c;
  int open = ctl_open_target("status", &t, &c, &path);
  if (open != 0)
    return open;
  char err[1024];
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", "snapshot");
  cJSON* snap = NULL;
  int rc =
      ctl_request(&c, cmd, "snapshot", CTL_TIMEOUT_MS, &snap, err, sizeof(err));
  cJSON_Delete(cmd);
  ctl_close(&c);
  int status = 0;
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(snap, "type");
  if (rc != 0) {
    char* msg = tu_asprintf("%s: %s", path, err);
    ctl_print_error("mcpmon: ", msg);
    free(msg);
    status = 1;
  } else if (strcmp(type->valuestring, "snapshot") != 0) {
    const cJSON* why = cJSON_GetObjectItemCaseSensitive(snap, "message");
    char* msg = tu_asprintf(
        "%s refused the snapshot: %s", path,
        cJSON_IsString(why) ? why->valuestring : "(no reason given)");
    ctl_print_error("mcpmon: ", msg);
    free(msg);
    status = 1;
  } else if (json) {
    char* text = cJSON_PrintUnformatted(snap);
    if (text == NULL) {
      ctl_print_error("mcpmon: cannot print the snapshot of ", path);
      status = 1;
    } else {
      char* safe = tu_escape_json(text);
      puts(safe);
      free(safe);
      free(text);
    }
  } else {
    struct model m;
    model_init(&m);
    model_apply(&m, snap, NULL);
    status_tables(&m);
    model_free(&m);
  }
  if (status == 0)
    status = status_health(snap);
  cJSON_Delete(snap);
  free(path);
  if (fflush(stdout) != 0)
    status = 1;
  return status;
}
