/* session.c - see session.h. Cited rules are in docs/mcp-protocol.md. */
#include "core/session/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/relay.h"
#include "core/session/transport.h"
#include "lib/util.h"

struct session {
  uv_loop_t* loop;
  struct session_hooks hooks;
  const struct session_policy* pol;
  void* pctx;
  struct transport* t;
  size_t max_line;
  struct relay relay;
  cJSON* init_params;  /* the client's first valid initialize (LIFE-1) */
  char* protocol;      /* negotiated; batches need 2025-03-26 */
  bool relist_pending; /* tools list_changed sent, no tools/list since */
  bool gone;           /* hooks.client_gone fired */
  void (*done)(void* ctx);
  void* done_ctx;
};

/* ---- writing ------------------------------------------------------------- */

void session_send(struct session* s, const cJSON* msg) {
  if (!transport_writable(s->t))
    return;
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  transport_send_text(s->t, text, len);
}

void session_send_take(struct session* s, cJSON* msg) {
  session_send(s, msg);
  cJSON_Delete(msg);
}

void session_error(struct session* s,
                   const cJSON* id,
                   int code,
                   const char* message) {
  session_send_take(s, jrpc_make_error(id, code, message, NULL));
}

void session_set_protocol(struct session* s, const char* version) {
  free(s->protocol);
  s->protocol = version != NULL ? xstrdup(version) : NULL;
}

const cJSON* session_init_params(const struct session* s) {
  return s->init_params;
}

void session_send_list_changed(struct session* s,
                               unsigned mask,
                               struct backend* why) {
  static const struct {
    unsigned bits;
    const char* kind;
  } kinds[] = {
      {1u << BACKEND_LIST_TOOLS, "tools"},
      {1u << BACKEND_LIST_PROMPTS, "prompts"},
      {(1u << BACKEND_LIST_RESOURCES) | (1u << BACKEND_LIST_TEMPLATES),
       "resources"},
  };
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    if ((mask & kinds[i].bits) == 0)
      continue;
    char method[64];
    snprintf(method, sizeof(method), "notifications/%s/list_changed",
             kinds[i].kind);
    session_send_take(s, jrpc_make_notification(method, NULL));
    log_msg(LL_INFO, NULL, 0, "Sent %s/list_changed notification",
            kinds[i].kind);
  }
  if (mask & (1u << BACKEND_LIST_TOOLS)) {
    s->relist_pending = true;
    if (s->hooks.list_changed != NULL)
      s->hooks.list_changed(s->hooks.ctx, why, false);
  }
}

/* ---- relayed server->client requests ------------------------------------- */

static void session_cancel_entry(struct relay_entry* e, void* ctx) {
  struct session* s = ctx;
  cJSON* params = cJSON_CreateObject();
  cJSON_AddNumberToObject(params, "requestId", (double)e->id);
  cJSON_AddStringToObject(params, "reason", "the server restarted");
  session_send_take(s,
                    jrpc_make_notification("notifications/cancelled", params));
  relay_entry_free(e);
}

/* The client's answer to a relayed request: back to the process that
 * asked, with the server's own id (ID-2). */
static void session_on_response(struct session* s, struct jrpc_msg* m) {
  struct relay_entry* e = relay_take(&s->relay, jrpc_int_id(m->id));
  if (e == NULL) {
    char idtext[64];
    jrpc_id_format(m->id, idtext, sizeof(idtext));
    log_debug("dropped a client response to unknown id %s", idtext);
    return;
  }
  jrpc_set_id(m->root, e->server_id);
  backend_send_response(e->b, m->root, e->generation);
  m->root = NULL;
  relay_entry_free(e);
}

/* PROG-2: progress on a request a server sent the client. */
static void session_on_progress(struct session* s, struct jrpc_msg* m) {
  const cJSON* token = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(m->root, "params"), "progressToken");
  const struct relay_entry* e = relay_find_token(&s->relay, token);
  if (e == NULL) {
    log_debug("dropped client progress for an unknown token");
    return;
  }
  backend_send_response(e->b, m->root, e->generation);
  m->root = NULL;
}

/* ---- the client's messages ----------------------------------------------- */

static void session_on_request(struct session* s, struct jrpc_msg* m) {
  if (strcmp(m->method, "ping") == 0) { /* PING-1 */
    session_send_take(s, jrpc_make_result(m->id, cJSON_CreateObject()));
    return;
  }
  if (strcmp(m->method, "initialize") == 0) {
    if (s->init_params != NULL) {
      s->pol->initialize(s->pctx, m, false);
      return;
    }
    const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
    if (!cJSON_IsObject(params)) {
      session_error(s, m->id, JRPC_INVALID_PARAMS,
                    "initialize needs params (protocolVersion, capabilities, "
                    "clientInfo)");
      return;
    }
    s->init_params = cJSON_Duplicate(params, 1);
    s->pol->initialize(s->pctx, m, true);
    return;
  }
  if (s->init_params == NULL) { /* VER-1 */
    session_error(s, m->id, JRPC_METHOD_NOT_FOUND,
                  "Method not found: the session is not initialized yet");
    return;
  }
  if (s->relist_pending && strcmp(m->method, "tools/list") == 0) {
    s->relist_pending = false;
    if (s->hooks.list_changed != NULL)
      s->hooks.list_changed(s->hooks.ctx, NULL, true);
  }
  s->pol->request(s->pctx, m);
}

static void session_on_notification(struct session* s, struct jrpc_msg* m) {
  if (s->init_params == NULL ||
      strcmp(m->method, "notifications/initialized") == 0)
    return; /* each server gets its own after its handshake (GW-4) */
  if (strcmp(m->method, "notifications/progress") == 0) {
    session_on_progress(s, m);
    return;
  }
  s->pol->notification(s->pctx, m);
}

static void session_handle(struct session* s, struct jrpc_msg* m, int depth);

/* STDIO-6: batches only on a 2025-03-26 session; each element is handled
 * as its own line. */
static void session_on_batch(struct session* s, struct jrpc_msg* m, int depth) {
  if (depth > 0 || s->protocol == NULL ||
      strcmp(s->protocol, "2025-03-26") != 0 ||
      cJSON_GetArraySize(m->root) == 0) {
    session_error(s, NULL, JRPC_INVALID_REQUEST,
                  "JSON-RPC batches are not supported in this protocol "
                  "version");
    return;
  }
  /* Each element is taken out of the array as it is: printing and parsing
   * it again would round numbers to 15 digits, ids included. */
  while (m->root->child != NULL) {
    cJSON* item = cJSON_DetachItemViaPointer(m->root, m->root->child);
    struct jrpc_msg sub;
    jrpc_from_tree(item, &sub);
    session_handle(s, &sub, depth + 1);
    jrpc_msg_free(&sub);
  }
}

static void session_handle(struct session* s, struct jrpc_msg* m, int depth) {
  if (s->pol == NULL)
    return; /* closing */
  switch (m->kind) {
    case JRPC_INVALID:
      log_warn("Client sent an invalid message: %s", m->error_msg);
      session_error(s, m->error_code == JRPC_PARSE_ERROR ? NULL : m->id,
                    m->error_code, m->error_msg);
      return;
    case JRPC_BATCH:
      session_on_batch(s, m, depth);
      return;
    case JRPC_RESPONSE:
      session_on_response(s, m);
      return;
    case JRPC_REQUEST:
      session_on_request(s, m);
      return;
    case JRPC_NOTIFICATION:
      session_on_notification(s, m);
      return;
  }
}

static void session_on_line(void* ctx, char* line, size_t len) {
  struct session* s = ctx;
  if (log_enabled(LL_DEBUG))
    log_debug("<- client %.300s", line);
  struct jrpc_msg m;
  jrpc_parse_strict(line, len, &m);
  session_handle(s, &m, 0);
  jrpc_msg_free(&m);
}

static void session_on_oversize(void* ctx,
                                size_t total,
                                const char* head,
                                size_t headlen) {
  struct session* s = ctx;
  log_warn(
      "Client sent a %zu-byte message, over the %zu-byte limit "
      "(--max-line); dropped",
      total, s->max_line);
  cJSON* id = jrpc_sniff_id(head, headlen);
  char text[200];
  snprintf(text, sizeof(text),
           "Message of %zu bytes exceeds mcpmon's limit of %zu bytes "
           "(--max-line)",
           total, s->max_line);
  session_error(s, id, JRPC_INVALID_REQUEST, text);
  cJSON_Delete(id);
}

static void session_on_gone(void* ctx, const char* why) {
  struct session* s = ctx;
  if (s->gone)
    return;
  s->gone = true;
  s->hooks.client_gone(s->hooks.ctx, why);
}

/* ---- events from backends ------------------------------------------------ */

static void session_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  struct session* s = ctx;
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  if (cJSON_IsString(method) &&
      strcmp(method->valuestring, "notifications/cancelled") == 0) {
    /* CAN-2: the server cancels a request it sent the client. */
    cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    struct relay_entry* e = relay_take_server_id(
        &s->relay, b, cJSON_GetObjectItemCaseSensitive(params, "requestId"));
    if (e == NULL) {
      log_debug("dropped a cancellation of %s for an unknown request",
                backend_name(b));
      cJSON_Delete(msg);
      return;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(params, "requestId",
                                           cJSON_CreateNumber((double)e->id));
    relay_entry_free(e);
  }
  if (s->pol != NULL && s->pol->backend_message != NULL &&
      !s->pol->backend_message(s->pctx, b, msg)) {
    cJSON_Delete(msg);
    return;
  }
  session_send_take(s, msg);
}

static void session_ev_response_text(struct backend* b,
                                     void* ctx,
                                     const uv_buf_t* pieces,
                                     unsigned n,
                                     char* block,
                                     size_t cap) {
  struct session* s = ctx;
  (void)b;
  transport_send_pieces(s->t, pieces, n, block, cap);
}

static void session_ev_server_request(struct backend* b,
                                      void* ctx,
                                      cJSON* msg,
                                      uint64_t generation) {
  struct session* s = ctx;
  relay_add(&s->relay, b, generation, msg);
  session_send_take(s, msg);
}

static void session_ev_process_gone(struct backend* b,
                                    void* ctx,
                                    uint64_t generation) {
  struct session* s = ctx;
  relay_drop(&s->relay, b, generation, session_cancel_entry, s); /* CAN-3 */
}

static void session_ev_initialized(struct backend* b, void* ctx, bool first) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_initialized != NULL)
    s->pol->backend.on_initialized(b, s->pctx, first);
}

static void session_ev_restarted(struct backend* b, void* ctx) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_restarted != NULL)
    s->pol->backend.on_restarted(b, s->pctx);
}

static void session_ev_stopped(struct backend* b, void* ctx) {
  struct session* s = ctx;
  /* Nothing of b stays in the table once it may be freed (relay.h). */
  relay_drop(&s->relay, b, 0, session_cancel_entry, s);
  if (s->pol != NULL && s->pol->backend.on_stopped != NULL)
    s->pol->backend.on_stopped(b, s->pctx);
}

static void session_ev_lists(struct backend* b, void* ctx, unsigned changed) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_lists != NULL)
    s->pol->backend.on_lists(b, s->pctx, changed);
}

static void session_ev_state(struct backend* b, void* ctx) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_state != NULL)
    s->pol->backend.on_state(b, s->pctx);
}

static const struct backend_events session_events = {
    .on_message = session_ev_message,
    .on_response_text = session_ev_response_text,
    .on_server_request = session_ev_server_request,
    .on_initialized = session_ev_initialized,
    .on_restarted = session_ev_restarted,
    .on_process_gone = session_ev_process_gone,
    .on_stopped = session_ev_stopped,
    .on_lists = session_ev_lists,
    .on_state = session_ev_state,
};

const struct backend_events* session_backend_events(void) {
  return &session_events;
}

/* ---- lifecycle ----------------------------------------------------------- */

struct session* session_new(uv_loop_t* loop,
                            size_t max_line,
                            const struct session_hooks* hooks,
                            char* err,
                            size_t errlen) {
  struct session* s = xcalloc(1, sizeof(*s));
  s->loop = loop;
  s->hooks = *hooks;
  s->max_line = max_line;
  relay_init(&s->relay);
  struct transport_handlers th = {session_on_line, session_on_oversize,
                                  session_on_gone};
  s->t = transport_new(loop, max_line, &th, s, err, errlen);
  if (s->t == NULL) {
    free(s);
    return NULL;
  }
  return s;
}

void session_set_policy(struct session* s,
                        const struct session_policy* pol,
                        void* ctx) {
  s->pol = pol;
  s->pctx = ctx;
}

int session_start(struct session* s) {
  return transport_start(s->t);
}

void session_stop_input(struct session* s) {
  transport_stop_input(s->t);
}

static void session_transport_closed(void* ctx) {
  struct session* s = ctx;
  void (*done)(void*) = s->done;
  void* done_ctx = s->done_ctx;
  relay_free(&s->relay);
  cJSON_Delete(s->init_params);
  free(s->protocol);
  free(s);
  if (done != NULL)
    done(done_ctx);
}

void session_close(struct session* s, void (*done)(void* ctx), void* ctx) {
  s->pol = NULL;
  s->done = done;
  s->done_ctx = ctx;
  transport_close(s->t, session_transport_closed, s); /* flushes first */
}
