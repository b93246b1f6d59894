/* ts_session.c - the test server's session: initialize and its answer
 * (now or init_delay_ms later), the timers of answers due later (slow,
 * progress), and the requests it sends the client, which wait for the
 * client's response. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp_testserver.h"

#define TS_DEFAULT_VERSION "2025-11-25"

static int64_t ts_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char* const ts_versions[] = {
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
};

static void ts_answer_initialize(const cJSON* id) {
  const char* want = ts_arg_str(ts.init_params, "protocolVersion");
  const char* version = TS_DEFAULT_VERSION;
  const cJSON* only = ts_spec("protocol_versions");
  if (cJSON_IsArray(only) && cJSON_IsString(cJSON_GetArrayItem(only, 0))) {
    /* The versions it speaks, newest first: the client's if listed. */
    version = cJSON_GetArrayItem(only, 0)->valuestring;
    const cJSON* v;
    cJSON_ArrayForEach(v, only) {
      if (cJSON_IsString(v) && want != NULL &&
          strcmp(want, v->valuestring) == 0)
        version = v->valuestring;
    }
  } else {
    for (size_t i = 0; want && i < sizeof(ts_versions) / sizeof(*ts_versions);
         i++) {
      if (strcmp(want, ts_versions[i]) == 0)
        version = ts_versions[i];
    }
  }
  cJSON* r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "protocolVersion", version);
  const cJSON* caps = ts_spec("capabilities");
  cJSON* c;
  if (cJSON_IsObject(caps)) {
    c = cJSON_Duplicate(caps, true);
  } else {
    c = cJSON_Parse("{\"tools\":{}}");
    if (ts_spec("prompts") != NULL)
      cJSON_AddObjectToObject(c, "prompts");
    if (ts_has_resources())
      cJSON_AddObjectToObject(c, "resources");
    if (ts_spec("completions") != NULL)
      cJSON_AddObjectToObject(c, "completions");
    if (cJSON_IsObject(ts_spec("tasks")))
      cJSON_AddItemToObject(
          c, "tasks",
          cJSON_Parse("{\"list\":{},\"cancel\":{},\"requests\":{\"tools\":"
                      "{\"call\":{}}}}"));
  }
  cJSON_AddItemToObject(r, "capabilities", c);
  cJSON* info = cJSON_AddObjectToObject(r, "serverInfo");
  cJSON_AddStringToObject(info, "name", ts.name);
  cJSON_AddStringToObject(info, "version", "1.0");
  const char* instructions = ts_spec_str("instructions");
  if (instructions != NULL)
    cJSON_AddStringToObject(r, "instructions", instructions);
  ts_result(id, r);
}

struct ts_timer* ts_timer_add(enum ts_timer_kind kind,
                              long delay_ms,
                              const cJSON* id) {
  ts.timers = ts_xrealloc(ts.timers, (ts.ntimers + 1) * sizeof(*ts.timers));
  struct ts_timer* t = &ts.timers[ts.ntimers++];
  memset(t, 0, sizeof(*t));
  t->kind = kind;
  t->due_ms = ts_now_ms() + (delay_ms > 0 ? delay_ms : 0);
  t->id = cJSON_Duplicate(id, true);
  return t;
}

void ts_timer_remove(size_t i) {
  cJSON_Delete(ts.timers[i].id);
  cJSON_Delete(ts.timers[i].token);
  memmove(&ts.timers[i], &ts.timers[i + 1],
          (ts.ntimers - i - 1) * sizeof(*ts.timers));
  ts.ntimers--;
}

/* Milliseconds until the next timer, or -1 for none. */
int ts_timer_timeout(void) {
  if (ts.ntimers == 0)
    return -1;
  int64_t now = ts_now_ms();
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < ts.ntimers; i++) {
    if (ts.timers[i].due_ms < next)
      next = ts.timers[i].due_ms;
  }
  if (next <= now)
    return 0;
  return next - now > 60000 ? 60000 : (int)(next - now);
}

static void ts_progress_step(struct ts_timer* t) {
  cJSON* p = cJSON_CreateObject();
  cJSON_AddItemToObject(p, "progressToken", cJSON_Duplicate(t->token, true));
  cJSON_AddNumberToObject(p, "progress", (double)t->step);
  cJSON_AddNumberToObject(p, "total", (double)t->total);
  ts_notify("notifications/progress", p);
}

/* Run due timers. A timer may re-arm itself (progress); the list is
 * scanned again after each run since handlers may add or remove. */
void ts_timer_run(void) {
  bool again = true;
  while (again) {
    again = false;
    int64_t now = ts_now_ms();
    for (size_t i = 0; i < ts.ntimers; i++) {
      struct ts_timer* t = &ts.timers[i];
      if (t->due_ms > now)
        continue;
      again = true;
      if (t->kind == TS_TIMER_SLOW) {
        char text[64];
        snprintf(text, sizeof(text), "slept %ld ms", t->step);
        ts_text(t->id, text, false);
      } else if (t->kind == TS_TIMER_INIT) {
        ts_answer_initialize(t->id);
      } else if (t->step <= t->total) {
        ts_progress_step(t);
        t->step++;
        t->due_ms = now + t->interval;
        break;
      } else {
        ts_text(t->id, "done", false);
      }
      ts_timer_remove(i);
      break;
    }
  }
}

void ts_pending_remove(size_t i) {
  cJSON_Delete(ts.pending[i].client_id);
  memmove(&ts.pending[i], &ts.pending[i + 1],
          (ts.npending - i - 1) * sizeof(*ts.pending));
  ts.npending--;
}

/* Send the client a request with our own id (counting from 0) and wait
 * for its response: it answers client_id's tools/call, or is recorded in
 * client_responses when client_id is NULL. params is copied. */
void ts_send_request(const char* method,
                     const cJSON* params,
                     const cJSON* client_id) {
  long sid = ts.next_server_id++;
  cJSON* m = ts_message();
  cJSON_AddNumberToObject(m, "id", (double)sid);
  cJSON_AddStringToObject(m, "method", method);
  if (params != NULL)
    cJSON_AddItemToObject(m, "params", cJSON_Duplicate(params, true));
  ts.pending = ts_xrealloc(ts.pending, (ts.npending + 1) * sizeof(*ts.pending));
  ts.pending[ts.npending].server_id = sid;
  ts.pending[ts.npending].client_id =
      client_id ? cJSON_Duplicate(client_id, true) : NULL;
  ts.npending++;
  ts_send(m);
}

void ts_initialize(const cJSON* id, const cJSON* params) {
  long code;
  if (ts_spec_int("exit_on_initialize", &code)) {
    fprintf(stderr, "mcp_testserver: exit_on_initialize %ld\n", code);
    _exit((int)code);
  }
  ts.initialize_count++;
  cJSON_Delete(ts.init_params);
  ts.init_params = params ? cJSON_Duplicate(params, true) : NULL;
  if (ts_spec_bool("no_initialize_answer", false))
    return;
  long delay = 0;
  ts_spec_int("init_delay_ms", &delay);
  if (delay > 0)
    ts_timer_add(TS_TIMER_INIT, delay, id);
  else
    ts_answer_initialize(id);
}
