/* control_tools.h - tools mcpmon offers the client itself, opt-in
 * (--control-tools, YAML control_tools: true; issue 15): an agent that
 * edits an MCP server's code can restart it and read why it crashed
 * through its own tool list, in clients that never re-list tools too.
 *
 *   mcpmon__status   every server: state, pid, uptime, restarts, crashes,
 *                    last exit, last reload outcome
 *   mcpmon__restart  {server?}: restart one server (a stopped one is
 *                    started), or all running ones when omitted
 *   mcpmon__logs     {server?, lines? = 50}: the server's recent stderr
 *                    and mcpmon's own lines about it
 *
 * Both modes list them after the servers' tools under these exact names
 * (a gateway server may not be named "mcpmon" then: config.c refuses
 * it). The module builds mcpmon's own messages with cJSON; what it knows
 * of the servers comes through struct ctools_host, which the mode
 * fills. Problems of a call (an unknown server) are tool errors
 * (isError: true, with the names that exist); an unknown mcpmon__ name is
 * -32602, as any unknown tool.
 */
#ifndef MCPMON_CONTROL_TOOLS_H
#define MCPMON_CONTROL_TOOLS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/backend/backend.h"
#include "proto/jmsg.h"

#define CTOOLS_PREFIX "mcpmon__"
/* Most lines mcpmon__logs returns. */
#define CTOOLS_LOG_LINES_MAX 500

struct ctools_host {
  /* The servers, in the config file's order; at may return NULL for
   * one that has no backend now. */
  size_t (*count)(void* ctx);
  struct backend* (*at)(void* ctx, size_t i);
  /* Restart b (as the dashboard's r does). */
  void (*restart)(void* ctx, struct backend* b);
  /* Up to lines recent log lines of b as text, one per line, oldest
   * first (heap, caller frees), or NULL when the mode keeps none: then
   * the server's stderr tail is used (backend_stderr_tail). May be NULL. */
  char* (*logs)(void* ctx, struct backend* b, int lines);
  void* ctx;
};

/* Whether name is one of the three (exact names). */
bool ctools_owns(const char* name, size_t len);
/* The three tool objects, for a tools/list result (caller owns). */
cJSON* ctools_list(void);
/* The same as JSON text of the three objects separated by commas, with
 * no brackets, for splicing into a server's tools array (static). */
const char* ctools_list_text(void);

/* Answer tools/call m (its params.name is one of ours): the response for
 * id (copied), owned by the caller. Does not take m. */
cJSON* ctools_call(const struct ctools_host* h,
                   const struct jmsg* m,
                   const cJSON* id);

#endif
