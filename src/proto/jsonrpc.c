/* jsonrpc.c - see jsonrpc.h.
 *
 * Two cJSON 1.7.15 habits are worked around here:
 * - cJSON_ParseWithLength ignores text after the first value, so jrpc_parse
 *   asks where parsing stopped and rejects anything but whitespace after it.
 * - print_number checks its 15-digit form with a relative tolerance and so
 *   prints 9007199254740991 as 9.00719925474099e+15 and 0.30000000000000004
 *   as 0.3 (and it is slow). jrpc_serialize prints numbers itself (see
 *   jrpc_num_text).
 */
#include "proto/jsonrpc.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "proto/jscan.h"

/* 2^53 - 1 (JavaScript's largest safe integer): an id up to this is read
 * and written back exactly; 2^53 + 1 would read as 2^53 and come back as
 * another id, so 2^53 and beyond are refused. */
#define JRPC_INT_MAX 9007199254740991.0

enum {
  JRPC_M_JSONRPC,
  JRPC_M_ID,
  JRPC_M_METHOD,
  JRPC_M_PARAMS,
  JRPC_M_RESULT,
  JRPC_M_ERROR,
  JRPC_M_COUNT,
};

static const char* const jrpc_member_names[JRPC_M_COUNT] = {
    "jsonrpc", "id", "method", "params", "result", "error",
};

/* cJSON returns NULL when its allocator fails; treat it as xmalloc does. */
static void* jrpc_must(void* p) {
  if (p == NULL) {
    fprintf(stderr, "mcpmon: out of memory (cJSON)\n");
    abort();
  }
  return p;
}

static bool jrpc_is_integral(double d) {
  return d >= -JRPC_INT_MAX && d <= JRPC_INT_MAX && d == (double)(int64_t)d;
}

static bool jrpc_is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int jrpc_member_index(const char* name) {
  for (int i = 0; i < JRPC_M_COUNT; i++) {
    if (name != NULL && strcmp(name, jrpc_member_names[i]) == 0)
      return i;
  }
  return -1;
}

/* Check an object's members against STDIO-4/5. Sets kind and is_error and
 * returns NULL, or returns what is wrong. */
static const char* jrpc_check(const cJSON* m[JRPC_M_COUNT],
                              struct jrpc_msg* out) {
  const cJSON* jsonrpc = m[JRPC_M_JSONRPC];
  if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0)
    return "missing \"jsonrpc\": \"2.0\"";
  if (m[JRPC_M_ID] != NULL && !jrpc_id_valid(m[JRPC_M_ID]))
    return "id must be a string or an integer";

  if (m[JRPC_M_METHOD] != NULL) {
    if (!cJSON_IsString(m[JRPC_M_METHOD]))
      return "method must be a string";
    if (m[JRPC_M_RESULT] != NULL || m[JRPC_M_ERROR] != NULL)
      return "request has a result or error";
    if (m[JRPC_M_PARAMS] != NULL && !cJSON_IsObject(m[JRPC_M_PARAMS]))
      return "params must be an object";
    out->kind = m[JRPC_M_ID] != NULL ? JRPC_REQUEST : JRPC_NOTIFICATION;
    return NULL;
  }

  const cJSON* result = m[JRPC_M_RESULT];
  const cJSON* error = m[JRPC_M_ERROR];
  if (result == NULL && error == NULL)
    return "missing method, result or error";
  if (result != NULL && error != NULL)
    return "response has both result and error";
  if (m[JRPC_M_PARAMS] != NULL)
    return "response has params";
  if (result != NULL) {
    if (m[JRPC_M_ID] == NULL)
      return "result without id";
    if (!cJSON_IsObject(result))
      return "result must be an object";
  } else {
    /* An error may lack an id: the reply to a parse error (STDIO-4). */
    if (!cJSON_IsObject(error))
      return "error must be an object";
    const cJSON* code = cJSON_GetObjectItemCaseSensitive(error, "code");
    if (!cJSON_IsNumber(code) || !jrpc_is_integral(code->valuedouble) ||
        code->valuedouble < -2147483648.0 || code->valuedouble > 2147483647.0)
      return "error code must be an integer";
    const cJSON* msg = cJSON_GetObjectItemCaseSensitive(error, "message");
    if (!cJSON_IsString(msg))
      return "error message must be a string";
  }
  out->kind = JRPC_RESPONSE;
  out->is_error = error != NULL;
  return NULL;
}

static void jrpc_classify(struct jrpc_msg* out) {
  const cJSON* root = out->root;
  if (cJSON_IsArray(root)) {
    out->kind = JRPC_BATCH;
    return;
  }
  out->kind = JRPC_INVALID;
  out->error_code = JRPC_INVALID_REQUEST;
  if (!cJSON_IsObject(root)) {
    out->error_msg = "message is not a JSON object";
    return;
  }

  /* Collect every member first, so the id is known whatever is wrong. */
  const cJSON* m[JRPC_M_COUNT] = {0};
  const char* err = NULL;
  bool id_twice = false;
  for (const cJSON* it = root->child; it != NULL; it = it->next) {
    int k = jrpc_member_index(it->string);
    if (k < 0) {
      if (err == NULL)
        err = "unexpected member";
    } else if (m[k] != NULL) {
      if (err == NULL)
        err = "duplicate member";
      id_twice |= k == JRPC_M_ID;
    } else {
      m[k] = it;
    }
  }
  if (m[JRPC_M_ID] != NULL && !id_twice && jrpc_id_valid(m[JRPC_M_ID]))
    out->id = m[JRPC_M_ID];
  if (cJSON_IsString(m[JRPC_M_METHOD]))
    out->method = m[JRPC_M_METHOD]->valuestring;

  if (err == NULL)
    err = jrpc_check(m, out);
  if (err != NULL) {
    out->kind = JRPC_INVALID;
    out->is_error = false;
    out->error_msg = err;
    return;
  }
  out->error_code = 0;
  out->error_msg = NULL;
}

void jrpc_parse_strict(const char* text, size_t len, struct jrpc_msg* out) {
  struct jscan scan;
  if (text != NULL && len > 0 && !jscan_scan(text, len, &scan)) {
    memset(out, 0, sizeof(*out));
    out->kind = JRPC_INVALID;
    out->error_code = JRPC_PARSE_ERROR;
    out->error_msg = scan.err;
    return;
  }
  jrpc_parse(text, len, out);
}

void jrpc_parse(const char* text, size_t len, struct jrpc_msg* out) {
  memset(out, 0, sizeof(*out));
  out->kind = JRPC_INVALID;
  out->error_code = JRPC_PARSE_ERROR;
  out->error_msg = "not valid JSON";
  if (text == NULL || len == 0)
    return;

  const char* end = NULL;
  cJSON* root = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (root == NULL)
    return;
  for (; end < text + len; end++) {
    if (!jrpc_is_ws(*end)) {
      cJSON_Delete(root);
      out->error_msg = "text after the JSON value";
      return;
    }
  }
  out->root = root;
  out->error_code = 0;
  out->error_msg = NULL;
  jrpc_classify(out);
}

void jrpc_from_tree(cJSON* root, struct jrpc_msg* out) {
  memset(out, 0, sizeof(*out));
  out->root = root;
  jrpc_classify(out);
}

void jrpc_msg_free(struct jrpc_msg* m) {
  cJSON_Delete(m->root);
  memset(m, 0, sizeof(*m));
}

bool jrpc_id_valid(const cJSON* id) {
  if (cJSON_IsRaw(id))
    return id->valuestring != NULL; /* checked where it was read (jmsg.h) */
  if (cJSON_IsString(id))
    return id->valuestring != NULL;
  return cJSON_IsNumber(id) && jrpc_is_integral(id->valuedouble);
}

/* An id or token kept as its exact text (a raw item, jmsg.h) compared
 * with another: strings by their value (escapes undone), numbers by
 * their text. */
struct jrpc_idv {
  bool is_string;
  const char* s; /* the string's value, or the number's text */
  cJSON* parsed; /* a raw string parsed, freed by the caller */
  char buf[32];
};

static bool jrpc_idv(const cJSON* v, struct jrpc_idv* out) {
  out->parsed = NULL;
  if (cJSON_IsString(v)) {
    out->is_string = true;
    out->s = v->valuestring;
    return true;
  }
  if (cJSON_IsNumber(v)) {
    out->is_string = false;
    jrpc_id_format(v, out->buf, sizeof(out->buf));
    out->s = out->buf;
    return true;
  }
  if (!cJSON_IsRaw(v) || v->valuestring == NULL)
    return false;
  out->s = v->valuestring;
  out->is_string = out->s[0] == '"';
  if (out->is_string) {
    out->parsed = cJSON_Parse(out->s);
    if (cJSON_IsString(out->parsed))
      out->s = out->parsed->valuestring;
  }
  return true;
}

bool jrpc_id_equal(const cJSON* a, const cJSON* b) {
  if (a == NULL || b == NULL)
    return a == b;
  if (cJSON_IsRaw(a) || cJSON_IsRaw(b)) {
    struct jrpc_idv x, y;
    if (!jrpc_idv(a, &x))
      return false;
    bool eq =
        jrpc_idv(b, &y) && x.is_string == y.is_string && strcmp(x.s, y.s) == 0;
    cJSON_Delete(x.parsed);
    cJSON_Delete(y.parsed);
    return eq;
  }
  if (cJSON_IsString(a) && cJSON_IsString(b))
    return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return a->valuedouble == b->valuedouble;
  return false;
}

/* Append n bytes at *pos if they fit before the terminating NUL. */
static bool jrpc_put(
    char* buf, size_t cap, size_t* pos, const char* s, size_t n) {
  if (*pos + n >= cap)
    return false;
  memcpy(buf + *pos, s, n);
  *pos += n;
  return true;
}

void jrpc_id_format(const cJSON* id, char* buf, size_t cap) {
  if (cap == 0)
    return;
  if (cJSON_IsRaw(id) && id->valuestring != NULL) {
    snprintf(buf, cap, "%s", id->valuestring);
    for (char* p = buf; *p != '\0'; p++) /* one log line */
      if ((unsigned char)*p < 0x20)
        *p = ' ';
    return;
  }
  if (cJSON_IsNumber(id)) {
    double d = id->valuedouble;
    if (jrpc_is_integral(d))
      snprintf(buf, cap, "%" PRId64, (int64_t)d);
    else
      snprintf(buf, cap, "%.17g", d);
    return;
  }
  if (!cJSON_IsString(id)) {
    snprintf(buf, cap, "%s", id == NULL ? "(none)" : "(invalid)");
    return;
  }

  /* JSON-style escaping keeps logs on one line and keys unambiguous. */
  size_t pos = 0;
  bool fits = jrpc_put(buf, cap, &pos, "\"", 1);
  for (const char* p = id->valuestring; fits && *p != '\0'; p++) {
    unsigned char c = (unsigned char)*p;
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      fits = jrpc_put(buf, cap, &pos, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof(esc), "\\u%04x", c);
      fits = jrpc_put(buf, cap, &pos, esc, 6);
    } else {
      fits = jrpc_put(buf, cap, &pos, (const char*)p, 1);
    }
  }
  if (fits)
    jrpc_put(buf, cap, &pos, "\"", 1);
  buf[pos] = '\0';
}

/* Add key (a string literal) to obj, replacing a member of that name in
 * place. Takes ownership of item. */
static void jrpc_put_member(cJSON* obj, const char* key, cJSON* item) {
  cJSON* old = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (old == NULL) {
    if (!cJSON_AddItemToObjectCS(obj, key, item))
      abort(); /* only fails on NULL arguments */
    return;
  }
  if (!(item->type & cJSON_StringIsConst))
    cJSON_free(item->string);
  item->string = (char*)key;
  item->type |= cJSON_StringIsConst;
  cJSON_ReplaceItemViaPointer(obj, old, item);
}

static cJSON* jrpc_new(const cJSON* id) {
  cJSON* msg = jrpc_must(cJSON_CreateObject());
  jrpc_put_member(msg, "jsonrpc", jrpc_must(cJSON_CreateString("2.0")));
  if (id != NULL)
    jrpc_set_id(msg, id);
  return msg;
}

cJSON* jrpc_make_request(int64_t id, const char* method, cJSON* params) {
  cJSON* msg = jrpc_new(NULL);
  jrpc_set_int_id(msg, id);
  jrpc_put_member(msg, "method", jrpc_must(cJSON_CreateString(method)));
  if (params != NULL)
    jrpc_put_member(msg, "params", params);
  return msg;
}

cJSON* jrpc_make_notification(const char* method, cJSON* params) {
  cJSON* msg = jrpc_new(NULL);
  jrpc_put_member(msg, "method", jrpc_must(cJSON_CreateString(method)));
  if (params != NULL)
    jrpc_put_member(msg, "params", params);
  return msg;
}

cJSON* jrpc_make_result(const cJSON* id, cJSON* result) {
  cJSON* msg = jrpc_new(id);
  if (result == NULL)
    result = jrpc_must(cJSON_CreateObject());
  jrpc_put_member(msg, "result", result);
  return msg;
}

cJSON* jrpc_make_error(const cJSON* id,
                       int code,
                       const char* message,
                       cJSON* data) {
  cJSON* msg = jrpc_new(id);
  if (id == NULL) /* JSON-RPC 2.0 section 5: null when unreadable */
    jrpc_put_member(msg, "id", jrpc_must(cJSON_CreateNull()));
  cJSON* error = jrpc_must(cJSON_CreateObject());
  jrpc_put_member(error, "code", jrpc_must(cJSON_CreateNumber(code)));
  jrpc_put_member(error, "message",
                  jrpc_must(cJSON_CreateString(message ? message : "")));
  if (data != NULL)
    jrpc_put_member(error, "data", data);
  jrpc_put_member(msg, "error", error);
  return msg;
}

void jrpc_set_id(cJSON* msg, const cJSON* id) {
  if (id == NULL) {
    cJSON_DeleteItemFromObjectCaseSensitive(msg, "id");
    return;
  }
  jrpc_put_member(msg, "id", jrpc_must(cJSON_Duplicate(id, true)));
}

void jrpc_set_int_id(cJSON* msg, int64_t id) {
  jrpc_put_member(msg, "id", jrpc_must(cJSON_CreateNumber((double)id)));
}

int64_t jrpc_int_id(const cJSON* id) {
  if (cJSON_IsRaw(id) && id->valuestring != NULL) {
    char* end;
    double d = strtod(id->valuestring, &end);
    return *end == '\0' && jrpc_is_integral(d) && d >= 0 ? (int64_t)d : -1;
  }
  if (!cJSON_IsNumber(id) || !jrpc_is_integral(id->valuedouble) ||
      id->valuedouble < 0)
    return -1;
  return (int64_t)id->valuedouble;
}

/* A number node printed by jrpc_num_text instead of cJSON, with its text. */
struct jrpc_patch {
  cJSON* node;
  int type;
  char* valuestring;
  char text[32];
};

struct jrpc_patches {
  struct jrpc_patch* v; /* local, or heap beyond its size */
  size_t n;
  size_t cap;
  struct jrpc_patch local[8];
};

/* Decimal text of an integer, as "%" PRId64 prints it, without printf. */
static void jrpc_int_text(int64_t v, char* text) {
  char rev[24];
  size_t n = 0;
  uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
  do {
    rev[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    *text++ = '-';
  while (n > 0) *text++ = rev[--n];
  *text = '\0';
}

/* Fills text with the shortest exact form of n and returns true, or returns
 * false to leave n to cJSON (non-finite: "null"; -0: "-0"). Every finite
 * number is printed here: cJSON's print_number would be inexact for
 * integers of 16 digits up to 2^53 and for values whose 15-digit form it
 * accepts as close enough, and for all others it costs a "%1.15g" sprintf
 * plus an sscanf check, integers (ids) included, which bench/ found to be
 * a fifth of the proxy's work per message. */
static bool jrpc_num_text(const cJSON* n, char* text, size_t cap) {
  double d = n->valuedouble;
  if (!isfinite(d) || (d == 0 && signbit(d)))
    return false;
  if (jrpc_is_integral(d)) {
    jrpc_int_text((int64_t)d, text); /* at most 17 characters */
    return true;
  }
  snprintf(text, cap, "%1.15g", d);
  if (strtod(text, NULL) != d)
    snprintf(text, cap, "%1.16g", d);
  if (strtod(text, NULL) != d)
    snprintf(text, cap, "%1.17g", d);
  char point = localeconv()->decimal_point[0];
  for (char* p = text; *p != '\0'; p++) {
    if (*p == point)
      *p = '.';
  }
  return true;
}

static void jrpc_collect(const cJSON* node, struct jrpc_patches* ps) {
  for (const cJSON* c = node->child; c != NULL; c = c->next)
    jrpc_collect(c, ps);
  char text[32];
  if (!cJSON_IsNumber(node) || !jrpc_num_text(node, text, sizeof(text)))
    return;
  if (ps->n == ps->cap) {
    struct jrpc_patch* v = xmalloc(ps->cap * 2 * sizeof(*v));
    memcpy(v, ps->v, ps->n * sizeof(*v));
    if (ps->v != ps->local)
      free(ps->v);
    ps->v = v;
    ps->cap *= 2;
  }
  struct jrpc_patch* p = &ps->v[ps->n++];
  /* The tree is const to callers; it is changed only until jrpc_serialize
   * returns, and its nodes were allocated non-const. */
  p->node = (cJSON*)node;
  memcpy(p->text, text, sizeof(text));
}

const char* jrpc_id_text(const cJSON* id, char* buf, size_t* len, char** heap) {
  *heap = NULL;
  if (cJSON_IsNumber(id)) {
    double d = id->valuedouble;
    if (jrpc_id_valid(id) && !(d == 0 && signbit(d))) {
      *len = (size_t)snprintf(buf, 32, "%" PRId64, (int64_t)d);
      return buf;
    }
  }
  *heap = jrpc_serialize(id, len);
  (*len)--; /* the '\n' */
  return *heap;
}

char* jrpc_serialize(const cJSON* msg, size_t* len) {
  struct jrpc_patches ps;
  ps.v = ps.local;
  ps.n = 0;
  ps.cap = ARRAY_LEN(ps.local);
  jrpc_collect(msg, &ps);
  for (size_t i = 0; i < ps.n; i++) {
    struct jrpc_patch* p = &ps.v[i];
    p->type = p->node->type;
    p->valuestring = p->node->valuestring;
    p->node->type = cJSON_Raw | (p->type & ~0xff);
    p->node->valuestring = p->text;
  }
  char* s = cJSON_PrintUnformatted(msg);
  for (size_t i = 0; i < ps.n; i++) {
    ps.v[i].node->type = ps.v[i].type;
    ps.v[i].node->valuestring = ps.v[i].valuestring;
  }
  if (ps.v != ps.local)
    free(ps.v);
  jrpc_must(s);

  size_t n = strlen(s);
  s = xrealloc(s, n + 2);
  s[n] = '\n';
  s[n + 1] = '\0';
  *len = n + 1;
  return s;
}

cJSON* jrpc_sniff_id(const char* head, size_t len) {
  const char* end = head + len;
  for (const char* s = head; s + 4 < end; s++) {
    if (memcmp(s, "\"id\"", 4) != 0)
      continue;
    s += 4;
    while (s < end && (*s == ' ' || *s == ':' || *s == '\t')) s++;
    if (s < end && *s == '"') {
      const char* q = memchr(s + 1, '"', (size_t)(end - s - 1));
      if (q == NULL || memchr(s + 1, '\\', (size_t)(q - s - 1)) != NULL)
        return NULL;
      char* str = xstrndup(s + 1, (size_t)(q - s - 1));
      cJSON* id = cJSON_CreateString(str);
      free(str);
      return id;
    }
    if (s < end && ((*s >= '0' && *s <= '9') || *s == '-')) {
      /* Not strtoll: head is not NUL-terminated. An integer that ends
       * before end and fits a valid id (jrpc_id_valid). */
      bool neg = *s == '-';
      const char* p = s + neg;
      const char* digits = p;
      uint64_t v = 0;
      while (p < end && *p >= '0' && *p <= '9' && v <= (uint64_t)JRPC_INT_MAX)
        v = v * 10 + (uint64_t)(*p++ - '0');
      if (p == digits || p == end || v > (uint64_t)JRPC_INT_MAX || *p == '.' ||
          *p == 'e' || *p == 'E')
        return NULL;
      return cJSON_CreateNumber(neg ? -(double)v : (double)v);
    }
    return NULL;
  }
  return NULL;
}

/* The id of a text response: plain digits (jscan has ruled out leading
 * zeros) below 2^53, as jrpc_id_valid accepts; else -1 (fractions,
 * exponents and negative numbers are left to jrpc_parse). */
static int64_t jrpc_text_id(const char* s, size_t n) {
  if (n == 0 || n > 16)
    return -1;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v < ((int64_t)1 << 53) ? v : -1; /* exactly, not as a double */
}

bool jrpc_scan_response(const char* text,
                        size_t len,
                        struct jrpc_text_response* out) {
  struct jscan s;
  return jscan_scan(text, len, &s) && jrpc_scanned_response(text, &s, out);
}

bool jrpc_scanned_response(const char* text,
                           const struct jscan* s,
                           struct jrpc_text_response* out) {
  if (s->type != JSCAN_OBJECT || s->nmembers != 3 || s->line_break)
    return false;
  int iv = jscan_find(s, text, "jsonrpc");
  int ii = jscan_find(s, text, "id");
  int ir = jscan_find(s, text, "result");
  int ie = jscan_find(s, text, "error");
  /* Three members, three different keys: none is there twice. */
  if (iv < 0 || ii < 0 || (ir < 0) == (ie < 0))
    return false;
  const struct jscan_member* mv = &s->members[iv];
  const struct jscan_member* mi = &s->members[ii];
  const struct jscan_member* mr = &s->members[ir >= 0 ? ir : ie];
  if (mv->type != JSCAN_STRING ||
      !jscan_str_equals(text + mv->off + 1, mv->len - 2, "2.0", 3) ||
      mi->type != JSCAN_NUMBER || mr->type != JSCAN_OBJECT)
    return false;
  int64_t id = jrpc_text_id(text + mi->off, mi->len);
  if (id < 0)
    return false;
  cJSON* error = NULL;
  if (ie >= 0) {
    /* As jrpc_check: only this member is parsed. */
    error = cJSON_ParseWithLength(text + mr->off, mr->len);
    const cJSON* code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON* msg = cJSON_GetObjectItemCaseSensitive(error, "message");
    if (!cJSON_IsNumber(code) || !jrpc_is_integral(code->valuedouble) ||
        code->valuedouble < -2147483648.0 || code->valuedouble > 2147483647.0 ||
        !cJSON_IsString(msg)) {
      cJSON_Delete(error);
      return false;
    }
  }
  out->off = s->off;
  out->len = s->len;
  out->id_off = mi->off;
  out->id_len = mi->len;
  out->id = id;
  out->error = error;
  return true;
}
