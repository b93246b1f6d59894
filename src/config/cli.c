/* cli.c - see cli.h.
 *
 * getopt_long (glibc) scans, with mcpmon's own rules on top: "--opt value"
 * and "--opt=value", short values attached ("-wsrc") or separate, flags
 * combined ("-qt"), and option parsing that stops at "--" or at the first
 * word that is not an option (the server command, as nodemon does: the
 * leading '+' of the optstring). What getopt would take that mcpmon does
 * not is refused before or after it: abbreviated long names ("--time" for
 * "--timestamps"), "-watch" read as "-w atch", and a separate value that
 * looks like another option ("--watch --ext py"). getopt prints nothing
 * (opterr = 0, and ':' in the optstring tells a missing value from an
 * unknown option); every message is mcpmon's own.
 */
#include "config/cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfgutil.h"
#include "lib/suggest.h"

/* What --ext trims around an extension and refuses inside one: isspace()
 * in the C locale, which the command line is parsed in. */

#define CLI_USAGE "usage: mcpmon [options] -- command [args...]"

enum cli_opt_id {
  OPT_WATCH,
  OPT_EXT,
  OPT_IGNORE,
  OPT_DELAY,
  OPT_GRACE,
  OPT_QUEUE_TIMEOUT,
  OPT_RELOAD,
  OPT_DRAIN,
  OPT_INIT_TIMEOUT,
  OPT_CRASH_RETRIES,
  OPT_CRASH_WINDOW,
  OPT_BUILD,
  OPT_MAX_LINE,
  OPT_CONFIG,
  OPT_TUI,
  OPT_NO_TUI,
  OPT_CONTROL_TOOLS,
  OPT_QUIET,
  OPT_VERBOSE,
  OPT_DEBUG,
  OPT_TIMESTAMPS,
  OPT_LOG_FILE,
  OPT_HELP,
  OPT_VERSION,
};

struct cli_option {
  const char* name;  /* long name without "--" */
  char short_name;   /* 0 for none */
  const char* value; /* what the value is, for errors; NULL for a flag */
  enum cli_opt_id id;
};

static const struct cli_option cli_options[] = {
    {"watch", 'w', "path", OPT_WATCH},
    {"ext", 'e', "extensions, like py,json", OPT_EXT},
    {"ignore", 0, "glob", OPT_IGNORE},
    {"delay", 0, "milliseconds", OPT_DELAY},
    {"grace", 0, "milliseconds", OPT_GRACE},
    {"queue-timeout", 0, "milliseconds", OPT_QUEUE_TIMEOUT},
    {"reload", 0, "overlap or stop-first", OPT_RELOAD},
    {"drain", 0, "milliseconds", OPT_DRAIN},
    {"init-timeout", 0, "milliseconds", OPT_INIT_TIMEOUT},
    {"crash-retries", 0, "number", OPT_CRASH_RETRIES},
    {"crash-window", 0, "milliseconds", OPT_CRASH_WINDOW},
    {"build", 0, "command", OPT_BUILD},
    {"max-line", 0, "size, like 64M", OPT_MAX_LINE},
    {"config", 'c', "file", OPT_CONFIG},
    {"tui", 0, "socket path", OPT_TUI},
    {"no-tui", 0, NULL, OPT_NO_TUI},
    {"control-tools", 0, NULL, OPT_CONTROL_TOOLS},
    {"quiet", 'q', NULL, OPT_QUIET},
    {"verbose", 'v', NULL, OPT_VERBOSE},
    {"debug", 0, NULL, OPT_DEBUG},
    {"timestamps", 't', NULL, OPT_TIMESTAMPS},
    {"log-file", 'l', "file", OPT_LOG_FILE},
    {"help", 'h', NULL, OPT_HELP},
    {"version", 'V', NULL, OPT_VERSION},
};

#define CLI_NOPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

/* The parse in progress. Per-server options go to sc, which becomes the
 * single-mode server at the end (or is dropped on any other result). */
struct cli_state {
  struct mcpmon_config* cfg;
  struct server_config sc;
  char conflict[32]; /* first per-server option seen, as typed */
  char* err;
  size_t errlen;
};

static enum cli_result cli_fail(struct cli_state* st, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes one line to the caller's buffer. Control characters from argv
 * become '?' so the message stays on one line. */
static enum cli_result cli_fail(struct cli_state* st, const char* fmt, ...) {
  if (st->err == NULL || st->errlen == 0)
    return CLI_ERROR;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->err, st->errlen, fmt, ap);
  va_end(ap);
  for (char* p = st->err; *p != '\0'; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  }
  return CLI_ERROR;
}

/* The option as the user spelled it: "--watch" or "-w". */
static void cli_label(const struct cli_option* o,
                      bool is_short,
                      char* buf,
                      size_t len) {
  if (is_short)
    snprintf(buf, len, "-%c", o->short_name);
  else
    snprintf(buf, len, "--%s", o->name);
}

static const struct cli_option* cli_find_long(const char* name, size_t len) {
  for (size_t i = 0; i < CLI_NOPTIONS; i++) {
    const char* n = cli_options[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0)
      return &cli_options[i];
  }
  return NULL;
}

/* The long option the user probably meant by name[0..len), or NULL
 * (suggest.h has the rules). */
static const char* cli_suggest(const char* name, size_t len) {
  const char* names[CLI_NOPTIONS];
  for (size_t i = 0; i < CLI_NOPTIONS; i++) names[i] = cli_options[i].name;
  return suggest_name(name, len, names, CLI_NOPTIONS);
}

/* The getopt val of an option: its short name, else past every char. */
#define CLI_VAL_LONG 256
static int cli_val(const struct cli_option* o) {
  return o->short_name != 0 ? o->short_name : CLI_VAL_LONG + (int)o->id;
}

static const struct cli_option* cli_find_val(int val) {
  for (size_t i = 0; i < CLI_NOPTIONS; i++) {
    if (cli_val(&cli_options[i]) == val)
      return &cli_options[i];
  }
  return NULL;
}

static enum cli_result cli_unknown(struct cli_state* st,
                                   const char* arg,
                                   size_t arglen,
                                   const char* name,
                                   size_t namelen) {
  const char* s = cli_suggest(name, namelen);
  if (s != NULL)
    return cli_fail(st, "unknown option '%.*s'; did you mean '--%s'?",
                    (int)arglen, arg, s);
  return cli_fail(st, "unknown option '%.*s'", (int)arglen, arg);
}

static enum cli_result cli_ms(struct cli_state* st,
                              const char* label,
                              const char* value,
                              unsigned min,
                              unsigned max,
                              unsigned* out) {
  unsigned v = 0;
  int r = config_parse_uint(value, max, &v);
  if (r == -1)
    return cli_fail(st,
                    "option '%s' expects milliseconds as a whole number "
                    "(like %s 50), not '%s'",
                    label, label, value);
  if (r == -2 || v < min) {
    if (min > 0)
      return cli_fail(st,
                      "option '%s' must be between %u and %u "
                      "milliseconds, not '%s'",
                      label, min, max, value);
    return cli_fail(st, "option '%s' must be at most %u milliseconds, not '%s'",
                    label, max, value);
  }
  *out = v;
  return CLI_RUN;
}

/* A whole number in [min, max] (a count, not a time). */
static enum cli_result cli_count(struct cli_state* st,
                                 const char* label,
                                 const char* value,
                                 unsigned min,
                                 unsigned max,
                                 unsigned* out) {
  unsigned v = 0;
  int r = config_parse_uint(value, max, &v);
  if (r == -1)
    return cli_fail(st,
                    "option '%s' expects a whole number (like %s 5), not "
                    "'%s'",
                    label, label, value);
  if (r == -2 || v < min)
    return cli_fail(st, "option '%s' must be between %u and %u, not '%s'",
                    label, min, max, value);
  *out = v;
  return CLI_RUN;
}

/* Appends the comma-separated extensions of value to sc->exts
 * (config_add_exts() has the rules). */
static enum cli_result cli_exts(struct cli_state* st,
                                const char* label,
                                const char* value) {
  const char* item;
  size_t n;
  switch (config_add_exts(&st->sc.exts, value, CONFIG_EXT_BLANKS, SIZE_MAX,
                          &item, &n)) {
    case 0:
      return CLI_RUN;
    case CONFIG_EXT_EMPTY:
      return cli_fail(st, "option '%s' has an empty extension in '%s'", label,
                      value);
    default: /* CONFIG_EXT_INVALID; there is no maximum here */
      return cli_fail(st,
                      "option '%s' expects extensions like py,json "
                      "(or * for all files), not '%.*s'",
                      label, (int)n, item);
  }
}

static void cli_set_str(char** slot, const char* value) {
  free(*slot);
  *slot = cfg_xstrdup(value);
}

/* Applies one option. value is NULL for flags. Returns CLI_RUN to go on,
 * CLI_HELP or CLI_VERSION to stop there, or CLI_ERROR. */
static enum cli_result cli_apply(struct cli_state* st,
                                 const struct cli_option* o,
                                 const char* label,
                                 const char* value) {
  struct mcpmon_config* cfg = st->cfg;
  switch (o->id) {
    case OPT_WATCH:
    case OPT_EXT:
    case OPT_IGNORE:
    case OPT_DELAY:
    case OPT_GRACE:
    case OPT_RELOAD:
    case OPT_DRAIN:
    case OPT_INIT_TIMEOUT:
    case OPT_CRASH_RETRIES:
    case OPT_CRASH_WINDOW:
    case OPT_BUILD:
      if (st->conflict[0] == '\0')
        snprintf(st->conflict, sizeof(st->conflict), "%s", label);
      break;
    default:
      break;
  }
  switch (o->id) {
    case OPT_WATCH:
      strvec_push(&st->sc.watch, value);
      return CLI_RUN;
    case OPT_EXT:
      return cli_exts(st, label, value);
    case OPT_IGNORE:
      strvec_push(&st->sc.ignore, value);
      return CLI_RUN;
    case OPT_DELAY:
      st->sc.delay_fixed = true; /* issue 18: a fixed quiet time */
      return cli_ms(st, label, value, 0, CONFIG_MAX_DELAY_MS, &st->sc.delay_ms);
    case OPT_GRACE:
      return cli_ms(st, label, value, 0, CONFIG_MAX_GRACE_MS, &st->sc.grace_ms);
    case OPT_QUEUE_TIMEOUT:
      return cli_ms(st, label, value, CONFIG_MIN_QUEUE_TIMEOUT_MS,
                    CONFIG_MAX_QUEUE_TIMEOUT_MS, &cfg->queue_timeout_ms);
    case OPT_RELOAD:
      if (reload_mode_parse(value, &st->sc.reload) != 0)
        return cli_fail(st,
                        "option '%s' expects overlap or stop-first, not "
                        "'%s'",
                        label, value);
      return CLI_RUN;
    case OPT_DRAIN:
      return cli_ms(st, label, value, 0, CONFIG_MAX_DRAIN_MS, &st->sc.drain_ms);
    case OPT_BUILD:
      if (value[0] == '\0')
        return cli_fail(st, "option '%s' expects a command, not ''", label);
      free(st->sc.build);
      st->sc.build = cfg_xstrdup(value);
      return CLI_RUN;
    case OPT_INIT_TIMEOUT:
      return cli_ms(st, label, value, CONFIG_MIN_INIT_TIMEOUT_MS,
                    CONFIG_MAX_INIT_TIMEOUT_MS, &st->sc.init_timeout_ms);
    case OPT_CRASH_RETRIES:
      return cli_count(st, label, value, CONFIG_MIN_CRASH_RETRIES,
                       CONFIG_MAX_CRASH_RETRIES, &st->sc.crash_retries);
    case OPT_CRASH_WINDOW:
      return cli_ms(st, label, value, CONFIG_MIN_CRASH_WINDOW_MS,
                    CONFIG_MAX_CRASH_WINDOW_MS, &st->sc.crash_window_ms);
    case OPT_MAX_LINE: {
      size_t n = 0;
      if (cli_parse_size(value, &n) != 0)
        return cli_fail(st,
                        "option '%s' expects a size like 64M, 10MiB, 512K "
                        "or 1048576, not '%s'",
                        label, value);
      if (n == 0)
        return cli_fail(st, "option '%s' must be greater than 0, not '%s'",
                        label, value);
      cfg->max_line = n;
      return CLI_RUN;
    }
    case OPT_CONFIG:
      cli_set_str(&cfg->config_path, value);
      return CLI_RUN;
    case OPT_TUI:
    case OPT_NO_TUI:
      /* Issue 15: one says where the socket goes, the other that there is
       * none; together they are a mistake, not "last wins". */
      if (o->id == OPT_TUI ? cfg->no_control : cfg->control_path != NULL)
        return cli_fail(st,
                        "options '--tui' and '--no-tui' contradict each "
                        "other: '--tui PATH' names the dashboard's socket, "
                        "'--no-tui' turns it off; keep one");
      if (o->id == OPT_TUI)
        cli_set_str(&cfg->control_path, value);
      else
        cfg->no_control = true;
      return CLI_RUN;
    case OPT_CONTROL_TOOLS:
      cfg->control_tools = true;
      return CLI_RUN;
    case OPT_QUIET:
      cfg->verbosity = 0;
      return CLI_RUN;
    case OPT_VERBOSE:
      cfg->verbosity = 2;
      return CLI_RUN;
    case OPT_DEBUG:
      cfg->verbosity = 3;
      return CLI_RUN;
    case OPT_TIMESTAMPS:
      cfg->timestamps = true;
      return CLI_RUN;
    case OPT_LOG_FILE:
      cli_set_str(&cfg->log_file, value);
      return CLI_RUN;
    case OPT_HELP:
      return CLI_HELP;
    case OPT_VERSION:
      return CLI_VERSION;
  }
  abort(); /* every enum cli_opt_id is handled above */
}

/* Whether a separate value (the word after the option) looks like
 * another option, so that "--watch --ext py" is an error rather than
 * watching "--ext". Negative numbers still count as values, for a better
 * error message. */
static bool cli_looks_like_option(const char* v) {
  return v[0] == '-' && v[1] != '\0' && !isdigit((unsigned char)v[1]);
}

static enum cli_result cli_missing(struct cli_state* st,
                                   const struct cli_option* o,
                                   const char* label) {
  return cli_fail(st, "option '%s' needs a value (%s)", label, o->value);
}

/* What getopt_long would take that mcpmon refuses, checked on argument
 * arg before getopt starts on it: a long name that is not spelled out
 * whole (getopt takes any unambiguous start of one), and "-watch" for
 * "--watch", a common slip that as a cluster would silently mean
 * "-w atch". */
static enum cli_result cli_precheck(struct cli_state* st, const char* arg) {
  if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
    return CLI_RUN; /* the command, or the end of the options */
  if (arg[1] == '-') {
    const char* name = arg + 2;
    const char* eq = strchr(name, '=');
    size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    if (cli_find_long(name, len) == NULL)
      return cli_unknown(st, arg, len + 2, name, len);
    return CLI_RUN;
  }
  size_t arglen = strlen(arg);
  if (arglen > 2 && cli_find_long(arg + 1, arglen - 1) != NULL)
    return cli_fail(st, "unknown option '%s'; did you mean '-%s'?", arg, arg);
  return CLI_RUN;
}

/* getopt_long returned '?' on the argument arg: an unknown short option c
 * (first: the first of its cluster), or a long flag given a value. */
static enum cli_result cli_refused(struct cli_state* st,
                                   const char* arg,
                                   int c,
                                   bool first) {
  size_t arglen = strlen(arg);
  if (arg[1] == '-') {
    const struct cli_option* o = c != 0 ? cli_find_val(c) : NULL;
    if (o != NULL)
      return cli_fail(st, "option '--%s' takes no value", o->name);
    /* Unknown; cli_precheck has already said so. */
    const char* eq = strchr(arg, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg) : arglen;
    return cli_unknown(st, arg, len, arg + 2, len - 2);
  }
  const char* s = first && arglen > 2 ? cli_suggest(arg + 1, arglen - 1) : NULL;
  if (s != NULL)
    return cli_fail(st, "unknown option '%s'; did you mean '--%s'?", arg, s);
  if (arglen > 2)
    return cli_fail(st, "unknown option '-%c' (in '%s')", c, arg);
  return cli_fail(st, "unknown option '-%c'", c);
}

/* getopt_long's optstring and long options, made from cli_options:
 * "+:" (stop at the first non-option; ':' for a missing value), then each
 * short name, with ':' when it takes a value. */
struct cli_getopt {
  char optstring[2 + 2 * CLI_NOPTIONS + 1];
  struct option longopts[CLI_NOPTIONS + 1];
};

static void cli_getopt_init(struct cli_getopt* g) {
  size_t k = 0;
  g->optstring[k++] = '+';
  g->optstring[k++] = ':';
  for (size_t i = 0; i < CLI_NOPTIONS; i++) {
    const struct cli_option* o = &cli_options[i];
    if (o->short_name != 0) {
      g->optstring[k++] = o->short_name;
      if (o->value != NULL)
        g->optstring[k++] = ':';
    }
    g->longopts[i] = (struct option){
        .name = o->name,
        .has_arg = o->value != NULL ? required_argument : no_argument,
        .flag = NULL,
        .val = cli_val(o),
    };
  }
  g->optstring[k] = '\0';
  g->longopts[CLI_NOPTIONS] = (struct option){0};
}

/* Scans the options of argv with getopt_long, applying each; *first is
 * set to the index of the command's first word (argc when none). */
static enum cli_result cli_scan(struct cli_state* st,
                                int argc,
                                char** argv,
                                int* first) {
  struct cli_getopt g;
  cli_getopt_init(&g);
  optind = 0; /* glibc: a full reset, so that every parse starts afresh */
  opterr = 0;
  bool fresh = true; /* at the start of an argument, not inside a cluster */
  enum cli_result r = CLI_RUN;
  while (r == CLI_RUN) {
    int at = optind > 0 ? optind : 1; /* the argument getopt is on */
    if (fresh && at < argc) {
      r = cli_precheck(st, argv[at]);
      if (r != CLI_RUN)
        break;
    }
    int c = getopt_long(argc, argv, g.optstring, g.longopts, NULL);
    if (c == -1)
      break;
    bool was_fresh = fresh;
    fresh = optind != at;
    const char* arg = argv[at];
    bool is_long = arg[1] == '-';
    if (c == '?') {
      r = cli_refused(st, arg, optopt, was_fresh);
      break;
    }
    const struct cli_option* o = cli_find_val(c == ':' ? optopt : c);
    if (o == NULL)
      abort(); /* getopt returns only the vals it was given */
    char label[32];
    cli_label(o, !is_long, label, sizeof(label));
    if (c == ':') {
      r = cli_missing(st, o, label);
      break;
    }
    const char* value = o->value != NULL ? optarg : NULL;
    if (value != NULL && (*value == '\0' || (value == argv[optind - 1] &&
                                             cli_looks_like_option(value)))) {
      r = cli_missing(st, o, label);
      break;
    }
    r = cli_apply(st, o, label, value);
  }
  *first = optind > 0 ? optind : 1;
  return r;
}

static enum cli_result cli_finish(struct cli_state* st,
                                  int argc,
                                  char** argv,
                                  int first) {
  struct mcpmon_config* cfg = st->cfg;
  if (cfg->config_path != NULL) {
    if (st->conflict[0] != '\0')
      return cli_fail(st,
                      "option '%s' cannot be used with --config; set it "
                      "per server in the config file",
                      st->conflict);
    if (first < argc)
      return cli_fail(st,
                      "a server command ('%s') cannot be used with "
                      "--config; list the servers in the config file",
                      argv[first]);
    return CLI_RUN;
  }
  if (first >= argc)
    return cli_fail(st, "missing server command (" CLI_USAGE ")");
  if (argv[first][0] == '\0')
    return cli_fail(st, "the server command is empty (" CLI_USAGE ")");
  struct server_config* sc = &st->sc;
  sc->name = cfg_xstrdup("server");
  sc->command = cfg_xstrdup(argv[first]);
  for (int k = first + 1; k < argc; k++) strvec_push(&sc->args, argv[k]);
  if (sc->watch.n == 0)
    strvec_push(&sc->watch, ".");
  if (sc->exts.n == 0) {
    const char* item;
    size_t n;
    config_add_exts(&sc->exts, config_default_exts(sc->command, NULL), "",
                    SIZE_MAX, &item, &n);
    sc->exts_default = true;
  }
  struct server_config* dst = config_add_server(cfg);
  server_config_free(dst);
  *dst = *sc;
  server_config_init(sc); /* moved: nothing left to free */
  return CLI_RUN;
}

enum cli_result cli_parse(int argc,
                          char** argv,
                          struct mcpmon_config* cfg,
                          char* err,
                          size_t errlen) {
  struct cli_state st = {.cfg = cfg, .err = err, .errlen = errlen};
  server_config_init(&st.sc);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  int first = 1;
  enum cli_result r = cli_scan(&st, argc, argv, &first);
  if (r == CLI_RUN)
    r = cli_finish(&st, argc, argv, first);
  server_config_free(&st.sc);
  return r;
}

int cli_parse_size(const char* s, size_t* out) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  size_t v = 0;
  const char* p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    size_t d = (size_t)(*p - '0');
    if (v > (SIZE_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  static const struct {
    const char* suffix;
    unsigned shift;
  } units[] = {
      {"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
      {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30},
  };
  for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
    if (strcasecmp(p, units[k].suffix) != 0)
      continue;
    unsigned shift = units[k].shift;
    if (shift > 0 && v > (SIZE_MAX >> shift))
      return -1;
    *out = v << shift;
    return 0;
  }
  return -1;
}

static const char cli_help[] =
    "Usage: mcpmon [options] -- command [args...]\n"
    "       mcpmon [options] --config FILE\n"
    "       mcpmon tui [PID | SOCKET]\n"
    "       mcpmon status [PID | SOCKET] [--json]\n"
    "       mcpmon restart [PID] [NAME]\n"
    "       mcpmon start|stop [PID] NAME\n"
    "\n"
    "Hot reload for MCP servers, like nodemon: runs the server command,\n"
    "watches files and restarts the server when they change, while the MCP\n"
    "client stays connected. Without \"--\", options end at the first word\n"
    "that is not one: mcpmon python server.py\n"
    "\n"
    "Watching:\n"
    "  -w, --watch PATH        directory or file to watch; repeatable\n"
    "                          (default: .)\n"
    "  -e, --ext LIST          extensions to watch: py,json or .py,.json;\n"
    "                          * for all files; repeatable (default:\n"
    "                          js,mjs,cjs,ts,json for node, npx, tsx, bun\n"
    "                          and deno; else py)\n"
    "      --ignore GLOB       ignore matching paths (gitignore syntax);\n"
    "                          repeatable\n"
    "      --delay MS          quiet time that ends a burst, 0-60000\n"
    "                          (default: 30); given, every restart waits\n"
    "                          for it; not given, a restart starts at the\n"
    "                          first saved file and the rest of its burst\n"
    "                          gives one more at most\n"
    "\n"
    "Server:\n"
    "      --grace MS          time between SIGTERM and SIGKILL, and to\n"
    "                          answer after the client's EOF, 0-600000\n"
    "                          (default: 2000)\n"
    "      --queue-timeout MS  how long a request may wait for a\n"
    "                          restarting server, 1-600000 (default: 30000)\n"
    "      --init-timeout MS   how long the server may take to answer\n"
    "                          initialize, 1-600000 (default: 20000)\n"
    "      --crash-retries N   after N crashes within --crash-window of\n"
    "                          the first, stop restarting the server and\n"
    "                          wait for a file change or a restart\n"
    "                          command, 1-1000 (default: 5)\n"
    "      --crash-window MS   1-3600000 (default: 30000)\n"
    "      --max-line SIZE     longest JSON-RPC line accepted: bytes, or\n"
    "                          with K, M, G as in 512K, 10MiB; K = 1024\n"
    "                          (default: 64M)\n"
    "  -c, --config FILE       gateway mode: run every server listed in\n"
    "                          FILE (.mcpmon.yaml); takes no command and\n"
    "                          no --watch, --ext, --ignore, --delay,\n"
    "                          --grace, --reload, --drain,\n"
    "                          --init-timeout, --crash-retries,\n"
    "                          --crash-window or --build (set those in\n"
    "                          FILE)\n"
    "\n"
    "Reloading:\n"
    "      --reload MODE       overlap: start the new server beside the\n"
    "                          old one, which serves until the new one is\n"
    "                          ready and is kept when the new one fails;\n"
    "                          stop-first: stop the old server, then start\n"
    "                          the new one, for servers that cannot run\n"
    "                          twice (a lock file, a fixed port)\n"
    "                          (default: overlap)\n"
    "      --drain MS          overlap: how long the old server may finish\n"
    "                          the calls it has in flight, 0-600000\n"
    "                          (default: 10000)\n"
    "      --build CMD         run CMD (with /bin/sh -c, in the server's\n"
    "                          directory) before each reload; when it\n"
    "                          fails the old server keeps serving\n"
    "\n"
    "Control socket (used by mcpmon tui, status, restart, start, stop):\n"
    "      --tui PATH          socket path (default:\n"
    "                          $XDG_RUNTIME_DIR/mcpmon/PID.sock, else\n"
    "                          /tmp/mcpmon-UID/PID.sock)\n"
    "      --no-tui            no control socket\n"
    "      --control-tools     also offer the client mcpmon's own tools:\n"
    "                          mcpmon__status, mcpmon__restart and\n"
    "                          mcpmon__logs, so that an agent can restart\n"
    "                          the server it edits and read why it failed\n"
    "\n"
    "Logging (to stderr; stdout carries MCP only):\n"
    "  -q, --quiet             errors only\n"
    "  -v, --verbose           also which files changed\n"
    "      --debug             everything\n"
    "                          (default: errors, warnings and restarts;\n"
    "                          the last of -q, -v and --debug wins)\n"
    "  -t, --timestamps        full date and milliseconds in log lines\n"
    "  -l, --log-file FILE     also write logs to FILE\n"
    "\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Commands (talk to a running mcpmon: the one with --socket PATH, the\n"
    "one whose pid is PID, else the only one running; each has --help):\n"
    "  tui [PID | SOCKET]      open the dashboard\n"
    "  status [PID | SOCKET] [--json]\n"
    "                          print the state of every server; exit\n"
    "                          status 3 when one is down\n"
    "  restart [PID] [NAME]    restart server NAME (of the instance that\n"
    "                          has it), or all servers\n"
    "  stop [PID] NAME         stop server NAME until it is started\n"
    "  start [PID] NAME        start server NAME (stopped, or disabled in\n"
    "                          the config) for this run\n"
    "\n"
    "Examples:\n"
    "  mcpmon --watch src/ --ext py,json -- python -m my_server\n"
    "  mcpmon -t -l mcpmon.log -- node server.js\n"
    "  mcpmon --config .mcpmon.yaml\n"
    "\n"
    "In an MCP client's config, put \"mcpmon\" as the command and the rest\n"
    "in args:\n"
    "  \"command\": \"mcpmon\",\n"
    "  \"args\": [\"--watch\", \"src/\", \"--\", \"python\", \"-m\", "
    "\"my_server\"]\n";

const char* cli_help_text(void) {
  return cli_help;
}
