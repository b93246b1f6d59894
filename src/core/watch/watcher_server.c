/* watcher_server.c - a server's watcher from its configuration, and the
 * log line that names a burst's cause: what every mode needs around
 * watcher_start (declared in watcher.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/watch/watcher.h"
#include "lib/util.h"

static char* watcher_join(const struct strvec* sv,
                          const char* prefix,
                          const char* sep) {
  size_t total = 1;
  for (size_t i = 0; i < sv->n; i++)
    total += strlen(prefix) + strlen(sv->v[i]) + strlen(sep);
  char* out = xmalloc(total);
  out[0] = '\0';
  for (size_t i = 0; i < sv->n; i++) {
    if (i > 0)
      strcat(out, sep);
    if (strcmp(sv->v[i], "*") != 0)
      strcat(out, prefix);
    strcat(out, sv->v[i]);
  }
  return out;
}

int watcher_start_server(uv_loop_t* loop,
                         const struct server_config* sc,
                         const char* skip_file,
                         const char* log_name,
                         watcher_cb cb,
                         void* ctx,
                         struct watcher** out) {
  if (sc->watch.n == 0) {
    /* Issue 15: watch: false (or []) in .mcpmon.yaml. */
    *out = NULL;
    log_msg(LL_INFO, log_name, 0,
            "Not watching files (watch is off): to reload it, run 'mcpmon "
            "restart%s%s' or press r in 'mcpmon tui'",
            log_name != NULL ? " " : "", log_name != NULL ? log_name : "");
    return 0;
  }
  const char* skip[1] = {skip_file};
  struct watcher_options wo = {
      .roots = (const char* const*)sc->watch.v,
      .nroots = sc->watch.n,
      .exts = (const char* const*)sc->exts.v,
      .nexts = sc->exts.n,
      .ignores = (const char* const*)sc->ignore.v,
      .nignores = sc->ignore.n,
      .skip_files = skip,
      .nskip = skip_file != NULL ? 1 : 0,
      .delay_ms = sc->delay_ms,
      .log_name = log_name,
  };
  char err[512];
  int rc = watcher_start(loop, &wo, cb, ctx, out, err, sizeof(err));
  if (rc == 0)
    watcher_set_immediate(*out, !sc->delay_fixed); /* issue 18 */
  if (rc != 0) {
    /* err is "cannot watch 'PATH': why" (watch_root.h): said once, as a
     * sentence, not "Cannot watch: cannot watch ..." (issue 15). */
    err[0] = (char)toupper((unsigned char)err[0]);
    log_msg(LL_ERROR, log_name, 0, "%s", err);
    return rc;
  }
  if (log_enabled(LL_INFO)) {
    char* roots = watcher_join(&sc->watch, "", ", ");
    char* exts = watcher_join(&sc->exts, "", ",");
    bool known = false;
    config_default_exts(sc->command, &known);
    const char* base = strrchr(sc->command, '/');
    base = base != NULL ? base + 1 : sc->command;
    char* from = !sc->exts_default ? xstrdup("")
                 : known           ? xasprintf(", from the command '%s'", base)
                                   : xstrdup(", the default");
    size_t ndirs = watcher_dir_count(*out);
    log_msg(LL_INFO, log_name, 0, "Watching %s (extensions %s%s; %zu %s)",
            roots, strcmp(exts, "*") == 0 ? "* (every file)" : exts, from,
            ndirs, ndirs == 1 ? "directory" : "directories");
    free(from);
    free(roots);
    free(exts);
  }
  return 0;
}

const char* watcher_report(const char* log_name,
                           const struct watcher_change* ch,
                           size_t n) {
  static const char* words[] = {"added", "modified", "removed"};
  if (n > 1 && log_enabled(LL_VERBOSE)) {
    for (size_t i = 0; i < n; i++)
      log_msg(LL_VERBOSE, log_name, 0, "File %s: %s", words[ch[i].kind],
              ch[i].path);
  } else if (n > 1) {
    log_msg(LL_INFO, log_name, 0, "File %s: %s (and %zu more)",
            words[ch[0].kind], ch[0].path, n - 1);
  } else {
    log_msg(LL_INFO, log_name, 0, "File %s: %s", words[ch[0].kind], ch[0].path);
  }
  const char* base = strrchr(ch[0].path, '/');
  return base != NULL ? base + 1 : ch[0].path;
}
