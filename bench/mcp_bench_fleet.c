/* mcp_bench_fleet.c - start -> full tools/list, for bench/run.sh's gateway
 * section (issue 18).
 *
 *   mcp_bench_fleet [--direct N] [--tools T] [--runs R] [--count K]
 *                   [--timeout-ms MS] -- command [args...]
 *
 * Each run spawns the command (N copies at once with --direct, else one)
 * with pipes on stdin and stdout (stderr inherited), writes initialize at
 * once, and on its answer notifications/initialized and tools/list,
 * following nextCursor through every page. A process is done when its
 * pages together hold T tools (default 1), counted as occurrences of
 * "inputSchema" in the answers, so a 1.4 MB list is never parsed; a
 * shorter list (a gateway whose backends are still starting) is asked
 * again on the next notifications/tools/list_changed or after 20 ms. The
 * run's time is from the first spawn to the last process done; then every
 * process gets stdin EOF (SIGKILL after 5 s).
 *
 * Without --direct, the last run then times K (default 0) more full lists
 * (every page) and reads the child's VmHWM and VmRSS from /proc.
 *
 * Prints one line: runs=R procs=N tools=T full_ms=MEDIAN full_all_ms=A,B,..
 * pages=P retries=Q [list_p50_us= list_p99_us= hwm_kb= rss_kb=]. Every
 * wait is bounded by --timeout-ms (default 30000); a timeout or an error
 * answer exits 1 with a message on stderr, after killing every child.
 * C11, POSIX; nothing from src/ and no JSON library.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FL_MAX_PROCS 512
#define FL_CHUNK ((size_t)1 << 20)
#define FL_RETRY_MS 20

enum fl_state { FL_INIT, FL_LIST, FL_WAIT, FL_DONE };

struct fl_proc {
  pid_t pid;
  int in, out;
  char* buf;
  size_t len, cap, scanned;
  enum fl_state state;
  long want_id;   /* the answer we wait for */
  long next_id;   /* ids of this process's requests */
  long tools;     /* counted in the pages of the list under way */
  long pages;     /* pages read, all lists */
  long retries;   /* lists that were short and asked again */
  bool changed;   /* a list_changed since the last list began */
  uint64_t retry; /* FL_WAIT: when to ask again */
  uint64_t done;  /* FL_DONE: when */
};

static struct fl_proc fl_procs[FL_MAX_PROCS];
static int fl_nprocs;
static long fl_want = 1;
static long fl_timeout_ms = 30000;

static void fl_kill_all(void) {
  for (int i = 0; i < fl_nprocs; i++) {
    if (fl_procs[i].pid > 0) {
      kill(fl_procs[i].pid, SIGKILL);
      waitpid(fl_procs[i].pid, NULL, 0);
      fl_procs[i].pid = 0;
    }
  }
}

static void die(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("mcp_bench_fleet: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fl_kill_all();
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void fl_spawn(struct fl_proc* p, char** cmd) {
  memset(p, 0, sizeof(*p));
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
    die("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execvp(cmd[0], cmd);
    fprintf(stderr, "mcp_bench_fleet: exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  p->pid = pid;
  p->in = in[1];
  p->out = out[0];
  p->next_id = 1;
}

static void fl_write(struct fl_proc* p, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(p->in, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      die("writing to pid %d: %s", (int)p->pid, strerror(errno));
    s += w;
    n -= (size_t)w;
  }
}

static void fl_request(struct fl_proc* p,
                       const char* method,
                       const char* params) {
  char line[1024];
  p->want_id = p->next_id++;
  int n = snprintf(line, sizeof(line),
                   "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\","
                   "\"params\":%s}\n",
                   p->want_id, method, params);
  if (n < 0 || (size_t)n >= sizeof(line))
    die("request too long");
  fl_write(p, line, (size_t)n);
}

static void fl_list_begin(struct fl_proc* p) {
  p->state = FL_LIST;
  p->tools = 0;
  p->changed = false;
  fl_request(p, "tools/list", "{}");
}

/* The id of a response: "id":N in the first or last 256 bytes. */
static long fl_line_id(const char* line, size_t len) {
  size_t spans[2][2] = {{0, len < 256 ? len : 256},
                        {len > 256 ? len - 256 : 0, len}};
  for (int s = 0; s < 2; s++) {
    for (size_t i = spans[s][0]; i + 5 < spans[s][1]; i++) {
      if (memcmp(line + i, "\"id\":", 5) == 0)
        return strtol(line + i + 5, NULL, 10);
    }
  }
  return -1;
}

static long fl_count(const char* line, size_t len, const char* what) {
  long n = 0;
  size_t wl = strlen(what);
  const char* p = line;
  const char* end = line + len;
  while ((p = memmem(p, (size_t)(end - p), what, wl)) != NULL) {
    n++;
    p += wl;
  }
  return n;
}

/* nextCursor's raw string (JSON-escaped, as it came) into out, or false. */
static bool fl_cursor(const char* line, size_t len, char* out, size_t cap) {
  const char* k = memmem(line, len, "\"nextCursor\"", 12);
  if (k == NULL)
    return false;
  const char* end = line + len;
  const char* p = k + 12;
  while (p < end && (*p == ' ' || *p == ':')) p++;
  if (p >= end || *p != '"')
    return false; /* null: the last page */
  p++;
  size_t n = 0;
  while (p < end && *p != '"') {
    if (*p == '\\' && p + 1 < end) {
      if (n + 2 >= cap)
        die("cursor too long");
      out[n++] = *p++;
    }
    if (n + 1 >= cap)
      die("cursor too long");
    out[n++] = *p++;
  }
  out[n] = '\0';
  return true;
}

static void fl_line(struct fl_proc* p, char* line, size_t len) {
  if (len < 4096 && memmem(line, len, "\"method\"", 8) != NULL) {
    if (memmem(line, len, "notifications/tools/list_changed", 32) != NULL)
      p->changed = true;
    return; /* a notification, or a request we do not answer */
  }
  if (fl_line_id(line, len) != p->want_id)
    return;
  if (len < 4096 && memmem(line, len, "\"error\"", 7) != NULL)
    die("pid %d answered with an error: %.300s", (int)p->pid, line);
  if (p->state == FL_INIT) {
    static const char note[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    fl_write(p, note, sizeof(note) - 1);
    fl_list_begin(p);
    return;
  }
  if (p->state != FL_LIST)
    return;
  p->pages++;
  p->tools += fl_count(line, len, "\"inputSchema\"");
  char cursor[512], params[600];
  if (fl_cursor(line, len, cursor, sizeof(cursor))) {
    snprintf(params, sizeof(params), "{\"cursor\":\"%s\"}", cursor);
    fl_request(p, "tools/list", params);
    return;
  }
  if (p->tools >= fl_want) {
    p->state = FL_DONE;
    p->done = now_ns();
    return;
  }
  p->retries++;
  if (p->changed) {
    fl_list_begin(p);
  } else {
    p->state = FL_WAIT;
    p->retry = now_ns() + (uint64_t)FL_RETRY_MS * 1000000u;
  }
}

static void fl_read(struct fl_proc* p) {
  for (;;) {
    if (p->cap - p->len < FL_CHUNK) {
      p->cap = p->cap * 2 + FL_CHUNK;
      p->buf = realloc(p->buf, p->cap);
      if (p->buf == NULL)
        die("out of memory");
    }
    ssize_t n = read(p->out, p->buf + p->len, p->cap - p->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      break;
    if (n < 0)
      die("reading from pid %d: %s", (int)p->pid, strerror(errno));
    if (n == 0)
      die("pid %d closed its stdout", (int)p->pid);
    p->len += (size_t)n;
  }
  size_t start = 0;
  char* nl;
  while ((nl = memchr(p->buf + p->scanned, '\n', p->len - p->scanned)) !=
         NULL) {
    size_t end = (size_t)(nl - p->buf);
    *nl = '\0';
    fl_line(p, p->buf + start, end - start);
    start = end + 1;
    p->scanned = start;
  }
  memmove(p->buf, p->buf + start, p->len - start);
  p->len -= start;
  p->scanned = p->len;
}

/* Runs every process until all are FL_DONE. */
static void fl_pump(void) {
  static struct pollfd fds[FL_MAX_PROCS];
  uint64_t deadline = now_ns() + (uint64_t)fl_timeout_ms * 1000000u;
  for (;;) {
    int waiting = 0;
    uint64_t now = now_ns();
    int wait_ms = 1000;
    for (int i = 0; i < fl_nprocs; i++) {
      struct fl_proc* p = &fl_procs[i];
      if (p->state == FL_WAIT && (p->changed || now >= p->retry))
        fl_list_begin(p);
      if (p->state == FL_WAIT) {
        int ms = (int)((p->retry - now) / 1000000u) + 1;
        if (ms < wait_ms)
          wait_ms = ms;
      }
      if (p->state != FL_DONE)
        waiting++;
      fds[i].fd = p->out;
      fds[i].events = POLLIN;
      fds[i].revents = 0;
    }
    if (waiting == 0)
      return;
    if (now >= deadline)
      die("%d of %d processes without a full list of %ld tools after %ld ms",
          waiting, fl_nprocs, fl_want, fl_timeout_ms);
    int r = poll(fds, (nfds_t)fl_nprocs, wait_ms);
    if (r < 0 && errno != EINTR)
      die("poll: %s", strerror(errno));
    for (int i = 0; i < fl_nprocs && r > 0; i++) {
      if (fds[i].revents != 0)
        fl_read(&fl_procs[i]);
    }
  }
}

static void fl_end_all(void) {
  for (int i = 0; i < fl_nprocs; i++) close(fl_procs[i].in);
  uint64_t deadline = now_ns() + 5000000000u;
  for (int i = 0; i < fl_nprocs; i++) {
    struct fl_proc* p = &fl_procs[i];
    while (waitpid(p->pid, NULL, WNOHANG) == 0) {
      if (now_ns() > deadline) {
        fprintf(stderr, "mcp_bench_fleet: pid %d still running; killed\n",
                (int)p->pid);
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        break;
      }
      usleep(500);
    }
    p->pid = 0;
    close(p->out);
    free(p->buf);
  }
  fl_nprocs = 0;
}

static long fl_status_kb(pid_t pid, const char* key) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return -1;
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static double pct(uint64_t* v, long n, double q) {
  qsort(v, (size_t)n, sizeof(*v), cmp_u64);
  return (double)v[(long)(q * (double)(n - 1) + 0.5)];
}

static long arg_long(const char* opt, const char* v) {
  char* end;
  long n = strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < 0)
    die("%s expects a non-negative number, not '%s'", opt, v);
  return n;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  long direct = 0, runs = 1, count = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc)
      die("option %s needs a value (or unknown option)", argv[i]);
    const char* a = argv[i];
    const char* v = argv[++i];
    if (strcmp(a, "--direct") == 0)
      direct = arg_long(a, v);
    else if (strcmp(a, "--tools") == 0)
      fl_want = arg_long(a, v);
    else if (strcmp(a, "--runs") == 0)
      runs = arg_long(a, v);
    else if (strcmp(a, "--count") == 0)
      count = arg_long(a, v);
    else if (strcmp(a, "--timeout-ms") == 0)
      fl_timeout_ms = arg_long(a, v);
    else
      die("unknown option %s", a);
  }
  if (i >= argc)
    die("usage: mcp_bench_fleet [options] -- command [args...]");
  char** cmd = argv + i;
  long nprocs = direct > 0 ? direct : 1;
  if (nprocs > FL_MAX_PROCS)
    die("at most %d processes", FL_MAX_PROCS);
  if (runs < 1)
    runs = 1;
  uint64_t* full = calloc((size_t)runs, sizeof(uint64_t));
  uint64_t* lat = calloc((size_t)(count > 0 ? count : 1), sizeof(uint64_t));
  long pages = 0, retries = 0, hwm = -1, rss = -1;
  for (long r = 0; r < runs; r++) {
    usleep(100000); /* let the last run's processes go */
    uint64_t t0 = now_ns();
    for (long k = 0; k < nprocs; k++) {
      struct fl_proc* p = &fl_procs[fl_nprocs++];
      fl_spawn(p, cmd);
      fl_request(p, "initialize",
                 "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                 "\"clientInfo\":{\"name\":\"mcp_bench_fleet\","
                 "\"version\":\"1\"}}");
    }
    fl_pump();
    uint64_t last = t0;
    for (int k = 0; k < fl_nprocs; k++) {
      if (fl_procs[k].done > last)
        last = fl_procs[k].done;
      pages += fl_procs[k].pages;
      retries += fl_procs[k].retries;
    }
    full[r] = last - t0;
    if (r == runs - 1 && direct == 0 && count > 0) {
      struct fl_proc* p = &fl_procs[0];
      for (long k = 0; k < count; k++) {
        uint64_t a = now_ns();
        fl_list_begin(p);
        fl_pump();
        lat[k] = now_ns() - a;
      }
      hwm = fl_status_kb(p->pid, "VmHWM");
      rss = fl_status_kb(p->pid, "VmRSS");
    }
    fl_end_all();
  }
  printf("runs=%ld procs=%ld tools=%ld full_ms=%.3f", runs, nprocs, fl_want,
         pct(full, runs, 0.5) / 1e6);
  printf(" full_all_ms=");
  for (long r = 0; r < runs; r++) /* sorted by pct */
    printf("%s%.1f", r ? "," : "", (double)full[r] / 1e6);
  printf(" pages=%ld retries=%ld", pages / runs, retries);
  if (direct == 0 && count > 0)
    printf(" list_p50_us=%.1f list_p99_us=%.1f hwm_kb=%ld rss_kb=%ld",
           pct(lat, count, 0.5) / 1e3, pct(lat, count, 0.99) / 1e3, hwm, rss);
  printf("\n");
  free(full);
  free(lat);
  return 0;
}
