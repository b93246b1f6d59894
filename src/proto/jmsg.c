/* jmsg.c - see jmsg.h. Cited rules are in docs/mcp-protocol.md. */
#include "proto/jmsg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* 2^53 - 1: as jsonrpc.c, an id beyond it would not come back exact from
 * a JavaScript peer. */
#define JM_INT_MAX 9007199254740991.0

enum {
  JM_JSONRPC,
  JM_ID,
  JM_METHOD,
  JM_PARAMS,
  JM_RESULT,
  JM_ERROR,
  JM_COUNT,
};

static const char* const jm_names[JM_COUNT] = {
    "jsonrpc", "id", "method", "params", "result", "error",
};

/* ---- walking a text jscan accepted -------------------------------------- */

static size_t jm_ws(const char* t, size_t i) {
  while (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n') i++;
  return i;
}

/* Past the string whose '"' is at i. */
static size_t jm_skip_string(const char* t, size_t i) {
  i++;
  for (;;) {
    const char* q = strpbrk(t + i, "\"\\");
    i = (size_t)(q - t);
    if (*q == '"')
      return i + 1;
    i += 2; /* the backslash and the character it escapes */
  }
}

/* Past the value that starts at i. */
static size_t jm_skip(const char* t, size_t i) {
  char c = t[i];
  if (c == '"')
    return jm_skip_string(t, i);
  if (c == '{' || c == '[') {
    size_t depth = 0;
    for (;;) {
      c = t[i];
      if (c == '"') {
        i = jm_skip_string(t, i);
        continue;
      }
      if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth == 0)
          return i + 1;
      }
      i++;
    }
  }
  while (t[i] != '\0' && strchr(",]} \t\r\n", t[i]) == NULL) i++;
  return i;
}

enum jscan_type jtext_type(const char* t, struct jspan v) {
  if (v.len == 0)
    return JSCAN_NONE;
  switch (t[v.off]) {
    case '{':
      return JSCAN_OBJECT;
    case '[':
      return JSCAN_ARRAY;
    case '"':
      return JSCAN_STRING;
    case 't':
      return JSCAN_TRUE;
    case 'f':
      return JSCAN_FALSE;
    case 'n':
      return JSCAN_NULL;
    default:
      return JSCAN_NUMBER;
  }
}

bool jtext_member(const char* t,
                  struct jspan obj,
                  const char* key,
                  struct jspan* val) {
  if (jtext_type(t, obj) != JSCAN_OBJECT)
    return false;
  size_t klen = strlen(key);
  size_t i = obj.off + 1;
  for (;;) {
    i = jm_ws(t, i);
    if (t[i] != '"')
      return false; /* '}' */
    size_t ks = i;
    size_t ke = jm_skip_string(t, i);
    i = jm_ws(t, ke) + 1; /* the ':' */
    i = jm_ws(t, i);
    size_t vs = i;
    size_t ve = jm_skip(t, i);
    if (jscan_str_equals(t + ks + 1, ke - ks - 2, key, klen)) {
      *val = (struct jspan){vs, ve - vs};
      return true;
    }
    i = jm_ws(t, ve);
    if (t[i] == ',')
      i++;
  }
}

bool jmsg_batch_next(const struct jmsg* m, size_t* pos, struct jspan* el) {
  if (m->kind != JRPC_BATCH)
    return false;
  const char* t = m->text;
  size_t i = jm_ws(t, *pos == 0 ? 1 : *pos);
  if (t[i] == ',')
    i = jm_ws(t, i + 1);
  if (t[i] == ']' || t[i] == '\0')
    return false;
  size_t e = jm_skip(t, i);
  *el = (struct jspan){i, e - i};
  *pos = e;
  return true;
}

bool jtext_element(const char* t,
                   struct jspan arr,
                   size_t* pos,
                   struct jspan* el) {
  if (arr.len < 2 || t[arr.off] != '[')
    return false;
  size_t i = jm_ws(t, *pos == 0 ? arr.off + 1 : *pos);
  if (t[i] == ',')
    i = jm_ws(t, i + 1);
  if (i >= arr.off + arr.len - 1 || t[i] == ']')
    return false;
  size_t e = jm_skip(t, i);
  *el = (struct jspan){i, e - i};
  *pos = e;
  return true;
}

static int jm_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

static unsigned jm_u4(const char* p) {
  return (unsigned)(jm_hex(p[0]) << 12 | jm_hex(p[1]) << 8 | jm_hex(p[2]) << 4 |
                    jm_hex(p[3]));
}

static size_t jm_utf8(unsigned cp, char* out) {
  unsigned char* o = (unsigned char*)out;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Undo the escapes of a string body (n bytes, valid): the result is never
 * longer than the body. */
static size_t jm_decode(const char* raw, size_t n, char* out) {
  size_t i = 0;
  size_t o = 0;
  while (i < n) {
    if (raw[i] != '\\') {
      out[o++] = raw[i++];
      continue;
    }
    char e = raw[i + 1];
    i += 2;
    switch (e) {
      case 'b':
        out[o++] = '\b';
        break;
      case 'f':
        out[o++] = '\f';
        break;
      case 'n':
        out[o++] = '\n';
        break;
      case 'r':
        out[o++] = '\r';
        break;
      case 't':
        out[o++] = '\t';
        break;
      case 'u': {
        unsigned cp = jm_u4(raw + i);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= n && raw[i] == '\\' &&
            raw[i + 1] == 'u') {
          unsigned lo = jm_u4(raw + i + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000)
          cp = 0xFFFD; /* a lone surrogate */
        o += jm_utf8(cp, out + o);
        break;
      }
      default: /* '"', '\\', '/' */
        out[o++] = e;
        break;
    }
  }
  return o;
}

char* jtext_string(const char* t, struct jspan v, size_t* n) {
  if (jtext_type(t, v) != JSCAN_STRING)
    return NULL;
  char* out = xmalloc(v.len);
  size_t k = jm_decode(t + v.off + 1, v.len - 2, out);
  out[k] = '\0';
  if (n != NULL)
    *n = k;
  return out;
}

bool jtext_str_eq(const char* t, struct jspan v, const char* s) {
  return jtext_type(t, v) == JSCAN_STRING &&
         jscan_str_equals(t + v.off + 1, v.len - 2, s, strlen(s));
}

cJSON* jtext_raw(const char* t, struct jspan v) {
  if (v.len == 0)
    return NULL;
  char* copy = xstrndup(t + v.off, v.len);
  cJSON* raw = cJSON_CreateRaw(copy);
  free(copy);
  if (raw == NULL) {
    fputs("mcpmon: out of memory (cJSON)\n", stderr);
    abort();
  }
  return raw;
}

cJSON* jtext_tree(const char* t, struct jspan v) {
  if (v.len == 0)
    return NULL;
  return cJSON_ParseWithLength(t + v.off, v.len);
}

struct jspan jmsg_get(const struct jmsg* m, ...) {
  struct jspan v = {0, m->len};
  va_list ap;
  va_start(ap, m);
  const char* key;
  while ((key = va_arg(ap, const char*)) != NULL) {
    if (!jtext_member(m->text, v, key, &v)) {
      v = (struct jspan){0, 0};
      break;
    }
  }
  va_end(ap);
  return v;
}

cJSON* jmsg_id(const struct jmsg* m) {
  return jtext_raw(m->text, m->id);
}

/* The number at v as a double (as cJSON reads it), NAN when absent. */
static double jm_number(const char* t, struct jspan v) {
  char buf[64];
  if (v.len == 0)
    return NAN;
  if (v.len >= sizeof(buf)) {
    char* heap = xstrndup(t + v.off, v.len);
    double d = strtod(heap, NULL);
    free(heap);
    return d;
  }
  memcpy(buf, t + v.off, v.len);
  buf[v.len] = '\0';
  return strtod(buf, NULL);
}

static bool jm_integral(double d) {
  return d >= -JM_INT_MAX && d <= JM_INT_MAX && d == (double)(int64_t)d;
}

int64_t jmsg_int_id(const struct jmsg* m) {
  if (jtext_type(m->text, m->id) != JSCAN_NUMBER)
    return -1;
  double d = jm_number(m->text, m->id);
  if (!jm_integral(d) || d < 0)
    return -1;
  return (int64_t)d;
}

/* ---- classification (jsonrpc.c's rules, on spans) ----------------------- */

static bool jm_id_valid(const char* t, struct jspan v) {
  enum jscan_type ty = jtext_type(t, v);
  return ty == JSCAN_STRING ||
         (ty == JSCAN_NUMBER && jm_integral(jm_number(t, v)));
}

static const char* jm_check(struct jmsg* m, const struct jspan* mem) {
  const char* t = m->text;
  if (!jtext_str_eq(t, mem[JM_JSONRPC], "2.0"))
    return "missing \"jsonrpc\": \"2.0\"";
  if (mem[JM_ID].len != 0 && !jm_id_valid(t, mem[JM_ID]))
    return "id must be a string or an integer";
  if (mem[JM_METHOD].len != 0) {
    if (jtext_type(t, mem[JM_METHOD]) != JSCAN_STRING)
      return "method must be a string";
    if (strlen(m->method) != m->method_len)
      return "method must not contain U+0000";
    if (mem[JM_RESULT].len != 0 || mem[JM_ERROR].len != 0)
      return "request has a result or error";
    if (mem[JM_PARAMS].len != 0 &&
        jtext_type(t, mem[JM_PARAMS]) != JSCAN_OBJECT)
      return "params must be an object";
    m->kind = mem[JM_ID].len != 0 ? JRPC_REQUEST : JRPC_NOTIFICATION;
    return NULL;
  }
  struct jspan result = mem[JM_RESULT];
  struct jspan error = mem[JM_ERROR];
  if (result.len == 0 && error.len == 0)
    return "missing method, result or error";
  if (result.len != 0 && error.len != 0)
    return "response has both result and error";
  if (mem[JM_PARAMS].len != 0)
    return "response has params";
  if (result.len != 0) {
    if (mem[JM_ID].len == 0)
      return "result without id";
    if (jtext_type(t, result) != JSCAN_OBJECT)
      return "result must be an object";
  } else {
    if (jtext_type(t, error) != JSCAN_OBJECT)
      return "error must be an object";
    struct jspan code;
    double c = jtext_member(t, error, "code", &code) &&
                       jtext_type(t, code) == JSCAN_NUMBER
                   ? jm_number(t, code)
                   : NAN;
    if (!jm_integral(c) || c < -2147483648.0 || c > 2147483647.0)
      return "error code must be an integer";
    struct jspan msg;
    if (!jtext_member(t, error, "message", &msg) ||
        jtext_type(t, msg) != JSCAN_STRING)
      return "error message must be a string";
  }
  m->kind = JRPC_RESPONSE;
  m->is_error = error.len != 0;
  return NULL;
}

static void jm_classify(struct jmsg* m, const struct jscan* sc) {
  if (sc->type == JSCAN_ARRAY) {
    m->kind = JRPC_BATCH;
    return;
  }
  m->kind = JRPC_INVALID;
  m->error_code = JRPC_INVALID_REQUEST;
  if (sc->type != JSCAN_OBJECT) {
    m->error_msg = "message is not a JSON object";
    return;
  }
  struct jspan mem[JM_COUNT] = {{0, 0}};
  const char* err = NULL;
  bool id_twice = false;
  size_t n =
      sc->nmembers < JSCAN_MAX_MEMBERS ? sc->nmembers : JSCAN_MAX_MEMBERS;
  for (size_t i = 0; i < n; i++) {
    const struct jscan_member* jm = &sc->members[i];
    const char* key = m->text + (jm->key_off - sc->off);
    int k = -1;
    for (int j = 0; j < JM_COUNT && k < 0; j++)
      if (jscan_str_equals(key, jm->key_len, jm_names[j], strlen(jm_names[j])))
        k = j;
    if (k < 0) {
      if (err == NULL)
        err = "unexpected member";
    } else if (mem[k].len != 0) {
      if (err == NULL)
        err = "duplicate member";
      id_twice |= k == JM_ID;
    } else {
      mem[k] = (struct jspan){jm->off - sc->off, jm->len};
    }
  }
  /* More members than JSON-RPC has: the first ones already hold a
   * duplicate or an unexpected one, so this only guards the rule. */
  if (err == NULL && sc->nmembers > JSCAN_MAX_MEMBERS)
    err = "unexpected member";
  if (mem[JM_ID].len != 0 && !id_twice && jm_id_valid(m->text, mem[JM_ID]))
    m->id = mem[JM_ID];
  m->method = jtext_string(m->text, mem[JM_METHOD], &m->method_len);
  m->params = mem[JM_PARAMS];
  if (err == NULL)
    err = jm_check(m, mem);
  if (err != NULL) {
    m->kind = JRPC_INVALID;
    m->is_error = false;
    m->error_msg = err;
    return;
  }
  m->error_code = 0;
}

/* ok: sc is the verdict that the text is valid; else sc->err says why
 * (NULL for no text). */
static struct jmsg* jm_make(const char* text,
                            size_t len,
                            const struct jscan* sc,
                            bool ok) {
  struct jmsg* m = xcalloc(1, sizeof(*m));
  size_t off = ok ? sc->off : 0;
  size_t n = ok ? sc->len : (text != NULL ? len : 0);
  m->cap = n + 2;
  m->text = xmalloc(m->cap);
  if (n > 0)
    memcpy(m->text, text + off, n);
  m->text[n] = '\0';
  m->len = n;
  if (ok && sc->line_break) {
    /* STDIO-1: one message, one line. A CR or LF in valid JSON is
     * whitespace between tokens (never inside a string): a space keeps
     * every offset. */
    for (char* p = m->text; (p = strpbrk(p, "\r\n")) != NULL; p++) *p = ' ';
  }
  if (!ok) {
    m->kind = JRPC_INVALID;
    m->error_code = JRPC_PARSE_ERROR;
    m->error_msg = len == 0 || sc->err == NULL ? "empty message" : sc->err;
    return m;
  }
  m->bad_utf8 = sc->bad_utf8;
  jm_classify(m, sc);
  return m;
}

struct jmsg* jmsg_parse(const char* text, size_t len) {
  struct jscan sc;
  sc.err = NULL;
  bool ok = text != NULL && len > 0 && jscan_scan(text, len, &sc);
  return jm_make(text, len, &sc, ok);
}

struct jmsg* jmsg_from_scan(const char* text,
                            size_t len,
                            const struct jscan* sc) {
  return jm_make(text, len, sc, true);
}

void jmsg_free(struct jmsg* m) {
  if (m == NULL)
    return;
  free(m->text);
  free(m->method);
  free(m);
}

/* ---- editing ------------------------------------------------------------ */

static void jm_follow(struct jspan* s, struct jspan at, size_t n) {
  if (s->len == 0)
    return;
  if (s->off >= at.off + at.len) { /* after the edit */
    s->off = s->off + n - at.len;
  } else if (s->off <= at.off && s->off + s->len >= at.off + at.len) {
    /* around it, or the edited span itself */
    s->len = s->len + n - at.len;
  }
}

void jmsg_replace(struct jmsg* m, struct jspan at, const char* with, size_t n) {
  size_t len = m->len - at.len + n;
  if (len + 2 > m->cap) {
    m->cap = len + 2 + len / 8;
    m->text = xrealloc(m->text, m->cap);
  }
  memmove(m->text + at.off + n, m->text + at.off + at.len,
          m->len - at.off - at.len + 1);
  memcpy(m->text + at.off, with, n);
  m->len = len;
  jm_follow(&m->id, at, n);
  jm_follow(&m->params, at, n);
}

/* s as a JSON string literal, on the heap. */
static char* jm_quote(const char* s, size_t* n) {
  size_t len = strlen(s);
  char* out = xmalloc(len * 6 + 3);
  size_t o = 0;
  out[o++] = '"';
  for (const unsigned char* p = (const unsigned char*)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      out[o++] = '\\';
      out[o++] = (char)*p;
    } else if (*p < 0x20) {
      o += (size_t)snprintf(out + o, 7, "\\u%04x", *p);
    } else {
      out[o++] = (char)*p;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
  *n = o;
  return out;
}

void jmsg_replace_string(struct jmsg* m, struct jspan at, const char* s) {
  size_t n;
  char* q = jm_quote(s, &n);
  jmsg_replace(m, at, q, n);
  free(q);
}

void jmsg_replace_json(struct jmsg* m, struct jspan at, const cJSON* v) {
  char buf[32];
  size_t n;
  char* heap;
  const char* text = jrpc_id_text(v, buf, &n, &heap);
  jmsg_replace(m, at, text, n);
  free(heap);
}

void jmsg_replace_int(struct jmsg* m, struct jspan at, int64_t v) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
  jmsg_replace(m, at, buf, (size_t)n);
}

void jmsg_insert_member(struct jmsg* m,
                        struct jspan obj,
                        const char* key,
                        const char* value) {
  size_t kn;
  char* k = jm_quote(key, &kn);
  bool empty = m->text[jm_ws(m->text, obj.off + 1)] == '}';
  char* member = xasprintf("%s:%s%s", k, value, empty ? "" : ",");
  jmsg_replace(m, (struct jspan){obj.off + 1, 0}, member, strlen(member));
  free(member);
  free(k);
}

char* jmsg_take_line(struct jmsg* m, size_t* len) {
  if (m->len + 2 > m->cap)
    m->text = xrealloc(m->text, m->len + 2);
  char* text = m->text;
  text[m->len] = '\n';
  text[m->len + 1] = '\0';
  *len = m->len + 1;
  free(m->method);
  free(m);
  return text;
}
