/* backend_recv.c - what a server sends that is not an answer to one of
 * mcpmon's own requests: its line read as a message (STDIO-8 leniency),
 * its notifications on their way to the client (progress of a request in
 * flight only, list_changed swallowed while initializing, a replaced
 * server's news dropped), its log messages for the dashboard (LOG-2's
 * levels), and an unreadable answer failing the request it names. Calls
 * only files below it (backend_send.c, backend_lists.c, inflight.c);
 * backend_machine.c dispatches each line here. See backend_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "lib/util.h"

static bool bk_is_list_changed(const char* method) {
  return strncmp(method, "notifications/", 14) == 0 &&
         strstr(method, "/list_changed") != NULL;
}

/* Issue 12 item 4: a line that is not JSON-RPC but whose id names a
 * forwarded request in flight gets that request an error at once, not a
 * wait for the client's own timeout. */
void bk_unreadable_answer(struct backend* b,
                          const struct jmsg* m,
                          const char* why) {
  cJSON* id = m->id.len != 0 ? jmsg_id(m) : jrpc_sniff_id(m->text, m->len);
  int64_t n = jrpc_int_id(id);
  cJSON_Delete(id);
  struct inflight_req* r = inflight_find(&b->inflight, n);
  if (r == NULL || r->kind != INFLIGHT_FORWARD)
    return;
  r = inflight_take(&b->inflight, n);
  char text[256];
  snprintf(text, sizeof(text),
           "Server '%s' answered with a message mcpmon cannot pass on (%s)",
           bk_display_name(b), why);
  bk_answer_req_error(b, r, "invalid_response", text);
  inflight_req_free(r);
}

/* The server's line as a message: jscan's text when valid (valid: the
 * stream scan's verdict that it is, or NULL to scan it now); else what
 * cJSON makes of it (a raw tab in a string, a number written 01: fixed
 * by printing it again, STDIO-8 leniency), scanned again. */
struct jmsg* bk_line_msg(const char* line,
                         size_t len,
                         const struct jscan* valid) {
  if (valid != NULL)
    return jmsg_from_scan(line, len, valid);
  struct jmsg* m = jmsg_parse(line, len);
  if (m->kind != JRPC_INVALID || m->error_code != JRPC_PARSE_ERROR)
    return m;
  if (memchr(line, '\0', len) != NULL)
    return m; /* cJSON would end the string there (issue 12 item 4) */
  struct jrpc_msg lenient;
  jrpc_parse(line, len, &lenient);
  if (lenient.root == NULL) {
    jrpc_msg_free(&lenient);
    return m;
  }
  size_t n;
  char* text = jrpc_serialize(lenient.root, &n);
  jrpc_msg_free(&lenient);
  struct jmsg* fixed = jmsg_parse(text, n);
  free(text);
  if (fixed->kind == JRPC_INVALID && fixed->error_code == JRPC_PARSE_ERROR) {
    jmsg_free(fixed);
    return m;
  }
  jmsg_free(m);
  return fixed;
}

/* LOG-2's levels (RFC 5424) onto mcpmon's. */
static enum log_level bk_log_level_of(const char* text, struct jspan v) {
  static const struct {
    const char* name;
    enum log_level level;
  } map[] = {
      {"debug", LL_DEBUG},  {"info", LL_INFO},       {"notice", LL_INFO},
      {"warning", LL_WARN}, {"error", LL_ERROR},     {"critical", LL_ERROR},
      {"alert", LL_ERROR},  {"emergency", LL_ERROR},
  };
  for (size_t i = 0; i < ARRAY_LEN(map); i++)
    if (jtext_str_eq(text, v, map[i].name))
      return map[i].level;
  return LL_INFO;
}

/* Longest server log line built for the observer (the ring cuts it
 * further): data printed as compact JSON may be large. */
#define BK_SERVER_LOG_MAX (16u * 1024u)

/* Issue 15: a server's notifications/message goes to the dashboard's log
 * pane as "logger: data" with its level (the client gets it too). */
static void bk_server_log(struct backend* b, const struct jmsg* m) {
  if (b->obs == NULL || b->obs->on_log == NULL)
    return;
  struct jspan level = jmsg_get(m, "params", "level", NULL);
  struct jspan logger = jmsg_get(m, "params", "logger", NULL);
  struct jspan data = jmsg_get(m, "params", "data", NULL);
  char* who = jtext_string(m->text, logger, NULL);
  char* what = jtext_string(m->text, data, NULL);
  if (what == NULL && data.len != 0) /* compact JSON as the server wrote */
    what =
        xstrndup(m->text + data.off,
                 data.len < BK_SERVER_LOG_MAX ? data.len : BK_SERVER_LOG_MAX);
  char* line = xasprintf("%s%s%s", who != NULL ? who : "",
                         who != NULL ? ": " : "", what != NULL ? what : "");
  b->obs->on_log(b, b->obs_ctx, bk_log_level_of(m->text, level), line);
  free(line);
  free(what);
  free(who);
}

/* A server notification (as text) for the client. */
void bk_on_notification(struct backend* b, struct jmsg* m) {
  if (strcmp(m->method, "notifications/message") == 0)
    bk_server_log(b, m);
  if (b->draining && strcmp(m->method, "notifications/progress") != 0) {
    /* Issue 14: a replaced server's progress for its calls still counts;
     * its other news is not the client's any more. */
    bk_log(b, LL_DEBUG, "dropped %s from the old server", m->method);
    jmsg_free(m);
    return;
  }
  if (strcmp(m->method, "notifications/progress") == 0) {
    cJSON* token =
        jtext_raw(m->text, jmsg_get(m, "params", "progressToken", NULL));
    bool known = inflight_token_known(&b->inflight, token);
    cJSON_Delete(token);
    if (!known) {
      /* PROG-1: a token no request in flight has (late, or made up). */
      bk_log(b, LL_DEBUG, "dropped progress for an unknown token");
      jmsg_free(m);
      return;
    }
  }
  if (bk_is_list_changed(m->method)) {
    if (b->state != BACKEND_READY) {
      /* §3.3 step 11: swallowed during re-initialization. */
      bk_log(b, LL_DEBUG, "swallowed %s during initialization", m->method);
      jmsg_free(m);
      return;
    }
    bk_on_list_changed(b, m->method);
  }
  b->ev.on_text(b, b->ctx, m);
}
