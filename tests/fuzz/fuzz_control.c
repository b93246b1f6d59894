/* fuzz_control.c - the control protocol as the dashboard reads it: bytes
 * from the socket through src/tui/ctlclient.c's line reader, each line
 * parsed and checked as a hello (ctl_check_hello) and applied to the model
 * (src/tui/model.c), as tui.c does.
 *
 * Input: 1 byte choosing the reader's line limit (1 MiB as in the TUI, or
 * small to reach the over-long path), 8 bytes of chunk sizes, then the
 * stream. Invariants: the reader hands out NUL-terminated lines with no
 * '\n' within its limit; after every object the model is consistent:
 * backend names unique and set, traffic ordered by seq and within
 * MODEL_TRAFFIC_MAX, log rings within MODEL_LOG_MAX lines of at most
 * MODEL_LOG_TEXT_MAX bytes without '\n', the backend index reported in
 * range; log searches and lookups stay in bounds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "proto/control_proto.h"
#include "tui/ctlclient.h"
#include "tui/model.h"

#define FUZZ_MAX_INPUT (256u * 1024u)
#define FUZZ_HEADER 9

static void check_log(const struct model_log* log) {
  FUZZ_CHECK(log->count <= log->cap && log->cap <= MODEL_LOG_MAX);
  FUZZ_CHECK(log->count == 0 || log->start < log->cap);
  uint64_t end = model_log_end(log);
  FUZZ_CHECK(end == log->first + log->count);
  for (uint64_t i = log->first; i < end; i++) {
    const struct model_log_line* l = model_log_get(log, i);
    FUZZ_CHECK(l != NULL && l->text != NULL);
    FUZZ_CHECK(strlen(l->text) <= MODEL_LOG_TEXT_MAX);
    FUZZ_CHECK(strchr(l->text, '\n') == NULL);
    FUZZ_CHECK(l->level >= MODEL_LV_ERROR && l->level <= MODEL_LV_DEBUG);
  }
  FUZZ_CHECK(model_log_get(log, end) == NULL);
  if (log->first > 0)
    FUZZ_CHECK(model_log_get(log, log->first - 1) == NULL);
}

/* Searches both ways for needle from both ends and the middle. */
static void search_log(const struct model_log* log, const char* needle) {
  uint64_t end = model_log_end(log);
  uint64_t from[] = {0, log->first, log->first + log->count / 2, end, end + 5};
  for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
    for (int back = 0; back < 2; back++) {
      uint64_t found;
      if (model_log_search(log, needle, from[i], back, &found)) {
        FUZZ_CHECK(found >= log->first && found < end);
        FUZZ_CHECK(back ? found < from[i] : found > from[i]);
        const struct model_log_line* l = model_log_get(log, found);
        FUZZ_CHECK(model_strcasestr(l->text, needle) != NULL);
      }
    }
  }
}

static void check_model(const struct model* m, unsigned ch, int backend) {
  FUZZ_CHECK((ch & ~(unsigned)MODEL_CH_ALL) == 0);
  FUZZ_CHECK(backend >= -1 && backend < (int)m->nbackends);
  for (size_t i = 0; i < m->nbackends; i++) {
    const struct model_backend* b = &m->backends[i];
    FUZZ_CHECK(b->name != NULL);
    FUZZ_CHECK(model_find_backend(m, b->name) == (int)i);
    FUZZ_CHECK(b->state == model_state_parse(b->state_name));
    for (size_t j = 0; j < b->nwatch; j++) FUZZ_CHECK(b->watch[j] != NULL);
    for (size_t j = 0; j < b->ntools; j++) FUZZ_CHECK(b->tools[j].name != NULL);
    check_log(&b->log);
  }
  check_log(&m->events.log);
  FUZZ_CHECK(m->ntraffic <= MODEL_TRAFFIC_MAX);
  for (size_t i = 0; i < m->ntraffic; i++) {
    FUZZ_CHECK(m->traffic[i].method != NULL);
    if (i > 0)
      FUZZ_CHECK(m->traffic[i - 1].seq < m->traffic[i].seq);
    FUZZ_CHECK(model_find_traffic(m, m->traffic[i].seq) == (long)i);
  }
  /* Detail lines may hold a '\n' from an error text: crt_text shows it as
   * a space. */
  for (size_t i = 0; m->detail.valid && i < m->detail.nlines; i++)
    FUZZ_CHECK(m->detail.lines[i] != NULL);
}

struct session {
  struct model m;
  bool hello_seen;
  size_t objects;
};

static void on_line(struct session* s, char* line, size_t len) {
  cJSON* obj = cJSON_ParseWithLength(line, len);
  if (!cJSON_IsObject(obj)) {
    cJSON_Delete(obj);
    return;
  }
  if (!s->hello_seen) {
    /* The TUI drops a core whose hello it does not accept; go on here to
     * reach the model with any first line. */
    long pid = -1;
    char err[256];
    int rc = ctl_check_hello(obj, &pid, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || memchr(err, '\0', sizeof(err)) != NULL);
    s->hello_seen = true;
  }
  int backend = 99;
  unsigned ch = model_apply(&s->m, obj, &backend);
  check_model(&s->m, ch, backend);
  cJSON_Delete(obj);

  /* The same line through model_apply_line, now and then. */
  if (++s->objects % 4 == 0) {
    ch = model_apply_line(&s->m, line, &backend);
    check_model(&s->m, ch, backend);
  }
  /* Search with the line's first bytes. */
  char needle[4];
  size_t n = len < 3 ? len : 3;
  memcpy(needle, line, n);
  needle[n] = '\0';
  for (size_t i = 0; i < s->m.nbackends; i++)
    search_log(&s->m.backends[i].log, needle);
  search_log(&s->m.events.log, needle);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < FUZZ_HEADER || size > FUZZ_MAX_INPUT)
    return 0;
  size_t max =
      data[0] & 1 ? 16 + (size_t)(data[0] >> 1) * 32 : CONTROL_SERVER_LINE_MAX;
  const uint8_t* sizes = data + 1;
  const uint8_t* stream = data + FUZZ_HEADER;
  size_t n = size - FUZZ_HEADER;

  struct ctl_reader rd;
  ctl_reader_init(&rd, max);
  struct session s;
  memset(&s, 0, sizeof(s));
  model_init(&s.m);

  size_t off = 0;
  for (size_t i = 0; off < n; i++) {
    size_t chunk = ((size_t)sizes[i % 8] + 1) * (i % 3 == 2 ? 64 : 1);
    if (chunk > n - off)
      chunk = n - off;
    ctl_reader_push(&rd, (const char*)stream + off, chunk);
    off += chunk;
    for (;;) {
      char* line;
      size_t len;
      int got = ctl_reader_next(&rd, &line, &len);
      if (got == 0)
        break;
      if (got < 0)
        continue; /* an over-long line, skipped */
      FUZZ_CHECK(got == 1);
      FUZZ_CHECK(len > 0 && len <= max);
      FUZZ_CHECK(line[len] == '\0');
      FUZZ_CHECK(memchr(line, '\n', len) == NULL);
      on_line(&s, line, len);
    }
  }

  model_free(&s.m);
  FUZZ_CHECK(s.m.nbackends == 0 && s.m.ntraffic == 0);
  ctl_reader_free(&rd);
  return 0;
}
