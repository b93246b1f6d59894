/* backend_progress.c - the progress tokens of forwarded requests (PROG-1).
 * See backend_int.h.
 *
 * A server's notifications/progress reaches the client only while the
 * client's request with that token is in flight: the token is kept with
 * the request (struct req) and goes with it. A task request's progress
 * goes on after its response (the task runs on), so its token is also
 * kept for the life of the server process.
 */
#include "core/backend/backend_int.h"

void bk_note_token(struct backend* b, struct req* r, const cJSON* msg) {
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  const cJSON* token = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(params, "_meta"), "progressToken");
  if (!cJSON_IsString(token) && !cJSON_IsNumber(token))
    return;
  r->token = cJSON_Duplicate(token, 1);
  if (cJSON_GetObjectItemCaseSensitive(params, "task") == NULL)
    return;
  if (cJSON_GetArraySize(b->task_tokens) >= BK_MAX_TASK_TOKENS)
    cJSON_DeleteItemFromArray(b->task_tokens, 0);
  cJSON_AddItemToArray(b->task_tokens, cJSON_Duplicate(token, 1));
}

bool bk_progress_known(const struct backend* b, const cJSON* token) {
  if (!cJSON_IsString(token) && !cJSON_IsNumber(token))
    return false;
  for (int i = 0; i < BK_BUCKETS; i++)
    for (const struct req* r = b->inflight[i]; r != NULL; r = r->next)
      if (r->token != NULL && jrpc_id_equal(r->token, token))
        return true;
  const cJSON* t;
  cJSON_ArrayForEach(t, b->task_tokens) {
    if (jrpc_id_equal(t, token))
      return true;
  }
  return false;
}
