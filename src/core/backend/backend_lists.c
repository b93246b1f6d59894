/* backend_lists.c - the copies a backend keeps of its server's lists. See
 * backend_int.h.
 *
 * Calls down into backend_send.c for its requests; reports up only through
 * the owner's ev.on_lists and the observer's on_tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"

static bool bk_lists_busy(const struct backend* b);

/* ---- the server's lists (tools, prompts, resources, templates) ---------- */

static const cJSON* bk_find_tool(const cJSON* tools, const char* name) {
  const cJSON* t;
  cJSON_ArrayForEach(t, tools) {
    const cJSON* n = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
      return t;
  }
  return NULL;
}

/* "Tools: +goodbye ~hello -old" (only when something changed). */
static void bk_log_tool_diff(struct backend* b,
                             const cJSON* old,
                             const cJSON* now) {
  char line[2048];
  size_t n = 0;
  line[0] = '\0';
  const cJSON* t;
  cJSON_ArrayForEach(t, now) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (!cJSON_IsString(name))
      continue;
    const cJSON* prev = bk_find_tool(old, name->valuestring);
    char mark = prev == NULL ? '+' : (cJSON_Compare(prev, t, 1) ? 0 : '~');
    if (mark && n < sizeof(line) - 1)
      n += (size_t)snprintf(line + n, sizeof(line) - n, " %c%s", mark,
                            name->valuestring);
  }
  cJSON_ArrayForEach(t, old) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (cJSON_IsString(name) && bk_find_tool(now, name->valuestring) == NULL &&
        n < sizeof(line) - 1)
      n += (size_t)snprintf(line + n, sizeof(line) - n, " -%s",
                            name->valuestring);
  }
  if (n > 0)
    bk_log(b, LL_INFO, "Tools:%s", line);
  else
    bk_log(b, LL_VERBOSE, "Tools: no change (%d tools)",
           cJSON_GetArraySize(now));
}

/* What each list request is called and where its items are. */
static const struct {
  const char* method;
  const char* key;
  const char* capability;
} bk_lists[BACKEND_LIST_KINDS] = {
    {"tools/list", "tools", "tools"},
    {"prompts/list", "prompts", "prompts"},
    {"resources/list", "resources", "resources"},
    {"resources/templates/list", "resourceTemplates", "resources"},
};

static void bk_fetch_list(struct backend* b,
                          enum backend_list kind,
                          const char* cursor) {
  struct bk_listfetch* f = &b->fetch[kind];
  if (cursor == NULL) {
    if (f->acc != NULL) {
      f->again = true;
      return;
    }
    f->pages = 0;
    f->acc = cJSON_CreateArray();
  }
  cJSON* params = NULL;
  if (cursor != NULL) {
    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "cursor", cursor);
  }
  struct inflight_req* r =
      bk_send_own_req(b, INFLIGHT_LIST, bk_lists[kind].method, params);
  if (r == NULL) {
    cJSON_Delete(f->acc);
    f->acc = NULL;
    return;
  }
  r->list = (unsigned)kind;
}

void bk_fetch_lists(struct backend* b) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if (k != BACKEND_LIST_TOOLS && !b->all_lists)
      continue;
    if (bk_has_capability(b, bk_lists[k].capability))
      bk_fetch_list(b, (enum backend_list)k, NULL);
  }
  if (!bk_lists_busy(b))
    bk_lists_done(b, 0); /* nothing to fetch: settled as is */
}

void bk_lists_done(struct backend* b, unsigned mask) {
  if (b->resuming && b->ev.on_resumed != NULL) {
    unsigned diff = b->resume_diff;
    b->resuming = false;
    b->resume_diff = 0;
    b->ev.on_resumed(b, b->ctx, diff);
    return;
  }
  b->resuming = false;
  if (b->ev.on_lists != NULL)
    b->ev.on_lists(b, b->ctx, mask);
}

static bool bk_lists_busy(const struct backend* b) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++)
    if (b->fetch[k].acc != NULL)
      return true;
  return false;
}

void bk_on_list_page(struct backend* b,
                     enum backend_list kind,
                     struct jrpc_msg* m) {
  struct bk_listfetch* f = &b->fetch[kind];
  const cJSON* result = cJSON_GetObjectItemCaseSensitive(m->root, "result");
  const cJSON* items =
      cJSON_GetObjectItemCaseSensitive(result, bk_lists[kind].key);
  if (f->acc == NULL)
    return;
  if (m->is_error || !cJSON_IsArray(items)) {
    bk_log(b, LL_DEBUG, "%s failed; keeping the last list",
           bk_lists[kind].method);
    b->list_errors |= 1u << kind;
    cJSON_Delete(f->acc);
    f->acc = NULL;
  } else {
    const cJSON* t;
    cJSON_ArrayForEach(t, items) {
      cJSON_AddItemToArray(f->acc, cJSON_Duplicate(t, 1));
    }
    const cJSON* meta = cJSON_GetObjectItemCaseSensitive(result, "_meta");
    if (f->pages == 0) {
      cJSON_Delete(f->meta);
      f->meta = cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : NULL;
    }
    const cJSON* next = cJSON_GetObjectItemCaseSensitive(result, "nextCursor");
    if (cJSON_IsString(next)) {
      int items_now = cJSON_GetArraySize(f->acc);
      if (++f->pages < BK_MAX_LIST_PAGES && items_now < BK_MAX_LIST_ITEMS) {
        bk_fetch_list(b, kind, next->valuestring);
        return;
      }
      bk_log(b, LL_WARN,
             "Server's %s has more than %d pages or %d items; only the "
             "first %d items are offered",
             bk_lists[kind].method, BK_MAX_LIST_PAGES, BK_MAX_LIST_ITEMS,
             items_now);
    }
    if (kind == BACKEND_LIST_TOOLS) {
      if (b->lists[kind] != NULL)
        bk_log_tool_diff(b, b->lists[kind], f->acc);
      else
        bk_log(b, LL_VERBOSE, "Tools: %d", cJSON_GetArraySize(f->acc));
    }
    if (b->resuming) {
      const cJSON* old = b->lists[kind];
      bool same = (old == NULL || cJSON_GetArraySize(old) == 0)
                      ? cJSON_GetArraySize(f->acc) == 0
                      : cJSON_Compare(old, f->acc, true);
      if (!same)
        b->resume_diff |= 1u << kind;
    }
    cJSON_Delete(b->lists[kind]);
    b->lists[kind] = f->acc;
    f->acc = NULL;
    cJSON_Delete(b->list_meta[kind]);
    b->list_meta[kind] = f->meta;
    f->meta = NULL;
    b->lists_changed |= 1u << kind;
    b->list_errors &= ~(1u << kind);
    if (kind == BACKEND_LIST_TOOLS && b->obs != NULL &&
        b->obs->on_tools != NULL)
      b->obs->on_tools(b, b->obs_ctx);
  }
  if (f->again) {
    f->again = false;
    bk_fetch_list(b, kind, NULL);
    return;
  }
  if (!bk_lists_busy(b)) {
    unsigned mask = b->lists_changed;
    b->lists_changed = 0;
    bk_lists_done(b, mask);
  }
}

/* The server's own notifications/X/list_changed: refresh our copy of X;
 * the owner decides what the client hears. */
void bk_on_list_changed(struct backend* b, const char* method) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    if ((k == BACKEND_LIST_TOOLS || b->all_lists) &&
        strncmp(method + 14, bk_lists[k].capability,
                strlen(bk_lists[k].capability)) == 0 &&
        bk_has_capability(b, bk_lists[k].capability))
      bk_fetch_list(b, (enum backend_list)k, NULL);
  }
}

bool backend_list_failed(const struct backend* b, enum backend_list kind) {
  return (b->list_errors & (1u << kind)) != 0;
}

void backend_refresh_list(struct backend* b, enum backend_list kind) {
  if (b->state == BACKEND_READY &&
      (kind == BACKEND_LIST_TOOLS || b->all_lists) &&
      bk_has_capability(b, bk_lists[kind].capability))
    bk_fetch_list(b, kind, NULL);
}

void bk_lists_reset(struct backend* b) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    cJSON_Delete(b->fetch[k].acc);
    b->fetch[k].acc = NULL;
    cJSON_Delete(b->fetch[k].meta);
    b->fetch[k].meta = NULL;
    b->fetch[k].again = false;
  }
  b->lists_changed = 0;
}
