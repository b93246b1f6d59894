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
 *   tools               [{name, description, reply, inputSchema, is_error}]:
 *                       extra tools; calling one answers its reply text
 *                       (a result with isError true when is_error)
 *   builtin_tools       true: list the built-in tools below in tools/list
 *                       (they stay callable when false)
 *   server_name         serverInfo.name ("testserver"); --name overrides
 *   instructions        string added to the initialize result
 *   protocol_versions   [STR]: the versions it speaks, newest first: it
 *                       answers the client's when listed, else the first
 *                       (default: every version up to 2025-11-25)
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
 *   list_meta           object: the _meta of every list result
 *   unlisted_resources  [{uri, text}]: resources/read answers these, but
 *                       resources/list does not name them (as a resource
 *                       a tool just made)
 *   tasks               {ms, elicit}: the tasks capability; a tools/call
 *                       with params.task makes a task, ids "1", "2", ...,
 *                       completed ms later (ts_tasks.c)
 *   page_size           N: tools, prompts, resources and templates are
 *                       listed N per page with a nextCursor (default:
 *                       all on one page)
 *   raw_tools           [items]: listed after "tools" exactly as given
 *                       (hostile items: no name, a name not a string)
 *   exit_on_start       N: exit with code N right after the start actions
 *   exit_on_initialize  N: exit with code N when initialize arrives
 *   no_initialize_answer true: never answer initialize
 *   tools_list_delay_ms block this long before answering each tools/list
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
 * completion/complete, tasks/get|result|list|cancel when the spec has
 * what they serve; others get
 * -32601.
 * Notifications are recorded (see "state"); notifications/cancelled drops
 * the pending answer of a slow, progress or sample call. Tools: see
 * ts_builtin[] in ts_tools.c. Exits 0 on stdin EOF.
 */
#include "mcp_testserver.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TS_READ_CHUNK 65536

struct ts_state ts;

/* Release everything before a normal exit (clean under LeakSanitizer). */
static void ts_free(void) {
  while (ts.ntimers > 0) ts_timer_remove(ts.ntimers - 1);
  while (ts.npending > 0) ts_pending_remove(ts.npending - 1);
  ts_tasks_free();
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
    int timeout = ts_timer_timeout();
    int task_timeout = ts_tasks_timeout();
    if (task_timeout >= 0 && (timeout < 0 || task_timeout < timeout))
      timeout = task_timeout;
    int n = poll(&pfd, reading ? 1 : 0, timeout);
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "mcp_testserver: poll: %s\n", strerror(errno));
      return 1;
    }
    ts_timer_run();
    ts_tasks_run();
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
