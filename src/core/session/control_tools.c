/* control_tools.c - see control_tools.h. */
#include "core/session/control_tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/suggest.h"
#include "lib/util.h"
#include "proto/jsonrpc.h"

#define CT_STATUS CTOOLS_PREFIX "status"
#define CT_RESTART CTOOLS_PREFIX "restart"
#define CT_LOGS CTOOLS_PREFIX "logs"

/* The definitions, as one JSON text (they never change). */
static const char ct_list_text[] =
    "{\"name\":\"" CT_STATUS
    "\",\"description\":\"mcpmon: the state of every MCP server it runs "
    "(ready, restarting, crashed, waiting for a fix), with pid, uptime, "
    "restarts, crashes, how the last process ended and whether the last "
    "reload worked. Call it after editing a server's code to see whether "
    "the new code is serving.\",\"inputSchema\":{\"type\":\"object\","
    "\"properties\":{}},\"annotations\":{\"title\":\"mcpmon: server "
    "status\",\"readOnlyHint\":true}},"
    "{\"name\":\"" CT_RESTART
    "\",\"description\":\"mcpmon: restart an MCP server it runs (all of "
    "them when server is omitted), for example after changing its "
    "configuration or environment. The client's session stays; the "
    "server's tools come back when it is ready.\",\"inputSchema\":{"
    "\"type\":\"object\",\"properties\":{\"server\":{\"type\":\"string\","
    "\"description\":\"The server's name, as mcpmon__status lists it; "
    "omit to restart all.\"}}},\"annotations\":{\"title\":\"mcpmon: "
    "restart a server\",\"destructiveHint\":false,\"idempotentHint\":"
    "true}},"
    "{\"name\":\"" CT_LOGS
    "\",\"description\":\"mcpmon: the recent output of an MCP server it "
    "runs (its stderr, where tracebacks and crash reasons go) and "
    "mcpmon's own lines about it (starts, exits, reload failures).\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"server\":{"
    "\"type\":\"string\",\"description\":\"The server's name (may be "
    "omitted when there is one).\"},\"lines\":{\"type\":\"integer\","
    "\"minimum\":1,\"maximum\":500,\"default\":50,\"description\":\"How "
    "many of the newest lines.\"}}},\"annotations\":{\"title\":\"mcpmon: "
    "server logs\",\"readOnlyHint\":true}}";

bool ctools_owns(const char* name, size_t len) {
  static const char* const ours[] = {CT_STATUS, CT_RESTART, CT_LOGS};
  for (size_t i = 0; i < ARRAY_LEN(ours); i++)
    if (len == strlen(ours[i]) && memcmp(name, ours[i], len) == 0)
      return true;
  return false;
}

const char* ctools_list_text(void) {
  return ct_list_text;
}

cJSON* ctools_list(void) {
  char* text = xasprintf("[%s]", ct_list_text);
  cJSON* arr = cJSON_Parse(text);
  free(text);
  if (arr == NULL)
    abort(); /* the text above is valid JSON: only memory can fail */
  return arr;
}

/* ---- answers ------------------------------------------------------------- */

struct strbuf {
  FILE* f;
  char* buf;
  size_t len;
};

static void strbuf_init(struct strbuf* sb) {
  sb->buf = NULL;
  sb->len = 0;
  sb->f = open_memstream(&sb->buf, &sb->len);
  if (sb->f == NULL) {
    /* util.h's policy: out of memory ends the process. */
    fprintf(stderr, "mcpmon: out of memory (open_memstream)\n");
    abort();
  }
}

#define strbuf_printf(sb, ...) fprintf((sb)->f, __VA_ARGS__)
#define strbuf_puts(sb, s) fputs((s), (sb)->f)

/* The text so far (NUL-terminated; valid until the next write). */
static const char* strbuf_text(struct strbuf* sb) {
  fflush(sb->f);
  return sb->buf;
}

static size_t strbuf_len(struct strbuf* sb) {
  fflush(sb->f);
  return sb->len;
}

static void strbuf_free(struct strbuf* sb) {
  fclose(sb->f);
  free(sb->buf);
}

static cJSON* ct_result(const cJSON* id, const char* text, bool error) {
  cJSON* res = cJSON_CreateObject();
  cJSON* content = cJSON_AddArrayToObject(res, "content");
  cJSON* item = cJSON_CreateObject();
  cJSON_AddStringToObject(item, "type", "text");
  cJSON_AddStringToObject(item, "text", text);
  cJSON_AddItemToArray(content, item);
  if (error)
    cJSON_AddTrueToObject(res, "isError");
  return jrpc_make_result(id, res);
}

static void ct_duration(uint64_t ms, char* buf, size_t cap) {
  uint64_t s = ms / 1000;
  if (s < 60)
    snprintf(buf, cap, "%llus", (unsigned long long)s);
  else if (s < 3600)
    snprintf(buf, cap, "%llum%02llus", (unsigned long long)(s / 60),
             (unsigned long long)(s % 60));
  else
    snprintf(buf, cap, "%lluh%02llum", (unsigned long long)(s / 3600),
             (unsigned long long)(s % 3600 / 60));
}

static uint64_t ct_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One server's line of mcpmon__status. */
static void ct_status_line(struct strbuf* sb, struct backend* b) {
  strbuf_printf(sb, "%s: %s", backend_name(b),
                backend_state_name(backend_state(b)));
  long pid = backend_pid(b);
  if (pid > 0)
    strbuf_printf(sb, ", pid %ld", pid);
  uint64_t started = backend_started_at(b);
  uint64_t now = ct_now_ms();
  if (started > 0 && now >= started) {
    char d[32];
    ct_duration(now - started, d, sizeof(d));
    strbuf_printf(sb, ", up %s", d);
  }
  strbuf_printf(sb, ", restarts %u, crashes %u", backend_restart_count(b),
                backend_crash_count(b));
  const char* ex = backend_last_exit(b);
  if (ex != NULL)
    strbuf_printf(sb, ", last exit: %s", ex);
  const char *outcome, *message;
  uint64_t at;
  if (backend_last_reload(b, &outcome, &message, &at)) {
    strbuf_printf(sb, ", last reload: %s", outcome);
    if (message != NULL && message[0] != '\0')
      strbuf_printf(sb, " (%s)", message);
  }
  strbuf_puts(sb, "\n");
}

static cJSON* ct_status(const struct ctools_host* h, const cJSON* id) {
  struct strbuf sb;
  strbuf_init(&sb);
  size_t n = h->count(h->ctx);
  for (size_t i = 0; i < n; i++) {
    struct backend* b = h->at(h->ctx, i);
    if (b != NULL)
      ct_status_line(&sb, b);
  }
  if (strbuf_len(&sb) == 0)
    strbuf_puts(&sb, "mcpmon runs no server now.\n");
  cJSON* r = ct_result(id, strbuf_text(&sb), false);
  strbuf_free(&sb);
  return r;
}

/* The backend named name, or NULL; with the names there are and a
 * did-you-mean in *why when not found. An omitted name picks the only
 * server (only when one_ok). */
static struct backend* ct_find(const struct ctools_host* h,
                               const char* name,
                               bool one_ok,
                               char** why) {
  size_t n = h->count(h->ctx);
  const char** names = xcalloc(n ? n : 1, sizeof(*names));
  size_t k = 0;
  struct backend* found = NULL;
  struct backend* only = NULL;
  for (size_t i = 0; i < n; i++) {
    struct backend* b = h->at(h->ctx, i);
    if (b == NULL)
      continue;
    names[k++] = backend_name(b);
    only = b;
    if (name != NULL && strcmp(backend_name(b), name) == 0)
      found = b;
  }
  if (name == NULL && one_ok && k == 1)
    found = only;
  if (found == NULL) {
    struct strbuf sb;
    strbuf_init(&sb);
    if (name == NULL)
      strbuf_puts(&sb, "Say which server (argument 'server').");
    else
      strbuf_printf(&sb, "No server named '%s'.", name);
    const char* guess =
        name != NULL ? suggest_name(name, strlen(name), names, k) : NULL;
    if (guess != NULL)
      strbuf_printf(&sb, " Did you mean '%s'?", guess);
    strbuf_puts(&sb, " Servers:");
    for (size_t i = 0; i < k; i++)
      strbuf_printf(&sb, "%s %s", i > 0 ? "," : "", names[i]);
    if (k == 0)
      strbuf_puts(&sb, " none");
    strbuf_puts(&sb, ".");
    *why = xstrdup(strbuf_text(&sb));
    strbuf_free(&sb);
  }
  free(names);
  return found;
}

static cJSON* ct_restart(const struct ctools_host* h,
                         const cJSON* id,
                         const char* server) {
  struct strbuf sb;
  strbuf_init(&sb);
  size_t known = 0;
  for (size_t i = 0; i < h->count(h->ctx); i++)
    known += h->at(h->ctx, i) != NULL;
  if (server != NULL || known == 1) {
    char* why = NULL;
    struct backend* b = ct_find(h, server, true, &why);
    if (b == NULL) {
      cJSON* r = ct_result(id, why, true);
      free(why);
      strbuf_free(&sb);
      return r;
    }
    strbuf_printf(&sb, "Restarting '%s' (it was %s", backend_name(b),
                  backend_state_name(backend_state(b)));
    if (backend_pid(b) > 0)
      strbuf_printf(&sb, ", pid %ld", backend_pid(b));
    strbuf_puts(&sb, ").");
    h->restart(h->ctx, b);
  } else {
    size_t n = h->count(h->ctx);
    strbuf_puts(&sb, "Restarting");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      struct backend* b = h->at(h->ctx, i);
      if (b == NULL || backend_is_off(b))
        continue; /* stopped or disabled by the user: left so */
      strbuf_printf(&sb, "%s '%s'", k++ > 0 ? "," : "", backend_name(b));
      h->restart(h->ctx, b);
    }
    if (k == 0)
      strbuf_puts(&sb, " nothing: mcpmon runs no server now");
    strbuf_puts(&sb, ".");
  }
  strbuf_puts(&sb,
              " mcpmon__status shows when it is ready again; mcpmon__logs "
              "shows its output if it fails.");
  cJSON* r = ct_result(id, strbuf_text(&sb), false);
  strbuf_free(&sb);
  return r;
}

static cJSON* ct_logs(const struct ctools_host* h,
                      const cJSON* id,
                      const char* server,
                      int lines) {
  char* why = NULL;
  struct backend* b = ct_find(h, server, true, &why);
  if (b == NULL) {
    cJSON* r = ct_result(id, why, true);
    free(why);
    return r;
  }
  char* text = h->logs != NULL ? h->logs(h->ctx, b, lines) : NULL;
  const char* source = "its log";
  if (text == NULL) {
    text = backend_stderr_tail(b, lines);
    source = "its stderr (the dashboard socket is off: --no-tui)";
  }
  char* out;
  if (text[0] == '\0')
    out = xasprintf("'%s' (%s) has written nothing yet.", backend_name(b),
                    backend_state_name(backend_state(b)));
  else
    out = xasprintf("The last lines of '%s' (%s), %s:\n%s", backend_name(b),
                    backend_state_name(backend_state(b)), source, text);
  free(text);
  cJSON* r = ct_result(id, out, false);
  free(out);
  return r;
}

cJSON* ctools_call(const struct ctools_host* h,
                   const struct jmsg* m,
                   const cJSON* id) {
  struct jspan at = jmsg_get(m, "params", "name", NULL);
  char* name = jtext_string(m->text, at, NULL);
  cJSON* args = jtext_tree(m->text, jmsg_get(m, "params", "arguments", NULL));
  const cJSON* sv = cJSON_GetObjectItemCaseSensitive(args, "server");
  const cJSON* ln = cJSON_GetObjectItemCaseSensitive(args, "lines");
  cJSON* r = NULL;
  if (args != NULL && !cJSON_IsObject(args)) {
    r = jrpc_make_error(id, JRPC_INVALID_PARAMS, "arguments must be an object",
                        NULL);
  } else if (sv != NULL && !cJSON_IsNull(sv) && !cJSON_IsString(sv)) {
    r = ct_result(id, "Argument 'server' must be a string.", true);
  } else if (ln != NULL && (!cJSON_IsNumber(ln) || ln->valuedouble < 1 ||
                            ln->valuedouble > CTOOLS_LOG_LINES_MAX ||
                            ln->valuedouble != (double)(int)ln->valuedouble)) {
    r = ct_result(id, "Argument 'lines' must be a whole number from 1 to 500.",
                  true);
  } else if (name != NULL && strcmp(name, CT_STATUS) == 0) {
    r = ct_status(h, id);
  } else if (name != NULL && strcmp(name, CT_RESTART) == 0) {
    r = ct_restart(h, id, cJSON_IsString(sv) ? sv->valuestring : NULL);
  } else if (name != NULL && strcmp(name, CT_LOGS) == 0) {
    r = ct_logs(h, id, cJSON_IsString(sv) ? sv->valuestring : NULL,
                ln != NULL ? (int)ln->valuedouble : 50);
  } else {
    char* msg = xasprintf("Unknown tool: %s", name != NULL ? name : "(none)");
    r = jrpc_make_error(id, JRPC_INVALID_PARAMS, msg, NULL);
    free(msg);
  }
  cJSON_Delete(args);
  free(name);
  return r;
}
