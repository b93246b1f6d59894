/* tutil.h - allocation wrappers and small helpers of the TUI clients
 * (mcpmon tui, status, restart). src/tui includes no core header but
 * control_proto.h, so it has its own.
 *
 * The x* allocators never return NULL: on out-of-memory they run the fatal
 * hook (tui.c's restores the terminal), print one line to stderr and exit
 * with status 1. Everything they return is owned by the caller (free()).
 */
#ifndef MCPMON_TUI_TUTIL_H
#define MCPMON_TUI_TUTIL_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void* tu_malloc(size_t n);
void* tu_calloc(size_t count, size_t size);
void* tu_realloc(void* p, size_t n);
/* Room for need elements of size bytes in the array p that holds *cap:
 * when *cap is less, doubles it (from first when 0) until it is enough
 * and reallocates. Returns the array to use from now on; p is dead when
 * it moved. */
void* tu_grow(void* p, size_t* cap, size_t need, size_t size, size_t first);
char* tu_strdup(const char* s);
char* tu_strndup(const char* s, size_t n);
char* tu_asprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/* tu_asprintf with a va_list (which it uses up, as vsnprintf does). */
char* tu_vasprintf(const char* fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

/* Called once before the out-of-memory message is printed; NULL for none.
 * The hook must not allocate. */
void tu_set_fatal_hook(void (*hook)(void));

/* Route cJSON's allocations through tu_malloc (so a parse returns NULL only
 * for bad input, never for lack of memory). */
void tu_cjson_hooks(void);

/* A JSON number as an integer: dflt when v is not a number (or NaN),
 * fractions cut, values beyond int64_t clamped. A plain cast of such a
 * double is undefined behaviour. */
int64_t tu_json_int(const cJSON* v, int64_t dflt);

/* Wall clock, Unix milliseconds (the protocol's time base). */
int64_t tu_now_ms(void);

/* A duration as the dashboard shows it: "45s", "3m04s", "2h05m", "3d04h".
 * Negative durations print as "0s". */
void tu_fmt_duration(int64_t ms, char* buf, size_t cap);

/* A wall-clock time in local time: "HH:MM:SS", or "HH:MM:SS.mmm" with
 * millis; dashes when ms is 0 (unknown) or less. */
void tu_fmt_clock(int64_t ms, bool millis, char* buf, size_t cap);

/* Terminal columns a UTF-8 string takes in the current locale (wcwidth;
 * undecodable bytes and control characters count one column each). */
size_t tu_strwidth(const char* s);
/* The longest start of s that fits in cols columns, measured as
 * tu_strwidth measures: its length in bytes (a whole character always),
 * and its width in *width. */
size_t tu_fit(const char* s, int cols, int* width);

/* Text from a control socket (a name, a message, a command line) made
 * safe to print on a terminal, so that a socket cannot retitle it, clear
 * it or move the cursor (issue 12 item 7): each byte below 0x20 but tab,
 * DEL (0x7f), each C1 control (U+0080..U+009F, in UTF-8 0xC2 0x80..0x9F)
 * and each byte that is not part of valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included) is written as \xNN,
 * a C1 control as its two bytes, tab as \t. All else is kept, backslashes
 * too. Pure, whatever the locale. Returns a new string (caller frees). */
char* tu_escape(const char* s);

/* JSON text as cJSON prints it made as safe, staying the same JSON: DEL
 * and the C1 controls become \u007f..\u009f and each byte of invalid
 * UTF-8 becomes \ufffd (U+FFFD); cJSON writes the C0 controls as \uXXXX
 * already (a raw one would become that too). Outside its strings JSON
 * text is ASCII, so only string contents change. Returns a new string
 * (caller frees). */
char* tu_escape_json(const char* json);

/* For a window that shows a list of n rows, h at a time, from row top
 * on: the new top, moved as little as needed to show row cur (-1: no
 * cursor) and to leave no empty rows below the last one. */
size_t tu_list_top(size_t top, long cur, int h, size_t n);

#define TU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
