/* yaml_tree.h - one YAML document read into a tree, within bounds.
 *
 * libyaml's event API builds a small tree of our own: scalars, lists and
 * mappings, each with the line:col where it starts. An alias shares the
 * anchored node instead of copying it (the tree is a DAG) and counts what
 * it would expand to, so a "billion laughs" document stops after
 * YAML_TREE_MAX_NODES nodes or YAML_TREE_MAX_BYTES of scalar text, and
 * nesting stops at YAML_TREE_MAX_DEPTH. An anchor is defined once its node
 * is complete, so a node cannot alias itself. The stream holds at most one
 * document.
 *
 * The yaml_tree_* queries read a node with YAML 1.1's rules as mcpmon
 * uses them (nulls, booleans); mappings are read by yaml_map.h. Pure: no
 * I/O, no libuv; errors go to a struct config_error.
 */
#ifndef MCPMON_YAML_TREE_H
#define MCPMON_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include "config/config_error.h"

#define YAML_TREE_MAX_NODES 100000u /* after alias expansion */
/* Scalar text after alias expansion. Callers that expand the text further
 * ($VARs) keep counting against it from yaml_tree.bytes. */
#define YAML_TREE_MAX_BYTES (16u * 1024u * 1024u)
#define YAML_TREE_MAX_DEPTH 64 /* nested lists and mappings */

enum yaml_tree_kind { YAML_TREE_SCALAR, YAML_TREE_SEQ, YAML_TREE_MAP };

/* One node. Read-only for users of the tree; owned by the tree. */
struct yaml_tree_node {
  enum yaml_tree_kind kind;
  bool plain; /* scalar written plain and untagged */
  int line;   /* 1-based start */
  int col;
  char* text;                   /* scalar: NUL-terminated value */
  size_t len;                   /* scalar: bytes in text, may hold NULs */
  struct yaml_tree_node** kids; /* list items; mapping keys and values in
                                   turn (key 0, value 0, key 1, ...) */
  size_t nkids;
  /* private */
  size_t cap;
  size_t weight; /* nodes in this subtree, aliases expanded */
  size_t bytes;  /* scalar text in this subtree, aliases expanded */
  SLIST_ENTRY(yaml_tree_node) link; /* the tree's chain of every node */
};

struct yaml_tree_anchor;

/* A parsed document. Zero it (or let yaml_tree_parse fill it) before use;
 * release it with yaml_tree_free. */
struct yaml_tree {
  /* read-only */
  const struct yaml_tree_node* root; /* NULL for an empty stream */
  size_t bytes;                      /* scalar text, aliases expanded */
  /* private */
  SLIST_HEAD(, yaml_tree_node) nodes; /* every node (zeroed = empty) */
  struct yaml_tree_anchor* anchors;   /* open addressing, cap a power of 2 */
  size_t nanchors;
  size_t anchors_cap;
  size_t total; /* nodes so far, aliases expanded */
  bool aliased; /* some alias was used */
};

/* Parses text[0..len) (need not be NUL-terminated; only read) into *t,
 * which it overwrites. Returns 0, or -1 with err's line, col and msg set
 * (err->file is left alone) and *t empty. Either way *t is released with
 * yaml_tree_free. */
int yaml_tree_parse(struct yaml_tree* t,
                    const char* text,
                    size_t len,
                    struct config_error* err);

/* Frees every node of t and zeroes it. */
void yaml_tree_free(struct yaml_tree* t);

/* Sets err (config_error_set) at the start of node at, or with no position
 * when at is NULL. Returns -1. */
int yaml_tree_fail(struct config_error* err,
                   const struct yaml_tree_node* at,
                   const char* fmt,
                   ...) __attribute__((format(printf, 3, 4)));

/* Whether n is YAML's null: a plain empty scalar or null, Null, NULL. A
 * bare "~" is not: in mcpmon's values it means $HOME. */
bool yaml_tree_is_null(const struct yaml_tree_node* n);

/* Whether s is a YAML 1.1 boolean (true/false, yes/no, on/off in three
 * spellings; not the ambiguous y and n); if so, its value in *out. */
bool yaml_tree_bool_word(const char* s, bool* out);

/* Whether the scalar n holds a NUL byte (text is then cut short). */
bool yaml_tree_has_nul(const struct yaml_tree_node* n);

/* What n is, for "got ..." in messages: "a mapping", "a list", "an empty
 * value", "a boolean", "a number" or "a string" (static strings). */
const char* yaml_tree_what(const struct yaml_tree_node* n);

#endif
