/* jsonrpc.h - parsing, classifying and building JSON-RPC 2.0 messages.
 *
 * Pure (cJSON, no libuv). Strict in what it accepts from peers (STDIO-4,
 * STDIO-5): exactly the members jsonrpc/id/method/params/result/error, a
 * string or integer id, a string method, an object result.
 */
#ifndef MCPMON_JSONRPC_H
#define MCPMON_JSONRPC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JRPC_PARSE_ERROR -32700
#define JRPC_INVALID_REQUEST -32600
#define JRPC_METHOD_NOT_FOUND -32601
#define JRPC_INVALID_PARAMS -32602
#define JRPC_INTERNAL_ERROR -32603
#define JRPC_RESOURCE_NOT_FOUND -32002

enum jrpc_kind {
  JRPC_REQUEST,      /* method + id */
  JRPC_NOTIFICATION, /* method, no id */
  JRPC_RESPONSE,     /* id + result or error */
  JRPC_BATCH,        /* a top-level array (STDIO-6); root is the array */
  JRPC_INVALID,      /* see error_code / error_msg */
};

struct jrpc_msg {
  enum jrpc_kind kind;
  cJSON* root;           /* owned; NULL when the text did not parse */
  const cJSON* id;       /* borrowed from root; NULL if absent/unreadable */
  const char* method;    /* borrowed from root; NULL for responses */
  bool is_error;         /* response carries "error" */
  int error_code;        /* JRPC_INVALID: JRPC_PARSE_ERROR or
                            JRPC_INVALID_REQUEST */
  const char* error_msg; /* JRPC_INVALID: static text saying what is wrong */
};

/* Parse and classify one line (len bytes, need not be NUL-terminated).
 * Always fills out; the caller releases it with jrpc_msg_free(). Takes
 * what cJSON takes: a server's raw tab in a string or a number written 01
 * is repaired when the message is printed again, not dropped. */
void jrpc_parse(const char* text, size_t len, struct jrpc_msg* out);
/* The same, but only RFC 8259 JSON (jscan.h): anything else is
 * JRPC_PARSE_ERROR with jscan's reason as error_msg. For the client's
 * lines, which an SDK server would refuse too (STDIO-5). */
void jrpc_parse_strict(const char* text, size_t len, struct jrpc_msg* out);
/* Classify a tree already parsed (an element of a batch), taking it. */
void jrpc_from_tree(cJSON* root, struct jrpc_msg* out);
void jrpc_msg_free(struct jrpc_msg* m);

/* A valid id: a string, or a number with no fractional part and a
 * magnitude below 2^53, so that it comes back exactly as it was sent. */
bool jrpc_id_valid(const cJSON* id);
/* Ids equal in type and value; a raw item (an id or token kept as its
 * text) equals a string of the same value or a number of the same text. */
bool jrpc_id_equal(const cJSON* a, const cJSON* b);
/* Writes the id as text ("7" or "\"abc\"") for logs and hash keys. */
void jrpc_id_format(const cJSON* id, char* buf, size_t cap);

/* Builders. Every returned cJSON* is owned by the caller. id arguments are
 * copied; an error's NULL id is "id": null (JSON-RPC 2.0 section 5: the id
 * could not be read). An id may be a raw item (jmsg.h: the client's id as
 * it wrote it). Ownership of params/result/data passes to the new
 * message. */
cJSON* jrpc_make_request(int64_t id, const char* method, cJSON* params);
cJSON* jrpc_make_notification(const char* method, cJSON* params);
cJSON* jrpc_make_result(const cJSON* id, cJSON* result);
cJSON* jrpc_make_error(const cJSON* id,
                       int code,
                       const char* message,
                       cJSON* data);

/* Replace (or add) the id member of msg with a copy of id / an integer. */
void jrpc_set_id(cJSON* msg, const cJSON* id);
void jrpc_set_int_id(cJSON* msg, int64_t id);
/* The integer value of an id that mcpmon issued, or -1 if id is not a
 * non-negative integer. */
int64_t jrpc_int_id(const cJSON* id);

/* The id of a message known only by its first bytes (an over-long line):
 * looks for "id": followed by an integer or a string. Returns a new cJSON
 * owned by the caller, or NULL when none is readable. */
cJSON* jrpc_sniff_id(const char* head, size_t len);

/* Serialize unformatted with a trailing '\n' (STDIO-1). Returns a heap
 * buffer owned by the caller (free()), its length in *len. */
char* jrpc_serialize(const cJSON* msg, size_t* len);

/* An id (or any value) as JSON text, to splice into a message: a plain
 * integer id is printed into buf (at least 32 bytes) without cJSON, the
 * rest serialized into *heap (free() it; NULL when buf was used).
 * Returns the text, its length in *len, without a newline. */
const char* jrpc_id_text(const cJSON* id, char* buf, size_t* len, char** heap);

/* A response read as text, without building its tree (jscan.h). */
struct jrpc_text_response {
  size_t off; /* the object, without the whitespace around it */
  size_t len;
  size_t id_off; /* the id's value */
  size_t id_len;
  int64_t id;   /* as jrpc_int_id reads it */
  cJSON* error; /* the error member, parsed (owned by the caller), or
                   NULL for a result */
};

/* True when text (len bytes) is one response that jrpc_parse classifies
 * as JRPC_RESPONSE: exactly the members jsonrpc ("2.0"), id and either
 * result (an object) or error (an object with an integer code and a
 * string message), with an id of plain digits up to 2^53, no CR or LF
 * between tokens (STDIO-1 output stays one line however it is split).
 * Fills out; the caller frees out->error. False for everything else,
 * including responses jrpc_parse accepts in other forms (ids written
 * 1.0 or 1e0, ...), with nothing to free. */
bool jrpc_scan_response(const char* text,
                        size_t len,
                        struct jrpc_text_response* out);
/* The same for a text jscan has already found valid (s: its result). */
struct jscan;
bool jrpc_scanned_response(const char* text,
                           const struct jscan* s,
                           struct jrpc_text_response* out);

#endif
