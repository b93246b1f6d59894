/* ts_proc.c - the test server's process behaviours: pidfiles written
 * atomically, grandchildren that stay in the process group (ignoring
 * SIGTERM or not), the child that floods stderr, signal names. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp_testserver.h"

/* Write "pid\n" to path through a temporary file and rename, so a reader
 * never sees a half-written file. */
void ts_write_pidfile(const char* path, pid_t pid) {
  size_t n = strlen(path) + 32;
  char* tmp = ts_xrealloc(NULL, n);
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  FILE* f = fopen(tmp, "w");
  if (f == NULL) {
    fprintf(stderr, "mcp_testserver: %s: %s\n", tmp, strerror(errno));
    free(tmp);
    return;
  }
  fprintf(f, "%ld\n", (long)pid);
  fclose(f);
  if (rename(tmp, path) != 0)
    fprintf(stderr, "mcp_testserver: %s: %s\n", path, strerror(errno));
  free(tmp);
}

void ts_start_grandchild(void) {
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "mcp_testserver: fork: %s\n", strerror(errno));
    return;
  }
  if (pid == 0) {
    signal(SIGTERM, ts_spec_bool("grandchild_ignore_sigterm", ts.ignore_sigterm)
                        ? SIG_IGN
                        : SIG_DFL);
    if (!ts_spec_bool("grandchild_keep_stdio", false)) {
      int fd = open("/dev/null", O_RDWR);
      if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
          close(fd);
      }
    }
    long lifetime = 300;
    ts_spec_int("grandchild_lifetime_s", &lifetime);
    alarm((unsigned)lifetime); /* SIGALRM's default action ends it */
    for (;;) pause();
  }
  const char* path = ts_spec_str("grandchild_pidfile");
  if (path != NULL)
    ts_write_pidfile(path, pid);
}

/* stderr_flood_bytes_per_s: a child of the process group writes that many
 * bytes a second to stderr, 100 slices a second, in lines of up to 1000
 * bytes, with blocking writes: a reader that falls behind slows it down. */
void ts_start_stderr_flood(long rate) {
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "mcp_testserver: fork: %s\n", strerror(errno));
    return;
  }
  if (pid > 0)
    return;
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    if (null > STDERR_FILENO)
      close(null);
  }
  long lifetime = 300;
  ts_spec_int("grandchild_lifetime_s", &lifetime);
  alarm((unsigned)lifetime);
  char line[1000];
  memset(line, 'e', sizeof(line));
  line[sizeof(line) - 1] = '\n';
  long slice = rate / 100 > 0 ? rate / 100 : 1;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (;;) {
    for (long left = slice; left > 0;) {
      size_t n = left < (long)sizeof(line) ? (size_t)left : sizeof(line);
      line[n - 1] = '\n';
      ssize_t w = write(STDERR_FILENO, line, n);
      line[n - 1] = 'e';
      line[sizeof(line) - 1] = '\n';
      if (w < 0 && errno != EINTR)
        _exit(0); /* stderr closed: nobody is listening */
      if (w > 0)
        left -= w;
    }
    next.tv_nsec += 10 * 1000 * 1000;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
}

int ts_signal_number(const char* name) {
  static const struct {
    const char* name;
    int sig;
  } table[] = {
      {"SEGV", SIGSEGV}, {"ABRT", SIGABRT}, {"KILL", SIGKILL},
      {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},
      {"QUIT", SIGQUIT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},
  };
  if (strncmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strcmp(table[i].name, name) == 0)
      return table[i].sig;
  }
  return atoi(name);
}
