/* ts_tasks.c - tasks as a 2025-11-25 server runs them (tasks.mdx), when
 * the spec has "tasks": a tools/call with params.task answers a
 * CreateTaskResult at once; the task is "working" until tasks.ms pass,
 * then "completed" with a notifications/tasks/status; tasks/get,
 * tasks/result (waits for the end), tasks/list (paged as the lists are)
 * and tasks/cancel. Task ids count from "1", so two test servers hand out
 * the same ids (a gateway must keep them apart). With tasks.elicit, the
 * new task sends the client an elicitation/create that carries the
 * related-task _meta, and records the answer in "state"
 * client_responses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp_testserver.h"

#define TS_RELATED "io.modelcontextprotocol/related-task"

struct ts_task {
  cJSON* task; /* the Task object */
  char* text;  /* the tool's result text */
  int64_t due; /* when it completes (monotonic ms); 0: ended */
};

static struct ts_task* ts_tasks;
static size_t ts_ntasks;
static long ts_next_task = 1;
/* tasks/result requests waiting for their task: [{id, taskId}] */
static cJSON* ts_waiters;

static int64_t ts_task_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void ts_stamp(cJSON* task, const char* key) {
  char buf[32];
  time_t now = time(NULL);
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  cJSON_DeleteItemFromObjectCaseSensitive(task, key);
  cJSON_AddStringToObject(task, key, buf);
}

static struct ts_task* ts_task_find(const cJSON* params) {
  const char* id = ts_arg_str(params, "taskId");
  for (size_t i = 0; id != NULL && i < ts_ntasks; i++)
    if (strcmp(ts_arg_str(ts_tasks[i].task, "taskId"), id) == 0)
      return &ts_tasks[i];
  return NULL;
}

static void ts_set_status(struct ts_task* t, const char* status) {
  cJSON_DeleteItemFromObjectCaseSensitive(t->task, "status");
  cJSON_AddStringToObject(t->task, "status", status);
  ts_stamp(t->task, "lastUpdatedAt");
  t->due = 0;
}

static void ts_answer_result(const cJSON* id, const struct ts_task* t) {
  cJSON* r = cJSON_CreateObject();
  cJSON* content = cJSON_AddArrayToObject(r, "content");
  cJSON* c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "type", "text");
  cJSON_AddStringToObject(c, "text", t->text);
  cJSON_AddItemToArray(content, c);
  cJSON_AddBoolToObject(
      r, "isError", strcmp(ts_arg_str(t->task, "status"), "completed") != 0);
  cJSON_AddStringToObject(
      cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "_meta"), TS_RELATED),
      "taskId", ts_arg_str(t->task, "taskId"));
  ts_result(id, r);
}

/* The task ended: waiting tasks/result requests get its result. */
static void ts_task_ended(struct ts_task* t) {
  ts_notify("notifications/tasks/status", cJSON_Duplicate(t->task, true));
  const char* tid = ts_arg_str(t->task, "taskId");
  for (int i = cJSON_GetArraySize(ts_waiters) - 1; i >= 0; i--) {
    cJSON* w = cJSON_GetArrayItem(ts_waiters, i);
    if (strcmp(ts_arg_str(w, "taskId"), tid) != 0)
      continue;
    ts_answer_result(cJSON_GetObjectItemCaseSensitive(w, "id"), t);
    cJSON_DeleteItemFromArray(ts_waiters, i);
  }
}

bool ts_tasks_enabled(void) {
  return cJSON_IsObject(ts_spec("tasks"));
}

void ts_task_create(const cJSON* id, const cJSON* params) {
  const cJSON* spec = ts_spec("tasks");
  long ms = (long)ts_arg_int(spec, "ms", 0);
  char tid[32];
  snprintf(tid, sizeof(tid), "%ld", ts_next_task++);
  cJSON* task = cJSON_CreateObject();
  cJSON_AddStringToObject(task, "taskId", tid);
  cJSON_AddStringToObject(task, "status", "working");
  ts_stamp(task, "createdAt");
  ts_stamp(task, "lastUpdatedAt");
  cJSON_AddNumberToObject(task, "ttl", 60000);
  cJSON_AddNumberToObject(task, "pollInterval", 100);
  ts_tasks = ts_xrealloc(ts_tasks, (ts_ntasks + 1) * sizeof(*ts_tasks));
  struct ts_task* t = &ts_tasks[ts_ntasks++];
  const char* name = ts_arg_str(params, "name");
  size_t n = strlen(ts.name) + (name ? strlen(name) : 0) + 64;
  t->text = ts_xrealloc(NULL, n);
  snprintf(t->text, n, "task %s of %s ran %s", tid, ts.name,
           name ? name : "(none)");
  t->task = task;
  t->due = ts_task_now() + (ms > 0 ? ms : 0);
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "task", cJSON_Duplicate(task, true));
  ts_result(id, r);
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "elicit"))) {
    cJSON* p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "message", t->text);
    cJSON* schema = cJSON_AddObjectToObject(p, "requestedSchema");
    cJSON_AddStringToObject(schema, "type", "object");
    cJSON_AddObjectToObject(schema, "properties");
    cJSON_AddStringToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "_meta"),
                                TS_RELATED),
        "taskId", tid);
    ts_send_request("elicitation/create", p, NULL);
    cJSON_Delete(p);
  }
}

void ts_tasks_request(const cJSON* id,
                      const char* method,
                      const cJSON* params) {
  if (strcmp(method, "tasks/list") == 0) {
    cJSON* r = cJSON_CreateObject();
    cJSON* list = cJSON_AddArrayToObject(r, "tasks");
    for (size_t i = 0; i < ts_ntasks; i++)
      cJSON_AddItemToArray(list, cJSON_Duplicate(ts_tasks[i].task, true));
    ts_page_result(id, params, r, "tasks");
    return;
  }
  struct ts_task* t = ts_task_find(params);
  if (t == NULL) {
    ts_error(id, -32602, "Task not found");
    return;
  }
  if (strcmp(method, "tasks/get") == 0) {
    ts_result(id, cJSON_Duplicate(t->task, true));
  } else if (strcmp(method, "tasks/result") == 0) {
    if (t->due != 0) {
      if (ts_waiters == NULL)
        ts_waiters = cJSON_CreateArray();
      cJSON* w = cJSON_CreateObject();
      cJSON_AddItemToObject(w, "id", cJSON_Duplicate(id, true));
      cJSON_AddStringToObject(w, "taskId", ts_arg_str(t->task, "taskId"));
      cJSON_AddItemToArray(ts_waiters, w);
    } else {
      ts_answer_result(id, t);
    }
  } else if (strcmp(method, "tasks/cancel") == 0) {
    if (t->due == 0) {
      ts_error(id, -32602, "Task already ended");
      return;
    }
    ts_set_status(t, "cancelled");
    ts_result(id, cJSON_Duplicate(t->task, true));
    ts_task_ended(t);
  } else {
    ts_error(id, -32601, "Method not found");
  }
}

int ts_tasks_timeout(void) {
  int64_t now = ts_task_now();
  int64_t next = -1;
  for (size_t i = 0; i < ts_ntasks; i++)
    if (ts_tasks[i].due != 0 && (next < 0 || ts_tasks[i].due < next))
      next = ts_tasks[i].due;
  if (next < 0)
    return -1;
  return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

void ts_tasks_run(void) {
  int64_t now = ts_task_now();
  for (size_t i = 0; i < ts_ntasks; i++) {
    struct ts_task* t = &ts_tasks[i];
    if (t->due != 0 && t->due <= now) {
      ts_set_status(t, "completed");
      ts_task_ended(t);
    }
  }
}

void ts_tasks_free(void) {
  for (size_t i = 0; i < ts_ntasks; i++) {
    cJSON_Delete(ts_tasks[i].task);
    free(ts_tasks[i].text);
  }
  free(ts_tasks);
  ts_tasks = NULL;
  ts_ntasks = 0;
  cJSON_Delete(ts_waiters);
  ts_waiters = NULL;
}
