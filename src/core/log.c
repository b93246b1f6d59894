/* log.c - see log.h. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_shown = LOG_DEFAULT;
static bool log_timestamps;
static int log_fd = -1;
static log_hook_fn log_hook;
static void* log_hook_ctx;

void log_init(enum log_level shown, bool timestamps) {
  log_shown = shown;
  log_timestamps = timestamps;
}

const char* log_level_name(enum log_level l) {
  static const char* names[] = {"error", "warn", "info", "verbose", "debug"};
  return (unsigned)l < 5 ? names[l] : "info";
}

enum log_level log_get_verbosity(void) {
  return log_shown;
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

/* What log_clean does with an ANSI colour sequence (ESC [ digits;... m). */
enum log_sgr { SGR_ESCAPE, SGR_KEEP, SGR_DROP };

/* The length of the colour sequence at p (ESC first), or 0. */
static size_t log_sgr_len(const char* p, const char* end) {
  if (end - p < 3 || p[1] != '[')
    return 0;
  for (const char* q = p + 2; q < end && q - p < 32; q++) {
    if (*q == 'm')
      return (size_t)(q - p) + 1;
    if ((*q < '0' || *q > '9') && *q != ';')
      return 0;
  }
  return 0;
}

/* Copy src (n bytes) into dst (cap >= 1 bytes, NUL-terminated, cut when
 * full) with every control byte but TAB written as \xNN: bytes from
 * outside (a server's garbage, a line cut mid-escape) must not move the
 * cursor, ring bells or retitle the terminal. Returns the length. */
static size_t log_clean(
    char* dst, size_t cap, const char* src, size_t n, enum log_sgr sgr) {
  const char* end = src + n;
  size_t o = 0;
  for (const char* p = src; p < end && o + 1 < cap;) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c != 0x7f) {
      dst[o++] = (char)c;
      p++;
      continue;
    }
    if (c == '\t') {
      dst[o++] = '\t';
      p++;
      continue;
    }
    size_t k = c == 0x1b && sgr != SGR_ESCAPE ? log_sgr_len(p, end) : 0;
    if (k > 0) {
      if (sgr == SGR_KEEP) {
        if (o + k + 1 > cap)
          break;
        memcpy(dst + o, p, k);
        o += k;
      }
      p += k;
      continue;
    }
    if (o + 5 > cap)
      break;
    static const char hex[] = "0123456789abcdef";
    dst[o++] = '\\';
    dst[o++] = 'x';
    dst[o++] = hex[c >> 4];
    dst[o++] = hex[c & 15];
    p++;
  }
  dst[o] = '\0';
  return o;
}

static bool log_has_control(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return true;
  }
  return false;
}

/* line: prefix_len bytes of prefix, then the message (len bytes in all,
 * room for one more). A server's own colours pass to the terminal and the
 * log file, not to the dashboard (log_hook). */
static void log_emit(enum log_level level,
                     const char* name,
                     bool from_server,
                     char* line,
                     size_t len,
                     size_t prefix_len) {
  char clean[8192];
  const char* msg = line + prefix_len;
  size_t msg_len = len - prefix_len;
  bool dirty = log_has_control(msg, msg_len);
  if (dirty) {
    memcpy(clean, line, prefix_len);
    len = prefix_len + log_clean(clean + prefix_len,
                                 sizeof(clean) - prefix_len - 1, msg, msg_len,
                                 from_server ? SGR_KEEP : SGR_ESCAPE);
    line = clean;
  }
  line[len] = '\n';
  log_write_all(STDERR_FILENO, line, len + 1);
  if (log_fd >= 0)
    log_write_all(log_fd, line, len + 1);
  line[len] = '\0';
  if (log_hook == NULL)
    return;
  if (dirty && from_server) {
    char plain[4096];
    log_clean(plain, sizeof(plain), msg, msg_len, SGR_DROP);
    log_hook(log_hook_ctx, level, name, from_server, plain);
    return;
  }
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

void log_msg(
    enum log_level level, const char* name, long pid, const char* fmt, ...) {
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
