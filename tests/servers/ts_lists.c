/* ts_lists.c - the test server's lists and what the spec lists: paging
 * with nextCursor, prompts/list and prompts/get, resources/list,
 * resources/templates/list, resources/read (with RFC 6570 level 1
 * matching), completion/complete. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_testserver.h"

/* Answer a list request with result, whose member key holds every item:
 * with the spec's page_size, only the page the params' cursor (a decimal
 * offset) names, and a nextCursor when more follow. Takes result. */
void ts_page_result(const cJSON* id,
                    const cJSON* params,
                    cJSON* result,
                    const char* key) {
  const cJSON* meta = ts_spec("list_meta");
  if (cJSON_IsObject(meta))
    cJSON_AddItemToObject(result, "_meta", cJSON_Duplicate(meta, true));
  long size = 0;
  if (!ts_spec_int("page_size", &size) || size <= 0) {
    ts_result(id, result);
    return;
  }
  long offset = 0;
  const char* cursor = ts_arg_str(params, "cursor");
  if (cursor != NULL) {
    char* end;
    offset = strtol(cursor, &end, 10);
    if (*end != '\0' || offset < 0) {
      cJSON_Delete(result);
      ts_error(id, -32602, "Invalid cursor");
      return;
    }
  }
  cJSON* all = cJSON_DetachItemFromObjectCaseSensitive(result, key);
  cJSON* page = cJSON_AddArrayToObject(result, key);
  long n = cJSON_GetArraySize(all);
  for (long i = offset; i < n && i < offset + size; i++)
    cJSON_AddItemToArray(
        page, cJSON_Duplicate(cJSON_GetArrayItem(all, (int)i), true));
  if (offset + size < n) {
    char next[32];
    snprintf(next, sizeof(next), "%ld", offset + size);
    cJSON_AddStringToObject(result, "nextCursor", next);
  }
  cJSON_Delete(all);
  ts_result(id, result);
}

/* A copy of each item of the spec list key, keeping only the members
 * named in keep (NULL-terminated). */
static cJSON* ts_spec_items(const char* key, const char* const* keep) {
  cJSON* out = cJSON_CreateArray();
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec(key)) {
    cJSON* copy = cJSON_CreateObject();
    for (const char* const* k = keep; *k != NULL; k++) {
      const cJSON* v = cJSON_GetObjectItemCaseSensitive(item, *k);
      if (v != NULL)
        cJSON_AddItemToObject(copy, *k, cJSON_Duplicate(v, true));
    }
    cJSON_AddItemToArray(out, copy);
  }
  return out;
}

void ts_prompts_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"name", "description", "arguments", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "prompts", ts_spec_items("prompts", keep));
  ts_page_result(id, params, r, "prompts");
}

static cJSON* ts_user_text(const char* text) {
  cJSON* m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "role", "user");
  cJSON* c = cJSON_AddObjectToObject(m, "content");
  cJSON_AddStringToObject(c, "type", "text");
  cJSON_AddStringToObject(c, "text", text);
  return m;
}

void ts_prompts_get(const cJSON* id, const cJSON* params) {
  const char* name = ts_arg_str(params, "name");
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("prompts")) {
    const char* n = ts_arg_str(item, "name");
    if (name == NULL || n == NULL || strcmp(n, name) != 0)
      continue;
    cJSON* r = cJSON_CreateObject();
    const char* desc = ts_arg_str(item, "description");
    if (desc != NULL)
      cJSON_AddStringToObject(r, "description", desc);
    cJSON* msgs = cJSON_AddArrayToObject(r, "messages");
    const char* text = ts_arg_str(item, "text");
    cJSON_AddItemToArray(msgs, ts_user_text(text ? text : n));
    const cJSON* args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    if (cJSON_IsObject(args) && args->child != NULL) {
      char* a = cJSON_PrintUnformatted(args);
      ts_oom_check(a);
      cJSON_AddItemToArray(msgs, ts_user_text(a));
      free(a);
    }
    ts_result(id, r);
    return;
  }
  char msg[256];
  snprintf(msg, sizeof(msg), "Unknown prompt: %s", name ? name : "(none)");
  ts_error(id, -32602, msg);
}

void ts_resources_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"uri", "name", "mimeType", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "resources", ts_spec_items("resources", keep));
  ts_page_result(id, params, r, "resources");
}

void ts_templates_list(const cJSON* id, const cJSON* params) {
  static const char* const keep[] = {"uriTemplate", "name", "mimeType", NULL};
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "resourceTemplates",
                        ts_spec_items("resourceTemplates", keep));
  ts_page_result(id, params, r, "resourceTemplates");
}

/* RFC 6570 level 1, as far as the tests need: "{var}" matches one or
 * more characters other than '/'. */
static bool ts_template_match(const char* tpl, const char* uri) {
  while (*tpl != '\0') {
    if (*tpl == '{') {
      const char* close = strchr(tpl, '}');
      if (close == NULL)
        return false;
      for (const char* u = uri + 1; u[-1] != '\0' && u[-1] != '/'; u++) {
        if (ts_template_match(close + 1, u))
          return true;
      }
      return false;
    }
    if (*tpl != *uri)
      return false;
    tpl++;
    uri++;
  }
  return *uri == '\0';
}

static void ts_read_answer(const cJSON* id,
                           const char* uri,
                           const char* mime,
                           const char* text) {
  cJSON* r = cJSON_CreateObject();
  cJSON* contents = cJSON_AddArrayToObject(r, "contents");
  cJSON* c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "uri", uri);
  if (mime != NULL)
    cJSON_AddStringToObject(c, "mimeType", mime);
  cJSON_AddStringToObject(c, "text", text);
  cJSON_AddItemToArray(contents, c);
  ts_result(id, r);
}

void ts_resources_read(const cJSON* id, const cJSON* params) {
  const char* uri = ts_arg_str(params, "uri");
  if (uri == NULL) {
    ts_error(id, -32602, "resources/read: uri must be a string");
    return;
  }
  const cJSON* item;
  cJSON_ArrayForEach(item, ts_spec("resources")) {
    const char* u = ts_arg_str(item, "uri");
    if (u != NULL && strcmp(u, uri) == 0) {
      const char* text = ts_arg_str(item, "text");
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), text ? text : "");
      return;
    }
  }
  cJSON_ArrayForEach(item, ts_spec("unlisted_resources")) {
    const char* u = ts_arg_str(item, "uri");
    if (u != NULL && strcmp(u, uri) == 0) {
      const char* text = ts_arg_str(item, "text");
      ts_read_answer(id, uri, NULL, text ? text : "");
      return;
    }
  }
  cJSON_ArrayForEach(item, ts_spec("resourceTemplates")) {
    const char* tpl = ts_arg_str(item, "uriTemplate");
    if (tpl == NULL || !ts_template_match(tpl, uri))
      continue;
    const char* text = ts_arg_str(item, "text");
    if (text != NULL) {
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), text);
    } else {
      size_t n = strlen(ts.name) + strlen(uri) + 2;
      char* t = ts_xrealloc(NULL, n);
      snprintf(t, n, "%s %s", ts.name, uri);
      ts_read_answer(id, uri, ts_arg_str(item, "mimeType"), t);
      free(t);
    }
    return;
  }
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON* e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", -32002);
  cJSON_AddStringToObject(e, "message", "Resource not found");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "data"), "uri", uri);
  ts_send(m);
}

void ts_complete(const cJSON* id, const cJSON* params) {
  const cJSON* ref = cJSON_GetObjectItemCaseSensitive(params, "ref");
  ts_record(ts.completion_refs,
            ref ? cJSON_Duplicate(ref, true) : cJSON_CreateNull());
  cJSON* r = cJSON_CreateObject();
  cJSON* c = cJSON_AddObjectToObject(r, "completion");
  cJSON* values = cJSON_AddArrayToObject(c, "values");
  const cJSON* v;
  cJSON_ArrayForEach(v, ts_spec("completions")) {
    if (cJSON_IsString(v))
      cJSON_AddItemToArray(values, cJSON_CreateString(v->valuestring));
  }
  cJSON_AddNumberToObject(c, "total", cJSON_GetArraySize(values));
  cJSON_AddFalseToObject(c, "hasMore");
  ts_result(id, r);
}
