/* hal_proc.c - process figures on Linux: /proc/self/statm, getrusage, /proc/self/fd. */
#include "../../hal/hal_proc.h"

#include "../../core/err.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

int hal_proc_rss(uint64_t *bytes)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return ERR_NOTSUP;
    unsigned long long size = 0, rss = 0;
    int n = fscanf(f, "%llu %llu", &size, &rss);
    fclose(f);
    if (n != 2)
        return ERR_IO;
    long page = sysconf(_SC_PAGESIZE);
    *bytes = (uint64_t)rss * (uint64_t)(page > 0 ? page : 4096);
    return 0;
}

int hal_proc_cpu_ms(uint64_t *ms)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return ERR_IO;
    *ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000u +
          (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000u;
    return 0;
}

int hal_proc_fds(uint64_t *n)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return ERR_NOTSUP;
    uint64_t k = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        if (e->d_name[0] != '.')
            k++;
    closedir(d);
    *n = k > 0 ? k - 1 : 0; /* minus the directory stream itself */
    return 0;
}
