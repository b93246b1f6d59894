/* fuzz_router.h - what the files of the fuzz_router target share.
 *
 *   fuzz_router.c        the harness: one libuv loop per input with the
 *                        real session, single mode and backend, the
 *                        client's pipes, the server's socket, teardown
 *   fuzz_router_ops.c    the byte program: decodes the input into client
 *                        and server messages and control steps
 *   fuzz_router_model.c  the model: what the fuzzer's client and server
 *                        sent, and the invariants checked against what
 *                        mcpmon writes to them
 *   fuzz_router_json.c   a strict JSON (RFC 8259) reader, independent of
 *                        cJSON and of src/core/jscan.c, and the STDIO-4
 *                        check of every message mcpmon writes
 */
#ifndef MCPMON_FUZZ_ROUTER_H
#define MCPMON_FUZZ_ROUTER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "config/config.h"
#include "core/backend/backend.h"
#include "core/session/session.h"
#include "core/session/single.h"
#include "fuzz_check.h"

#define FZ_MAX_INPUT 4096u

/* Like FUZZ_CHECK, with the line (or whatever else) that broke it. */
#define FZ_EXPECT(cond, what, text, len)                                 \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "fuzz_router: %s: %.*s\n", what,                   \
              (int)((len) > 2000 ? 2000 : (len)), (text) ? (text) : ""); \
      FUZZ_CHECK(cond);                                                  \
    }                                                                    \
  } while (0)

/* ---- a growable byte string (fuzz_router_ops.c) -------------------------- */

struct fz_buf {
  char* p;
  size_t len;
  size_t cap;
};

void fzb_add(struct fz_buf* b, const char* s, size_t n);
void fzb_puts(struct fz_buf* b, const char* s);
void fzb_printf(struct fz_buf* b, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fzb_free(struct fz_buf* b);

/* ---- strict JSON (fuzz_router_json.c) ------------------------------------ */

enum fzj_type { FZJ_OBJECT, FZJ_ARRAY, FZJ_STRING, FZJ_NUMBER, FZJ_LITERAL };

struct fzj_member {
  const char* key; /* the key's text between its quotes, escapes kept */
  size_t key_len;
  const char* val; /* the value's text */
  size_t val_len;
  enum fzj_type type;
};

#define FZJ_MAX_MEMBERS 16

/* True when s[0..n) is one JSON text (RFC 8259 grammar; white space around
 * the value allowed; UTF-8 is not checked, as mcpmon passes bytes on). */
bool fzj_valid(const char* s, size_t n);
/* s[0..n) is exactly one object, no white space around it: fills up to
 * FZJ_MAX_MEMBERS members and returns how many there are, or -1. */
int fzj_object(const char* s, size_t n, struct fzj_member* out);
/* The key, or a string value's text, decoded equals name (ASCII). */
bool fzj_str_eq(const char* text, size_t len, const char* name);
/* The member called name, or NULL. */
const struct fzj_member* fzj_find(const struct fzj_member* m,
                                  int n,
                                  const char* name);
/* A number's text is an integer (no fraction or exponent needed to say
 * so) of magnitude below 2^53: *out gets it. */
bool fzj_int(const char* text, size_t len, int64_t* out);

/* A message mcpmon wrote, member by member. */
struct fz_out {
  struct fzj_member mem[FZJ_MAX_MEMBERS];
  int n;
  const struct fzj_member *jsonrpc, *id, *method, *params, *result, *error;
};

/* STDIO-4: s[0..n) is one strict JSON-RPC 2.0 object, no white space
 * around it, only the JSON-RPC members, each once, of the right types
 * (a result an object, an error with integer code and string message).
 * Fills o; aborts with the line on any fault. */
void fzj_check_message(const char* s, size_t n, struct fz_out* o);
/* The marker (member fz) of a response's result or of its error's data,
 * or -1. */
long fzj_answer_marker(const struct fz_out* o);

/* ---- the model (fuzz_router_model.c) ------------------------------------- */

/* One id the fuzzer's client used in a request or invalid message. */
struct fz_idrec {
  cJSON* id;
  char method[40];   /* of the first request with this id */
  unsigned expected; /* answers mcpmon owes for it */
  unsigned optional; /* answers it may give besides */
  unsigned results;  /* how many of those may be results (valid requests) */
  unsigned answered;
  unsigned answered_results;
  bool cancelled; /* a cancellation named it: no answer needed */
};

/* A client request marker (params.fz) and the id it went out with. */
struct fz_marker {
  long value;
  cJSON* id;
  char method[40];
  unsigned forwarded; /* times servers received it */
  bool ambiguous;     /* two requests carried it */
};

/* A request mcpmon relayed to the client (ID-2). */
struct fz_relay {
  cJSON* id;
  cJSON* token; /* params._meta.progressToken, or NULL */
  long marker;  /* params.fz of the server's request, or -1 */
  bool cancelled;
};

/* A request the fuzzer's server sent (to be answered via the client). */
struct fz_sreq {
  cJSON* id;
  cJSON* token;
  int conn;
  unsigned sent;
  unsigned answered;
  long marker;
};

/* A request mcpmon sent to one server connection. */
struct fz_seen {
  cJSON* id;
  char method[40];
  long marker;  /* the client's params.fz, or -1 */
  cJSON* token; /* params._meta.progressToken, or NULL */
};

/* What the model knows of one server connection (one process). */
struct fz_mconn {
  struct fz_buf partial; /* the server's unterminated output */
  struct fz_seen* seen;
  size_t nseen;
  cJSON* init_id;      /* mcpmon's id of its initialize on this connection */
  cJSON* results_sent; /* ids of the results the server wrote (array) */
  cJSON* ids;          /* every request id mcpmon sent it (array) */
  bool init_sent;
  bool initialized_sent;
};

struct fz_model {
  size_t max_line;
  /* client side */
  struct fz_buf client_partial;
  struct fz_idrec* ids;
  size_t nids;
  struct fz_marker* markers;
  size_t nmarkers;
  struct fz_relay* relays;
  size_t nrelays;
  cJSON* init_params; /* the stored initialize params (LIFE-1) */
  char* protocol;     /* from the last initialize result seen, or NULL */
  unsigned idless_expected;
  unsigned idless_optional;
  unsigned idless_answers;
  unsigned list_changed; /* notifications/tools/list_changed received */
  bool hung_up;          /* the client stopped reading: no more checks */
  /* server side */
  struct fz_mconn* conns;
  size_t nconns;
  struct fz_sreq* sreqs;
  size_t nsreqs;
  cJSON* server_ids; /* ... and to any server: ids rise across restarts */
  bool overlap;      /* restarts reload with overlap (set by the harness) */
};

void model_init(struct fz_model* m, size_t max_line);
void model_free(struct fz_model* m);
/* A new server connection; returns its index. */
int model_add_conn(struct fz_model* m);
/* Bytes the fuzzer's client wrote to mcpmon's stdin. */
void model_client_sent(struct fz_model* m, const char* s, size_t n);
/* One line (without '\n') mcpmon wrote to its stdout. */
void model_client_line(struct fz_model* m, const char* s, size_t n);
/* Bytes the fuzzer's server wrote on connection conn. */
void model_server_sent(struct fz_model* m, int conn, const char* s, size_t n);
/* One line mcpmon wrote to the server of connection conn; returns the
 * request's method (borrowed, valid until the next call) or NULL. */
const char* model_server_line(struct fz_model* m,
                              int conn,
                              const char* s,
                              size_t n);
/* The end of the session: every request answered exactly once (unless
 * cancelled or ambiguous), and with stop-first restarts (overlap false)
 * every restart announced; an overlap reload announces only lists that
 * changed, which the model does not follow. */
void model_finish(struct fz_model* m, unsigned restarts, bool overlap);

/* ---- the harness (fuzz_router.c), as the byte program sees it ------------ */

struct fz;
struct fz_setup;

/* Counters behind fresh ids, markers and tokens, per input. */
struct fz_counters {
  unsigned client; /* client request ids */
  unsigned server; /* server request ids and their markers */
  unsigned marker; /* client request markers (params.fz) */
  unsigned token;  /* client progress tokens */
};

/* Write to mcpmon's stdin as the client (copied). */
void fz_client_write(struct fz* z, const char* s, size_t n);
/* Write as the server of model connection conn (copied). */
void fz_server_write_to(struct fz* z, int conn, const char* s, size_t n);
/* The model connection of the backend's current process, or -1. */
int fz_server_conn(struct fz* z);
/* Make the current server process go away: 0 closes the fuzzer's side of
 * its socket (it exits 3), else that signal (only to a child of ours;
 * fuzz_peer takes SIGUSR1 and SIGUSR2 as commands). */
void fz_server_exit(struct fz* z, int sig);
/* The client closes its end of mcpmon's stdout: mcpmon's next write fails
 * (EPIPE, STDIO-10). Nothing can be checked of the session after that. */
void fz_client_hangup(struct fz* z);
/* Run the loop until nothing arrives for quiet_ms (and no process is
 * half started or stopped, nor, with backoff, waiting to restart after
 * a crash), at most max_ms. */
void fz_settle(struct fz* z, unsigned quiet_ms, unsigned max_ms, bool backoff);
/* The backend, or NULL once the session ended and the mode freed it. */
struct backend* fz_backend(struct fz* z);
struct fz_model* fz_model(struct fz* z);
const struct fz_setup* fz_setup(struct fz* z);
struct fz_counters* fz_counters(struct fz* z);

/* ---- the byte program (fuzz_router_ops.c) -------------------------------- */

struct fz_input {
  const uint8_t* p;
  size_t len;
  size_t pos;
};

uint8_t fzi_byte(struct fz_input* in);
bool fzi_done(const struct fz_input* in);

/* The header: how the session is set up. */
struct fz_setup {
  bool client_init;  /* the client sends initialize first */
  bool auto_init;    /* the server answers initialize by itself */
  bool auto_tools;   /* ... and tools/list */
  bool start_settle; /* wait for the handshake before the ops */
  int protocol;      /* index into fz_protocols */
  bool rich_caps;    /* logging, prompts, resources with subscribe */
  unsigned queue_timeout_ms;
  size_t max_line;
  size_t body_max; /* the observer's, 0 for none */
  bool overlap;    /* restarts reload with overlap (issue 14) */
};

extern const char* const fz_protocols[4];

void ops_read_setup(struct fz_input* in, struct fz_setup* su);
/* The client's initialize request (fresh id). */
void ops_client_initialize(struct fz* z);
/* The server's initialize result for mcpmon's id, on connection conn. */
void ops_answer_initialize(struct fz* z, int conn, const cJSON* id);
/* Its tools/list result for request s (marker echoed), with a next page
 * when more. */
void ops_answer_tools(struct fz* z,
                      int conn,
                      const struct fz_seen* s,
                      bool more);
/* Run every op of the rest of the input. */
void ops_run(struct fz* z, struct fz_input* in);

#endif
