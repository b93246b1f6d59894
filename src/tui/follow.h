/* follow.h - what an mcpmon instance serves, and finding the next
 * instance that serves the same (issue 15 defect 2).
 *
 * A client such as Claude Code starts a new mcpmon whenever it restarts
 * the server (a new session, /mcp reconnect): a new pid, so a new socket.
 * The dashboard follows by identity, which the core's hello carries
 * (docs/control-protocol.md): in gateway mode the absolute path of the
 * config file; in single mode the server command line and the working
 * directory.
 *
 * The identity is plain data owned by the struct; follow_find blocks
 * (poll with short timeouts), as the rest of ctlclient.h does.
 */
#ifndef MCPMON_TUI_FOLLOW_H
#define MCPMON_TUI_FOLLOW_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct follow_id {
  char* mode;    /* "single" / "gateway"; NULL: unknown (an older core) */
  char* config;  /* gateway: the config file, absolute */
  char* command; /* single: the server command line */
  char* cwd;     /* single: where it runs */
};

/* Take the identity from a hello (replacing what id held). Members the
 * hello lacks stay NULL. */
void follow_id_set(struct follow_id* id, const cJSON* hello);
void follow_id_free(struct follow_id* id);
/* Whether id says enough to recognise another instance by: a gateway's
 * config, or a single server's command and directory. */
bool follow_id_known(const struct follow_id* id);
/* Whether the hello of another instance names the same identity. */
bool follow_id_matches(const struct follow_id* id, const cJSON* hello);
/* For messages: "the config /p/.mcpmon.yaml" or "'python -m srv' in /p". */
void follow_id_describe(const struct follow_id* id, char* buf, size_t cap);

/* Look in the search directories (ctl_search_dirs, only those
 * ctl_check_search_dirs trusts) for a live instance other than skip_pid
 * whose hello matches id; each socket is given at most timeout_ms.
 * Returns true with *path (owned) and *pid set; the one with the highest
 * pid when several. */
bool follow_find(const struct follow_id* id,
                 long skip_pid,
                 int timeout_ms,
                 char** path,
                 long* pid);

#endif
