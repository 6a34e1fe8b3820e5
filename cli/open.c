/* open.c - opening a session to a named device, with the password step (see ctl.h). */
#include "../core/err.h"
#include "ctl.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int ctl_read_password(const char *prompt, char *out, size_t cap)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    struct termios old, quiet;
    bool is_tty = tcgetattr(fd, &old) == 0;
    if (is_tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* The prompt is a courtesy; reading goes on. */
    }
    size_t n = 0;
    char ch;
    while (n + 1 < cap && read(fd, &ch, 1) == 1 && ch != '\n' && ch != '\r')
        out[n++] = ch;
    out[n] = '\0';
    if (is_tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* as above */
    }
    close(fd);
    return 0;
}

int ctl_open(struct ctl_opts *o, const char *device, struct conn *c, struct cache_dev *dev,
             bool ask)
{
    char msg[512] = "";
    struct sockaddr_in addr;
    int rc = cache_resolve(&o->cache, device, o->port, &addr, dev, msg, sizeof msg);
    if (rc) {
        if (!msg[0])
            snprintf(msg, sizeof msg, "unknown device '%s'", device);
        fprintf(stderr, "microsctl: %s\n", msg);
        return rc;
    }
    conn_init(c, o->timeout_ms, o->reply_timeout_ms);
    rc = conn_open(c, &addr);
    if (rc) {
        fprintf(stderr, "microsctl: %s\n", c->msg);
        conn_close(c);
        return rc;
    }
    if (!c->is_locked)
        return 0;
    char typed[256];
    const char *pwd = o->password;
    if (!pwd && ask && isatty(STDIN_FILENO)) {
        char prompt[300];
        snprintf(prompt, sizeof prompt, "Password for %s: ", c->prompt);
        if (ctl_read_password(prompt, typed, sizeof typed) == 0)
            pwd = typed;
    }
    if (!pwd || !*pwd) {
        fprintf(stderr,
                "microsctl: %s asks for a password: give --password or set MICROS_PASSWORD\n",
                c->prompt);
        conn_close(c);
        return ERR_PERM;
    }
    rc = conn_login(c, pwd);
    if (!rc)
        rc = conn_wait(c);
    memset(typed, 0, sizeof typed);
    if (rc) {
        fprintf(stderr, "microsctl: %s\n", c->msg);
        conn_close(c);
    }
    return rc;
}
