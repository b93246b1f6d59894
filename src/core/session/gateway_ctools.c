/* gateway_ctools.c - mcpmon's own tools in gateway mode (issue 15,
 * --control-tools): the servers in config order, their restart and their
 * logs, for control_tools.h. Declared in gateway_int.h. */
#include <stddef.h>

#include "core/session/control_tools.h"
#include "core/session/gateway_int.h"

static size_t gw_ct_count(void* ctx) {
  struct gateway* gw = ctx;
  size_t n = 0;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) n++;
  return n;
}

static struct backend* gw_ct_at(void* ctx, size_t i) {
  struct gateway* gw = ctx;
  struct gw_backend* gb;
  TAILQ_FOREACH(gb, &gw->backends, link) {
    if (i-- == 0)
      return gb->b;
  }
  return NULL;
}

static void gw_ct_restart(void* ctx, struct backend* b) {
  (void)ctx;
  if (backend_is_off(b)) /* stopped or disabled: started, as r does */
    backend_user_start(b);
  else
    backend_restart(b, "asked for by the client (mcpmon__restart)");
}

static char* gw_ct_logs(void* ctx, struct backend* b, int lines) {
  struct gateway* gw = ctx;
  return gw->hooks.logs != NULL ? gw->hooks.logs(gw->hooks.ctx, b, lines)
                                : NULL;
}

void gw_control_tool(struct gateway* gw, struct jmsg* m) {
  struct ctools_host h = {gw_ct_count, gw_ct_at, gw_ct_restart, gw_ct_logs, gw};
  cJSON* id = jmsg_id(m);
  session_send_take(gw->s, ctools_call(&h, m, id));
  cJSON_Delete(id);
  jmsg_free(m);
}
