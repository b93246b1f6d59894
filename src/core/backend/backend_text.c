/* backend_text.c - responses to forwarded requests passed on as text. See
 * backend_int.h.
 *
 * A response mcpmon does not change except for its id need not become a
 * cJSON tree and be printed again: bench/analysis.md measured that as
 * 96 % of the work for large results. jrpc_scan_response validates the
 * line in one pass (jscan) and finds the id; the client gets the server's
 * bytes with the id replaced by the client's own (backend_machine.c scans
 * each line while it arrives, so the verdict is usually known already).
 * Only lines that
 * jrpc_parse would classify as a valid response, and that bk_on_response
 * would forward, take this path; everything else is left to the cJSON
 * path, which logs and drops or forwards it as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "lib/util.h"

void bk_report_text(struct backend* b,
                    uint64_t seq,
                    const char* method,
                    const char* tool,
                    uint64_t t0_ns,
                    bool ok,
                    const char* error,
                    const char* response,
                    size_t response_len) {
  if (b->obs == NULL || b->obs->on_traffic == NULL || seq == 0)
    return;
  size_t max = b->obs->body_max;
  struct backend_traffic t = {
      .seq = seq,
      .method = method,
      .tool = tool,
      .ms = t0_ns != 0 ? (double)(uv_hrtime() - t0_ns) / 1e6 : 0,
      .ok = ok,
      .error = error,
      .response = max > 0 ? response : NULL,
      .response_len = max > 0 && response != NULL
                          ? (response_len < max ? response_len : max)
                          : 0,
  };
  b->obs->on_traffic(b, b->obs_ctx, &t);
}

uint64_t backend_report_traffic(struct backend* b,
                                const struct backend_traffic* t) {
  if (b == NULL || b->obs == NULL || b->obs->on_traffic == NULL)
    return 0;
  return b->obs->on_traffic(b, b->obs_ctx, t);
}

/* The first text content of a tool result, as a cut copy. */
#define BT_TOOL_ERROR_MAX 4096u

char* bk_tool_error(const char* text, struct jspan res) {
  struct jspan v;
  if (!jtext_member(text, res, "isError", &v) ||
      jtext_type(text, v) != JSCAN_TRUE)
    return NULL;
  struct jspan content, el, type, msg;
  size_t pos = 0;
  if (jtext_member(text, res, "content", &content)) {
    while (jtext_element(text, content, &pos, &el)) {
      if (jtext_member(text, el, "type", &type) &&
          jtext_str_eq(text, type, "text") &&
          jtext_member(text, el, "text", &msg)) {
        size_t n = 0;
        char* s = jtext_string(text, msg, &n);
        if (s != NULL) {
          if (n > BT_TOOL_ERROR_MAX)
            s[BT_TOOL_ERROR_MAX] = '\0'; /* the ring cuts it at UTF-8 */
          return s;
        }
      }
    }
  }
  return xstrdup("");
}

char* bk_tool_error_tree(const cJSON* result) {
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "isError")))
    return NULL;
  const cJSON* c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(result, "content")) {
    const cJSON* type = cJSON_GetObjectItemCaseSensitive(c, "type");
    const cJSON* msg = cJSON_GetObjectItemCaseSensitive(c, "text");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0 &&
        cJSON_IsString(msg))
      return xstrndup(msg->valuestring,
                      strlen(msg->valuestring) < BT_TOOL_ERROR_MAX
                          ? strlen(msg->valuestring)
                          : BT_TOOL_ERROR_MAX);
  }
  return xstrdup("");
}

/* The first max bytes of the pieces joined (heap, *len bytes), for an
 * observer that keeps bodies. */
static char* bt_join(const uv_buf_t* pieces,
                     unsigned n,
                     size_t max,
                     size_t* len) {
  char* out = xmalloc(max + 1);
  size_t at = 0;
  for (unsigned i = 0; i < n && at < max; i++) {
    size_t k = pieces[i].len < max - at ? pieces[i].len : max - at;
    memcpy(out + at, pieces[i].base, k);
    at += k;
  }
  *len = at;
  return out;
}

bool bk_forward_text(struct backend* b,
                     char* line,
                     size_t len,
                     const struct jscan* scanned,
                     struct framer* from) {
  struct jrpc_text_response t;
  if (b->ev.on_response_text == NULL)
    return false;
  if (scanned != NULL
          ? scanned->err != NULL || !jrpc_scanned_response(line, scanned, &t)
          : !jrpc_scan_response(line, len, &t))
    return false;
  struct inflight_req* r = inflight_find(&b->inflight, t.id);
  if (r == NULL || r->kind != INFLIGHT_FORWARD || r->cookie != 0) {
    cJSON_Delete(t.error);
    return false; /* unknown ids, mcpmon's own requests, and answers the
                     owner reads first */
  }

  if (log_enabled(LL_DEBUG))
    bk_log(b, LL_DEBUG, "<- server %.300s", line);
  char idbuf[32];
  char* idheap;
  size_t idlen;
  const char* idtext = jrpc_id_text(r->client_id, idbuf, &idlen, &idheap);
  /* The object without the whitespace around it, its id replaced, and a
   * newline where the line's end was. */
  size_t end = t.off + t.len;
  size_t id_end = t.id_off + t.id_len;
  uv_buf_t pieces[3];
  char* block;
  size_t cap;
  unsigned n;
  if (from != NULL && len >= BK_TAKE_MIN) {
    /* Large: written from the framer's buffer, which the client gets. */
    line[end] = '\n';
    pieces[0] = uv_buf_init(line + t.off, (unsigned)(t.id_off - t.off));
    pieces[1] = uv_buf_init((char*)idtext, (unsigned)idlen);
    pieces[2] = uv_buf_init(line + id_end, (unsigned)(end + 1 - id_end));
    n = 3;
    block = framer_take(from, &cap);
  } else {
    size_t head = t.id_off - t.off;
    size_t tail = end - id_end;
    cap = head + idlen + tail + 1;
    block = xmalloc(cap);
    memcpy(block, line + t.off, head);
    memcpy(block + head, idtext, idlen);
    memcpy(block + head + idlen, line + id_end, tail);
    block[cap - 1] = '\n';
    pieces[0] = uv_buf_init(block, (unsigned)cap);
    n = 1;
  }

  r = inflight_take(&b->inflight, t.id);
  const cJSON* em = cJSON_GetObjectItemCaseSensitive(t.error, "message");
  size_t total = t.len - t.id_len + idlen;
  char* body = NULL;
  size_t body_len = 0;
  if (b->obs != NULL && b->obs->body_max > 0 && r->seq != 0)
    body =
        bt_join(pieces, n, total < b->obs->body_max ? total : b->obs->body_max,
                &body_len);
  char* tool_err = NULL;
  struct jspan res;
  if (r->seq != 0 && t.error == NULL &&
      jtext_member(line, (struct jspan){t.off, t.len}, "result", &res))
    tool_err = bk_tool_error(line, res);
  bk_report_text(b, r->seq, r->method, r->tool, r->t0_ns,
                 t.error == NULL && tool_err == NULL,
                 tool_err != NULL     ? tool_err
                 : cJSON_IsString(em) ? em->valuestring
                                      : NULL,
                 body, body_len);
  free(tool_err);
  free(body);
  cJSON_Delete(t.error);
  inflight_req_free(r);
  b->ev.on_response_text(b, b->ctx, pieces, n, block, cap);
  free(idheap);
  return true;
}
