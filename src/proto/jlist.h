/* jlist.h - a list result's array indexed as text (issue 18).
 *
 * Pure (no libuv, no cJSON; jscan.h validates). A server's answer to
 * tools/list, prompts/list, resources/list or resources/templates/list
 * (PAG-1) is an object {"<key>": [item, ...], "nextCursor": "...", ...}.
 * jlist_index finds, without building a tree, each item's bytes in the
 * text and, in each item that is an object, the string value of its
 * first member named name_key ("name"; "uri" or "uriTemplate" for
 * resources): so that the gateway can pass each item on as the server
 * wrote it, with only that string replaced (NAME-1).
 *
 * Hostile text is checked: the whole text must be one valid JSON value
 * (jscan_scan) whose top-level value is an object holding key as an
 * array; anything else is an error, said by a static text. Memory is
 * bounded by max_items: past it the items are not indexed and truncated
 * is set. Spans are offsets into the text given; the caller keeps it.
 */
#ifndef MCPMON_JLIST_H
#define MCPMON_JLIST_H

#include <stdbool.h>
#include <stddef.h>

struct jlist_item {
  size_t off; /* the item's value, from its first byte to its last */
  size_t len;
  /* The item is an object whose first name_key member is a string: its
   * body between the quotes, as written (may hold escapes). */
  bool has_name;
  bool name_escaped; /* that body holds a backslash escape */
  size_t name_off;   /* offset of the opening quote + 1 */
  size_t name_len;
};

struct jlist {
  struct jlist_item* items; /* owned (jlist_free) */
  size_t n;
  bool truncated; /* more than max_items items: the rest not indexed */
  /* nextCursor when it is a string: its body between the quotes. */
  bool has_cursor;
  size_t cursor_off;
  size_t cursor_len;
};

/* Index the result object text (len bytes, need not be NUL-terminated):
 * its member key (an array). valid: the caller has already checked with
 * jscan that the text is one valid JSON value (a jmsg's span), so it is
 * not scanned again. Returns true and fills out (freeing whatever out
 * held); false with *err set (static text) and out empty. */
bool jlist_index(const char* text,
                 size_t len,
                 bool valid,
                 const char* key,
                 const char* name_key,
                 size_t max_items,
                 struct jlist* out,
                 const char** err);

/* Release out->items; out becomes empty. Safe on a zeroed struct. */
void jlist_free(struct jlist* out);

/* The end of the JSON value that starts at text[i] (i < len), in a text
 * jscan accepted: the offset just past its last byte, or len when the
 * text ends first. */
size_t jlist_skip_value(const char* text, size_t len, size_t i);

#endif
