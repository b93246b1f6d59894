/* model.h - the dashboard's local picture of one mcpmon instance, built
 * from the control socket's snapshot and events (docs/control-protocol.md).
 *
 * Plain structs and no curses: the view only reads them, the unit tests
 * feed recorded JSON. Every string in the model is owned by it. Members
 * the core did not send are NULL / 0 / -1 as noted.
 */
#ifndef MCPMON_TUI_MODEL_H
#define MCPMON_TUI_MODEL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lines kept per backend (the core keeps 500; the dashboard keeps more
 * of what it saw live) and the longest line kept, in bytes. */
#define MODEL_LOG_MAX 2000
#define MODEL_LOG_TEXT_MAX 4096
/* Traffic entries kept, all backends together. */
#define MODEL_TRAFFIC_MAX 1000

enum model_state {
  MODEL_ST_UNKNOWN,
  MODEL_ST_IDLE,
  MODEL_ST_STARTING,
  MODEL_ST_INITIALIZING,
  MODEL_ST_READY,
  MODEL_ST_RESTARTING,
  MODEL_ST_CRASHED,
  MODEL_ST_WAITING,
  MODEL_ST_STOPPING,
  MODEL_ST_STOPPED,  /* for good, or by mcpmon stop / x (issue 15) */
  MODEL_ST_DISABLED, /* enabled: false in the config, not started */
};

enum model_level {
  MODEL_LV_ERROR,
  MODEL_LV_WARN,
  MODEL_LV_INFO,
  MODEL_LV_VERBOSE,
  MODEL_LV_DEBUG,
};

struct model_log_line {
  int64_t t; /* Unix ms, 0 if unknown */
  enum model_level level;
  bool from_mcpmon; /* source "mcpmon" (else the server's stderr) */
  bool from_server; /* source "server": its notifications/message */
  char* text;       /* at most MODEL_LOG_TEXT_MAX bytes, no '\n' */
};

/* A ring of lines. Line number i (counted since the model was reset, so
 * that a view can hold a position while old lines fall off) is at
 * lines[(start + i - first) % cap] for first <= i < first + count. */
struct model_log {
  struct model_log_line* lines;
  size_t cap;
  size_t start;
  size_t count;
  uint64_t first; /* number of the oldest line held */
};

/* Number one past the newest line. */
uint64_t model_log_end(const struct model_log* log);
/* Line number n, or NULL when it is not held. */
const struct model_log_line* model_log_get(const struct model_log* log,
                                           uint64_t n);

struct model_tool {
  char* name;
  char* description; /* NULL if none */
};

struct model_backend {
  char* name;
  char* state_name; /* as the core sent it */
  enum model_state state;
  long pid; /* 0 when no process runs */
  long restarts;
  long crashes;         /* 0 from a core that does not send it */
  int64_t started;      /* Unix ms, 0 when no process runs */
  char* last_exit;      /* NULL if no process ended yet */
  char* reload_outcome; /* the last reload attempt's, NULL before one */
  char* reload_message;
  char* reloading; /* a reload under way ("building", "starting",
                      "waiting"), NULL when none (issue 15) */
  char* command;   /* NULL if not sent */
  char** watch;
  size_t nwatch;
  struct model_tool* tools;
  size_t ntools;
  struct model_log log;
  bool lc_known;    /* a list_changed went out */
  int64_t lc_sent;  /* when */
  bool lc_relisted; /* the client sent tools/list after it */
};

struct model_traffic {
  uint64_t seq;
  int64_t t;        /* when the request arrived */
  bool running;     /* no answer yet: ms counts up from t */
  bool from_server; /* a request of the server to the client */
  char* backend;    /* NULL if not sent, or null (gateway level) */
  char* method;
  char* tool; /* NULL unless tools/call or prompts/get */
  double ms;
  bool ok;
  char* error; /* NULL when ok */
};

/* The answer to a traffic command, pretty-printed for the detail pane. */
struct model_detail {
  bool valid;
  uint64_t seq; /* of the traffic entry */
  bool tool;    /* a tool's definition (issue 15), not a traffic entry */
  char* title;  /* tool: "Tool NAME of SERVER"; NULL for traffic */
  char** lines; /* "Request", its JSON, "", "Response", ... */
  size_t nlines;
};

struct model {
  bool have_snapshot;
  long pid;
  char* mode;
  char* version;
  char* command;
  char* config;
  char* cwd;
  char* socket;
  int64_t started;
  struct model_backend* backends;
  size_t nbackends;
  /* Oldest first, ordered by seq. */
  struct model_traffic* traffic;
  size_t ntraffic;
  /* Issue 15 defect 3: mcpmon's own events (config errors, reload
   * failures, watcher errors), for the events row of the servers list:
   * the snapshot's "events", then as they happen mcpmon's lines about no
   * backend (gateway mode) and its warnings and errors about any
   * (control_events.h's rule), those prefixed "name: ". A pseudo-backend
   * so that the log pane shows it as it shows a server's log: its name is
   * MODEL_EVENTS_NAME (not owned), it has no state, tools or process, and
   * only its log is set. */
  struct model_backend events;
  struct model_detail detail;
};

#define MODEL_EVENTS_NAME "mcpmon events"

/* What an object changed, for the view's dirty flags. */
enum {
  MODEL_CH_NONE = 0,
  MODEL_CH_INSTANCE = 1 << 0, /* header facts */
  MODEL_CH_BACKENDS = 1 << 1, /* list, states, counts */
  MODEL_CH_TOOLS = 1 << 2,
  MODEL_CH_LOG = 1 << 3,
  MODEL_CH_TRAFFIC = 1 << 4,
  MODEL_CH_DETAIL = 1 << 5,
  MODEL_CH_LISTCHANGED = 1 << 6,
  MODEL_CH_GLOBAL_LOG = 1 << 7, /* events, and a line about no backend */
  MODEL_CH_ALL = 0xff,
};

void model_init(struct model* m);
/* Free everything and return to the state after model_init. */
void model_free(struct model* m);

/* Apply one object from the core: a snapshot replaces the whole model;
 * events update it; other types (hello, result, error) change nothing.
 * Malformed members are skipped, never fatal. Returns MODEL_CH_* bits.
 * *backend (may be NULL) receives the index of the backend concerned, or
 * -1 for several or none. */
unsigned model_apply(struct model* m, const cJSON* obj, int* backend);

/* Parse one line and apply it; a line that is not a JSON object changes
 * nothing. */
unsigned model_apply_line(struct model* m, const char* line, int* backend);

/* Index of the backend with this name, or -1. */
int model_find_backend(const struct model* m, const char* name);

/* Whether traffic entry t passes a filter (issue 15): errors only (an
 * answered entry with ok false), and of one backend (NULL: any). */
bool model_traffic_match(const struct model_traffic* t,
                         bool errors_only,
                         const char* backend);
/* How many traffic entries are still running. */
size_t model_traffic_running(const struct model* m);

/* Index of the traffic entry with this seq, or -1. */
long model_find_traffic(const struct model* m, uint64_t seq);

enum model_state model_state_parse(const char* s);
/* Whether b is down because of an error: crashed (restarting after a
 * backoff) or waiting (the core gave up after crashes or a failed start,
 * until a file change or a restart command). Drawn in the error colour. */
bool model_backend_failed(const struct model_backend* b);
const char* model_level_name(enum model_level lv);

/* Case-insensitive (ASCII) substring search in the log: the nearest line
 * numbered below `from` (backward) or above it (forward) whose text holds
 * needle. Returns true and sets *found. */
bool model_log_search(const struct model_log* log,
                      const char* needle,
                      uint64_t from,
                      bool backward,
                      uint64_t* found);

/* Where needle occurs in hay, case-insensitively (ASCII), or NULL. */
const char* model_strcasestr(const char* hay, const char* needle);

#endif
