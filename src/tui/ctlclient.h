/* ctlclient.h - the client side of the control socket (docs/control-
 * protocol.md), shared by mcpmon status, restart and tui: find running
 * instances, connect, check the hello, send commands, read JSON lines.
 *
 * Blocking calls take a timeout in milliseconds and wait with poll(); none
 * waits longer. The line reader is also used on its own by the TUI, which
 * reads the socket from its libuv loop. Errors are negative errno values
 * (-ECONNREFUSED means a stale socket: nobody listens) with the reason
 * written to a caller buffer.
 */
#ifndef MCPMON_TUI_CTLCLIENT_H
#define MCPMON_TUI_CTLCLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long the commands wait for the core by default. */
#define CTL_TIMEOUT_MS 3000

/* Splits a byte stream into lines of at most max bytes. */
struct ctl_reader {
  char* buf;  /* owned */
  size_t len; /* bytes held */
  size_t cap;
  size_t consumed; /* bytes of the line handed out by the last next() */
  size_t scanned;  /* bytes of buf already searched for '\n' */
  size_t max;      /* longest line delivered */
  bool skipping;   /* inside an over-long line */
};

void ctl_reader_init(struct ctl_reader* r, size_t max);
void ctl_reader_free(struct ctl_reader* r);
/* Append bytes read from the socket (copied). */
void ctl_reader_push(struct ctl_reader* r, const char* data, size_t n);
/* The next complete line: returns 1 and sets *line (NUL-terminated, '\n'
 * and a trailing '\r' removed; valid until the next push or next call) and
 * *len; 0 when no complete line is held; -1 once for each line that was
 * longer than max (its bytes are dropped). */
int ctl_reader_next(struct ctl_reader* r, char** line, size_t* len);

/* Check a hello object: {"type":"hello","mcpmon":1,...}. Returns 0 and
 * sets *pid (0 if absent), or -EPROTO with the reason in err. */
int ctl_check_hello(const cJSON* hello, long* pid, char* err, size_t errlen);

/* A blocking connection: used by status and restart. */
struct ctl_conn {
  int fd; /* -1 when closed */
  struct ctl_reader rd;
  long pid; /* the core's pid from the hello */
};

/* Connect to the socket at path without waiting more than timeout_ms.
 * Returns 0 and sets *fd (non-blocking, close-on-exec; the caller closes
 * it), or a negative errno: -ECONNREFUSED (stale socket), -ENOENT (no such
 * file), -ETIMEDOUT, -EPERM (the server runs as another uid: SO_PEERCRED;
 * issue 12 item 7), ... with a sentence in err. */
int ctl_socket_connect(
    const char* path, int timeout_ms, int* fd, char* err, size_t errlen);

/* Connect and read the hello. On success c is open (ctl_close it); on
 * failure it is closed. */
int ctl_connect(struct ctl_conn* c,
                const char* path,
                int timeout_ms,
                char* err,
                size_t errlen);

/* Send one command object as a line. Returns 0 or a negative errno. */
int ctl_send(struct ctl_conn* c,
             const cJSON* cmd,
             int timeout_ms,
             char* err,
             size_t errlen);

/* Read the next JSON object the core sends. *out is owned by the caller
 * (cJSON_Delete). Lines that are not JSON objects are an error (-EPROTO),
 * the end of the stream is -ECONNRESET. */
int ctl_recv(
    struct ctl_conn* c, int timeout_ms, cJSON** out, char* err, size_t errlen);

/* Send cmd and read until an object whose "type" is want_type or "error"
 * arrives (others are skipped); that object goes to *out (caller-owned).
 * The deadline covers the whole exchange. */
int ctl_request(struct ctl_conn* c,
                const cJSON* cmd,
                const char* want_type,
                int timeout_ms,
                cJSON** out,
                char* err,
                size_t errlen);

void ctl_close(struct ctl_conn* c);

/* The directories to look for instances in: control_default_dir(), the
 * one an instance started in this environment uses. Returns how many
 * (0 when the path does not fit; room for 2 kept); each up to 512
 * bytes. */
int ctl_search_dirs(char dirs[2][512]);

/* Whether the search directories may be trusted (proto/control_dir.h:
 * each a folder, not a symlink, ours, mode 0700): 0 when they are or do
 * not exist; else a negative errno with a sentence in err that names the
 * folder, what is wrong and the fix. ctl_find_instances skips the ones
 * that fail; ctl_resolve_target (ctltarget.h) refuses them. */
int ctl_check_search_dirs(char* err, size_t errlen);

/* "DIR" or "DIR and DIR2", for messages. */
void ctl_search_dirs_text(char* buf, size_t cap);

/* A running instance found by ctl_find_instances. */
struct ctl_instance {
  char* path;      /* socket path, owned */
  long pid;        /* from the hello */
  char* mode;      /* "single"/"gateway", owned, NULL if unknown */
  char* command;   /* owned, NULL if none */
  char* config;    /* owned, NULL if none */
  int64_t started; /* Unix ms, 0 if unknown */
  int nbackends;
  char** servers; /* the backends' names, owned; nservers of them */
  size_t nservers;
  char* problem; /* owned; non-NULL when it answered but not usefully
                    (other protocol version, no snapshot) */
};

/* Connect to the socket at path, read its hello and snapshot into *in
 * (freed with ctl_instance_free).
 * Returns false, with *in empty, when the socket is stale, missing or not
 * a socket; true otherwise, in->problem saying what went wrong if
 * anything did. */
bool ctl_probe(const char* path, int timeout_ms, struct ctl_instance* in);
/* Free what one ctl_instance owns (not the struct itself). */
void ctl_instance_free(struct ctl_instance* in);
/* Whether in has a server called name. */
bool ctl_instance_has(const struct ctl_instance* in, const char* name);

/* List *.sock in the search directories that ctl_check_search_dirs
 * trusts, connect to each (skipping stale sockets and paths that are not
 * sockets; one of another uid is listed with its problem), read its hello
 * and snapshot.
 * Sets *out (caller frees with ctl_instances_free) sorted by pid and
 * returns the count (0 when none runs). */
size_t ctl_find_instances(struct ctl_instance** out, int timeout_ms);
void ctl_instances_free(struct ctl_instance* list, size_t n);

/* One line describing an instance for lists: pid, mode, what it runs,
 * uptime and socket. */
void ctl_instance_describe(const struct ctl_instance* in,
                           int64_t now_ms,
                           char* buf,
                           size_t cap);

/* Print prefix and text and a newline to stderr, text escaped with
 * tu_escape: for every message that carries what a socket said. */
void ctl_print_error(const char* prefix, const char* text);

#endif
