/* gateway_int.h - what the files of the gateway share: its constants,
 * struct gateway and its parts, and the gw_ functions one file calls in
 * another. Only the gateway files include it.
 *
 *   gateway.c        backends, their events and watchers, the config file,
 *                    start and shutdown
 *   gateway_merge.c  the merged lists, exposed names, URI ownership, and
 *                    answering list requests (PAG-1, PAG-4, NAME-*, RES-2)
 *   gateway_route.c  the client's messages: initialize, routing by name and
 *                    URI, completion, logging, held calls
 */
#ifndef MCPMON_GATEWAY_INT_H
#define MCPMON_GATEWAY_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/backend/backend.h"
#include "core/session/client.h"
#include "core/session/gateway.h"
#include "core/session/names.h"
#include "proto/jsonrpc.h"

#define GW_FIRST_LIST_WAIT_MS 10000u /* PAG-4 */
#define GW_CONFIG_DELAY_MS 100u
/* NAME-5: Claude Code exposes mcp__<key>__<name> within 64 characters and
 * Cursor drops <key><name> over 60; with the key "mcpmon" that leaves: */
#define GW_CLAUDE_BUDGET 51u
#define GW_CURSOR_BUDGET 54u

struct gw_backend {
  struct gateway* gw;
  struct server_config sc; /* owned copy */
  struct backend* b;       /* NULL when disabled */
  struct watcher* w;
  bool listed;   /* its lists arrived at least once */
  bool announce; /* replaces a changed server: list_changed is
                    owed even if it never lists (GW-5) */
  struct gw_backend* next;
};

/* A template and who owns it (RES-1). */
struct gw_template {
  char* tpl;
  struct gw_backend* owner;
};

/* A list request that waits for backends still starting (PAG-4). */
struct gw_waiting {
  cJSON* id;
  enum backend_list kind;
  struct gw_waiting* next;
};

/* A call for a name no list has yet, while a backend is still starting:
 * routed again when lists arrive, or answered "unknown" at the deadline. */
struct gw_held {
  cJSON* msg;
  uint64_t deadline;
  struct gw_held* next;
};

struct gateway {
  uv_loop_t* loop;
  struct gateway_hooks hooks;
  struct mcpmon_config cfg; /* servers here are not used; see backends */
  struct client* client;
  struct gw_backend* backends; /* config order */
  struct gw_backend* retiring; /* removed, still stopping */
  struct watcher* config_watcher;
  char* separator;

  cJSON* init_params;
  cJSON* log_level; /* the client's last logging/setLevel params */
  char* protocol;
  bool initialized;
  bool listed_tools; /* the client has called tools/list */
  bool relist_pending;
  bool settled; /* first-list wait is over */
  uv_timer_t settle_timer;
  struct gw_waiting* waiting;
  uv_timer_t held_timer;
  struct gw_held* held;

  struct name_table* tools; /* exposed -> (gw_backend, original) */
  struct name_table* prompts;
  struct name_table* resources; /* uri -> (gw_backend, uri) */
  struct name_table* warned;    /* NAME-5 warnings given */
  struct gw_template* templates;
  size_t ntemplates;
  cJSON* merged[BACKEND_LIST_KINDS];

  bool shutting_down;
  int open; /* handles and sub-objects still closing */
};

/* Method and result key of each list, by enum backend_list. */
extern const char* const gw_list_method[BACKEND_LIST_KINDS];
extern const char* const gw_list_key[BACKEND_LIST_KINDS];

/* gateway_merge.c */
/* Empty the merged lists and tables; rebuild them from every backend's
 * lists in config order (collisions disambiguated and warned). */
void gw_clear_merged(struct gateway* gw);
void gw_rebuild(struct gateway* gw);
/* True once every enabled backend has listed or cannot (PAG-4). */
bool gw_all_listed(const struct gateway* gw);
/* End the first-list wait: answer the waiting list requests. */
void gw_settle(struct gateway* gw);
void gw_on_list_request(struct gateway* gw,
                        struct jrpc_msg* m,
                        enum backend_list kind);

/* gateway_route.c */
/* The client_handlers of the gateway's client. */
void gw_on_client_message(void* ctx, struct jrpc_msg* m);
void gw_on_client_gone(void* ctx, const char* why);
/* Route held calls again; with expire, those past their deadline are
 * answered "unknown" whatever the state. */
void gw_release_held(struct gateway* gw, bool expire);

#endif
