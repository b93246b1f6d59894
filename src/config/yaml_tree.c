/* yaml_tree.c - see yaml_tree.h.
 *
 * The parse keeps a stack of the lists and mappings still open; a
 * complete node is hung under the innermost one, adding its weight and
 * bytes, so an alias costs what its anchored subtree costs without being
 * copied. Anchors live in an open-addressing table keyed by name.
 */
#include "config/yaml_tree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/cfgutil.h"

struct yaml_tree_anchor {
  char* name;
  struct yaml_tree_node* node;
};

/* A list or mapping being read, with its anchor until it is complete:
 * registering it only then makes a self-referencing alias undefined. */
struct yt_frame {
  struct yaml_tree_node* node;
  char* anchor;
};

/* The parse in progress. */
struct yt_parse {
  struct yaml_tree* t;
  struct config_error* err;
  const char* text;
  size_t len;
  struct yt_frame stack[YAML_TREE_MAX_DEPTH];
  int depth;
  int ndocs;
};

int yaml_tree_fail(struct config_error* err,
                   const struct yaml_tree_node* at,
                   const char* fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  config_error_setv(err, at != NULL ? at->line : 0, at != NULL ? at->col : 0,
                    fmt, ap);
  va_end(ap);
  return -1;
}

/* Building the tree. */

static struct yaml_tree_node* yt_node_new(struct yaml_tree* t,
                                          enum yaml_tree_kind kind,
                                          yaml_mark_t m) {
  struct yaml_tree_node* n = cfg_xmalloc(sizeof(*n));
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  n->line = (int)m.line + 1;
  n->col = (int)m.column + 1;
  n->weight = 1;
  SLIST_INSERT_HEAD(&t->nodes, n, link);
  return n;
}

/* Adds n nodes to the running total; fails past YAML_TREE_MAX_NODES. */
static int yt_count(struct yt_parse* p, size_t n, yaml_mark_t m) {
  p->t->total += n;
  if (p->t->total <= YAML_TREE_MAX_NODES)
    return 0;
  return config_error_set(p->err, (int)m.line + 1, (int)m.column + 1,
                          "document too large%s (more than %u nodes)",
                          p->t->aliased ? " after alias expansion" : "",
                          YAML_TREE_MAX_NODES);
}

/* Adds n bytes of text to the running total; fails past
 * YAML_TREE_MAX_BYTES. */
static int yt_count_bytes(struct yt_parse* p, size_t n, yaml_mark_t m) {
  p->t->bytes += n;
  if (p->t->bytes <= YAML_TREE_MAX_BYTES)
    return 0;
  return config_error_set(p->err, (int)m.line + 1, (int)m.column + 1,
                          "document too large%s (more than %u MiB of text)",
                          p->t->aliased ? " after alias expansion" : "",
                          YAML_TREE_MAX_BYTES >> 20);
}

static size_t yt_hash(const char* s) {
  size_t h = 2166136261u;
  for (; *s != '\0'; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static struct yaml_tree_anchor* yt_anchor_slot(struct yaml_tree_anchor* tab,
                                               size_t cap,
                                               const char* name) {
  size_t mask = cap - 1;
  for (size_t i = yt_hash(name) & mask;; i = (i + 1) & mask) {
    if (tab[i].name == NULL || strcmp(tab[i].name, name) == 0)
      return &tab[i];
  }
}

static struct yaml_tree_node* yt_anchor_find(const struct yaml_tree* t,
                                             const char* name) {
  if (t->anchors_cap == 0)
    return NULL;
  return yt_anchor_slot(t->anchors, t->anchors_cap, name)->node;
}

/* Points anchor name at n; a later anchor of the same name wins, as in
 * YAML. Copies name. */
static void yt_anchor_set(struct yaml_tree* t,
                          const char* name,
                          struct yaml_tree_node* n) {
  if ((t->nanchors + 1) * 2 > t->anchors_cap) {
    size_t cap = t->anchors_cap ? t->anchors_cap * 2 : 16;
    struct yaml_tree_anchor* tab = cfg_xmalloc(cap * sizeof(*tab));
    memset(tab, 0, cap * sizeof(*tab));
    for (size_t i = 0; i < t->anchors_cap; i++) {
      if (t->anchors[i].name != NULL)
        *yt_anchor_slot(tab, cap, t->anchors[i].name) = t->anchors[i];
    }
    free(t->anchors);
    t->anchors = tab;
    t->anchors_cap = cap;
  }
  struct yaml_tree_anchor* a = yt_anchor_slot(t->anchors, t->anchors_cap, name);
  if (a->name == NULL) {
    a->name = cfg_xstrdup(name);
    t->nanchors++;
  }
  a->node = n;
}

/* Hangs the complete node n under the open container, or makes it the
 * root. */
static void yt_attach(struct yt_parse* p, struct yaml_tree_node* n) {
  if (p->depth == 0) {
    p->t->root = n;
    return;
  }
  struct yaml_tree_node* parent = p->stack[p->depth - 1].node;
  if (parent->nkids == parent->cap) {
    parent->cap = parent->cap ? parent->cap * 2 : 4;
    parent->kids =
        cfg_xrealloc(parent->kids, parent->cap * sizeof(*parent->kids));
  }
  parent->kids[parent->nkids++] = n;
  parent->weight += n->weight;
  parent->bytes += n->bytes;
}

static int yt_open(struct yt_parse* p,
                   enum yaml_tree_kind kind,
                   const yaml_event_t* ev,
                   const yaml_char_t* anchor) {
  if (p->depth == YAML_TREE_MAX_DEPTH)
    return config_error_set(
        p->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
        "lists and mappings nested more than %d deep", YAML_TREE_MAX_DEPTH);
  if (yt_count(p, 1, ev->start_mark) != 0)
    return -1;
  struct yt_frame* f = &p->stack[p->depth++];
  f->node = yt_node_new(p->t, kind, ev->start_mark);
  f->anchor = anchor != NULL ? cfg_xstrdup((const char*)anchor) : NULL;
  return 0;
}

static void yt_close(struct yt_parse* p) {
  struct yt_frame* f = &p->stack[--p->depth];
  if (f->anchor != NULL) {
    yt_anchor_set(p->t, f->anchor, f->node);
    free(f->anchor);
    f->anchor = NULL;
  }
  yt_attach(p, f->node);
}

static int yt_scalar(struct yt_parse* p, const yaml_event_t* ev) {
  yaml_mark_t m = ev->start_mark;
  if (yt_count(p, 1, m) != 0 ||
      yt_count_bytes(p, ev->data.scalar.length, m) != 0)
    return -1;
  struct yaml_tree_node* n = yt_node_new(p->t, YAML_TREE_SCALAR, m);
  n->text =
      cfg_xstrndup((const char*)ev->data.scalar.value, ev->data.scalar.length);
  n->len = ev->data.scalar.length;
  n->bytes = n->len;
  n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
             ev->data.scalar.tag == NULL;
  if (ev->data.scalar.anchor != NULL)
    yt_anchor_set(p->t, (const char*)ev->data.scalar.anchor, n);
  yt_attach(p, n);
  return 0;
}

static int yt_alias(struct yt_parse* p, const yaml_event_t* ev) {
  yaml_mark_t m = ev->start_mark;
  const char* name = (const char*)ev->data.alias.anchor;
  struct yaml_tree_node* n = yt_anchor_find(p->t, name);
  for (int d = p->depth - 1; n == NULL && d >= 0; d--) {
    const struct yt_frame* f = &p->stack[d];
    if (f->anchor != NULL && strcmp(f->anchor, name) == 0)
      return config_error_set(
          p->err, (int)m.line + 1, (int)m.column + 1,
          "alias '*%.64s' is inside the %s it names ('&%.64s' at %d:%d): "
          "a config cannot contain itself",
          name, f->node->kind == YAML_TREE_MAP ? "mapping" : "list", name,
          f->node->line, f->node->col);
  }
  if (n == NULL)
    return config_error_set(p->err, (int)m.line + 1, (int)m.column + 1,
                            "found undefined alias '%.64s'", name);
  p->t->aliased = true;
  if (yt_count(p, n->weight, m) != 0 || yt_count_bytes(p, n->bytes, m) != 0)
    return -1;
  yt_attach(p, n);
  return 0;
}

static int yt_event(struct yt_parse* p, const yaml_event_t* ev) {
  yaml_mark_t m = ev->start_mark;
  switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
      if (++p->ndocs > 1)
        return config_error_set(p->err, (int)m.line + 1, (int)m.column + 1,
                                "a second YAML document; the config file "
                                "must hold one");
      return 0;
    case YAML_SCALAR_EVENT:
      return yt_scalar(p, ev);
    case YAML_SEQUENCE_START_EVENT:
      return yt_open(p, YAML_TREE_SEQ, ev, ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
      return yt_open(p, YAML_TREE_MAP, ev, ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      yt_close(p);
      return 0;
    case YAML_ALIAS_EVENT:
      return yt_alias(p, ev);
    default:
      return 0;
  }
}

/* Line and column of byte offset off in the text, for reader errors,
 * which carry only an offset. */
static void yt_offset_pos(const struct yt_parse* p,
                          size_t off,
                          int* line,
                          int* col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < p->len; i++) {
    if (p->text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static int yt_syntax_error(struct yt_parse* p, const yaml_parser_t* yp) {
  const char* problem = yp->problem != NULL ? yp->problem : "invalid YAML";
  switch (yp->error) {
    case YAML_MEMORY_ERROR:
      return config_error_set(p->err, 0, 0, "out of memory while reading YAML");
    case YAML_READER_ERROR: {
      int line, col;
      yt_offset_pos(p, yp->problem_offset, &line, &col);
      if (yp->problem_value != -1)
        return config_error_set(p->err, line, col, "%s (byte 0x%02x)", problem,
                                (unsigned)yp->problem_value & 0xffu);
      return config_error_set(p->err, line, col, "%s", problem);
    }
    default:
      break;
  }
  int line = (int)yp->problem_mark.line + 1;
  int col = (int)yp->problem_mark.column + 1;
  if (yp->context != NULL)
    return config_error_set(p->err, line, col,
                            "%s (%s that started on line %d)", problem,
                            yp->context, (int)yp->context_mark.line + 1);
  return config_error_set(p->err, line, col, "%s", problem);
}

int yaml_tree_parse(struct yaml_tree* t,
                    const char* text,
                    size_t len,
                    struct config_error* err) {
  memset(t, 0, sizeof(*t));
  yaml_parser_t yp;
  if (!yaml_parser_initialize(&yp))
    return config_error_set(err, 0, 0, "out of memory while reading YAML");
  yaml_parser_set_input_string(&yp, (const unsigned char*)text, len);
  struct yt_parse p = {.t = t, .err = err, .text = text, .len = len};
  int rc = 0;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&yp, &ev)) {
      rc = yt_syntax_error(&p, &yp);
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = yt_event(&p, &ev);
    yaml_event_delete(&ev);
  }
  while (p.depth > 0) free(p.stack[--p.depth].anchor);
  yaml_parser_delete(&yp);
  if (rc != 0)
    yaml_tree_free(t);
  return rc;
}

void yaml_tree_free(struct yaml_tree* t) {
  struct yaml_tree_node* n;
  while ((n = SLIST_FIRST(&t->nodes)) != NULL) {
    SLIST_REMOVE_HEAD(&t->nodes, link);
    free(n->text);
    free(n->kids);
    free(n);
  }
  for (size_t i = 0; i < t->anchors_cap; i++) free(t->anchors[i].name);
  free(t->anchors);
  memset(t, 0, sizeof(*t));
}

/* Reading nodes. */

bool yaml_tree_is_null(const struct yaml_tree_node* n) {
  if (n->kind != YAML_TREE_SCALAR || !n->plain)
    return false;
  /* A bare "~" is YAML's null too, but here it means $HOME. */
  return n->len == 0 || strcmp(n->text, "null") == 0 ||
         strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

bool yaml_tree_bool_word(const char* s, bool* out) {
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

bool yaml_tree_has_nul(const struct yaml_tree_node* n) {
  return strlen(n->text) != n->len;
}

static bool yt_is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

static bool yt_looks_number(const char* s) {
  if (*s == '-' || *s == '+')
    s++;
  if (!yt_is_digit(*s))
    return false;
  while (yt_is_digit(*s) || *s == '.' || *s == '_') s++;
  return *s == '\0';
}

const char* yaml_tree_what(const struct yaml_tree_node* n) {
  bool b;
  if (n->kind == YAML_TREE_MAP)
    return "a mapping";
  if (n->kind == YAML_TREE_SEQ)
    return "a list";
  if (yaml_tree_is_null(n))
    return "an empty value";
  if (n->plain && yaml_tree_bool_word(n->text, &b))
    return "a boolean";
  if (n->plain && yt_looks_number(n->text))
    return "a number";
  return "a string";
}
