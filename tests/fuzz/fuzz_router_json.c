/* fuzz_router_json.c - a strict JSON reader for fuzz_router's checks, and
 * the check of every message mcpmon writes (STDIO-4).
 *
 * Written apart from cJSON (lenient: it takes 01, 1., raw control
 * characters in strings) and from src/core/jscan.c (under test: mcpmon
 * passes servers' responses on as text after jscan validated them), so
 * that "every line mcpmon writes is JSON-RPC" is judged by a third party.
 * It follows the RFC 8259 grammar only, builds nothing, and reports an
 * object's members as spans of the text, so that a line nested deeper
 * than cJSON reads is still judged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_router.h"

/* Deeper than any line of a 4 KiB input can nest; bounds the recursion. */
#define FZJ_MAX_DEPTH 4096

static const char* fzj_value(const char* p, const char* e, int depth);

static const char* fzj_ws(const char* p, const char* e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static int fzj_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* p at the opening quote; returns the end of the string or NULL. */
static const char* fzj_string(const char* p, const char* e) {
  for (p++; p < e; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"')
      return p + 1;
    if (c < 0x20)
      return NULL; /* control characters must be escaped */
    if (c != '\\')
      continue;
    if (++p >= e)
      return NULL;
    switch (*p) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        break;
      case 'u':
        if (e - p < 5)
          return NULL;
        for (int i = 1; i <= 4; i++)
          if (fzj_hex(p[i]) < 0)
            return NULL;
        p += 4;
        break;
      default:
        return NULL;
    }
  }
  return NULL;
}

static const char* fzj_digits(const char* p, const char* e) {
  const char* s = p;
  while (p < e && *p >= '0' && *p <= '9') p++;
  return p > s ? p : NULL;
}

static const char* fzj_number(const char* p, const char* e) {
  if (p < e && *p == '-')
    p++;
  if (p < e && *p == '0')
    p++; /* no leading zeros */
  else if ((p = fzj_digits(p, e)) == NULL)
    return NULL;
  if (p < e && *p == '.' && (p = fzj_digits(p + 1, e)) == NULL)
    return NULL;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < e && (*p == '+' || *p == '-'))
      p++;
    if ((p = fzj_digits(p, e)) == NULL)
      return NULL;
  }
  return p;
}

static const char* fzj_word(const char* p, const char* e, const char* w) {
  size_t n = strlen(w);
  return (size_t)(e - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

/* Members of an object starting at p ('{'); fills out (up to
 * FZJ_MAX_MEMBERS) when it is not NULL and counts them in *count. */
static const char* fzj_members(const char* p,
                               const char* e,
                               int depth,
                               struct fzj_member* out,
                               int* count) {
  int n = 0;
  p = fzj_ws(p + 1, e);
  if (p < e && *p == '}') {
    *count = 0;
    return p + 1;
  }
  for (;;) {
    if (p >= e || *p != '"')
      return NULL;
    const char* key = p;
    if ((p = fzj_string(p, e)) == NULL)
      return NULL;
    const char* key_end = p;
    p = fzj_ws(p, e);
    if (p >= e || *p != ':')
      return NULL;
    p = fzj_ws(p + 1, e);
    const char* val = p;
    if ((p = fzj_value(p, e, depth + 1)) == NULL)
      return NULL;
    if (out != NULL && n < FZJ_MAX_MEMBERS) {
      out[n].key = key + 1;
      out[n].key_len = (size_t)(key_end - key - 2);
      out[n].val = val;
      out[n].val_len = (size_t)(p - val);
      out[n].type = *val == '{'   ? FZJ_OBJECT
                    : *val == '[' ? FZJ_ARRAY
                    : *val == '"' ? FZJ_STRING
                    : (*val == '-' || (*val >= '0' && *val <= '9'))
                        ? FZJ_NUMBER
                        : FZJ_LITERAL;
    }
    n++;
    p = fzj_ws(p, e);
    if (p < e && *p == ',') {
      p = fzj_ws(p + 1, e);
      continue;
    }
    if (p < e && *p == '}') {
      *count = n;
      return p + 1;
    }
    return NULL;
  }
}

static const char* fzj_value(const char* p, const char* e, int depth) {
  if (p >= e || depth > FZJ_MAX_DEPTH)
    return NULL;
  switch (*p) {
    case '{': {
      int n;
      return fzj_members(p, e, depth, NULL, &n);
    }
    case '[':
      p = fzj_ws(p + 1, e);
      if (p < e && *p == ']')
        return p + 1;
      for (;;) {
        if ((p = fzj_value(p, e, depth + 1)) == NULL)
          return NULL;
        p = fzj_ws(p, e);
        if (p < e && *p == ',') {
          p = fzj_ws(p + 1, e);
          continue;
        }
        return p < e && *p == ']' ? p + 1 : NULL;
      }
    case '"':
      return fzj_string(p, e);
    case 't':
      return fzj_word(p, e, "true");
    case 'f':
      return fzj_word(p, e, "false");
    case 'n':
      return fzj_word(p, e, "null");
    default:
      return fzj_number(p, e);
  }
}

bool fzj_valid(const char* s, size_t n) {
  const char* e = s + n;
  const char* p = fzj_value(fzj_ws(s, e), e, 0);
  return p != NULL && fzj_ws(p, e) == e;
}

int fzj_object(const char* s, size_t n, struct fzj_member* out) {
  const char* e = s + n;
  int count;
  if (n == 0 || *s != '{')
    return -1;
  const char* p = fzj_members(s, e, 0, out, &count);
  return p == e ? count : -1;
}

/* Decode one character of a string's text at *p (escapes resolved; \u
 * as the code unit, enough to compare with ASCII names). */
static unsigned fzj_char(const char** p) {
  const char* s = *p;
  if (*s != '\\') {
    *p = s + 1;
    return (unsigned char)*s;
  }
  char c = s[1];
  *p = s + 2;
  switch (c) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'u': {
      unsigned v = 0;
      for (int i = 2; i < 6; i++) v = v * 16 + (unsigned)fzj_hex(s[i]);
      *p = s + 6;
      return v;
    }
    default:
      return (unsigned char)c;
  }
}

bool fzj_str_eq(const char* text, size_t len, const char* name) {
  const char* p = text;
  const char* e = text + len;
  for (; *name != '\0'; name++) {
    if (p >= e || fzj_char(&p) != (unsigned char)*name)
      return false;
  }
  return p == e;
}

const struct fzj_member* fzj_find(const struct fzj_member* m,
                                  int n,
                                  const char* name) {
  if (n > FZJ_MAX_MEMBERS)
    n = FZJ_MAX_MEMBERS;
  for (int i = 0; i < n; i++)
    if (fzj_str_eq(m[i].key, m[i].key_len, name))
      return &m[i];
  return NULL;
}

bool fzj_int(const char* text, size_t len, int64_t* out) {
  char buf[64];
  if (len == 0 || len >= sizeof(buf))
    return false;
  memcpy(buf, text, len);
  buf[len] = '\0';
  double d = strtod(buf, NULL);
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) ||
      d != (double)(int64_t)d)
    return false;
  *out = (int64_t)d;
  return true;
}

/* ---- JSON-RPC messages as mcpmon writes them ----------------------------- */

/* STDIO-4: one strict JSON object, no white space around it, only the
 * JSON-RPC members, each once, of the right types. */
void fzj_check_message(const char* s, size_t n, struct fz_out* o) {
  static const char* const names[] = {"jsonrpc", "id",     "method",
                                      "params",  "result", "error"};
  const struct fzj_member** slot[] = {&o->jsonrpc, &o->id,     &o->method,
                                      &o->params,  &o->result, &o->error};
  memset(o, 0, sizeof(*o));
  o->n = fzj_object(s, n, o->mem);
  FZ_EXPECT(o->n > 0 && o->n <= 5, "not one strict JSON object (STDIO-4)", s,
            n);
  for (int i = 0; i < o->n; i++) {
    int k = -1;
    for (int j = 0; j < 6; j++)
      if (fzj_str_eq(o->mem[i].key, o->mem[i].key_len, names[j]))
        k = j;
    FZ_EXPECT(k >= 0 && *slot[k] == NULL,
              "a member that is not JSON-RPC's, or one twice (STDIO-4)", s, n);
    *slot[k] = &o->mem[i];
  }
  FZ_EXPECT(o->jsonrpc != NULL && o->jsonrpc->type == FZJ_STRING &&
                fzj_str_eq(o->jsonrpc->val + 1, o->jsonrpc->val_len - 2, "2.0"),
            "jsonrpc is not \"2.0\" (STDIO-4)", s, n);
  int64_t v;
  /* "id": null on an error: the id could not be read (JSON-RPC 2.0 5). */
  FZ_EXPECT(o->id == NULL || o->id->type == FZJ_STRING ||
                (o->id->type == FZJ_LITERAL && o->id->val_len == 4 &&
                 memcmp(o->id->val, "null", 4) == 0 && o->error != NULL) ||
                (o->id->type == FZJ_NUMBER &&
                 fzj_int(o->id->val, o->id->val_len, &v)),
            "id is not a string or an integer (STDIO-4)", s, n);
  if (o->method != NULL) {
    FZ_EXPECT(o->method->type == FZJ_STRING && o->result == NULL &&
                  o->error == NULL &&
                  (o->params == NULL || o->params->type == FZJ_OBJECT),
              "a malformed request or notification (STDIO-4)", s, n);
    return;
  }
  FZ_EXPECT((o->result == NULL) != (o->error == NULL) && o->params == NULL,
            "a response without exactly one of result and error", s, n);
  FZ_EXPECT(o->result == NULL || (o->result->type == FZJ_OBJECT && o->id),
            "a result that is not an object, or without id (STDIO-4)", s, n);
  if (o->error != NULL) {
    struct fzj_member em[FZJ_MAX_MEMBERS];
    int en = fzj_object(o->error->val, o->error->val_len, em);
    const struct fzj_member* code = fzj_find(em, en, "code");
    const struct fzj_member* msg = fzj_find(em, en, "message");
    FZ_EXPECT(en >= 2 && code != NULL && code->type == FZJ_NUMBER &&
                  fzj_int(code->val, code->val_len, &v) && msg != NULL &&
                  msg->type == FZJ_STRING,
              "an error without integer code and string message", s, n);
  }
}

/* The value of member "fz" of an object's text, or -1. */
static long fzj_text_marker(const char* s, size_t n) {
  struct fzj_member mem[FZJ_MAX_MEMBERS];
  int k = fzj_object(s, n, mem);
  const struct fzj_member* fz = k > 0 ? fzj_find(mem, k, "fz") : NULL;
  int64_t v;
  if (fz == NULL || fz->type != FZJ_NUMBER ||
      !fzj_int(fz->val, fz->val_len, &v))
    return -1;
  return v >= 0 ? (long)v : -1;
}

/* The marker of a result, or of an error's data. */
long fzj_answer_marker(const struct fz_out* o) {
  if (o->result != NULL)
    return fzj_text_marker(o->result->val, o->result->val_len);
  struct fzj_member em[FZJ_MAX_MEMBERS];
  int en = fzj_object(o->error->val, o->error->val_len, em);
  const struct fzj_member* data = fzj_find(em, en, "data");
  if (data == NULL || data->type != FZJ_OBJECT)
    return -1;
  return fzj_text_marker(data->val, data->val_len);
}
