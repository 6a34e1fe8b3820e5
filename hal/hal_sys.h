/* hal_sys.h - the machine: identity, memory, CPU, reboot. */
#ifndef HAL_SYS_H
#define HAL_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes a stable machine id as lowercase hex (at most cap-1 chars). Returns 0 or ERR_*. */
int hal_sys_machine_id(char *hex, size_t cap);
/* Re-executes the node program (reboot): never returns on success. Returns ERR_* on failure. */
int hal_sys_reexec(void);
/* Memory: bytes used by this process (RSS) and total memory of the machine. */
int hal_sys_mem(uint64_t *used, uint64_t *total);
/* CPU load of the machine in percent (since the previous call, or over the last second). */
int hal_sys_cpu_load(int *percent);
/* Current CPU clock in MHz (0 when the machine does not tell). */
int hal_sys_cpu_mhz(int *mhz);
/* The OS version string (uname -v) and machine (uname -m). */
int hal_sys_uname(char *version, size_t vcap, char *machine, size_t mcap);

#endif
