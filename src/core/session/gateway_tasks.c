/* gateway_tasks.c - tasks through the gateway (TASK-3, issue 13). See
 * gateway_int.h.
 *
 * Every task id a backend hands out reaches the client as
 * <server><separator><taskId> (the receiver's ids must be unique among
 * all the tasks the client sees, and two servers may both count 1, 2,
 * ...), wherever it stands: a CreateTaskResult, a tasks/get or
 * tasks/cancel result, the items of tasks/list, the related-task _meta
 * of results, notifications and the server's requests, and
 * notifications/tasks/status. The client's tasks/get|result|cancel are
 * routed by a table of the tasks handed out (task_table.h), so that a
 * task whose server restarted, was replaced or was removed gets an error
 * that says so; an id not in the table goes to the server its prefix
 * names. tasks/list walks the servers with tasks.list one after another,
 * its cursor naming the server and that server's own cursor.
 *
 * The rename is an edit of the text (jmsg): the id's opening quote
 * becomes the quote and the escaped prefix, so the server's bytes after
 * it stay as they were. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/gateway_int.h"
#include "lib/util.h"

#define GT_RELATED "io.modelcontextprotocol/related-task"

static char* gt_prefix(const struct gateway* gw, const struct gw_backend* gb) {
  return xasprintf("%s%s", gb->sc.name, gw->cfg.separator);
}

/* s as a JSON string literal without its closing quote (heap), *n its
 * length. */
static char* gt_open_literal(const char* s, size_t* n) {
  cJSON* str = cJSON_CreateString(s);
  size_t len;
  char* text = jrpc_serialize(str, &len); /* "...."\n */
  cJSON_Delete(str);
  *n = len - 2;
  text[*n] = '\0';
  return text;
}

/* The task id string at path (NULL-terminated) gets gb's prefix; with
 * record, the table learns its owner. Nothing when it is not a string. */
static void gt_rename_at(struct gateway* gw,
                         struct gw_backend* gb,
                         struct jmsg* m,
                         struct jspan at,
                         bool record) {
  if (jtext_type(m->text, at) != JSCAN_STRING)
    return;
  char* id = jtext_string(m->text, at, NULL);
  char* prefix = gt_prefix(gw, gb);
  size_t n;
  char* lit = gt_open_literal(prefix, &n);
  jmsg_replace(m, (struct jspan){at.off, 1}, lit, n);
  free(lit);
  if (record && gb->b != NULL) {
    char* exposed = xasprintf("%s%s", prefix, id);
    struct task_owner o = {gb->sc.name, gb->serial, backend_generation(gb->b)};
    task_table_put(gw->tasks, exposed, &o);
    free(exposed);
  }
  free(prefix);
  free(id);
}

void gw_task_rename_incoming(struct gateway* gw,
                             struct gw_backend* gb,
                             struct jmsg* m) {
  if (m->method != NULL && strcmp(m->method, "notifications/tasks/status") == 0)
    gt_rename_at(gw, gb, m, jmsg_get(m, "params", "taskId", NULL), true);
  gt_rename_at(gw, gb, m,
               jmsg_get(m, "params", "_meta", GT_RELATED, "taskId", NULL),
               false);
}

void gw_forward_task_call(struct gateway* gw,
                          struct gw_backend* gb,
                          struct jmsg* m) {
  struct gw_op* op = gw_op_new(gw, GW_OP_TASK, m);
  backend_forward_watched(gb->b, m, op->cookie);
}

/* An error for m's id with data; takes m. */
static void gt_fail(struct gateway* gw,
                    struct jmsg* m,
                    const char* message,
                    cJSON* data) {
  cJSON* id = jmsg_id(m);
  session_send_take(gw->s,
                    jrpc_make_error(id, JRPC_INVALID_PARAMS, message, data));
  cJSON_Delete(id);
  jmsg_free(m);
}

/* The server whose prefix the id starts with (the longest such). */
static struct gw_backend* gt_by_prefix(struct gateway* gw,
                                       const char* id,
                                       size_t* plen) {
  struct gw_backend *gb, *best = NULL;
  size_t sep = strlen(gw->cfg.separator);
  *plen = 0;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    size_t len = strlen(gb->sc.name);
    if (len + sep > *plen && strncmp(id, gb->sc.name, len) == 0 &&
        strncmp(id + len, gw->cfg.separator, sep) == 0) {
      best = gb;
      *plen = len + sep;
    }
  }
  return best;
}

/* The task named id is gone with the instance or process that made it:
 * why, or NULL when it may still be there. */
static const char* gt_gone(struct gateway* gw,
                           const char* id,
                           struct gw_backend** out,
                           char** server) {
  struct task_owner o;
  *server = NULL;
  if (!task_table_find(gw->tasks, id, &o))
    return NULL;
  struct gw_backend* gb = gw_by_name(gw, o.server);
  *server = xstrdup(o.server);
  if (gb == NULL)
    return "removed";
  if (gb->serial != o.serial || gb->b == NULL)
    return "replaced";
  if (backend_generation(gb->b) != o.generation)
    return "restart";
  *out = gb;
  return NULL;
}

static void gt_fail_gone(struct gateway* gw,
                         struct jmsg* m,
                         const char* id,
                         const char* server,
                         const char* why) {
  char* msg = xasprintf(
      "Task '%s' is gone: server '%s' %s after it created the task, and a "
      "task lives only as long as the server process that runs it",
      id, server,
      strcmp(why, "restart") == 0   ? "restarted"
      : strcmp(why, "removed") == 0 ? "was removed from the configuration"
                                    : "was replaced (its configuration "
                                      "changed)");
  cJSON* data = cJSON_CreateObject();
  cJSON_AddStringToObject(data, "taskId", id);
  cJSON_AddStringToObject(data, "backend", server);
  cJSON_AddStringToObject(data, "reason", why);
  gt_fail(gw, m, msg, data);
  free(msg);
}

/* tasks/get, tasks/result, tasks/cancel: to the server that made it,
 * under its own id. */
static void gt_route_task(struct gateway* gw, struct jmsg* m) {
  struct jspan at = jmsg_get(m, "params", "taskId", NULL);
  char* id = jtext_string(m->text, at, NULL);
  if (id == NULL) {
    gt_fail(gw, m, "Invalid params: params.taskId must be a string", NULL);
    return;
  }
  struct gw_backend* gb = NULL;
  char* server = NULL;
  const char* why = gt_gone(gw, id, &gb, &server);
  if (why != NULL) {
    gt_fail_gone(gw, m, id, server, why);
    free(server);
    free(id);
    return;
  }
  free(server);
  size_t plen;
  if (gb != NULL) /* the table knows its owner: its prefix, not a guess */
    plen = strlen(gb->sc.name) + strlen(gw->cfg.separator);
  else
    gb = gt_by_prefix(gw, id, &plen);
  if (gb == NULL || gb->b == NULL) {
    char* msg = xasprintf(
        "Unknown task: %s (through the gateway a task's id is "
        "<server>%s<id>)",
        id, gw->cfg.separator);
    cJSON* data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "taskId", id);
    gt_fail(gw, m, msg, data);
    free(msg);
    free(id);
    return;
  }
  /* The prefix leaves the literal: as written when the client wrote it
   * as mcpmon did, else the id is written again. */
  char* prefix = gt_prefix(gw, gb);
  size_t n;
  char* lit = gt_open_literal(prefix, &n);
  if (at.len > n && memcmp(m->text + at.off, lit, n) == 0)
    jmsg_replace(m, (struct jspan){at.off, n}, "\"", 1);
  else
    jmsg_replace_string(m, at, id + plen);
  free(lit);
  free(prefix);
  free(id);
  struct gw_op* op = gw_op_new(gw, GW_OP_TASK, m);
  backend_forward_watched(gb->b, m, op->cookie);
}

/* ---- tasks/list across servers ------------------------------------------ */

static bool gt_lists_tasks(const struct gw_backend* gb) {
  return gb->b != NULL && !backend_is_off(gb->b) &&
         backend_has_capability(gb->b, "tasks", "list");
}

/* The first server with tasks.list at or after gb. */
static struct gw_backend* gt_lister_from(struct gw_backend* gb) {
  for (; gb != NULL; gb = TAILQ_NEXT(gb, link))
    if (gt_lists_tasks(gb))
      return gb;
  return NULL;
}

static char* gt_cursor(const char* server, const char* cursor) {
  return xasprintf(GW_TASK_CURSOR "%zu:%s%s", strlen(server), server,
                   cursor != NULL ? cursor : "");
}

/* Read a cursor of ours: the server (heap) and its cursor (heap, NULL:
 * its first page). False when it is not ours. */
static bool gt_parse_cursor(const char* c, char** server, char** cursor) {
  size_t plen = strlen(GW_TASK_CURSOR);
  if (strncmp(c, GW_TASK_CURSOR, plen) != 0)
    return false;
  char* end;
  unsigned long len = strtoul(c + plen, &end, 10);
  if (end == c + plen || *end != ':' || strlen(end + 1) < len)
    return false;
  *server = xstrndup(end + 1, len);
  *cursor = end[1 + len] != '\0' ? xstrdup(end + 1 + len) : NULL;
  return true;
}

/* Ask gb for a page of its tasks for op (the client's request). */
static void gt_list_ask(struct gateway* gw,
                        struct gw_op* op,
                        struct gw_backend* gb,
                        const char* cursor) {
  cJSON* params = jtext_tree(op->request->text, op->request->params);
  if (!cJSON_IsObject(params)) {
    cJSON_Delete(params);
    params = cJSON_CreateObject();
  }
  cJSON_DeleteItemFromObjectCaseSensitive(params, "cursor");
  if (cursor != NULL)
    cJSON_AddStringToObject(params, "cursor", cursor);
  cJSON* req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "jsonrpc", "2.0");
  cJSON_AddItemToObject(req, "id", cJSON_Duplicate(op->client_id, true));
  cJSON_AddStringToObject(req, "method", "tasks/list");
  cJSON_AddItemToObject(req, "params", params);
  size_t len;
  char* text = jrpc_serialize(req, &len);
  cJSON_Delete(req);
  free(op->server);
  op->server = xstrdup(gb->sc.name);
  struct jmsg* m = jmsg_parse(text, len - 1);
  free(text);
  backend_forward_watched(gb->b, m, op->cookie);
}

static void gt_list(struct gateway* gw, struct jmsg* m) {
  char* cursor =
      jtext_string(m->text, jmsg_get(m, "params", "cursor", NULL), NULL);
  struct gw_backend* gb;
  char* server = NULL;
  char* theirs = NULL;
  if (cursor == NULL) {
    gb = gt_lister_from(TAILQ_FIRST(&gw->backends));
  } else if (gt_parse_cursor(cursor, &server, &theirs)) {
    gb = gw_by_name(gw, server);
    if (gb != NULL && !gt_lists_tasks(gb))
      gb = NULL;
  } else {
    gb = NULL;
  }
  if (gb == NULL) {
    char* msg = cursor != NULL
                    ? xasprintf("Invalid params: unknown cursor %s%s%s", cursor,
                                server != NULL ? "; its server is gone: " : "",
                                server != NULL ? server : "")
                    : xstrdup("Method not found: no server lists tasks");
    if (cursor != NULL)
      gt_fail(gw, m, msg, NULL);
    else {
      cJSON* id = jmsg_id(m);
      session_error(gw->s, id, JRPC_METHOD_NOT_FOUND, msg);
      cJSON_Delete(id);
      jmsg_free(m);
    }
    free(msg);
  } else {
    struct gw_op* op = gw_op_new(gw, GW_OP_TASK_LIST, m);
    op->request = m;
    gt_list_ask(gw, op, gb, theirs);
  }
  free(server);
  free(theirs);
  free(cursor);
}

void gw_on_task_request(struct gateway* gw, struct jmsg* m) {
  const char* method = m->method;
  if (strcmp(method, "tasks/list") == 0)
    gt_list(gw, m);
  else if (strcmp(method, "tasks/get") == 0 ||
           strcmp(method, "tasks/result") == 0 ||
           strcmp(method, "tasks/cancel") == 0)
    gt_route_task(gw, m);
  else {
    char* msg = xasprintf("Method not found: %s", method);
    cJSON* id = jmsg_id(m);
    session_error(gw->s, id, JRPC_METHOD_NOT_FOUND, msg);
    cJSON_Delete(id);
    jmsg_free(m);
    free(msg);
  }
}

/* The ids of a page of tasks/list get the server's prefix, last first so
 * that the spans before stay where they are. Returns how many items. */
static size_t gt_rename_page(struct gateway* gw,
                             struct gw_backend* gb,
                             struct jmsg* m) {
  struct jspan arr = jmsg_get(m, "result", "tasks", NULL);
  size_t count = 0, cap = 0;
  struct jspan* ids = NULL;
  size_t pos = 0;
  struct jspan el;
  while (jtext_element(m->text, arr, &pos, &el)) {
    struct jspan id;
    if (!jtext_member(m->text, el, "taskId", &id))
      continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      ids = xrealloc(ids, cap * sizeof(*ids));
    }
    ids[count++] = id;
  }
  for (size_t i = count; i > 0; i--) gt_rename_at(gw, gb, m, ids[i - 1], true);
  free(ids);
  return count;
}

static void gt_on_list_reply(struct gateway* gw,
                             struct gw_backend* gb,
                             struct gw_op* op,
                             struct jmsg* m) {
  if (m->is_error || gb == NULL ||
      jtext_type(m->text, jmsg_get(m, "result", NULL)) != JSCAN_OBJECT) {
    gw_op_answer(gw, op, m);
    return;
  }
  size_t items = gt_rename_page(gw, gb, m);
  struct jspan next_at = jmsg_get(m, "result", "nextCursor", NULL);
  char* theirs = jtext_string(m->text, next_at, NULL);
  if (theirs != NULL) {
    char* ours = gt_cursor(gb->sc.name, theirs);
    jmsg_replace_string(m, next_at, ours);
    free(ours);
    free(theirs);
  } else {
    struct gw_backend* after =
        TAILQ_NEXT(gb, link) != NULL && gw_by_name(gw, gb->sc.name) == gb
            ? gt_lister_from(TAILQ_NEXT(gb, link))
            : NULL;
    if (after != NULL && items == 0) {
      jmsg_free(m); /* nothing here: the next server's first page */
      gt_list_ask(gw, op, after, NULL);
      return;
    }
    if (after != NULL) {
      char* ours = gt_cursor(after->sc.name, NULL);
      cJSON* str = cJSON_CreateString(ours);
      size_t n;
      char* q = jrpc_serialize(str, &n);
      q[n - 1] = '\0';
      cJSON_Delete(str);
      jmsg_insert_member(m, jmsg_get(m, "result", NULL), "nextCursor", q);
      free(q);
      free(ours);
    }
  }
  gw_op_answer(gw, op, m);
}

void gw_on_task_reply(struct gateway* gw,
                      struct gw_backend* gb,
                      struct gw_op* op,
                      struct jmsg* m) {
  if (op->kind == GW_OP_TASK_LIST) {
    gt_on_list_reply(gw, gb, op, m);
    return;
  }
  if (gb != NULL && !m->is_error) {
    /* CreateTaskResult, then a Task as the result (tasks/get, cancel),
     * then the related task of a tasks/result. */
    gt_rename_at(gw, gb, m, jmsg_get(m, "result", "task", "taskId", NULL),
                 true);
    gt_rename_at(gw, gb, m, jmsg_get(m, "result", "taskId", NULL), true);
    gt_rename_at(gw, gb, m,
                 jmsg_get(m, "result", "_meta", GT_RELATED, "taskId", NULL),
                 false);
  }
  gw_op_answer(gw, op, m);
}
