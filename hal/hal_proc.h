/* hal_proc.h - figures about the running node process (for metrics). */
#ifndef HAL_PROC_H
#define HAL_PROC_H

#include <stdint.h>

/* Resident memory of the process in bytes. Returns 0 or ERR_NOTSUP / ERR_IO. */
int hal_proc_rss(uint64_t *bytes);
/* CPU time the process used (user + system), in milliseconds. Returns 0 or ERR_*. */
int hal_proc_cpu_ms(uint64_t *ms);
/* Open file descriptors of the process. Returns 0 or ERR_*. */
int hal_proc_fds(uint64_t *n);

#endif
