/* mcp_testserver.h - the parts of the test server and what each offers.
 * What the server does, and every spec key, is in mcp_testserver.c's
 * opening comment. Internal to tests/servers: all names are ts_, the whole
 * server is one process with one state, ts. Calls go one way, down this
 * list: mcp_testserver.c (main) -> ts_rpc.c -> ts_tasks.c, ts_tools.c ->
 * ts_lists.c, ts_session.c, ts_proc.c -> ts_spec.c -> ts_out.c. */
#ifndef MCP_TESTSERVER_H
#define MCP_TESTSERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* The server's whole state, defined in mcp_testserver.c: set up by
 * ts_start, released by ts_free on a normal exit. */
struct ts_state {
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
};

extern struct ts_state ts;

/* ts_out.c: bytes and messages to the client. Allocation aborts on out of
 * memory; a closed stdout ends the server quietly (exit 0). Functions
 * that take a cJSON* item own it; const cJSON* arguments are copied. */
void* ts_xrealloc(void* p, size_t n);
void ts_oom_check(const void* p);
void ts_write_line(int fd, const char* s, size_t len); /* s and a '\n' */
void ts_write_raw(const char* s, size_t len);          /* stdout, no '\n' */
void ts_write_garbage(long n, unsigned seed); /* n binary bytes, '\n' */
void ts_close_stdout(void); /* fd 1 becomes /dev/null; keeps running */
cJSON* ts_message(void);    /* a new {"jsonrpc":"2.0"} */
void ts_send(cJSON* msg);
void ts_result(const cJSON* id, cJSON* result);
void ts_error(const cJSON* id, int code, const char* message);
void ts_text(const cJSON* id, const char* text, bool is_error);
void ts_notify(const char* method, cJSON* params); /* params may be NULL */
void ts_record(cJSON* list, cJSON* item);          /* keeps the last entries */

/* ts_spec.c: the spec file and typed access to it and to request
 * arguments. A missing or mistyped key reads as absent. */
cJSON* ts_load_spec(const char* path); /* exits 2 on a bad file */
const cJSON* ts_spec(const char* key);
bool ts_spec_int(const char* key, long* out);
bool ts_spec_bool(const char* key, bool dflt);
const char* ts_spec_str(const char* key);
bool ts_has_resources(void);
long ts_arg_int(const cJSON* args, const char* key, long dflt);
const char* ts_arg_str(const cJSON* args, const char* key);

/* ts_proc.c: the process behaviours: pidfiles, grandchildren that stay
 * in the process group, the stderr flood child, signal names. */
void ts_write_pidfile(const char* path, pid_t pid);
void ts_start_grandchild(void);
void ts_start_stderr_flood(long rate);
int ts_signal_number(const char* name); /* "SEGV", "SIGTERM", "9" */

/* ts_session.c: initialize and what is owed to the client later: timers
 * (slow answers, delayed initialize, progress steps) and requests sent to
 * the client that wait for its response. */
void ts_initialize(const cJSON* id, const cJSON* params);
struct ts_timer* ts_timer_add(enum ts_timer_kind kind,
                              long delay_ms,
                              const cJSON* id);
void ts_timer_remove(size_t i);
int ts_timer_timeout(void); /* ms until the next timer, -1 for none */
void ts_timer_run(void);
void ts_send_request(const char* method,
                     const cJSON* params,
                     const cJSON* client_id);
void ts_pending_remove(size_t i);

/* ts_lists.c: paged lists, prompts, resources and templates, completion:
 * the requests served only when the spec has what they list. */
void ts_page_result(const cJSON* id,
                    const cJSON* params,
                    cJSON* result,
                    const char* key);
void ts_prompts_list(const cJSON* id, const cJSON* params);
void ts_prompts_get(const cJSON* id, const cJSON* params);
void ts_resources_list(const cJSON* id, const cJSON* params);
void ts_templates_list(const cJSON* id, const cJSON* params);
void ts_resources_read(const cJSON* id, const cJSON* params);
void ts_complete(const cJSON* id, const cJSON* params);

/* ts_tasks.c: tasks (spec "tasks"): creating one for a tools/call with
 * params.task, tasks/get|result|list|cancel, their completion on time. */
bool ts_tasks_enabled(void);
void ts_task_create(const cJSON* id, const cJSON* params);
void ts_tasks_request(const cJSON* id, const char* method, const cJSON* params);
int ts_tasks_timeout(void); /* ms until a task completes, -1 for none */
void ts_tasks_run(void);
void ts_tasks_free(void);

/* ts_tools.c: the built-in tools (ts_builtin[]) and the spec's tools. */
void ts_tools_list(const cJSON* id, const cJSON* params);
void ts_tools_call(const cJSON* id, const cJSON* params);

/* ts_rpc.c: one line from stdin, dispatched as a request, notification
 * or response; malformed lines are logged and dropped. */
void ts_line(const char* line, size_t len);

#endif
