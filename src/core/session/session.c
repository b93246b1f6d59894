/* session.c - see session.h. Cited rules are in docs/mcp-protocol.md. */
#include "core/session/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/relay.h"
#include "core/session/transport.h"
#include "lib/utf8.h"
#include "lib/util.h"

/* A client request mcpmon answers itself, for its traffic entry. */
struct session_deferred {
  bool active;
  bool answered;
  cJSON* id;
  char* method;
  char* tool;
  char* body;
  uint64_t t0_ns;
  struct backend* blame;
};

struct session {
  uv_loop_t* loop;
  struct session_hooks hooks;
  const struct session_policy* pol;
  void* pctx;
  struct transport* t;
  size_t max_line;
  struct relay relay;
  cJSON* init_params;    /* the client's first valid initialize (LIFE-1) */
  char* protocol;        /* negotiated; batches need 2025-03-26 */
  bool relist_pending;   /* tools list_changed sent, no tools/list since */
  bool eof;              /* hooks.client_gone fired for the EOF */
  bool gone;             /* ... for a failure */
  bool congested_warned; /* the client's back-pressure was logged */
  bool utf8_warned;      /* said once that its UTF-8 was repaired */
  /* Issue 15: the client request being handled, so that an answer the
   * session or the policy makes for it at once is traffic too; saved:
   * the one this replaced while a deferred one is answered. */
  struct session_deferred self;
  struct session_deferred saved;
  bool resumed; /* self is a deferred request, saved what it replaced */
  void (*done)(void* ctx);
  void* done_ctx;
};

/* ---- writing ------------------------------------------------------------- */

static void session_write(struct session* s, const cJSON* msg) {
  if (!transport_writable(s->t))
    return;
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  transport_send_text(s->t, text, len);
}

/* ---- traffic the backends never see (issue 15) ----------------------------
 */

static uint64_t session_traffic(struct session* s,
                                struct backend* b,
                                const struct backend_traffic* t) {
  if (s->hooks.traffic == NULL)
    return 0;
  return s->hooks.traffic(s->hooks.ctx, b, t);
}

/* Bodies kept for the dashboard are cut to this (the control rings cut
 * them again to theirs). */
#define SESSION_TRAFFIC_BODY_MAX (16u * 1024u)

static char* session_body(const char* text, size_t len) {
  return xstrndup(
      text, len < SESSION_TRAFFIC_BODY_MAX ? len : SESSION_TRAFFIC_BODY_MAX);
}

static void session_self_begin(struct session* s, const struct jmsg* m) {
  if (s->hooks.traffic == NULL)
    return;
  s->self.active = true;
  s->self.answered = false;
  s->self.id = jmsg_id(m);
  s->self.method = xstrdup(m->method);
  s->self.tool =
      jtext_string(m->text, jmsg_get(m, "params", "name", NULL), NULL);
  s->self.body = session_body(m->text, m->len);
  s->self.t0_ns = uv_hrtime();
  s->self.blame = NULL;
}

static void session_self_end(struct session* s) {
  if (!s->self.active)
    return;
  cJSON_Delete(s->self.id);
  free(s->self.method);
  free(s->self.tool);
  free(s->self.body);
  memset(&s->self, 0, sizeof(s->self));
}

void session_traffic_blame(struct session* s, struct backend* b) {
  s->self.blame = b;
}

struct session_deferred* session_traffic_defer(struct session* s) {
  if (!s->self.active || s->self.answered)
    return NULL;
  struct session_deferred* d = xmalloc(sizeof(*d));
  *d = s->self; /* the strings move to d */
  memset(&s->self, 0, sizeof(s->self));
  s->self.active = true;
  s->self.answered = true; /* nothing more of it is recorded now */
  return d;
}

void session_traffic_resume(struct session* s, struct session_deferred* d) {
  if (d == NULL)
    return;
  if (s->resumed) { /* one level only: not recorded */
    session_traffic_drop(d);
    return;
  }
  s->resumed = true;
  s->saved = s->self;
  s->self = *d;
  free(d);
}

void session_traffic_resumed(struct session* s) {
  if (!s->resumed)
    return;
  session_self_end(s);
  s->self = s->saved;
  memset(&s->saved, 0, sizeof(s->saved));
  s->resumed = false;
}

void session_traffic_drop(struct session_deferred* d) {
  if (d == NULL)
    return;
  cJSON_Delete(d->id);
  free(d->method);
  free(d->tool);
  free(d->body);
  free(d);
}

/* The request being handled was answered with text (len bytes, no
 * newline): its traffic entry. */
static void session_self_traffic(struct session* s,
                                 bool ok,
                                 const char* error,
                                 const char* text,
                                 size_t len) {
  s->self.answered = true;
  struct backend_traffic t = {
      .method = s->self.method,
      .tool = s->self.tool,
      .ms = (double)(uv_hrtime() - s->self.t0_ns) / 1e6,
      .ok = ok,
      .error = error,
      .request = s->self.body,
      .response = text,
      .response_len =
          len < SESSION_TRAFFIC_BODY_MAX ? len : SESSION_TRAFFIC_BODY_MAX,
  };
  session_traffic(s, s->self.blame, &t);
}

/* msg goes to the client: when it answers the request being handled, it
 * is that request's traffic entry. */
static void session_self_answer(struct session* s, const cJSON* msg) {
  if (!s->self.active || s->self.answered)
    return;
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  const cJSON* err = cJSON_GetObjectItemCaseSensitive(msg, "error");
  if (id == NULL || cJSON_GetObjectItemCaseSensitive(msg, "method") != NULL ||
      !jrpc_id_equal(id, s->self.id))
    return;
  const cJSON* em = cJSON_GetObjectItemCaseSensitive(err, "message");
  size_t len;
  char* text = jrpc_serialize(msg, &len);
  session_self_traffic(s, err == NULL,
                       cJSON_IsString(em) ? em->valuestring : NULL, text,
                       len > 0 ? len - 1 : 0);
  free(text);
}

void session_send(struct session* s, const cJSON* msg) {
  session_self_answer(s, msg);
  session_write(s, msg);
}

void session_send_take(struct session* s, cJSON* msg) {
  session_send(s, msg);
  cJSON_Delete(msg);
}

void session_send_text(struct session* s, struct jmsg* m) {
  if (!transport_writable(s->t)) {
    jmsg_free(m);
    return;
  }
  size_t len;
  char* text = jmsg_take_line(m, &len);
  transport_send_text(s->t, text, len);
}

void session_send_result_text(struct session* s,
                              const cJSON* id,
                              const char* result,
                              size_t result_len) {
  char* idtext = cJSON_PrintUnformatted(id);
  if (idtext == NULL)
    return;
  static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
  static const char mid[] = ",\"result\":";
  size_t hl = sizeof(head) - 1, il = strlen(idtext), ml = sizeof(mid) - 1;
  size_t len = hl + il + ml + result_len + 2;
  char* text = xmalloc(len + 1);
  size_t n = 0;
  memcpy(text + n, head, hl);
  n += hl;
  memcpy(text + n, idtext, il);
  n += il;
  memcpy(text + n, mid, ml);
  n += ml;
  memcpy(text + n, result, result_len);
  n += result_len;
  text[n++] = '}';
  text[n++] = '\n';
  text[n] = '\0';
  free(idtext);
  if (s->self.active && !s->self.answered && jrpc_id_equal(id, s->self.id))
    session_self_traffic(s, true, NULL, text, n - 1);
  if (!transport_writable(s->t)) {
    free(text);
    return;
  }
  transport_send_text(s->t, text, n);
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

/* The end of relayed request e's traffic entry. */
static void session_relay_end(struct session* s,
                              const struct relay_entry* e,
                              const struct jmsg* answer,
                              const char* why) {
  if (e->seq == 0)
    return;
  cJSON* etree = NULL;
  const cJSON* em = NULL;
  if (answer != NULL && answer->is_error) {
    etree = jtext_tree(answer->text, jmsg_get(answer, "error", NULL));
    em = cJSON_GetObjectItemCaseSensitive(etree, "message");
  }
  struct backend_traffic t = {
      .seq = e->seq,
      .from_server = true,
      .method = e->method,
      .ms = (double)(uv_hrtime() - e->t0_ns) / 1e6,
      .ok = answer != NULL && !answer->is_error,
      .error = answer == NULL       ? why
               : cJSON_IsString(em) ? em->valuestring
                                    : NULL,
      .response = answer != NULL ? answer->text : NULL,
      .response_len = answer == NULL ? 0
                      : answer->len < SESSION_TRAFFIC_BODY_MAX
                          ? answer->len
                          : SESSION_TRAFFIC_BODY_MAX,
  };
  session_traffic(s, e->b, &t);
  cJSON_Delete(etree);
}

static void session_cancel_entry(struct relay_entry* e, void* ctx) {
  struct session* s = ctx;
  session_relay_end(s, e, NULL,
                    "the server's process ended before the client answered");
  cJSON* params = cJSON_CreateObject();
  cJSON_AddNumberToObject(params, "requestId", (double)e->id);
  cJSON_AddStringToObject(params, "reason", "the server restarted");
  session_send_take(s,
                    jrpc_make_notification("notifications/cancelled", params));
  relay_entry_free(e);
}

/* The client's answer to a relayed request: back to the process that
 * asked, with the server's own id (ID-2). */
static void session_on_response(struct session* s, struct jmsg* m) {
  struct relay_entry* e = relay_take(&s->relay, jmsg_int_id(m));
  if (e == NULL) {
    log_debug("dropped a client response to unknown id %.40s",
              m->id.len != 0 ? m->text + m->id.off : "(none)");
    jmsg_free(m);
    return;
  }
  jmsg_replace_json(m, m->id, e->server_id);
  session_relay_end(s, e, m, NULL);
  backend_send_response(e->b, m, e->generation);
  relay_entry_free(e);
}

/* PROG-2: progress on a request a server sent the client. */
static void session_on_progress(struct session* s, struct jmsg* m) {
  cJSON* token =
      jtext_raw(m->text, jmsg_get(m, "params", "progressToken", NULL));
  const struct relay_entry* e = relay_find_token(&s->relay, token);
  cJSON_Delete(token);
  if (e == NULL) {
    log_debug("dropped client progress for an unknown token");
    jmsg_free(m);
    return;
  }
  backend_send_response(e->b, m, e->generation);
}

/* ---- the client's messages ----------------------------------------------- */

static void session_error_to(struct session* s,
                             const struct jmsg* m,
                             int code,
                             const char* message) {
  cJSON* id = jmsg_id(m);
  session_error(s, id, code, message);
  cJSON_Delete(id);
}

static void session_on_initialize(struct session* s, struct jmsg* m) {
  if (s->init_params != NULL) {
    s->pol->initialize(s->pctx, m, false);
    return;
  }
  if (jtext_type(m->text, m->params) != JSCAN_OBJECT) {
    session_error_to(s, m, JRPC_INVALID_PARAMS,
                     "initialize needs params (protocolVersion, "
                     "capabilities, clientInfo)");
    return;
  }
  cJSON* params = jtext_tree(m->text, m->params);
  if (params == NULL) { /* a lone surrogate, or nested past cJSON's limit */
    session_error_to(s, m, JRPC_INVALID_PARAMS,
                     "initialize params that mcpmon cannot read (a lone "
                     "UTF-16 surrogate, or nested over 1000 deep)");
    return;
  }
  s->init_params = params;
  s->pol->initialize(s->pctx, m, true);
}

static void session_on_request(struct session* s, struct jmsg* m) {
  if (strcmp(m->method, "ping") == 0) { /* PING-1 */
    session_self_begin(s, m);
    cJSON* id = jmsg_id(m);
    session_send_take(s, jrpc_make_result(id, cJSON_CreateObject()));
    cJSON_Delete(id);
    session_self_end(s);
    jmsg_free(m);
    return;
  }
  if (strcmp(m->method, "initialize") == 0) {
    session_on_initialize(s, m);
    jmsg_free(m);
    return;
  }
  if (s->init_params == NULL) { /* VER-1 */
    session_error_to(s, m, JRPC_METHOD_NOT_FOUND,
                     "Method not found: the session is not initialized yet");
    jmsg_free(m);
    return;
  }
  if (s->relist_pending && strcmp(m->method, "tools/list") == 0) {
    s->relist_pending = false;
    if (s->hooks.list_changed != NULL)
      s->hooks.list_changed(s->hooks.ctx, NULL, true);
  }
  /* What the policy answers at once is traffic here; what it forwards,
   * the backend's (it never answers through session_send). */
  session_self_begin(s, m);
  s->pol->request(s->pctx, m); /* takes m */
  session_self_end(s);
}

static void session_on_notification(struct session* s, struct jmsg* m) {
  if (s->init_params == NULL ||
      strcmp(m->method, "notifications/initialized") == 0) {
    jmsg_free(m); /* each server gets its own after its handshake (GW-4) */
    return;
  }
  if (strcmp(m->method, "notifications/progress") == 0) {
    session_on_progress(s, m);
    return;
  }
  s->pol->notification(s->pctx, m);
}

static void session_handle(struct session* s, struct jmsg* m, int depth);

/* STDIO-6: batches only on a 2025-03-26 session; each element is handled
 * as its own line, its bytes as they are. */
static void session_on_batch(struct session* s, struct jmsg* m, int depth) {
  size_t pos = 0;
  struct jspan el;
  if (depth > 0 || s->protocol == NULL ||
      strcmp(s->protocol, "2025-03-26") != 0 ||
      !jmsg_batch_next(m, &(size_t){0}, &el)) {
    session_error(s, NULL, JRPC_INVALID_REQUEST,
                  "JSON-RPC batches are not supported in this protocol "
                  "version");
    jmsg_free(m);
    return;
  }
  while (jmsg_batch_next(m, &pos, &el))
    session_handle(s, jmsg_parse(m->text + el.off, el.len), depth + 1);
  jmsg_free(m);
}

/* Takes m. */
static void session_handle(struct session* s, struct jmsg* m, int depth) {
  if (s->pol == NULL) {
    jmsg_free(m); /* closing */
    return;
  }
  switch (m->kind) {
    case JRPC_INVALID: {
      log_warn("Client sent an invalid message: %s", m->error_msg);
      /* JSON-RPC 2.0 section 5: the id when it can be read, else null. */
      cJSON* id = m->error_code == JRPC_PARSE_ERROR
                      ? jrpc_sniff_id(m->text, m->len)
                      : jmsg_id(m);
      session_error(s, id, m->error_code, m->error_msg);
      cJSON_Delete(id);
      jmsg_free(m);
      return;
    }
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
  struct jmsg* m = jmsg_parse(line, len);
  if (m->bad_utf8) {
    /* Issue 12 item 4: servers get well-formed UTF-8 too. */
    if (!s->utf8_warned) {
      s->utf8_warned = true;
      log_warn("Client sent invalid UTF-8; replaced with U+FFFD (said once)");
    }
    char* fixed = xmalloc(UTF8_REPAIR_MAX(m->len) + 1);
    size_t n = utf8_repair(m->text, m->len, fixed);
    jmsg_free(m);
    m = jmsg_parse(fixed, n);
    free(fixed);
  }
  session_handle(s, m, 0);
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

static void session_on_congested(void* ctx, bool full) {
  struct session* s = ctx;
  if (full) {
    /* Said once as a warning: a slow client may come back to it often. */
    log_msg(s->congested_warned ? LL_VERBOSE : LL_WARN, NULL, 0,
            "The client is not reading mcpmon's output (%u MiB waiting); "
            "pausing the servers' output until it does",
            TRANSPORT_HIGH_WATER >> 20);
    s->congested_warned = true;
  } else {
    log_verbose("The client reads again; resuming the servers' output");
  }
  if (s->pol != NULL && s->pol->client_congested != NULL)
    s->pol->client_congested(s->pctx, full);
}

static void session_on_gone(void* ctx, const char* why, bool eof) {
  struct session* s = ctx;
  bool* fired = eof ? &s->eof : &s->gone;
  if (*fired)
    return;
  *fired = true;
  s->hooks.client_gone(s->hooks.ctx, why, eof);
}

/* ---- events from backends ------------------------------------------------ */

static void session_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  (void)b;
  session_write(ctx, msg); /* the backend's traffic already */
  cJSON_Delete(msg);
}

static void session_ev_text(struct backend* b, void* ctx, struct jmsg* m) {
  struct session* s = ctx;
  if (m->kind != JRPC_NOTIFICATION) {
    session_send_text(s, m);
    return;
  }
  if (strcmp(m->method, "notifications/cancelled") == 0) {
    /* CAN-2: the server cancels a request it sent the client. */
    struct jspan at = jmsg_get(m, "params", "requestId", NULL);
    cJSON* rid = jtext_raw(m->text, at);
    struct relay_entry* e = relay_take_server_id(&s->relay, b, rid);
    cJSON_Delete(rid);
    if (e == NULL) {
      log_debug("dropped a cancellation of %s for an unknown request",
                backend_name(b));
      jmsg_free(m);
      return;
    }
    jmsg_replace_int(m, at, e->id);
    session_relay_end(s, e, NULL, "cancelled by the server");
    relay_entry_free(e);
  }
  if (s->pol != NULL && s->pol->backend_notification != NULL &&
      !s->pol->backend_notification(s->pctx, b, m)) {
    jmsg_free(m);
    return;
  }
  session_send_text(s, m);
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

static void session_ev_reply(struct backend* b,
                             void* ctx,
                             struct jmsg* m,
                             uint64_t cookie) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_reply != NULL)
    s->pol->backend.on_reply(b, s->pctx, m, cookie);
  else
    session_send_text(s, m);
}

static void session_ev_server_request(struct backend* b,
                                      void* ctx,
                                      struct jmsg* m,
                                      uint64_t generation) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend_request != NULL)
    s->pol->backend_request(s->pctx, b, m);
  relay_add(&s->relay, b, generation, m);
  if (s->hooks.traffic != NULL) { /* issue 15: shown while it waits */
    struct relay_entry* e = TAILQ_LAST(&s->relay.entries, relay_list);
    e->method = xstrdup(m->method);
    e->t0_ns = uv_hrtime();
    char* body = session_body(m->text, m->len);
    struct backend_traffic t = {
        .running = true,
        .from_server = true,
        .method = m->method,
        .ok = true,
        .request = body,
    };
    e->seq = session_traffic(s, b, &t);
    free(body);
  }
  session_send_text(s, m);
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

static void session_ev_resumed(struct backend* b, void* ctx, unsigned changed) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_resumed != NULL)
    s->pol->backend.on_resumed(b, s->pctx, changed);
}

void session_forget_backend(struct session* s, struct backend* b) {
  /* Nothing of b stays in the table once it may be freed (relay.h). */
  relay_drop(&s->relay, b, 0, session_cancel_entry, s);
}

static void session_ev_stopped(struct backend* b, void* ctx) {
  struct session* s = ctx;
  session_forget_backend(s, b);
  if (s->pol != NULL && s->pol->backend.on_stopped != NULL)
    s->pol->backend.on_stopped(b, s->pctx);
}

static void session_ev_lists(struct backend* b, void* ctx, unsigned changed) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_lists != NULL)
    s->pol->backend.on_lists(b, s->pctx, changed);
}

static bool session_ev_restart(struct backend* b, void* ctx, const char* why) {
  struct session* s = ctx;
  return s->pol != NULL && s->pol->backend.on_restart != NULL &&
         s->pol->backend.on_restart(b, s->pctx, why);
}

static void session_ev_state(struct backend* b, void* ctx) {
  struct session* s = ctx;
  if (s->pol != NULL && s->pol->backend.on_state != NULL)
    s->pol->backend.on_state(b, s->pctx);
}

static const struct backend_events session_events = {
    .on_message = session_ev_message,
    .on_text = session_ev_text,
    .on_response_text = session_ev_response_text,
    .on_reply = session_ev_reply,
    .on_server_request = session_ev_server_request,
    .on_initialized = session_ev_initialized,
    .on_restarted = session_ev_restarted,
    .on_resumed = session_ev_resumed,
    .on_process_gone = session_ev_process_gone,
    .on_stopped = session_ev_stopped,
    .on_lists = session_ev_lists,
    .on_state = session_ev_state,
    .on_restart = session_ev_restart,
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
                                  session_on_gone, session_on_congested};
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
