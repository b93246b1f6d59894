/* gateway_share.c - each backend's share of the merged lists, as text
 * (issue 18). See gateway_int.h.
 *
 * A share is made from the backend's list text (backend_list_text) once
 * per list serial: each item's bytes as the server wrote them, with only
 * the name's string replaced by the exposed name (NAME-1) for tools and
 * prompts. gateway_merge.c picks the items from the shares. */
#include <stdlib.h>
#include <string.h>

#include "core/session/gateway_int.h"
#include "lib/util.h"

uint64_t gw_hash(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 32);
}

/* ---- a growing text ------------------------------------------------------ */

struct gw_buf {
  char* p;
  size_t len, cap;
};

static void gw_put(struct gw_buf* b, const char* s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* s as a JSON string, with its quotes. */
static void gw_put_jstr(struct gw_buf* b, const char* s) {
  static const char hex[] = "0123456789abcdef";
  gw_put(b, "\"", 1);
  const char* run = s;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c != '"' && c != '\\' && c >= 0x20)
      continue;
    gw_put(b, run, (size_t)(s - run));
    char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
    size_t n = 2;
    if (c < 0x20) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      n = 6;
    }
    gw_put(b, esc, n);
    run = s + 1;
  }
  gw_put(b, run, (size_t)(s - run));
  gw_put(b, "\"", 1);
}

/* Item it of text with its name's string replaced by name. */
static void gw_put_renamed(struct gw_buf* b,
                           const char* text,
                           const struct jlist_item* it,
                           const char* name) {
  size_t q = it->name_off - 1; /* the opening quote */
  size_t after = it->name_off + it->name_len + 1;
  gw_put(b, text + it->off, q - it->off);
  gw_put_jstr(b, name);
  gw_put(b, text + after, it->off + it->len - after);
}

char* gw_item_renamed(const struct backend_list_text* l,
                      size_t i,
                      const char* name,
                      size_t* len) {
  struct gw_buf b = {0};
  gw_put_renamed(&b, l->text, &l->items[i], name);
  *len = b.len;
  return b.p;
}

/* ---- shares -------------------------------------------------------------- */

static void gw_share_clear(struct gw_share* sh) {
  for (size_t i = 0; i < sh->n; i++) free(sh->items[i].names);
  free(sh->items);
  free(sh->text);
  free(sh->sep);
  memset(sh, 0, sizeof(*sh));
}

void gw_share_free(struct gw_backend* gb) {
  for (int k = 0; k < BACKEND_LIST_KINDS; k++) gw_share_clear(&gb->share[k]);
}

void gw_share_update(struct gateway* gw,
                     struct gw_backend* gb,
                     enum backend_list kind) {
  struct gw_share* sh = &gb->share[kind];
  struct backend_list_text l;
  backend_list_text(gb->b, kind, &l);
  if (sh->serial == l.serial && sh->sep != NULL &&
      strcmp(sh->sep, gw->cfg.separator) == 0)
    return;
  gw_share_clear(sh);
  sh->serial = l.serial;
  sh->sep = xstrdup(gw->cfg.separator);
  if (l.n == 0)
    return;
  bool named = kind == BACKEND_LIST_TOOLS || kind == BACKEND_LIST_PROMPTS;
  size_t prefix = strlen(gb->sc.name) + strlen(gw->cfg.separator);
  struct gw_buf b = {0};
  /* One allocation for the whole text, as a rule. */
  b.cap = l.len + (named ? l.n * (prefix + 8) : 0) + 1;
  b.p = xmalloc(b.cap);
  sh->items = xmalloc(l.n * sizeof(*sh->items));
  for (size_t i = 0; i < l.n; i++) {
    char* original = backend_list_item_name(&l, i);
    if (original == NULL)
      continue; /* no string name: not offered (as before issue 18) */
    struct gw_share_item* si = &sh->items[sh->n++];
    si->src = i;
    si->off = b.len;
    const struct jlist_item* it = &l.items[i];
    if (named) {
      char exposed[NAMES_MAX + 1];
      names_expose(gb->sc.name, gw->cfg.separator, original, exposed);
      size_t el = strlen(exposed), ol = strlen(original);
      si->names = xmalloc(el + ol + 2);
      memcpy(si->names, exposed, el + 1);
      memcpy(si->names + el + 1, original, ol + 1);
      free(original);
      gw_put_renamed(&b, l.text, it, exposed);
    } else {
      si->names = original;
      gw_put(&b, l.text + it->off, it->len);
    }
    si->len = b.len - si->off;
    si->hash = gw_hash(b.p + si->off, si->len);
  }
  sh->text = b.p;
  sh->len = b.len;
}
