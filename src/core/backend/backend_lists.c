/* backend_lists.c - the copies a backend keeps of its server's lists. See
 * backend_int.h.
 *
 * Calls down into backend_send.c for its requests; reports up only through
 * the owner's ev.on_lists and the observer's on_tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "lib/util.h"

static bool bk_lists_busy(const struct backend* b);

/* ---- the server's lists (tools, prompts, resources, templates) ---------- */

/* ---- lists as text (issue 18) ------------------------------------------ */

static uint64_t bk_list_serials; /* the last serial given, in the process */

void bk_list_clear(struct bk_list* l) {
  free(l->text);
  free(l->items);
  cJSON_Delete(l->tree);
  memset(l, 0, sizeof(*l));
}

static void bk_list_reserve(struct bk_list* l, size_t more) {
  if (l->len + more + 2 <= l->cap)
    return;
  size_t cap = l->cap ? l->cap : 256;
  while (cap < l->len + more + 2) cap *= 2;
  l->text = xrealloc(l->text, cap);
  l->cap = cap;
}

/* Start an empty list: "[". */
static void bk_list_begin(struct bk_list* l) {
  bk_list_clear(l);
  bk_list_reserve(l, 1);
  l->text[0] = '[';
  l->len = 1;
}

/* Append one item (its bytes in page, its spans relative to page). */
static void bk_list_append(struct bk_list* l,
                           const char* page,
                           const struct jlist_item* it) {
  bk_list_reserve(l, it->len + 1);
  if (l->n > 0)
    l->text[l->len++] = ',';
  if (l->n == l->ncap) {
    l->ncap = l->ncap ? l->ncap * 2 : 16;
    l->items = xrealloc(l->items, l->ncap * sizeof(*l->items));
  }
  struct jlist_item* d = &l->items[l->n++];
  *d = *it;
  d->off = l->len;
  if (d->has_name)
    d->name_off = it->name_off - it->off + l->len;
  memcpy(l->text + l->len, page + it->off, it->len);
  l->len += it->len;
}

/* Close with "]" and NUL; the list gets a new serial. */
static void bk_list_end(struct bk_list* l) {
  bk_list_reserve(l, 1);
  l->text[l->len++] = ']';
  l->text[l->len] = '\0';
  l->serial = ++bk_list_serials;
}

void bk_list_copy(struct bk_list* to, const struct bk_list* from) {
  bk_list_clear(to);
  if (from->text == NULL)
    return;
  to->text = xmalloc(from->len + 1);
  memcpy(to->text, from->text, from->len + 1);
  to->len = from->len;
  to->cap = from->len + 1;
  if (from->n > 0) {
    to->items = xmalloc(from->n * sizeof(*to->items));
    memcpy(to->items, from->items, from->n * sizeof(*to->items));
  }
  to->n = to->ncap = from->n;
  to->serial = ++bk_list_serials;
}

static bool bk_list_equal(const struct bk_list* a, const struct bk_list* b) {
  if (a->n == 0 || b->n == 0)
    return a->n == b->n;
  return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static char* bk_item_name(const char* text, const struct jlist_item* it) {
  if (!it->has_name)
    return NULL;
  if (!it->name_escaped) {
    char* s = xmalloc(it->name_len + 1);
    memcpy(s, text + it->name_off, it->name_len);
    s[it->name_len] = '\0';
    return s;
  }
  size_t n = 0;
  return jtext_string(text, (struct jspan){it->name_off - 1, it->name_len + 2},
                      &n);
}

/* A name and its item, for the diff below. */
struct bk_named {
  char* name;
  const char* bytes;
  size_t len;
};

static int bk_named_cmp(const void* x, const void* y) {
  return strcmp(((const struct bk_named*)x)->name,
                ((const struct bk_named*)y)->name);
}

/* The named items of l, sorted by name (duplicates: the first kept). */
static struct bk_named* bk_sorted(const struct bk_list* l, size_t* n) {
  struct bk_named* v = xmalloc((l->n + 1) * sizeof(*v));
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    char* name = bk_item_name(l->text, &l->items[i]);
    if (name == NULL)
      continue;
    v[k++] =
        (struct bk_named){name, l->text + l->items[i].off, l->items[i].len};
  }
  qsort(v, k, sizeof(*v), bk_named_cmp);
  *n = k;
  return v;
}

static void bk_sorted_free(struct bk_named* v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i].name);
  free(v);
}

/* "Tools: +goodbye ~hello -old" (only when something changed). */
static void bk_log_tool_diff(struct backend* b,
                             const struct bk_list* old,
                             const struct bk_list* now) {
  char line[2048];
  size_t n = 0;
  line[0] = '\0';
  size_t na, nb;
  struct bk_named* a = bk_sorted(old, &na);
  struct bk_named* c = bk_sorted(now, &nb);
  size_t i = 0, j = 0;
  while ((i < na || j < nb) && n < sizeof(line) - 1) {
    int cmp = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i].name, c[j].name);
    char mark = 0;
    const char* name = NULL;
    if (cmp < 0) {
      mark = '-';
      name = a[i++].name;
    } else if (cmp > 0) {
      mark = '+';
      name = c[j++].name;
    } else {
      if (a[i].len != c[j].len || memcmp(a[i].bytes, c[j].bytes, a[i].len))
        mark = '~';
      name = c[j].name;
      i++;
      j++;
    }
    if (mark)
      n += (size_t)snprintf(line + n, sizeof(line) - n, " %c%s", mark, name);
  }
  bk_sorted_free(a, na);
  bk_sorted_free(c, nb);
  if (n > 0)
    bk_log(b, LL_INFO, "Tools:%s", line);
  else
    bk_log(b, LL_VERBOSE, "Tools: no change (%zu tools)", now->n);
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
    if (f->active) {
      f->again = true;
      return;
    }
    f->pages = 0;
    f->active = true;
    bk_list_begin(&f->acc);
  }
  cJSON* params = NULL;
  if (cursor != NULL) {
    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "cursor", cursor);
  }
  struct inflight_req* r =
      bk_send_own_req(b, INFLIGHT_LIST, bk_lists[kind].method, params);
  if (r == NULL) {
    bk_list_clear(&f->acc);
    f->active = false;
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
    if (b->fetch[k].active)
      return true;
  return false;
}

/* Which member of an item names it. */
static const char* bk_name_key(enum backend_list kind) {
  return kind == BACKEND_LIST_RESOURCES   ? "uri"
         : kind == BACKEND_LIST_TEMPLATES ? "uriTemplate"
                                          : "name";
}

void bk_on_list_page(struct backend* b,
                     enum backend_list kind,
                     const struct jmsg* m) {
  struct bk_listfetch* f = &b->fetch[kind];
  if (!f->active)
    return;
  struct jspan result = jmsg_get(m, "result", NULL);
  struct jlist page = {0};
  const char* why = NULL;
  size_t room = f->acc.n < BK_MAX_LIST_ITEMS ? BK_MAX_LIST_ITEMS - f->acc.n : 0;
  /* The message is valid JSON (jmsg), so is its result: not scanned. */
  bool ok =
      !m->is_error && jtext_type(m->text, result) == JSCAN_OBJECT &&
      jlist_index(m->text + result.off, result.len, true, bk_lists[kind].key,
                  bk_name_key(kind), room, &page, &why);
  if (!ok) {
    bk_log(b, LL_DEBUG, "%s failed%s%s; keeping the last list",
           bk_lists[kind].method, why ? ": " : "", why ? why : "");
    b->list_errors |= 1u << kind;
    bk_list_clear(&f->acc);
    f->active = false;
  } else {
    const char* ptext = m->text + result.off;
    for (size_t i = 0; i < page.n; i++)
      bk_list_append(&f->acc, ptext, &page.items[i]);
    if (f->pages == 0) {
      cJSON_Delete(f->meta);
      struct jspan meta = jmsg_get(m, "result", "_meta", NULL);
      f->meta = jtext_type(m->text, meta) == JSCAN_OBJECT
                    ? jtext_tree(m->text, meta)
                    : NULL;
    }
    bool more = page.has_cursor || page.truncated;
    if (more) {
      size_t items_now = f->acc.n;
      if (!page.truncated && ++f->pages < BK_MAX_LIST_PAGES &&
          items_now < BK_MAX_LIST_ITEMS) {
        char* cursor = NULL;
        size_t clen = 0;
        cursor = jtext_string(
            ptext, (struct jspan){page.cursor_off - 1, page.cursor_len + 2},
            &clen);
        jlist_free(&page);
        bk_fetch_list(b, kind, cursor != NULL ? cursor : "");
        free(cursor);
        return;
      }
      bk_log(b, LL_WARN,
             "Server's %s has more than %d pages or %d items; only the "
             "first %zu items are offered",
             bk_lists[kind].method, BK_MAX_LIST_PAGES, BK_MAX_LIST_ITEMS,
             items_now);
    }
    jlist_free(&page);
    bk_list_end(&f->acc);
    struct bk_list* cur = &b->lists[kind];
    if (kind == BACKEND_LIST_TOOLS) {
      if (cur->text != NULL)
        bk_log_tool_diff(b, cur, &f->acc);
      else
        bk_log(b, LL_VERBOSE, "Tools: %zu", f->acc.n);
    }
    if (b->resuming && !bk_list_equal(cur, &f->acc))
      b->resume_diff |= 1u << kind;
    bk_list_clear(cur);
    *cur = f->acc; /* taken */
    memset(&f->acc, 0, sizeof(f->acc));
    f->active = false;
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
    bk_list_clear(&b->fetch[k].acc);
    b->fetch[k].active = false;
    cJSON_Delete(b->fetch[k].meta);
    b->fetch[k].meta = NULL;
    b->fetch[k].again = false;
  }
  b->lists_changed = 0;
}

/* ---- what the owner reads ------------------------------------------------ */

void backend_list_text(const struct backend* b,
                       enum backend_list kind,
                       struct backend_list_text* out) {
  memset(out, 0, sizeof(*out));
  if ((unsigned)kind >= BACKEND_LIST_KINDS)
    return;
  const struct bk_list* l = &b->lists[kind];
  *out = (struct backend_list_text){l->text, l->len, l->items, l->n, l->serial};
}

char* backend_list_item_name(const struct backend_list_text* l, size_t i) {
  return i < l->n ? bk_item_name(l->text, &l->items[i]) : NULL;
}

bool backend_list_same(const struct backend* a,
                       const struct backend* b,
                       enum backend_list kind) {
  if ((unsigned)kind >= BACKEND_LIST_KINDS)
    return true;
  return bk_list_equal(&a->lists[kind], &b->lists[kind]);
}

const cJSON* backend_list(const struct backend* b, enum backend_list kind) {
  if ((unsigned)kind >= BACKEND_LIST_KINDS || b->lists[kind].text == NULL)
    return NULL;
  /* A cache of what the text says, made for the callers that still read
   * a tree (the dashboard, reload's comparison): not a change of b. */
  struct bk_list* l = (struct bk_list*)&b->lists[kind];
  if (l->tree == NULL)
    l->tree = cJSON_ParseWithLength(l->text, l->len);
  if (l->tree == NULL)
    l->tree = cJSON_CreateArray(); /* what cJSON cannot read: no items */
  return l->tree;
}

const cJSON* backend_tools(const struct backend* b) {
  return backend_list(b, BACKEND_LIST_TOOLS);
}
