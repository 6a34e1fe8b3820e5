/* hal_sys.c - the machine on Linux: identity, memory, CPU, uname, re-exec.
 *
 * Everything comes from /proc, /sys and /etc; a value the machine does not
 * give is reported as unknown (0 or an error), never guessed. */
#include "../../hal/hal_sys.h"
#include "../../core/err.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static char **s_argv; /* saved by hal_sys_set_argv for hal_sys_reexec */

/* CPU load: the last /proc/stat sample and the load measured up to it. */
#define CPU_SAMPLE_MIN_MS 1000 /* shorter windows give noise (one busy tick = 100 %) */
static struct {
    bool is_valid;
    unsigned long long busy, total;
    uint64_t at_ms; /* monotonic time of the sample */
    int percent;    /* load between the two last samples */
} s_cpu;

static int err_from_errno(int e)
{
    switch (e) {
    case ENOENT: return ERR_NOENT;
    case EACCES:
    case EPERM: return ERR_PERM;
    case ENOMEM: return ERR_NOMEM;
    case E2BIG: return ERR_TOOBIG;
    case EINVAL: return ERR_INVAL;
    default: return ERR_IO;
    }
}

/* Reads a small text file (/proc, /sys, /etc) into buf, NUL-terminated. Returns its length or
 * ERR_*; a file longer than cap-1 is cut, which is fine for the few lines we look at. */
static long read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_from_errno(errno);
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return ERR_IO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (long)n;
}

/* Finds "key:" at the start of a line of text (meminfo, cpuinfo style) and returns what follows
 * the colon, or NULL. */
static const char *find_field(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0) {
            const char *p = line + klen;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ':')
                return p + 1;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

/* Reads a "Key:   1234 kB" line of /proc/meminfo, in bytes. */
static int meminfo_bytes(const char *key, uint64_t *bytes)
{
    char text[4096];
    if (read_small("/proc/meminfo", text, sizeof text) < 0)
        return ERR_IO;
    const char *v = find_field(text, key);
    if (!v)
        return ERR_NOENT;
    *bytes = strtoull(v, NULL, 10) * 1024u;
    return 0;
}

/* Copies the hex digits of src (lowercased) into hex; returns how many were copied. */
static size_t copy_hex(char *hex, size_t cap, const char *src)
{
    size_t n = 0;
    for (; *src && *src != '\n' && n + 1 < cap; src++) {
        if (isxdigit((unsigned char)*src))
            hex[n++] = (char)tolower((unsigned char)*src);
    }
    hex[n] = '\0';
    return n;
}

int hal_sys_machine_id(char *hex, size_t cap)
{
    static const char *const paths[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};
    char text[128];
    if (!hex || cap < 2)
        return ERR_INVAL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (read_small(paths[i], text, sizeof text) > 0 && copy_hex(hex, cap, text) >= 8)
            return 0;
    }
    /* No machine id: a 64-bit FNV-1a hash of the host name is stable enough to tell nodes
     * apart on one network. */
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        return err_from_errno(errno);
    uint64_t h = 14695981039346656037ull;
    for (const char *p = host; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    snprintf(text, sizeof text, "%016llx", (unsigned long long)h);
    copy_hex(hex, cap, text);
    return 0;
}

void hal_sys_set_argv(int argc, char **argv)
{
    s_argv = (argc > 0 && argv && argv[0]) ? argv : NULL;
}

/* Marks every descriptor above stderr close-on-exec, so the new program image can bind the
 * node's ports again and inherits nothing else. */
static void cloexec_all(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int self = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (*end == '\0' && end != e->d_name && fd > 2 && fd != self)
                fcntl((int)fd, F_SETFD, fcntl((int)fd, F_GETFD) | FD_CLOEXEC);
        }
        closedir(d);
        return;
    }
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 3; fd < max; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0)
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

int hal_sys_reexec(void)
{
    if (!s_argv)
        return ERR_INVAL;
    fflush(NULL);
    cloexec_all();
    execv("/proc/self/exe", s_argv);
    /* No /proc (chroot, container without it): try the path we were started with. */
    execvp(s_argv[0], s_argv);
    return err_from_errno(errno);
}

int hal_sys_mem(uint64_t *used, uint64_t *total)
{
    /* Called for every `system top`: keep /proc/self/statm open and read it with one pread,
     * and read the machine's memory size once. */
    static int s_statm = -1;
    static uint64_t s_total;
    char text[256];
    if (s_statm < 0)
        s_statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n = s_statm >= 0 ? pread(s_statm, text, sizeof text - 1, 0) : -1;
    if (n <= 0)
        return ERR_IO;
    text[n] = '\0';
    unsigned long long size_pages = 0, rss_pages = 0;
    if (sscanf(text, "%llu %llu", &size_pages, &rss_pages) != 2)
        return ERR_IO;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    if (s_total == 0 && meminfo_bytes("MemTotal", &s_total) != 0) {
        struct sysinfo si;
        if (sysinfo(&si) != 0)
            return err_from_errno(errno);
        s_total = (uint64_t)si.totalram * (uint64_t)(si.mem_unit ? si.mem_unit : 1);
    }
    if (used)
        *used = (uint64_t)rss_pages * (uint64_t)page;
    if (total)
        *total = s_total;
    return 0;
}

int hal_sys_mem_avail(uint64_t *avail)
{
    if (meminfo_bytes("MemAvailable", avail) == 0)
        return 0;
    /* Kernels before 3.14 have no MemAvailable: free + buffers + cache is the old estimate. */
    uint64_t free_b = 0, buffers = 0, cached = 0;
    int rc = meminfo_bytes("MemFree", &free_b);
    if (rc < 0)
        return rc;
    meminfo_bytes("Buffers", &buffers);
    meminfo_bytes("Cached", &cached);
    *avail = free_b + buffers + cached;
    return 0;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int hal_sys_cpu_load(int *percent)
{
    char text[512];
    unsigned long long v[10] = {0};
    uint64_t now = mono_ms();
    *percent = s_cpu.percent;
    if (s_cpu.is_valid && now - s_cpu.at_ms < CPU_SAMPLE_MIN_MS)
        return 0;
    if (read_small("/proc/stat", text, sizeof text) < 0)
        return ERR_IO;
    int n = sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    if (n < 4)
        return ERR_IO;
    /* user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
     * counted in user and nice, so the total stops at steal. */
    unsigned long long total = 0;
    for (int i = 0; i < n && i < 8; i++)
        total += v[i];
    unsigned long long idle = v[3] + (n > 4 ? v[4] : 0);
    unsigned long long busy = total - idle;
    if (s_cpu.is_valid && total > s_cpu.total && busy >= s_cpu.busy) {
        unsigned long long dt = total - s_cpu.total, db = busy - s_cpu.busy;
        s_cpu.percent = (int)((db * 100 + dt / 2) / dt);
        if (s_cpu.percent > 100)
            s_cpu.percent = 100;
    }
    s_cpu.is_valid = true;
    s_cpu.busy = busy;
    s_cpu.total = total;
    s_cpu.at_ms = now;
    *percent = s_cpu.percent;
    return 0;
}

int hal_sys_cpu_mhz(int *mhz)
{
    /* The clock changes with load; a value at most a second old is fresh enough and keeps
     * `system info` cheap. */
    static uint64_t s_at_ms;
    static int s_mhz = -1;
    uint64_t now = mono_ms();
    if (s_mhz >= 0 && now - s_at_ms < CPU_SAMPLE_MIN_MS) {
        *mhz = s_mhz;
        return 0;
    }
    char text[8192];
    *mhz = 0;
    /* cpufreq knows the current clock where the kernel drives it (most ARM boards, many PCs). */
    if (read_small("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", text, 64) > 0 &&
        strtol(text, NULL, 10) > 0) {
        *mhz = (int)((strtol(text, NULL, 10) + 500) / 1000);
    } else if (read_small("/proc/cpuinfo", text, sizeof text) > 0) {
        /* x86 reports the clock per core in /proc/cpuinfo. */
        const char *v = find_field(text, "cpu MHz");
        double f = v ? strtod(v, NULL) : 0;
        if (f > 0)
            *mhz = (int)(f + 0.5);
    }
    s_mhz = *mhz;
    s_at_ms = now;
    return 0;
}

int hal_sys_uname(char *version, size_t vcap, char *machine, size_t mcap)
{
    struct utsname u;
    if (uname(&u) != 0)
        return err_from_errno(errno);
    if (version && vcap)
        snprintf(version, vcap, "%s", u.version);
    if (machine && mcap)
        snprintf(machine, mcap, "%s", u.machine);
    return 0;
}
