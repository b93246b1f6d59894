/* ts_rpc.c - the test server's JSON-RPC side: each line from stdin is a
 * request (dispatched by method), a notification (recorded; initialized
 * and cancelled act) or a response to one of its own requests. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_testserver.h"

static void ts_subscription(const cJSON* params, bool add) {
  const char* uri = ts_arg_str(params, "uri");
  if (uri == NULL)
    return;
  for (int i = 0; i < cJSON_GetArraySize(ts.subscriptions); i++) {
    const cJSON* s = cJSON_GetArrayItem(ts.subscriptions, i);
    if (strcmp(s->valuestring, uri) == 0) {
      if (!add)
        cJSON_DeleteItemFromArray(ts.subscriptions, i);
      return;
    }
  }
  if (add)
    cJSON_AddItemToArray(ts.subscriptions, cJSON_CreateString(uri));
}

static void ts_request(const cJSON* id,
                       const char* method,
                       const cJSON* params) {
  ts_record(ts.requests, cJSON_CreateString(method));
  if (strcmp(method, "initialize") == 0) {
    ts_initialize(id, params);
  } else if (strcmp(method, "ping") == 0) {
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "tools/list") == 0) {
    ts_tools_list(id, params);
  } else if (strcmp(method, "tools/call") == 0 && ts_tasks_enabled() &&
             cJSON_GetObjectItemCaseSensitive(params, "task") != NULL) {
    ts_task_create(id, params);
  } else if (strcmp(method, "tools/call") == 0) {
    ts_tools_call(id, params);
  } else if (strncmp(method, "tasks/", 6) == 0 && ts_tasks_enabled()) {
    ts_tasks_request(id, method, params);
  } else if (strcmp(method, "logging/setLevel") == 0) {
    const cJSON* level = cJSON_GetObjectItemCaseSensitive(params, "level");
    cJSON_Delete(ts.log_level);
    ts.log_level = level ? cJSON_Duplicate(level, true) : NULL;
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "resources/subscribe") == 0) {
    ts_subscription(params, true);
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "resources/unsubscribe") == 0) {
    ts_subscription(params, false);
    ts_result(id, cJSON_CreateObject());
  } else if (strcmp(method, "prompts/list") == 0 && ts_spec("prompts")) {
    ts_prompts_list(id, params);
  } else if (strcmp(method, "prompts/get") == 0 && ts_spec("prompts")) {
    ts_prompts_get(id, params);
  } else if (strcmp(method, "resources/list") == 0 && ts_has_resources()) {
    ts_resources_list(id, params);
  } else if (strcmp(method, "resources/templates/list") == 0 &&
             ts_has_resources()) {
    ts_templates_list(id, params);
  } else if (strcmp(method, "resources/read") == 0 && ts_has_resources()) {
    ts_resources_read(id, params);
  } else if (strcmp(method, "completion/complete") == 0 &&
             ts_spec("completions")) {
    ts_complete(id, params);
  } else {
    ts_error(id, -32601, "Method not found");
  }
}

static void ts_cancel(const cJSON* request_id) {
  if (request_id == NULL)
    return;
  ts_record(ts.cancelled, cJSON_Duplicate(request_id, true));
  for (size_t i = 0; i < ts.ntimers; i++) {
    if (ts.timers[i].kind != TS_TIMER_INIT &&
        cJSON_Compare(ts.timers[i].id, request_id, true)) {
      ts_timer_remove(i);
      return;
    }
  }
  for (size_t i = 0; i < ts.npending; i++) {
    if (cJSON_Compare(ts.pending[i].client_id, request_id, true)) {
      ts_pending_remove(i);
      return;
    }
  }
}

/* Send what the spec's on_initialized lists, in order. */
static void ts_on_initialized(void) {
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("on_initialized")) {
    const char* method = ts_arg_str(item, "method");
    if (method == NULL)
      continue;
    const cJSON* params = cJSON_GetObjectItemCaseSensitive(item, "params");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "request")))
      ts_send_request(method, params, NULL);
    else
      ts_notify(method, params ? cJSON_Duplicate(params, true) : NULL);
  }
}

static void ts_notification(const char* method, const cJSON* params) {
  ts_record(ts.notifications, cJSON_CreateString(method));
  if (strcmp(method, "notifications/initialized") == 0) {
    ts.initialized_count++;
    ts_on_initialized();
    if (ts_spec_bool("stop_reading_stdin_after_init", false)) {
      fprintf(stderr, "mcp_testserver: no longer reading stdin\n");
      ts.stdin_paused = true;
    }
    if (ts_spec_bool("close_stdout_after_init", false))
      ts_close_stdout();
  } else if (strcmp(method, "notifications/cancelled") == 0) {
    ts_cancel(cJSON_GetObjectItemCaseSensitive(params, "requestId"));
  }
}

/* A response from the client to one of our own requests ("sample"). */
static void ts_response(const cJSON* msg, const cJSON* id) {
  for (size_t i = 0; cJSON_IsNumber(id) && i < ts.npending; i++) {
    if ((double)ts.pending[i].server_id != id->valuedouble)
      continue;
    const cJSON* result = cJSON_GetObjectItemCaseSensitive(msg, "result");
    const cJSON* error = cJSON_GetObjectItemCaseSensitive(msg, "error");
    if (ts.pending[i].client_id == NULL) {
      cJSON* copy = cJSON_Duplicate(msg, true);
      cJSON_DeleteItemFromObjectCaseSensitive(copy, "jsonrpc");
      ts_record(ts.client_responses, copy);
      ts_pending_remove(i);
      return;
    }
    cJSON* wrap = cJSON_CreateObject();
    if (error != NULL)
      cJSON_AddItemToObject(wrap, "error", cJSON_Duplicate(error, true));
    else
      cJSON_AddItemToObject(
          wrap, "result",
          result ? cJSON_Duplicate(result, true) : cJSON_CreateNull());
    char* text = cJSON_PrintUnformatted(wrap);
    ts_oom_check(text);
    cJSON_Delete(wrap);
    ts_text(ts.pending[i].client_id, text, error != NULL);
    free(text);
    ts_pending_remove(i);
    return;
  }
  char* s = cJSON_PrintUnformatted(id);
  fprintf(stderr, "mcp_testserver: response to unknown id %s\n", s ? s : "?");
  free(s);
}

void ts_line(const char* line, size_t len) {
  if (len > 0 && line[len - 1] == '\r')
    len--;
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == len)
    return;
  cJSON* msg = cJSON_ParseWithLength(line, len);
  if (!cJSON_IsObject(msg)) {
    fprintf(stderr, "mcp_testserver: ignoring malformed line\n");
    cJSON_Delete(msg);
    return;
  }
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  if (cJSON_IsString(method)) {
    if (id != NULL && !cJSON_IsNull(id))
      ts_request(id, method->valuestring, params);
    else
      ts_notification(method->valuestring, params);
  } else if (id != NULL) {
    ts_response(msg, id);
  } else {
    fprintf(stderr, "mcp_testserver: ignoring message without method/id\n");
  }
  cJSON_Delete(msg);
}
