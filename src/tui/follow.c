/* follow.c - see follow.h. */
#include "tui/follow.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/control_dir.h"
#include "proto/control_proto.h"
#include "tui/ctlclient.h"
#include "tui/tutil.h"

static char* follow_str(const cJSON* obj, const char* key) {
  const char* s =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
  return s != NULL ? tu_strdup(s) : NULL;
}

void follow_id_free(struct follow_id* id) {
  free(id->mode);
  free(id->config);
  free(id->command);
  free(id->cwd);
  memset(id, 0, sizeof(*id));
}

void follow_id_set(struct follow_id* id, const cJSON* hello) {
  follow_id_free(id);
  id->mode = follow_str(hello, "mode");
  id->config = follow_str(hello, "config");
  id->command = follow_str(hello, "command");
  id->cwd = follow_str(hello, "cwd");
}

static bool follow_gateway(const struct follow_id* id) {
  return id->mode != NULL && strcmp(id->mode, "gateway") == 0;
}

bool follow_id_known(const struct follow_id* id) {
  if (id->mode == NULL)
    return false;
  if (follow_gateway(id))
    return id->config != NULL;
  return id->command != NULL && id->cwd != NULL;
}

static bool follow_same(const char* a, const cJSON* obj, const char* key) {
  const char* b =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool follow_id_matches(const struct follow_id* id, const cJSON* hello) {
  if (!follow_id_known(id) || !follow_same(id->mode, hello, "mode"))
    return false;
  if (follow_gateway(id))
    return follow_same(id->config, hello, "config");
  return follow_same(id->command, hello, "command") &&
         follow_same(id->cwd, hello, "cwd");
}

void follow_id_describe(const struct follow_id* id, char* buf, size_t cap) {
  if (!follow_id_known(id))
    snprintf(buf, cap, "the same server");
  else if (follow_gateway(id))
    snprintf(buf, cap, "the config %s", id->config);
  else
    snprintf(buf, cap, "'%s' in %s", id->command, id->cwd);
}

/* The hello of the instance at path, if one listens there and is not
 * skip_pid; NULL otherwise. */
static cJSON* follow_hello(const char* path,
                           long skip_pid,
                           int timeout_ms,
                           long* pid) {
  int fd;
  char err[512];
  if (ctl_socket_connect(path, timeout_ms, &fd, err, sizeof(err)) != 0)
    return NULL;
  struct ctl_conn c = {.fd = fd};
  ctl_reader_init(&c.rd, CONTROL_SERVER_LINE_MAX);
  cJSON* hello = NULL;
  if (ctl_recv(&c, timeout_ms, &hello, err, sizeof(err)) != 0 ||
      ctl_check_hello(hello, pid, err, sizeof(err)) != 0 || *pid == skip_pid) {
    cJSON_Delete(hello);
    hello = NULL;
  }
  ctl_close(&c);
  return hello;
}

bool follow_find(const struct follow_id* id,
                 long skip_pid,
                 int timeout_ms,
                 char** path_out,
                 long* pid_out) {
  if (!follow_id_known(id))
    return false;
  char dirs[2][512];
  int ndirs = ctl_search_dirs(dirs);
  char* best = NULL;
  long best_pid = 0;
  for (int d = 0; d < ndirs; d++) {
    char why[768];
    if (control_dir_check(dirs[d], why, sizeof(why)) != 0)
      continue; /* missing, or not only ours */
    DIR* dir = opendir(dirs[d]);
    if (dir == NULL)
      continue;
    struct dirent* de;
    while ((de = readdir(dir)) != NULL) {
      size_t len = strlen(de->d_name);
      if (len < 6 || strcmp(de->d_name + len - 5, ".sock") != 0)
        continue;
      char path[1024];
      int plen = snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
      struct stat st;
      if (plen < 0 || (size_t)plen >= sizeof(path) || stat(path, &st) != 0 ||
          !S_ISSOCK(st.st_mode))
        continue;
      long pid = 0;
      cJSON* hello = follow_hello(path, skip_pid, timeout_ms, &pid);
      if (hello != NULL && follow_id_matches(id, hello) &&
          (best == NULL || pid > best_pid)) {
        free(best);
        best = tu_strdup(path);
        best_pid = pid;
      }
      cJSON_Delete(hello);
    }
    closedir(dir);
  }
  if (best == NULL)
    return false;
  *path_out = best;
  *pid_out = best_pid;
  return true;
}
