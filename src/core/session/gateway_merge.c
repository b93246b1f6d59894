/* gateway_merge.c - the merged view of every backend's lists. See
 * gateway_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/session/control_tools.h"
#include "core/session/gateway_int.h"
#include "lib/util.h"

const char* const gw_list_method[BACKEND_LIST_KINDS] = {
    "tools/list", "prompts/list", "resources/list", "resources/templates/list"};
const char* const gw_list_key[BACKEND_LIST_KINDS] = {
    "tools", "prompts", "resources", "resourceTemplates"};

/* ---- the merged view ---------------------------------------------------- */

/* Forget a merged list's items, texts and pages (the array is kept). */
static void gw_merged_reset(struct gw_merged* m) {
  for (size_t i = 0; i < m->nowned; i++) free(m->owned[i]);
  m->nowned = 0;
  for (size_t i = 0; i < m->npages; i++) free(m->pages[i]);
  free(m->pages);
  free(m->page_len);
  m->pages = NULL;
  m->page_len = NULL;
  m->npages = 0;
  m->n = 0;
  m->hash = 0;
}

static void gw_merged_push(struct gw_merged* m,
                           const char* bytes,
                           size_t len,
                           uint64_t hash) {
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 64;
    m->items = xrealloc(m->items, m->cap * sizeof(*m->items));
  }
  m->items[m->n++] = (struct gw_mitem){bytes, len};
  m->hash = (m->hash ^ hash) * 0x100000001b3ull + m->n;
}

/* A text of the merged list's own, pushed as one item (taken). */
static void gw_merged_push_owned(struct gw_merged* m, char* text, size_t len) {
  if (m->nowned == m->owned_cap) {
    m->owned_cap = m->owned_cap ? m->owned_cap * 2 : 8;
    m->owned = xrealloc(m->owned, m->owned_cap * sizeof(*m->owned));
  }
  m->owned[m->nowned++] = text;
  gw_merged_push(m, text, len, gw_hash(text, len));
}

void gw_clear_merged(struct gateway* gw) {
  name_table_clear(gw->tools);
  name_table_clear(gw->prompts);
  name_table_clear(gw->resources);
  for (size_t i = 0; i < gw->ntemplates; i++) free(gw->templates[i].tpl);
  free(gw->templates);
  gw->templates = NULL;
  gw->ntemplates = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    struct gw_merged* m = &gw->merged[k];
    gw_merged_reset(m);
    free(m->items);
    free(m->owned);
    memset(m, 0, sizeof(*m));
  }
}

/* NAME-2: exposed (taken by other's tool or prompt) also names original of
 * gb: pick a deterministic variant that is free, add it to table, warn
 * once naming both servers and the fix, and write it into exposed.
 * Returns false (logged) only when no variant is free. */
static bool gw_disambiguate(struct gateway* gw,
                            struct gw_backend* gb,
                            enum backend_list kind,
                            struct name_table* table,
                            const char* original,
                            struct gw_backend* o,
                            char* exposed) {
  const char* what = kind == BACKEND_LIST_TOOLS ? "Tool" : "Prompt";
  const char* o_name = NULL;
  name_table_find(table, exposed, NULL, &o_name);
  char alt[NAMES_MAX + 1];
  bool found = false;
  for (int i = 0; i < 100 && !found; i++) {
    /* Salted with the server and the original name, so that two names
     * of one server that sanitize alike get different variants. */
    char* salt = xasprintf("%s\x1f%s\x1f%d", gb->sc.name, original, i);
    names_disambiguate(exposed, salt, alt);
    free(salt);
    found = name_table_add(table, alt, gb, original, NULL) == 0;
  }
  if (!found) {
    log_error(
        "%s '%s' of server '%s' maps to '%s', which is taken, and "
        "no variant is free; it is left out. Rename it.",
        what, original, gb->sc.name, exposed);
    return false;
  }
  char* key = xasprintf("\x01collision %s %s", gb->sc.name, alt);
  if (!name_table_find(gw->warned, key, NULL, NULL)) {
    name_table_add(gw->warned, key, NULL, "", NULL);
    log_warn(
        "%s name collision: '%s' of server '%s' and '%s' of server "
        "'%s' both map to '%s'; the one of '%s' is exposed as '%s'. "
        "Rename one of them, or one of the servers in %s, to fix "
        "this.",
        what, o_name ? o_name : exposed, o ? o->sc.name : "?", original,
        gb->sc.name, exposed, gb->sc.name, alt,
        gw->cfg.config_path ? gw->cfg.config_path : "the config");
  }
  free(key);
  memcpy(exposed, alt, strlen(alt) + 1);
  return true;
}

/* Tools or prompts of one backend, renamed (NAME-1, NAME-2, PR-1). */
static void gw_merge_named(struct gateway* gw,
                           struct gw_backend* gb,
                           enum backend_list kind,
                           struct name_table* table) {
  struct gw_share* sh = &gb->share[kind];
  struct gw_merged* m = &gw->merged[kind];
  for (size_t i = 0; i < sh->n; i++) {
    const struct gw_share_item* si = &sh->items[i];
    const char* exposed = si->names;
    const char* original = si->names + strlen(si->names) + 1;
    void* other = NULL;
    char alt[NAMES_MAX + 1];
    bool renamed = false;
    if (name_table_add(table, exposed, gb, original, &other) != 0) {
      memcpy(alt, exposed, strlen(exposed) + 1);
      if (!gw_disambiguate(gw, gb, kind, table, original, other, alt))
        continue;
      exposed = alt;
      renamed = true;
    }
    size_t len = strlen(exposed);
    if (kind == BACKEND_LIST_TOOLS && len > GW_CLAUDE_BUDGET &&
        !name_table_find(gw->warned, exposed, NULL, NULL)) {
      name_table_add(gw->warned, exposed, NULL, "", NULL);
      log_warn(
          "Tool name '%s' is %zu characters: with a client key "
          "'mcpmon', Claude Code allows %u and Cursor %u (it drops "
          "longer tools silently). Use a shorter server name in the "
          "config.",
          exposed, len, GW_CLAUDE_BUDGET, GW_CURSOR_BUDGET);
    }
    if (renamed) {
      struct backend_list_text l;
      backend_list_text(gb->b, kind, &l);
      size_t n = 0;
      char* text = gw_item_renamed(&l, si->src, exposed, &n);
      gw_merged_push_owned(m, text, n);
    } else {
      gw_merged_push(m, sh->text + si->off, si->len, si->hash);
    }
  }
}

/* Resources and templates: URIs untouched, first owner wins (RES-2). */
static void gw_merge_uris(struct gateway* gw,
                          struct gw_backend* gb,
                          enum backend_list kind) {
  struct gw_share* sh = &gb->share[kind];
  for (size_t i = 0; i < sh->n; i++) {
    const struct gw_share_item* si = &sh->items[i];
    const char* uri = si->names;
    struct gw_backend* owner = NULL;
    if (kind == BACKEND_LIST_RESOURCES) {
      void* o = NULL;
      if (name_table_add(gw->resources, uri, gb, uri, &o) != 0)
        owner = o;
    } else {
      for (size_t t = 0; t < gw->ntemplates; t++)
        if (strcmp(gw->templates[t].tpl, uri) == 0)
          owner = gw->templates[t].owner;
      if (owner == NULL) {
        gw->templates = xrealloc(gw->templates,
                                 (gw->ntemplates + 1) * sizeof(*gw->templates));
        gw->templates[gw->ntemplates].tpl = xstrdup(uri);
        gw->templates[gw->ntemplates].owner = gb;
        gw->ntemplates++;
      }
    }
    if (owner != NULL) {
      /* Said once, not at every rebuild of the lists. */
      char* said = owner != gb ? xasprintf("%d\t%s\t%s\t%s", (int)kind, uri,
                                           owner->sc.name, gb->sc.name)
                               : NULL;
      if (said != NULL && !name_table_find(gw->warned, said, NULL, NULL)) {
        name_table_add(gw->warned, said, NULL, "", NULL);
        log_warn(
            "Resource %s '%s' is served by '%s' and '%s'; '%s' (first "
            "in the config) serves it",
            kind == BACKEND_LIST_RESOURCES ? "URI" : "template", uri,
            owner->sc.name, gb->sc.name, owner->sc.name);
      }
      free(said);
      continue;
    }
    gw_merged_push(&gw->merged[kind], sh->text + si->off, si->len, si->hash);
  }
}

struct gw_backend* gw_by_name(struct gateway* gw, const char* name) {
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (strcmp(gb->sc.name, name) == 0)
      return gb;
  }
  return NULL;
}

void gw_rebuild(struct gateway* gw) {
  gw_clear_merged(gw);
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b == NULL || backend_is_off(gb->b))
      continue; /* issue 15: a stopped server's names leave the lists */
    for (int k = 0; k < BACKEND_LIST_KINDS; k++)
      gw_share_update(gw, gb, (enum backend_list)k);
    gw_merge_named(gw, gb, BACKEND_LIST_TOOLS, gw->tools);
    gw_merge_named(gw, gb, BACKEND_LIST_PROMPTS, gw->prompts);
    gw_merge_uris(gw, gb, BACKEND_LIST_RESOURCES);
    gw_merge_uris(gw, gb, BACKEND_LIST_TEMPLATES);
  }
  if (gw->cfg.control_tools) {
    /* Issue 15: mcpmon's own tools, after the servers'. */
    cJSON* ours = ctools_list();
    cJSON* t;
    cJSON_ArrayForEach(t, ours) {
      char* text = cJSON_PrintUnformatted(t);
      if (text != NULL)
        gw_merged_push_owned(&gw->merged[BACKEND_LIST_TOOLS], text,
                             strlen(text));
    }
    cJSON_Delete(ours);
  }
}

unsigned gw_rebuild_diff(struct gateway* gw) {
  uint64_t hash[BACKEND_LIST_KINDS];
  size_t n[BACKEND_LIST_KINDS];
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) {
    hash[k] = gw->merged[k].hash;
    n[k] = gw->merged[k].n;
  }
  gw_rebuild(gw);
  unsigned mask = 0;
  for (int k = 0; k < BACKEND_LIST_KINDS; k++)
    if (hash[k] != gw->merged[k].hash || n[k] != gw->merged[k].n)
      mask |= 1u << k;
  return mask;
}

/* ---- answering list requests --------------------------------------------- */

#define GW_CURSOR_PREFIX "mcpmon-page:"

/* Issue 13: the list results' `_meta`: the backends' when they agree (or
 * one has any), else each under its server's name. NULL: none has any. */
static cJSON* gw_list_meta(struct gateway* gw, enum backend_list kind) {
  const cJSON* first = NULL;
  bool same = true;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    const cJSON* meta = gb->b != NULL ? backend_list_meta(gb->b, kind) : NULL;
    if (meta == NULL)
      continue;
    if (first == NULL)
      first = meta;
    else if (!cJSON_Compare(first, meta, true))
      same = false;
  }
  if (first == NULL)
    return NULL;
  if (same)
    return cJSON_Duplicate(first, true);
  cJSON* per = cJSON_CreateObject();
  TAILQ_FOREACH(gb, &gw->backends, link) {
    const cJSON* meta = gb->b != NULL ? backend_list_meta(gb->b, kind) : NULL;
    if (meta != NULL)
      cJSON_AddItemToObject(per, gb->sc.name, cJSON_Duplicate(meta, true));
  }
  return per;
}

/* The result text of the page of the merged list from item `from` on
 * (config order, then each backend's order), with a nextCursor when more
 * follow, on the heap. */
static char* gw_page_make(struct gateway* gw,
                          enum backend_list kind,
                          size_t from,
                          size_t* len) {
  const struct gw_merged* m = &gw->merged[kind];
  size_t end = from + GW_LIST_PAGE < m->n ? from + GW_LIST_PAGE : m->n;
  size_t total = 64 + strlen(gw_list_key[kind]);
  for (size_t i = from; i < end; i++) total += m->items[i].len + 1;
  cJSON* meta = gw_list_meta(gw, kind);
  char* mtext = meta != NULL ? cJSON_PrintUnformatted(meta) : NULL;
  cJSON_Delete(meta);
  if (mtext != NULL)
    total += strlen(mtext) + 16;
  char* t = xmalloc(total);
  size_t n = (size_t)snprintf(t, total, "{\"%s\":[", gw_list_key[kind]);
  for (size_t i = from; i < end; i++) {
    if (i > from)
      t[n++] = ',';
    memcpy(t + n, m->items[i].bytes, m->items[i].len);
    n += m->items[i].len;
  }
  t[n++] = ']';
  if (end < m->n)
    n += (size_t)snprintf(t + n, total - n,
                          ",\"nextCursor\":\"" GW_CURSOR_PREFIX "%zu\"", end);
  if (mtext != NULL)
    n += (size_t)snprintf(t + n, total - n, ",\"_meta\":%s", mtext);
  free(mtext);
  t[n++] = '}';
  t[n] = '\0';
  *len = n;
  return t;
}

/* Issue 18: a page is made once per merged list and sent as text. */
static void gw_answer_page(struct gateway* gw,
                           const cJSON* id,
                           enum backend_list kind,
                           size_t from) {
  struct gw_merged* m = &gw->merged[kind];
  if (from % GW_LIST_PAGE != 0) {
    size_t len = 0;
    char* t = gw_page_make(gw, kind, from, &len);
    session_send_result_text(gw->s, id, t, len);
    free(t);
    return;
  }
  size_t p = from / GW_LIST_PAGE;
  if (p >= m->npages) {
    size_t np = p + 1;
    m->pages = xrealloc(m->pages, np * sizeof(*m->pages));
    m->page_len = xrealloc(m->page_len, np * sizeof(*m->page_len));
    for (size_t i = m->npages; i < np; i++) {
      m->pages[i] = NULL;
      m->page_len[i] = 0;
    }
    m->npages = np;
  }
  if (m->pages[p] == NULL)
    m->pages[p] = gw_page_make(gw, kind, from, &m->page_len[p]);
  session_send_result_text(gw->s, id, m->pages[p], m->page_len[p]);
}

static void gw_answer_list(struct gateway* gw,
                           const cJSON* id,
                           enum backend_list kind) {
  gw_answer_page(gw, id, kind, 0);
}

/* A cursor mcpmon gave: the offset it stands for, else -1. The list may
 * have changed since (list_changed then told the client): the page is
 * served from the same place. */
static int gw_cursor_offset(const char* cursor, size_t len) {
  size_t p = strlen(GW_CURSOR_PREFIX);
  if (len <= p || len > p + 9 || memcmp(cursor, GW_CURSOR_PREFIX, p) != 0)
    return -1;
  int v = 0;
  for (size_t i = p; i < len; i++) {
    if (cursor[i] < '0' || cursor[i] > '9')
      return -1;
    v = v * 10 + (cursor[i] - '0');
  }
  return v;
}

/* True once every enabled backend has listed or cannot (PAG-4). A backend
 * that crashed before its first lists is not waited for through its
 * backoff: one broken server must not stall the client; it is announced
 * with list_changed if it comes up later. */
bool gw_all_listed(const struct gateway* gw) {
  const struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b == NULL || gb->listed || backend_is_off(gb->b))
      continue;
    enum backend_state s = backend_state(gb->b);
    if (s != BACKEND_WAITING && s != BACKEND_STOPPED && s != BACKEND_STOPPING &&
        s != BACKEND_CRASHED)
      return false;
  }
  return true;
}

void gw_finish_check(struct gateway* gw) {
  /* An op that may still ask another server needs its input open. */
  if (!gw->finishing || !STAILQ_EMPTY(&gw->held) ||
      !STAILQ_EMPTY(&gw->waiting) || gw->nchained > 0)
    return;
  gw->finishing = false;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (gb->b != NULL)
      backend_finish(gb->b); /* on_stopped comes later, never in here */
  }
}

void gw_settle(struct gateway* gw) {
  if (gw->settled)
    return;
  gw->settled = true;
  uv_timer_stop(&gw->settle_timer);
  struct gw_waiting* w;
  while ((w = STAILQ_FIRST(&gw->waiting)) != NULL) {
    STAILQ_REMOVE_HEAD(&gw->waiting, link);
    session_traffic_resume(gw->s, w->tr); /* its traffic, as it came */
    gw_answer_list(gw, w->id, w->kind);
    session_traffic_resumed(gw->s);
    cJSON_Delete(w->id);
    free(w);
  }
  gw_finish_check(gw);
}

void gw_free_waiting(struct gateway* gw) {
  struct gw_waiting* w;
  while ((w = STAILQ_FIRST(&gw->waiting)) != NULL) {
    STAILQ_REMOVE_HEAD(&gw->waiting, link);
    session_traffic_drop(w->tr);
    cJSON_Delete(w->id);
    free(w);
  }
}

static void gw_settle_timeout(uv_timer_t* t) {
  struct gateway* gw = t->data;
  log_msg(LL_VERBOSE, NULL, 0,
          "Answering the first list without the servers still starting");
  gw_settle(gw);
}

void gw_on_list_request(struct gateway* gw,
                        const struct jmsg* m,
                        enum backend_list kind) {
  cJSON* id = jmsg_id(m);
  struct jspan cat = jmsg_get(m, "params", "cursor", NULL);
  if (cat.len != 0) {
    size_t clen = 0;
    char* cursor = jtext_string(m->text, cat, &clen);
    int from = cursor != NULL ? gw_cursor_offset(cursor, clen) : -1;
    free(cursor);
    if (from < 0 || (size_t)from >= gw->merged[kind].n) {
      session_error(gw->s, id, JRPC_INVALID_PARAMS,
                    "Invalid cursor: not one mcpmon gave, or past the end "
                    "of the list");
    } else {
      gw_answer_page(gw, id, kind, (size_t)from);
    }
    cJSON_Delete(id);
    return;
  }
  if (kind == BACKEND_LIST_TOOLS)
    gw->listed_tools = true;
  if (!gw->settled && gw_all_listed(gw))
    gw_settle(gw);
  if (gw->settled) {
    gw_answer_list(gw, id, kind);
    cJSON_Delete(id);
    return;
  }
  struct gw_waiting* w = xcalloc(1, sizeof(*w));
  w->id = id;
  w->kind = kind;
  w->tr = session_traffic_defer(gw->s);
  STAILQ_INSERT_TAIL(&gw->waiting, w, link);
  if (!uv_is_active((uv_handle_t*)&gw->settle_timer))
    uv_timer_start(&gw->settle_timer, gw_settle_timeout, GW_FIRST_LIST_WAIT_MS,
                   0);
}
