/* fuzz_router_model.c - what fuzz_router's client and server sent, and
 * the invariants mcpmon's output must keep.
 *
 * The client side mirrors, line by line, how the protocol tells mcpmon to
 * take the client's bytes (STDIO-2 framing, STDIO-3 line cap, STDIO-4/5
 * validation, STDIO-6 batches), with its own reading of the rules on a
 * cJSON tree: for each line it knows whether mcpmon owes an answer, with
 * which id, and whether that may be a result. Then, for every line mcpmon
 * writes to the client:
 *   - it is one strict JSON-RPC 2.0 object (STDIO-4), judged by
 *     fuzz_router_json.c, not by cJSON or jscan;
 *   - a response names an id the client sent, no more often than the
 *     client sent it (fresh ids: at most once); a result only for a valid
 *     request; a parse error's answer has no id;
 *   - an answer carrying a request's marker (params.fz echoed by the fake
 *     server) has that request's id, restored exactly (ID-1);
 *   - a relayed server request has an id never used before (ID-2) and is
 *     not a ping (PING-1); a notifications/cancelled names a relayed
 *     request, once (CAN-2, CAN-3); initialize results advertise
 *     tools.listChanged (LIFE-3).
 * For every line mcpmon writes to a server process: strict JSON-RPC too;
 * request ids are integers never used before on that backend (ID-1,
 * ID-3); initialize first, with the client's params (LIFE-1), once per
 * process, notifications/initialized only after its result (LIFE-4/5);
 * answers only to that process's own requests, at most once, and to the
 * right one (ID-2); progress tokens and cancellations name that process's
 * requests (PROG-2, CAN-1); a client request forwarded at most once.
 * At the end: every request answered exactly once unless it was cancelled
 * or its fate depended on timing (a batch before the protocol was known).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_router.h"
#include "lib/framer.h"
#include "proto/jscan.h"
#include "proto/jsonrpc.h"

#define FZ_GROW(arr, n) ((arr) = realloc((arr), ((n) + 1) * sizeof(*(arr))))

/* ---- ids ----------------------------------------------------------------- */

static bool fz_id_valid(const cJSON* id) {
  if (cJSON_IsString(id))
    return true;
  if (!cJSON_IsNumber(id))
    return false;
  double d = id->valuedouble;
  return d >= -9007199254740991.0 && d <= 9007199254740991.0 &&
         d == (double)(int64_t)d;
}

static bool fz_id_eq(const cJSON* a, const cJSON* b) {
  if (cJSON_IsString(a) && cJSON_IsString(b))
    return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return a->valuedouble == b->valuedouble;
  return false;
}

static cJSON* fz_dup(const cJSON* c) {
  return c != NULL ? cJSON_Duplicate(c, true) : NULL;
}

static const cJSON* fz_get(const cJSON* obj, const char* key) {
  return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static long fz_marker_of(const cJSON* params) {
  const cJSON* fz = fz_get(params, "fz");
  if (!cJSON_IsNumber(fz) || fz->valuedouble < 0 || fz->valuedouble > 1e9)
    return -1;
  return (long)fz->valuedouble;
}

static const cJSON* fz_token_of(const cJSON* params) {
  const cJSON* t = fz_get(fz_get(params, "_meta"), "progressToken");
  return cJSON_IsString(t) || cJSON_IsNumber(t) ? t : NULL;
}

/* ---- the JSON-RPC rules (STDIO-4/5), on a parsed line -------------------- */

enum fz_kind { FZ_REQUEST, FZ_NOTIFICATION, FZ_RESPONSE, FZ_BATCH, FZ_INVALID };

struct fz_msg {
  enum fz_kind kind;
  const cJSON* id; /* readable: valid and not given twice */
  const char* method;
  const cJSON* params;
  const cJSON* result;
  const cJSON* error;
  bool is_error;
};

static bool fz_code_ok(const cJSON* code) {
  return fz_id_valid(code) && code->valuedouble >= -2147483648.0 &&
         code->valuedouble <= 2147483647.0;
}

/* Only the six members, each once; jsonrpc "2.0"; a string or integer id;
 * a request has a string method and object params if any; a response has
 * result (an object, with an id) or error (code and message). */
static void fz_classify(const cJSON* root, struct fz_msg* out) {
  static const char* const names[] = {"jsonrpc", "id",     "method",
                                      "params",  "result", "error"};
  const cJSON* mem[6] = {0};
  memset(out, 0, sizeof(*out));
  out->kind = FZ_INVALID;
  if (cJSON_IsArray(root)) {
    out->kind = FZ_BATCH;
    return;
  }
  if (!cJSON_IsObject(root))
    return;
  bool bad = false, id_twice = false;
  for (const cJSON* it = root->child; it != NULL; it = it->next) {
    int k = -1;
    for (int i = 0; i < 6; i++)
      if (strcmp(it->string, names[i]) == 0)
        k = i;
    if (k < 0 || mem[k] != NULL) {
      bad = true;
      id_twice |= k == 1;
      continue;
    }
    mem[k] = it;
  }
  if (mem[1] != NULL && !id_twice && fz_id_valid(mem[1]))
    out->id = mem[1];
  if (bad || !cJSON_IsString(mem[0]) ||
      strcmp(mem[0]->valuestring, "2.0") != 0 ||
      (mem[1] != NULL && !fz_id_valid(mem[1])))
    return;
  if (mem[2] != NULL) {
    if (!cJSON_IsString(mem[2]) || mem[4] != NULL || mem[5] != NULL ||
        (mem[3] != NULL && !cJSON_IsObject(mem[3])))
      return;
    out->kind = mem[1] != NULL ? FZ_REQUEST : FZ_NOTIFICATION;
    out->method = mem[2]->valuestring;
    out->params = mem[3];
    return;
  }
  if ((mem[4] == NULL) == (mem[5] == NULL) || mem[3] != NULL)
    return;
  if (mem[4] != NULL && (mem[1] == NULL || !cJSON_IsObject(mem[4])))
    return;
  if (mem[5] != NULL &&
      (!cJSON_IsObject(mem[5]) || !fz_code_ok(fz_get(mem[5], "code")) ||
       !cJSON_IsString(fz_get(mem[5], "message"))))
    return;
  out->kind = FZ_RESPONSE;
  out->result = mem[4];
  out->error = mem[5];
  out->is_error = mem[5] != NULL;
}

/* The marker a response carries: its result's fz, or its error data's. */
static long fz_msg_marker(const struct fz_msg* c) {
  return fz_marker_of(c->result != NULL ? c->result : fz_get(c->error, "data"));
}

/* cJSON's parse of a whole line, nothing but white space after it. */
static cJSON* fz_parse(const char* s, size_t n) {
  const char* end = NULL;
  cJSON* root = cJSON_ParseWithLengthOpts(s, n, &end, false);
  if (root == NULL)
    return NULL;
  for (; end < s + n; end++) {
    if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
      cJSON_Delete(root);
      return NULL;
    }
  }
  return root;
}

/* Splits buffered bytes into lines (without '\n'), as a reader would. */
static void fz_lines(struct fz_buf* partial,
                     const char* s,
                     size_t n,
                     void (*line)(void* ctx, const char* s, size_t n),
                     void* ctx) {
  fzb_add(partial, s, n);
  size_t start = 0;
  for (size_t i = 0; i < partial->len; i++) {
    if (partial->p[i] != '\n')
      continue;
    line(ctx, partial->p + start, i - start);
    start = i + 1;
  }
  memmove(partial->p, partial->p + start, partial->len - start);
  partial->len -= start;
}

/* STDIO-2: one trailing '\r' dropped, blank lines skipped. */
static bool fz_trim(const char* s, size_t* n) {
  if (*n > 0 && s[*n - 1] == '\r')
    (*n)--;
  for (size_t i = 0; i < *n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return true;
  return false;
}

/* ---- the client's side: what mcpmon owes --------------------------------- */

static struct fz_idrec* fz_idrec(struct fz_model* m, const cJSON* id) {
  for (size_t i = 0; i < m->nids; i++)
    if (fz_id_eq(m->ids[i].id, id))
      return &m->ids[i];
  return NULL;
}

static void fz_owe(struct fz_model* m,
                   const cJSON* id,
                   bool optional,
                   const char* method) {
  struct fz_idrec* r = fz_idrec(m, id);
  if (r == NULL) {
    FZ_GROW(m->ids, m->nids);
    r = &m->ids[m->nids++];
    memset(r, 0, sizeof(*r));
    r->id = fz_dup(id);
    snprintf(r->method, sizeof(r->method), "%s", method ? method : "");
  }
  if (optional)
    r->optional++;
  else
    r->expected++;
  if (method != NULL)
    r->results++;
}

static void fz_owe_idless(struct fz_model* m, bool optional) {
  if (optional)
    m->idless_optional++;
  else
    m->idless_expected++;
}

/* Batches are unpacked only once the session is at 2025-03-26 (STDIO-6);
 * the client knows that for sure only with an initialize result in hand
 * and no initialize waiting for one. */
static bool fz_protocol_known(const struct fz_model* m) {
  if (m->protocol == NULL)
    return false;
  for (size_t i = 0; i < m->nids; i++) {
    const struct fz_idrec* r = &m->ids[i];
    if (strcmp(r->method, "initialize") == 0 &&
        r->answered < r->expected + r->optional)
      return false;
  }
  return true;
}

/* A request carried marker value (params.fz): remember its id. Two
 * requests with one value (raw bytes can forge one) make it ambiguous. */
static void fz_note_marker(struct fz_model* m,
                           const cJSON* id,
                           const char* method,
                           long marker) {
  FZ_GROW(m->markers, m->nmarkers);
  struct fz_marker* n = &m->markers[m->nmarkers++];
  memset(n, 0, sizeof(*n));
  n->value = marker;
  n->id = fz_dup(id);
  snprintf(n->method, sizeof(n->method), "%s", method);
  for (size_t i = 0; i + 1 < m->nmarkers; i++) {
    if (m->markers[i].value == marker)
      m->markers[i].ambiguous = n->ambiguous = true;
  }
}

static struct fz_marker* fz_marker(struct fz_model* m, long value) {
  for (size_t i = 0; i < m->nmarkers; i++)
    if (m->markers[i].value == value && !m->markers[i].ambiguous)
      return &m->markers[i];
  return NULL;
}

static void fz_client_msg(struct fz_model* m,
                          const cJSON* root,
                          int depth,
                          bool optional);

/* An element of a batch is handled as its own line (STDIO-6), ids and
 * numbers as they were (they were once printed again and rounded: found
 * by this fuzzer). */
static void fz_batch_item(struct fz_model* m, const cJSON* it, bool optional) {
  fz_client_msg(m, it, 1, optional);
}

/* One element of what the client sent: a line, or an element of a batch
 * (depth 1). optional: mcpmon may or may not act on it. */
static void fz_client_msg(struct fz_model* m,
                          const cJSON* root,
                          int depth,
                          bool optional) {
  struct fz_msg c;
  fz_classify(root, &c);
  switch (c.kind) {
    case FZ_BATCH: {
      bool known = fz_protocol_known(m);
      if (depth > 0) {
        fz_owe_idless(m, optional);
      } else if (!known) {
        fz_owe_idless(m, true);
        const cJSON* it;
        cJSON_ArrayForEach(it, root) fz_batch_item(m, it, true);
      } else if (strcmp(m->protocol, "2025-03-26") != 0 ||
                 cJSON_GetArraySize(root) == 0) {
        fz_owe_idless(m, optional);
      } else {
        const cJSON* it;
        cJSON_ArrayForEach(it, root) fz_batch_item(m, it, optional);
      }
      return;
    }
    case FZ_INVALID:
      if (c.id != NULL)
        fz_owe(m, c.id, optional, NULL);
      else
        fz_owe_idless(m, optional);
      return;
    case FZ_REQUEST: {
      fz_owe(m, c.id, optional, c.method);
      if (strcmp(c.method, "initialize") == 0 && m->init_params == NULL &&
          cJSON_IsObject(c.params) && !optional)
        m->init_params = fz_dup(c.params);
      long mk = fz_marker_of(c.params);
      if (mk >= 0)
        fz_note_marker(m, c.id, c.method, mk);
      return;
    }
    case FZ_NOTIFICATION:
      /* The router acts on notifications only after initialize; a
       * cancellation then means no answer is owed (LIFE-7, CAN-1). */
      if (strcmp(c.method, "notifications/cancelled") == 0 &&
          (m->init_params != NULL || optional)) {
        struct fz_idrec* r = fz_idrec(m, fz_get(c.params, "requestId"));
        if (r != NULL)
          r->cancelled = true;
      }
      return;
    case FZ_RESPONSE: {
      /* An answer that carries another request's marker (raw bytes can
       * forge one) proves nothing about that marker any more. */
      long mk = fz_msg_marker(&c);
      const struct fz_relay* rl = NULL;
      for (size_t i = 0; i < m->nrelays; i++)
        if (fz_id_eq(m->relays[i].id, c.id))
          rl = &m->relays[i];
      if (mk >= 0 && (rl == NULL || rl->marker != mk))
        for (size_t i = 0; i < m->nsreqs; i++)
          if (m->sreqs[i].marker == mk)
            m->sreqs[i].marker = -1;
      return;
    }
  }
}

/* Whether the line may lie outside src/core/jscan.h's limits, which are
 * stricter than the RFC: a surrogate escape (\uD800-\uDFFF), or more
 * than 512 brackets and braces (its depth limit). */
static bool fz_beyond_jscan(const char* s, size_t n) {
  size_t open = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '[' || s[i] == '{')
      open++;
    if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'u' &&
        (s[i + 2] == 'd' || s[i + 2] == 'D') &&
        strchr("89abcdefABCDEF", s[i + 3]) != NULL)
      return true;
  }
  return open > JSCAN_MAX_DEPTH;
}

/* A line that is no JSON mcpmon reads: -32700 under the id found in it,
 * else "id": null (JSON-RPC 2.0 section 5). */
static void fz_owe_parse_error(struct fz_model* m,
                               const char* s,
                               size_t n,
                               bool optional) {
  cJSON* id = jrpc_sniff_id(s, n);
  if (id != NULL)
    fz_owe(m, id, optional, NULL);
  else
    fz_owe_idless(m, optional);
  cJSON_Delete(id);
}

static void fz_client_line(void* ctx, const char* s, size_t n) {
  struct fz_model* m = ctx;
  if (n > m->max_line) {
    /* STDIO-3: dropped, answered -32600 with the id found in its first
     * bytes. Finding it is heuristic, so mcpmon's own reader is asked. */
    cJSON* id = jrpc_sniff_id(s, n < FRAMER_HEAD_MAX ? n : FRAMER_HEAD_MAX);
    if (id != NULL)
      fz_owe(m, id, false, NULL);
    else
      fz_owe_idless(m, false);
    cJSON_Delete(id);
    return;
  }
  if (!fz_trim(s, &n))
    return;
  cJSON* root = fz_parse(s, n);
  if (root == NULL) {
    fz_owe_parse_error(m, s, n, false);
    return;
  }
  if (!fzj_valid(s, n)) {
    /* cJSON took what JSON does not allow (01, 1., raw control
     * characters): mcpmon refuses it too (STDIO-5). */
    fz_owe_parse_error(m, s, n, false);
    cJSON_Delete(root);
    return;
  }
  if (fz_beyond_jscan(s, n)) {
    /* JSON, but past what mcpmon's scanner takes on purpose (an unpaired
     * surrogate escape cJSON cannot decode, nesting over 512): refused
     * or handled, either is right. */
    fz_owe_parse_error(m, s, n, true);
    fz_client_msg(m, root, 0, true);
    cJSON_Delete(root);
    return;
  }
  fz_client_msg(m, root, 0, false);
  cJSON_Delete(root);
}

void model_client_sent(struct fz_model* m, const char* s, size_t n) {
  fz_lines(&m->client_partial, s, n, fz_client_line, m);
}

/* ---- lines mcpmon writes ------------------------------------------------- */

static cJSON* fz_parse_span(const struct fzj_member* mb) {
  return mb != NULL ? cJSON_ParseWithLength(mb->val, mb->val_len) : NULL;
}

static void fz_client_response(struct fz_model* m,
                               const char* s,
                               size_t n,
                               const struct fz_out* o) {
  if (o->id == NULL ||
      (o->id->val_len == 4 && memcmp(o->id->val, "null", 4) == 0)) {
    /* Only a line whose id nobody could read is answered without one
     * (JSON-RPC 2.0 section 5: "id": null). */
    FZ_EXPECT(o->error != NULL, "a result without id", s, n);
    m->idless_answers++;
    FZ_EXPECT(m->idless_answers <= m->idless_expected + m->idless_optional,
              "an answer without id that nothing the client sent explains", s,
              n);
    return;
  }
  cJSON* id = fz_parse_span(o->id);
  FZ_EXPECT(id != NULL, "an id cJSON cannot read", s, n);
  struct fz_idrec* r = fz_idrec(m, id);
  FZ_EXPECT(r != NULL, "an answer to an id the client never sent", s, n);
  FZ_EXPECT(r->answered < r->expected + r->optional, "a request answered twice",
            s, n);
  r->answered++;
  if (o->result != NULL) {
    FZ_EXPECT(r->answered_results < r->results,
              "a result for a line that was no valid request", s, n);
    r->answered_results++;
  }
  long mk = fzj_answer_marker(o);
  struct fz_marker* k = mk >= 0 ? fz_marker(m, mk) : NULL;
  FZ_EXPECT(k == NULL || fz_id_eq(k->id, id),
            "an answer came back under another request's id (ID-1)", s, n);
  if (o->result != NULL && strcmp(r->method, "ping") == 0)
    FZ_EXPECT(o->result->val_len == 2, "ping not answered {} (PING-1)", s, n);
  if (o->result != NULL && strcmp(r->method, "initialize") == 0) {
    cJSON* res = fz_parse_span(o->result);
    /* LIFE-3 on every list kind the server declares; one without tools
     * is not given any (issue 13). */
    static const char* listed[] = {"tools", "prompts", "resources"};
    for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
      const cJSON* c = fz_get(fz_get(res, "capabilities"), listed[i]);
      FZ_EXPECT(!cJSON_IsObject(c) || cJSON_IsTrue(fz_get(c, "listChanged")),
                "a list capability without listChanged (LIFE-3)", s, n);
    }
    const cJSON* pv = fz_get(res, "protocolVersion");
    free(m->protocol);
    m->protocol = strdup(cJSON_IsString(pv) ? pv->valuestring : "");
    cJSON_Delete(res);
  }
  cJSON_Delete(id);
}

void model_client_line(struct fz_model* m, const char* s, size_t n) {
  struct fz_out o;
  fzj_check_message(s, n, &o);
  if (o.method == NULL) {
    fz_client_response(m, s, n, &o);
    return;
  }
  /* Requests and notifications to the client are cJSON's own output. */
  cJSON* root = cJSON_ParseWithLength(s, n);
  FZ_EXPECT(root != NULL, "a message cJSON cannot read back", s, n);
  struct fz_msg c;
  fz_classify(root, &c);
  if (c.kind == FZ_REQUEST) {
    for (size_t i = 0; i < m->nrelays; i++)
      FZ_EXPECT(!fz_id_eq(m->relays[i].id, c.id),
                "a relayed request reused an id (ID-2)", s, n);
    FZ_EXPECT(strcmp(c.method, "ping") != 0,
              "a server's ping reached the client (PING-1)", s, n);
    FZ_GROW(m->relays, m->nrelays);
    struct fz_relay* rl = &m->relays[m->nrelays++];
    rl->id = fz_dup(c.id);
    rl->token = fz_dup(fz_token_of(c.params));
    rl->marker = fz_marker_of(c.params);
    rl->cancelled = false;
  } else if (strcmp(c.method, "notifications/cancelled") == 0) {
    const cJSON* rid = fz_get(c.params, "requestId");
    struct fz_relay* rl = NULL;
    for (size_t i = 0; i < m->nrelays; i++)
      if (fz_id_eq(m->relays[i].id, rid))
        rl = &m->relays[i];
    FZ_EXPECT(rl != NULL && !rl->cancelled,
              "cancelled names no relayed request, or one twice (CAN-2/3)", s,
              n);
    rl->cancelled = true;
  } else if (strcmp(c.method, "notifications/tools/list_changed") == 0) {
    m->list_changed++;
  }
  cJSON_Delete(root);
}

/* ---- the server's side --------------------------------------------------- */

int model_add_conn(struct fz_model* m) {
  FZ_GROW(m->conns, m->nconns);
  memset(&m->conns[m->nconns], 0, sizeof(m->conns[0]));
  m->conns[m->nconns].results_sent = cJSON_CreateArray();
  m->conns[m->nconns].ids = cJSON_CreateArray();
  return (int)m->nconns++;
}

struct fz_sctx {
  struct fz_model* m;
  int conn;
};

static void fz_server_sent_line(void* ctx, const char* s, size_t n) {
  struct fz_sctx* sc = ctx;
  struct fz_model* m = sc->m;
  if (n > m->max_line || !fz_trim(s, &n))
    return;
  cJSON* root = fz_parse(s, n);
  struct fz_msg c;
  fz_classify(root, &c);
  if (c.kind == FZ_REQUEST) {
    struct fz_sreq* r = NULL;
    for (size_t i = 0; i < m->nsreqs; i++)
      if (m->sreqs[i].conn == sc->conn && fz_id_eq(m->sreqs[i].id, c.id))
        r = &m->sreqs[i];
    if (r == NULL) {
      FZ_GROW(m->sreqs, m->nsreqs);
      r = &m->sreqs[m->nsreqs++];
      memset(r, 0, sizeof(*r));
      r->id = fz_dup(c.id);
      r->token = fz_dup(fz_token_of(c.params));
      r->conn = sc->conn;
      r->marker = fz_marker_of(c.params);
    }
    r->sent++;
  } else if (c.kind == FZ_RESPONSE) {
    struct fz_mconn* mc = &m->conns[sc->conn];
    if (!c.is_error && cJSON_IsNumber(c.id))
      cJSON_AddItemToArray(mc->results_sent, fz_dup(c.id));
    /* As for the client: a marker on the wrong answer is void, and so is
     * one in an initialize result, which later answers reuse (LIFE-8). */
    long mk = fz_msg_marker(&c);
    const struct fz_seen* sn = NULL;
    for (size_t i = 0; i < mc->nseen; i++)
      if (fz_id_eq(mc->seen[i].id, c.id))
        sn = &mc->seen[i];
    if (mk >= 0 && (sn == NULL || sn->marker != mk ||
                    strcmp(sn->method, "initialize") == 0))
      for (size_t i = 0; i < m->nmarkers; i++)
        if (m->markers[i].value == mk)
          m->markers[i].ambiguous = true;
  }
  cJSON_Delete(root);
}

void model_server_sent(struct fz_model* m, int conn, const char* s, size_t n) {
  struct fz_sctx sc = {m, conn};
  fz_lines(&m->conns[conn].partial, s, n, fz_server_sent_line, &sc);
}

/* The same value once printed by cJSON: what LIFE-1 preserves. */
static bool fz_same_json(const cJSON* a, const cJSON* b) {
  char* x = cJSON_PrintUnformatted(a);
  char* y = cJSON_PrintUnformatted(b);
  cJSON* ya = cJSON_Parse(y);
  char* z = cJSON_PrintUnformatted(ya);
  bool same = x != NULL && z != NULL && strcmp(x, z) == 0;
  free(x);
  free(y);
  free(z);
  cJSON_Delete(ya);
  return same;
}

static bool fz_in_array(const cJSON* arr, const cJSON* id) {
  const cJSON* it;
  cJSON_ArrayForEach(it, arr) if (fz_id_eq(it, id)) return true;
  return false;
}

static void fz_server_request(struct fz_model* m,
                              struct fz_mconn* c,
                              const struct fz_msg* r,
                              const char* s,
                              size_t n) {
  FZ_EXPECT(
      cJSON_IsNumber(r->id) && fz_id_valid(r->id) && r->id->valuedouble >= 0,
      "a request to a server without a non-negative integer id (ID-1)", s, n);
  /* ID-1: never twice to one process. Across processes too with
   * stop-first, where one backend's counter goes on; with overlap (issue
   * 14) the new process's counter starts where the old one's was when it
   * started, and both count on while they overlap. */
  FZ_EXPECT(!fz_in_array(c->ids, r->id),
            "a request id sent to one server twice (ID-1, ID-3)", s, n);
  FZ_EXPECT(m->overlap || !fz_in_array(m->server_ids, r->id),
            "a request id sent to the servers twice (ID-1, ID-3)", s, n);
  cJSON_AddItemToArray(c->ids, fz_dup(r->id));
  cJSON_AddItemToArray(m->server_ids, fz_dup(r->id));
  if (strcmp(r->method, "initialize") == 0) {
    FZ_EXPECT(!c->init_sent, "initialize sent twice to one process (LIFE-5)", s,
              n);
    c->init_sent = true;
    c->init_id = fz_dup(r->id);
    FZ_EXPECT(m->init_params != NULL && fz_same_json(r->params, m->init_params),
              "initialize without the client's params (LIFE-1)", s, n);
  } else {
    FZ_EXPECT(c->initialized_sent,
              "a request before notifications/initialized (LIFE-4)", s, n);
  }
  long mk = fz_marker_of(r->params);
  struct fz_marker* k = mk >= 0 ? fz_marker(m, mk) : NULL;
  if (k != NULL) {
    FZ_EXPECT(strcmp(k->method, r->method) == 0,
              "a client request reached the server with another method", s, n);
    /* initialize and logging/setLevel are replayed after restarts. */
    if (strcmp(r->method, "initialize") != 0 &&
        strcmp(r->method, "logging/setLevel") != 0)
      FZ_EXPECT(++k->forwarded <= 1, "a client request forwarded twice", s, n);
  }
  FZ_GROW(c->seen, c->nseen);
  struct fz_seen* sn = &c->seen[c->nseen++];
  sn->id = fz_dup(r->id);
  snprintf(sn->method, sizeof(sn->method), "%s", r->method);
  sn->marker = mk;
  sn->token = fz_dup(fz_token_of(r->params));
}

static void fz_server_notification(struct fz_model* m,
                                   int conn,
                                   const struct fz_msg* r,
                                   const char* s,
                                   size_t n) {
  struct fz_mconn* c = &m->conns[conn];
  if (strcmp(r->method, "notifications/initialized") == 0) {
    FZ_EXPECT(c->init_sent && !c->initialized_sent &&
                  fz_in_array(c->results_sent, c->init_id),
              "initialized before the initialize result, or twice (LIFE-4/5)",
              s, n);
    c->initialized_sent = true;
    return;
  }
  if (strcmp(r->method, "notifications/progress") == 0) {
    /* The client's progress on a request this process sent (PROG-2); it
     * may come at any time, as the request may. */
    const cJSON* tok = fz_get(r->params, "progressToken");
    bool found = false;
    for (size_t i = 0; i < m->nsreqs; i++)
      found |= m->sreqs[i].conn == conn && m->sreqs[i].token != NULL &&
               fz_id_eq(m->sreqs[i].token, tok);
    FZ_EXPECT(found, "progress for a token this server never issued (PROG-2)",
              s, n);
    return;
  }
  FZ_EXPECT(c->initialized_sent,
            "a notification before notifications/initialized (LIFE-4)", s, n);
  if (strcmp(r->method, "notifications/cancelled") == 0) {
    const cJSON* rid = fz_get(r->params, "requestId");
    bool found = false;
    for (size_t i = 0; i < c->nseen; i++) found |= fz_id_eq(c->seen[i].id, rid);
    FZ_EXPECT(found, "cancelled names no request of this process (CAN-1)", s,
              n);
  }
}

static void fz_server_response(struct fz_model* m,
                               int conn,
                               const struct fz_out* o,
                               const cJSON* id,
                               const char* s,
                               size_t n) {
  struct fz_sreq* r = NULL;
  for (size_t i = 0; i < m->nsreqs; i++)
    if (m->sreqs[i].conn == conn && fz_id_eq(m->sreqs[i].id, id))
      r = &m->sreqs[i];
  FZ_EXPECT(r != NULL,
            "an answer to a request this server process never sent (ID-2)", s,
            n);
  FZ_EXPECT(r->answered < r->sent, "a server request answered twice", s, n);
  r->answered++;
  long mk = fzj_answer_marker(o);
  if (mk < 0)
    return;
  struct fz_sreq* owner = NULL;
  unsigned owners = 0;
  for (size_t i = 0; i < m->nsreqs; i++)
    if (m->sreqs[i].marker == mk) {
      owner = &m->sreqs[i];
      owners++;
    }
  FZ_EXPECT(owners != 1 || (owner->conn == conn && fz_id_eq(owner->id, id)),
            "the client's answer reached another request (ID-2)", s, n);
}

const char* model_server_line(struct fz_model* m,
                              int conn,
                              const char* s,
                              size_t n) {
  struct fz_out o;
  fzj_check_message(s, n, &o);
  cJSON* root = cJSON_ParseWithLength(s, n); /* mcpmon's cJSON output */
  FZ_EXPECT(root != NULL, "a message to the server cJSON cannot read", s, n);
  struct fz_msg r;
  fz_classify(root, &r);
  const char* method = NULL;
  struct fz_mconn* c = &m->conns[conn];
  switch (r.kind) {
    case FZ_REQUEST:
      fz_server_request(m, c, &r, s, n);
      method = c->seen[c->nseen - 1].method;
      break;
    case FZ_NOTIFICATION:
      fz_server_notification(m, conn, &r, s, n);
      break;
    case FZ_RESPONSE:
      FZ_EXPECT(r.id != NULL, "an answer to the server without id", s, n);
      fz_server_response(m, conn, &o, r.id, s, n);
      break;
    default:
      FZ_EXPECT(false, "an invalid message to the server (STDIO-4)", s, n);
  }
  cJSON_Delete(root);
  return method;
}

/* ---- life ---------------------------------------------------------------- */

void model_init(struct fz_model* m, size_t max_line) {
  memset(m, 0, sizeof(*m));
  m->max_line = max_line;
  m->server_ids = cJSON_CreateArray();
}

void model_finish(struct fz_model* m, unsigned restarts, bool overlap) {
  if (m->hung_up)
    return; /* answers went nowhere: "at most once" is all there is */
  for (size_t i = 0; i < m->nids; i++) {
    const struct fz_idrec* r = &m->ids[i];
    char idtext[80];
    char* t = cJSON_PrintUnformatted(r->id);
    snprintf(idtext, sizeof(idtext), "id %s (%s)", t, r->method);
    free(t);
    FZ_EXPECT(r->cancelled || r->answered >= r->expected,
              "a request never answered", idtext, strlen(idtext));
  }
  FZ_EXPECT(m->idless_answers >= m->idless_expected,
            "a malformed line never answered", "", 0);
  FZ_EXPECT(overlap || m->list_changed >= restarts,
            "a restart without tools/list_changed (§3.3 step 11)", "", 0);
}

void model_free(struct fz_model* m) {
  for (size_t i = 0; i < m->nids; i++) cJSON_Delete(m->ids[i].id);
  for (size_t i = 0; i < m->nmarkers; i++) cJSON_Delete(m->markers[i].id);
  for (size_t i = 0; i < m->nrelays; i++) {
    cJSON_Delete(m->relays[i].id);
    cJSON_Delete(m->relays[i].token);
  }
  for (size_t i = 0; i < m->nsreqs; i++) {
    cJSON_Delete(m->sreqs[i].id);
    cJSON_Delete(m->sreqs[i].token);
  }
  for (size_t i = 0; i < m->nconns; i++) {
    struct fz_mconn* c = &m->conns[i];
    fzb_free(&c->partial);
    for (size_t j = 0; j < c->nseen; j++) {
      cJSON_Delete(c->seen[j].id);
      cJSON_Delete(c->seen[j].token);
    }
    free(c->seen);
    cJSON_Delete(c->init_id);
    cJSON_Delete(c->results_sent);
    cJSON_Delete(c->ids);
  }
  free(m->ids);
  free(m->markers);
  free(m->relays);
  free(m->sreqs);
  free(m->conns);
  fzb_free(&m->client_partial);
  cJSON_Delete(m->init_params);
  cJSON_Delete(m->server_ids);
  free(m->protocol);
}
