/* hal_net.c - non-blocking TCP sockets on Linux (hal/hal_net.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include "../../hal/hal_net.h"

#include "../../core/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int map_errno(int e)
{
    switch (e) {
    case EAGAIN: return ERR_AGAIN;
    case EADDRINUSE: return ERR_ADDRINUSE;
    case EACCES:
    case EPERM: return ERR_PERM;
    case ECONNREFUSED: return ERR_CONNREFUSED;
    case ETIMEDOUT: return ERR_TIMEOUT;
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN: return ERR_CLOSED;
    case EMFILE:
    case ENFILE: return ERR_FULL;
    case ENOMEM:
    case ENOBUFS: return ERR_NOMEM;
    default: return ERR_IO;
    }
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return ERR_IO;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Fills ss from an IPv4 or IPv6 literal; returns the address length or 0. */
static socklen_t make_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        return sizeof *a4;
    }
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        return sizeof *a6;
    }
    return 0;
}

int hal_tcp_listen(const char *addr, uint16_t port, int backlog)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, addr, port);
    if (!len)
        return ERR_INVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return map_errno(errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef __linux__
    /* Linux copies TCP_NODELAY from the listener to every accepted socket: set once here,
     * not once per connection. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#endif
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0 ||
        set_nonblock(fd) < 0) {
        int rc = map_errno(errno);
        close(fd);
        return rc;
    }
    return fd;
}

long hal_sock_pending(int fd)
{
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0)
        return ERR_IO;
    return n;
}

uint16_t hal_sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int hal_tcp_accept(int lfd, char *peer, size_t peercap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
#ifdef SOCK_NONBLOCK
    /* One call instead of accept + three fcntl: a new connection per request pays them all. */
    int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return errno == EWOULDBLOCK ? ERR_AGAIN : map_errno(errno);
#else
    int fd = accept(lfd, (struct sockaddr *)&ss, &len);
    if (fd < 0)
        return errno == EWOULDBLOCK ? ERR_AGAIN : map_errno(errno);
    if (set_nonblock(fd) < 0) {
        close(fd);
        return ERR_IO;
    }
#endif
#ifndef __linux__
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#endif
    char ip[INET6_ADDRSTRLEN] = "?";
    uint16_t port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    if (peer && peercap)
        snprintf(peer, peercap, "%s:%u", ip, (unsigned)port);
    return fd;
}

int hal_tcp_connect(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, ip, port);
    if (!len)
        return ERR_INVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return map_errno(errno);
    if (set_nonblock(fd) < 0) {
        close(fd);
        return ERR_IO;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        int rc = map_errno(errno);
        close(fd);
        return rc;
    }
    return fd;
}

int hal_tcp_connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return map_errno(errno);
    return err ? map_errno(err) : 0;
}

long hal_sock_recv(int fd, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n > 0)
            return (long)n;
        if (n == 0)
            return ERR_CLOSED;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? ERR_AGAIN : map_errno(errno);
    }
}

long hal_sock_send(int fd, const void *buf, size_t len)
{
    for (;;) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? ERR_AGAIN : map_errno(errno);
    }
}

void hal_sock_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
