/* utf8.h - well-formed UTF-8: checked, in one piece or many, and repaired.
 *
 * Pure: no allocation, no I/O, no state but the caller's. Well-formed is
 * what Unicode says (chapter 3, Table 3-7): each character one of
 *   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC 80..BF 80..BF
 *   | ED 80..9F 80..BF | EE..EF 80..BF 80..BF | F0 90..BF 80..BF 80..BF
 *   | F1..F3 80..BF 80..BF 80..BF | F4 80..8F 80..BF 80..BF
 * so these are not: overlong forms (C0, C1, E0 80..9F, F0 80..8F),
 * encoded UTF-16 surrogates (ED A0..BF: U+D800..U+DFFF), code points
 * above U+10FFFF (F4 90..BF, F5..FF), continuation bytes (80..BF) without
 * their lead, and sequences cut short, by another byte or by the end.
 *
 * Long texts are checked 32 bytes at a time with AVX2 where the CPU has
 * it (asked once, at run time), else a byte at a time with an 8-byte step
 * over ASCII (jscan.c scans JSON strings with it).
 */
#ifndef MCPMON_UTF8_H
#define MCPMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A check of a text that arrives in pieces: where it is between two
 * bytes. utf8_begin (or zeroing) starts it, utf8_feed takes each piece in
 * order, utf8_end gives the verdict for the pieces joined. Copying the
 * struct copies the check. bad is read-only; the rest is private. */
struct utf8_state {
  unsigned char need; /* continuation bytes the current character lacks */
  unsigned char lo;   /* the range the next one must be in */
  unsigned char hi;
  bool bad; /* something ill-formed was seen */
};

void utf8_begin(struct utf8_state* st);

/* Checks the n bytes at s, after those fed before: a character may be
 * cut between two pieces. Sets st->bad at the first ill-formed part. */
void utf8_feed(struct utf8_state* st, const char* s, size_t n);

/* Whether everything fed was well-formed UTF-8, a character cut off by
 * the end not being so. Sets st->bad when it was not; st may be fed on
 * as if the text had ended there. */
bool utf8_end(struct utf8_state* st);

/* Whether the n bytes at s are well-formed UTF-8. */
bool utf8_valid(const char* s, size_t n);

/* Room utf8_repair needs at most for len bytes: each may become U+FFFD. */
#define UTF8_REPAIR_MAX(len) (3 * (len))

/* Copies in (len bytes) to out, with each maximal ill-formed subsequence
 * replaced by U+FFFD (EF BF BD), as Unicode (section 3.9, "U+FFFD
 * Substitution of Maximal Subparts") and the WHATWG Encoding standard
 * do: a valid beginning of a character cut short becomes one U+FFFD, any
 * other ill-formed byte one U+FFFD of its own. So 61 F1 80 80 E1 80 C2 62
 * 80 63 80 BF 64 becomes a FFFD FFFD FFFD b FFFD c FFFD FFFD d, and
 * well-formed text comes out unchanged. out (not overlapping in) must
 * hold UTF8_REPAIR_MAX(len) bytes; nothing is NUL-terminated. Returns the
 * bytes written. */
size_t utf8_repair(const char* in, size_t len, char* out);

/* Writes code point cp as UTF-8 into out; returns its length (1 to 4).
 * A cp that is no Unicode scalar value (a surrogate, D800..DFFF, or above
 * 10FFFF) is written as U+FFFD. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
