/* model.c - see model.h. */
#include "tui/model.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/model_detail.h"
#include "tui/tutil.h"

/* ---- small JSON readers ------------------------------------------------ */

static const cJSON* model_get(const cJSON* obj, const char* key) {
  return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool model_has(const cJSON* obj, const char* key) {
  return model_get(obj, key) != NULL;
}

/* A new copy of a string member, NULL when absent, null or not a string. */
static char* model_str(const cJSON* obj, const char* key) {
  const cJSON* v = model_get(obj, key);
  return cJSON_IsString(v) ? tu_strdup(v->valuestring) : NULL;
}

static int64_t model_i64(const cJSON* obj, const char* key) {
  const cJSON* v = model_get(obj, key);
  return tu_json_int(v, 0);
}

static void model_set_str(char** slot, const cJSON* obj, const char* key) {
  free(*slot);
  *slot = model_str(obj, key);
}

/* ---- log ring ------------------------------------------------------------ */

static void model_log_init(struct model_log* log) {
  memset(log, 0, sizeof(*log));
}

static void model_log_free(struct model_log* log) {
  for (size_t i = 0; i < log->count; i++)
    free(log->lines[(log->start + i) % log->cap].text);
  free(log->lines);
  model_log_init(log);
}

uint64_t model_log_end(const struct model_log* log) {
  return log->first + log->count;
}

const struct model_log_line* model_log_get(const struct model_log* log,
                                           uint64_t n) {
  if (n < log->first || n >= log->first + log->count)
    return NULL;
  return &log->lines[(log->start + (n - log->first)) % log->cap];
}

/* Length of the terminal escape sequence at p (p[0] is ESC): CSI (ESC [
 * ... final byte), OSC (ESC ] ... BEL or ESC \\), or ESC and one byte. */
static size_t model_escape_len(const char* p) {
  size_t i = 1;
  if (p[i] == '[') {
    for (i = 2; p[i] != '\0'; i++)
      if ((unsigned char)p[i] >= 0x40 && (unsigned char)p[i] <= 0x7e)
        return i + 1;
    return i;
  }
  if (p[i] == ']') {
    for (i = 2; p[i] != '\0'; i++) {
      if (p[i] == '\a')
        return i + 1;
      if (p[i] == 0x1b && p[i + 1] == '\\')
        return i + 2;
    }
    return i;
  }
  return p[i] != '\0' ? 2 : 1;
}

/* A copy of text for the log: terminal escape sequences (colours a server
 * prints on stderr) removed, line breaks turned into spaces, cut to
 * MODEL_LOG_TEXT_MAX bytes at a UTF-8 boundary. */
static char* model_log_text(const char* text) {
  size_t len = strlen(text);
  char* s = tu_malloc(len + 1);
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    if (text[i] == 0x1b) {
      i += model_escape_len(text + i);
      continue;
    }
    char c = text[i++];
    s[n++] = c == '\n' || c == '\r' ? ' ' : c;
  }
  if (n > MODEL_LOG_TEXT_MAX) {
    n = MODEL_LOG_TEXT_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  s[n] = '\0';
  return s;
}

static enum model_level model_level_parse(const char* s) {
  static const char* const names[] = {"error", "warn", "info", "verbose",
                                      "debug"};
  for (size_t i = 0; s != NULL && i < TU_ARRAY_LEN(names); i++)
    if (strcmp(s, names[i]) == 0)
      return (enum model_level)i;
  if (s != NULL && strcmp(s, "warning") == 0)
    return MODEL_LV_WARN;
  return MODEL_LV_INFO;
}

const char* model_level_name(enum model_level lv) {
  switch (lv) {
    case MODEL_LV_ERROR:
      return "error";
    case MODEL_LV_WARN:
      return "warn";
    case MODEL_LV_INFO:
      return "info";
    case MODEL_LV_VERBOSE:
      return "verbose";
    case MODEL_LV_DEBUG:
      return "debug";
  }
  return "info";
}

/* Append a line from a log object ({t, level, source, text}). */
static void model_log_append(struct model_log* log, const cJSON* obj) {
  const cJSON* text = model_get(obj, "text");
  if (!cJSON_IsString(text))
    return;
  if (log->cap == 0) {
    log->cap = MODEL_LOG_MAX;
    log->lines = tu_calloc(log->cap, sizeof(*log->lines));
  }
  struct model_log_line* slot;
  if (log->count == log->cap) {
    slot = &log->lines[log->start];
    free(slot->text);
    log->start = (log->start + 1) % log->cap;
    log->first++;
  } else {
    slot = &log->lines[(log->start + log->count) % log->cap];
    log->count++;
  }
  const cJSON* level = model_get(obj, "level");
  const cJSON* source = model_get(obj, "source");
  slot->t = model_i64(obj, "t");
  slot->level =
      model_level_parse(cJSON_IsString(level) ? level->valuestring : NULL);
  slot->from_mcpmon =
      cJSON_IsString(source) && strcmp(source->valuestring, "mcpmon") == 0;
  slot->from_server =
      cJSON_IsString(source) && strcmp(source->valuestring, "server") == 0;
  slot->text = model_log_text(text->valuestring);
}

/* A line of mcpmon's own at warn or error: one of its events. (Lines
 * about no backend in gateway mode are events at any level.) */
static bool model_is_event(const cJSON* obj) {
  const char* source = cJSON_GetStringValue(model_get(obj, "source"));
  const char* level = cJSON_GetStringValue(model_get(obj, "level"));
  return source != NULL && strcmp(source, "mcpmon") == 0 &&
         model_level_parse(level) <= MODEL_LV_WARN;
}

static char* model_str_of(const cJSON* obj, const char* key) {
  return cJSON_GetStringValue(model_get(obj, key));
}

/* Append an event ({t, level, text}) about backend name (NULL: none),
 * its text prefixed "name: ". */
static void model_event_append(struct model* m,
                               const cJSON* obj,
                               const char* name) {
  const char* text = cJSON_GetStringValue(model_get(obj, "text"));
  if (text == NULL)
    return;
  cJSON* copy = cJSON_CreateObject();
  const cJSON* t = model_get(obj, "t");
  if (cJSON_IsNumber(t))
    cJSON_AddNumberToObject(copy, "t", t->valuedouble);
  const char* level = cJSON_GetStringValue(model_get(obj, "level"));
  cJSON_AddStringToObject(copy, "level", level != NULL ? level : "info");
  cJSON_AddStringToObject(copy, "source", "mcpmon");
  char* full = name != NULL ? tu_asprintf("%s: %s", name, text) : NULL;
  cJSON_AddStringToObject(copy, "text", full != NULL ? full : text);
  free(full);
  model_log_append(&m->events.log, copy);
  cJSON_Delete(copy);
}

const char* model_strcasestr(const char* hay, const char* needle) {
  size_t n = strlen(needle);
  if (n == 0)
    return hay;
  for (const char* p = hay; *p; p++) {
    size_t i = 0;
    while (i < n && p[i] &&
           tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (i == n)
      return p;
  }
  return NULL;
}

bool model_log_search(const struct model_log* log,
                      const char* needle,
                      uint64_t from,
                      bool backward,
                      uint64_t* found) {
  if (needle == NULL || needle[0] == '\0' || log->count == 0)
    return false;
  uint64_t end = model_log_end(log);
  if (backward) {
    uint64_t n = from > end ? end : from;
    while (n > log->first) {
      n--;
      if (model_strcasestr(model_log_get(log, n)->text, needle) != NULL) {
        *found = n;
        return true;
      }
    }
  } else {
    for (uint64_t n = from + 1 < log->first ? log->first : from + 1; n < end;
         n++) {
      if (model_strcasestr(model_log_get(log, n)->text, needle) != NULL) {
        *found = n;
        return true;
      }
    }
  }
  return false;
}

/* ---- backends ------------------------------------------------------------ */

enum model_state model_state_parse(const char* s) {
  static const struct {
    const char* name;
    enum model_state st;
  } states[] = {
      {"idle", MODEL_ST_IDLE},
      {"starting", MODEL_ST_STARTING},
      {"initializing", MODEL_ST_INITIALIZING},
      {"ready", MODEL_ST_READY},
      {"restarting", MODEL_ST_RESTARTING},
      {"crashed", MODEL_ST_CRASHED},
      {"waiting", MODEL_ST_WAITING},
      {"stopping", MODEL_ST_STOPPING},
      {"stopped", MODEL_ST_STOPPED},
      {"disabled", MODEL_ST_DISABLED},
  };
  for (size_t i = 0; s != NULL && i < TU_ARRAY_LEN(states); i++)
    if (strcmp(s, states[i].name) == 0)
      return states[i].st;
  return MODEL_ST_UNKNOWN;
}

bool model_backend_failed(const struct model_backend* b) {
  return b->state == MODEL_ST_CRASHED || b->state == MODEL_ST_WAITING;
}

static void model_tools_free(struct model_backend* b) {
  for (size_t i = 0; i < b->ntools; i++) {
    free(b->tools[i].name);
    free(b->tools[i].description);
  }
  free(b->tools);
  b->tools = NULL;
  b->ntools = 0;
}

static void model_tools_set(struct model_backend* b, const cJSON* arr) {
  model_tools_free(b);
  if (!cJSON_IsArray(arr))
    return;
  size_t n = (size_t)cJSON_GetArraySize(arr);
  b->tools = tu_calloc(n, sizeof(*b->tools));
  const cJSON* t;
  cJSON_ArrayForEach(t, arr) {
    char* name = NULL;
    if (cJSON_IsString(t))
      name = tu_strdup(t->valuestring); /* a bare name is fine too */
    else
      name = model_str(t, "name");
    if (name == NULL)
      continue;
    b->tools[b->ntools].name = name;
    b->tools[b->ntools].description =
        cJSON_IsObject(t) ? model_str(t, "description") : NULL;
    b->ntools++;
  }
}

static void model_backend_free(struct model_backend* b) {
  free(b->name);
  free(b->state_name);
  free(b->last_exit);
  free(b->reload_outcome);
  free(b->reloading);
  free(b->reload_message);
  free(b->command);
  for (size_t i = 0; i < b->nwatch; i++) free(b->watch[i]);
  free(b->watch);
  model_tools_free(b);
  model_log_free(&b->log);
  memset(b, 0, sizeof(*b));
}

/* The members a state event and a snapshot backend share; absent members
 * keep their value. */
static void model_backend_state(struct model_backend* b, const cJSON* obj) {
  const cJSON* st = model_get(obj, "state");
  if (cJSON_IsString(st)) {
    free(b->state_name);
    b->state_name = tu_strdup(st->valuestring);
    b->state = model_state_parse(st->valuestring);
  }
  if (model_has(obj, "pid"))
    b->pid = (long)model_i64(obj, "pid");
  if (model_has(obj, "restarts"))
    b->restarts = (long)model_i64(obj, "restarts");
  if (model_has(obj, "crashes"))
    b->crashes = (long)model_i64(obj, "crashes");
  if (model_has(obj, "started"))
    b->started = model_i64(obj, "started");
  if (model_has(obj, "lastExit"))
    model_set_str(&b->last_exit, obj, "lastExit");
  if (model_has(obj, "lastReload")) {
    const cJSON* r = cJSON_GetObjectItemCaseSensitive(obj, "lastReload");
    model_set_str(&b->reload_outcome, r, "outcome");
    model_set_str(&b->reload_message, r, "message");
  }
  if (model_has(obj, "reloading"))
    model_set_str(&b->reloading, obj, "reloading");
}

static void model_list_changed(struct model_backend* b, const cJSON* lc) {
  if (!cJSON_IsObject(lc)) {
    b->lc_known = false;
    return;
  }
  b->lc_known = true;
  b->lc_sent = model_i64(lc, "sent");
  b->lc_relisted = cJSON_IsTrue(model_get(lc, "relisted"));
}

static void model_traffic_add(struct model* m,
                              const cJSON* obj,
                              const char* backend);

/* Fill b (zeroed) from a snapshot backend object; false without a name. */
static bool model_backend_load(struct model* m,
                               struct model_backend* b,
                               const cJSON* obj) {
  memset(b, 0, sizeof(*b));
  b->name = model_str(obj, "name");
  if (b->name == NULL)
    return false;
  model_backend_state(b, obj);
  b->command = model_str(obj, "command");
  const cJSON* watch = model_get(obj, "watch");
  if (cJSON_IsArray(watch)) {
    b->watch = tu_calloc((size_t)cJSON_GetArraySize(watch), sizeof(char*));
    const cJSON* w;
    cJSON_ArrayForEach(w, watch) {
      if (cJSON_IsString(w))
        b->watch[b->nwatch++] = tu_strdup(w->valuestring);
    }
  }
  model_tools_set(b, model_get(obj, "tools"));
  const cJSON* log = model_get(obj, "log");
  const cJSON* line;
  cJSON_ArrayForEach(line, log) {
    model_log_append(&b->log, line);
  }
  const cJSON* traffic = model_get(obj, "traffic");
  const cJSON* t;
  cJSON_ArrayForEach(t, traffic) {
    model_traffic_add(m, t, b->name);
  }
  model_list_changed(b, model_get(obj, "listChanged"));
  return true;
}

int model_find_backend(const struct model* m, const char* name) {
  for (size_t i = 0; name != NULL && i < m->nbackends; i++)
    if (strcmp(m->backends[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* Add or replace a backend from a snapshot backend object; its index. */
/* A backend's record, in place of the one of the same name, else new at
 * place at (past the end: last; issue 15: the config file's order). */
static int model_backend_put(struct model* m, const cJSON* obj, size_t at) {
  struct model_backend b;
  if (!model_backend_load(m, &b, obj)) {
    model_backend_free(&b);
    return -1;
  }
  int i = model_find_backend(m, b.name);
  if (i >= 0) {
    model_backend_free(&m->backends[i]);
  } else {
    m->backends =
        tu_realloc(m->backends, (m->nbackends + 1) * sizeof(*m->backends));
    if (at > m->nbackends)
      at = m->nbackends;
    memmove(m->backends + at + 1, m->backends + at,
            (m->nbackends - at) * sizeof(*m->backends));
    m->nbackends++;
    i = (int)at;
  }
  m->backends[i] = b;
  return i;
}

/* ---- traffic ------------------------------------------------------------- */

static void model_traffic_entry_free(struct model_traffic* t) {
  free(t->backend);
  free(t->method);
  free(t->tool);
  free(t->error);
}

bool model_traffic_match(const struct model_traffic* t,
                         bool errors_only,
                         const char* backend) {
  if (errors_only && (t->ok || t->running))
    return false;
  if (backend != NULL &&
      (t->backend == NULL || strcmp(t->backend, backend) != 0))
    return false;
  return true;
}

size_t model_traffic_running(const struct model* m) {
  size_t n = 0;
  for (size_t i = 0; i < m->ntraffic; i++)
    if (m->traffic[i].running)
      n++;
  return n;
}

long model_find_traffic(const struct model* m, uint64_t seq) {
  for (size_t i = m->ntraffic; i-- > 0;)
    if (m->traffic[i].seq == seq)
      return (long)i;
  return -1;
}

static void model_traffic_add(struct model* m,
                              const cJSON* obj,
                              const char* backend) {
  const cJSON* seq = model_get(obj, "seq");
  if (!cJSON_IsNumber(seq) || seq->valuedouble < 0)
    return;
  struct model_traffic t;
  memset(&t, 0, sizeof(t));
  t.seq = (uint64_t)tu_json_int(seq, 0);
  t.t = model_i64(obj, "t");
  t.backend = model_str(obj, "backend");
  if (t.backend == NULL && backend != NULL)
    t.backend = tu_strdup(backend);
  t.method = model_str(obj, "method");
  if (t.method == NULL)
    t.method = tu_strdup("?");
  t.tool = model_str(obj, "tool");
  const cJSON* ms = model_get(obj, "ms");
  t.ms = cJSON_IsNumber(ms) ? ms->valuedouble : 0;
  t.ok = !cJSON_IsFalse(model_get(obj, "ok"));
  t.running = cJSON_IsTrue(model_get(obj, "running"));
  const cJSON* dir = model_get(obj, "direction");
  t.from_server =
      cJSON_IsString(dir) && strcmp(dir->valuestring, "server") == 0;
  const cJSON* err = model_get(obj, "error");
  if (cJSON_IsString(err)) {
    t.error = tu_strdup(err->valuestring);
  } else if (cJSON_IsObject(err)) {
    t.error = model_str(err, "message");
  }
  long have = model_find_traffic(m, t.seq);
  if (have >= 0) {
    model_traffic_entry_free(&m->traffic[have]);
    m->traffic[have] = t;
    return;
  }
  if (m->ntraffic == MODEL_TRAFFIC_MAX) {
    if (t.seq < m->traffic[0].seq) {
      model_traffic_entry_free(&t); /* older than all we keep */
      return;
    }
    model_traffic_entry_free(&m->traffic[0]);
    memmove(m->traffic, m->traffic + 1,
            (m->ntraffic - 1) * sizeof(*m->traffic));
    m->ntraffic--;
  }
  if (m->traffic == NULL)
    m->traffic = tu_calloc(MODEL_TRAFFIC_MAX, sizeof(*m->traffic));
  size_t pos = m->ntraffic;
  while (pos > 0 && m->traffic[pos - 1].seq > t.seq) pos--;
  memmove(m->traffic + pos + 1, m->traffic + pos,
          (m->ntraffic - pos) * sizeof(*m->traffic));
  m->traffic[pos] = t;
  m->ntraffic++;
}

/* ---- applying ------------------------------------------------------------ */

void model_init(struct model* m) {
  memset(m, 0, sizeof(*m));
  m->events.name = (char*)MODEL_EVENTS_NAME; /* a literal: never freed */
}

void model_free(struct model* m) {
  free(m->mode);
  free(m->version);
  free(m->command);
  free(m->config);
  free(m->cwd);
  free(m->socket);
  for (size_t i = 0; i < m->nbackends; i++) model_backend_free(&m->backends[i]);
  free(m->backends);
  for (size_t i = 0; i < m->ntraffic; i++)
    model_traffic_entry_free(&m->traffic[i]);
  free(m->traffic);
  model_log_free(&m->events.log);
  model_detail_free(&m->detail);
  model_init(m);
}

static unsigned model_apply_snapshot(struct model* m, const cJSON* obj) {
  model_free(m);
  m->have_snapshot = true;
  const cJSON* inst = model_get(obj, "instance");
  if (cJSON_IsObject(inst)) {
    m->pid = (long)model_i64(inst, "pid");
    m->mode = model_str(inst, "mode");
    m->version = model_str(inst, "version");
    m->command = model_str(inst, "command");
    m->config = model_str(inst, "config");
    m->cwd = model_str(inst, "cwd");
    m->socket = model_str(inst, "socket");
    m->started = model_i64(inst, "started");
  }
  const cJSON* b;
  cJSON_ArrayForEach(b, model_get(obj, "backends")) {
    model_backend_put(m, b, SIZE_MAX);
  }
  const cJSON* gt;
  cJSON_ArrayForEach(gt, model_get(obj, "traffic")) {
    model_traffic_add(m, gt, NULL); /* the gateway's own (issue 15) */
  }
  const cJSON* e;
  cJSON_ArrayForEach(e, model_get(obj, "events")) {
    model_event_append(m, e, model_str_of(e, "backend"));
  }
  return MODEL_CH_ALL;
}

/* The backend an event names, or -1. */
static int model_event_backend(const struct model* m, const cJSON* obj) {
  const cJSON* name = model_get(obj, "backend");
  return cJSON_IsString(name) ? model_find_backend(m, name->valuestring) : -1;
}

unsigned model_apply(struct model* m, const cJSON* obj, int* backend) {
  int dummy;
  if (backend == NULL)
    backend = &dummy;
  *backend = -1;
  const cJSON* type = model_get(obj, "type");
  if (!cJSON_IsObject(obj) || !cJSON_IsString(type))
    return MODEL_CH_NONE;
  const char* t = type->valuestring;
  if (strcmp(t, "snapshot") == 0)
    return model_apply_snapshot(m, obj);
  if (strcmp(t, "traffic_detail") == 0) {
    model_detail_free(&m->detail);
    model_detail_of_traffic(&m->detail, obj);
    return MODEL_CH_DETAIL;
  }
  if (strcmp(t, "tool_detail") == 0) {
    model_detail_free(&m->detail);
    model_detail_of_tool(&m->detail, obj);
    return MODEL_CH_DETAIL;
  }
  if (strcmp(t, "backend_added") == 0) {
    const cJSON* b = model_get(obj, "backend");
    if (!cJSON_IsObject(b))
      return MODEL_CH_NONE;
    const cJSON* at = model_get(obj, "index");
    *backend = model_backend_put(m, b,
                                 cJSON_IsNumber(at) && at->valuedouble >= 0
                                     ? (size_t)at->valuedouble
                                     : SIZE_MAX);
    return *backend < 0 ? MODEL_CH_NONE : MODEL_CH_ALL;
  }
  if (strcmp(t, "log") == 0 && cJSON_IsNull(model_get(obj, "backend"))) {
    /* mcpmon about no backend: in single mode it belongs to the one. */
    if (m->nbackends == 1 && m->mode != NULL &&
        strcmp(m->mode, "single") == 0) {
      *backend = 0;
      model_log_append(&m->backends[0].log, obj);
      if (!model_is_event(obj))
        return MODEL_CH_LOG;
      model_event_append(m, obj, m->backends[0].name);
      return MODEL_CH_LOG | MODEL_CH_GLOBAL_LOG;
    }
    model_event_append(m, obj, NULL);
    return MODEL_CH_GLOBAL_LOG;
  }
  if (strcmp(t, "traffic") == 0) {
    *backend = model_event_backend(m, obj);
    model_traffic_add(m, obj, NULL);
    return MODEL_CH_TRAFFIC;
  }
  int i = model_event_backend(m, obj);
  if (i < 0)
    return MODEL_CH_NONE;
  struct model_backend* b = &m->backends[i];
  if (strcmp(t, "backend_removed") == 0) {
    model_backend_free(b);
    memmove(m->backends + i, m->backends + i + 1,
            (m->nbackends - (size_t)i - 1) * sizeof(*m->backends));
    m->nbackends--;
    return MODEL_CH_ALL;
  }
  *backend = i;
  if (strcmp(t, "state") == 0) {
    model_backend_state(b, obj);
    return MODEL_CH_BACKENDS;
  }
  if (strcmp(t, "log") == 0) {
    model_log_append(&b->log, obj);
    if (!model_is_event(obj))
      return MODEL_CH_LOG;
    model_event_append(m, obj, b->name);
    return MODEL_CH_LOG | MODEL_CH_GLOBAL_LOG;
  }
  if (strcmp(t, "tools") == 0) {
    model_tools_set(b, model_get(obj, "tools"));
    return MODEL_CH_TOOLS | MODEL_CH_BACKENDS;
  }
  if (strcmp(t, "list_changed") == 0) {
    model_list_changed(b, obj);
    return MODEL_CH_LISTCHANGED;
  }
  *backend = -1;
  return MODEL_CH_NONE;
}

unsigned model_apply_line(struct model* m, const char* line, int* backend) {
  cJSON* obj = cJSON_Parse(line);
  unsigned ch = model_apply(m, obj, backend);
  cJSON_Delete(obj);
  return ch;
}
