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
/* CPU load of the machine in percent, measured between calls at least a second apart (0 until
 * two such calls were made; never blocks). */
int hal_sys_cpu_load(int *percent);
/* Current CPU clock in MHz (0 when the machine does not tell). */
int hal_sys_cpu_mhz(int *mhz);
/* The OS version string (uname -v) and machine (uname -m). */
int hal_sys_uname(char *version, size_t vcap, char *machine, size_t mcap);

/* Remembers the program's arguments for hal_sys_reexec (main() calls it first; argv must live
 * until exit, as main's argv does). */
void hal_sys_set_argv(int argc, char **argv);
/* Memory the machine can still give to programs (Linux MemAvailable), bytes. Returns 0 or ERR_*. */
int hal_sys_mem_avail(uint64_t *avail);

/* The node's network interface: the one that holds the default route. */
struct hal_ifinfo {
    char name[32]; /* interface name ("eth0", "wlan0") */
    char ip[16];   /* dotted IPv4 address, or "n/a" */
    char mask[16]; /* dotted IPv4 netmask, or "n/a" */
    char gw[16];   /* dotted IPv4 default gateway */
    char dns[48];  /* first name server (IPv4 or IPv6 text), or "n/a" */
    char mac[18];  /* "aa:bb:cc:dd:ee:ff", or "n/a" */
};
/* Fills info for the default-route interface. Returns 0, or ERR_NOENT when there is no
 * default route (info is then set to "n/a" everywhere). */
int hal_sys_ifconfig(struct hal_ifinfo *info);
/* Signal level in dBm of the wireless interface (the default-route one when it is wireless,
 * else the first one). Returns 0, or ERR_NOENT when the machine has no wireless interface. */
int hal_sys_wifi_rssi(int *dbm);

#endif
