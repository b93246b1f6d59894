/* router.c - see router.h. */
#include "core/session/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/client.h"
#include "lib/util.h"
#include "proto/jsonrpc.h"

struct router {
  uv_loop_t* loop;
  struct router_hooks hooks;
  unsigned queue_timeout_ms;
  struct backend* backend;
  struct client* client;

  cJSON* init_params;    /* the client's (LIFE-1) */
  cJSON* init_client_id; /* the initialize waiting for the backend */
  cJSON* init_result;    /* as the client got it (LIFE-8) */
  uv_timer_t init_timer;
  bool relist_pending; /* list_changed sent, no tools/list seen since */

  void (*done)(void* ctx);
  void* done_ctx;
  int open; /* handles and the client still closing */
  bool closing;
};

static void rt_send_take(struct router* r, cJSON* msg) {
  client_send_take(r->client, msg);
}

static void rt_error(struct router* r,
                     const cJSON* id,
                     int code,
                     const char* message) {
  client_error(r->client, id, code, message);
}

/* ---- the client's initialize --------------------------------------------- */

/* LIFE-3: the backend's result, changed only in capabilities. */
static cJSON* rt_patch_init_result(const cJSON* result) {
  cJSON* res = cJSON_Duplicate(result, 1);
  cJSON* caps = cJSON_GetObjectItemCaseSensitive(res, "capabilities");
  if (!cJSON_IsObject(caps)) {
    cJSON_DeleteItemFromObjectCaseSensitive(res, "capabilities");
    caps = cJSON_AddObjectToObject(res, "capabilities");
  }
  cJSON* tools = cJSON_GetObjectItemCaseSensitive(caps, "tools");
  if (!cJSON_IsObject(tools)) {
    cJSON_DeleteItemFromObjectCaseSensitive(caps, "tools");
    tools = cJSON_AddObjectToObject(caps, "tools");
  }
  const char* listed[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(listed); i++) {
    cJSON* c = cJSON_GetObjectItemCaseSensitive(caps, listed[i]);
    if (!cJSON_IsObject(c))
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive(c, "listChanged");
    cJSON_AddTrueToObject(c, "listChanged");
  }
  return res;
}

static void rt_answer_init(struct router* r) {
  if (r->init_client_id == NULL)
    return;
  uv_timer_stop(&r->init_timer);
  const cJSON* result = backend_init_result(r->backend);
  cJSON_Delete(r->init_result);
  r->init_result = rt_patch_init_result(result);
  const cJSON* pv =
      cJSON_GetObjectItemCaseSensitive(r->init_result, "protocolVersion");
  client_set_protocol(r->client, cJSON_IsString(pv) ? pv->valuestring : "");
  rt_send_take(r, jrpc_make_result(r->init_client_id,
                                   cJSON_Duplicate(r->init_result, 1)));
  cJSON_Delete(r->init_client_id);
  r->init_client_id = NULL;
}

static void rt_fail_init(struct router* r) {
  if (r->init_client_id == NULL)
    return;
  uv_timer_stop(&r->init_timer);
  rt_send_take(r,
               backend_make_unavailable_error(r->backend, r->init_client_id));
  cJSON_Delete(r->init_client_id);
  r->init_client_id = NULL;
}

static void rt_init_timeout_cb(uv_timer_t* t) {
  rt_fail_init(t->data);
}

/* Wait (bounded) for the handshake that answers init_client_id; a server
 * that is down for good (waiting for changes) is reported at once. */
static void rt_wait_init(struct router* r) {
  enum backend_state s = backend_state(r->backend);
  if (s == BACKEND_WAITING || s == BACKEND_STOPPING || s == BACKEND_STOPPED) {
    rt_fail_init(r);
    return;
  }
  uv_timer_start(&r->init_timer, rt_init_timeout_cb, r->queue_timeout_ms, 0);
}

static void rt_on_initialize(struct router* r, struct jrpc_msg* m) {
  if (r->init_params != NULL) {
    /* LIFE-8: a second initialize in one session restarts nothing. */
    if (r->init_result != NULL) {
      rt_send_take(r,
                   jrpc_make_result(m->id, cJSON_Duplicate(r->init_result, 1)));
    } else if (r->init_client_id != NULL) {
      rt_error(r, m->id, JRPC_INVALID_REQUEST,
               "initialize was already received and is in progress");
    } else {
      /* The first initialize got an error (the server was down): this
       * one is answered by the server's handshake with the stored params,
       * done already or still to come. */
      r->init_client_id = cJSON_Duplicate(m->id, 1);
      if (backend_init_result(r->backend) != NULL)
        rt_answer_init(r);
      else
        rt_wait_init(r);
    }
    return;
  }
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m->root, "params");
  if (!cJSON_IsObject(params)) {
    rt_error(r, m->id, JRPC_INVALID_PARAMS,
             "initialize needs params (protocolVersion, capabilities, "
             "clientInfo)");
    return;
  }
  r->init_params = cJSON_Duplicate(params, 1);
  r->init_client_id = cJSON_Duplicate(m->id, 1);
  backend_set_init_params(r->backend, r->init_params);
  rt_wait_init(r);
}

/* ---- messages from the client -------------------------------------------- */

static void rt_on_client_message(void* ctx, struct jrpc_msg* m) {
  struct router* r = ctx;
  if (m->kind == JRPC_REQUEST) {
    if (strcmp(m->method, "initialize") == 0) {
      rt_on_initialize(r, m);
      return;
    }
    if (r->init_params == NULL) { /* VER-1 */
      rt_error(r, m->id, JRPC_METHOD_NOT_FOUND,
               "Method not found: the session is not initialized yet");
      return;
    }
    if (r->relist_pending && strcmp(m->method, "tools/list") == 0) {
      r->relist_pending = false;
      if (r->hooks.list_changed != NULL)
        r->hooks.list_changed(r->hooks.ctx, r->backend, true);
    }
    backend_forward_request(r->backend, m->root);
    m->root = NULL;
    return;
  }
  if (r->init_params == NULL ||
      strcmp(m->method, "notifications/initialized") == 0)
    return; /* the backend sends its own after each handshake */
  if (strcmp(m->method, "notifications/progress") == 0) {
    /* PROG-2: progress on a request the server sent us. */
    const cJSON* token = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m->root, "params"), "progressToken");
    uint64_t gen = 0;
    struct backend* b = client_progress_owner(r->client, token, &gen);
    if (b != NULL) {
      backend_send_response(b, m->root, gen);
      m->root = NULL;
    }
    return;
  }
  backend_forward_notification(r->backend, m->root);
  m->root = NULL;
}

static void rt_on_client_gone(void* ctx, const char* why) {
  struct router* r = ctx;
  r->hooks.client_gone(r->hooks.ctx, why);
}

/* ---- events from the backend --------------------------------------------- */

static void rt_ev_message(struct backend* b, void* ctx, cJSON* msg) {
  struct router* r = ctx;
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  if (cJSON_IsString(method) &&
      strcmp(method->valuestring, "notifications/cancelled") == 0 &&
      !client_translate_cancelled(r->client, b, msg)) { /* CAN-2 */
    cJSON_Delete(msg);
    return;
  }
  rt_send_take(r, msg);
}

static void rt_ev_response_text(struct backend* b,
                                void* ctx,
                                const uv_buf_t* pieces,
                                unsigned n,
                                char* block,
                                size_t cap) {
  struct router* r = ctx;
  (void)b;
  client_send_pieces(r->client, pieces, n, block, cap);
}

static void rt_ev_server_request(struct backend* b,
                                 void* ctx,
                                 cJSON* msg,
                                 uint64_t generation) {
  struct router* r = ctx;
  client_relay_request(r->client, b, msg, generation);
}

static void rt_ev_initialized(struct backend* b, void* ctx, bool first) {
  struct router* r = ctx;
  (void)b;
  if (first)
    rt_answer_init(r);
}

static void rt_ev_restarted(struct backend* b, void* ctx) {
  struct router* r = ctx;
  const cJSON* caps =
      cJSON_GetObjectItemCaseSensitive(r->init_result, "capabilities");
  /* §3.3 step 11: one notification per list kind the client was told
   * about, after the queued requests went to the new process. */
  const char* kinds[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    if (i > 0 &&
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, kinds[i])))
      continue;
    char method[64];
    snprintf(method, sizeof(method), "notifications/%s/list_changed", kinds[i]);
    rt_send_take(r, jrpc_make_notification(method, NULL));
    log_msg(LL_INFO, NULL, 0, "Sent %s/list_changed notification", kinds[i]);
  }
  r->relist_pending = true;
  if (r->hooks.list_changed != NULL)
    r->hooks.list_changed(r->hooks.ctx, b, false);
}

static void rt_ev_process_gone(struct backend* b,
                               void* ctx,
                               uint64_t generation) {
  struct router* r = ctx;
  client_cancel_relayed(r->client, b, generation); /* CAN-3 */
}

static void rt_ev_stopped(struct backend* b, void* ctx) {
  struct router* r = ctx;
  r->hooks.backend_stopped(r->hooks.ctx, b);
}

static void rt_ev_state(struct backend* b, void* ctx) {
  struct router* r = ctx;
  enum backend_state s = backend_state(b);
  if (s == BACKEND_WAITING || s == BACKEND_STOPPING || s == BACKEND_STOPPED)
    rt_fail_init(r);
}

static const struct backend_events rt_backend_events = {
    .on_message = rt_ev_message,
    .on_response_text = rt_ev_response_text,
    .on_server_request = rt_ev_server_request,
    .on_initialized = rt_ev_initialized,
    .on_restarted = rt_ev_restarted,
    .on_process_gone = rt_ev_process_gone,
    .on_stopped = rt_ev_stopped,
    .on_state = rt_ev_state,
};

const struct backend_events* router_backend_events(void) {
  return &rt_backend_events;
}

/* ---- lifecycle ------------------------------------------------------------
 */

struct router* router_new(uv_loop_t* loop,
                          const struct router_options* opts,
                          const struct router_hooks* hooks,
                          char* err,
                          size_t errlen) {
  struct router* r = xcalloc(1, sizeof(*r));
  r->loop = loop;
  r->hooks = *hooks;
  r->queue_timeout_ms = opts->queue_timeout_ms;
  struct client_handlers ch = {rt_on_client_message, rt_on_client_gone};
  r->client = client_new(loop, opts->max_line, &ch, r, err, errlen);
  if (r->client == NULL) {
    free(r);
    return NULL;
  }
  uv_timer_init(loop, &r->init_timer);
  r->init_timer.data = r;
  return r;
}

void router_set_backend(struct router* r, struct backend* b) {
  r->backend = b;
}

int router_start(struct router* r) {
  return client_start(r->client);
}

void router_stop_input(struct router* r) {
  client_stop_input(r->client);
}

static void rt_part_closed(struct router* r) {
  if (--r->open > 0)
    return;
  void (*done)(void*) = r->done;
  void* ctx = r->done_ctx;
  cJSON_Delete(r->init_params);
  cJSON_Delete(r->init_client_id);
  cJSON_Delete(r->init_result);
  free(r);
  if (done != NULL)
    done(ctx);
}

static void rt_timer_closed(uv_handle_t* h) {
  rt_part_closed(h->data);
}

static void rt_client_closed(void* ctx) {
  rt_part_closed(ctx);
}

void router_close(struct router* r, void (*done)(void* ctx), void* ctx) {
  if (r->closing)
    return;
  r->closing = true;
  r->done = done;
  r->done_ctx = ctx;
  r->open = 2;
  uv_close((uv_handle_t*)&r->init_timer, rt_timer_closed);
  client_close(r->client, rt_client_closed, r); /* flushes first */
}
