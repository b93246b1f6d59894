/* ts_tools.c - the test server's tools: the built-in ones (ts_builtin[],
 * listed unless builtin_tools is false, callable always) and the spec's,
 * tools/list and tools/call. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp_testserver.h"

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

void ts_tools_list(const cJSON* id, const cJSON* params) {
  long delay = 0;
  ts_spec_int("tools_list_delay_ms", &delay);
  if (delay > 0) {
    /* Blocking on purpose: a server slow to list (gateway tests of the
     * first tools/list that waits for it). */
    struct timespec ts_d = {delay / 1000, (delay % 1000) * 1000000L};
    nanosleep(&ts_d, NULL);
  }
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
  /* raw_tools: items listed as they are (hostile lists: no name, a name
   * that is not a string, an item that is not an object). */
  cJSON_ArrayForEach(t, ts_spec("raw_tools")) {
    cJSON_AddItemToArray(tools, cJSON_Duplicate(t, true));
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

void ts_tools_call(const cJSON* id, const cJSON* params) {
  const char* name = ts_arg_str(params, "name");
  const cJSON* args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
  if (name == NULL) {
    ts_error(id, -32602, "tools/call: name must be a string");
    return;
  }
  const cJSON* spec_tool = ts_spec_tool(name);
  if (spec_tool != NULL) {
    const char* reply = ts_arg_str(spec_tool, "reply");
    ts_text(
        id, reply ? reply : name,
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec_tool, "is_error")));
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
