/* model_detail.c - see model_detail.h. */
#include "tui/model_detail.h"

#include <stdlib.h>
#include <string.h>

#include "tui/tutil.h"

struct model_lines {
  char** lines;
  size_t n;
  size_t cap;
  char* cur; /* the line being built */
  size_t curlen;
  size_t curcap;
};

static void model_lines_put(struct model_lines* l, const char* s, size_t n) {
  l->cur = tu_grow(l->cur, &l->curcap, l->curlen + n + 1, 1, 64);
  memcpy(l->cur + l->curlen, s, n);
  l->curlen += n;
  l->cur[l->curlen] = '\0';
}

static void model_lines_puts(struct model_lines* l, const char* s) {
  model_lines_put(l, s, strlen(s));
}

static void model_lines_end(struct model_lines* l) {
  l->lines = tu_grow(l->lines, &l->cap, l->n + 1, sizeof(char*), 32);
  l->lines[l->n++] = tu_strndup(l->cur ? l->cur : "", l->curlen);
  l->curlen = 0;
}

static void model_lines_indent(struct model_lines* l, int depth) {
  for (int i = 0; i < depth; i++) model_lines_puts(l, "  ");
}

/* Text lines of a string, split at its line breaks. */
static void model_lines_text(struct model_lines* l, const char* s) {
  for (;;) {
    const char* nl = strchr(s, '\n');
    model_lines_put(l, s, nl ? (size_t)(nl - s) : strlen(s));
    model_lines_end(l);
    if (nl == NULL)
      break;
    s = nl + 1;
  }
}

/* Pretty-print v at depth: two spaces per level, "key": value. */
static void model_lines_json(struct model_lines* l, const cJSON* v, int depth) {
  bool obj = cJSON_IsObject(v);
  if ((obj || cJSON_IsArray(v)) && v->child != NULL) {
    model_lines_puts(l, obj ? "{" : "[");
    model_lines_end(l);
    for (const cJSON* c = v->child; c != NULL; c = c->next) {
      model_lines_indent(l, depth + 1);
      if (obj) {
        cJSON* key = cJSON_CreateString(c->string ? c->string : "");
        char* k = cJSON_PrintUnformatted(key);
        model_lines_puts(l, k ? k : "\"\"");
        model_lines_puts(l, ": ");
        free(k);
        cJSON_Delete(key);
      }
      model_lines_json(l, c, depth + 1);
      if (c->next != NULL)
        model_lines_puts(l, ",");
      model_lines_end(l);
    }
    model_lines_indent(l, depth);
    model_lines_puts(l, obj ? "}" : "]");
    return;
  }
  char* s = cJSON_PrintUnformatted(v);
  model_lines_puts(l, s ? s : "null");
  free(s);
}

void model_detail_free(struct model_detail* d) {
  for (size_t i = 0; i < d->nlines; i++) free(d->lines[i]);
  free(d->lines);
  free(d->title);
  memset(d, 0, sizeof(*d));
}

static void model_detail_body(struct model_lines* l,
                              const char* title,
                              const cJSON* body) {
  model_lines_puts(l, title);
  model_lines_end(l);
  if (body == NULL || cJSON_IsNull(body)) {
    model_lines_puts(l, "  (none)");
    model_lines_end(l);
  } else if (cJSON_IsString(body)) {
    /* A body cut short is no longer JSON: shown as the text it is. */
    model_lines_text(l, body->valuestring);
  } else {
    model_lines_json(l, body, 0);
    model_lines_end(l);
  }
}

void model_detail_of_traffic(struct model_detail* d, const cJSON* obj) {
  struct model_lines l;
  memset(&l, 0, sizeof(l));
  const cJSON* seq = cJSON_GetObjectItemCaseSensitive(obj, "seq");
  d->seq = (uint64_t)tu_json_int(seq, 0);
  const cJSON* err = cJSON_GetObjectItemCaseSensitive(obj, "error");
  const char* errtext =
      cJSON_IsString(err) ? err->valuestring
      : cJSON_IsObject(err)
          ? cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(err, "message"))
          : NULL;
  if (errtext != NULL &&
      cJSON_GetObjectItemCaseSensitive(obj, "request") == NULL) {
    model_lines_puts(&l, "Not available: ");
    model_lines_puts(&l, errtext);
    model_lines_end(&l);
  } else {
    /* Why the bodies are missing, when the core says (a member beyond the
     * protocol document). */
    const char* note =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "note"));
    if (note != NULL) {
      model_lines_puts(&l, "Note: ");
      model_lines_puts(&l, note);
      model_lines_end(&l);
      model_lines_end(&l);
    }
    model_detail_body(&l, "Request",
                      cJSON_GetObjectItemCaseSensitive(obj, "request"));
    model_lines_end(&l);
    model_detail_body(&l, "Response",
                      cJSON_GetObjectItemCaseSensitive(obj, "response"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "truncated"))) {
      model_lines_end(&l);
      model_lines_puts(&l, "(cut short by mcpmon)");
      model_lines_end(&l);
    }
  }
  free(l.cur);
  d->valid = true;
  d->lines = l.lines;
  d->nlines = l.n;
}

static const char* const model_detail_headings[] = {
    "Request",      "Response",      "Description",
    "Input schema", "Output schema", "Annotations"};

bool model_detail_heading(const char* line) {
  for (size_t i = 0; i < TU_ARRAY_LEN(model_detail_headings); i++)
    if (strcmp(line, model_detail_headings[i]) == 0)
      return true;
  return false;
}

/* One part of a tool's definition, under its heading, when present. */
static void model_detail_part(struct model_lines* l,
                              const char* heading,
                              const cJSON* v) {
  if (v == NULL)
    return;
  model_lines_puts(l, heading);
  model_lines_end(l);
  model_lines_json(l, v, 0);
  model_lines_end(l);
  model_lines_end(l);
}

void model_detail_of_tool(struct model_detail* d, const cJSON* obj) {
  struct model_lines l;
  memset(&l, 0, sizeof(l));
  const cJSON* tool = cJSON_GetObjectItemCaseSensitive(obj, "tool");
  const char* backend =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "backend"));
  const char* name =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tool, "name"));
  d->tool = true;
  d->title = tu_asprintf("Tool %s of %s", name != NULL ? name : "?",
                         backend != NULL ? backend : "?");
  if (!cJSON_IsObject(tool)) {
    const char* err =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "error"));
    model_lines_puts(&l, "Not available: ");
    model_lines_puts(&l, err != NULL ? err : "the core sent no tool");
    model_lines_end(&l);
  } else {
    const char* title =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tool, "title"));
    if (title != NULL) {
      model_lines_puts(&l, title);
      model_lines_end(&l);
      model_lines_end(&l);
    }
    model_lines_puts(&l, "Description");
    model_lines_end(&l);
    const char* desc = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(tool, "description"));
    model_lines_text(&l, desc != NULL ? desc : "(none)");
    model_lines_end(&l);
    model_detail_part(&l, "Input schema",
                      cJSON_GetObjectItemCaseSensitive(tool, "inputSchema"));
    model_detail_part(&l, "Output schema",
                      cJSON_GetObjectItemCaseSensitive(tool, "outputSchema"));
    model_detail_part(&l, "Annotations",
                      cJSON_GetObjectItemCaseSensitive(tool, "annotations"));
  }
  free(l.cur);
  d->valid = true;
  d->lines = l.lines;
  d->nlines = l.n;
}
