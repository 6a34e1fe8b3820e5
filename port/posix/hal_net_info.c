/* hal_net_info.c - the node's network interface on Linux: address, route, name server, MAC,
 * Wi-Fi signal.
 *
 * The default-route interface comes from /proc/net/route, its address from getifaddrs(), the
 * name server from /etc/resolv.conf, the MAC from /sys/class/net and the signal level from
 * /proc/net/wireless. All are small local reads: nothing here waits on the network. */
#include "../../hal/hal_sys.h"
#include "../../core/err.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define NA                "n/a"
#define IFCONFIG_CACHE_MS 2000 /* how long an interface reading is reused */

/* Finds the default route with the lowest metric: its interface name and gateway. */
static int default_route(char *ifname, size_t cap, struct in_addr *gw)
{
    FILE *f = fopen("/proc/net/route", "r");
    if (!f)
        return ERR_NOENT;
    char line[512];
    unsigned long best_metric = (unsigned long)-1;
    bool is_found = false;
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        return ERR_NOENT;
    }
    while (fgets(line, sizeof line, f)) {
        char name[64];
        unsigned long dest, gateway, flags, refcnt, use, metric, mask;
        if (sscanf(line, "%63s %lx %lx %lx %lu %lu %lu %lx", name, &dest, &gateway, &flags, &refcnt,
                   &use, &metric, &mask) != 8)
            continue;
        /* RTF_UP (1): a usable route; destination and mask 0: the default one. */
        if (dest != 0 || mask != 0 || !(flags & 1u) || (is_found && metric >= best_metric))
            continue;
        snprintf(ifname, cap, "%.*s", (int)(cap ? cap - 1 : 0), name);
        gw->s_addr = (in_addr_t)gateway; /* the kernel prints it in network byte order */
        best_metric = metric;
        is_found = true;
    }
    fclose(f);
    return is_found ? 0 : ERR_NOENT;
}

/* The first name server of /etc/resolv.conf, or "n/a". */
static void first_nameserver(char *dns, size_t cap)
{
    snprintf(dns, cap, "%s", NA);
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f)
        return;
    char line[512], addr[64];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, " nameserver %63s", addr) == 1) {
            snprintf(dns, cap, "%.*s", (int)(cap ? cap - 1 : 0), addr);
            break;
        }
    }
    fclose(f);
}

/* The interface's hardware address from sysfs, or "n/a" (also for an all-zero address). */
static void mac_address(const char *ifname, char *mac, size_t cap)
{
    char path[128], text[64] = "";
    snprintf(mac, cap, "%s", NA);
    snprintf(path, sizeof path, "/sys/class/net/%s/address", ifname);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    bool is_ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    if (!is_ok)
        return;
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) != 17 || strcmp(text, "00:00:00:00:00:00") == 0)
        return;
    snprintf(mac, cap, "%s", text);
}

/* The first IPv4 address and netmask of the interface. */
static void ipv4_address(const char *ifname, struct hal_ifinfo *info)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return;
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET ||
            strcmp(ifa->ifa_name, ifname) != 0)
            continue;
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
        inet_ntop(AF_INET, &a->sin_addr, info->ip, sizeof info->ip);
        if (ifa->ifa_netmask) {
            const struct sockaddr_in *m =
                (const struct sockaddr_in *)(const void *)ifa->ifa_netmask;
            inet_ntop(AF_INET, &m->sin_addr, info->mask, sizeof info->mask);
        }
        break;
    }
    freeifaddrs(list);
}

static int read_ifconfig(struct hal_ifinfo *info)
{
    struct in_addr gw;
    snprintf(info->name, sizeof info->name, "%s", NA);
    snprintf(info->ip, sizeof info->ip, "%s", NA);
    snprintf(info->mask, sizeof info->mask, "%s", NA);
    snprintf(info->gw, sizeof info->gw, "%s", NA);
    snprintf(info->dns, sizeof info->dns, "%s", NA);
    snprintf(info->mac, sizeof info->mac, "%s", NA);
    if (default_route(info->name, sizeof info->name, &gw) != 0) {
        snprintf(info->name, sizeof info->name, "%s", NA);
        return ERR_NOENT;
    }
    inet_ntop(AF_INET, &gw, info->gw, sizeof info->gw);
    ipv4_address(info->name, info);
    first_nameserver(info->dns, sizeof info->dns);
    mac_address(info->name, info->mac, sizeof info->mac);
    return 0;
}

int hal_sys_ifconfig(struct hal_ifinfo *info)
{
    /* `system info` asks for the MAC on every call: reading the route table and the addresses
     * costs tens of microseconds, so a result up to IFCONFIG_CACHE_MS old is reused. */
    static struct hal_ifinfo s_info;
    static int s_rc;
    static uint64_t s_at_ms;
    static bool is_cached;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    if (!is_cached || now - s_at_ms >= IFCONFIG_CACHE_MS) {
        s_rc = read_ifconfig(&s_info);
        s_at_ms = now;
        is_cached = true;
    }
    *info = s_info;
    return s_rc;
}

int hal_sys_wifi_rssi(int *dbm)
{
    char want[32] = "", line[512];
    struct in_addr gw;
    if (default_route(want, sizeof want, &gw) != 0)
        want[0] = '\0';
    FILE *f = fopen("/proc/net/wireless", "r");
    if (!f)
        return ERR_NOENT;
    bool is_found = false;
    /* Two header lines, then "  wlan0: 0000   70.  -40.  -256  ..." per interface. */
    for (int n = 0; fgets(line, sizeof line, f); n++) {
        char name[64];
        unsigned status;
        double link, level;
        if (n < 2)
            continue;
        if (sscanf(line, " %63[^:]: %x %lf %lf", name, &status, &link, &level) != 4)
            continue;
        if (is_found && strcmp(name, want) != 0)
            continue;
        /* Old drivers report the level as an unsigned byte: 256 - |dBm|. */
        if (level > 0)
            level -= 256;
        *dbm = (int)level;
        is_found = true;
        if (strcmp(name, want) == 0)
            break;
    }
    fclose(f);
    return is_found ? 0 : ERR_NOENT;
}
