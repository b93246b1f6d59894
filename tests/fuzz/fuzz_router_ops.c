/* fuzz_router_ops.c - fuzz_router's byte program: the input decoded into
 * what the client and the server send, and control steps.
 *
 * Input: two header bytes (struct fz_setup; all-zero is the common case:
 * the client initializes, the server answers initialize and tools/list by
 * itself, the handshake is awaited), then ops of one byte each plus their
 * arguments, until the input ends or FZ_MAX_OPS ran. Messages come from
 * templates whose ids are fresh (so "at most once" means something), and
 * carry markers (params.fz) the other side echoes, so that the model can
 * tell which request an answer belongs to. Raw bytes from the input go in
 * where a template has a hole (params, result) and make whole lines too;
 * the model reads whatever was sent, so anything may be written.
 *
 * Header: h0 bit 0 no client initialize, 1 no auto initialize answer,
 * 2 no auto tools/list answer, 3 no waiting for the handshake, 4-5 the
 * server's protocol version (fz_protocols), 6 rich capabilities, 7 an
 * observer keeping bodies; h1 bits 0-1 queue timeout (20, 5, 60, 150 ms),
 * 2-3 line cap (1 MiB, 256, 1024, 8192), 4 restarts reload with overlap
 * (issue 14: the new process beside the old one, which drains).
 * Ops (byte % 16) and their argument bytes:
 *   0-1 client request: method, id form, params form [raw]
 *   2 client notification (kind [relay]); 3 cancel (k-th id sent)
 *   4 answer to a relayed request: k, form [raw]; 5 raw line: n, bytes
 *   6 batch: n % 4, elements; 7 invalid message: form, id form
 *   8 odd: over-long request, even: malformed line
 *   9-10 server answers its k-th request: k, form [raw]
 *   11 server request: form; 12 server notification: kind, k
 *   13 server raw line / partial line / over-long answer
 *   14 restart, server exit or signal, client hang-up (ops_lifecycle)
 *   15 settle: quiet 1-4 ms (>= 0xf0: through a crash backoff)
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_router.h"

#define FZ_MAX_OPS 200

const char* const fz_protocols[4] = {"2025-06-18", "2025-03-26", "2024-11-05",
                                     "2025-11-25"};

/* ---- bytes --------------------------------------------------------------- */

void fzb_add(struct fz_buf* b, const char* s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = realloc(b->p, cap);
    b->cap = cap;
  }
  if (n > 0)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void fzb_puts(struct fz_buf* b, const char* s) {
  fzb_add(b, s, strlen(s));
}

void fzb_printf(struct fz_buf* b, const char* fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  fzb_add(b, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void fzb_free(struct fz_buf* b) {
  free(b->p);
  memset(b, 0, sizeof(*b));
}

uint8_t fzi_byte(struct fz_input* in) {
  return in->pos < in->len ? in->p[in->pos++] : 0;
}

bool fzi_done(const struct fz_input* in) {
  return in->pos >= in->len;
}

/* Up to max raw bytes, their count read first. */
static void fzi_raw(struct fz_input* in, struct fz_buf* b, size_t max) {
  size_t n = fzi_byte(in) % (max + 1);
  if (n > in->len - in->pos)
    n = in->len - in->pos;
  fzb_add(b, (const char*)in->p + in->pos, n);
  in->pos += n;
}

/* An id as JSON text. */
static void fzb_id(struct fz_buf* b, const cJSON* id) {
  char* t = cJSON_PrintUnformatted(id);
  if (cJSON_IsNumber(id))
    fzb_printf(b, "%lld", (long long)id->valuedouble);
  else
    fzb_puts(b, t);
  free(t);
}

/* ---- setup --------------------------------------------------------------- */

void ops_read_setup(struct fz_input* in, struct fz_setup* su) {
  static const unsigned timeouts[4] = {20, 5, 60, 150};
  static const size_t lines[4] = {1u << 20, 256, 1024, 8192};
  uint8_t h0 = fzi_byte(in), h1 = fzi_byte(in);
  su->client_init = !(h0 & 1);
  su->auto_init = !(h0 & 2);
  su->auto_tools = !(h0 & 4);
  su->start_settle = !(h0 & 8);
  su->protocol = (h0 >> 4) & 3;
  su->rich_caps = (h0 & 0x40) != 0;
  su->body_max = (h0 & 0x80) ? 64 : 0;
  su->queue_timeout_ms = timeouts[h1 & 3];
  su->max_line = lines[(h1 >> 2) & 3];
  su->overlap = (h1 & 0x10) != 0;
}

/* ---- the client ---------------------------------------------------------- */

/* A fresh id in one of the forms clients use, and some they do not. The
 * number forms stay clear of the small integers that relayed requests
 * get, so that an answer to one never looks like an answer to the other. */
static void ops_fresh_id(struct fz* z, struct fz_buf* b, uint8_t form) {
  unsigned k = fz_counters(z)->client++;
  switch (form % 8) {
    case 0:
      fzb_printf(b, "%u", 1000000u + k);
      break;
    case 1:
      fzb_printf(b, "-%u", k + 1);
      break;
    case 2:
      fzb_printf(b, "%lld", 9007199254740991LL - k);
      break;
    case 3:
      fzb_printf(b, "\"c%u\"", k);
      break;
    case 4:
      fzb_printf(b, "\"\\u00e9\\\\\\\"%u\"", k);
      break;
    case 5:
      fzb_printf(b, "\"%u\"", k);
      break;
    case 6:
      fzb_printf(b, "%u.0", 1000000u + k);
      break;
    default:
      fzb_printf(b, "%ue0", 1000000u + k);
      break;
  }
}

static const char* const client_methods[] = {
    "tools/call",
    "tools/list",
    "ping",
    "initialize",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/get",
    "resources/read",
    "completion/complete",
    "x/custom",
    "tools/call",
};

static void ops_params_body(struct fz_buf* b, const char* method, unsigned k) {
  if (strcmp(method, "tools/call") == 0)
    fzb_puts(b, ",\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}");
  else if (strcmp(method, "initialize") == 0)
    fzb_puts(b,
             ",\"protocolVersion\":\"2025-06-18\",\"capabilities\":"
             "{\"sampling\":{},\"roots\":{\"listChanged\":true}},"
             "\"clientInfo\":{\"name\":\"fuzz\",\"version\":\"1\"}");
  else if (strcmp(method, "logging/setLevel") == 0)
    fzb_puts(b, ",\"level\":\"debug\"");
  else if (strncmp(method, "resources/", 10) == 0)
    fzb_printf(b, ",\"uri\":\"file:///a%u\"", k % 3);
  else if (strcmp(method, "prompts/get") == 0)
    fzb_puts(b, ",\"name\":\"p\"");
  else if (strcmp(method, "completion/complete") == 0)
    fzb_puts(b,
             ",\"ref\":{\"type\":\"ref/prompt\",\"name\":\"p\"},"
             "\"argument\":{\"name\":\"a\",\"value\":\"b\"}");
}

/* {"jsonrpc":"2.0","id":ID,"method":M[,"params":...]} into b. */
static void ops_request(struct fz* z,
                        struct fz_input* in,
                        struct fz_buf* b,
                        const char* method) {
  struct fz_counters* k = fz_counters(z);
  uint8_t form = fzi_byte(in), pv = fzi_byte(in);
  fzb_puts(b, "{\"jsonrpc\":\"2.0\",\"id\":");
  ops_fresh_id(z, b, form);
  fzb_printf(b, ",\"method\":\"%s\"", method);
  switch (pv % 5) {
    case 2:
      break; /* no params */
    case 3:
      fzb_puts(b, ",\"params\":");
      fzi_raw(in, b, 24);
      break;
    default: {
      unsigned mk = k->marker++;
      fzb_printf(b, ",\"params\":{\"fz\":%u", mk);
      ops_params_body(b, method, mk);
      if (pv % 5 == 1) {
        unsigned t = k->token++;
        if (t % 2)
          fzb_printf(b, ",\"_meta\":{\"progressToken\":\"p%u\"}", t);
        else
          fzb_printf(b, ",\"_meta\":{\"progressToken\":%u}", t);
      }
      fzb_puts(b, "}");
    }
  }
  fzb_puts(b, "}");
}

void ops_client_initialize(struct fz* z) {
  static const uint8_t args[] = {0, 0};
  struct fz_input in = {args, sizeof(args), 0};
  struct fz_buf b = {0};
  ops_request(z, &in, &b, "initialize");
  fzb_puts(&b, "\n");
  fz_client_write(z, b.p, b.len);
  fzb_free(&b);
}

static const struct fz_relay* ops_relay(struct fz* z, uint8_t k) {
  struct fz_model* m = fz_model(z);
  return m->nrelays > 0 ? &m->relays[k % m->nrelays] : NULL;
}

/* The client's answer to a relayed server request. */
static void ops_respond(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  const struct fz_relay* r = ops_relay(z, fzi_byte(in));
  uint8_t v = fzi_byte(in);
  struct fz_buf id = {0};
  if (r != NULL)
    fzb_id(&id, r->id);
  else
    fzb_printf(&id, "%u", v % 8);
  long mk = r != NULL ? r->marker : -1;
  const char* head = "{\"jsonrpc\":\"2.0\",\"id\":";
  switch (v % 8) {
    case 0:
    case 4: /* twice */
      for (int i = 0; i < (v % 8 == 4 ? 2 : 1); i++)
        fzb_printf(b, "%s%s,\"result\":{\"fz\":%ld,\"role\":\"assistant\"}}\n",
                   head, id.p, mk);
      break;
    case 1:
      fzb_printf(b,
                 "%s%s,\"error\":{\"code\":-1,\"message\":\"no\","
                 "\"data\":{\"fz\":%ld}}}\n",
                 head, id.p, mk);
      break;
    case 2:
      fzb_printf(b, "%s%lld,\"result\":{}}\n", head,
                 strtoll(id.p, NULL, 10) + 100000);
      break;
    case 3:
      fzb_printf(b, "%s\"%s\",\"result\":{}}\n", head, id.p);
      break;
    case 5:
      fzb_printf(b, "%s%s,\"result\":5}\n", head, id.p);
      break;
    case 6:
      fzb_printf(b, "%s%s,\"result\":", head, id.p);
      fzi_raw(in, b, 24);
      fzb_puts(b, "}\n");
      break;
    default:
      fzb_printf(b, "%s%s.0,\"result\":{\"fz\":%ld}}\n", head, id.p, mk);
  }
  fzb_free(&id);
}

static void ops_notify(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  static const char* const methods[] = {"notifications/initialized",
                                        "notifications/roots/list_changed",
                                        "notifications/message", "x/custom"};
  uint8_t v = fzi_byte(in);
  if (v % 5 < 4) {
    fzb_printf(b, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"}\n", methods[v % 5]);
    return;
  }
  /* Progress on a relayed request (PROG-2), or on none. */
  const struct fz_relay* r = ops_relay(z, fzi_byte(in));
  fzb_puts(b,
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
           "\"params\":{\"progressToken\":");
  if (r != NULL && r->token != NULL)
    fzb_id(b, r->token);
  else
    fzb_puts(b, "\"nobody\"");
  fzb_puts(b, ",\"progress\":1}}\n");
}

static void ops_cancel(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  struct fz_model* m = fz_model(z);
  uint8_t k = fzi_byte(in);
  fzb_puts(b,
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
           "\"params\":{\"requestId\":");
  if (m->nids > 0 && k < 240)
    fzb_id(b, m->ids[k % m->nids].id);
  else
    fzb_puts(b, "424242");
  fzb_puts(b, k & 1 ? ",\"reason\":\"fuzz\"}}\n" : "}}\n");
}

/* Messages that are wrong in one way each (STDIO-4/5). */
static void ops_invalid(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  uint8_t v = fzi_byte(in);
  struct fz_buf id = {0};
  ops_fresh_id(z, &id, fzi_byte(in));
  static const char* const forms[] = {
      "{\"jsonrpc\":\"1.0\",\"id\":%s,\"method\":\"m\"}",
      "{\"id\":%s,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":5}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"m\",\"extra\":1}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"m\",\"params\":[1]}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":5}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"id\":%s,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"m\",\"result\":{}}",
      ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":1.5,"
       "\"message\":\"x\"}}"),
      "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
      "[]",
      "[[]]",
      "5",
      "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}",
      "{\"jsonrpc\":\"2.0\",\"id\":%s}",
  };
  const char* f = forms[v % (sizeof(forms) / sizeof(forms[0]))];
  fzb_printf(b, f, id.p, id.p);
  fzb_puts(b, "\n");
  fzb_free(&id);
}

static void ops_malformed(struct fz_input* in, struct fz_buf* b) {
  static const char* const lines[] = {
      "{",
      "not json",
      "{\"jsonrpc\":\"2.0\",\"id\":",
      "\r",
      "   \t",
      "{}}",
      "[1,]",
      "{\"a\":01}",
      "\"\\ud800\"",
      "\xff\xfe",
      "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}  x",
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}\r",
  };
  fzb_puts(b, lines[fzi_byte(in) % (sizeof(lines) / sizeof(lines[0]))]);
  fzb_puts(b, "\n");
}

/* A request over the line cap (STDIO-3), its id early (readable in the
 * head) or late. Only with the small caps, to keep inputs fast. */
static void ops_long(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  size_t max = fz_setup(z)->max_line;
  uint8_t v = fzi_byte(in);
  if (max > 8192)
    return;
  size_t pad = max + (v % 4);
  if (v & 4) {
    fzb_puts(b, "{\"jsonrpc\":\"2.0\",\"id\":");
    ops_fresh_id(z, b, v >> 3);
    fzb_puts(b, ",\"method\":\"tools/call\",\"params\":{\"pad\":\"");
  } else {
    fzb_puts(b,
             "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":"
             "{\"pad\":\"");
  }
  for (size_t i = 0; i < pad; i++) fzb_add(b, "x", 1);
  fzb_puts(b, "\"}");
  if (!(v & 4)) {
    fzb_puts(b, ",\"id\":");
    ops_fresh_id(z, b, v >> 3);
  }
  fzb_puts(b, "}\n");
}

static void ops_batch(struct fz* z, struct fz_input* in, struct fz_buf* b) {
  unsigned n = fzi_byte(in) % 4;
  fzb_puts(b, "[");
  for (unsigned i = 0; i < n; i++) {
    if (i > 0)
      fzb_puts(b, ",");
    struct fz_buf e = {0};
    uint8_t kind = fzi_byte(in);
    switch (kind % 5) {
      case 0:
      case 1:
        ops_request(z, in, &e, client_methods[kind % 12]);
        break;
      case 2:
        ops_cancel(z, in, &e);
        break;
      case 3:
        ops_respond(z, in, &e);
        break;
      default:
        fzb_puts(&e, "[]");
    }
    /* Elements are one line each; drop what would end the batch early. */
    char* nl = memchr(e.p, '\n', e.len);
    fzb_add(b, e.p, nl != NULL ? (size_t)(nl - e.p) : e.len);
    fzb_free(&e);
  }
  fzb_puts(b, "]\n");
}

static void ops_client(struct fz* z, uint8_t op, struct fz_input* in) {
  struct fz_buf b = {0};
  switch (op) {
    case 0:
    case 1:
      ops_request(z, in, &b, client_methods[fzi_byte(in) % 12]);
      fzb_puts(&b, "\n");
      break;
    case 2:
      ops_notify(z, in, &b);
      break;
    case 3:
      ops_cancel(z, in, &b);
      break;
    case 4:
      ops_respond(z, in, &b);
      break;
    case 5:
      fzi_raw(in, &b, 64);
      fzb_puts(&b, "\n");
      break;
    case 6:
      ops_batch(z, in, &b);
      break;
    case 7:
      ops_invalid(z, in, &b);
      break;
    default:
      if (fzi_byte(in) & 1)
        ops_long(z, in, &b);
      else
        ops_malformed(in, &b);
  }
  fz_client_write(z, b.p, b.len);
  fzb_free(&b);
}

/* ---- the server
 * -------------------------------------------------------------- */

void ops_answer_initialize(struct fz* z, int conn, const cJSON* id) {
  const struct fz_setup* su = fz_setup(z);
  struct fz_buf b = {0};
  fzb_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
  fzb_id(&b, id);
  fzb_printf(&b,
             ",\"result\":{\"protocolVersion\":\"%s\",\"capabilities\":"
             "{\"tools\":{}%s},\"serverInfo\":{\"name\":\"fz\","
             "\"version\":\"1\"}}}\n",
             fz_protocols[su->protocol],
             su->rich_caps ? ",\"logging\":{},\"prompts\":{},\"resources\":"
                             "{\"subscribe\":true}"
                           : "");
  fz_server_write_to(z, conn, b.p, b.len);
  fzb_free(&b);
}

void ops_answer_tools(struct fz* z,
                      int conn,
                      const struct fz_seen* s,
                      bool more) {
  struct fz_buf b = {0};
  fzb_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
  fzb_id(&b, s->id);
  fzb_puts(&b, ",\"result\":{");
  if (s->marker >= 0)
    fzb_printf(&b, "\"fz\":%ld,", s->marker);
  fzb_puts(&b,
           "\"tools\":[{\"name\":\"echo\",\"inputSchema\":"
           "{\"type\":\"object\"}}]");
  if (more)
    fzb_puts(&b, ",\"nextCursor\":\"more\"");
  fzb_puts(&b, "}}\n");
  fz_server_write_to(z, conn, b.p, b.len);
  fzb_free(&b);
}

static const struct fz_seen* ops_seen(struct fz* z, int conn, uint8_t k) {
  const struct fz_mconn* c = &fz_model(z)->conns[conn];
  return c->nseen > 0 ? &c->seen[k % c->nseen] : NULL;
}

/* The server answers the k-th request it saw, rightly or not. */
static void ops_answer(struct fz* z,
                       int conn,
                       struct fz_input* in,
                       struct fz_buf* b) {
  const struct fz_seen* s = ops_seen(z, conn, fzi_byte(in));
  uint8_t v = fzi_byte(in);
  if (s == NULL)
    return;
  bool init = strcmp(s->method, "initialize") == 0;
  if (v % 14 == 0 && init) {
    ops_answer_initialize(z, conn, s->id);
    return;
  }
  if (v % 14 == 0 && strcmp(s->method, "tools/list") == 0) {
    ops_answer_tools(z, conn, s, v & 0x80);
    return;
  }
  long mk = init ? -1 : s->marker; /* initialize results are replayed */
  struct fz_buf id = {0};
  fzb_id(&id, s->id);
  long long x = strtoll(id.p, NULL, 10);
  const char* h = "{\"jsonrpc\":\"2.0\",\"id\":";
  switch (v % 14) {
    case 0:
    case 5: /* twice */
      for (int i = 0; i < (v % 14 == 5 ? 2 : 1); i++)
        fzb_printf(b,
                   "%s%s,\"result\":{\"fz\":%ld,\"content\":[{\"type\":"
                   "\"text\",\"text\":\"ok\"}]}}\n",
                   h, id.p, mk);
      break;
    case 1:
      fzb_printf(b,
                 "%s%s,\"error\":{\"code\":-32000,\"message\":\"boom\","
                 "\"data\":{\"fz\":%ld}}}\n",
                 h, id.p, mk);
      break;
    case 2:
      fzb_printf(b, "%s%lld,\"result\":{}}\n", h, x + 1000);
      break;
    case 3:
      fzb_printf(b, "%s\"%s\",\"result\":{}}\n", h, id.p);
      break;
    case 4:
      fzb_printf(b, "%s%s.0,\"result\":{\"fz\":%ld}}\n", h, id.p, mk);
      break;
    case 6:
      fzb_printf(b,
                 "{ \"result\" : { \"fz\" : %ld } ,\t\"id\" : %s , "
                 "\"jsonrpc\" : \"2.0\" }\n",
                 mk, id.p);
      break;
    case 7:
      fzb_printf(b, "%s%s,\"result\":{},\"extra\":1}\n", h, id.p);
      break;
    case 8:
      fzb_printf(b, "%s%s,\"result\":[]}\n", h, id.p);
      break;
    case 9:
      fzb_printf(b, "%s%s,\"result\":", h, id.p);
      fzi_raw(in, b, 32);
      fzb_puts(b, "}\n");
      break;
    case 10:
      fzb_printf(b, "%s%s,\"error\":{\"code\":1.5,\"message\":\"x\"}}\n", h,
                 id.p);
      break;
    case 11:
      fzb_printf(b, "%s%s,\"result\":{\"fz\":%ld}}\r\n", h, id.p, mk);
      break;
    case 12:
      fzb_printf(b,
                 "%s%s,\"result\":{\"fz\":%ld,\"t\":\"\\u00e9\\ud83d"
                 "\\ude00\\t\\\\\\\"\\u0000\xc3\xa9\"}}\n",
                 h, id.p, mk);
      break;
    default:
      fzb_printf(b,
                 "{\"id\":%s,\"jsonrpc\":\"2.0\",\"error\":{\"message\":"
                 "\"m\",\"code\":-32601}}\n",
                 id.p);
  }
  fzb_free(&id);
}

static void ops_server_request(struct fz* z,
                               struct fz_input* in,
                               struct fz_buf* b) {
  static const char* const methods[] = {"sampling/createMessage",
                                        "roots/list",
                                        "elicitation/create",
                                        "ping",
                                        "x/custom",
                                        "sampling/createMessage"};
  uint8_t v = fzi_byte(in);
  const char* method = methods[v % 6];
  unsigned k = fz_counters(z)->server++;
  fzb_puts(b, "{\"jsonrpc\":\"2.0\",\"id\":");
  if (v & 0x40)
    fzb_printf(b, "\"s%u\"", k);
  else
    fzb_printf(b, "%u", k);
  fzb_printf(b, ",\"method\":\"%s\",\"params\":{\"fz\":%u", method, k);
  if (v & 0x80)
    fzb_printf(b, ",\"_meta\":{\"progressToken\":\"t%u\"}", k);
  if (strcmp(method, "sampling/createMessage") == 0)
    fzb_puts(b,
             ",\"messages\":[{\"role\":\"user\",\"content\":{\"type\":"
             "\"text\",\"text\":\"hi\"}}],\"maxTokens\":10");
  else if (strcmp(method, "elicitation/create") == 0)
    fzb_puts(b,
             ",\"message\":\"?\",\"requestedSchema\":{\"type\":"
             "\"object\",\"properties\":{}}");
  fzb_puts(b, "}}\n");
}

static void ops_server_notify(struct fz* z,
                              int conn,
                              struct fz_input* in,
                              struct fz_buf* b) {
  struct fz_model* m = fz_model(z);
  uint8_t v = fzi_byte(in), k = fzi_byte(in);
  const char* h = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/";
  switch (v % 7) {
    case 0: {
      const struct fz_seen* s = ops_seen(z, conn, k);
      fzb_printf(b, "%sprogress\",\"params\":{\"progressToken\":", h);
      if (s != NULL && s->token != NULL)
        fzb_id(b, s->token);
      else
        fzb_puts(b, "\"zz\"");
      fzb_puts(b, ",\"progress\":1,\"total\":2}}\n");
      break;
    }
    case 1:
      fzb_printf(b, "%stools/list_changed\"}\n", h);
      break;
    case 2:
      fzb_printf(b, "%sprompts/list_changed\"}\n", h);
      break;
    case 3:
      fzb_printf(b, "%sresources/list_changed\"}\n", h);
      break;
    case 4:
      /* CAN-2: one of its own requests (k-th of all), or nothing known. */
      fzb_printf(b, "%scancelled\",\"params\":{\"requestId\":", h);
      if (m->nsreqs > 0)
        fzb_id(b, m->sreqs[k % m->nsreqs].id);
      else
        fzb_printf(b, "%u", k);
      fzb_puts(b, "}}\n");
      break;
    case 5:
      fzb_printf(b,
                 "%smessage\",\"params\":{\"level\":\"info\",\"data\":"
                 "\"hello\"}}\n",
                 h);
      break;
    default:
      fzb_printf(b,
                 "%sresources/updated\",\"params\":{\"uri\":"
                 "\"file:///a0\"}}\n",
                 h);
  }
}

/* An answer over the line cap (STDIO-3: an error for that id instead). */
static void ops_big(struct fz* z,
                    int conn,
                    struct fz_input* in,
                    struct fz_buf* b) {
  const struct fz_seen* s = ops_seen(z, conn, fzi_byte(in));
  size_t max = fz_setup(z)->max_line;
  if (s == NULL || max > 8192)
    return;
  fzb_puts(b, "{\"jsonrpc\":\"2.0\",\"id\":");
  fzb_id(b, s->id);
  fzb_puts(b, ",\"result\":{\"pad\":\"");
  for (size_t i = 0; i < max; i++) fzb_add(b, "y", 1);
  fzb_puts(b, "\"}}\n");
}

static void ops_server(struct fz* z, uint8_t op, struct fz_input* in) {
  int conn = fz_server_conn(z);
  struct fz_buf b = {0};
  uint8_t v;
  switch (op) {
    case 9:
    case 10:
      if (conn >= 0)
        ops_answer(z, conn, in, &b);
      break;
    case 11:
      ops_server_request(z, in, &b);
      break;
    case 12:
      if (conn >= 0)
        ops_server_notify(z, conn, in, &b);
      break;
    default:
      v = fzi_byte(in);
      if (v % 3 == 0) {
        fzi_raw(in, &b, 64);
        fzb_puts(&b, "\n");
      } else if (v % 3 == 1) {
        fzi_raw(in, &b, 16); /* a partial line: the next write ends it */
      } else if (conn >= 0) {
        ops_big(z, conn, in, &b);
      }
  }
  if (conn >= 0 && b.len > 0)
    fz_server_write_to(z, conn, b.p, b.len);
  fzb_free(&b);
}

/* ---- the program
 * ------------------------------------------------------------- */

/* Restarts, exits and hang-ups: op 14's argument. */
static void ops_lifecycle(struct fz* z, uint8_t v) {
  switch (v % 8) {
    case 0:
    case 1:
      if (fz_backend(z) != NULL)
        backend_restart(fz_backend(z), v % 8 ? "fuzz" : NULL);
      break;
    case 2:
      fz_server_exit(z, 0);
      break; /* our side closes: exit 3 */
    case 3:
      fz_server_exit(z, SIGKILL);
      break;
    case 4:
      fz_server_exit(z, SIGTERM);
      break;
    case 5:
      fz_server_exit(z, SIGSTOP);
      break; /* stop goes to SIGKILL */
    case 6:
      fz_server_exit(z, v & 8 ? SIGUSR1 : SIGUSR2);
      break;
    default:
      /* Rare, as it ends the checks: the client stops reading. */
      if (v >= 0xf0)
        fz_client_hangup(z);
  }
}

void ops_run(struct fz* z, struct fz_input* in) {
  for (int n = 0; n < FZ_MAX_OPS && !fzi_done(in); n++) {
    uint8_t op = fzi_byte(in) % 16, v;
    switch (op) {
      case 14:
        ops_lifecycle(z, fzi_byte(in));
        break;
      case 15:
        /* A few ms of quiet; rarely, through a crash backoff too. */
        v = fzi_byte(in);
        if (v >= 0xf0)
          fz_settle(z, 2, 400, true);
        else
          fz_settle(z, 1 + v % 4, 60, false);
        break;
      default:
        if (op <= 8)
          ops_client(z, op, in);
        else
          ops_server(z, op, in);
    }
  }
}
