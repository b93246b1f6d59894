/* proc.c - see proc.h. */
#include "core/proc/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/* Reads the state and process group of /proc/PID/stat. */
static bool proc_stat(const char* pid, char* state, long* pgrp) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%s/stat", pid);
  FILE* f = fopen(path, "re");
  if (f == NULL)
    return false;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* "pid (comm) S ppid pgrp ..."; comm may contain spaces and parens. */
  char* close = strrchr(buf, ')');
  if (close == NULL)
    return false;
  long ppid;
  if (sscanf(close + 1, " %c %ld %ld", state, &ppid, pgrp) != 3)
    return false;
  return true;
}

bool proc_group_alive(pid_t pgid) {
  if (pgid <= 0)
    return false;
  if (kill(-pgid, 0) != 0 && errno == ESRCH)
    return false;
  /* Something answers to the group id: make sure it is not only zombies. */
  DIR* d = opendir("/proc");
  if (d == NULL)
    return true;
  bool alive = false;
  struct dirent* e;
  while (!alive && (e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    char state;
    long pgrp;
    if (proc_stat(e->d_name, &state, &pgrp) && pgrp == (long)pgid &&
        state != 'Z' && state != 'X')
      alive = true;
  }
  closedir(d);
  return alive;
}

int proc_signal_group(pid_t pgid, int sig) {
  if (pgid <= 0)
    return -ESRCH;
  if (kill(-pgid, sig) != 0 && errno != ESRCH)
    return -errno;
  return 0;
}

/* 0 when path is a program to run, else why not: ENOENT (or another
 * errno of stat), EISDIR, EACCES (a file without execute permission or
 * not a regular file). */
static int proc_exec_error(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return errno != 0 ? errno : ENOENT;
  if (S_ISDIR(st.st_mode))
    return EISDIR;
  if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
    return EACCES;
  return 0;
}

char* proc_find_program(const char* cmd) {
  if (cmd == NULL || cmd[0] == '\0') {
    errno = ENOENT;
    return NULL;
  }
  if (strchr(cmd, '/') != NULL) {
    int e = proc_exec_error(cmd);
    if (e == 0)
      return xstrdup(cmd);
    errno = e;
    return NULL;
  }
  const char* path = getenv("PATH");
  if (path == NULL || path[0] == '\0')
    path = "/usr/local/bin:/usr/bin:/bin";
  const char* p = path;
  while (1) {
    const char* colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    char* full =
        n == 0 ? xasprintf("./%s", cmd) : xasprintf("%.*s/%s", (int)n, p, cmd);
    if (proc_exec_error(full) == 0)
      return full;
    free(full);
    if (colon == NULL)
      break;
    p = colon + 1;
  }
  errno = ENOENT;
  return NULL;
}

/* For a bare word not found on PATH: what of that name lies in dir, as
 * a hint after "command not found"; "" when nothing does. */
static void proc_not_found_hint(const char* cmd,
                                const char* dir,
                                char* buf,
                                size_t cap) {
  buf[0] = '\0';
  char* here = xasprintf("%s/%s", dir, cmd);
  int e = proc_exec_error(here);
  free(here);
  if (e == EISDIR)
    snprintf(buf, cap,
             " ('%s' in the working directory is a directory, "
             "not a program)",
             cmd);
  else if (e == 0)
    snprintf(buf, cap,
             " on PATH (to run the file '%s' of the working "
             "directory, write './%s')",
             cmd, cmd);
}

int proc_check_start(
    const char* cmd, const char* cwd, char** path, char* err, size_t errlen) {
  *path = NULL;
  if (cwd != NULL) {
    struct stat st;
    if (stat(cwd, &st) != 0)
      return proc_cwd_error(cmd, cwd, errno, err, errlen);
    if (!S_ISDIR(st.st_mode))
      return proc_cwd_error(cmd, cwd, ENOTDIR, err, errlen);
  }
  int e;
  if (cwd == NULL || strchr(cmd, '/') == NULL) {
    *path = proc_find_program(cmd);
    if (*path != NULL)
      return 0;
    e = errno;
  } else {
    char* full = cmd[0] == '/' ? xstrdup(cmd) : xasprintf("%s/%s", cwd, cmd);
    e = proc_exec_error(full);
    free(full);
    if (e == 0)
      return 0; /* exec'd as given, relative to cwd */
  }
  return proc_start_error(cmd, NULL, cwd, e, err, errlen);
}

/* The interpreter a "#!" line of file (relative to cwd) names, into buf;
 * false when file has no such line. */
static bool proc_interpreter(const char* file,
                             const char* cwd,
                             char* buf,
                             size_t cap) {
  char* full = file[0] == '/' || cwd == NULL ? xstrdup(file)
                                             : xasprintf("%s/%s", cwd, file);
  FILE* f = fopen(full, "re");
  free(full);
  if (f == NULL)
    return false;
  char line[256];
  size_t n = fread(line, 1, sizeof(line) - 1, f);
  fclose(f);
  line[n] = '\0';
  if (n < 3 || line[0] != '#' || line[1] != '!')
    return false;
  char* p = line + 2;
  while (*p == ' ' || *p == '\t') p++;
  size_t len = strcspn(p, " \t\r\n");
  snprintf(buf, cap, "%.*s", (int)len, p);
  return len > 0;
}

int proc_start_error(const char* cmd,
                     const char* file,
                     const char* cwd,
                     int e,
                     char* err,
                     size_t errlen) {
  char hint[300] = "";
  if (e == ENOENT && file != NULL &&
      proc_interpreter(file, cwd, hint, sizeof(hint))) {
    snprintf(err, errlen,
             "Cannot run '%s': its interpreter '%s' (its #! line) was not "
             "found",
             cmd, hint);
    return -ENOENT;
  }
  switch (e) {
    case EISDIR:
      snprintf(err, errlen, "Cannot run '%s': it is a directory, not a program",
               cmd);
      return -EISDIR;
    case EACCES:
      snprintf(err, errlen,
               "Cannot run '%s': it is not an executable file (chmod +x it, "
               "or make its interpreter the command)",
               cmd);
      return -EACCES;
    case ENOENT:
      if (strchr(cmd, '/') == NULL)
        proc_not_found_hint(cmd, cwd != NULL ? cwd : ".", hint, sizeof(hint));
      snprintf(err, errlen, "Cannot run '%s': command not found%s", cmd, hint);
      return -ENOENT;
    default:
      snprintf(err, errlen, "Cannot run '%s': %s", cmd, strerror(e));
      return -e;
  }
}

int proc_cwd_error(
    const char* cmd, const char* cwd, int e, char* err, size_t errlen) {
  const char* why = e == ENOENT    ? "does not exist"
                    : e == ENOTDIR ? "is not a directory"
                                   : strerror(e);
  snprintf(err, errlen, "Cannot start '%s': working directory '%s' %s", cmd,
           cwd, why);
  return -ENOTDIR;
}

void proc_describe_exit(long exit_status,
                        int term_signal,
                        char* buf,
                        size_t cap) {
  if (term_signal != 0) {
    const char* name = sigabbrev_np(term_signal);
    if (name != NULL)
      snprintf(buf, cap, "signal SIG%s", name);
    else
      snprintf(buf, cap, "signal %d", term_signal);
  } else {
    snprintf(buf, cap, "exit code %ld", exit_status);
  }
}

/* Bytes of pipe capacity mcpmon has added, and how many it may add: an
 * eighth of pipe-user-pages-soft (read once; 0 there means no limit). */
static size_t proc_pipe_used;
static size_t proc_pipe_budget = SIZE_MAX;

static size_t proc_pipe_budget_now(void) {
  if (proc_pipe_budget != SIZE_MAX)
    return proc_pipe_budget;
  unsigned long pages = 16384; /* the kernel's default */
  FILE* f = fopen("/proc/sys/fs/pipe-user-pages-soft", "r");
  if (f != NULL) {
    if (fscanf(f, "%lu", &pages) != 1)
      pages = 16384;
    fclose(f);
  }
  if (pages == 0)
    pages = 16384; /* no limit: keep the default's share anyway */
  proc_pipe_budget = (size_t)pages * 4096u / 8u;
  return proc_pipe_budget;
}

size_t proc_pipe_grow(int fd) {
#ifdef F_SETPIPE_SZ
  int old = fcntl(fd, F_GETPIPE_SZ);
  if (old <= 0 || (size_t)old >= PROC_PIPE_BIG)
    return 0;
  size_t more = PROC_PIPE_BIG - (size_t)old;
  if (proc_pipe_used + more > proc_pipe_budget_now())
    return 0;
  int now = fcntl(fd, F_SETPIPE_SZ, (int)PROC_PIPE_BIG);
  if (now <= old)
    return 0; /* EPERM over the user's limit, or not a pipe */
  proc_pipe_used += (size_t)(now - old);
  return (size_t)(now - old);
#else
  (void)fd;
  return 0;
#endif
}

void proc_pipe_release(size_t counted) {
  proc_pipe_used -= counted < proc_pipe_used ? counted : proc_pipe_used;
}
