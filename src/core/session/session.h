/* session.h - one MCP client's session, the stack both modes share.
 *
 * Below it a transport (transport.h: stdio); above it a mode policy
 * (single.h: one server, forwarded; gateway.h: many, merged and routed).
 * The session does what is the same in both modes, once:
 * - reads the client's lines and validates them strictly (STDIO-4,
 *   STDIO-5): -32700 for what does not parse, -32600 for what is not a
 *   JSON-RPC message or is over --max-line, with the sniffed id;
 *   batches only on a 2025-03-26 session (STDIO-6);
 * - answers ping itself (PING-1);
 * - the initialize gate: the first initialize needs params (an object);
 *   every request before it gets -32601 (VER-1); notifications before it
 *   and the client's notifications/initialized are dropped (each server
 *   gets its own, GW-4);
 * - relays server-to-client requests under ids that never repeat in the
 *   session (ID-2, relay.h), routes the client's answers and progress
 *   back to the process that asked (PROG-2), translates the servers'
 *   cancellations of them (CAN-2) and cancels them toward the client
 *   when that process is gone (CAN-3);
 * - sends list_changed notifications and tells the dashboard when the
 *   client re-read the tools.
 * Everything else goes to the policy, which answers through the
 * session_send* calls. Calls run one way: the policy calls the session,
 * the session calls the policy only through struct session_policy.
 */
#ifndef MCPMON_SESSION_H
#define MCPMON_SESSION_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <uv.h>

#include "core/backend/backend.h"
#include "proto/jmsg.h"
#include "proto/jsonrpc.h"

struct session;

/* What the mode does with the client's messages and its backends' news.
 * Every member is called with the policy's ctx (session_set_policy). */
struct session_policy {
  /* An initialize request. first: the session's first valid one (params
   * is an object, now in session_init_params); else a later one (LIFE-8),
   * or a first one after an earlier failed. The policy answers it. m stays
   * the session's. */
  void (*initialize)(void* ctx, const struct jmsg* m, bool first);
  /* A request after initialize (not initialize, not ping). The policy
   * answers it, now or later, and takes m. */
  void (*request)(void* ctx, struct jmsg* m);
  /* A notification after initialize that the session does not handle
   * itself (not notifications/initialized, not progress). Takes m. */
  void (*notification)(void* ctx, struct jmsg* m);
  /* A notification backend b sends the client, after the session's own
   * handling (CAN-2). Return false to drop it; m may be edited in place
   * (jmsg.h), not freed. NULL: every message passes. */
  bool (*backend_notification)(void* ctx, struct backend* b, struct jmsg* m);
  /* A request backend b sends the client (sampling, elicitation, ...),
   * before the session gives it a client-facing id (ID-2): m may be
   * edited in place, not freed. NULL: every request passes as it is. */
  void (*backend_request)(void* ctx, struct backend* b, struct jmsg* m);
  /* The client is not reading (full: over TRANSPORT_HIGH_WATER bytes
   * wait for it) or reads again: stop or resume reading the servers'
   * output (backend_pause_output), new backends included (issue 12 item
   * 5). NULL: nothing is paused. */
  void (*client_congested)(void* ctx, bool full);
  /* The backend lifecycle events, as backend.h describes them; the
   * session handles on_message, on_text, on_response_text,
   * on_server_request and on_process_gone itself and passes the others
   * here (any may be NULL; without on_reply a watched request's answer
   * goes to the client as it is). They receive the policy's ctx. */
  struct backend_events backend;
};

struct session_hooks {
  /* The client closed stdin (eof: it may still read what is owed), or
   * stdin/stdout failed (eof false: nothing more reaches it): time to
   * shut down. Fires once for each. */
  void (*client_gone)(void* ctx, const char* why, bool eof);
  /* A tools list_changed went out because of b (relisted false), or the
   * client then re-read the tools (b NULL, relisted true). May be NULL. */
  void (*list_changed)(void* ctx, struct backend* b, bool relisted);
  /* Issue 15: traffic the backends never see, for the dashboard: what
   * the session or its policy answered itself (ping, merged lists,
   * unknown names: b is the server meant, or NULL for none or all) and
   * the servers' requests it relays (b the server, from_server true).
   * Returns the entry's seq (0: not recorded), which the answer of a
   * running entry names. May be NULL. */
  uint64_t (*traffic)(void* ctx,
                      struct backend* b,
                      const struct backend_traffic* t);
  void* ctx;
};

/* Open the session on stdin/stdout. Returns NULL with the reason in err
 * when they cannot be used. hooks is copied. Owned by the caller:
 * session_close frees it. */
struct session* session_new(uv_loop_t* loop,
                            size_t max_line,
                            const struct session_hooks* hooks,
                            char* err,
                            size_t errlen);

/* Set the policy (borrowed: pol and ctx outlive the session, or until
 * session_close). Call before session_start. */
void session_set_policy(struct session* s,
                        const struct session_policy* pol,
                        void* ctx);

/* The events every backend of this session must be created with, with
 * the session as their ctx (backend_new(..., session_backend_events(),
 * s)). */
const struct backend_events* session_backend_events(void);

/* Start reading the client. Returns 0 or a negative UV code. */
int session_start(struct session* s);
/* Stop reading the client (shutdown has begun). */
void session_stop_input(struct session* s);

/* The client's first initialize params (LIFE-1), or NULL before it.
 * Borrowed; lives as long as the session. */
const cJSON* session_init_params(const struct session* s);
/* The negotiated protocol version (for batches, STDIO-6); copied. */
void session_set_protocol(struct session* s, const char* version);

/* Write one message to the client (STDIO-1). send does not take msg;
 * send_take does; send_text takes m and writes its text. */
void session_send(struct session* s, const cJSON* msg);
void session_send_take(struct session* s, cJSON* msg);
void session_send_text(struct session* s, struct jmsg* m);
/* Issue 18: the answer {"jsonrpc":"2.0","id":<id>,"result":<result>}
 * with result (result_len bytes, borrowed: one valid JSON object the
 * caller vouches for) written as it is, never parsed or printed again;
 * the traffic of the request being handled when it answers it. */
void session_send_result_text(struct session* s,
                              const cJSON* id,
                              const char* result,
                              size_t result_len);
/* An error response without data (id copied; NULL: "id": null). */
void session_error(struct session* s,
                   const cJSON* id,
                   int code,
                   const char* message);

/* While the policy handles a request (session_policy.request): what
 * it answers itself (session_send, session_error) is traffic of b's
 * server (issue 15), not of the gateway as a whole. */
void session_traffic_blame(struct session* s, struct backend* b);

/* A request the policy keeps to answer later (a gateway's first
 * tools/list while its servers start, a call for a name no list has
 * yet): called while handling it, this takes its traffic record (NULL
 * when none is kept), so that its answer is traffic when it comes:
 * session_traffic_resume(s, d) before answering it (takes d), then
 * session_traffic_resumed(s). A deferred request never answered is
 * dropped with session_traffic_drop (NULL is fine). Its time runs from
 * its arrival. */
struct session_deferred;
struct session_deferred* session_traffic_defer(struct session* s);
void session_traffic_resume(struct session* s, struct session_deferred* d);
void session_traffic_resumed(struct session* s);
void session_traffic_drop(struct session_deferred* d);

/* GW-5, LIFE-3: one notifications/<kind>/list_changed per list kind in
 * mask (bits 1 << enum backend_list; templates count as resources),
 * logged. A tools one marks the tools as owed a re-read and tells the
 * dashboard (hooks.list_changed with why). */
void session_send_list_changed(struct session* s,
                               unsigned mask,
                               struct backend* why);

/* b stopped and will be freed: the requests it sent the client are
 * cancelled toward it and forgotten (CAN-3). The backends' on_stopped
 * does this itself; a backend whose events go elsewhere (reload.h) needs
 * it. The policy hears nothing. */
void session_forget_backend(struct session* s, struct backend* b);

/* Stop reading, let what is queued reach the client, close, free s; then
 * done(ctx). The policy is not called any more. */
void session_close(struct session* s, void (*done)(void* ctx), void* ctx);

#endif
