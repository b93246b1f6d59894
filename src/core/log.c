/* log.c - see log.h. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

size_t log_written_files(struct log_file_id* ids, size_t max) {
  int fds[] = {log_fd, STDERR_FILENO};
  size_t n = 0;
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]) && n < max; i++) {
    struct stat st;
    if (fds[i] < 0 || fstat(fds[i], &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    ids[n].dev = st.st_dev;
    ids[n].ino = st.st_ino;
    n++;
  }
  return n;
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

/* ---- stderr: never blocking -------------------------------------- */

/* How lines reach stderr (see log_open_stderr). */
enum log_sink_mode {
  SINK_DIRECT, /* blocking writes to fd 2: a file, /dev/null, or before
                  log_open_stderr */
  SINK_OWN,    /* non-blocking writes to an open file description of our
                  own on what fd 2 is (a pipe or a terminal) */
  SINK_SHARED, /* non-blocking writes to fd 2 itself, its O_NONBLOCK set
                  and restored at exit (when reopening failed) */
};

static enum log_sink_mode sink_mode = SINK_DIRECT;
static int sink_fd = STDERR_FILENO;
static int sink_saved_flags = -1;         /* SINK_SHARED: fd 2's flags before */
static char sink_q[LOG_STDERR_QUEUE_MAX]; /* bytes not yet written */
static size_t sink_off;                   /* first unwritten byte */
static size_t sink_len;                   /* end of the queued bytes */
static unsigned long long sink_dropped;   /* lines dropped since last said */
static uv_poll_t sink_poll;
static bool sink_poll_open;
static bool sink_poll_active;

static size_t log_prefix(char* buf, size_t cap, const char* name, long pid);

static uint64_t log_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One non-blocking write of what is queued; true when it is all out. On
 * an error other than EAGAIN (the reader is gone) the queue is dropped:
 * there is nobody to tell. */
static bool log_sink_write_queue(void) {
  while (sink_off < sink_len) {
    ssize_t n = write(sink_fd, sink_q + sink_off, sink_len - sink_off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    if (n <= 0) {
      sink_off = sink_len = 0;
      return true;
    }
    sink_off += (size_t)n;
  }
  sink_off = sink_len = 0;
  return true;
}

/* Appends len bytes to the queue when they fit; false when not. */
static bool log_sink_enqueue(const char* buf, size_t len) {
  if (sink_len - sink_off + len > sizeof(sink_q))
    return false;
  if (sink_len + len > sizeof(sink_q)) {
    memmove(sink_q, sink_q + sink_off, sink_len - sink_off);
    sink_len -= sink_off;
    sink_off = 0;
  }
  memcpy(sink_q + sink_len, buf, len);
  sink_len += len;
  return true;
}

/* Writes what it can; once the queue has drained, says how many lines
 * were dropped meanwhile (on stderr only: the log file and the hook got
 * every line). Returns true when nothing is left queued. */
static bool log_sink_flush(void) {
  if (!log_sink_write_queue())
    return false;
  if (sink_dropped == 0)
    return true;
  char note[256];
  size_t p = log_prefix(note, sizeof(note), NULL, 0);
  int n = snprintf(note + p, sizeof(note) - p,
                   "%llu log line%s dropped (stderr was not read)\n",
                   sink_dropped, sink_dropped == 1 ? "" : "s");
  sink_dropped = 0;
  if (n > 0 && (size_t)n < sizeof(note) - p)
    log_sink_enqueue(note, p + (size_t)n);
  return log_sink_write_queue();
}

static void log_sink_on_writable(uv_poll_t* h, int status, int events) {
  (void)h;
  (void)events;
  if (status < 0 || log_sink_flush()) {
    uv_poll_stop(&sink_poll);
    sink_poll_active = false;
  }
}

/* Something is queued: be told when stderr takes more. */
static void log_sink_arm(void) {
  if (!sink_poll_open || sink_poll_active)
    return;
  if (uv_poll_start(&sink_poll, UV_WRITABLE, log_sink_on_writable) == 0)
    sink_poll_active = true;
}

/* One whole line (newline included) for stderr. */
static void log_stderr(const char* line, size_t len) {
  if (sink_mode == SINK_DIRECT) {
    log_write_all(STDERR_FILENO, line, len);
    return;
  }
  if (!log_sink_flush()) {
    /* Still full: keep the line if it fits, else drop and count it. */
    if (!log_sink_enqueue(line, len))
      sink_dropped++;
    log_sink_arm();
    return;
  }
  ssize_t n;
  do n = write(sink_fd, line, len);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)len)
    return;
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    return; /* the reader is gone */
  size_t done = n > 0 ? (size_t)n : 0;
  /* The queue is empty and larger than any line: the rest fits, so a
   * line is never cut in the middle. */
  log_sink_enqueue(line + done, len - done);
  log_sink_arm();
}

static void log_sink_restore(void) {
  if (sink_mode == SINK_SHARED && sink_saved_flags >= 0)
    fcntl(STDERR_FILENO, F_SETFL, sink_saved_flags);
  sink_saved_flags = -1;
}

int log_open_stderr(void) {
  if (sink_mode != SINK_DIRECT)
    return 0;
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0)
    return -errno;
  bool tty = isatty(STDERR_FILENO);
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !tty)
    return 0; /* a file or /dev/null: writes do not wait for a reader */
  if (!S_ISSOCK(st.st_mode)) {
    /* A new open file description of the same pipe or terminal: its
     * O_NONBLOCK is ours alone. */
    int fd =
        open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat fst;
    if (fd >= 0 && fstat(fd, &fst) == 0 && fst.st_dev == st.st_dev &&
        fst.st_ino == st.st_ino) {
      sink_fd = fd;
      sink_mode = SINK_OWN;
      return 0;
    }
    if (fd >= 0)
      close(fd);
  }
  int flags = fcntl(STDERR_FILENO, F_GETFL);
  if (flags < 0)
    return -errno;
  if ((flags & O_NONBLOCK) == 0) {
    if (fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK) != 0)
      return -errno;
    sink_saved_flags = flags;
    atexit(log_sink_restore);
  }
  sink_fd = STDERR_FILENO;
  sink_mode = SINK_SHARED;
  return 0;
}

void log_attach_loop(uv_loop_t* loop) {
  if (sink_mode == SINK_DIRECT || sink_poll_open)
    return;
  if (uv_poll_init(loop, &sink_poll, sink_fd) != 0)
    return; /* queued lines then go out with the next line or at exit */
  uv_unref((uv_handle_t*)&sink_poll);
  sink_poll_open = true;
  if (sink_off < sink_len)
    log_sink_arm();
}

void log_detach_loop(void) {
  if (!sink_poll_open)
    return;
  sink_poll_open = false;
  sink_poll_active = false;
  uv_close((uv_handle_t*)&sink_poll, NULL);
}

void log_close_stderr(unsigned timeout_ms) {
  if (sink_mode == SINK_DIRECT)
    return;
  uint64_t end = log_now_ms() + timeout_ms;
  while (!log_sink_flush()) {
    uint64_t now = log_now_ms();
    if (now >= end)
      break;
    struct pollfd pfd = {.fd = sink_fd, .events = POLLOUT};
    if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
      break;
  }
  log_sink_restore();
  if (sink_mode == SINK_OWN)
    close(sink_fd);
  sink_fd = STDERR_FILENO;
  sink_mode = SINK_DIRECT;
  sink_off = sink_len = 0;
  sink_dropped = 0;
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
  log_stderr(line, len + 1);
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

void log_passthrough_tag(
    const char* name, long pid, const char* tag, const char* text, size_t len) {
  if (!log_enabled(LL_INFO))
    return;
  char line[4096];
  size_t p = log_prefix(line, sizeof(line), name, pid);
  size_t tlen = strlen(tag);
  if (tlen > 64)
    tlen = 64;
  size_t room = sizeof(line) - p - tlen - 1;
  if (len > room)
    len = room;
  memcpy(line + p, tag, tlen);
  memcpy(line + p + tlen, text, len);
  line[p + tlen + len] = '\0';
  log_emit(LL_INFO, name, true, line, p + tlen + len, p + tlen);
}

void log_passthrough(const char* name, long pid, const char* text, size_t len) {
  log_passthrough_tag(name, pid, "| ", text, len);
}
