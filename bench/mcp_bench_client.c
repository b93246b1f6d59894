/* mcp_bench_client.c - drives an MCP stdio server for bench/run.sh.
 *
 *   mcp_bench_client [options] -- command [args...]
 *
 * Spawns the command with pipes on stdin/stdout (stderr inherited), runs
 * the handshake (initialize, notifications/initialized), then one of:
 *
 *   (default)          --count K round trips of --op ping|call|list after
 *                      --warmup W untimed ones; prints p50/p99/p99.9 in
 *                      microseconds, requests per second and, for calls,
 *                      MB/s of result text (--bytes N per call, --tool
 *                      NAME, default "blob"), and the CPU time the child
 *                      (the proxy, or the server when direct) spent per
 *                      round trip (/proc/PID/schedstat).
 *   --rss-at N,M,...   also print the child's VmHWM and VmRSS (kB, from
 *                      /proc) after the N-th, M-th, ... timed message.
 *   --coldstart R      R times: spawn, handshake, tools/list answered,
 *                      close stdin, wait for exit; prints the median time
 *                      from spawn to the tools/list answer, and from
 *                      closing stdin to the exit.
 *   --reload R --reload-file PATH [--reload-kind txt|py]
 *                      R times: write a new tool into PATH (txt: one name
 *                      per line, as mcp_bench_server --tools-file reads;
 *                      py: an @tool function appended to a hello_server
 *                      tools.py), wait for notifications/tools/list_changed,
 *                      send tools/list and check the tool is there; prints
 *                      the median time from the write to that answer.
 *                      --cold-cmd "CMD ARGS" (split on spaces): before each
 *                      reload, one cold start of CMD too, so that the
 *                      baseline sees the same load.
 *   --idle-ms T        do nothing for T ms and print the child's CPU ticks
 *                      (utime+stime from /proc/PID/stat) over that time.
 *   --burst N --burst-root DIR [--settle-ms S]
 *                      append a line to DIR/d<i>/f0.py for i < N as fast
 *                      as possible, then count list_changed notifications
 *                      until S ms (default 1500) pass without one.
 *
 * Every mode prints one line of key=value pairs on stdout. Every wait is
 * bounded (--timeout-ms, default 20000); a timeout or a wrong answer exits
 * 1 with a message on stderr. The child is always ended: stdin closed,
 * then SIGKILL to it if it has not exited within 5 s.
 */
#include <cjson/cJSON.h>
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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CL_READ_CHUNK ((size_t)1 << 20)
#define CL_MAX_RSS_AT 8

struct child {
  pid_t pid;
  int in;  /* we write */
  int out; /* we read */
  char* buf;
  size_t len, cap, scanned, start;
  bool eof;
};

static struct {
  const char* op;
  long count, warmup;
  long bytes;
  const char* tool;
  long rss_at[CL_MAX_RSS_AT];
  int nrss_at;
  long coldstart;
  long reload;
  const char* reload_file;
  const char* reload_kind;
  long idle_ms;
  long burst;
  const char* burst_root;
  long settle_ms;
  long timeout_ms;
  char** cmd;
  char** cold_cmd; /* --cold-cmd, split on spaces */
  long next_id;
  long list_changed; /* notifications/tools/list_changed seen */
} cl = {
    .op = "ping",
    .count = 1000,
    .warmup = 100,
    .bytes = 16,
    .tool = "blob",
    .reload_kind = "txt",
    .settle_ms = 1500,
    .timeout_ms = 20000,
    .next_id = 1,
};

static void die(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

static struct child* cl_current; /* killed by die() */

static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("mcp_bench_client: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  if (cl_current != NULL && cl_current->pid > 0) {
    kill(cl_current->pid, SIGKILL);
    waitpid(cl_current->pid, NULL, 0);
  }
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void* xrealloc(void* p, size_t n) {
  void* q = realloc(p, n);
  if (q == NULL)
    die("out of memory");
  return q;
}

/* ---- the child ---------------------------------------------------------- */

static void child_spawn(struct child* c, char** cmd) {
  memset(c, 0, sizeof(*c));
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
    fprintf(stderr, "mcp_bench_client: exec %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  c->pid = pid;
  c->in = in[1];
  c->out = out[0];
  cl_current = c;
}

/* Close stdin, wait (5 s at most) for the exit, then SIGKILL. Returns the
 * time from closing stdin to the exit, in ns. */
static uint64_t child_end(struct child* c) {
  if (c->in >= 0)
    close(c->in);
  c->in = -1;
  uint64_t t0 = now_ns();
  uint64_t deadline = t0 + 5000000000u;
  uint64_t took = 0;
  int status;
  for (;;) {
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid || r < 0) {
      took = now_ns() - t0;
      break;
    }
    if (now_ns() > deadline) {
      fprintf(stderr,
              "mcp_bench_client: child %d still running after "
              "stdin EOF; killed\n",
              (int)c->pid);
      kill(c->pid, SIGKILL);
      waitpid(c->pid, &status, 0);
      took = now_ns() - t0;
      break;
    }
    usleep(200);
  }
  close(c->out);
  free(c->buf);
  c->buf = NULL;
  if (cl_current == c)
    cl_current = NULL;
  return took;
}

static void child_write(struct child* c, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(c->in, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      die("writing to the child: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
}

static long child_send(struct child* c,
                       const char* method,
                       const char* params) {
  long id = cl.next_id++;
  char head[256];
  int n;
  if (params != NULL)
    n = snprintf(head, sizeof(head),
                 "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\","
                 "\"params\":%s}\n",
                 id, method, params);
  else
    n = snprintf(head, sizeof(head),
                 "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\"}\n", id,
                 method);
  if (n < 0 || (size_t)n >= sizeof(head))
    die("request too long");
  child_write(c, head, (size_t)n);
  return id;
}

/* The next line from the child, NUL-terminated, valid until the next
 * call; *len its length. Returns NULL at EOF or on timeout (set *timed). */
static char* child_line(struct child* c,
                        long timeout_ms,
                        size_t* len,
                        bool* timed) {
  *timed = false;
  /* Drop the line returned last time. */
  if (c->start > 0) {
    memmove(c->buf, c->buf + c->start, c->len - c->start);
    c->len -= c->start;
    c->scanned -= c->start;
    c->start = 0;
  }
  uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
  for (;;) {
    char* nl = c->len > c->scanned
                   ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned)
                   : NULL;
    if (nl != NULL) {
      *nl = '\0';
      *len = (size_t)(nl - c->buf);
      c->start = *len + 1;
      c->scanned = c->start;
      return c->buf;
    }
    c->scanned = c->len;
    if (c->eof)
      return NULL;
    if (c->cap - c->len < CL_READ_CHUNK) {
      c->cap = c->cap * 2 + CL_READ_CHUNK;
      c->buf = xrealloc(c->buf, c->cap);
    }
    ssize_t n = read(c->out, c->buf + c->len, c->cap - c->len);
    if (n > 0) {
      c->len += (size_t)n;
      continue;
    }
    if (n == 0) {
      c->eof = true;
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      die("reading from the child: %s", strerror(errno));
    uint64_t now = now_ns();
    if (now >= deadline) {
      *timed = true;
      return NULL;
    }
    struct pollfd p = {.fd = c->out, .events = POLLIN};
    poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
  }
}

/* The id of a response line without parsing it all: "id":N within the
 * first or the last 256 bytes (a large result is one long string). */
static long line_id_fast(const char* line, size_t len) {
  size_t spans[2][2] = {{0, len < 256 ? len : 256},
                        {len > 256 ? len - 256 : 0, len}};
  for (int s = 0; s < 2; s++) {
    const char* p = line + spans[s][0];
    const char* end = line + spans[s][1];
    for (; p + 5 < end; p++) {
      if (memcmp(p, "\"id\":", 5) == 0)
        return strtol(p + 5, NULL, 10);
    }
  }
  return -1;
}

/* Reads lines until the response to id. Notifications are counted.
 * Returns the parsed response (owned by the caller) when parse is true,
 * else NULL after checking only the id and the size (min_len). */
static cJSON* child_wait(struct child* c, long id, bool parse, size_t min_len) {
  for (;;) {
    size_t len;
    bool timed;
    char* line = child_line(c, cl.timeout_ms, &len, &timed);
    if (line == NULL && timed)
      die("no answer to request %ld within %ld ms", id, cl.timeout_ms);
    if (line == NULL)
      die("the child closed its stdout (waiting for %ld)", id);
    if (!parse && len > 4096) {
      if (line_id_fast(line, len) != id)
        die("unexpected long line (%zu bytes) waiting for %ld", len, id);
      if (len < min_len)
        die("result of %zu bytes, expected at least %zu", len, min_len);
      return NULL;
    }
    cJSON* m = cJSON_ParseWithLength(line, len);
    if (m == NULL)
      die("not JSON: %.200s", line);
    const cJSON* mid = cJSON_GetObjectItemCaseSensitive(m, "id");
    const cJSON* method = cJSON_GetObjectItemCaseSensitive(m, "method");
    if (cJSON_IsString(method)) {
      if (strcmp(method->valuestring, "notifications/tools/list_changed") == 0)
        cl.list_changed++;
      cJSON_Delete(m);
      continue;
    }
    if (!cJSON_IsNumber(mid) || (long)mid->valuedouble != id) {
      cJSON_Delete(m);
      continue; /* a late answer to something else */
    }
    const cJSON* err = cJSON_GetObjectItemCaseSensitive(m, "error");
    if (err != NULL) {
      char* t = cJSON_PrintUnformatted(err);
      die("request %ld failed: %.300s", id, t);
    }
    if (len < min_len)
      die("result of %zu bytes, expected at least %zu", len, min_len);
    if (parse)
      return m;
    cJSON_Delete(m);
    return NULL;
  }
}

/* Waits up to timeout_ms for one more list_changed. */
static bool child_wait_list_changed(struct child* c, long timeout_ms) {
  long before = cl.list_changed;
  uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
  while (cl.list_changed == before) {
    uint64_t now = now_ns();
    if (now >= deadline)
      return false;
    size_t len;
    bool timed;
    char* line =
        child_line(c, (long)((deadline - now) / 1000000u) + 1, &len, &timed);
    if (line == NULL) {
      if (timed)
        return false;
      die("the child closed its stdout");
    }
    if (strstr(line, "\"notifications/tools/list_changed\"") != NULL)
      cl.list_changed++;
  }
  return true;
}

static void child_handshake(struct child* c) {
  long id = child_send(
      c, "initialize",
      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
      "\"clientInfo\":{\"name\":\"mcp_bench_client\",\"version\":\"1\"}}");
  cJSON_Delete(child_wait(c, id, true, 0));
  static const char note[] =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
  child_write(c, note, sizeof(note) - 1);
}

/* tools/list; returns whether a tool named name is in it. */
static bool child_has_tool(struct child* c, const char* name) {
  long id = child_send(c, "tools/list", "{}");
  cJSON* m = child_wait(c, id, true, 0);
  const cJSON* tools = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(m, "result"), "tools");
  bool found = false;
  const cJSON* t;
  cJSON_ArrayForEach(t, tools) {
    const cJSON* n = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (name != NULL && cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
      found = true;
  }
  cJSON_Delete(m);
  return found;
}

/* ---- /proc ----------------------------------------------------------------
 */

static long proc_status_kb(pid_t pid, const char* key) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[256];
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

/* Time the process has spent on a CPU, in ns (schedstat), or -1. */
static long long proc_cpu_ns(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return -1;
  long long ns = -1;
  if (fscanf(f, "%lld", &ns) != 1)
    ns = -1;
  fclose(f);
  return ns;
}

static long proc_cpu_ticks(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[1024];
  char* ok = fgets(line, sizeof(line), f);
  fclose(f);
  if (ok == NULL)
    return -1;
  char* p = strrchr(line, ')'); /* after comm, which may hold spaces */
  if (p == NULL)
    return -1;
  /* fields from 3 (state) on; utime is 14, stime 15 */
  long utime = 0, stime = 0;
  int field = 2;
  for (char* tok = strtok(p + 1, " "); tok != NULL; tok = strtok(NULL, " ")) {
    field++;
    if (field == 14)
      utime = strtol(tok, NULL, 10);
    if (field == 15) {
      stime = strtol(tok, NULL, 10);
      break;
    }
  }
  return utime + stime;
}

/* ---- modes ----------------------------------------------------------------
 */

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static double pct_us(uint64_t* v, long n, double q) {
  qsort(v, (size_t)n, sizeof(*v), cmp_u64);
  long i = (long)(q * (double)(n - 1) + 0.5);
  return (double)v[i] / 1000.0;
}

static void one_request(struct child* c) {
  char params[256];
  if (strcmp(cl.op, "call") == 0) {
    snprintf(params, sizeof(params),
             "{\"name\":\"%s\",\"arguments\":{\"bytes\":%ld}}", cl.tool,
             cl.bytes);
    long id = child_send(c, "tools/call", params);
    child_wait(c, id, false, (size_t)cl.bytes);
  } else if (strcmp(cl.op, "list") == 0) {
    long id = child_send(c, "tools/list", "{}");
    child_wait(c, id, false, 0);
  } else {
    long id = child_send(c, "ping", NULL);
    child_wait(c, id, false, 0);
  }
}

static int mode_roundtrips(void) {
  struct child c;
  uint64_t t0 = now_ns();
  child_spawn(&c, cl.cmd);
  child_handshake(&c);
  double init_ms = (double)(now_ns() - t0) / 1e6;
  for (long i = 0; i < cl.warmup; i++) one_request(&c);
  uint64_t* lat = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.count);
  long hwm[CL_MAX_RSS_AT], rss[CL_MAX_RSS_AT];
  int next_rss = 0;
  long long cpu0 = proc_cpu_ns(c.pid);
  uint64_t start = now_ns();
  for (long i = 0; i < cl.count; i++) {
    uint64_t a = now_ns();
    one_request(&c);
    lat[i] = now_ns() - a;
    if (next_rss < cl.nrss_at && i + 1 == cl.rss_at[next_rss]) {
      hwm[next_rss] = proc_status_kb(c.pid, "VmHWM");
      rss[next_rss] = proc_status_kb(c.pid, "VmRSS");
      next_rss++;
    }
  }
  double secs = (double)(now_ns() - start) / 1e9;
  long long cpu1 = proc_cpu_ns(c.pid);
  long end_hwm = proc_status_kb(c.pid, "VmHWM");
  long end_rss = proc_status_kb(c.pid, "VmRSS");
  child_end(&c);
  printf(
      "op=%s count=%ld bytes=%ld init_ms=%.3f p50_us=%.1f p99_us=%.1f "
      "p999_us=%.1f rps=%.0f",
      cl.op, cl.count, cl.bytes, init_ms, pct_us(lat, cl.count, 0.5),
      pct_us(lat, cl.count, 0.99), pct_us(lat, cl.count, 0.999),
      (double)cl.count / secs);
  if (strcmp(cl.op, "call") == 0)
    printf(" mbps=%.1f", (double)cl.bytes * (double)cl.count / secs / 1e6);
  if (cpu0 >= 0 && cpu1 >= cpu0)
    printf(" child_cpu_us=%.2f",
           (double)(cpu1 - cpu0) / 1e3 / (double)cl.count);
  for (int i = 0; i < next_rss; i++)
    printf(" hwm_kb@%ld=%ld rss_kb@%ld=%ld", cl.rss_at[i], hwm[i], cl.rss_at[i],
           rss[i]);
  printf(" hwm_kb=%ld rss_kb=%ld\n", end_hwm, end_rss);
  free(lat);
  return 0;
}

static int mode_coldstart(void) {
  uint64_t* v = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.coldstart);
  uint64_t* stop = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.coldstart);
  for (long i = 0; i < cl.coldstart; i++) {
    struct child c;
    usleep(100000); /* the same pause as between reloads */
    uint64_t t0 = now_ns();
    child_spawn(&c, cl.cmd);
    child_handshake(&c);
    child_has_tool(&c, NULL);
    v[i] = now_ns() - t0;
    stop[i] = child_end(&c);
  }
  printf("coldstart_runs=%ld coldstart_ms=%.3f stop_ms=%.3f", cl.coldstart,
         pct_us(v, cl.coldstart, 0.5) / 1000.0,
         pct_us(stop, cl.coldstart, 0.5) / 1000.0);
  printf(" all_ms=");
  for (long i = 0; i < cl.coldstart; i++) /* sorted by pct_us */
    printf("%s%.1f", i ? "," : "", (double)v[i] / 1e6);
  printf("\n");
  free(v);
  free(stop);
  return 0;
}

static void write_tool(const char* name) {
  bool py = strcmp(cl.reload_kind, "py") == 0;
  FILE* f = fopen(cl.reload_file, py ? "a" : "w");
  if (f == NULL)
    die("%s: %s", cl.reload_file, strerror(errno));
  if (py)
    fprintf(f,
            "\n\n@tool(\"added by the reload benchmark\")\ndef %s():\n"
            "    return \"ok\"\n",
            name);
  else
    fprintf(f, "%s\n", name);
  fclose(f);
}

static int mode_reload(void) {
  struct child c;
  child_spawn(&c, cl.cmd);
  child_handshake(&c);
  child_has_tool(&c, NULL);
  uint64_t* v = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.reload);
  uint64_t* notif = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.reload);
  uint64_t* cold = xrealloc(NULL, sizeof(uint64_t) * (size_t)cl.reload);
  for (long i = 0; i < cl.reload; i++) {
    if (cl.cold_cmd != NULL) {
      /* The baseline under the same load: one cold start per reload. */
      usleep(100000);
      struct child k;
      uint64_t k0 = now_ns();
      child_spawn(&k, cl.cold_cmd);
      child_handshake(&k);
      child_has_tool(&k, NULL);
      cold[i] = now_ns() - k0;
      child_end(&k);
      cl_current = &c;
    }
    char name[64];
    snprintf(name, sizeof(name), "bench_r%ld_%d", i, (int)getpid());
    usleep(100000); /* let the last restart settle, and mtimes differ */
    long seen = cl.list_changed;
    uint64_t t0 = now_ns();
    write_tool(name);
    for (;;) {
      if (cl.list_changed == seen &&
          !child_wait_list_changed(&c, cl.timeout_ms))
        die("no list_changed within %ld ms of writing %s", cl.timeout_ms,
            cl.reload_file);
      seen = cl.list_changed;
      uint64_t tn = now_ns();
      if (child_has_tool(&c, name)) {
        v[i] = now_ns() - t0;
        notif[i] = tn - t0;
        break;
      }
      /* An earlier burst's restart; the next one brings the tool. */
    }
  }
  child_end(&c);
  printf("reload_runs=%ld reload_ms=%.3f notify_ms=%.3f", cl.reload,
         pct_us(v, cl.reload, 0.5) / 1000.0,
         pct_us(notif, cl.reload, 0.5) / 1000.0);
  printf(" all_ms=");
  for (long i = 0; i < cl.reload; i++)
    printf("%s%.1f", i ? "," : "", (double)v[i] / 1e6);
  if (cl.cold_cmd != NULL) {
    printf(" coldstart_ms=%.3f cold_all_ms=",
           pct_us(cold, cl.reload, 0.5) / 1000.0);
    for (long i = 0; i < cl.reload; i++)
      printf("%s%.1f", i ? "," : "", (double)cold[i] / 1e6);
  }
  printf("\n");
  free(v);
  free(notif);
  free(cold);
  return 0;
}

static int mode_idle(void) {
  struct child c;
  uint64_t t0 = now_ns();
  child_spawn(&c, cl.cmd);
  child_handshake(&c);
  child_has_tool(&c, NULL);
  double ready_ms = (double)(now_ns() - t0) / 1e6;
  long hwm = proc_status_kb(c.pid, "VmHWM");
  long rss = proc_status_kb(c.pid, "VmRSS");
  usleep(200000); /* let start-up work finish */
  long before = proc_cpu_ticks(c.pid);
  usleep((useconds_t)cl.idle_ms * 1000);
  long after = proc_cpu_ticks(c.pid);
  child_end(&c);
  printf("ready_ms=%.3f hwm_kb=%ld rss_kb=%ld idle_ms=%ld idle_ticks=%ld\n",
         ready_ms, hwm, rss, cl.idle_ms, after - before);
  return 0;
}

static int mode_burst(void) {
  struct child c;
  child_spawn(&c, cl.cmd);
  child_handshake(&c);
  child_has_tool(&c, NULL);
  usleep(200000);
  long seen = cl.list_changed;
  uint64_t t0 = now_ns();
  for (long i = 0; i < cl.burst; i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/d%ld/f0.py", cl.burst_root, i);
    FILE* f = fopen(path, "a");
    if (f == NULL)
      die("%s: %s", path, strerror(errno));
    fprintf(f, "# burst %ld\n", i);
    fclose(f);
  }
  double write_ms = (double)(now_ns() - t0) / 1e6;
  if (!child_wait_list_changed(&c, cl.timeout_ms))
    die("no list_changed within %ld ms of the burst", cl.timeout_ms);
  double first_ms = (double)(now_ns() - t0) / 1e6;
  while (child_wait_list_changed(&c, cl.settle_ms)) {
  }
  child_end(&c);
  printf(
      "burst_files=%ld burst_write_ms=%.1f first_list_changed_ms=%.1f "
      "list_changed=%ld\n",
      cl.burst, write_ms, first_ms, cl.list_changed - seen);
  return 0;
}

/* ---- main -----------------------------------------------------------------
 */

static long arg_long(const char* opt, const char* v) {
  char* end;
  long n = strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < 0)
    die("%s expects a non-negative number, not '%s'", opt, v);
  return n;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  int i = 1;
  for (; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc)
      die("option %s needs a value (or unknown option)", a);
    const char* v = argv[++i];
    if (strcmp(a, "--op") == 0)
      cl.op = v;
    else if (strcmp(a, "--count") == 0)
      cl.count = arg_long(a, v);
    else if (strcmp(a, "--warmup") == 0)
      cl.warmup = arg_long(a, v);
    else if (strcmp(a, "--bytes") == 0)
      cl.bytes = arg_long(a, v);
    else if (strcmp(a, "--tool") == 0)
      cl.tool = v;
    else if (strcmp(a, "--rss-at") == 0) {
      char* copy = strdup(v);
      for (char* t = strtok(copy, ","); t && cl.nrss_at < CL_MAX_RSS_AT;
           t = strtok(NULL, ","))
        cl.rss_at[cl.nrss_at++] = arg_long(a, t);
      free(copy);
    } else if (strcmp(a, "--coldstart") == 0)
      cl.coldstart = arg_long(a, v);
    else if (strcmp(a, "--reload") == 0)
      cl.reload = arg_long(a, v);
    else if (strcmp(a, "--reload-file") == 0)
      cl.reload_file = v;
    else if (strcmp(a, "--reload-kind") == 0)
      cl.reload_kind = v;
    else if (strcmp(a, "--cold-cmd") == 0) {
      size_t n = 0;
      char* copy = strdup(v);
      cl.cold_cmd = xrealloc(NULL, sizeof(char*) * (strlen(v) / 2 + 2));
      for (char* t = strtok(copy, " "); t != NULL; t = strtok(NULL, " "))
        cl.cold_cmd[n++] = t;
      cl.cold_cmd[n] = NULL;
      if (n == 0)
        die("--cold-cmd needs a command");
    } else if (strcmp(a, "--idle-ms") == 0)
      cl.idle_ms = arg_long(a, v);
    else if (strcmp(a, "--burst") == 0)
      cl.burst = arg_long(a, v);
    else if (strcmp(a, "--burst-root") == 0)
      cl.burst_root = v;
    else if (strcmp(a, "--settle-ms") == 0)
      cl.settle_ms = arg_long(a, v);
    else if (strcmp(a, "--timeout-ms") == 0)
      cl.timeout_ms = arg_long(a, v);
    else
      die("unknown option %s", a);
  }
  if (i >= argc)
    die("usage: mcp_bench_client [options] -- command [args...]");
  cl.cmd = argv + i;
  if (cl.count < 1)
    cl.count = 1;
  if (strcmp(cl.op, "ping") != 0 && strcmp(cl.op, "call") != 0 &&
      strcmp(cl.op, "list") != 0)
    die("--op is ping, call or list");

  if (cl.coldstart > 0)
    return mode_coldstart();
  if (cl.reload > 0) {
    if (cl.reload_file == NULL)
      die("--reload needs --reload-file");
    return mode_reload();
  }
  if (cl.idle_ms > 0)
    return mode_idle();
  if (cl.burst > 0) {
    if (cl.burst_root == NULL)
      die("--burst needs --burst-root");
    return mode_burst();
  }
  return mode_roundtrips();
}
