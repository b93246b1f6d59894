/* ctltarget.c - see ctltarget.h. */
#include "tui/ctltarget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/suggest.h"
#include "tui/tutil.h"

bool ctl_target_is_pid(const char* word) {
  size_t n = strspn(word, "0123456789");
  return n >= 1 && n <= 9 && word[n] == '\0' && strtol(word, NULL, 10) > 0;
}

static int ctl_target_usage(const char* cmd,
                            const char* usage,
                            const char* fmt,
                            ...) __attribute__((format(printf, 3, 4)));

static int ctl_target_usage(const char* cmd,
                            const char* usage,
                            const char* fmt,
                            ...) {
  va_list ap;
  va_start(ap, fmt);
  char* msg = tu_vasprintf(fmt, ap);
  va_end(ap);
  char* prefix = tu_asprintf("mcpmon %s: ", cmd);
  ctl_print_error(prefix, msg);
  fputs(usage, stderr);
  free(prefix);
  free(msg);
  return 2;
}

/* One instance per command line: a second one is an error, not "last
 * wins". */
static int ctl_target_once(struct ctl_target* t,
                           const char* cmd,
                           const char* usage,
                           const char* word) {
  if (t->socket == NULL && t->pid == 0)
    return 0;
  char before[32];
  if (t->socket == NULL)
    snprintf(before, sizeof(before), "%ld", t->pid);
  return ctl_target_usage(cmd, usage, "one instance at most ('%s' and '%s')",
                          t->socket != NULL ? t->socket : before, word);
}

static int ctl_target_set(struct ctl_target* t,
                          const char* cmd,
                          const char* usage,
                          bool socket,
                          const char* value) {
  if (socket && value[0] == '\0')
    return ctl_target_usage(cmd, usage, "--socket needs a PATH");
  if (!socket && !ctl_target_is_pid(value))
    return ctl_target_usage(cmd, usage,
                            "--pid needs the process id of an instance, "
                            "not '%s'",
                            value);
  if (ctl_target_once(t, cmd, usage, value) != 0)
    return 2;
  if (socket)
    t->socket = value;
  else
    t->pid = strtol(value, NULL, 10);
  return 0;
}

int ctl_target_option(struct ctl_target* t,
                      const char* cmd,
                      const char* usage,
                      int argc,
                      char** argv,
                      int* i) {
  const char* a = argv[*i];
  bool socket;
  const char* value;
  if (strcmp(a, "--socket") == 0 || strcmp(a, "--pid") == 0) {
    socket = a[2] == 's';
    if (*i + 1 >= argc)
      return ctl_target_usage(cmd, usage, "%s needs a %s", a,
                              socket ? "PATH" : "PID");
    value = argv[++*i];
  } else if (strncmp(a, "--socket=", 9) == 0) {
    socket = true;
    value = a + 9;
  } else if (strncmp(a, "--pid=", 6) == 0) {
    socket = false;
    value = a + 6;
  } else {
    return 0;
  }
  return ctl_target_set(t, cmd, usage, socket, value) != 0 ? 2 : 1;
}

int ctl_target_word(struct ctl_target* t,
                    const char* cmd,
                    const char* usage,
                    const char* word) {
  return ctl_target_set(t, cmd, usage, !ctl_target_is_pid(word), word);
}

/* "no server 'X' (did you mean 'Y'?)", or with the names there are; in
 * one instance (" in mcpmon pid N") or in all of list. Returns 2. */
static int ctl_unknown_server(const char* name,
                              const struct ctl_instance* list,
                              size_t n,
                              bool one) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += list[i].nservers;
  const char** names = tu_calloc(total + 1, sizeof(*names));
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < list[i].nservers; j++) {
      size_t m = 0;
      while (m < k && strcmp(names[m], list[i].servers[j]) != 0) m++;
      if (m == k)
        names[k++] = list[i].servers[j];
    }
  char where[48] = "";
  if (one)
    snprintf(where, sizeof(where), " in mcpmon pid %ld", list[0].pid);
  const char* meant = suggest_name(name, strlen(name), names, k);
  char* msg;
  if (meant != NULL) {
    msg = tu_asprintf("no server '%s'%s (did you mean '%s'?)", name, where,
                      meant);
  } else {
    char* known = tu_strdup("");
    for (size_t m = 0; m < k; m++) {
      char* more = tu_asprintf("%s%s%s", known, m ? ", " : "", names[m]);
      free(known);
      known = more;
    }
    msg = tu_asprintf("no server '%s'%s (%s%s)", name, where,
                      k ? "servers: " : "there are no servers", known);
    free(known);
  }
  ctl_print_error("mcpmon: ", msg);
  free(msg);
  free(names);
  return 2;
}

/* The instances of list[0..n) that keep[i] marks, one a line, and how to
 * name one of them on the command line. */
static void ctl_list_choices(const char* cmd,
                             const struct ctl_target* t,
                             const struct ctl_instance* list,
                             size_t n,
                             const bool* keep) {
  int64_t now = tu_now_ms();
  const struct ctl_instance* first = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i])
      continue;
    if (first == NULL)
      first = &list[i];
    char line[2048];
    ctl_instance_describe(&list[i], now, line, sizeof(line));
    ctl_print_error("  ", line);
  }
  if (first == NULL)
    return;
  char* example = tu_asprintf(
      "for example: mcpmon %s %ld%s%s, or mcpmon %s%s%s --socket %s", cmd,
      first->pid, t->server ? " " : "", t->server ? t->server : "", cmd,
      t->server ? " " : "", t->server ? t->server : "", first->path);
  ctl_print_error("", example);
  free(example);
}

static int ctl_pick(const char* cmd,
                    struct ctl_target* t,
                    const struct ctl_instance* list,
                    size_t n,
                    char** path) {
  if (n == 0) {
    char dirs[1100];
    ctl_search_dirs_text(dirs, sizeof(dirs));
    fprintf(stderr, "mcpmon: no running mcpmon instance found (looked in %s)\n",
            dirs);
    return 1;
  }
  bool* keep = tu_calloc(n, sizeof(bool));
  int rc = 2;
  if (t->server != NULL && t->server_may_be_pid &&
      ctl_target_is_pid(t->server)) {
    long pid = strtol(t->server, NULL, 10);
    bool named = false, running = false;
    for (size_t i = 0; i < n; i++) {
      named |= ctl_instance_has(&list[i], t->server);
      running |= list[i].pid == pid;
    }
    if (!named && running) {
      t->pid = pid;
      t->server = NULL;
    }
  }
  size_t match = n, nmatch = 0;
  for (size_t i = 0; i < n; i++) {
    if (t->pid != 0)
      keep[i] = list[i].pid == t->pid;
    else if (t->server != NULL)
      keep[i] =
          list[i].problem == NULL && ctl_instance_has(&list[i], t->server);
    else
      keep[i] = true;
    if (keep[i] && nmatch++ == 0)
      match = i;
  }
  if (t->pid != 0 && nmatch == 0) {
    fprintf(stderr,
            "mcpmon: no running mcpmon instance has pid %ld; these "
            "run:\n",
            t->pid);
    for (size_t i = 0; i < n; i++) keep[i] = true;
    ctl_list_choices(cmd, t, list, n, keep);
    rc = 1;
  } else if (t->pid != 0) {
    const struct ctl_instance* in = &list[match];
    if (t->server != NULL && in->problem == NULL &&
        !ctl_instance_has(in, t->server))
      rc = ctl_unknown_server(t->server, in, 1, true);
    else
      rc = 0;
  } else if (nmatch == 1) {
    rc = 0;
  } else if (nmatch == 0 && n == 1 && list[0].problem != NULL) {
    match = 0; /* names unknown: the core answers for itself */
    rc = 0;
  } else if (nmatch == 0) {
    rc = ctl_unknown_server(t->server, list, n, false);
  } else {
    if (t->server != NULL)
      fprintf(stderr,
              "mcpmon: %zu running mcpmon instances have a server "
              "'%s'; pick one:\n",
              nmatch, t->server);
    else
      fprintf(stderr,
              "mcpmon: %zu mcpmon instances are running; pick "
              "one:\n",
              nmatch);
    ctl_list_choices(cmd, t, list, n, keep);
  }
  if (rc == 0)
    *path = tu_strdup(list[match].path);
  free(keep);
  return rc;
}

int ctl_resolve_target(const char* cmd, struct ctl_target* t, char** path) {
  *path = NULL;
  if (t->socket != NULL) {
    struct ctl_instance in;
    if (t->server != NULL && ctl_probe(t->socket, CTL_TIMEOUT_MS, &in)) {
      int rc = in.problem == NULL && !ctl_instance_has(&in, t->server)
                   ? ctl_unknown_server(t->server, &in, 1, true)
                   : 0;
      ctl_instance_free(&in);
      if (rc != 0)
        return rc;
    }
    *path = tu_strdup(t->socket);
    return 0;
  }
  char err[1024];
  if (ctl_check_search_dirs(err, sizeof(err)) != 0) {
    ctl_print_error("mcpmon: ", err);
    return 1;
  }
  struct ctl_instance* list;
  size_t n = ctl_find_instances(&list, CTL_TIMEOUT_MS);
  int rc = ctl_pick(cmd, t, list, n, path);
  ctl_instances_free(list, n);
  return rc;
}

int ctl_open_target(const char* cmd,
                    struct ctl_target* t,
                    struct ctl_conn* c,
                    char** path) {
  int rc = ctl_resolve_target(cmd, t, path);
  if (rc != 0)
    return rc;
  char err[1024];
  if (ctl_connect(c, *path, CTL_TIMEOUT_MS, err, sizeof(err)) != 0) {
    ctl_print_error("mcpmon: cannot reach mcpmon: ", err);
    free(*path);
    *path = NULL;
    return 1;
  }
  return 0;
}
