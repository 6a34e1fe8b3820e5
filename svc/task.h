/* task.h - the task manager: background Load Module calls and native tasks.
 *
 * (Contract used by exec.c; the task manager owns the rest of this header.) */
#ifndef TASK_H
#define TASK_H

#include "../core/arena.h"
#include "../core/str.h"
#include "cmd.h"
#include "exec.h"
#include "node.h"

struct tasks;

/* Handles "task list|kill|show ..." (c->tok[0] is "task"); fills res. */
void task_command(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res);
/* Starts a background task for c (which has a & postfix); line is the full command line
 * c was parsed from (the task keeps its own copy). Fills res with micrOS's reply,
 * e.g. {'system.heartbeat': 'Starting'}. */
void task_spawn(struct tasks *t, const struct cmd *c, struct str line, struct arena *a,
                struct exec_result *res);

#endif
