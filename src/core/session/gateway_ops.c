/* gateway_ops.c - the requests whose answer the gateway reads before the
 * client does (backend_forward_watched), kept by cookie. See
 * gateway_int.h. */
#include <stdlib.h>

#include "core/session/gateway_int.h"
#include "lib/util.h"

struct gw_op* gw_op_new(struct gateway* gw,
                        enum gw_op_kind kind,
                        const struct jmsg* m) {
  struct gw_op* op = xcalloc(1, sizeof(*op));
  op->cookie = ++gw->next_cookie; /* never 0: 0 means "not watched" */
  op->kind = kind;
  op->client_id = jmsg_id(m);
  if (kind != GW_OP_TASK)
    gw->nchained++;
  u64map_put(&gw->op_by_cookie, op->cookie, (uint64_t)(uintptr_t)op);
  TAILQ_INSERT_TAIL(&gw->ops, op, link);
  return op;
}

struct gw_op* gw_op_find(struct gateway* gw, uint64_t cookie) {
  struct u64map_ent* e = u64map_find(&gw->op_by_cookie, cookie);
  return e != NULL ? (struct gw_op*)(uintptr_t)e->val : NULL;
}

void gw_op_free(struct gateway* gw, struct gw_op* op) {
  u64map_del(&gw->op_by_cookie, op->cookie);
  TAILQ_REMOVE(&gw->ops, op, link);
  if (op->kind != GW_OP_TASK)
    gw->nchained--;
  cJSON_Delete(op->client_id);
  jmsg_free(op->request);
  jmsg_free(op->error);
  for (size_t i = 0; i < op->nask; i++) free(op->ask[i]);
  free(op->ask);
  free(op->server);
  free(op);
}

void gw_op_answer(struct gateway* gw, struct gw_op* op, struct jmsg* m) {
  session_send_text(gw->s, m);
  gw_op_free(gw, op);
  gw_finish_check(gw); /* the last op a finishing gateway waited for? */
}

void gw_ops_cancel(struct gateway* gw, const cJSON* rid) {
  if (rid == NULL)
    return;
  struct gw_op *op, *next;
  for (op = TAILQ_FIRST(&gw->ops); op != NULL; op = next) {
    next = TAILQ_NEXT(op, link);
    if (jrpc_id_equal(op->client_id, rid))
      gw_op_free(gw, op);
  }
}

void gw_free_ops(struct gateway* gw) {
  struct gw_op* op;
  while ((op = TAILQ_FIRST(&gw->ops)) != NULL) gw_op_free(gw, op);
  u64map_free(&gw->op_by_cookie);
}
