/* backend_errors.c - the errors mcpmon answers for a backend's requests
 * (ERR: -32603 with data naming backend and reason). Pure builders: each
 * returns a new message owned by the caller, who sends it. See
 * backend_int.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend/backend_int.h"
#include "core/proc/proc.h"
#include "lib/util.h"

/* The last max stderr lines, oldest first, each with a '\n'. */
static char* bk_tail_lines(const struct backend* b, int max) {
  if (max > BK_TAIL_LINES)
    max = BK_TAIL_LINES;
  size_t total = 0;
  for (int i = 0; i < BK_TAIL_LINES; i++)
    if (b->tail[i] != NULL)
      total += strlen(b->tail[i]) + 1;
  char* out = xmalloc(total + 1);
  size_t n = 0;
  for (int i = BK_TAIL_LINES - max; i < BK_TAIL_LINES; i++) {
    const char* line = b->tail[(b->tail_next + i) % BK_TAIL_LINES];
    if (line == NULL)
      continue;
    size_t l = strlen(line);
    memcpy(out + n, line, l);
    n += l;
    out[n++] = '\n';
  }
  out[n] = '\0';
  return out;
}

static char* bk_tail_text(const struct backend* b) {
  return bk_tail_lines(b, BK_TAIL_LINES);
}

char* backend_stderr_tail(const struct backend* b, int max) {
  return bk_tail_lines(b, max);
}

cJSON* bk_error_data(const struct backend* b, const char* reason) {
  cJSON* d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "backend", bk_display_name(b));
  cJSON_AddStringToObject(d, "state", backend_state_name(b->state));
  cJSON_AddStringToObject(d, "reason", reason);
  cJSON_AddNumberToObject(d, "restarts", b->restarts);
  if (b->have_exit && strcmp(reason, "restart") != 0) {
    if (b->last_term_signal != 0) {
      const char* sn = sigabbrev_np(b->last_term_signal);
      char sig[32];
      snprintf(sig, sizeof(sig), "SIG%s", sn ? sn : "?");
      cJSON_AddStringToObject(d, "signal", sig);
    } else {
      cJSON_AddNumberToObject(d, "exitCode", (double)b->last_exit_status);
    }
    char* tail = bk_tail_text(b);
    if (tail[0] != '\0')
      cJSON_AddStringToObject(d, "stderrTail", tail);
    free(tail);
  }
  return d;
}

cJSON* bk_error(const struct backend* b,
                const cJSON* id,
                const char* reason,
                const char* message) {
  return jrpc_make_error(id, JRPC_INTERNAL_ERROR, message,
                         bk_error_data(b, reason));
}

static void bk_exit_text(const struct backend* b, char* buf, size_t cap) {
  if (!b->have_exit)
    snprintf(buf, cap, "unknown status");
  else
    proc_describe_exit(b->last_exit_status, b->last_term_signal, buf, cap);
}

/* Issue 15 defect 7: the cause in the message itself (a client shows the
 * message, never data): ": " and the last non-blank stderr line of the
 * process, cut; "" when it wrote none. */
static void bk_cause(const struct backend* b, char* buf, size_t cap) {
  buf[0] = '\0';
  for (int i = BK_TAIL_LINES - 1; i >= 0; i--) {
    const char* line = b->tail[(b->tail_next + i) % BK_TAIL_LINES];
    if (line == NULL)
      break;
    while (*line == ' ' || *line == '\t') line++;
    if (*line != '\0') {
      snprintf(buf, cap, ": %.200s", line);
      return;
    }
  }
}

cJSON* bk_unavailable_error(const struct backend* b,
                            const cJSON* id,
                            const char* what) {
  char msg[1024];
  char ex[64];
  const char* name = bk_display_name(b);
  if (b->off) {
    /* Issue 15: stopped (mcpmon stop, x in the dashboard) or disabled. */
    bool disabled = b->state == BACKEND_DISABLED;
    snprintf(msg, sizeof(msg),
             "server '%s' is %s; start it with `mcpmon start %s` or `s` in "
             "`mcpmon tui`",
             name,
             disabled ? "disabled in the config (enabled: false)" : "stopped",
             name);
    return bk_error(b, id, disabled ? "disabled" : "stopped", msg);
  }
  switch (b->state) {
    case BACKEND_WAITING:
      if (b->start_error != NULL) {
        /* Issue 15 defect 6: in single mode the command is the client's
         * (its MCP configuration), not a file mcpmon watches. */
        if (b->logname != NULL)
          snprintf(msg, sizeof(msg),
                   "Server '%s' is unavailable: %s. Fix its entry in the "
                   "configuration file; mcpmon tries again when that file "
                   "or a watched file is saved, or on 'mcpmon restart %s'.",
                   name, b->start_error, name);
        else
          snprintf(msg, sizeof(msg),
                   "Server '%s' is unavailable: %s. The command comes from "
                   "the MCP client's configuration: fix it there and "
                   "reconnect the server (mcpmon also tries again when a "
                   "watched file changes).",
                   name, b->start_error);
        return bk_error(b, id, "start failed", msg);
      }
      bk_exit_text(b, ex, sizeof(ex));
      char cause[216];
      bk_cause(b, cause, sizeof(cause));
      snprintf(msg, sizeof(msg),
               "Server '%s' crashed (%s)%s. It crashed %u time%s within "
               "%u ms and mcpmon is waiting for a file change before "
               "restarting it: fix the error (data.stderrTail has more) "
               "and save a watched file, or run 'mcpmon restart'.",
               name, ex, cause, b->crashes, b->crashes == 1 ? "" : "s",
               b->sc->crash_window_ms);
      return bk_error(b, id, "crashed", msg);
    case BACKEND_STOPPING:
    case BACKEND_STOPPED:
      snprintf(msg, sizeof(msg), "Server '%s' is unavailable: %s", name,
               b->replaced  ? "its configuration changed; it is restarting"
               : b->removed ? "it was removed from the configuration"
                            : "mcpmon is shutting down");
      return bk_error(b, id,
                      b->replaced  ? "restart"
                      : b->removed ? "removed"
                                   : "shutdown",
                      msg);
    default: {
      /* --queue-timeout may be under a second. */
      unsigned ms = b->queue_timeout_ms;
      char limit[32];
      if (ms % 1000u == 0)
        snprintf(limit, sizeof(limit), "%u s", ms / 1000u);
      else
        snprintf(limit, sizeof(limit), "%u ms", ms);
      snprintf(msg, sizeof(msg),
               "Server '%s' did not become ready within %s (%s); %s", name,
               limit, backend_state_name(b->state), what);
      return bk_error(b, id, "unavailable", msg);
    }
  }
}

cJSON* backend_make_unavailable_error(struct backend* b, const cJSON* id) {
  return bk_unavailable_error(b, id, "the request was not sent to it");
}

const char* bk_gone_message(const struct backend* b,
                            enum stop_why why,
                            char* msg,
                            size_t cap) {
  const char* name = bk_display_name(b);
  switch (why) {
    case STOP_RESTART:
      snprintf(msg, cap,
               "Server '%s' was restarted (files changed) before it "
               "answered; the request was not retried",
               name);
      return "restart";
    case STOP_USER:
      snprintf(msg, cap,
               "server '%s' was stopped before it answered; start it with "
               "`mcpmon start %s` or `s` in `mcpmon tui`",
               name, name);
      return "stopped";
    case STOP_SHUTDOWN:
      if (b->draining) {
        snprintf(msg, cap,
                 "Server '%s' was reloaded and its old process did not "
                 "answer within %u ms (--drain)",
                 name, b->drain_ms);
        return "restart";
      }
      snprintf(msg, cap, "Server '%s' was stopped (%s) before it answered",
               name,
               b->replaced  ? "its configuration changed"
               : b->removed ? "removed from the configuration"
                            : "mcpmon is shutting down");
      return b->replaced ? "restart" : b->removed ? "removed" : "shutdown";
    default:
      break;
  }
  if (b->crash_cause != NULL) {
    snprintf(msg, cap, "Server '%s' %s and was stopped before it answered",
             name, b->crash_cause);
  } else {
    char ex[64];
    char cause[216];
    bk_exit_text(b, ex, sizeof(ex));
    bk_cause(b, cause, sizeof(cause));
    snprintf(msg, cap, "Server '%s' crashed (%s) before it answered%s", name,
             ex, cause);
  }
  return "crashed";
}

void bk_start_failure_hint(const struct backend* b,
                           int rc,
                           char* why,
                           size_t cap) {
  const char* cmd = b->sc->command;
  if (rc != UV_ENOENT || strpbrk(cmd, " \t") == NULL)
    return;
  /* Issue 15 defect 6: "python3 server.py --flag" as the command is a
   * whole command line; show it split the way it has to be written:
   * "command: python3, args: [server.py, --flag]" in the gateway's YAML,
   * "python3", "server.py", "--flag" in a client's JSON. */
  bool yaml = b->logname != NULL;
  char words[256];
  size_t n = 0;
  int k = 0;
  for (const char* p = cmd; *p != '\0' && n < sizeof(words);) {
    p += strspn(p, " \t");
    int len = (int)strcspn(p, " \t");
    if (len == 0)
      break;
    const char* sep = k == 0 ? "" : yaml && k == 1 ? ", args: [" : ", ";
    n += (size_t)snprintf(words + n, sizeof(words) - n,
                          yaml ? "%s%.*s" : "%s\"%.*s\"", sep, len, p);
    p += len;
    k++;
  }
  size_t used = strlen(why);
  if (used + 1 >= cap)
    return;
  if (yaml)
    snprintf(why + used, cap - used,
             "; 'command:' names the program only: put its arguments in "
             "'args:' (command: %s])",
             words);
  else
    snprintf(why + used, cap - used,
             "; that is a whole command line given as one argument: give "
             "the program and each argument separately (%s)",
             words);
}
