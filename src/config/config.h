/* config.h - the data model of one mcpmon run.
 *
 * Built from the command line (cli.h) or, in gateway mode, from
 * .mcpmon.yaml. Pure data: no libuv, no I/O beyond what the loaders say.
 * The ranges and value rules both loaders share (milliseconds,
 * extension lists) live here too, so the two cannot drift apart.
 * Every string and array below is owned by the struct that holds it and
 * released by config_free().
 */
#ifndef MCPMON_CONFIG_H
#define MCPMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_DEFAULT_DELAY_MS 30
#define CONFIG_DEFAULT_GRACE_MS 2000
#define CONFIG_DEFAULT_MAX_LINE (64u * 1024u * 1024u)
#define CONFIG_DEFAULT_QUEUE_TIMEOUT_MS 30000
#define CONFIG_DEFAULT_SEPARATOR "__"
#define CONFIG_DEFAULT_DRAIN_MS 10000
#define CONFIG_DEFAULT_INIT_TIMEOUT_MS 20000
/* The crash policy: a server that crashes CRASH_RETRIES times within
 * CRASH_WINDOW_MS of the first of them is not restarted again until a
 * file changes or a restart command (issue 15). */
#define CONFIG_DEFAULT_CRASH_RETRIES 5
#define CONFIG_DEFAULT_CRASH_WINDOW_MS 30000

/* Ranges, the same on the command line and in .mcpmon.yaml. */
#define CONFIG_MAX_DELAY_MS 60000u
#define CONFIG_MAX_GRACE_MS 600000u
#define CONFIG_MIN_QUEUE_TIMEOUT_MS 1u
#define CONFIG_MAX_QUEUE_TIMEOUT_MS 600000u
#define CONFIG_MAX_DRAIN_MS 600000u
#define CONFIG_MIN_INIT_TIMEOUT_MS 1u
#define CONFIG_MAX_INIT_TIMEOUT_MS 600000u
#define CONFIG_MIN_CRASH_RETRIES 1u
#define CONFIG_MAX_CRASH_RETRIES 1000u
#define CONFIG_MIN_CRASH_WINDOW_MS 1u
#define CONFIG_MAX_CRASH_WINDOW_MS 3600000u

/* How a file change reloads a server (issue 14). */
enum reload_mode {
  RELOAD_OVERLAP,    /* the new server starts beside the old, which serves
                        until the new one is ready, then drains */
  RELOAD_STOP_FIRST, /* the old server stops, then the new one starts */
};

/* "overlap" / "stop-first"; parse returns -1 for anything else. */
const char* reload_mode_name(enum reload_mode m);
int reload_mode_parse(const char* s, enum reload_mode* out);

/* A NULL-terminated-free string vector: n entries in v. */
struct strvec {
  char** v;
  size_t n;
};

void strvec_push(struct strvec* sv, const char* s); /* copies s */
void strvec_free(struct strvec* sv);

/* One backend server. */
struct server_config {
  char* name;           /* "server" in single mode; the YAML key in gateway */
  char* command;        /* program to run (argv[0]) */
  struct strvec args;   /* argv[1..] */
  struct strvec watch;  /* directories (or files) to watch; default "." */
  struct strvec exts;   /* extensions without dot; "*" matches every file */
  bool exts_default;    /* none were given: exts is config_default_exts()
                           of the command */
  struct strvec ignore; /* user globs */
  struct strvec env;    /* "KEY=VALUE" added to the inherited environment */
  char* cwd;            /* working directory, NULL = inherit */
  bool enabled;
  unsigned delay_ms; /* debounce quiet time */
  bool delay_fixed;  /* delay given (--delay, delay:): every burst waits
                        for delay_ms of quiet; else (issue 18) a reload
                        starts at the first settled change and delay_ms
                        ends the burst after it */
  unsigned grace_ms; /* SIGTERM -> SIGKILL */
  enum reload_mode reload;
  unsigned drain_ms;        /* overlap: how long the old server may
                               finish what it has in flight */
  unsigned init_timeout_ms; /* for the answer to initialize */
  unsigned crash_retries;   /* crashes within crash_window_ms of the first
                               that make the server wait for a change */
  unsigned crash_window_ms;
  char* build; /* run with /bin/sh -c before each reload, or NULL */
};

struct mcpmon_config {
  /* How much to log, as the command line chose: 0 -q, 1 by default, 2 -v,
   * 3 --debug. main.c hands log_init the most detailed log level each
   * shows (core/log.h's LOG_QUIET .. LOG_DEBUG); config knows no log. */
  int verbosity;
  bool timestamps;           /* -t: full date and milliseconds in log lines */
  char* log_file;            /* -l, NULL for none */
  size_t max_line;           /* longest accepted JSON-RPC line, bytes */
  unsigned queue_timeout_ms; /* how long a request may wait for a backend */
  char* config_path;         /* gateway mode: the YAML file, else NULL */
  char* separator;           /* gateway tool name separator */
  char* control_path;        /* --tui PATH, NULL for the default */
  bool no_control;           /* --no-tui */
  bool control_tools;        /* --control-tools / control_tools: true */
  struct server_config* servers;
  size_t nservers;
};

/* Fill defaults into a zeroed struct. */
void config_init(struct mcpmon_config* cfg);
void server_config_init(struct server_config* sc);
/* Append a backend initialised with defaults; returns it (owned by cfg). */
struct server_config* config_add_server(struct mcpmon_config* cfg);
void server_config_free(struct server_config* sc);
/* "command arg1 arg2" for logs and the dashboard; heap, owned by the
 * caller. */
char* server_config_command_line(const struct server_config* sc);

/* Deep copy of src into dst (dst is overwritten, not freed first). */
void server_config_copy(struct server_config* dst,
                        const struct server_config* src);

/* Deep copy of the whole of src into dst (overwritten, not freed first);
 * release it with config_free. */
void config_copy(struct mcpmon_config* dst, const struct mcpmon_config* src);

/* True when a and b describe the same backend: every field of struct
 * server_config, name and enabled included, lists compared in order. */
bool server_config_equal(const struct server_config* a,
                         const struct server_config* b);

void config_free(struct mcpmon_config* cfg);

/* Parses s, a whole number in decimal digits only (no sign, no blanks),
 * into *out. Returns 0, -1 when s is not one (the empty string included)
 * or -2 when it is greater than max. */
int config_parse_uint(const char* s, unsigned max, unsigned* out);

/* The extensions watched when none are given (issue 15), by the base
 * name of command: "js,mjs,cjs,ts,json" for node, nodejs, npx, tsx, bun
 * and deno; "py" for python (python3, python3.11 ...), uv and uvx; "py"
 * too for any other command. *known (may be NULL) tells whether the
 * command decided. */
const char* config_default_exts(const char* command, bool* known);

/* Why config_add_exts() refused an item. */
enum config_ext_error {
  CONFIG_EXT_EMPTY = -1,    /* nothing left after trimming: "py,,json", "." */
  CONFIG_EXT_INVALID = -2,  /* holds / * ? [ or a blank ("*" alone is not) */
  CONFIG_EXT_TOO_MANY = -3, /* a new extension would make more than max */
};

/* What the command line and the YAML file trim around an extension and
 * refuse inside one: every isspace() byte (a YAML block scalar ends in a
 * newline). */
#define CONFIG_EXT_BLANKS " \t\n\v\f\r"

/* Appends the comma-separated extensions of list to exts, in order: the
 * characters of blanks trimmed around each item, then its leading dots
 * dropped; an item already in exts is skipped; "*" means every file.
 * Returns 0, or a negative enum config_ext_error with the item at fault,
 * trimmed, in (*item)[0..*len) inside list; the items before it are
 * added. */
int config_add_exts(struct strvec* exts,
                    const char* list,
                    const char* blanks,
                    size_t max,
                    const char** item,
                    size_t* len);

#endif
