/* shell_bench.c - measures a micros node over its shell, on loopback:
 *   - start to first prompt (fork+exec of micros until the greeting arrives), best of N
 *   - idle RSS of the node after start
 *   - round trips of `hello` and `system info` on one connection: median, p99
 *
 * Usage: shell_bench <path/to/micros> [iterations]
 * It starts its own node on a free port with a fresh data folder in /tmp. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int try_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Reads until the reply ends with the prompt "$ ". Returns bytes read or -1. */
static int read_prompt(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        if (n >= 2 && buf[n - 2] == '$' && buf[n - 1] == ' ')
            break;
    }
    buf[n] = '\0';
    return (int)n;
}

static pid_t start_node(const char *micros, const char *dir, int port)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        execl(micros, micros, "--data", dir, "--port", portstr, "--bind", "127.0.0.1", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void rtt(int fd, const char *cmd, int n, double *med, double *p99)
{
    double *t = calloc((size_t)n, sizeof *t);
    char buf[8192];
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (write(fd, cmd, strlen(cmd)) < 0 || read_prompt(fd, buf, sizeof buf) < 0) {
            fprintf(stderr, "connection lost\n");
            exit(1);
        }
        t[i] = now_us() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    *med = t[n / 2];
    *p99 = t[(n * 99) / 100];
    free(t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <micros> [iterations]\n", argv[0]);
        return 2;
    }
    int iters = argc > 2 ? atoi(argv[2]) : 2000;
    char dir[] = "/tmp/micros-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;

    /* start to first prompt: best and median of 10 starts (the first creates the config) */
    double starts[10];
    pid_t pid = -1;
    int port = 0;
    for (int k = 0; k < 10; k++) {
        port = free_port();
        double t0 = now_us();
        pid = start_node(argv[1], dir, port);
        int fd = -1;
        while ((fd = try_connect(port)) < 0) {
            if (now_us() - t0 > 5e6) {
                fprintf(stderr, "node did not start\n");
                return 1;
            }
        }
        char buf[256];
        read_prompt(fd, buf, sizeof buf);
        starts[k] = now_us() - t0;
        close(fd);
        if (k < 9) {
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
        }
    }
    qsort(starts, 10, sizeof starts[0], cmp_double);
    usleep(300 * 1000);
    long idle = rss_kb(pid);

    int fd = try_connect(port);
    char buf[256];
    read_prompt(fd, buf, sizeof buf);
    double hm, hp, im, ip;
    rtt(fd, "hello", iters, &hm, &hp);
    rtt(fd, "system info", iters, &im, &ip);
    long after = rss_kb(pid);
    close(fd);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    printf("| figure | measured | budget |\n|---|---|---|\n");
    printf("| start to first prompt (best / median of 10) | %.1f ms / %.1f ms | <= 20 ms |\n",
           starts[0] / 1e3, starts[5] / 1e3);
    printf("| idle RSS | %.1f MB | <= 4 MB |\n", idle / 1024.0);
    printf("| shell `hello` round trip, median / p99 (%d) | %.1f us / %.1f us | <= 25 us / <= 100 "
           "us |\n",
           iters, hm, hp);
    printf("| shell `system info` round trip, median / p99 (%d) | %.1f us / %.1f us | - |\n", iters,
           im, ip);
    printf("| RSS after the round trips | %.1f MB | - |\n", after / 1024.0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
