/* build.c - see build.h. */
#include "core/proc/build.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/proc/child.h"
#include "core/proc/proc.h"
#include "lib/util.h"

#define BUILD_TAG "build | "
#define BUILD_LINE_MAX (64u * 1024u)

struct build {
  uv_loop_t* loop;
  struct child* c;
  char* logname;
  build_done_fn done; /* NULL once reported or cancelled */
  void* ctx;
  uint64_t t0;
};

static void build_out_line(void* ctx,
                           char* line,
                           size_t len,
                           struct framer* from) {
  struct build* b = ctx;
  (void)from;
  log_passthrough_tag(b->logname, child_pid(b->c), BUILD_TAG, line, len);
}

static void build_out_oversize(void* ctx,
                               size_t total,
                               const char* head,
                               size_t headlen) {
  struct build* b = ctx;
  (void)total;
  log_passthrough_tag(b->logname, child_pid(b->c), BUILD_TAG, head, headlen);
}

static void build_out_eof(void* ctx) {
  (void)ctx;
}

static void build_exit(void* ctx, int64_t status, int sig) {
  struct build* b = ctx;
  build_done_fn done = b->done;
  b->done = NULL;
  if (done != NULL) { /* else cancelled */
    char what[64];
    proc_describe_exit((long)status, sig, what, sizeof(what));
    done(b->ctx, status == 0 && sig == 0, what, uv_now(b->loop) - b->t0);
  }
  /* What it left in its group goes too; on_gone frees the run, maybe
   * before this returns: b is not touched after. */
  child_stop(b->c, false, 0);
}

static void build_gone(void* ctx) {
  struct build* b = ctx;
  child_release(b->c);
  free(b->logname);
  free(b);
}

struct build* build_start(uv_loop_t* loop,
                          const struct server_config* sc,
                          const char* logname,
                          build_done_fn done,
                          void* ctx,
                          char* err,
                          size_t errlen) {
  static const struct child_events ev = {
      .on_out_line = build_out_line,
      .on_out_oversize = build_out_oversize,
      .on_out_eof = build_out_eof,
      .on_exit = build_exit,
      .on_gone = build_gone,
  };
  char* args[] = {"-c", sc->build};
  struct child_options opts = {
      .command = "/bin/sh",
      .args = args,
      .nargs = 2,
      .env = sc->env.v,
      .nenv = sc->env.n,
      .cwd = sc->cwd,
      .max_line = BUILD_LINE_MAX,
      .logname = logname,
      .err_tag = BUILD_TAG,
  };
  struct build* b = xcalloc(1, sizeof(*b));
  b->loop = loop;
  b->logname = logname != NULL ? xstrdup(logname) : NULL;
  b->done = done;
  b->ctx = ctx;
  b->t0 = uv_now(loop);
  if (child_spawn(loop, &opts, &ev, b, &b->c, err, errlen) != 0) {
    free(b->logname);
    free(b);
    return NULL;
  }
  child_end_input(b->c);
  log_msg(LL_INFO, b->logname, child_pid(b->c), "Building: %s", sc->build);
  return b;
}

void build_cancel(struct build* b) {
  if (b == NULL)
    return;
  b->done = NULL;
  child_kill(b->c);           /* now; not stopping yet, so nothing fires */
  child_stop(b->c, false, 0); /* on_gone frees b, maybe at once */
}
