/* hal_sys.c - Cortex-M port: identity, memory, reset.
 *
 * Memory figures come from newlib's allocator (mallinfo) against the heap size the board's
 * linker script gives (CORTEXM_HEAP_BYTES). The machine id is CORTEXM_UID (a board with a
 * unique-id register passes it at build time). Reboot is a system reset through the SCB. */
#include "../../core/err.h"
#include "../../hal/hal_sys.h"

#include <malloc.h>
#include <stdio.h>

#ifndef CORTEXM_HEAP_BYTES
#define CORTEXM_HEAP_BYTES (96u * 1024u)
#endif
#ifndef CORTEXM_UID
#define CORTEXM_UID "c0c0c0c0c0c0"
#endif
#ifndef CORTEXM_CPU_MHZ
#define CORTEXM_CPU_MHZ 64
#endif

#define SCB_AIRCR   (*(volatile uint32_t *)0xE000ED0Cu)
#define AIRCR_RESET 0x05FA0004u /* VECTKEY | SYSRESETREQ */

int hal_sys_machine_id(char *hex, size_t cap)
{
    int w = snprintf(hex, cap, "%s", CORTEXM_UID);
    return w > 0 && (size_t)w < cap ? 0 : ERR_INVAL;
}

int hal_sys_reexec(void)
{
    SCB_AIRCR = AIRCR_RESET;
    for (;;)
        __asm__ volatile("wfi");
}

int hal_sys_mem(uint64_t *used, uint64_t *total)
{
    struct mallinfo mi = mallinfo();
    *used = (uint64_t)mi.uordblks;
    *total = CORTEXM_HEAP_BYTES;
    return 0;
}

int hal_sys_mem_avail(uint64_t *avail)
{
    struct mallinfo mi = mallinfo();
    uint64_t used = (uint64_t)mi.uordblks;
    *avail = used < CORTEXM_HEAP_BYTES ? CORTEXM_HEAP_BYTES - used : 0;
    return 0;
}

int hal_sys_cpu_load(int *percent)
{
    *percent = 0; /* no idle counter on this port */
    return 0;
}

int hal_sys_cpu_mhz(int *mhz)
{
    *mhz = CORTEXM_CPU_MHZ;
    return 0;
}

int hal_sys_uname(char *version, size_t vcap, char *machine, size_t mcap)
{
    snprintf(version, vcap, "micrOS-C bare metal");
    snprintf(machine, mcap, "cortex-m");
    return 0;
}

void hal_sys_set_argv(int argc, char **argv)
{
    (void)argc; /* a reset restarts main(); there are no arguments to keep */
    (void)argv;
}

int hal_sys_ifconfig(struct hal_ifinfo *info)
{
    snprintf(info->name, sizeof info->name, "none");
    snprintf(info->ip, sizeof info->ip, "n/a");
    snprintf(info->mask, sizeof info->mask, "n/a");
    snprintf(info->gw, sizeof info->gw, "n/a");
    snprintf(info->dns, sizeof info->dns, "n/a");
    snprintf(info->mac, sizeof info->mac, "n/a");
    return ERR_NOENT;
}

int hal_sys_wifi_rssi(int *dbm)
{
    *dbm = 0;
    return ERR_NOENT;
}
