/* control_rings.h - the rings of recent log lines and traffic that the
 * control socket keeps per backend, and the arithmetic that fits them into
 * a bounded message. Pure: no libuv, no JSON, no I/O; unit-tested in
 * tests/unit/test_control_rings.c.
 *
 * A ring owns copies of everything pushed into it; pointers it returns are
 * valid until the next push or ctl_rings_free. Each string is cut (at a
 * UTF-8 character boundary) when pushed, so that any one entry is bounded
 * however long the original was:
 *   log text                    CONTROL_LOG_TEXT_MAX bytes
 *   traffic method, tool, error CONTROL_TRAFFIC_TEXT_MAX bytes each
 *   traffic request, response   CONTROL_TRAFFIC_BODY_MAX bytes each
 * Bodies are kept for every entry (issue 15), so a ring holds at most
 * CONTROL_TRAFFIC_RING * 2 * CONTROL_TRAFFIC_BODY_MAX bytes of them
 * (6.4 MiB) by construction, plus its texts.
 */
#ifndef MCPMON_CONTROL_RINGS_H
#define MCPMON_CONTROL_RINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "proto/control_proto.h"

/* Where a log line came from (the protocol's "source"). */
enum ctl_log_source {
  CTL_LOG_MCPMON = 0, /* mcpmon's own event */
  CTL_LOG_STDERR = 1, /* a line of the server's stderr */
  CTL_LOG_SERVER = 2, /* the server's notifications/message (issue 15) */
};

struct ctl_log_entry {
  uint64_t t; /* Unix ms */
  enum log_level level;
  enum ctl_log_source source;
  char* text;
};

struct ctl_traffic_entry {
  uint64_t seq;     /* unique within the instance, given by the caller */
  uint64_t t;       /* Unix ms, when the request arrived */
  bool running;     /* not answered yet (ms, ok, error, response unset) */
  bool from_server; /* a request of the server to the client */
  char* method;
  char* tool;    /* NULL: none */
  double ms;     /* request to answer */
  bool ok;       /* false: the answer was an error */
  char* error;   /* its message, NULL when none */
  char* request; /* bodies: NULL unless they were given */
  char* response;
};

/* All fields private: use the functions below. Zeroed memory is an empty
 * ring (ctl_rings_init does that too). */
struct ctl_rings {
  struct ctl_log_entry log[CONTROL_LOG_RING];
  size_t log_next;
  size_t log_count;
  struct ctl_traffic_entry traffic[CONTROL_TRAFFIC_RING];
  size_t tr_next;
  size_t tr_count;
};

void ctl_rings_init(struct ctl_rings* r);
/* Free every entry; r is empty afterwards. */
void ctl_rings_free(struct ctl_rings* r);

/* Append a log line (text copied and cut); the oldest line goes when the
 * ring is full. Returns the stored entry. */
const struct ctl_log_entry* ctl_rings_push_log(struct ctl_rings* r,
                                               uint64_t t,
                                               enum log_level level,
                                               enum ctl_log_source source,
                                               const char* text);

/* Append a traffic entry: copies the strings of *in (borrowed; method must
 * not be NULL, the others may), cut as above; response is response_len
 * bytes, not NUL-terminated. The oldest entry goes when the ring is full.
 * Returns the stored entry. */
const struct ctl_traffic_entry* ctl_rings_push_traffic(
    struct ctl_rings* r,
    const struct ctl_traffic_entry* in,
    size_t response_len);

/* The answer to the running entry seq: sets ms, ok, error and response
 * (response_len bytes, not NUL-terminated; copied and cut as above) and
 * ends running. Returns the entry, or NULL when seq is not in the ring
 * (it left it) or is no longer running (answered already). */
const struct ctl_traffic_entry* ctl_rings_finish_traffic(struct ctl_rings* r,
                                                         uint64_t seq,
                                                         double ms,
                                                         bool ok,
                                                         const char* error,
                                                         const char* response,
                                                         size_t response_len);

/* Entries in order, 0 the oldest; NULL past the count. */
size_t ctl_rings_log_count(const struct ctl_rings* r);
const struct ctl_log_entry* ctl_rings_log_at(const struct ctl_rings* r,
                                             size_t i);
size_t ctl_rings_traffic_count(const struct ctl_rings* r);
const struct ctl_traffic_entry* ctl_rings_traffic_at(const struct ctl_rings* r,
                                                     size_t i);
/* The traffic entry with this seq, NULL when it left the ring. */
const struct ctl_traffic_entry* ctl_rings_traffic_find(
    const struct ctl_rings* r, uint64_t seq);

/* The length of s's first len bytes cut to at most max bytes without
 * splitting a UTF-8 sequence. */
size_t ctl_rings_cut_utf8(const char* s, size_t len, size_t max);

/* Divide budget bytes among n wants, fairly (max-min): nobody gets more
 * than it needs, and what one does not need goes to the others in equal
 * parts. grant[i] <= need[i] and sum(grant) <= budget. */
void ctl_rings_share(const size_t* need,
                     size_t n,
                     size_t budget,
                     size_t* grant);

#endif
