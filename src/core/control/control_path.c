/* control_path.c - see control_path.h. */
#include "core/control/control_path.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "proto/control_dir.h"
#include "proto/control_proto.h"

/* Replace a stale socket; refuse to take over a live one. */
static int ctl_clear_path(const char* path, char* err, size_t errlen) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0;
  if (!S_ISSOCK(st.st_mode)) {
    snprintf(err, errlen, "'%s' exists and is not a socket", path);
    return UV_EEXIST;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  bool live = fd >= 0 && connect(fd, (struct sockaddr*)&sa, sizeof(sa)) == 0;
  if (fd >= 0)
    close(fd);
  if (live) {
    snprintf(err, errlen, "another mcpmon is serving '%s'", path);
    return UV_EADDRINUSE;
  }
  unlink(path);
  return 0;
}

int ctl_path_prepare(
    const char** pathp, char* def, size_t defcap, char* err, size_t errlen) {
  const char* path = *pathp;
  int rc;
  if (path == NULL) {
    /* The default folder must be private (issue 12 item 7). */
    char dir[512], why[768];
    if (control_default_dir(dir, sizeof(dir)) != 0 ||
        control_default_path((long)getpid(), def, defcap) != 0) {
      snprintf(err, errlen, "the default socket path is too long");
      return UV_ENAMETOOLONG;
    }
    rc = control_dir_make(dir, why, sizeof(why));
    if (rc != 0) {
      snprintf(err, errlen,
               "%s; remove it, or set XDG_RUNTIME_DIR to a folder of your "
               "own, or pass --tui PATH",
               why);
      return rc;
    }
    path = def;
  }
  if (strlen(path) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    snprintf(err, errlen, "socket path '%s' is too long (max %zu bytes)", path,
             sizeof(((struct sockaddr_un*)0)->sun_path) - 1);
    return UV_ENAMETOOLONG;
  }
  if (path != def) {
    /* A path the user gave: its folder is made if missing, and nobody
     * else may rename or replace what is in it (issue 12 item 7). */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    char* slash = strrchr(dir, '/');
    if (slash == NULL)
      snprintf(dir, sizeof(dir), ".");
    else
      slash[slash == dir ? 1 : 0] = '\0';
    char why[768];
    rc = control_dir_make_parent(dir, why, sizeof(why));
    if (rc != 0) {
      snprintf(err, errlen,
               "%s; choose a socket path in a folder of your own "
               "(--tui PATH)",
               why);
      return rc;
    }
  }
  rc = ctl_clear_path(path, err, errlen);
  if (rc != 0)
    return rc;
  *pathp = path;
  return 0;
}
