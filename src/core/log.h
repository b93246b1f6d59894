/* log.h - the one logging path of mcpmon.
 *
 * Every line goes to stderr (stdout is the MCP channel, STDIO-7) and, when a
 * log file is set, to that file too, in one format:
 *   [mcpmon HH:MM:SS] message                 (an event of mcpmon itself)
 *   [mcpmon HH:MM:SS pid:N] message           (an event about server pid N)
 *   [mcpmon HH:MM:SS NAME pid:N] message      (gateway: backend NAME)
 * With timestamps on (-t) the time reads YYYY-MM-DD HH:MM:SS.mmm instead.
 *
 * Every message has a level (enum log_level, most severe first), and the
 * verbosity is the most detailed level shown: quiet (-q) shows errors
 * only; the default adds warnings and start/stop/restart events (info);
 * verbose (-v) adds file change details; debug (--debug) everything. The
 * level is checked before the message is formatted, so a disabled
 * log_debug costs one comparison.
 *
 * Text from outside (a server's stderr and stray stdout, a client's bad
 * line) is written with its control bytes as \xNN, TAB excepted, so that
 * garbage cannot move the cursor or retitle the terminal; a server's ANSI
 * colours (ESC [ ... m) pass through to stderr and the log file, and are
 * dropped for the dashboard.
 *
 * Writing to stderr never blocks the loop (DESIGN: logging never blocks):
 * after log_open_stderr, a line stderr cannot take now waits in a
 * bounded queue (LOG_STDERR_QUEUE_MAX bytes), written when stderr is
 * writable again; when the queue is full the line is dropped from stderr
 * only, and once the queue has drained one line says "N log lines
 * dropped (stderr was not read)". The log file and the hook get every
 * line.
 */
#ifndef MCPMON_LOG_H
#define MCPMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

/* The level of one message, and the verbosity: the most detailed level
 * printed. Errors print at every verbosity, warnings and info from the
 * default one up, verbose and debug from theirs. */
enum log_level {
  LL_ERROR = 0,
  LL_WARN = 1,
  LL_INFO = 2,
  LL_VERBOSE = 3,
  LL_DEBUG = 4,
};

/* The verbosities of the command line, as the most detailed level each
 * shows: -q, none, -v, --debug. */
#define LOG_QUIET LL_ERROR
#define LOG_DEFAULT LL_INFO
#define LOG_VERBOSE LL_VERBOSE
#define LOG_DEBUG LL_DEBUG
/* The verbosity's old type name: it is a level. */
#define log_verbosity log_level

/* "error", "warn", "info", "verbose", "debug". */
const char* log_level_name(enum log_level l);

/* Print messages of level shown and the less detailed ones (the
 * verbosity), with the time format of timestamps. Safe to call again. */
void log_init(enum log_level shown, bool timestamps);

/* Also append every printed line to path (created 0644 if missing).
 * Returns 0 or -errno; the reason is written to err. */
int log_open_file(const char* path, char* err, size_t errlen);
void log_close_file(void);

/* Bytes of stderr output held while nobody reads it: 256 KiB, a few
 * thousand lines, about four times a Linux pipe's default capacity. */
#define LOG_STDERR_QUEUE_MAX (256 * 1024)

/* From now on, write stderr without ever waiting for its reader. A pipe
 * or a terminal is reopened through /proc/self/fd/2, which makes a new
 * open file description of it, so its O_NONBLOCK is mcpmon's alone:
 * setting it on fd 2 itself would change the description mcpmon shares
 * with its parent (the user's shell, the client's other children). Only
 * when that fails (no /proc, a socket) is O_NONBLOCK set on fd 2, and
 * put back by log_close_stderr or at exit. A file or /dev/null is
 * written as before: it never waits for a reader. Returns 0 or -errno
 * (then stderr stays blocking). */
int log_open_stderr(void);

/* Write queued stderr lines from loop as stderr becomes writable (the
 * handle does not keep the loop alive). Before it, and after
 * log_detach_loop, queued lines go out with the next line or at
 * log_close_stderr. */
void log_attach_loop(uv_loop_t* loop);

/* Close log_attach_loop's handle; the loop must run once more to finish
 * the close (before uv_loop_close). */
void log_detach_loop(void);

/* At exit: write what is queued, waiting at most timeout_ms for stderr
 * to take it (a never-read stderr must not hang the exit), then undo
 * log_open_stderr. */
void log_close_stderr(unsigned timeout_ms);

/* A file by identity (st_dev, st_ino), not by name. */
struct log_file_id {
  dev_t dev;
  ino_t ino;
};

/* The regular files log lines are written to now: the log file, and
 * stderr's target when it is a regular file (2> file). Writes up to max
 * of them into ids and returns how many. The watcher never watches
 * these: every line would be the next file event. */
size_t log_written_files(struct log_file_id* ids, size_t max);

/* The verbosity: the most detailed level printed (log_init's shown). */
enum log_level log_get_verbosity(void);
/* Whether a message of level l prints now. */
static inline bool log_enabled(enum log_level l) {
  return l <= log_get_verbosity();
}

/* Hook that sees every line that log_* prints, for the control socket's
 * ring buffers: text is the message without prefix or newline; name is the
 * backend (NULL for none); from_server is true for a server's stderr passed
 * through. At most one hook; NULL removes it. */
typedef void (*log_hook_fn)(void* ctx,
                            enum log_level level,
                            const char* name,
                            bool from_server,
                            const char* text);
void log_set_hook(log_hook_fn fn, void* ctx);

/* name: backend name or NULL; pid: 0 for none. */
void log_msgv(enum log_level level,
              const char* name,
              long pid,
              const char* fmt,
              va_list ap);
void log_msg(enum log_level level,
             const char* name,
             long pid,
             const char* fmt,
             ...) __attribute__((format(printf, 4, 5)));

/* Write one line with the standard prefix and a tag, unconditionally at
 * the default verbosity and above: used to pass a server's stderr through.
 * line need not be NUL-terminated. */
void log_passthrough(const char* name, long pid, const char* line, size_t len);
/* The same with another tag than "| " ("build | "). */
void log_passthrough_tag(
    const char* name, long pid, const char* tag, const char* line, size_t len);

#define log_error(...) log_msg(LL_ERROR, NULL, 0, __VA_ARGS__)
#define log_warn(...)                         \
  do {                                        \
    if (log_enabled(LL_WARN))                 \
      log_msg(LL_WARN, NULL, 0, __VA_ARGS__); \
  } while (0)
#define log_info(...)                         \
  do {                                        \
    if (log_enabled(LL_INFO))                 \
      log_msg(LL_INFO, NULL, 0, __VA_ARGS__); \
  } while (0)
#define log_verbose(...)                         \
  do {                                           \
    if (log_enabled(LL_VERBOSE))                 \
      log_msg(LL_VERBOSE, NULL, 0, __VA_ARGS__); \
  } while (0)
#define log_debug(...)                         \
  do {                                         \
    if (log_enabled(LL_DEBUG))                 \
      log_msg(LL_DEBUG, NULL, 0, __VA_ARGS__); \
  } while (0)

#endif
