/* config_yaml.c - see config_yaml.h.
 *
 * Two passes. libyaml's event API builds a small tree of our own
 * (scalars, lists, mappings, each with its line:col); an alias shares the
 * anchored node instead of copying it, and counts what it would expand
 * to, so a "billion laughs" document stops after CY_MAX_NODES nodes or
 * CY_MAX_BYTES of text (a long string aliased many times). Then the
 * tree is validated into a scratch mcpmon_config whose servers move into
 * the caller's only when everything passed.
 */
#include "config/config_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config/cfgutil.h"
#include "config/suggest.h"

#define CY_MAX_FILE (4u * 1024u * 1024u)
#define CY_MAX_NODES 100000u  /* after alias expansion */
/* Scalar text after alias expansion, plus what $VARs expand to. */
#define CY_MAX_BYTES (16u * 1024u * 1024u)
#define CY_MAX_DEPTH 64       /* nested lists and mappings */
#define CY_MAX_MERGE_DEPTH 16 /* "<<" inside merged mappings */
#define CY_MAX_NAME 64        /* server names */
#define CY_MAX_SEPARATOR 8
#define CY_MAX_EXTS 256 /* per server: duplicates are found by scanning */
/* The same limits as the command line (cli.c). */
#define CY_MAX_DELAY_MS 60000u
#define CY_MAX_GRACE_MS 600000u
#define CY_MAX_QUEUE_TIMEOUT_MS 600000u

enum cy_kind { CY_SCALAR, CY_SEQ, CY_MAP };

/* One node of the document. Aliased nodes are shared, so the tree is a
 * DAG: nodes are freed through the ctx's chain, never through kids. */
struct cy_node {
  enum cy_kind kind;
  bool plain; /* scalar written plain and untagged */
  int line;   /* 1-based start */
  int col;
  char* text;            /* scalar: NUL-terminated value */
  size_t len;            /* scalar: bytes in text, which may hold NULs */
  struct cy_node** kids; /* list items; mapping keys and values in turn */
  size_t nkids;
  size_t cap;
  size_t weight;        /* nodes in this subtree, aliases expanded */
  size_t bytes;         /* scalar text in this subtree, aliases expanded */
  struct cy_node* next; /* the ctx's chain of every node */
};

struct cy_anchor {
  char* name;
  struct cy_node* node;
};

/* A mapping's key and value, merge keys resolved. */
struct cy_entry {
  const struct cy_node* key;
  const struct cy_node* val;
};

struct cy_entries {
  struct cy_entry* v;
  size_t n;
  size_t cap;
};

struct cy_ctx {
  struct config_error* err;
  const char* text;
  size_t len;
  char* base_dir;            /* absolute, normalised */
  struct cy_node* root;      /* NULL for an empty stream */
  struct cy_node* nodes;     /* every node, through next */
  struct cy_anchor* anchors; /* open addressing, cap a power of two */
  size_t nanchors;
  size_t anchors_cap;
  size_t total; /* nodes so far, aliases expanded */
  size_t bytes; /* text so far, aliases and $VARs expanded */
  bool aliased; /* some alias was used */
  bool queue_timeout_given;
};

/* Errors. */

static int cy_fail_at(struct cy_ctx* c, int line, int col, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cy_fail(struct cy_ctx* c,
                   const struct cy_node* at,
                   const char* fmt,
                   ...) __attribute__((format(printf, 3, 4)));

static int cy_failv(
    struct cy_ctx* c, int line, int col, const char* fmt, va_list ap) {
  struct config_error* e = c->err;
  e->line = line;
  e->col = col;
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  /* Keys and values come from the file: keep the message on one line. */
  for (char* p = e->msg; *p != '\0'; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  }
  return -1;
}

/* Fills c->err with the message at line:col; returns -1. */
static int cy_fail_at(
    struct cy_ctx* c, int line, int col, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cy_failv(c, line, col, fmt, ap);
  va_end(ap);
  return -1;
}

/* Fills c->err with the message at node at (NULL: no position). */
static int cy_fail(struct cy_ctx* c,
                   const struct cy_node* at,
                   const char* fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  cy_failv(c, at != NULL ? at->line : 0, at != NULL ? at->col : 0, fmt, ap);
  va_end(ap);
  return -1;
}

/* Growable strings. */

struct cy_buf {
  char* p;
  size_t n;
  size_t cap;
};

static void cy_buf_add(struct cy_buf* b, const char* s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (b->n + n + 1 > cap) cap *= 2;
    b->p = cfg_xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

/* The string built so far, owned by the caller; b is emptied. */
static char* cy_buf_take(struct cy_buf* b) {
  char* p = b->p != NULL ? b->p : cfg_xstrdup("");
  memset(b, 0, sizeof(*b));
  return p;
}

/* Paths. */

/* Drops empty and "." components and trailing slashes of the absolute
 * path s, in place. ".." is kept: without the file system it cannot be
 * undone safely (symbolic links). */
static void cy_path_normalize(char* s) {
  char* w = s;
  const char* r = s;
  for (;;) {
    while (*r == '/') r++;
    const char* e = r;
    while (*e != '\0' && *e != '/') e++;
    size_t n = (size_t)(e - r);
    if (n == 0)
      break;
    if (!(n == 1 && r[0] == '.')) {
      *w++ = '/';
      memmove(w, r, n);
      w += n;
    }
    r = e;
  }
  if (w == s)
    *w++ = '/';
  *w = '\0';
}

/* p made absolute against the absolute directory base, normalised. */
static char* cy_path_resolve(const char* base, const char* p) {
  struct cy_buf b = {0};
  if (p[0] != '/') {
    cy_buf_add(&b, base, strlen(base));
    cy_buf_add(&b, "/", 1);
  }
  cy_buf_add(&b, p, strlen(p));
  cy_path_normalize(b.p);
  return cy_buf_take(&b);
}

/* p made absolute against the working directory, or NULL with errno. */
static char* cy_path_absolute(const char* p) {
  if (p[0] == '/')
    return cy_path_resolve("/", p);
  char* cwd = getcwd(NULL, 0);
  if (cwd == NULL)
    return NULL;
  char* abs = cy_path_resolve(cwd, p);
  free(cwd);
  return abs;
}

/* Building the tree. */

static struct cy_node* cy_node_new(struct cy_ctx* c,
                                   enum cy_kind kind,
                                   yaml_mark_t m) {
  struct cy_node* n = cfg_xmalloc(sizeof(*n));
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  n->line = (int)m.line + 1;
  n->col = (int)m.column + 1;
  n->weight = 1;
  n->next = c->nodes;
  c->nodes = n;
  return n;
}

/* Adds n nodes to the running total; fails past CY_MAX_NODES. */
static int cy_count(struct cy_ctx* c, size_t n, yaml_mark_t m) {
  c->total += n;
  if (c->total <= CY_MAX_NODES)
    return 0;
  return cy_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                    "document too large%s (more than %u nodes)",
                    c->aliased ? " after alias expansion" : "", CY_MAX_NODES);
}

/* Adds n bytes of text to the running total; fails past CY_MAX_BYTES. */
static int cy_count_bytes(struct cy_ctx* c, size_t n, yaml_mark_t m) {
  c->bytes += n;
  if (c->bytes <= CY_MAX_BYTES)
    return 0;
  return cy_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                    "document too large%s (more than %u MiB of text)",
                    c->aliased ? " after alias expansion" : "",
                    CY_MAX_BYTES >> 20);
}

static size_t cy_hash(const char* s) {
  size_t h = 2166136261u;
  for (; *s != '\0'; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static struct cy_anchor* cy_anchor_slot(struct cy_anchor* tab,
                                        size_t cap,
                                        const char* name) {
  size_t mask = cap - 1;
  for (size_t i = cy_hash(name) & mask;; i = (i + 1) & mask) {
    if (tab[i].name == NULL || strcmp(tab[i].name, name) == 0)
      return &tab[i];
  }
}

static struct cy_node* cy_anchor_find(struct cy_ctx* c, const char* name) {
  if (c->anchors_cap == 0)
    return NULL;
  return cy_anchor_slot(c->anchors, c->anchors_cap, name)->node;
}

/* Points anchor name at n; a later anchor of the same name wins, as in
 * YAML. Copies name. */
static void cy_anchor_set(struct cy_ctx* c,
                          const char* name,
                          struct cy_node* n) {
  if ((c->nanchors + 1) * 2 > c->anchors_cap) {
    size_t cap = c->anchors_cap ? c->anchors_cap * 2 : 16;
    struct cy_anchor* tab = cfg_xmalloc(cap * sizeof(*tab));
    memset(tab, 0, cap * sizeof(*tab));
    for (size_t i = 0; i < c->anchors_cap; i++) {
      if (c->anchors[i].name != NULL)
        *cy_anchor_slot(tab, cap, c->anchors[i].name) = c->anchors[i];
    }
    free(c->anchors);
    c->anchors = tab;
    c->anchors_cap = cap;
  }
  struct cy_anchor* a = cy_anchor_slot(c->anchors, c->anchors_cap, name);
  if (a->name == NULL) {
    a->name = cfg_xstrdup(name);
    c->nanchors++;
  }
  a->node = n;
}

/* A list or mapping being read, with its anchor until it is complete:
 * registering it only then makes a self-referencing alias undefined. */
struct cy_frame {
  struct cy_node* node;
  char* anchor;
};

struct cy_builder {
  struct cy_frame stack[CY_MAX_DEPTH];
  int depth;
  int ndocs;
};

/* Hangs the complete node n under the open container, or makes it the
 * root. */
static void cy_attach(struct cy_ctx* c,
                      struct cy_builder* b,
                      struct cy_node* n) {
  if (b->depth == 0) {
    c->root = n;
    return;
  }
  struct cy_node* p = b->stack[b->depth - 1].node;
  if (p->nkids == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 4;
    p->kids = cfg_xrealloc(p->kids, p->cap * sizeof(*p->kids));
  }
  p->kids[p->nkids++] = n;
  p->weight += n->weight;
  p->bytes += n->bytes;
}

static int cy_open(struct cy_ctx* c,
                   struct cy_builder* b,
                   enum cy_kind kind,
                   const yaml_event_t* ev,
                   const yaml_char_t* anchor) {
  if (b->depth == CY_MAX_DEPTH)
    return cy_fail_at(
        c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
        "lists and mappings nested more than %d deep", CY_MAX_DEPTH);
  if (cy_count(c, 1, ev->start_mark) != 0)
    return -1;
  struct cy_frame* f = &b->stack[b->depth++];
  f->node = cy_node_new(c, kind, ev->start_mark);
  f->anchor = anchor != NULL ? cfg_xstrdup((const char*)anchor) : NULL;
  return 0;
}

static void cy_close(struct cy_ctx* c, struct cy_builder* b) {
  struct cy_frame* f = &b->stack[--b->depth];
  if (f->anchor != NULL) {
    cy_anchor_set(c, f->anchor, f->node);
    free(f->anchor);
    f->anchor = NULL;
  }
  cy_attach(c, b, f->node);
}

static int cy_event(struct cy_ctx* c,
                    struct cy_builder* b,
                    const yaml_event_t* ev) {
  yaml_mark_t m = ev->start_mark;
  switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
      if (++b->ndocs > 1)
        return cy_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                          "a second YAML document; the config file must "
                          "hold one");
      return 0;
    case YAML_SCALAR_EVENT: {
      if (cy_count(c, 1, m) != 0 ||
          cy_count_bytes(c, ev->data.scalar.length, m) != 0)
        return -1;
      struct cy_node* n = cy_node_new(c, CY_SCALAR, m);
      n->text = cfg_xstrndup((const char*)ev->data.scalar.value,
                             ev->data.scalar.length);
      n->len = ev->data.scalar.length;
      n->bytes = n->len;
      n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                 ev->data.scalar.tag == NULL;
      if (ev->data.scalar.anchor != NULL)
        cy_anchor_set(c, (const char*)ev->data.scalar.anchor, n);
      cy_attach(c, b, n);
      return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
      return cy_open(c, b, CY_SEQ, ev, ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
      return cy_open(c, b, CY_MAP, ev, ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      cy_close(c, b);
      return 0;
    case YAML_ALIAS_EVENT: {
      const char* name = (const char*)ev->data.alias.anchor;
      struct cy_node* n = cy_anchor_find(c, name);
      if (n == NULL)
        return cy_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                          "found undefined alias '%.64s'", name);
      c->aliased = true;
      if (cy_count(c, n->weight, m) != 0 ||
          cy_count_bytes(c, n->bytes, m) != 0)
        return -1;
      cy_attach(c, b, n);
      return 0;
    }
    default:
      return 0;
  }
}

/* Line and column of byte offset off in the text, for reader errors,
 * which carry only an offset. */
static void cy_offset_pos(const struct cy_ctx* c,
                          size_t off,
                          int* line,
                          int* col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < c->len; i++) {
    if (c->text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static int cy_syntax_error(struct cy_ctx* c, const yaml_parser_t* p) {
  const char* problem = p->problem != NULL ? p->problem : "invalid YAML";
  switch (p->error) {
    case YAML_MEMORY_ERROR:
      return cy_fail_at(c, 0, 0, "out of memory while reading YAML");
    case YAML_READER_ERROR: {
      int line, col;
      cy_offset_pos(c, p->problem_offset, &line, &col);
      if (p->problem_value != -1)
        return cy_fail_at(c, line, col, "%s (byte 0x%02x)", problem,
                          (unsigned)p->problem_value & 0xffu);
      return cy_fail_at(c, line, col, "%s", problem);
    }
    default:
      break;
  }
  int line = (int)p->problem_mark.line + 1;
  int col = (int)p->problem_mark.column + 1;
  if (p->context != NULL)
    return cy_fail_at(c, line, col, "%s (%s that started on line %d)", problem,
                      p->context, (int)p->context_mark.line + 1);
  return cy_fail_at(c, line, col, "%s", problem);
}

/* Parses c->text into c->root. */
static int cy_build(struct cy_ctx* c) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return cy_fail_at(c, 0, 0, "out of memory while reading YAML");
  yaml_parser_set_input_string(&p, (const unsigned char*)c->text, c->len);
  struct cy_builder b = {.depth = 0, .ndocs = 0};
  int rc = 0;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      rc = cy_syntax_error(c, &p);
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = cy_event(c, &b, &ev);
    yaml_event_delete(&ev);
  }
  while (b.depth > 0) free(b.stack[--b.depth].anchor);
  yaml_parser_delete(&p);
  return rc;
}

static void cy_ctx_free(struct cy_ctx* c) {
  for (struct cy_node* n = c->nodes; n != NULL;) {
    struct cy_node* next = n->next;
    free(n->text);
    free(n->kids);
    free(n);
    n = next;
  }
  for (size_t i = 0; i < c->anchors_cap; i++) free(c->anchors[i].name);
  free(c->anchors);
  free(c->base_dir);
  memset(c, 0, sizeof(*c));
}

/* Reading values. */

static bool cy_is_null(const struct cy_node* n) {
  if (n->kind != CY_SCALAR || !n->plain)
    return false;
  /* A bare "~" is YAML's null too, but here it means $HOME. */
  return n->len == 0 || strcmp(n->text, "null") == 0 ||
         strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* YAML 1.1 booleans, without the ambiguous y and n. */
static bool cy_bool_word(const char* s, bool* out) {
  static const char* const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                    "YES",  "on",   "On",   "ON"};
  static const char* const no[] = {"false", "False", "FALSE", "no", "No",
                                   "NO",    "off",   "Off",   "OFF"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(s, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

static bool cy_is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

static bool cy_looks_number(const char* s) {
  if (*s == '-' || *s == '+')
    s++;
  if (!cy_is_digit(*s))
    return false;
  while (cy_is_digit(*s) || *s == '.' || *s == '_') s++;
  return *s == '\0';
}

/* What n is, for "got ..." in messages. */
static const char* cy_what(const struct cy_node* n) {
  bool b;
  if (n->kind == CY_MAP)
    return "a mapping";
  if (n->kind == CY_SEQ)
    return "a list";
  if (cy_is_null(n))
    return "an empty value";
  if (n->plain && cy_bool_word(n->text, &b))
    return "a boolean";
  if (n->plain && cy_looks_number(n->text))
    return "a number";
  return "a string";
}

static bool cy_has_nul(const struct cy_node* n) {
  return strlen(n->text) != n->len;
}

static bool cy_is_merge(const struct cy_node* key) {
  return key->kind == CY_SCALAR && key->plain && strcmp(key->text, "<<") == 0;
}

static bool cy_name_start(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool cy_name_char(char ch) {
  return cy_name_start(ch) || cy_is_digit(ch);
}

static bool cy_env_name_ok(const char* s, size_t n) {
  if (n == 0 || !cy_name_start(s[0]))
    return false;
  for (size_t i = 1; i < n; i++) {
    if (!cy_name_char(s[i]))
      return false;
  }
  return true;
}

/* Mappings. */

struct cy_keyref {
  const char* text;
  size_t order;
};

static int cy_keyref_cmp(const void* a, const void* b) {
  const struct cy_keyref* x = a;
  const struct cy_keyref* y = b;
  int r = strcmp(x->text, y->text);
  if (r != 0)
    return r;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Checks the keys written in map: strings, no NULs, no duplicates.
 * what names a key ("server name", "key"); where is appended to it. */
static int cy_check_keys(struct cy_ctx* c,
                         const struct cy_node* map,
                         const char* what,
                         const char* where) {
  size_t n = map->nkids / 2;
  for (size_t i = 0; i < n; i++) {
    const struct cy_node* k = map->kids[2 * i];
    if (k->kind != CY_SCALAR)
      return cy_fail(c, k, "expected a string as %s%s, got %s", what, where,
                     cy_what(k));
    if (cy_has_nul(k))
      return cy_fail(c, k, "a %s%s contains a NUL character", what, where);
  }
  if (n < 2)
    return 0;
  struct cy_keyref* refs = cfg_xmalloc(n * sizeof(*refs));
  for (size_t i = 0; i < n; i++)
    refs[i] = (struct cy_keyref){map->kids[2 * i]->text, i};
  qsort(refs, n, sizeof(*refs), cy_keyref_cmp);
  /* Of all repeats, report the one that comes first in the file. */
  size_t first = 0, second = SIZE_MAX;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(refs[i - 1].text, refs[i].text) == 0 && refs[i].order < second) {
      first = refs[i - 1].order;
      second = refs[i].order;
    }
  }
  free(refs);
  if (second == SIZE_MAX)
    return 0;
  const struct cy_node* a = map->kids[2 * first];
  const struct cy_node* b = map->kids[2 * second];
  return cy_fail(c, b, "duplicate %s '%.64s'%s on lines %d and %d", what,
                 b->text, where, a->line, b->line);
}

static void cy_entries_push(struct cy_entries* es,
                            const struct cy_node* key,
                            const struct cy_node* val) {
  if (es->n == es->cap) {
    es->cap = es->cap ? es->cap * 2 : 8;
    es->v = cfg_xrealloc(es->v, es->cap * sizeof(*es->v));
  }
  es->v[es->n++] = (struct cy_entry){key, val};
}

/* Appends map's entries to out: its own keys first, in file order, then
 * those of the mappings it merges with "<<", earlier ones first. Keys
 * seen twice are dropped later by cy_entries(). */
static int cy_flatten(struct cy_ctx* c,
                      const struct cy_node* map,
                      const char* what,
                      const char* where,
                      struct cy_entries* out,
                      int depth) {
  if (depth > CY_MAX_MERGE_DEPTH)
    return cy_fail(c, map, "'<<' merges nested more than %d deep",
                   CY_MAX_MERGE_DEPTH);
  if (cy_check_keys(c, map, what, where) != 0)
    return -1;
  size_t n = map->nkids / 2;
  for (size_t i = 0; i < n; i++) {
    if (!cy_is_merge(map->kids[2 * i]))
      cy_entries_push(out, map->kids[2 * i], map->kids[2 * i + 1]);
  }
  for (size_t i = 0; i < n; i++) {
    if (!cy_is_merge(map->kids[2 * i]))
      continue;
    const struct cy_node* v = map->kids[2 * i + 1];
    if (v->kind == CY_MAP) {
      if (cy_flatten(c, v, what, where, out, depth + 1) != 0)
        return -1;
      continue;
    }
    if (v->kind != CY_SEQ)
      return cy_fail(c, v,
                     "expected a mapping or a list of mappings for '<<', "
                     "got %s",
                     cy_what(v));
    for (size_t j = 0; j < v->nkids; j++) {
      const struct cy_node* item = v->kids[j];
      if (item->kind != CY_MAP)
        return cy_fail(c, item,
                       "expected a mapping or a list of mappings for '<<', "
                       "got a list with %s",
                       cy_what(item));
      if (cy_flatten(c, item, what, where, out, depth + 1) != 0)
        return -1;
    }
  }
  return 0;
}

/* The entries of map with merge keys applied: every key once, written
 * keys before merged ones. The caller frees out->v. */
static int cy_entries(struct cy_ctx* c,
                      const struct cy_node* map,
                      const char* what,
                      const char* where,
                      struct cy_entries* out) {
  memset(out, 0, sizeof(*out));
  if (cy_flatten(c, map, what, where, out, 0) != 0)
    return -1;
  if (out->n < 2)
    return 0;
  /* Keep the first of each key (a written key beats a merged one). */
  struct cy_keyref* refs = cfg_xmalloc(out->n * sizeof(*refs));
  bool* drop = cfg_xmalloc(out->n * sizeof(*drop));
  for (size_t i = 0; i < out->n; i++) {
    refs[i] = (struct cy_keyref){out->v[i].key->text, i};
    drop[i] = false;
  }
  qsort(refs, out->n, sizeof(*refs), cy_keyref_cmp);
  for (size_t i = 1; i < out->n; i++) {
    if (strcmp(refs[i - 1].text, refs[i].text) == 0)
      drop[refs[i].order] = true;
  }
  size_t w = 0;
  for (size_t i = 0; i < out->n; i++) {
    if (!drop[i])
      out->v[w++] = out->v[i];
  }
  out->n = w;
  free(drop);
  free(refs);
  return 0;
}

static int cy_lookup(const char* const* names, size_t n, const char* key) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], key) == 0)
      return (int)i;
  }
  return -1;
}

static const char* const cy_top_keys[] = {"servers", "separator", "delay",
                                          "grace", "queue_timeout"};
enum { TK_SERVERS, TK_SEPARATOR, TK_DELAY, TK_GRACE, TK_QUEUE, TK_COUNT };

static const char* const cy_server_keys[] = {
    "command", "args", "watch",   "extensions", "ignore",
    "env",     "cwd",  "enabled", "delay",      "grace"};
enum {
  SK_COMMAND,
  SK_ARGS,
  SK_WATCH,
  SK_EXTENSIONS,
  SK_IGNORE,
  SK_ENV,
  SK_CWD,
  SK_ENABLED,
  SK_DELAY,
  SK_GRACE,
  SK_COUNT
};

static int cy_unknown(struct cy_ctx* c,
                      const struct cy_node* key,
                      const char* const* names,
                      size_t n,
                      const char* where,
                      const char* hint) {
  const char* s = suggest_name(key->text, key->len, names, n);
  if (s != NULL)
    return cy_fail(c, key, "unknown key '%.64s'%s (did you mean '%s'?)",
                   key->text, where, s);
  if (hint != NULL)
    return cy_fail(c, key, "unknown key '%.64s'%s (%s)", key->text, where,
                   hint);
  return cy_fail(c, key, "unknown key '%.64s'%s", key->text, where);
}

/* Scalars. */

/* The text of the string n. item: n is an item of the list label. */
static int cy_str(struct cy_ctx* c,
                  const struct cy_node* n,
                  const char* label,
                  bool item,
                  const char** out) {
  if (n->kind != CY_SCALAR || cy_is_null(n)) {
    if (!item)
      return cy_fail(c, n, "expected a string for '%s', got %s", label,
                     cy_what(n));
    return cy_fail(c, n, "expected a string for each item of '%s', got %s%s",
                   label, cy_what(n),
                   n->kind == CY_MAP ? " (quote items that contain ': ')" : "");
  }
  if (cy_has_nul(n))
    return cy_fail(c, n, "'%s' contains a NUL character", label);
  *out = n->text;
  return 0;
}

/* s with a leading "~" or "~/" and $VAR, ${VAR} and $$ expanded, into
 * *out (owned by the caller). label names the key for errors at at. */
static int cy_expand(struct cy_ctx* c,
                     const struct cy_node* at,
                     const char* label,
                     const char* s,
                     char** out) {
  struct cy_buf b = {0};
  const char* p = s;
  if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
    const char* home = getenv("HOME");
    if (home == NULL || *home == '\0') {
      free(b.p);
      return cy_fail(c, at, "environment variable 'HOME' is not set (in '%s')",
                     label);
    }
    cy_buf_add(&b, home, strlen(home));
    p++;
  }
  while (*p != '\0') {
    const char* d = strchr(p, '$');
    if (d == NULL) {
      cy_buf_add(&b, p, strlen(p));
      break;
    }
    cy_buf_add(&b, p, (size_t)(d - p));
    const char* name;
    size_t n;
    if (d[1] == '$') {
      cy_buf_add(&b, "$", 1);
      p = d + 2;
      continue;
    } else if (d[1] == '{') {
      const char* close = strchr(d + 2, '}');
      if (close == NULL) {
        free(b.p);
        return cy_fail(c, at, "unterminated '${' (in '%s')", label);
      }
      name = d + 2;
      n = (size_t)(close - name);
      p = close + 1;
      if (!cy_env_name_ok(name, n)) {
        free(b.p);
        return cy_fail(c, at, "invalid variable name '${%.*s}' (in '%s')",
                       n > 64 ? 64 : (int)n, name, label);
      }
    } else if (cy_name_start(d[1])) {
      name = d + 1;
      n = 1;
      while (cy_name_char(name[n])) n++;
      p = name + n;
    } else {
      cy_buf_add(&b, "$", 1); /* "$" before anything else is itself */
      p = d + 1;
      continue;
    }
    char* var = cfg_xstrndup(name, n);
    const char* v = getenv(var);
    if (v == NULL) {
      cy_fail(c, at, "environment variable '%.64s' is not set (in '%s')", var,
              label);
      free(var);
      free(b.p);
      return -1;
    }
    free(var);
    if (c->bytes + b.n + strlen(v) > CY_MAX_BYTES) {
      free(b.p);
      return cy_fail(c, at,
                     "expanding variables in '%s' makes the file more than "
                     "%u MiB of text",
                     label, CY_MAX_BYTES >> 20);
    }
    cy_buf_add(&b, v, strlen(v));
  }
  c->bytes += b.n;
  *out = cy_buf_take(&b);
  return 0;
}

/* A whole number of milliseconds in [min, max]. */
static int cy_ms(struct cy_ctx* c,
                 const struct cy_node* n,
                 const char* label,
                 unsigned min,
                 unsigned max,
                 unsigned* out) {
  if (n->kind != CY_SCALAR)
    return cy_fail(c, n,
                   "expected a whole number of milliseconds for '%s', got %s",
                   label, cy_what(n));
  const char* s = n->text;
  bool ok = s[0] != '\0';
  unsigned long v = 0;
  for (const char* p = s; *p != '\0' && ok; p++) {
    ok = cy_is_digit(*p);
    if (ok && v <= max)
      v = v * 10 + (unsigned long)(*p - '0');
  }
  if (!ok || cy_has_nul(n))
    return cy_fail(c, n,
                   "expected a whole number of milliseconds for '%s', got "
                   "'%.64s'",
                   label, s);
  if (v < min || v > max)
    return cy_fail(c, n,
                   "'%s' must be between %u and %u milliseconds, not %.64s",
                   label, min, max, s);
  *out = (unsigned)v;
  return 0;
}

static int cy_bool(struct cy_ctx* c,
                   const struct cy_node* n,
                   const char* label,
                   bool* out) {
  if (n->kind == CY_SCALAR && !cy_has_nul(n) && cy_bool_word(n->text, out))
    return 0;
  if (n->kind == CY_SCALAR)
    return cy_fail(c, n, "expected true or false for '%s', got '%.64s'", label,
                   n->text);
  return cy_fail(c, n, "expected true or false for '%s', got %s", label,
                 cy_what(n));
}

/* Server settings. */

typedef int (*cy_item_fn)(struct cy_ctx* c,
                          const struct cy_node* at,
                          const char* text,
                          struct server_config* sc);

/* Calls fn for each string of the list n, or for n itself when it is a
 * string and single is set. */
static int cy_strings(struct cy_ctx* c,
                      const struct cy_node* n,
                      const char* label,
                      bool single,
                      cy_item_fn fn,
                      struct server_config* sc) {
  const char* s;
  if (n->kind == CY_SCALAR && single) {
    if (cy_str(c, n, label, false, &s) != 0)
      return -1;
    return fn(c, n, s, sc);
  }
  if (n->kind != CY_SEQ)
    return cy_fail(c, n, "expected a list of strings%s for '%s', got %s",
                   single ? " or a string" : "", label, cy_what(n));
  for (size_t i = 0; i < n->nkids; i++) {
    if (cy_str(c, n->kids[i], label, true, &s) != 0 ||
        fn(c, n->kids[i], s, sc) != 0)
      return -1;
  }
  return 0;
}

static int cy_add_arg(struct cy_ctx* c,
                      const struct cy_node* at,
                      const char* text,
                      struct server_config* sc) {
  char* v;
  if (cy_expand(c, at, "args", text, &v) != 0)
    return -1;
  strvec_push(&sc->args, v);
  free(v);
  return 0;
}

static int cy_add_watch(struct cy_ctx* c,
                        const struct cy_node* at,
                        const char* text,
                        struct server_config* sc) {
  char* v;
  if (cy_expand(c, at, "watch", text, &v) != 0)
    return -1;
  if (*v == '\0') {
    free(v);
    return cy_fail(c, at, "empty path in 'watch'");
  }
  char* abs = cy_path_resolve(c->base_dir, v);
  strvec_push(&sc->watch, abs);
  free(abs);
  free(v);
  return 0;
}

/* The comma-separated extensions in text: blanks trimmed, leading dots
 * dropped, duplicates skipped (the command line's --ext rules). */
static int cy_add_exts(struct cy_ctx* c,
                       const struct cy_node* at,
                       const char* text,
                       struct server_config* sc) {
  const char* p = text;
  for (;;) {
    const char* end = strchr(p, ',');
    if (end == NULL)
      end = p + strlen(p);
    const char* b = p;
    const char* e = end;
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
    while (b < e && *b == '.') b++;
    if (b == e)
      return cy_fail(c, at, "empty extension in 'extensions'");
    size_t n = (size_t)(e - b);
    bool star = n == 1 && *b == '*';
    for (const char* q = b; q < e && !star; q++) {
      if (*q == '/' || *q == '*' || *q == '?' || *q == '[' || *q == ' ' ||
          *q == '\t')
        return cy_fail(c, at,
                       "expected extensions like py,json (or * for all "
                       "files) in 'extensions', got '%.*s'",
                       n > 64 ? 64 : (int)n, b);
    }
    bool dup = false;
    for (size_t i = 0; i < sc->exts.n && !dup; i++)
      dup = strlen(sc->exts.v[i]) == n && memcmp(sc->exts.v[i], b, n) == 0;
    if (!dup && sc->exts.n == CY_MAX_EXTS)
      return cy_fail(c, at, "more than %d extensions in 'extensions'",
                     CY_MAX_EXTS);
    if (!dup) {
      char* item = cfg_xstrndup(b, n);
      strvec_push(&sc->exts, item);
      free(item);
    }
    if (*end == '\0')
      return 0;
    p = end + 1;
  }
}

static int cy_add_ignore(struct cy_ctx* c,
                         const struct cy_node* at,
                         const char* text,
                         struct server_config* sc) {
  if (*text == '\0')
    return cy_fail(c, at, "empty pattern in 'ignore'");
  strvec_push(&sc->ignore, text);
  return 0;
}

static int cy_env(struct cy_ctx* c,
                  const struct cy_node* n,
                  struct server_config* sc) {
  if (n->kind != CY_MAP)
    return cy_fail(c, n,
                   "expected a mapping of variable names to values for "
                   "'env', got %s",
                   cy_what(n));
  struct cy_entries es;
  int rc = cy_entries(c, n, "key", " in 'env'", &es);
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    const struct cy_node* k = es.v[i].key;
    const struct cy_node* v = es.v[i].val;
    if (!cy_env_name_ok(k->text, k->len)) {
      rc = cy_fail(c, k,
                   "'%.64s' is not a valid environment variable name (in "
                   "'env')",
                   k->text);
      break;
    }
    if (v->kind != CY_SCALAR || cy_is_null(v)) {
      rc = cy_fail(c, v, "expected a string for '%.64s' in 'env', got %s%s",
                   k->text, cy_what(v),
                   cy_is_null(v) ? " (write '' for an empty value)" : "");
      break;
    }
    if (cy_has_nul(v)) {
      rc = cy_fail(c, v, "'env' contains a NUL character");
      break;
    }
    char* val;
    rc = cy_expand(c, v, "env", v->text, &val);
    if (rc != 0)
      break;
    struct cy_buf b = {0};
    cy_buf_add(&b, k->text, k->len);
    cy_buf_add(&b, "=", 1);
    cy_buf_add(&b, val, strlen(val));
    strvec_push(&sc->env, b.p);
    free(b.p);
    free(val);
  }
  free(es.v);
  return rc;
}

/* A string setting that expands and must not end up empty. */
static int cy_expanded(struct cy_ctx* c,
                       const struct cy_node* n,
                       const char* label,
                       char** out) {
  const char* s;
  if (cy_str(c, n, label, false, &s) != 0 ||
      cy_expand(c, n, label, s, out) != 0)
    return -1;
  if (**out != '\0')
    return 0;
  free(*out);
  *out = NULL;
  return cy_fail(c, n, "'%s' is empty", label);
}

static int cy_server_name(struct cy_ctx* c, const struct cy_node* key) {
  if (key->len == 0)
    return cy_fail(c, key, "a server name is empty");
  size_t chars = 0; /* UTF-8 characters: bytes that do not continue one */
  for (size_t i = 0; i < key->len; i++) {
    unsigned char ch = (unsigned char)key->text[i];
    if (ch < 0x20 || ch == 0x7f)
      return cy_fail(c, key, "server name '%.64s' has a control character",
                     key->text);
    chars += (ch & 0xc0) != 0x80;
  }
  if (chars > CY_MAX_NAME)
    return cy_fail(c, key,
                   "server name '%.64s...' is longer than %d characters",
                   key->text, CY_MAX_NAME);
  return 0;
}

/* Fills sc, whose delay and grace hold the top-level defaults, from the
 * entry key: val of 'servers'. */
static int cy_server(struct cy_ctx* c,
                     const struct cy_node* key,
                     const struct cy_node* val,
                     struct server_config* sc) {
  if (cy_server_name(c, key) != 0)
    return -1;
  sc->name = cfg_xstrdup(key->text);
  if (cy_is_null(val))
    return cy_fail(c, key, "missing 'command' in server '%s'", sc->name);
  if (val->kind != CY_MAP)
    return cy_fail(c, val,
                   "expected a mapping of settings for server '%s', "
                   "got %s",
                   sc->name, cy_what(val));
  char where[CY_MAX_NAME * 4 + 32];
  snprintf(where, sizeof(where), " in server '%s'", sc->name);
  struct cy_entries es;
  if (cy_entries(c, val, "key", where, &es) != 0) {
    free(es.v);
    return -1;
  }
  const struct cy_node* k[SK_COUNT] = {NULL};
  const struct cy_node* v[SK_COUNT] = {NULL};
  int rc = 0;
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    int id = cy_lookup(cy_server_keys, SK_COUNT, es.v[i].key->text);
    if (id < 0) {
      bool top = cy_lookup(cy_top_keys, TK_COUNT, es.v[i].key->text) >= 0;
      rc = cy_unknown(c, es.v[i].key, cy_server_keys, SK_COUNT, where,
                      top ? "it belongs at the top level" : NULL);
      break;
    }
    k[id] = es.v[i].key;
    v[id] = cy_is_null(es.v[i].val) ? NULL : es.v[i].val;
  }
  free(es.v);
  if (rc != 0)
    return -1;

  if (v[SK_COMMAND] == NULL)
    return cy_fail(c, k[SK_COMMAND] ? k[SK_COMMAND] : key,
                   "missing 'command' in server '%s'", sc->name);
  if (cy_expanded(c, v[SK_COMMAND], "command", &sc->command) != 0)
    return -1;
  if (v[SK_CWD] != NULL) {
    char* cwd;
    if (cy_expanded(c, v[SK_CWD], "cwd", &cwd) != 0)
      return -1;
    sc->cwd = cy_path_resolve(c->base_dir, cwd);
    free(cwd);
  }
  if (strchr(sc->command, '/') != NULL && sc->command[0] != '/') {
    char* abs = cy_path_resolve(sc->cwd ? sc->cwd : c->base_dir, sc->command);
    free(sc->command);
    sc->command = abs;
  }
  if (v[SK_ARGS] != NULL &&
      cy_strings(c, v[SK_ARGS], "args", false, cy_add_arg, sc) != 0)
    return -1;
  if (v[SK_WATCH] != NULL) {
    if (cy_strings(c, v[SK_WATCH], "watch", true, cy_add_watch, sc) != 0)
      return -1;
    if (sc->watch.n == 0)
      return cy_fail(c, v[SK_WATCH],
                     "'watch' is an empty list; leave it out to watch the "
                     "config file's directory");
  } else {
    strvec_push(&sc->watch, c->base_dir);
  }
  if (v[SK_EXTENSIONS] != NULL) {
    if (cy_strings(c, v[SK_EXTENSIONS], "extensions", true, cy_add_exts, sc) !=
        0)
      return -1;
    if (sc->exts.n == 0)
      return cy_fail(c, v[SK_EXTENSIONS],
                     "'extensions' is an empty list; use '*' for all files");
  } else {
    strvec_push(&sc->exts, "py");
  }
  if (v[SK_IGNORE] != NULL &&
      cy_strings(c, v[SK_IGNORE], "ignore", true, cy_add_ignore, sc) != 0)
    return -1;
  if (v[SK_ENV] != NULL && cy_env(c, v[SK_ENV], sc) != 0)
    return -1;
  if (v[SK_ENABLED] != NULL &&
      cy_bool(c, v[SK_ENABLED], "enabled", &sc->enabled) != 0)
    return -1;
  if (v[SK_DELAY] != NULL &&
      cy_ms(c, v[SK_DELAY], "delay", 0, CY_MAX_DELAY_MS, &sc->delay_ms) != 0)
    return -1;
  if (v[SK_GRACE] != NULL &&
      cy_ms(c, v[SK_GRACE], "grace", 0, CY_MAX_GRACE_MS, &sc->grace_ms) != 0)
    return -1;
  return 0;
}

static int cy_separator(struct cy_ctx* c,
                        const struct cy_node* n,
                        struct mcpmon_config* cfg) {
  const char* s;
  if (cy_str(c, n, "separator", false, &s) != 0)
    return -1;
  bool ok = n->len >= 1 && n->len <= CY_MAX_SEPARATOR;
  for (const char* p = s; *p != '\0' && ok; p++)
    ok = cy_name_char(*p) || *p == ':' || *p == '.' || *p == '-';
  if (!ok)
    return cy_fail(c, n,
                   "'separator' must be 1 to %d characters from A-Z, a-z, "
                   "0-9 and _ : . -, not '%.64s'",
                   CY_MAX_SEPARATOR, s);
  free(cfg->separator);
  cfg->separator = cfg_xstrdup(s);
  return 0;
}

/* Validates the tree into cfg, a config_init()ed scratch config. */
static int cy_config(struct cy_ctx* c, struct mcpmon_config* cfg) {
  const struct cy_node* root = c->root;
  if (root == NULL || cy_is_null(root))
    return cy_fail_at(c, 1, 0,
                      "no servers defined (expected a 'servers:' mapping)");
  if (root->kind != CY_MAP)
    return cy_fail(c, root,
                   "expected a mapping with 'servers:' at the top level, got "
                   "%s",
                   cy_what(root));
  struct cy_entries es;
  if (cy_entries(c, root, "key", "", &es) != 0) {
    free(es.v);
    return -1;
  }
  const struct cy_node* k[TK_COUNT] = {NULL};
  const struct cy_node* v[TK_COUNT] = {NULL};
  int rc = 0;
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    const char* name = es.v[i].key->text;
    if (strncmp(name, "x-", 2) == 0)
      continue; /* room for anchors, as in docker compose */
    int id = cy_lookup(cy_top_keys, TK_COUNT, name);
    if (id < 0) {
      bool srv = cy_lookup(cy_server_keys, SK_COUNT, es.v[i].key->text) >= 0;
      rc =
          cy_unknown(c, es.v[i].key, cy_top_keys, TK_COUNT, " at the top level",
                     srv ? "server settings go under servers: NAME:" : NULL);
      break;
    }
    k[id] = es.v[i].key;
    v[id] = cy_is_null(es.v[i].val) ? NULL : es.v[i].val;
  }
  free(es.v);
  if (rc != 0)
    return -1;

  unsigned delay = CONFIG_DEFAULT_DELAY_MS;
  unsigned grace = CONFIG_DEFAULT_GRACE_MS;
  if (v[TK_SEPARATOR] != NULL && cy_separator(c, v[TK_SEPARATOR], cfg) != 0)
    return -1;
  if (v[TK_DELAY] != NULL &&
      cy_ms(c, v[TK_DELAY], "delay", 0, CY_MAX_DELAY_MS, &delay) != 0)
    return -1;
  if (v[TK_GRACE] != NULL &&
      cy_ms(c, v[TK_GRACE], "grace", 0, CY_MAX_GRACE_MS, &grace) != 0)
    return -1;
  if (v[TK_QUEUE] != NULL) {
    if (cy_ms(c, v[TK_QUEUE], "queue_timeout", 1, CY_MAX_QUEUE_TIMEOUT_MS,
              &cfg->queue_timeout_ms) != 0)
      return -1;
    c->queue_timeout_given = true;
  }

  const struct cy_node* servers = v[TK_SERVERS];
  if (servers == NULL) {
    if (k[TK_SERVERS] != NULL)
      return cy_fail(c, k[TK_SERVERS], "no servers defined under 'servers:'");
    return cy_fail(c, root,
                   "no servers defined (expected a 'servers:' mapping)");
  }
  if (servers->kind != CY_MAP)
    return cy_fail(c, servers,
                   "expected a mapping of server names to settings for "
                   "'servers', got %s",
                   cy_what(servers));
  if (cy_entries(c, servers, "server name", "", &es) != 0) {
    free(es.v);
    return -1;
  }
  if (es.n == 0)
    rc = cy_fail(c, k[TK_SERVERS], "no servers defined under 'servers:'");
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    struct server_config* sc = config_add_server(cfg);
    sc->delay_ms = delay;
    sc->grace_ms = grace;
    rc = cy_server(c, es.v[i].key, es.v[i].val, sc);
  }
  free(es.v);
  return rc;
}

static void cy_clear_servers(struct mcpmon_config* cfg) {
  for (size_t i = 0; i < cfg->nservers; i++)
    server_config_free(&cfg->servers[i]);
  free(cfg->servers);
  cfg->servers = NULL;
  cfg->nservers = 0;
}

static void cy_error_init(struct config_error* e, const char* file) {
  memset(e, 0, sizeof(*e));
  snprintf(e->file, sizeof(e->file), "%s", file != NULL ? file : "");
}

int config_parse_yaml(const char* text,
                      size_t len,
                      const char* display_path,
                      const char* base_dir,
                      struct mcpmon_config* cfg,
                      struct config_error* err) {
  struct config_error local;
  if (err == NULL)
    err = &local;
  cy_error_init(err, display_path);
  struct cy_ctx c = {.err = err, .text = text != NULL ? text : "", .len = len};
  struct mcpmon_config tmp;
  config_init(&tmp);
  int rc = -1;
  if (len > CY_MAX_FILE) {
    cy_fail_at(&c, 0, 0, "file is too large (%zu bytes; the limit is 4 MiB)",
               len);
    goto done;
  }
  c.base_dir = cy_path_absolute(base_dir != NULL ? base_dir : ".");
  if (c.base_dir == NULL) {
    cy_fail_at(&c, 0, 0, "cannot find the working directory: %s",
               strerror(errno));
    goto done;
  }
  if (cy_build(&c) != 0 || cy_config(&c, &tmp) != 0)
    goto done;
  cy_clear_servers(cfg);
  cfg->servers = tmp.servers;
  cfg->nservers = tmp.nservers;
  tmp.servers = NULL;
  tmp.nservers = 0;
  free(cfg->separator);
  cfg->separator = tmp.separator;
  tmp.separator = NULL;
  if (c.queue_timeout_given)
    cfg->queue_timeout_ms = tmp.queue_timeout_ms;
  rc = 0;
done:
  if (rc != 0)
    cy_clear_servers(cfg);
  config_free(&tmp);
  cy_ctx_free(&c);
  return rc;
}

/* Reads the whole file at path into *out (owned by the caller, with a
 * NUL after *len bytes). */
static int cy_read_file(const char* path,
                        char** out,
                        size_t* len,
                        struct config_error* err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (uintmax_t)st.st_size > CY_MAX_FILE) {
    snprintf(err->msg, sizeof(err->msg),
             "file is too large (%jd bytes; the limit is 4 MiB)",
             (intmax_t)st.st_size);
    close(fd);
    return -1;
  }
  struct cy_buf b = {0};
  char chunk[16384];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
      break;
    }
    if (n == 0) {
      close(fd);
      *len = b.n;
      *out = cy_buf_take(&b);
      return 0;
    }
    cy_buf_add(&b, chunk, (size_t)n);
    if (b.n > CY_MAX_FILE) {
      snprintf(err->msg, sizeof(err->msg),
               "file is too large (more than 4 MiB)");
      break;
    }
  }
  free(b.p);
  close(fd);
  return -1;
}

int config_load_yaml(const char* path,
                     struct mcpmon_config* cfg,
                     struct config_error* err) {
  struct config_error local;
  if (err == NULL)
    err = &local;
  cy_error_init(err, path);
  char* text = NULL;
  size_t len = 0;
  if (cy_read_file(path, &text, &len, err) != 0) {
    cy_clear_servers(cfg);
    return -1;
  }
  char* abs = cy_path_absolute(path);
  if (abs == NULL) {
    snprintf(err->msg, sizeof(err->msg),
             "cannot find the working directory: %s", strerror(errno));
    free(text);
    cy_clear_servers(cfg);
    return -1;
  }
  /* abs is normalised and absolute, and names a file, not "/". */
  char* slash = strrchr(abs, '/');
  char* dir = cfg_xstrndup(abs, slash == abs ? 1 : (size_t)(slash - abs));
  int rc = config_parse_yaml(text, len, path, dir, cfg, err);
  if (rc == 0) {
    free(cfg->config_path);
    cfg->config_path = abs;
    abs = NULL;
  }
  free(abs);
  free(dir);
  free(text);
  return rc;
}

void config_error_format(const struct config_error* e, char* buf, size_t cap) {
  if (cap == 0)
    return;
  char pos[48] = "";
  if (e->line > 0 && e->col > 0)
    snprintf(pos, sizeof(pos), "%d:%d:", e->line, e->col);
  else if (e->line > 0)
    snprintf(pos, sizeof(pos), "%d:", e->line);
  bool has_file = e->file[0] != '\0';
  bool prefix = has_file || pos[0] != '\0';
  snprintf(buf, cap, "%s%s%s%s%s", has_file ? e->file : "", has_file ? ":" : "",
           pos, prefix ? " " : "", e->msg);
}

/* Comparing configs. */

static bool cy_str_eq(const char* a, const char* b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool cy_strvec_eq(const struct strvec* a, const struct strvec* b) {
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++) {
    if (strcmp(a->v[i], b->v[i]) != 0)
      return false;
  }
  return true;
}

bool server_config_equal(const struct server_config* a,
                         const struct server_config* b) {
  return cy_str_eq(a->name, b->name) && cy_str_eq(a->command, b->command) &&
         cy_strvec_eq(&a->args, &b->args) &&
         cy_strvec_eq(&a->watch, &b->watch) &&
         cy_strvec_eq(&a->exts, &b->exts) &&
         cy_strvec_eq(&a->ignore, &b->ignore) &&
         cy_strvec_eq(&a->env, &b->env) && cy_str_eq(a->cwd, b->cwd) &&
         a->enabled == b->enabled && a->delay_ms == b->delay_ms &&
         a->grace_ms == b->grace_ms;
}

static const struct server_config* cy_find_server(
    const struct mcpmon_config* cfg, const char* name) {
  for (size_t i = 0; i < cfg->nservers; i++) {
    if (cy_str_eq(cfg->servers[i].name, name))
      return &cfg->servers[i];
  }
  return NULL;
}

void config_diff(const struct mcpmon_config* old_cfg,
                 const struct mcpmon_config* new_cfg,
                 struct config_diff* out) {
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < new_cfg->nservers; i++) {
    const struct server_config* s = &new_cfg->servers[i];
    const char* name = s->name != NULL ? s->name : "";
    const struct server_config* o = cy_find_server(old_cfg, s->name);
    if (o == NULL)
      strvec_push(&out->added, name);
    else if (server_config_equal(o, s))
      strvec_push(&out->unchanged, name);
    else
      strvec_push(&out->changed, name);
  }
  for (size_t i = 0; i < old_cfg->nservers; i++) {
    const struct server_config* o = &old_cfg->servers[i];
    if (cy_find_server(new_cfg, o->name) == NULL)
      strvec_push(&out->removed, o->name != NULL ? o->name : "");
  }
  out->globals_changed = !cy_str_eq(old_cfg->separator, new_cfg->separator) ||
                         old_cfg->queue_timeout_ms != new_cfg->queue_timeout_ms;
}

void config_diff_free(struct config_diff* d) {
  strvec_free(&d->added);
  strvec_free(&d->removed);
  strvec_free(&d->changed);
  strvec_free(&d->unchanged);
  d->globals_changed = false;
}
