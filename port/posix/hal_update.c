/* hal_update.c - hal/hal_update.h on Linux: the program file is replaced by link + rename in
 * its own folder, the new program runs on trial under a forked watchdog that puts the old one
 * back when the new one dies or does not confirm in time. */
#include "../../hal/hal_update.h"

#include "../../core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIAL_FLAG "--update-trial"
#define ARGS_MAX   64

static char s_self[PATH_MAX];
static char *s_args[ARGS_MAX + 2]; /* argv without the trial flag, room to add it */
static int s_nargs;
static bool s_is_trial;

void hal_update_set_argv(int argc, char **argv)
{
    s_nargs = 0;
    for (int i = 0; i < argc && s_nargs < ARGS_MAX; i++) {
        if (i > 0 && strcmp(argv[i], TRIAL_FLAG) == 0) {
            s_is_trial = true;
            continue;
        }
        s_args[s_nargs++] = argv[i];
    }
    s_args[s_nargs] = NULL;
    if (!realpath("/proc/self/exe", s_self))
        s_self[0] = '\0';
}

bool hal_update_is_trial(void)
{
    return s_is_trial;
}

int hal_update_self(char *out, size_t cap)
{
    if (!s_self[0])
        return ERR_NOENT;
    int w = snprintf(out, cap, "%s", s_self);
    return w > 0 && (size_t)w < cap ? 0 : ERR_TOOBIG;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash && slash != out)
        *slash = '\0';
    else
        snprintf(out, cap, "/");
}

int hal_update_allowed(char *why, size_t cap)
{
    if (!s_self[0]) {
        snprintf(why, cap, "cannot tell which file this program runs from");
        return ERR_NOENT;
    }
    if (strncmp(s_self, "/usr/", 5) == 0) {
        snprintf(why, cap,
                 "%s belongs to the system's package manager: update it with apt "
                 "(apt install ./micros_<version>.deb)",
                 s_self);
        return ERR_NOTSUP;
    }
    char dir[PATH_MAX];
    dir_of(s_self, dir, sizeof dir);
    if (access(dir, W_OK) != 0) {
        snprintf(why, cap, "the program's folder %s is not writable by this node", dir);
        return ERR_PERM;
    }
    return 0;
}

static void fsync_path(const char *path, bool is_dir)
{
    int fd = open(path, (is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static bool state_confirmed(const char *state_path)
{
    char buf[2048];
    int fd = open(state_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strstr(buf, "phase=confirmed") != NULL;
}

static void close_from(int lo)
{
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = lo; fd < max; fd++)
        close(fd);
}

static int put_back(void)
{
    char prev[PATH_MAX + 8];
    snprintf(prev, sizeof prev, "%s.prev", s_self);
    if (rename(prev, s_self) < 0)
        return errno == ENOENT ? ERR_NOENT : ERR_IO;
    char dir[PATH_MAX];
    dir_of(s_self, dir, sizeof dir);
    fsync_path(dir, true);
    return 0;
}

/* The watchdog: the forked child of the program that now runs the new file on trial. */
static void watchdog(pid_t trial, const char *state_path, uint32_t deadline_ms,
                     hal_update_rollback_fn *on_rollback)
{
    close_from(3);
    long waited = 0;
    const char *reason = NULL;
    for (;;) {
        if (state_confirmed(state_path))
            _exit(0);
        if (getppid() != trial) {
            reason = "the new program stopped before it confirmed";
            break;
        }
        if (waited >= (long)deadline_ms) {
            reason = "the new program did not confirm within the deadline";
            kill(trial, SIGKILL);
            for (int i = 0; i < 50 && kill(trial, 0) == 0 && getppid() == trial; i++)
                sleep_ms(20);
            break;
        }
        sleep_ms(100);
        waited += 100;
    }
    if (state_confirmed(state_path))
        _exit(0);
    put_back();
    if (on_rollback)
        on_rollback(reason);
    sleep_ms(200); /* let the kernel release the trial's ports */
    execv(s_self, s_args);
    _exit(127);
}

int hal_update_switch(const char *new_path, const char *state_path, uint32_t deadline_ms,
                      hal_update_rollback_fn *on_rollback)
{
    if (!s_self[0] || s_nargs == 0)
        return ERR_NOENT;
    char dir[PATH_MAX], prev[PATH_MAX + 8];
    dir_of(s_self, dir, sizeof dir);
    snprintf(prev, sizeof prev, "%s.prev", s_self);
    fsync_path(new_path, false);
    /* keep the running program as <self>.prev (a second name for the same file) */
    unlink(prev);
    if (link(s_self, prev) < 0)
        return ERR_IO;
    if (rename(new_path, s_self) < 0) {
        unlink(prev);
        return ERR_IO;
    }
    fsync_path(dir, true);
    pid_t me = getpid();
    pid_t w = fork();
    if (w < 0) {
        put_back();
        return ERR_IO;
    }
    if (w == 0)
        watchdog(me, state_path, deadline_ms, on_rollback);
    s_args[s_nargs] = (char *)TRIAL_FLAG;
    s_args[s_nargs + 1] = NULL;
    execv(s_self, s_args);
    /* the new file does not run at all: the watchdog sees us go and puts the old one back */
    _exit(127);
}

int hal_update_restore_and_exec(void)
{
    int rc = put_back();
    if (rc < 0)
        return rc;
    execv(s_self, s_args);
    return ERR_IO;
}
