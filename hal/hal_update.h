/* hal_update.h - replacing the node's own program file and starting the new one on trial
 * (svc/update.h has the protocol; docs/files.md the why).
 *
 * The program file is never missing: the running one is first hard-linked to "<self>.prev",
 * then the new one is renamed over "<self>" (both in the same folder, so a power cut leaves
 * the old or the new file, never none). */
#ifndef HAL_UPDATE_H
#define HAL_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Remembers the program's arguments and file (main() calls it first, before anything can
 * rename the file); notes and removes --update-trial from what a re-exec passes on. */
void hal_update_set_argv(int argc, char **argv);
/* Path of the running program file (as it was at start). Returns 0 or ERR_*. */
int hal_update_self(char *out, size_t cap);
/* True when the process may replace its program file: ERR_PERM when the folder is not
 * writable; ERR_NOTSUP (with why) when a package manager owns it (under /usr). */
int hal_update_allowed(char *why, size_t cap);
/* Installs new_path over the program file (fsync, link <self>.prev, rename), then forks a
 * watchdog and re-executes the program with --update-trial. The watchdog reads state_path
 * every 100 ms: when the new program wrote "phase=confirmed" it leaves; when the new program
 * dies, or deadline_ms passes first, it kills it, puts <self>.prev back and starts the old
 * program again (calling on_rollback(reason) first). Never returns on success. */
typedef void hal_update_rollback_fn(const char *reason);
int hal_update_switch(const char *new_path, const char *state_path, uint32_t deadline_ms,
                      hal_update_rollback_fn *on_rollback);
/* Puts <self>.prev back as the program file and re-executes it (an unconfirmed trial found
 * at start). Never returns on success. */
int hal_update_restore_and_exec(void);
/* True when this process was started with --update-trial. */
bool hal_update_is_trial(void);

#endif
