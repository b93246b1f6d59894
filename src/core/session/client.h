/* client.h - the MCP client's side of the pipe: mcpmon's stdin and stdout.
 *
 * Reads stdin through a framer, validates every message (STDIO-4, STDIO-5)
 * and answers what is wrong itself: -32700 for unparseable lines, -32600
 * for invalid messages and over-long lines, batches unpacked only on a
 * 2025-03-26 session (STDIO-6). Answers ping itself (PING-1). Relays
 * server-to-client requests under ids from one counter that never repeats
 * in the session (ID-2) and routes the client's answers back. Everything
 * else goes to the mode's handler (router.c in single mode, gateway.c).
 * The only writer of stdout.
 */
#ifndef MCPMON_CLIENT_H
#define MCPMON_CLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <uv.h>

#include "core/backend/backend.h"
#include "proto/jsonrpc.h"

struct client;

struct client_handlers {
  /* A valid request or notification from the client (not ping, not an
   * answer to a relayed request). The handler may take m->root (set it to
   * NULL); m is freed after the call. */
  void (*on_message)(void* ctx, struct jrpc_msg* m);
  /* The client closed stdin or stdout: time to shut down. */
  void (*on_gone)(void* ctx, const char* why);
};

/* Open stdin and stdout. Returns NULL with the reason in err when stdin is
 * not a pipe or terminal. Owned by the caller: client_close frees it. */
struct client* client_new(uv_loop_t* loop,
                          size_t max_line,
                          const struct client_handlers* h,
                          void* ctx,
                          char* err,
                          size_t errlen);

int client_start(struct client* c);
void client_stop_input(struct client* c);

/* The negotiated protocol version (for batches); copied. */
void client_set_protocol(struct client* c, const char* version);

/* Write one message to the client (STDIO-1). Does not take msg. */
void client_send(struct client* c, const cJSON* msg);
/* The same, taking msg. */
void client_send_take(struct client* c, cJSON* msg);
/* Write one message already serialized: len bytes of one JSON object
 * ending in '\n' (STDIO-1; the caller vouches for it). Takes ownership of
 * text (heap), freed once written. */
void client_send_text(struct client* c, char* text, size_t len);
/* Write one message given in pieces, without copying the large ones:
 * pieces inside block (heap, at least cap bytes, owned by the client from
 * now on and kept for reuse once written: util_spare_put) are written
 * from where they are; the others (an id) are copied now. At most
 * CLIENT_MAX_PIECES; together one JSON object ending in '\n' (STDIO-1;
 * the caller vouches for it). */
#define CLIENT_MAX_PIECES 8
void client_send_pieces(struct client* c,
                        const uv_buf_t* pieces,
                        unsigned n,
                        char* block,
                        size_t cap);
/* An error response without data (id copied; NULL for none). */
void client_error(struct client* c,
                  const cJSON* id,
                  int code,
                  const char* message);

/* Relay a request of backend b's process `generation` to the client
 * (takes msg); the client's answer goes back with backend_send_response. */
void client_relay_request(struct client* c,
                          struct backend* b,
                          cJSON* msg,
                          uint64_t generation);
/* Process `generation` of b is gone (or b is, with generation 0): cancel
 * its relayed requests toward the client (CAN-3). */
void client_cancel_relayed(struct client* c,
                           struct backend* b,
                           uint64_t generation);

/* A notifications/cancelled from backend b for one of its relayed
 * requests (CAN-2): rewrites params.requestId in msg to the client-facing
 * id and forgets the request. Returns false (msg untouched) when the id
 * names no relayed request of b. */
bool client_translate_cancelled(struct client* c,
                                struct backend* b,
                                cJSON* msg);

/* The backend (and its process generation) whose relayed request carried
 * progress token (PROG-2), or NULL. Borrowed. */
struct backend* client_progress_owner(struct client* c,
                                      const cJSON* token,
                                      uint64_t* generation);

/* Flush what is queued for the client, close stdin/stdout, free c; then
 * done(ctx). */
void client_close(struct client* c, void (*done)(void* ctx), void* ctx);

#endif
