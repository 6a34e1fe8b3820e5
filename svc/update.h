/* update.h - self-update with rollback (docs/files.md "Updating a node").
 *
 * POST /update carries a new micros program (raw body, x-sha256: its SHA-256 in hex; with
 * config auth True also x-micros-auth). The node streams it next to its own program file,
 * checks the hash and that it is an ELF file for this machine (class, byte order, machine),
 * answers, then switches (hal/hal_update.h): the old file stays as <self>.prev, the new one
 * starts with --update-trial under a watchdog, and confirms itself once it has run healthy
 * (every service started, UPDATE_CONFIRM_MS of running). Without a confirmation within
 * config update_deadline seconds, or when the new program dies first, the watchdog puts the
 * old program back and starts it. The state lives in <data>/update/state ("key=value" lines:
 * phase, from, to, result); `system update` shows it. */
#ifndef UPDATE_H
#define UPDATE_H

#include "../core/buf.h"
#include "endpoint.h"
#include "node.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef UPDATE_CONFIRM_MS
#define UPDATE_CONFIRM_MS 3000 /* a trial confirms after running this long */
#endif

/* Registers POST /update. Returns 0 or ERR_*. */
int update_register(struct endpoints *eps, struct node *node);
/* At start, before any service: an unconfirmed trial found without --update-trial (the
 * node was restarted or killed during the switch) puts the previous program back and
 * re-executes it. Returns normally otherwise. */
void update_boot(const char *data_dir, bool is_trial);
/* After every service started: on a trial, arms the confirmation. */
void update_started(struct node *node, bool is_trial);
/* True when an accepted update waits for the switch (main switches after shutting down). */
bool update_pending(void);
/* Switches to the accepted update (never returns on success). Returns ERR_*. */
int update_switch(void);
/* Appends the state as "key=value" lines (empty when there was never an update). */
int update_state(const char *data_dir, struct buf *out);

#endif
