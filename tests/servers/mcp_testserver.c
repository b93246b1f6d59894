/* mcp_testserver.c - a scriptable MCP stdio server for mcpmon's tests.
 *
 *   mcp_testserver [--spec FILE] [--name NAME] [--ignore-sigterm]
 *
 * Speaks JSON-RPC 2.0 over stdin/stdout, one JSON object per line, like an
 * SDK server: malformed lines are dropped, ids it sends count from 0. Its
 * behaviour comes from a JSON spec file read once at start (--spec FILE,
 * else $MCP_TESTSERVER_SPEC, else defaults); tests rewrite the file and let
 * mcpmon restart the server to change what it serves. Standalone: C11,
 * cJSON and POSIX, one poll() loop, no libuv, nothing from src/.
 *
 * Spec keys (all optional):
 *   tools               [{name, description, reply, inputSchema}]: extra
 *                       tools; calling one answers its reply text
 *   builtin_tools       true: list the built-in tools below in tools/list
 *                       (they stay callable when false)
 *   server_name         serverInfo.name ("testserver"); --name overrides
 *   instructions        string added to the initialize result
 *   capabilities        initialize result capabilities; without it
 *                       {"tools":{}} (deliberately without listChanged)
 *                       plus "prompts":{} when prompts are given,
 *                       "resources":{} with resources or
 *                       resourceTemplates, "completions":{} with
 *                       completions
 *   prompts             [{name, description, text, arguments}]:
 *                       prompts/list and prompts/get (one user message
 *                       with text, and a second one with the arguments
 *                       as JSON when the request has any)
 *   resources           [{uri, name, text, mimeType}]: resources/list;
 *                       resources/read answers text for these URIs
 *   resourceTemplates   [{uriTemplate, name, text}]: resources/templates
 *                       /list; resources/read of a URI that matches one
 *                       ({var} = one or more characters other than '/')
 *                       answers its text, else "<server name> <uri>";
 *                       other URIs get -32002 with data.uri
 *   completions         [STR]: completion/complete answers these values
 *                       (the refs asked about are recorded in "state"
 *                       completion_refs)
 *   page_size           N: tools, prompts, resources and templates are
 *                       listed N per page with a nextCursor (default:
 *                       all on one page)
 *   exit_on_start       N: exit with code N right after the start actions
 *   exit_on_initialize  N: exit with code N when initialize arrives
 *   no_initialize_answer true: never answer initialize
 *   init_delay_ms       answer initialize this much later (other requests
 *                       are still served meanwhile)
 *   stdout_on_start     text written to stdout as a raw line at start
 *   stderr_on_start     text written to stderr as a line at start
 *   ignore_sigterm      true: SIGTERM is ignored (--ignore-sigterm)
 *   ignore_stdin_eof    true: keep running after stdin EOF (until killed)
 *   pidfile             write own pid there (atomically) at start
 *   grandchild          true: fork a process that stays in the process
 *                       group, stdio on /dev/null, ignoring SIGTERM too
 *                       when ignore_sigterm; it dies by SIGKILL or after
 *                       grandchild_lifetime_s (300) as a safety net
 *   grandchild_pidfile  write the grandchild's pid there
 *   grandchild_keep_stdio true: the grandchild keeps the server's stdio
 *                       pipes open, like the real server under a launcher
 *   grandchild_lifetime_s the grandchild's safety-net lifetime (300)
 *   grandchildren       N: fork N such grandchildren instead of one
 *   grandchild_ignore_sigterm true/false: whether the grandchildren ignore
 *                       SIGTERM (default: as ignore_sigterm), so a server
 *                       that dies on SIGTERM can leave some that do not
 *   stdout_garbage_bytes N: write N bytes of binary garbage (NUL, '\n',
 *                       invalid UTF-8 among them) and a '\n' to stdout at
 *                       start
 *   stdout_partial_then_exit text written to stdout without a '\n' at
 *                       start, then exit with code 1
 *   close_stdout_after_init true: close stdout (keep running, later output
 *                       goes to /dev/null) when notifications/initialized
 *                       arrives
 *   stop_reading_stdin_after_init true: stop reading stdin (keep running,
 *                       timers still fire) when notifications/initialized
 *                       arrives
 *   stderr_flood_bytes_per_s N: a child in the process group writes N
 *                       bytes a second to stderr, in lines of about 1000
 *                       bytes, until it is killed, stderr closes, or
 *                       grandchild_lifetime_s pass
 *   on_initialized      [{method, params, request}]: sent to the client in
 *                       order when notifications/initialized arrives
 *                       (like server-everything's list_changed and
 *                       roots/list); request: true sends a request with an
 *                       own id and records the client's response in
 *                       "state" client_responses
 * Start order: pidfile, grandchild(ren), stderr flood, stderr_on_start,
 * stdout_on_start, stdout_garbage_bytes, stdout_partial_then_exit,
 * exit_on_start, then the loop.
 *
 * Requests: initialize, ping, tools/list, tools/call, logging/setLevel,
 * resources/subscribe, resources/unsubscribe, and prompts/list,
 * prompts/get, resources/list, resources/templates/list, resources/read,
 * completion/complete when the spec has what they serve; others get
 * -32601.
 * Notifications are recorded (see "state"); notifications/cancelled drops
 * the pending answer of a slow, progress or sample call. Tools: see
 * ts_builtin[] below. Exits 0 on stdin EOF.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TS_READ_CHUNK 65536
#define TS_RECORD_MAX 200 /* entries kept in each recorded list */
#define TS_DEFAULT_VERSION "2025-11-25"

static const char* const ts_versions[] = {
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
};

enum ts_timer_kind {
  TS_TIMER_SLOW,     /* answer a "slow" call */
  TS_TIMER_INIT,     /* answer a delayed initialize */
  TS_TIMER_PROGRESS, /* send the next progress step of a "progress" call */
};

struct ts_timer {
  enum ts_timer_kind kind;
  int64_t due_ms;
  cJSON* id;     /* owned: the request id to answer */
  cJSON* token;  /* owned: progress token, or NULL */
  long step;     /* slow: the delay; progress: next step to send */
  long total;    /* progress: number of steps */
  long interval; /* progress: ms between steps */
};

/* A request this server sent to the client ("sample"), waiting for the
 * client's response. */
struct ts_pending {
  long server_id;
  cJSON* client_id; /* owned: the tools/call to answer; NULL: only record
                       the response (on_initialized requests) */
};

static struct {
  cJSON* spec; /* owned; an empty object without a spec file */
  const char* name;
  bool ignore_sigterm;
  bool builtin_tools;
  bool stdin_open;
  bool stdin_paused; /* stop_reading: stdin is no longer read */
  long next_server_id;
  int initialize_count;
  int initialized_count;
  cJSON* init_params;      /* owned: params of the last initialize, or NULL */
  cJSON* log_level;        /* owned: the last setLevel level, or NULL */
  cJSON* subscriptions;    /* owned array of URIs */
  cJSON* cancelled;        /* owned array of cancelled request ids */
  cJSON* notifications;    /* owned array of received notification methods */
  cJSON* requests;         /* owned array of received request methods */
  cJSON* client_responses; /* owned array of responses to on_initialized
                              requests */
  cJSON* completion_refs;  /* owned array of completion/complete refs */
  struct ts_timer* timers;
  size_t ntimers;
  struct ts_pending* pending;
  size_t npending;
} ts;

static void* ts_xrealloc(void* p, size_t n) {
  void* q = realloc(p, n == 0 ? 1 : n);
  if (q == NULL) {
    fprintf(stderr, "mcp_testserver: out of memory\n");
    abort();
  }
  return q;
}

static void ts_oom_check(const void* p) {
  if (p == NULL) {
    fprintf(stderr, "mcp_testserver: out of memory\n");
    abort();
  }
}

static int64_t ts_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- spec access ---- */

static const cJSON* ts_spec(const char* key) {
  return cJSON_GetObjectItemCaseSensitive(ts.spec, key);
}

/* True (and *out set) when key holds a number; null or absent is false. */
static bool ts_spec_int(const char* key, long* out) {
  const cJSON* v = ts_spec(key);
  if (!cJSON_IsNumber(v))
    return false;
  *out = (long)v->valuedouble;
  return true;
}

static bool ts_spec_bool(const char* key, bool dflt) {
  const cJSON* v = ts_spec(key);
  if (cJSON_IsBool(v))
    return cJSON_IsTrue(v);
  return dflt;
}

static bool ts_has_resources(void) {
  return ts_spec("resources") != NULL || ts_spec("resourceTemplates") != NULL;
}

static const char* ts_spec_str(const char* key) {
  const cJSON* v = ts_spec(key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long ts_arg_int(const cJSON* args, const char* key, long dflt) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(args, key);
  return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static const char* ts_arg_str(const cJSON* args, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(args, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- output ---- */

/* Write len bytes and a '\n' to fd in one write loop. A closed stdout
 * means the client is gone: exit quietly. */
static void ts_write_line(int fd, const char* s, size_t len) {
  char* buf = ts_xrealloc(NULL, len + 1);
  memcpy(buf, s, len);
  buf[len] = '\n';
  size_t off = 0;
  while (off < len + 1) {
    ssize_t n = write(fd, buf + off, len + 1 - off);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      free(buf);
      if (fd == STDOUT_FILENO)
        exit(0);
      return;
    }
    off += (size_t)n;
  }
  free(buf);
}

/* Send one message to the client. Takes ownership of msg. */
static void ts_send(cJSON* msg) {
  char* s = cJSON_PrintUnformatted(msg);
  ts_oom_check(s);
  ts_write_line(STDOUT_FILENO, s, strlen(s));
  free(s);
  cJSON_Delete(msg);
}

static cJSON* ts_message(void) {
  cJSON* m = cJSON_CreateObject();
  ts_oom_check(m);
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  return m;
}

/* Answer request id with result (ownership of result passes). */
static void ts_result(const cJSON* id, cJSON* result) {
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON_AddItemToObject(m, "result", result);
  ts_send(m);
}

static void ts_error(const cJSON* id, int code, const char* message) {
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON* e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  ts_send(m);
}

/* Answer a tools/call with one text content item. */
static void ts_text(const cJSON* id, const char* text, bool is_error) {
  cJSON* r = cJSON_CreateObject();
  cJSON* content = cJSON_AddArrayToObject(r, "content");
  cJSON* item = cJSON_CreateObject();
  cJSON_AddStringToObject(item, "type", "text");
  cJSON_AddStringToObject(item, "text", text);
  cJSON_AddItemToArray(content, item);
  if (is_error)
    cJSON_AddTrueToObject(r, "isError");
  ts_result(id, r);
}

static void ts_notify(const char* method, cJSON* params) {
  cJSON* m = ts_message();
  cJSON_AddStringToObject(m, "method", method);
  if (params != NULL)
    cJSON_AddItemToObject(m, "params", params);
  ts_send(m);
}

/* Append a copy of item to a recorded list, keeping the last entries. */
static void ts_record(cJSON* list, cJSON* item) {
  cJSON_AddItemToArray(list, item);
  while (cJSON_GetArraySize(list) > TS_RECORD_MAX)
    cJSON_DeleteItemFromArray(list, 0);
}

/* ---- timers and pending requests ---- */

static struct ts_timer* ts_timer_add(enum ts_timer_kind kind,
                                     long delay_ms,
                                     const cJSON* id) {
  ts.timers = ts_xrealloc(ts.timers, (ts.ntimers + 1) * sizeof(*ts.timers));
  struct ts_timer* t = &ts.timers[ts.ntimers++];
  memset(t, 0, sizeof(*t));
  t->kind = kind;
  t->due_ms = ts_now_ms() + (delay_ms > 0 ? delay_ms : 0);
  t->id = cJSON_Duplicate(id, true);
  return t;
}

static void ts_timer_remove(size_t i) {
  cJSON_Delete(ts.timers[i].id);
  cJSON_Delete(ts.timers[i].token);
  memmove(&ts.timers[i], &ts.timers[i + 1],
          (ts.ntimers - i - 1) * sizeof(*ts.timers));
  ts.ntimers--;
}

/* Milliseconds until the next timer, or -1 for none. */
static int ts_timer_timeout(void) {
  if (ts.ntimers == 0)
    return -1;
  int64_t now = ts_now_ms();
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < ts.ntimers; i++) {
    if (ts.timers[i].due_ms < next)
      next = ts.timers[i].due_ms;
  }
  if (next <= now)
    return 0;
  return next - now > 60000 ? 60000 : (int)(next - now);
}

static void ts_answer_initialize(const cJSON* id);

static void ts_progress_step(struct ts_timer* t) {
  cJSON* p = cJSON_CreateObject();
  cJSON_AddItemToObject(p, "progressToken", cJSON_Duplicate(t->token, true));
  cJSON_AddNumberToObject(p, "progress", (double)t->step);
  cJSON_AddNumberToObject(p, "total", (double)t->total);
  ts_notify("notifications/progress", p);
}

/* Run due timers. A timer may re-arm itself (progress); the list is
 * scanned again after each run since handlers may add or remove. */
static void ts_timer_run(void) {
  bool again = true;
  while (again) {
    again = false;
    int64_t now = ts_now_ms();
    for (size_t i = 0; i < ts.ntimers; i++) {
      struct ts_timer* t = &ts.timers[i];
      if (t->due_ms > now)
        continue;
      again = true;
      if (t->kind == TS_TIMER_SLOW) {
        char text[64];
        snprintf(text, sizeof(text), "slept %ld ms", t->step);
        ts_text(t->id, text, false);
      } else if (t->kind == TS_TIMER_INIT) {
        ts_answer_initialize(t->id);
      } else if (t->step <= t->total) {
        ts_progress_step(t);
        t->step++;
        t->due_ms = now + t->interval;
        break;
      } else {
        ts_text(t->id, "done", false);
      }
      ts_timer_remove(i);
      break;
    }
  }
}

static void ts_pending_remove(size_t i) {
  cJSON_Delete(ts.pending[i].client_id);
  memmove(&ts.pending[i], &ts.pending[i + 1],
          (ts.npending - i - 1) * sizeof(*ts.pending));
  ts.npending--;
}

/* ---- files and processes ---- */

/* Write "pid\n" to path through a temporary file and rename, so a reader
 * never sees a half-written file. */
static void ts_write_pidfile(const char* path, pid_t pid) {
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

static void ts_start_grandchild(void) {
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
static void ts_start_stderr_flood(long rate) {
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

/* Write n bytes of deterministic binary garbage to stdout, then '\n'. */
static void ts_write_garbage(long n, unsigned seed) {
  char* buf = ts_xrealloc(NULL, n > 0 ? (size_t)n : 1);
  uint32_t x = seed ? seed : 2463534242u;
  for (long i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (char)(x >> 24);
  }
  ts_write_line(STDOUT_FILENO, buf, n > 0 ? (size_t)n : 0);
  free(buf);
}

/* Write raw bytes to stdout (no '\n' added); a closed stdout ends us as in
 * ts_write_line. */
static void ts_write_raw(const char* s, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, s, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      exit(0);
    }
    s += n;
    len -= (size_t)n;
  }
}

/* Close stdout for mcpmon (it sees EOF) but keep running: fd 1 becomes
 * /dev/null, so what is written later goes nowhere. */
static void ts_close_stdout(void) {
  fprintf(stderr, "mcp_testserver: closing stdout, still running\n");
  close(STDOUT_FILENO);
  int fd = open("/dev/null", O_WRONLY);
  if (fd >= 0 && fd != STDOUT_FILENO) {
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
}

static int ts_signal_number(const char* name) {
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

/* ---- lists, prompts, resources, completion ---- */

/* Answer a list request with result, whose member key holds every item:
 * with the spec's page_size, only the page the params' cursor (a decimal
 * offset) names, and a nextCursor when more follow. Takes result. */
static void ts_page_result(const cJSON* id,
                           const cJSON* params,
                           cJSON* result,
                           const char* key) {
  long size = 0;
  if (!ts_spec_int("page_size", &size) || size <= 0) {
    ts_result(id, result);
    return;
  }
  long offset = 0;
  const char* cursor = ts_arg_str(params, "cursor");
  if (cursor != NULL) {
    char* end;
    offset = strtol(cursor, &end, 10);
    if (*end != '\0' || offset < 0) {
      cJSON_Delete(result);
      ts_error(id, -32602, "Invalid cursor");
      return;
    }
  }
  cJSON* all = cJSON_DetachItemFromObjectCaseSensitive(result, key);
  cJSON* page = cJSON_AddArrayToObject(result, key);
  long n = cJSON_GetArraySize(all);
  for (long i = offset; i < n && i < offset + size; i++)
    cJSON_AddItemToArray(
        page, cJSON_Duplicate(cJSON_GetArrayItem(all, (int)i), true));
  if (offset + size < n) {
    char next[32];
    snprintf(next, sizeof(next), "%ld", offset + size);
    cJSON_AddStringToObject(result, "nextCursor", next);
  }
  cJSON_Delete(all);
  ts_result(id, result);
}

/* A copy of each item of the spec list key, keeping only the members
 * named in keep (NULL-terminated). */
static cJSON* ts_spec_items(const char* key, const char* const* keep) {
  cJSON* out = cJSON_CreateArray();
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec(key)) {
    cJSON* copy = cJSON_CreateObject();
    for (const char* const* k = keep; *k != NULL; k++) {
      const cJSON* v = cJSON_GetObjectItemCaseSensitive(item, *k);
      if (v != NULL)
        cJSON_AddItemToObject(copy, *k, cJSON_Duplicate(v, true));
    }
    cJSON_AddItemToArray(out, copy);
  }
  return out;
}

static void ts_prompts_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"name", "description", "arguments", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "prompts", ts_spec_items("prompts", keep));
  ts_page_result(id, params, r, "prompts");
}

static cJSON* ts_user_text(const char* text) {
  cJSON* m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "role", "user");
  cJSON* c = cJSON_AddObjectToObject(m, "content");
  cJSON_AddStringToObject(c, "type", "text");
  cJSON_AddStringToObject(c, "text", text);
  return m;
}

static void ts_prompts_get(const cJSON* id, const cJSON* params) {
  const char* name = ts_arg_str(params, "name");
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("prompts")) {
    const char* n = ts_arg_str(item, "name");
    if (name == NULL || n == NULL || strcmp(n, name) != 0)
      continue;
    cJSON* r = cJSON_CreateObject();
    const char* desc = ts_arg_str(item, "description");
    if (desc != NULL)
      cJSON_AddStringToObject(r, "description", desc);
    cJSON* msgs = cJSON_AddArrayToObject(r, "messages");
    const char* text = ts_arg_str(item, "text");
    cJSON_AddItemToArray(msgs, ts_user_text(text ? text : n));
    const cJSON* args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    if (cJSON_IsObject(args) && args->child != NULL) {
      char* a = cJSON_PrintUnformatted(args);
      ts_oom_check(a);
      cJSON_AddItemToArray(msgs, ts_user_text(a));
      free(a);
    }
    ts_result(id, r);
    return;
  }
  char msg[256];
  snprintf(msg, sizeof(msg), "Unknown prompt: %s", name ? name : "(none)");
  ts_error(id, -32602, msg);
}

static void ts_resources_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"uri", "name", "mimeType", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "resources", ts_spec_items("resources", keep));
  ts_page_result(id, params, r, "resources");
}

static void ts_templates_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"uriTemplate", "name", "mimeType", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "resourceTemplates",
                        ts_spec_items("resourceTemplates", keep));
  ts_page_result(id, params, r, "resourceTemplates");
}

/* RFC 6570 level 1, as far as the tests need: "{var}" matches one or
 * more characters other than '/'. */
static bool ts_template_match(const char* tpl, const char* uri) {
  while (*tpl != '\0') {
    if (*tpl == '{') {
      const char* close = strchr(tpl, '}');
      if (close == NULL)
        return false;
      for (const char* u = uri + 1; u[-1] != '\0' && u[-1] != '/'; u++) {
        if (ts_template_match(close + 1, u))
          return true;
      }
      return false;
    }
    if (*tpl != *uri)
      return false;
    tpl++;
    uri++;
  }
  return *uri == '\0';
}

static void ts_read_answer(const cJSON* id,
                           const char* uri,
                           const char* mime,
                           const char* text) {
  cJSON* r = cJSON_CreateObject();
  cJSON* contents = cJSON_AddArrayToObject(r, "contents");
  cJSON* c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "uri", uri);
  if (mime != NULL)
    cJSON_AddStringToObject(c, "mimeType", mime);
  cJSON_AddStringToObject(c, "text", text);
  cJSON_AddItemToArray(contents, c);
  ts_result(id, r);
}

static void ts_resources_read(const cJSON* id, const cJSON* params) {
  const char* uri = ts_arg_str(params, "uri");
  if (uri == NULL) {
    ts_error(id, -32602, "resources/read: uri must be a string");
    return;
  }
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("resources")) {
    const char* u = ts_arg_str(item, "uri");
    if (u != NULL && strcmp(u, uri) == 0) {
      const char* text = ts_arg_str(item, "text");
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), text ? text : "");
      return;
    }
  }
  cJSON_ArrayForEach(item, ts_spec("resourceTemplates")) {
    const char* tpl = ts_arg_str(item, "uriTemplate");
    if (tpl == NULL || !ts_template_match(tpl, uri))
      continue;
    const char* text = ts_arg_str(item, "text");
    if (text != NULL) {
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), text);
    } else {
      size_t n = strlen(ts.name) + strlen(uri) + 2;
      char* t = ts_xrealloc(NULL, n);
      snprintf(t, n, "%s %s", ts.name, uri);
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), t);
      free(t);
    }
    return;
  }
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON* e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", -32002);
  cJSON_AddStringToObject(e, "message", "Resource not found");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "data"), "uri", uri);
  ts_send(m);
}

static void ts_complete(const cJSON* id, const cJSON* params) {
  const cJSON* ref = cJSON_GetObjectItemCaseSensitive(params, "ref");
  ts_record(ts.completion_refs,
            ref ? cJSON_Duplicate(ref, true) : cJSON_CreateNull());
  cJSON* r = cJSON_CreateObject();
  cJSON* c = cJSON_AddObjectToObject(r, "completion");
  cJSON* values = cJSON_AddArrayToObject(c, "values");
  const cJSON* v;
  cJSON_ArrayForEach(v, ts_spec("completions")) {
    if (cJSON_IsString(v))
      cJSON_AddItemToArray(values, cJSON_CreateString(v->valuestring));
  }
  cJSON_AddNumberToObject(c, "total", cJSON_GetArraySize(values));
  cJSON_AddFalseToObject(c, "hasMore");
  ts_result(id, r);
}

/* ---- tools ---- */

struct ts_builtin {
  const char* name;
  const char* description;
  const char* schema; /* JSON text */
};

static const struct ts_builtin ts_builtin[] = {
    {"echo", "Answer the text argument",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
     "\"required\":[\"text\"]}"},
    {"pid", "Answer the server's pid", "{\"type\":\"object\"}"},
    {"crash", "Exit with code (default 1), or raise signal, without answering",
     "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"integer\"},"
     "\"signal\":{\"type\":\"string\"}}}"},
    {"slow", "Answer after ms milliseconds, serving other requests meanwhile",
     "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\"}}}"},
    {"print_stdout", "Write text as a raw non-JSON line on stdout",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}"},
    {"stderr", "Write text to stderr count times",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"},"
     "\"count\":{\"type\":\"integer\"}}}"},
    {"sample", "Send the client a request and answer with its response",
     "{\"type\":\"object\",\"properties\":{\"method\":{\"type\":\"string\"},"
     "\"params\":{\"type\":\"object\"}},\"required\":[\"method\"]}"},
    {"progress", "Send steps progress notifications, then answer done",
     "{\"type\":\"object\",\"properties\":{\"steps\":{\"type\":\"integer\"},"
     "\"interval_ms\":{\"type\":\"integer\"}}}"},
    {"state", "Answer the server's recorded state as JSON text",
     "{\"type\":\"object\"}"},
    {"big", "Answer a text of bytes 'x' characters",
     "{\"type\":\"object\",\"properties\":{\"bytes\":{\"type\":\"integer\"}}}"},
    {"notify_list_changed", "Send notifications/tools/list_changed",
     "{\"type\":\"object\"}"},
    {"log", "Send notifications/message with level and data",
     "{\"type\":\"object\",\"properties\":{\"level\":{\"type\":\"string\"},"
     "\"data\":{\"type\":\"string\"}}}"},
    {"notify", "Send the notification method with params",
     "{\"type\":\"object\",\"properties\":{\"method\":{\"type\":\"string\"},"
     "\"params\":{\"type\":\"object\"}},\"required\":[\"method\"]}"},
    {"huge",
     "Answer a text of bytes 'x' characters, streamed in pieces "
     "(never held in memory whole)",
     "{\"type\":\"object\",\"properties\":{\"bytes\":{\"type\":\"integer\"}}}"},
    {"garbage",
     "Write bytes of binary garbage and a newline to stdout, "
     "then answer",
     "{\"type\":\"object\",\"properties\":{\"bytes\":{\"type\":\"integer\"},"
     "\"seed\":{\"type\":\"integer\"}}}"},
    {"partial_exit",
     "Write text to stdout without a newline, then exit with "
     "code (default 1), without answering",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"},"
     "\"code\":{\"type\":\"integer\"}}}"},
    {"close_stdout", "Close stdout and keep running, without answering",
     "{\"type\":\"object\"}"},
    {"stop_reading", "Answer, then never read stdin again",
     "{\"type\":\"object\"}"},
};

static cJSON* ts_tool_json(const char* name,
                           const char* description,
                           cJSON* schema) {
  cJSON* t = cJSON_CreateObject();
  cJSON_AddStringToObject(t, "name", name);
  cJSON_AddStringToObject(t, "description", description);
  if (schema == NULL)
    schema = cJSON_Parse("{\"type\":\"object\"}");
  cJSON_AddItemToObject(t, "inputSchema", schema);
  return t;
}

static void ts_tools_list(const cJSON* id, const cJSON* params) {
  cJSON* r = cJSON_CreateObject();
  cJSON* tools = cJSON_AddArrayToObject(r, "tools");
  const cJSON* spec_tools = ts_spec("tools");
  const cJSON* t;
  cJSON_ArrayForEach(t, spec_tools) {
    const char* name = ts_arg_str(t, "name");
    if (name == NULL)
      continue;
    const char* desc = ts_arg_str(t, "description");
    const cJSON* schema = cJSON_GetObjectItemCaseSensitive(t, "inputSchema");
    cJSON_AddItemToArray(tools, ts_tool_json(name, desc ? desc : "",
                                             cJSON_IsObject(schema)
                                                 ? cJSON_Duplicate(schema, true)
                                                 : NULL));
  }
  if (ts.builtin_tools) {
    for (size_t i = 0; i < sizeof(ts_builtin) / sizeof(ts_builtin[0]); i++) {
      cJSON_AddItemToArray(
          tools, ts_tool_json(ts_builtin[i].name, ts_builtin[i].description,
                              cJSON_Parse(ts_builtin[i].schema)));
    }
  }
  ts_page_result(id, params, r, "tools");
}

static const cJSON* ts_spec_tool(const char* name) {
  const cJSON* t;
  cJSON_ArrayForEach(t, ts_spec("tools")) {
    const char* n = ts_arg_str(t, "name");
    if (n != NULL && strcmp(n, name) == 0)
      return t;
  }
  return NULL;
}

static void ts_tool_state(const cJSON* id) {
  cJSON* s = cJSON_CreateObject();
  cJSON_AddNumberToObject(s, "pid", (double)getpid());
  cJSON_AddStringToObject(s, "name", ts.name);
  cJSON_AddNumberToObject(s, "initialize_count", ts.initialize_count);
  cJSON_AddBoolToObject(s, "initialized", ts.initialized_count > 0);
  cJSON_AddNumberToObject(s, "initialized_count", ts.initialized_count);
  cJSON_AddItemToObject(s, "init_params",
                        ts.init_params ? cJSON_Duplicate(ts.init_params, true)
                                       : cJSON_CreateNull());
  cJSON_AddItemToObject(
      s, "log_level",
      ts.log_level ? cJSON_Duplicate(ts.log_level, true) : cJSON_CreateNull());
  cJSON_AddItemToObject(s, "subscriptions",
                        cJSON_Duplicate(ts.subscriptions, true));
  cJSON_AddItemToObject(s, "cancelled", cJSON_Duplicate(ts.cancelled, true));
  cJSON_AddItemToObject(s, "notifications",
                        cJSON_Duplicate(ts.notifications, true));
  cJSON_AddItemToObject(s, "requests", cJSON_Duplicate(ts.requests, true));
  cJSON_AddItemToObject(s, "client_responses",
                        cJSON_Duplicate(ts.client_responses, true));
  cJSON_AddItemToObject(s, "completion_refs",
                        cJSON_Duplicate(ts.completion_refs, true));
  char* text = cJSON_PrintUnformatted(s);
  ts_oom_check(text);
  cJSON_Delete(s);
  ts_text(id, text, false);
  free(text);
}

static void ts_tool_crash(const cJSON* args) {
  const char* sig = ts_arg_str(args, "signal");
  if (sig != NULL) {
    int n = ts_signal_number(sig);
    fprintf(stderr, "mcp_testserver: crash: raising signal %s\n", sig);
    signal(n, SIG_DFL);
    raise(n);
    _exit(128 + n);
  }
  long code = ts_arg_int(args, "code", 1);
  fprintf(stderr, "mcp_testserver: crash: exit code %ld\n", code);
  _exit((int)code);
}

/* Send the client a request with our own id (counting from 0) and wait
 * for its response: it answers client_id's tools/call, or is recorded in
 * client_responses when client_id is NULL. params is copied. */
static void ts_send_request(const char* method,
                            const cJSON* params,
                            const cJSON* client_id) {
  long sid = ts.next_server_id++;
  cJSON* m = ts_message();
  cJSON_AddNumberToObject(m, "id", (double)sid);
  cJSON_AddStringToObject(m, "method", method);
  if (params != NULL)
    cJSON_AddItemToObject(m, "params", cJSON_Duplicate(params, true));
  ts.pending = ts_xrealloc(ts.pending, (ts.npending + 1) * sizeof(*ts.pending));
  ts.pending[ts.npending].server_id = sid;
  ts.pending[ts.npending].client_id =
      client_id ? cJSON_Duplicate(client_id, true) : NULL;
  ts.npending++;
  ts_send(m);
}

static void ts_tool_sample(const cJSON* id, const cJSON* args) {
  const char* method = ts_arg_str(args, "method");
  if (method == NULL) {
    ts_error(id, -32602, "sample: method must be a string");
    return;
  }
  ts_send_request(method, cJSON_GetObjectItemCaseSensitive(args, "params"), id);
}

static void ts_tool_progress(const cJSON* id,
                             const cJSON* params,
                             const cJSON* args) {
  long steps = ts_arg_int(args, "steps", 3);
  long interval = ts_arg_int(args, "interval_ms", 0);
  const cJSON* meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
  const cJSON* token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
  if (token == NULL)
    steps = 0;
  struct ts_timer* t = ts_timer_add(TS_TIMER_PROGRESS, 0, id);
  t->token = token ? cJSON_Duplicate(token, true) : NULL;
  t->step = 1;
  t->total = steps;
  t->interval = interval;
  if (interval <= 0)
    ts_timer_run(); /* all steps and the answer now */
}

/* Answer a text of n 'x' bytes written in 1 MiB pieces: the line can be
 * far larger than what the server could hold. */
static void ts_tool_huge(const cJSON* id, long n) {
  char* idtext = cJSON_PrintUnformatted(id);
  ts_oom_check(idtext);
  char head[256];
  snprintf(head, sizeof(head),
           "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"content\":"
           "[{\"type\":\"text\",\"text\":\"",
           idtext);
  free(idtext);
  ts_write_raw(head, strlen(head));
  size_t piece = 1024 * 1024;
  char* xs = ts_xrealloc(NULL, piece);
  memset(xs, 'x', piece);
  for (long left = n > 0 ? n : 0; left > 0;) {
    size_t k = (size_t)left < piece ? (size_t)left : piece;
    ts_write_raw(xs, k);
    left -= (long)k;
  }
  free(xs);
  const char tail[] = "\"}]}}\n";
  ts_write_raw(tail, sizeof(tail) - 1);
}

static void ts_tools_call(const cJSON* id, const cJSON* params) {
  const char* name = ts_arg_str(params, "name");
  const cJSON* args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
  if (name == NULL) {
    ts_error(id, -32602, "tools/call: name must be a string");
    return;
  }
  const cJSON* spec_tool = ts_spec_tool(name);
  if (spec_tool != NULL) {
    const char* reply = ts_arg_str(spec_tool, "reply");
    ts_text(id, reply ? reply : name, false);
  } else if (strcmp(name, "echo") == 0) {
    const char* text = ts_arg_str(args, "text");
    ts_text(id, text ? text : "", false);
  } else if (strcmp(name, "pid") == 0) {
    char text[32];
    snprintf(text, sizeof(text), "%ld", (long)getpid());
    ts_text(id, text, false);
  } else if (strcmp(name, "crash") == 0) {
    ts_tool_crash(args);
  } else if (strcmp(name, "slow") == 0) {
    long ms = ts_arg_int(args, "ms", 1000);
    ts_timer_add(TS_TIMER_SLOW, ms, id)->step = ms;
  } else if (strcmp(name, "print_stdout") == 0) {
    const char* text = ts_arg_str(args, "text");
    text = text ? text : "this is not JSON";
    ts_write_line(STDOUT_FILENO, text, strlen(text));
    ts_text(id, "printed", false);
  } else if (strcmp(name, "stderr") == 0) {
    const char* text = ts_arg_str(args, "text");
    text = text ? text : "stderr line";
    long count = ts_arg_int(args, "count", 1);
    for (long i = 0; i < count; i++)
      ts_write_line(STDERR_FILENO, text, strlen(text));
    ts_text(id, "ok", false);
  } else if (strcmp(name, "sample") == 0) {
    ts_tool_sample(id, args);
  } else if (strcmp(name, "progress") == 0) {
    ts_tool_progress(id, params, args);
  } else if (strcmp(name, "state") == 0) {
    ts_tool_state(id);
  } else if (strcmp(name, "big") == 0) {
    long n = ts_arg_int(args, "bytes", 1000);
    n = n < 0 ? 0 : n;
    char* text = ts_xrealloc(NULL, (size_t)n + 1);
    memset(text, 'x', (size_t)n);
    text[n] = '\0';
    ts_text(id, text, false);
    free(text);
  } else if (strcmp(name, "notify_list_changed") == 0) {
    ts_notify("notifications/tools/list_changed", NULL);
    ts_text(id, "sent", false);
  } else if (strcmp(name, "notify") == 0) {
    const char* method = ts_arg_str(args, "method");
    const cJSON* p = cJSON_GetObjectItemCaseSensitive(args, "params");
    if (method == NULL) {
      ts_error(id, -32602, "notify: method must be a string");
      return;
    }
    ts_notify(method, cJSON_IsObject(p) ? cJSON_Duplicate(p, true) : NULL);
    ts_text(id, "sent", false);
  } else if (strcmp(name, "log") == 0) {
    const char* level = ts_arg_str(args, "level");
    const char* data = ts_arg_str(args, "data");
    cJSON* p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "level", level ? level : "info");
    cJSON_AddStringToObject(p, "logger", ts.name);
    cJSON_AddStringToObject(p, "data", data ? data : "log message");
    ts_notify("notifications/message", p);
    ts_text(id, "logged", false);
  } else if (strcmp(name, "huge") == 0) {
    ts_tool_huge(id, ts_arg_int(args, "bytes", 1000));
  } else if (strcmp(name, "garbage") == 0) {
    ts_write_garbage(ts_arg_int(args, "bytes", 1000),
                     (unsigned)ts_arg_int(args, "seed", 1));
    ts_text(id, "garbage written", false);
  } else if (strcmp(name, "partial_exit") == 0) {
    const char* text = ts_arg_str(args, "text");
    text = text ? text : "{\"jsonrpc\":\"2.0\",\"id\":";
    ts_write_raw(text, strlen(text));
    long code = ts_arg_int(args, "code", 1);
    fprintf(stderr, "mcp_testserver: partial line written, exit code %ld\n",
            code);
    _exit((int)code);
  } else if (strcmp(name, "close_stdout") == 0) {
    ts_close_stdout();
  } else if (strcmp(name, "stop_reading") == 0) {
    ts_text(id, "stopped reading", false);
    ts.stdin_paused = true;
  } else {
    char msg[256];
    snprintf(msg, sizeof(msg), "Unknown tool: %s", name);
    ts_error(id, -32602, msg);
  }
}

/* ---- requests, notifications, responses ---- */

static void ts_answer_initialize(const cJSON* id) {
  const char* want = ts_arg_str(ts.init_params, "protocolVersion");
  const char* version = TS_DEFAULT_VERSION;
  for (size_t i = 0; want && i < sizeof(ts_versions) / sizeof(*ts_versions);
       i++) {
    if (strcmp(want, ts_versions[i]) == 0)
      version = ts_versions[i];
  }
  cJSON* r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "protocolVersion", version);
  const cJSON* caps = ts_spec("capabilities");
  cJSON* c;
  if (cJSON_IsObject(caps)) {
    c = cJSON_Duplicate(caps, true);
  } else {
    c = cJSON_Parse("{\"tools\":{}}");
    if (ts_spec("prompts") != NULL)
      cJSON_AddObjectToObject(c, "prompts");
    if (ts_has_resources())
      cJSON_AddObjectToObject(c, "resources");
    if (ts_spec("completions") != NULL)
      cJSON_AddObjectToObject(c, "completions");
  }
  cJSON_AddItemToObject(r, "capabilities", c);
  cJSON* info = cJSON_AddObjectToObject(r, "serverInfo");
  cJSON_AddStringToObject(info, "name", ts.name);
  cJSON_AddStringToObject(info, "version", "1.0");
  const char* instructions = ts_spec_str("instructions");
  if (instructions != NULL)
    cJSON_AddStringToObject(r, "instructions", instructions);
  ts_result(id, r);
}

static void ts_initialize(const cJSON* id, const cJSON* params) {
  long code;
  if (ts_spec_int("exit_on_initialize", &code)) {
    fprintf(stderr, "mcp_testserver: exit_on_initialize %ld\n", code);
    _exit((int)code);
  }
  ts.initialize_count++;
  cJSON_Delete(ts.init_params);
  ts.init_params = params ? cJSON_Duplicate(params, true) : NULL;
  if (ts_spec_bool("no_initialize_answer", false))
    return;
  long delay = 0;
  ts_spec_int("init_delay_ms", &delay);
  if (delay > 0)
    ts_timer_add(TS_TIMER_INIT, delay, id);
  else
    ts_answer_initialize(id);
}

static void ts_subscription(const cJSON* params, bool add) {
  const char* uri = ts_arg_str(params, "uri");
  if (uri == NULL)
    return;
  for (int i = 0; i < cJSON_GetArraySize(ts.subscriptions); i++) {
    const cJSON* s = cJSON_GetArrayItem(ts.subscriptions, i);
    if (strcmp(s->valuestring, uri) == 0) {
      if (!add)
        cJSON_DeleteItemFromArray(ts.subscriptions, i);
      return;
    }
  }
  if (add)
    cJSON_AddItemToArray(ts.subscriptions, cJSON_CreateString(uri));
}

static void ts_request(const cJSON* id,
                       const char* method,
                       const cJSON* params) {
  ts_record(ts.requests, cJSON_CreateString(method));
  if (strcmp(method, "initialize") == 0) {
    ts_initialize(id, params);
  } else if (strcmp(method, "ping") == 0) {
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "tools/list") == 0) {
    ts_tools_list(id, params);
  } else if (strcmp(method, "tools/call") == 0) {
    ts_tools_call(id, params);
  } else if (strcmp(method, "logging/setLevel") == 0) {
    const cJSON* level = cJSON_GetObjectItemCaseSensitive(params, "level");
    cJSON_Delete(ts.log_level);
    ts.log_level = level ? cJSON_Duplicate(level, true) : NULL;
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "resources/subscribe") == 0) {
    ts_subscription(params, true);
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "resources/unsubscribe") == 0) {
    ts_subscription(params, false);
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "prompts/list") == 0 && ts_spec("prompts")) {
    ts_prompts_list(id, params);
  } else if (strcmp(method, "prompts/get") == 0 && ts_spec("prompts")) {
    ts_prompts_get(id, params);
  } else if (strcmp(method, "resources/list") == 0 && ts_has_resources()) {
    ts_resources_list(id, params);
  } else if (strcmp(method, "resources/templates/list") == 0 &&
             ts_has_resources()) {
    ts_templates_list(id, params);
  } else if (strcmp(method, "resources/read") == 0 && ts_has_resources()) {
    ts_resources_read(id, params);
  } else if (strcmp(method, "completion/complete") == 0 &&
             ts_spec("completions")) {
    ts_complete(id, params);
  } else {
    ts_error(id, -32601, "Method not found");
  }
}

static void ts_cancel(const cJSON* request_id) {
  if (request_id == NULL)
    return;
  ts_record(ts.cancelled, cJSON_Duplicate(request_id, true));
  for (size_t i = 0; i < ts.ntimers; i++) {
    if (ts.timers[i].kind != TS_TIMER_INIT &&
        cJSON_Compare(ts.timers[i].id, request_id, true)) {
      ts_timer_remove(i);
      return;
    }
  }
  for (size_t i = 0; i < ts.npending; i++) {
    if (cJSON_Compare(ts.pending[i].client_id, request_id, true)) {
      ts_pending_remove(i);
      return;
    }
  }
}

/* Send what the spec's on_initialized lists, in order. */
static void ts_on_initialized(void) {
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("on_initialized")) {
    const char* method = ts_arg_str(item, "method");
    if (method == NULL)
      continue;
    const cJSON* params = cJSON_GetObjectItemCaseSensitive(item, "params");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "request")))
      ts_send_request(method, params, NULL);
    else
      ts_notify(method, params ? cJSON_Duplicate(params, true) : NULL);
  }
}

static void ts_notification(const char* method, const cJSON* params) {
  ts_record(ts.notifications, cJSON_CreateString(method));
  if (strcmp(method, "notifications/initialized") == 0) {
    ts.initialized_count++;
    ts_on_initialized();
    if (ts_spec_bool("stop_reading_stdin_after_init", false)) {
      fprintf(stderr, "mcp_testserver: no longer reading stdin\n");
      ts.stdin_paused = true;
    }
    if (ts_spec_bool("close_stdout_after_init", false))
      ts_close_stdout();
  } else if (strcmp(method, "notifications/cancelled") == 0) {
    ts_cancel(cJSON_GetObjectItemCaseSensitive(params, "requestId"));
  }
}

/* A response from the client to one of our own requests ("sample"). */
static void ts_response(const cJSON* msg, const cJSON* id) {
  for (size_t i = 0; cJSON_IsNumber(id) && i < ts.npending; i++) {
    if ((double)ts.pending[i].server_id != id->valuedouble)
      continue;
    const cJSON* result = cJSON_GetObjectItemCaseSensitive(msg, "result");
    const cJSON* error = cJSON_GetObjectItemCaseSensitive(msg, "error");
    if (ts.pending[i].client_id == NULL) {
      cJSON* copy = cJSON_Duplicate(msg, true);
      cJSON_DeleteItemFromObjectCaseSensitive(copy, "jsonrpc");
      ts_record(ts.client_responses, copy);
      ts_pending_remove(i);
      return;
    }
    cJSON* wrap = cJSON_CreateObject();
    if (error != NULL)
      cJSON_AddItemToObject(wrap, "error", cJSON_Duplicate(error, true));
    else
      cJSON_AddItemToObject(
          wrap, "result",
          result ? cJSON_Duplicate(result, true) : cJSON_CreateNull());
    char* text = cJSON_PrintUnformatted(wrap);
    ts_oom_check(text);
    cJSON_Delete(wrap);
    ts_text(ts.pending[i].client_id, text, error != NULL);
    free(text);
    ts_pending_remove(i);
    return;
  }
  char* s = cJSON_PrintUnformatted(id);
  fprintf(stderr, "mcp_testserver: response to unknown id %s\n", s ? s : "?");
  free(s);
}

static void ts_line(const char* line, size_t len) {
  if (len > 0 && line[len - 1] == '\r')
    len--;
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == len)
    return;
  cJSON* msg = cJSON_ParseWithLength(line, len);
  if (!cJSON_IsObject(msg)) {
    fprintf(stderr, "mcp_testserver: ignoring malformed line\n");
    cJSON_Delete(msg);
    return;
  }
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  if (cJSON_IsString(method)) {
    if (id != NULL && !cJSON_IsNull(id))
      ts_request(id, method->valuestring, params);
    else
      ts_notification(method->valuestring, params);
  } else if (id != NULL) {
    ts_response(msg, id);
  } else {
    fprintf(stderr, "mcp_testserver: ignoring message without method/id\n");
  }
  cJSON_Delete(msg);
}

/* ---- startup and loop ---- */

static cJSON* ts_load_spec(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "mcp_testserver: %s: %s\n", path, strerror(errno));
    exit(2);
  }
  char* buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  for (;;) {
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 8192;
      buf = ts_xrealloc(buf, cap);
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0)
      break;
  }
  fclose(f);
  cJSON* spec = cJSON_ParseWithLength(buf, len);
  free(buf);
  if (!cJSON_IsObject(spec)) {
    fprintf(stderr, "mcp_testserver: %s: not a JSON object\n", path);
    exit(2);
  }
  return spec;
}

/* Release everything before a normal exit (clean under LeakSanitizer). */
static void ts_free(void) {
  while (ts.ntimers > 0) ts_timer_remove(ts.ntimers - 1);
  while (ts.npending > 0) ts_pending_remove(ts.npending - 1);
  free(ts.timers);
  free(ts.pending);
  cJSON_Delete(ts.init_params);
  cJSON_Delete(ts.log_level);
  cJSON_Delete(ts.subscriptions);
  cJSON_Delete(ts.cancelled);
  cJSON_Delete(ts.notifications);
  cJSON_Delete(ts.requests);
  cJSON_Delete(ts.client_responses);
  cJSON_Delete(ts.completion_refs);
  cJSON_Delete(ts.spec);
  memset(&ts, 0, sizeof(ts));
}

static void ts_usage(FILE* f) {
  fprintf(f,
          "usage: mcp_testserver [--spec FILE] [--name NAME] "
          "[--ignore-sigterm]\n");
}

static void ts_start(int argc, char** argv) {
  const char* spec_path = getenv("MCP_TESTSERVER_SPEC");
  const char* name = NULL;
  bool ignore_sigterm = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--spec") == 0 && i + 1 < argc) {
      spec_path = argv[++i];
    } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
      name = argv[++i];
    } else if (strcmp(argv[i], "--ignore-sigterm") == 0) {
      ignore_sigterm = true;
    } else if (strcmp(argv[i], "--help") == 0) {
      ts_usage(stdout);
      exit(0);
    } else {
      fprintf(stderr, "mcp_testserver: bad argument: %s\n", argv[i]);
      ts_usage(stderr);
      exit(2);
    }
  }
  ts.spec =
      spec_path && *spec_path ? ts_load_spec(spec_path) : cJSON_CreateObject();
  ts.name = name ? name : ts_spec_str("server_name");
  ts.name = ts.name ? ts.name : "testserver";
  ts.ignore_sigterm = ignore_sigterm || ts_spec_bool("ignore_sigterm", false);
  ts.builtin_tools = ts_spec_bool("builtin_tools", true);
  ts.stdin_open = true;
  ts.subscriptions = cJSON_CreateArray();
  ts.cancelled = cJSON_CreateArray();
  ts.notifications = cJSON_CreateArray();
  ts.requests = cJSON_CreateArray();
  ts.client_responses = cJSON_CreateArray();
  ts.completion_refs = cJSON_CreateArray();

  signal(SIGPIPE, SIG_IGN);
  if (ts.ignore_sigterm)
    signal(SIGTERM, SIG_IGN);
  const char* pidfile = ts_spec_str("pidfile");
  if (pidfile != NULL)
    ts_write_pidfile(pidfile, getpid());
  long grandchildren = 0;
  if (!ts_spec_int("grandchildren", &grandchildren) &&
      ts_spec_bool("grandchild", false))
    grandchildren = 1;
  for (long i = 0; i < grandchildren; i++) ts_start_grandchild();
  long flood;
  if (ts_spec_int("stderr_flood_bytes_per_s", &flood) && flood > 0)
    ts_start_stderr_flood(flood);
  const char* err_text = ts_spec_str("stderr_on_start");
  if (err_text != NULL)
    ts_write_line(STDERR_FILENO, err_text, strlen(err_text));
  const char* out_text = ts_spec_str("stdout_on_start");
  if (out_text != NULL)
    ts_write_line(STDOUT_FILENO, out_text, strlen(out_text));
  long garbage;
  if (ts_spec_int("stdout_garbage_bytes", &garbage))
    ts_write_garbage(garbage, 7);
  const char* partial = ts_spec_str("stdout_partial_then_exit");
  if (partial != NULL) {
    ts_write_raw(partial, strlen(partial));
    fprintf(stderr, "mcp_testserver: partial line written, exit code 1\n");
    exit(1);
  }
  long code;
  if (ts_spec_int("exit_on_start", &code)) {
    fprintf(stderr, "mcp_testserver: exit_on_start %ld\n", code);
    exit((int)code);
  }
}

int main(int argc, char** argv) {
  ts_start(argc, argv);
  char* buf = NULL;
  size_t len = 0; /* bytes held */
  size_t cap = 0;
  size_t scan = 0; /* bytes already searched for '\n' */
  for (;;) {
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    bool reading = ts.stdin_open && !ts.stdin_paused;
    int n = poll(&pfd, reading ? 1 : 0, ts_timer_timeout());
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "mcp_testserver: poll: %s\n", strerror(errno));
      return 1;
    }
    ts_timer_run();
    if (n <= 0 || !reading || pfd.revents == 0)
      continue;
    if (cap - len < TS_READ_CHUNK) {
      cap = cap ? cap * 2 : 2 * TS_READ_CHUNK;
      buf = ts_xrealloc(buf, cap);
    }
    ssize_t got = read(STDIN_FILENO, buf + len, cap - len);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0) {
      if (!ts_spec_bool("ignore_stdin_eof", false)) {
        free(buf);
        ts_free();
        return 0;
      }
      ts.stdin_open = false;
      continue;
    }
    len += (size_t)got;
    size_t start = 0;
    char* nl;
    /* Once paused (stop_reading), lines already read stay unread too. */
    while (!ts.stdin_paused &&
           (nl = memchr(buf + scan, '\n', len - scan)) != NULL) {
      ts_line(buf + start, (size_t)(nl - (buf + start)));
      start = (size_t)(nl - buf) + 1;
      scan = start;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
    scan = ts.stdin_paused ? 0 : len;
  }
}
