/* control_rings.c - see control_rings.h. */
#include "core/control/control_rings.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void ctl_rings_init(struct ctl_rings* r) {
  memset(r, 0, sizeof(*r));
}

static void ctl_rings_traffic_clear(struct ctl_traffic_entry* t) {
  free(t->method);
  free(t->tool);
  free(t->error);
  free(t->request);
  free(t->response);
  memset(t, 0, sizeof(*t));
}

void ctl_rings_free(struct ctl_rings* r) {
  for (size_t i = 0; i < CONTROL_LOG_RING; i++) free(r->log[i].text);
  for (size_t i = 0; i < CONTROL_TRAFFIC_RING; i++)
    ctl_rings_traffic_clear(&r->traffic[i]);
  ctl_rings_init(r);
}

size_t ctl_rings_cut_utf8(const char* s, size_t len, size_t max) {
  if (len <= max)
    return len;
  size_t n = max;
  /* Back over continuation bytes (10xxxxxx) to the start of the character
   * that does not fit; a run longer than a character is not UTF-8 and is
   * cut where it is. */
  size_t back = 0;
  while (n > 0 && back < 4 && ((unsigned char)s[n] & 0xC0) == 0x80) {
    n--;
    back++;
  }
  return back < 4 ? n : max;
}

/* A copy of s cut to max bytes; NULL for NULL. */
static char* ctl_rings_dup(const char* s, size_t len, size_t max) {
  if (s == NULL)
    return NULL;
  return xstrndup(s, ctl_rings_cut_utf8(s, len, max));
}

const struct ctl_log_entry* ctl_rings_push_log(struct ctl_rings* r,
                                               uint64_t t,
                                               enum log_level level,
                                               enum ctl_log_source source,
                                               const char* text) {
  struct ctl_log_entry* slot = &r->log[r->log_next];
  free(slot->text);
  slot->t = t;
  slot->level = level;
  slot->source = source;
  slot->text = ctl_rings_dup(text, strlen(text), CONTROL_LOG_TEXT_MAX);
  r->log_next = (r->log_next + 1) % CONTROL_LOG_RING;
  if (r->log_count < CONTROL_LOG_RING)
    r->log_count++;
  return slot;
}

static char* ctl_rings_dup_text(const char* s) {
  return s ? ctl_rings_dup(s, strlen(s), CONTROL_TRAFFIC_TEXT_MAX) : NULL;
}

const struct ctl_traffic_entry* ctl_rings_push_traffic(
    struct ctl_rings* r,
    const struct ctl_traffic_entry* in,
    size_t response_len) {
  struct ctl_traffic_entry* e = &r->traffic[r->tr_next];
  ctl_rings_traffic_clear(e);
  r->tr_next = (r->tr_next + 1) % CONTROL_TRAFFIC_RING;
  if (r->tr_count < CONTROL_TRAFFIC_RING)
    r->tr_count++;
  e->seq = in->seq;
  e->t = in->t;
  e->running = in->running;
  e->from_server = in->from_server;
  e->method = ctl_rings_dup_text(in->method);
  e->tool = ctl_rings_dup_text(in->tool);
  e->ms = in->ms;
  e->ok = in->ok;
  e->error = ctl_rings_dup_text(in->error);
  if (in->request != NULL)
    e->request = ctl_rings_dup(in->request, strlen(in->request),
                               CONTROL_TRAFFIC_BODY_MAX);
  e->response =
      ctl_rings_dup(in->response, response_len, CONTROL_TRAFFIC_BODY_MAX);
  return e;
}

const struct ctl_traffic_entry* ctl_rings_finish_traffic(struct ctl_rings* r,
                                                         uint64_t seq,
                                                         double ms,
                                                         bool ok,
                                                         const char* error,
                                                         const char* response,
                                                         size_t response_len) {
  struct ctl_traffic_entry* e =
      (struct ctl_traffic_entry*)ctl_rings_traffic_find(r, seq);
  if (e == NULL || !e->running)
    return NULL;
  e->running = false;
  e->ms = ms;
  e->ok = ok;
  free(e->error);
  e->error = ctl_rings_dup_text(error);
  free(e->response);
  e->response = ctl_rings_dup(response, response_len, CONTROL_TRAFFIC_BODY_MAX);
  return e;
}

size_t ctl_rings_log_count(const struct ctl_rings* r) {
  return r->log_count;
}

const struct ctl_log_entry* ctl_rings_log_at(const struct ctl_rings* r,
                                             size_t i) {
  if (i >= r->log_count)
    return NULL;
  size_t start =
      (r->log_next + CONTROL_LOG_RING - r->log_count) % CONTROL_LOG_RING;
  return &r->log[(start + i) % CONTROL_LOG_RING];
}

size_t ctl_rings_traffic_count(const struct ctl_rings* r) {
  return r->tr_count;
}

const struct ctl_traffic_entry* ctl_rings_traffic_at(const struct ctl_rings* r,
                                                     size_t i) {
  if (i >= r->tr_count)
    return NULL;
  size_t start =
      (r->tr_next + CONTROL_TRAFFIC_RING - r->tr_count) % CONTROL_TRAFFIC_RING;
  return &r->traffic[(start + i) % CONTROL_TRAFFIC_RING];
}

const struct ctl_traffic_entry* ctl_rings_traffic_find(
    const struct ctl_rings* r, uint64_t seq) {
  for (size_t i = 0; i < r->tr_count; i++) {
    const struct ctl_traffic_entry* t = ctl_rings_traffic_at(r, i);
    if (t->seq == seq)
      return t;
  }
  return NULL;
}

void ctl_rings_share(const size_t* need,
                     size_t n,
                     size_t budget,
                     size_t* grant) {
  /* Water-filling: serve the smallest open need first, each time with an
   * equal part of what is left. n is small (backends, or two rings). */
  bool* done = xcalloc(n ? n : 1, sizeof(*done));
  size_t left = budget;
  for (size_t open = n; open > 0; open--) {
    size_t pick = n;
    for (size_t i = 0; i < n; i++)
      if (!done[i] && (pick == n || need[i] < need[pick]))
        pick = i;
    size_t part = left / open;
    grant[pick] = need[pick] < part ? need[pick] : part;
    left -= grant[pick];
    done[pick] = true;
  }
  free(done);
}
