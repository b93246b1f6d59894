/* jscan.h - a validating JSON scanner that builds nothing and allocates
 * nothing.
 *
 * Pure (no libuv, no cJSON). Checks that a text is exactly one JSON value
 * (RFC 8259: objects, arrays, strings with every escape, numbers by the
 * grammar, true/false/null), optionally surrounded by whitespace (space,
 * tab, CR, LF), nested at most JSCAN_MAX_DEPTH deep. For a top-level
 * object it also reports where its members are, so that a caller can pass
 * most of the text on unchanged (backend_text.c: responses forwarded as
 * text).
 *
 * It also reports what a caller that forwards the text as it is must know
 * (struct jscan): whether its UTF-8 is well-formed (lib/utf8.h), whether
 * a string holds an unpaired UTF-16 surrogate escape, how deep it nests.
 *
 * Where it differs from cJSON 1.7.15 (tests/unit/test_jscan.c checks each):
 * - Rejected here, accepted by cJSON: leading zeros ("01"), a point without
 *   digits ("1.", "1.e5"), raw control characters (< 0x20) in strings,
 *   \u escapes with non-hex digits (cJSON reads "\u12G4" as U+0000), a
 *   leading UTF-8 byte order mark, and other bytes <= 0x20 (form feed,
 *   NUL, ...) taken as whitespace.
 * - Accepted here, rejected by cJSON: unpaired UTF-16 surrogate escapes
 *   ("\ud800", "\udc00", "\ud83dx", "\ud83d\u0041"), which the RFC
 *   grammar allows (a JavaScript server that cut a string inside an
 *   emoji writes them) but cJSON cannot decode: lone_surrogate says so;
 *   and nesting deeper than cJSON's CJSON_NESTING_LIMIT (1000), up to
 *   JSCAN_MAX_DEPTH: max_depth says how deep.
 * - Neither rejects ill-formed UTF-8: bytes >= 0x80 in strings pass as
 *   they are. jscan checks them and sets bad_utf8; cJSON does not look.
 * So every text jscan accepts without lone_surrogate and with max_depth
 * <= 1000, cJSON parses too (tests/fuzz/fuzz_jsonrpc.c checks that), and
 * jscan never needs more than one pass.
 */
#ifndef MCPMON_JSCAN_H
#define MCPMON_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/utf8.h"

#define JSCAN_MAX_DEPTH 4096 /* arrays and objects nested */
#define JSCAN_MAX_MEMBERS 16 /* top-level members reported */

enum jscan_type {
  JSCAN_NONE,
  JSCAN_OBJECT,
  JSCAN_ARRAY,
  JSCAN_STRING,
  JSCAN_NUMBER,
  JSCAN_TRUE,
  JSCAN_FALSE,
  JSCAN_NULL,
};

/* One member of the top-level object. Offsets count from the start of the
 * scanned text. */
struct jscan_member {
  size_t key_off; /* the key's bytes between its quotes, as written */
  size_t key_len;
  bool key_escaped; /* the key holds a backslash escape */
  size_t off;       /* the value, from its first byte to its last */
  size_t len;
  enum jscan_type type;
};

struct jscan {
  enum jscan_type type; /* of the top-level value */
  size_t off;           /* its span, without the whitespace around it */
  size_t len;
  size_t nmembers; /* members of a top-level object, all of them */
  struct jscan_member members[JSCAN_MAX_MEMBERS]; /* the first ones */
  bool line_break; /* whitespace between tokens held CR or LF */
  /* A string holds a UTF-16 surrogate escape (\uD800-\uDFFF) that is not
   * a high one followed at once by a low one. cJSON refuses such a text;
   * jscan_str_equals reads each of them as U+FFFD. For an invalid text,
   * said of the bytes before where the scan stopped. */
  bool lone_surrogate;
  /* The text is not well-formed UTF-8 (lib/utf8.h: overlong forms,
   * encoded surrogates, above U+10FFFF, stray or missing continuation
   * bytes). Said of every byte, even past where an invalid text stopped:
   * it is !utf8_valid(text). In a valid text such bytes can only be in
   * strings, so utf8_repair of the whole text gives valid JSON of the
   * same shape (each ill-formed part, never an ASCII byte, becomes
   * U+FFFD), but the offsets above no longer hold for it. */
  bool bad_utf8;
  /* The deepest nesting of arrays and objects seen: 0 for a scalar, 1
   * for "[]", at most JSCAN_MAX_DEPTH. cJSON refuses more than 1000. For
   * an invalid text, the deepest before where the scan stopped. */
  unsigned max_depth;
  size_t err_off;  /* invalid: where the scan stopped */
  const char* err; /* invalid: what is wrong (static text) */
};

/* Scan text (len bytes, need not be NUL-terminated). Returns true and fills
 * out when it is one valid JSON value; false with out->err and
 * out->err_off otherwise. lone_surrogate, bad_utf8 and max_depth are
 * filled either way. */
bool jscan_scan(const char* text, size_t len, struct jscan* out);

/* The same scan over a text that arrives in pieces, each byte looked at
 * while it is still in cache (backend_proc.c scans a server's line as it
 * is read); a UTF-8 character or an escape may be cut between two.
 * jscan_begin, then jscan_feed for every piece in order, then jscan_end:
 * its verdict and s->out are what jscan_scan gives for the pieces joined.
 * Offsets count from the first byte fed. The state is the struct itself:
 * no allocation, nothing to free; copying it copies the scan. */
struct jscan_stream {
  size_t pos; /* bytes fed so far */
  int state;  /* private from here on */
  int depth;
  int cur;             /* index of the member whose value is read, or -1 */
  bool in_key;         /* the string being read is a key */
  bool escaped;        /* ... and it holds an escape */
  bool low;            /* after a high surrogate escape */
  unsigned char hex_n; /* \u digits read */
  unsigned hex_v;
  const char* lit; /* true, false or null */
  size_t lit_i;
  size_t str_off;       /* where the string's body starts */
  size_t esc_off;       /* where its last escape starts */
  size_t val_off;       /* where the literal or number starts */
  struct utf8_state u8; /* the bytes fed: strings', and all after a failure */
  uint64_t is_obj[JSCAN_MAX_DEPTH / 64]; /* 512 bytes */
  struct jscan out;
};

void jscan_begin(struct jscan_stream* s);
void jscan_feed(struct jscan_stream* s, const char* data, size_t n);
bool jscan_end(struct jscan_stream* s);

/* Whether the body of a string as written between its quotes (raw_len
 * bytes, already accepted by jscan_scan) equals s (n bytes) once its
 * escapes are undone: a surrogate pair as its code point in UTF-8, a lone
 * surrogate as U+FFFD (EF BF BD), as a JavaScript TextEncoder writes it.
 * Raw bytes are compared as they are, ill-formed UTF-8 too. */
bool jscan_str_equals(const char* raw, size_t raw_len, const char* s, size_t n);

/* The index of the first top-level member whose key is key (compared with
 * escapes undone), or -1. Only the first JSCAN_MAX_MEMBERS are searched. */
int jscan_find(const struct jscan* s, const char* text, const char* key);

#endif
