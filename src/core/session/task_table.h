/* task_table.h - which server owns each task the gateway has handed out
 * (issue 13, TASK-3).
 *
 * Pure (no libuv, no JSON). The gateway names a backend's task
 * <server><separator><taskId> for the client, so that ids stay unique
 * among all the tasks the client sees (tasks.mdx: "unique among all tasks
 * controlled by the receiver"). This table remembers, for each such name,
 * the server, the instance of that server (a serial the gateway gives
 * each backend it creates: a changed config makes another) and the
 * process generation that created it, so that a task asked for after its
 * server restarted, was replaced or was removed is answered with why it
 * is gone instead of the new process's "not found".
 *
 * Bounded: past max entries the oldest goes (a client that polls a task
 * that old gets the server's own answer). Strings are copied; the table
 * owns everything in it.
 */
#ifndef MCPMON_TASK_TABLE_H
#define MCPMON_TASK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task_table;

/* Who made a task. server is borrowed from the table: valid until the
 * entry is dropped or the table changes. */
struct task_owner {
  const char* server;
  uint64_t serial;
  uint64_t generation;
};

struct task_table* task_table_new(size_t max);
void task_table_free(struct task_table* t);
size_t task_table_count(const struct task_table* t);

/* Remember (or refresh: it becomes the newest) exposed -> owner. */
void task_table_put(struct task_table* t,
                    const char* exposed,
                    const struct task_owner* owner);
/* Find exposed: true with *owner filled (see above), else false. */
bool task_table_find(const struct task_table* t,
                     const char* exposed,
                     struct task_owner* owner);

#endif
