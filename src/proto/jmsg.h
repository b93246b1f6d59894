/* jmsg.h - a JSON-RPC message kept as the text it came in.
 *
 * Pure (jscan; cJSON only to hand out exact ids and small parts as
 * trees). Issue 12 item 3: mcpmon relays every message byte for byte
 * apart from the spans it must rewrite (an id, a prefixed name, a
 * requestId). A jmsg is one message validated by jscan and classified as
 * jsonrpc.h classifies (STDIO-4, STDIO-5: the same members, types and
 * error texts as jrpc_parse_strict), read through spans into its text,
 * and edited in place by replacing spans. Nothing is parsed into a tree
 * and printed again, so a number keeps every digit (12345678901234567890
 * stays as written, 1.0 stays 1.0), a "\u0000" escape stays in its
 * string, and a lone surrogate escape passes (jscan accepts it).
 *
 * Ownership: jmsg_parse returns a message owned by the caller, released
 * with jmsg_free or handed on by the calls that say they take it. Spans
 * are offsets into m->text, valid until the next edit of m (edits keep
 * m->id and m->params right; other spans a caller holds must be read
 * again after an edit that comes before them).
 */
#ifndef MCPMON_JMSG_H
#define MCPMON_JMSG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/jscan.h"
#include "proto/jsonrpc.h"

/* A value in a text: its first byte and length. len 0: absent. */
struct jspan {
  size_t off;
  size_t len;
};

struct jmsg {
  char* text; /* owned, NUL-terminated; the value without the whitespace
                 around it */
  size_t len;
  size_t cap; /* of text's buffer */
  enum jrpc_kind kind;
  struct jspan id; /* a valid id as written; JRPC_INVALID: the id
                      when it could be read, for the error */
  char* method;    /* decoded, owned; NULL when there is none */
  size_t method_len;
  struct jspan params;   /* the params value, or absent */
  bool is_error;         /* a response with "error" */
  int error_code;        /* JRPC_INVALID: JRPC_PARSE_ERROR or
                            JRPC_INVALID_REQUEST */
  const char* error_msg; /* JRPC_INVALID: what is wrong (static text) */
  bool bad_utf8;         /* jscan found ill-formed UTF-8 */
};

/* Validate and classify one line (len bytes, need not be NUL-terminated;
 * whitespace around the value is dropped). Never NULL. */
struct jmsg* jmsg_parse(const char* text, size_t len);
/* The same for a text already scanned: sc is jscan's verdict that it is
 * valid (jscan_scan or jscan_end returned true for these len bytes), so
 * it is not scanned again. */
struct jmsg* jmsg_from_scan(const char* text,
                            size_t len,
                            const struct jscan* sc);
void jmsg_free(struct jmsg* m);

/* The elements of a JRPC_BATCH, one at a time: *pos starts at 0; true
 * with the next element's span, false after the last. */
bool jmsg_batch_next(const struct jmsg* m, size_t* pos, struct jspan* el);

/* ---- reading ------------------------------------------------------------ */

/* The value of the first member key of the object at obj, or false. */
bool jtext_member(const char* t,
                  struct jspan obj,
                  const char* key,
                  struct jspan* val);
/* The elements of the array at arr, one at a time: *pos starts at 0;
 * true with the next element's span, false after the last (or when arr
 * is not an array). */
bool jtext_element(const char* t,
                   struct jspan arr,
                   size_t* pos,
                   struct jspan* el);
/* The type of the value at v (JSCAN_NONE when absent). */
enum jscan_type jtext_type(const char* t, struct jspan v);
/* The string at v with its escapes undone (a lone surrogate becomes
 * U+FFFD), on the heap (caller frees), its length in *n (it may hold
 * NUL bytes); NULL when v is not a string. */
char* jtext_string(const char* t, struct jspan v, size_t* n);
/* Whether the value at v is the string s (escapes undone). */
bool jtext_str_eq(const char* t, struct jspan v, const char* s);
/* A cJSON raw item holding the value's exact text (it prints as it was
 * written: ids and progress tokens, jrpc_id_equal compares them), or
 * NULL when absent. Owned by the caller. */
cJSON* jtext_raw(const char* t, struct jspan v);
/* The value as a cJSON tree (caller owns), or NULL when absent or when
 * cJSON cannot read it (a lone surrogate, nesting past 1000). */
cJSON* jtext_tree(const char* t, struct jspan v);

/* The value at a path of member names from the message's top level,
 * NULL-terminated: jmsg_get(m, "params", "_meta", "progressToken",
 * NULL). Absent when any step is missing or not an object. */
struct jspan jmsg_get(const struct jmsg* m, ...);
/* The id as a raw item (jtext_raw), or NULL. */
cJSON* jmsg_id(const struct jmsg* m);
/* The id mcpmon issued, as jrpc_int_id reads it: a plain non-negative
 * integer up to 2^53 - 1, else -1. */
int64_t jmsg_int_id(const struct jmsg* m);

/* ---- editing ------------------------------------------------------------ */

/* Replace the bytes at `at` with n bytes of with (valid JSON for the
 * same place). m->id and m->params follow the edit. */
void jmsg_replace(struct jmsg* m, struct jspan at, const char* with, size_t n);
/* ... with the string s as a JSON string literal. */
void jmsg_replace_string(struct jmsg* m, struct jspan at, const char* s);
/* ... with v as jrpc_serialize prints it (a raw item: its text). */
void jmsg_replace_json(struct jmsg* m, struct jspan at, const cJSON* v);
/* ... with an integer. */
void jmsg_replace_int(struct jmsg* m, struct jspan at, int64_t v);
/* Add member key (not already there) with the JSON text value first in
 * the object at obj. */
void jmsg_insert_member(struct jmsg* m,
                        struct jspan obj,
                        const char* key,
                        const char* value);

/* The text with a '\n' appended (STDIO-1), for a writer that takes it;
 * frees m. */
char* jmsg_take_line(struct jmsg* m, size_t* len);

#endif
