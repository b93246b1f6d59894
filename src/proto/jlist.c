/* jlist.c - a list result's array indexed as text. See jlist.h.
 *
 * The walk below reads a text jscan accepted (or that the caller says it
 * accepted); it still checks every bound, so that a text that is not
 * valid after all ends in an error, never in a read past its end. */
#include "proto/jlist.h"

#include <stdlib.h>
#include <string.h>

#include "proto/jscan.h"

static size_t jl_ws(const char* t, size_t len, size_t i) {
  while (i < len &&
         (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
    i++;
  return i;
}

/* t[i] is '"': the offset just past the closing quote, or len. */
static size_t jl_string(const char* t, size_t len, size_t i) {
  for (i++; i < len; i++) {
    if (t[i] == '\\')
      i++;
    else if (t[i] == '"')
      return i + 1;
  }
  return len;
}

size_t jlist_skip_value(const char* t, size_t len, size_t i) {
  if (i >= len)
    return len;
  if (t[i] == '"')
    return jl_string(t, len, i);
  if (t[i] == '{' || t[i] == '[') {
    size_t depth = 0;
    while (i < len) {
      char c = t[i];
      if (c == '"') {
        i = jl_string(t, len, i);
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
    return len;
  }
  while (i < len && t[i] != ',' && t[i] != ']' && t[i] != '}' && t[i] != ' ' &&
         t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
    i++;
  return i;
}

/* The members of the object at t[i] ('{'): calls visit for each, stops
 * when it returns false. Returns the offset past '}', or 0 when the text
 * is not as it should be. */
typedef bool (*jl_visit)(void* ctx,
                         const char* t,
                         size_t key_off,
                         size_t key_len,
                         size_t val_off,
                         size_t val_end);

static size_t jl_members(
    const char* t, size_t len, size_t i, jl_visit visit, void* ctx) {
  bool go = true;
  i = jl_ws(t, len, i + 1);
  if (i < len && t[i] == '}')
    return i + 1;
  while (i < len) {
    if (t[i] != '"')
      return 0;
    size_t key_end = jl_string(t, len, i);
    if (key_end >= len)
      return 0;
    size_t j = jl_ws(t, len, key_end);
    if (j >= len || t[j] != ':')
      return 0;
    size_t v = jl_ws(t, len, j + 1);
    if (v >= len)
      return 0;
    size_t ve = jlist_skip_value(t, len, v);
    if (ve >= len)
      return 0;
    if (go)
      go = visit(ctx, t, i + 1, key_end - i - 2, v, ve);
    i = jl_ws(t, len, ve);
    if (i >= len)
      return 0;
    if (t[i] == '}')
      return i + 1;
    if (t[i] != ',')
      return 0;
    i = jl_ws(t, len, i + 1);
  }
  return 0;
}

static bool jl_key_is(const char* t, size_t off, size_t n, const char* key) {
  return jscan_str_equals(t + off, n, key, strlen(key));
}

/* ---- the top-level object ----------------------------------------------- */

struct jl_top {
  const char* key;
  bool found, cursor_found;
  size_t arr_off, arr_end;
  bool has_cursor;
  size_t cursor_off, cursor_len;
};

static bool jl_visit_top(
    void* ctx, const char* t, size_t ko, size_t kl, size_t vo, size_t ve) {
  struct jl_top* top = ctx;
  if (!top->found && jl_key_is(t, ko, kl, top->key)) {
    top->found = true;
    top->arr_off = vo;
    top->arr_end = ve;
  } else if (!top->cursor_found && jl_key_is(t, ko, kl, "nextCursor")) {
    top->cursor_found = true;
    if (t[vo] == '"') {
      top->has_cursor = true;
      top->cursor_off = vo + 1;
      top->cursor_len = ve - vo - 2;
    }
  }
  return true;
}

/* ---- one item ------------------------------------------------------------ */

struct jl_item {
  const char* name_key;
  struct jlist_item* it;
};

static bool jl_visit_item(
    void* ctx, const char* t, size_t ko, size_t kl, size_t vo, size_t ve) {
  struct jl_item* x = ctx;
  if (!jl_key_is(t, ko, kl, x->name_key))
    return true;
  /* The first member of that name counts, as cJSON's lookup finds it. */
  if (t[vo] == '"') {
    x->it->has_name = true;
    x->it->name_off = vo + 1;
    x->it->name_len = ve - vo - 2;
    x->it->name_escaped = memchr(t + vo + 1, '\\', ve - vo - 2) != NULL;
  }
  return false;
}

void jlist_free(struct jlist* out) {
  free(out->items);
  memset(out, 0, sizeof(*out));
}

static bool jl_fail(struct jlist* out, const char** err, const char* why) {
  jlist_free(out);
  if (err != NULL)
    *err = why;
  return false;
}

bool jlist_index(const char* t,
                 size_t len,
                 bool valid,
                 const char* key,
                 const char* name_key,
                 size_t max_items,
                 struct jlist* out,
                 const char** err) {
  jlist_free(out);
  if (!valid) {
    struct jscan sc;
    if (!jscan_scan(t, len, &sc))
      return jl_fail(out, err, sc.err != NULL ? sc.err : "not JSON");
  }
  size_t i = jl_ws(t, len, 0);
  if (i >= len || t[i] != '{')
    return jl_fail(out, err, "the result is not an object");
  struct jl_top top = {.key = key};
  if (jl_members(t, len, i, jl_visit_top, &top) == 0)
    return jl_fail(out, err, "malformed result");
  if (!top.found || t[top.arr_off] != '[')
    return jl_fail(out, err, "the result holds no array of items");
  out->has_cursor = top.has_cursor;
  out->cursor_off = top.cursor_off;
  out->cursor_len = top.cursor_len;
  size_t cap = 0, end = top.arr_end;
  i = jl_ws(t, end, top.arr_off + 1);
  if (i < end && t[i] == ']')
    return true;
  while (i < end) {
    if (out->n >= max_items) {
      out->truncated = true;
      return true;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      struct jlist_item* grown = realloc(out->items, cap * sizeof(*grown));
      if (grown == NULL)
        return jl_fail(out, err, "out of memory");
      out->items = grown;
    }
    struct jlist_item* it = &out->items[out->n];
    memset(it, 0, sizeof(*it));
    it->off = i;
    size_t ie;
    if (t[i] == '{') {
      struct jl_item x = {.name_key = name_key, .it = it};
      ie = jl_members(t, end, i, jl_visit_item, &x);
      if (ie == 0)
        return jl_fail(out, err, "malformed item");
    } else {
      ie = jlist_skip_value(t, end, i);
    }
    if (ie <= i || ie >= end)
      return jl_fail(out, err, "malformed array");
    it->len = ie - i;
    out->n++;
    i = jl_ws(t, end, ie);
    if (i >= end)
      return jl_fail(out, err, "malformed array");
    if (t[i] == ']')
      return true;
    if (t[i] != ',')
      return jl_fail(out, err, "malformed array");
    i = jl_ws(t, end, i + 1);
  }
  return jl_fail(out, err, "malformed array");
}
