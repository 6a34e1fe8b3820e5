/* hal_net.c - Cortex-M port: a board with no network interface.
 *
 * Every socket call returns ERR_NOTSUP, so the shell server cannot listen and app_init
 * reports that clearly. A board with Ethernet or Wi-Fi replaces this file with one over its
 * TCP/IP stack (lwIP sockets on ESP-IDF). */
#include "../../core/err.h"
#include "../../hal/hal_net.h"

int hal_tcp_listen(const char *addr, uint16_t port, int backlog)
{
    (void)addr;
    (void)port;
    (void)backlog;
    return ERR_NOTSUP;
}

uint16_t hal_sock_port(int fd)
{
    (void)fd;
    return 0;
}

int hal_tcp_accept(int lfd, char *peer, size_t peercap)
{
    (void)lfd;
    if (peercap)
        peer[0] = '\0';
    return ERR_NOTSUP;
}

int hal_tcp_connect(const char *ip, uint16_t port)
{
    (void)ip;
    (void)port;
    return ERR_NOTSUP;
}

int hal_tcp_connect_result(int fd)
{
    (void)fd;
    return ERR_NOTSUP;
}

long hal_sock_recv(int fd, void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return ERR_NOTSUP;
}

long hal_sock_send(int fd, const void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return ERR_NOTSUP;
}

long hal_sock_pending(int fd)
{
    (void)fd;
    return ERR_NOTSUP;
}

void hal_sock_close(int fd)
{
    (void)fd;
}
