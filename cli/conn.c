/* conn.c - the micrOS shell client state machine (see conn.h). */
#include "conn.h"

#include "../core/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t conn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int conn_parse_addr(const char *text, unsigned def_port, struct sockaddr_in *addr)
{
    char ip[64];
    unsigned long port = def_port;
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n == 0 || n >= sizeof ip)
        return ERR_INVAL;
    memcpy(ip, text, n);
    ip[n] = '\0';
    if (colon) {
        char *end;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || *end || end == colon + 1 || port == 0 || port > 65535)
            return ERR_INVAL;
    }
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &addr->sin_addr) != 1)
        return ERR_INVAL;
    return 0;
}

void conn_addr_text(const struct sockaddr_in *addr, char *out, size_t cap)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
    snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(addr->sin_port));
}

void conn_init(struct conn *c, unsigned timeout_ms, unsigned reply_timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    c->reply_timeout_ms = reply_timeout_ms;
}

static void conn_fail(struct conn *c, int err, const char *fmt, const char *detail)
{
    char where[32];
    conn_addr_text(&c->addr, where, sizeof where);
    c->err = err;
    snprintf(c->msg, sizeof c->msg, "%s: ", where);
    size_t n = strlen(c->msg);
    snprintf(c->msg + n, sizeof c->msg - n, fmt, detail);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_FAILED;
}

static void conn_fail_ms(struct conn *c, int err, const char *fmt, unsigned ms)
{
    char num[24];
    snprintf(num, sizeof num, "%u", ms);
    conn_fail(c, err, fmt, num);
}

int conn_start(struct conn *c, const struct sockaddr_in *addr)
{
    c->addr = *addr;
    c->in_len = 0;
    c->out_len = c->out_off = 0;
    c->is_locked = c->is_closed_by_node = false;
    c->prompt[0] = c->pre[0] = '\0';
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(c, ERR_IO, "socket: %s", strerror(errno));
        return c->err;
    }
    c->deadline = conn_now_ms() + c->timeout_ms;
    if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) == 0) {
        c->state = CONN_GREETING;
        return 0;
    }
    if (errno == EINPROGRESS) {
        c->state = CONN_CONNECTING;
        return 0;
    }
    if (errno == ECONNREFUSED)
        conn_fail(c, ERR_CONNREFUSED, "connection refused%s (nothing listens there)", "");
    else
        conn_fail(c, ERR_IO, "connect: %s", strerror(errno));
    return c->err;
}

short conn_events(const struct conn *c)
{
    switch (c->state) {
    case CONN_CONNECTING: return POLLOUT;
    case CONN_GREETING:
    case CONN_AUTH:
    case CONN_WAITING: return (short)(POLLIN | (c->out_off < c->out_len ? POLLOUT : 0));
    default: return 0;
    }
}

/* Returns a pointer to the last line of in[0..len) with surrounding whitespace stripped,
 * and its length in *n; NULL when all is whitespace. */
static const char *last_line(const char *in, size_t len, size_t *n)
{
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\n' || in[len - 1] == '\r' ||
                       in[len - 1] == '\t'))
        len--;
    if (len == 0)
        return NULL;
    size_t start = len;
    while (start > 0 && in[start - 1] != '\n')
        start--;
    *n = len - start;
    return in + start;
}

static bool mem_has(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

/* Greeting: the last two whitespace tokens of the last line are the prompt. */
static void conn_on_greeting(struct conn *c)
{
    if (mem_has(c->in, c->in_len, "Bye!") && mem_has(c->in, c->in_len, "busy")) {
        conn_fail(c, ERR_BUSY,
                  "node is busy (\"Connection is busy. Bye!\"): every client slot "
                  "is taken by an active client%s",
                  "");
        return;
    }
    if (!memchr(c->in, '$', c->in_len))
        return;
    size_t n;
    const char *line = last_line(c->in, c->in_len, &n);
    if (!line)
        return;
    /* Walk back over two tokens. */
    size_t end = n, i = n;
    for (int tok = 0; tok < 2; tok++) {
        while (i > 0 && line[i - 1] == ' ')
            i--;
        while (i > 0 && line[i - 1] != ' ' && line[i - 1] != '\t')
            i--;
    }
    if (end - i >= sizeof c->prompt || i >= sizeof c->pre) {
        conn_fail(c, ERR_SYNTAX, "greeting too long, not a micrOS shell%s", "");
        return;
    }
    memcpy(c->prompt, line + i, end - i);
    c->prompt[end - i] = '\0';
    memcpy(c->pre, line, i);
    c->pre[i] = '\0';
    c->is_locked = strstr(c->pre, "[password]") != NULL;
    c->in_len = 0;
    c->state = CONN_READY;
}

/* Reply: complete when the last line of the stripped data holds the prompt or Bye!. */
static void conn_on_reply(struct conn *c, bool is_eof)
{
    size_t n = 0;
    const char *line = last_line(c->in, c->in_len, &n);
    bool has_prompt = line && mem_has(line, n, c->prompt);
    bool has_bye = line && mem_has(line, n, "Bye!");
    if (!has_prompt && !has_bye) {
        if (is_eof) {
            if (c->state == CONN_AUTH)
                conn_fail(c, ERR_PERM, "the node closed the connection after the password%s", "");
            else
                conn_fail(c, ERR_CLOSED, "the node closed the connection before the prompt%s", "");
        }
        return;
    }
    if (has_prompt) {
        const char *p = line;
        size_t pn = (size_t)(c->in + c->in_len - line);
        const char *at = NULL;
        for (size_t i = 0; i + strlen(c->prompt) <= pn; i++)
            if (memcmp(p + i, c->prompt, strlen(c->prompt)) == 0) {
                at = p + i;
                break;
            }
        size_t pre_n = at ? (size_t)(at - line) : 0;
        if (pre_n >= sizeof c->pre)
            pre_n = sizeof c->pre - 1;
        memcpy(c->pre, line, pre_n);
        c->pre[pre_n] = '\0';
        c->reply_len = (size_t)(line - c->in);
    } else {
        c->reply_len = c->in_len;
        c->is_closed_by_node = true;
    }
    if (c->state == CONN_AUTH) {
        if (has_bye || mem_has(c->in, c->in_len, "AuthFailed")) {
            conn_fail(c, ERR_PERM, "authentication failed (AuthFailed): wrong password%s", "");
            return;
        }
        c->is_locked = false;
    }
    c->state = CONN_READY;
    if (c->is_closed_by_node && c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

static void conn_read(struct conn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 4096) {
            if (c->in_cap >= CONN_REPLY_MAX) {
                conn_fail_ms(c, ERR_TOOBIG, "reply longer than %s bytes", CONN_REPLY_MAX);
                return;
            }
            size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
            char *p = realloc(c->in, cap + 1);
            if (!p) {
                conn_fail(c, ERR_NOMEM, "out of memory%s", "");
                return;
            }
            c->in = p;
            c->in_cap = cap;
        }
        ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            c->in[c->in_len] = '\0';
            continue;
        }
        bool is_eof = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        if (r < 0 && errno == EINTR)
            continue;
        if (c->state == CONN_GREETING) {
            conn_on_greeting(c);
            if (c->state == CONN_GREETING && is_eof) {
                if (c->in_len)
                    conn_fail(c, ERR_SYNTAX, "closed after \"%s\" without a prompt",
                              c->in_len < 120 ? c->in : "(long text)");
                else
                    conn_fail(c, ERR_CLOSED, "the node closed the connection without a greeting%s",
                              "");
            }
        } else {
            conn_on_reply(c, is_eof);
        }
        return;
    }
}

static void conn_write(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        conn_fail(c, ERR_CLOSED, "send: %s", strerror(errno));
        return;
    }
}

void conn_step(struct conn *c, short revents, uint64_t now)
{
    if (c->state == CONN_CONNECTING && revents) {
        int e = 0;
        socklen_t len = sizeof e;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len);
        if (e == ECONNREFUSED) {
            conn_fail(c, ERR_CONNREFUSED, "connection refused%s (nothing listens there)", "");
            return;
        }
        if (e) {
            conn_fail(c, ERR_IO, "connect: %s", strerror(e));
            return;
        }
        c->state = CONN_GREETING;
        return;
    }
    if (revents & POLLOUT)
        conn_write(c);
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->state != CONN_FAILED &&
        c->state != CONN_READY)
        conn_read(c);
    if (now >= c->deadline) {
        switch (c->state) {
        case CONN_CONNECTING:
            conn_fail_ms(c, ERR_TIMEOUT, "no answer to connect within %s ms", c->timeout_ms);
            break;
        case CONN_GREETING:
            conn_fail_ms(c, ERR_TIMEOUT,
                         "connected, but no prompt within %s ms (not a micrOS shell, or a hung "
                         "node)",
                         c->timeout_ms);
            break;
        case CONN_AUTH:
            conn_fail_ms(c, ERR_TIMEOUT, "no answer to the password within %s ms", c->timeout_ms);
            break;
        case CONN_WAITING:
            conn_fail_ms(c, ERR_TIMEOUT, "no complete reply within %s ms", c->reply_timeout_ms);
            break;
        default: break;
        }
    }
}

static int conn_queue(struct conn *c, const char *text, enum conn_state next, unsigned tmo)
{
    if (c->state != CONN_READY)
        return ERR_INVAL;
    if (c->is_closed_by_node) {
        conn_fail(c, ERR_CLOSED, "the node closed the connection (Bye!)%s", "");
        return ERR_CLOSED;
    }
    size_t n = strlen(text);
    if (n == 0 || n > sizeof c->out)
        return ERR_INVAL;
    memcpy(c->out, text, n);
    c->out_len = n;
    c->out_off = 0;
    c->in_len = 0;
    c->reply_len = 0;
    c->state = next;
    c->deadline = conn_now_ms() + tmo;
    conn_write(c);
    return c->state == CONN_FAILED ? c->err : 0;
}

int conn_send(struct conn *c, const char *cmd)
{
    return conn_queue(c, cmd, CONN_WAITING, c->reply_timeout_ms);
}

int conn_login(struct conn *c, const char *pwd)
{
    if (!c->is_locked)
        return 0;
    return conn_queue(c, pwd, CONN_AUTH, c->timeout_ms);
}

const char *conn_reply(const struct conn *c, size_t *len)
{
    *len = c->reply_len;
    return c->in ? c->in : "";
}

int conn_wait(struct conn *c)
{
    while (c->state != CONN_READY && c->state != CONN_FAILED && c->state != CONN_IDLE) {
        uint64_t now = conn_now_ms();
        int ms = c->deadline > now ? (int)(c->deadline - now) : 0;
        struct pollfd p = {.fd = c->fd, .events = conn_events(c)};
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        conn_step(c, r > 0 ? p.revents : 0, conn_now_ms());
    }
    return c->state == CONN_FAILED ? c->err : 0;
}

int conn_open(struct conn *c, const struct sockaddr_in *addr)
{
    int rc = conn_start(c, addr);
    return rc ? rc : conn_wait(c);
}

int conn_cmd(struct conn *c, const char *cmd)
{
    int rc = conn_send(c, cmd);
    return rc ? rc : conn_wait(c);
}

void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    if (c->state != CONN_FAILED)
        c->state = CONN_IDLE;
}

static bool line_is(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    while (n > 0 && *p == ' ') {
        p++;
        n--;
    }
    return n == k && memcmp(p, word, k) == 0;
}

bool conn_reply_is_error(const char *reply, size_t len, bool conf_mode)
{
    const char *p = reply, *end = reply + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if ((n >= 10 && memcmp(p, "Core error", 10) == 0) ||
            mem_has(p, n, "Shell: for hints type help.") || mem_has(p, n, "Shell: line too long") ||
            mem_has(p, n, "AuthFailed"))
            return true;
        if (conf_mode && (line_is(p, n, "Invalid key") || line_is(p, n, "Failed to save") ||
                          line_is(p, n, "None")))
            return true;
        p += n + 1;
    }
    return false;
}
