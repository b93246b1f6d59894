/* control_proto.c - see control_proto.h. */
#include "proto/control_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int control_default_dir(char* buf, size_t cap) {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  int n;
  if (xdg != NULL && xdg[0] == '/')
    n = snprintf(buf, cap, "%s/mcpmon", xdg);
  else
    n = snprintf(buf, cap, "/tmp/mcpmon-%ld", (long)getuid());
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

int control_default_path(long pid, char* buf, size_t cap) {
  char dir[512];
  if (control_default_dir(dir, sizeof(dir)) != 0)
    return -1;
  int n = snprintf(buf, cap, "%s/%ld.sock", dir, pid);
  return n > 0 && (size_t)n < cap ? 0 : -1;
}
