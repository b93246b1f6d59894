/* log.c - see log.h. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_verbosity log_verbosity = LOG_DEFAULT;
static bool log_timestamps;
static int log_fd = -1;
static log_hook_fn log_hook;
static void* log_hook_ctx;

void log_init(enum log_verbosity v, bool timestamps) {
  log_verbosity = v;
  log_timestamps = timestamps;
}

const char* log_level_name(enum log_level l) {
  static const char* names[] = {"error", "warn", "info", "verbose", "debug"};
  return (unsigned)l < 5 ? names[l] : "info";
}

enum log_verbosity log_get_verbosity(void) {
  return log_verbosity;
}

int log_open_file(const char* path, char* err, size_t errlen) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "cannot open log file '%s': %s", path, strerror(e));
    return -e;
  }
  log_close_file();
  log_fd = fd;
  return 0;
}

void log_close_file(void) {
  if (log_fd >= 0)
    close(log_fd);
  log_fd = -1;
}

void log_set_hook(log_hook_fn fn, void* ctx) {
  log_hook = fn;
  log_hook_ctx = ctx;
}

/* Writes all of buf, retrying on EINTR; gives up silently on other errors
 * (a log sink that fails must never stop the proxy). */
static void log_write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Formats "[mcpmon TIME NAME pid:N] " into buf; returns its length. */
static size_t log_prefix(char* buf, size_t cap, const char* name, long pid) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char when[40];
  if (log_timestamps) {
    size_t n = strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03ld", (long)tv.tv_usec / 1000);
  } else {
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
  }
  int n = snprintf(buf, cap, "[mcpmon %s%s%s", when, name ? " " : "",
                   name ? name : "");
  if (pid > 0 && n >= 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, " pid:%ld", pid);
  if (n >= 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, "] ");
  if (n < 0)
    return 0;
  return (size_t)n < cap ? (size_t)n : cap - 1;
}

static void log_emit(enum log_level level,
                     const char* name,
                     bool from_server,
                     char* line,
                     size_t len,
                     size_t prefix_len) {
  line[len] = '\n';
  log_write_all(STDERR_FILENO, line, len + 1);
  if (log_fd >= 0)
    log_write_all(log_fd, line, len + 1);
  line[len] = '\0';
  if (log_hook != NULL)
    log_hook(log_hook_ctx, level, name, from_server, line + prefix_len);
}

void log_msgv(enum log_level level,
              const char* name,
              long pid,
              const char* fmt,
              va_list ap) {
  if (!log_enabled(level))
    return;
  char line[4096];
  size_t p = log_prefix(line, sizeof(line), name, pid);
  int n = vsnprintf(line + p, sizeof(line) - p - 1, fmt, ap);
  size_t len = p;
  if (n > 0)
    len += (size_t)n < sizeof(line) - p - 1 ? (size_t)n : sizeof(line) - p - 2;
  log_emit(level, name, false, line, len, p);
}

void log_msg(enum log_level level,
             const char* name,
             long pid,
             const char* fmt,
             ...) {
  va_list ap;
  va_start(ap, fmt);
  log_msgv(level, name, pid, fmt, ap);
  va_end(ap);
}

void log_passthrough(const char* name, long pid, const char* text, size_t len) {
  if (!log_enabled(LL_INFO))
    return;
  char line[4096];
  size_t p = log_prefix(line, sizeof(line), name, pid);
  const char tag[] = "| ";
  size_t room = sizeof(line) - p - sizeof(tag) - 1;
  if (len > room)
    len = room;
  memcpy(line + p, tag, sizeof(tag) - 1);
  memcpy(line + p + sizeof(tag) - 1, text, len);
  line[p + sizeof(tag) - 1 + len] = '\0';
  log_emit(LL_INFO, name, true, line, p + sizeof(tag) - 1 + len,
           p + sizeof(tag) - 1);
}
