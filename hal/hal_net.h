/* hal_net.h - non-blocking TCP sockets. Descriptors are small ints the event loop watches. */
#ifndef HAL_NET_H
#define HAL_NET_H

#include <stddef.h>
#include <stdint.h>

/* Listens on addr ("0.0.0.0", "127.0.0.1", "::") and port (0 = any free port).
 * Returns the fd, ERR_ADDRINUSE, ERR_PERM or ERR_IO. */
int hal_tcp_listen(const char *addr, uint16_t port, int backlog);
/* Returns the local port of a bound socket, or 0. */
uint16_t hal_sock_port(int fd);
/* Accepts one pending connection as a non-blocking fd and writes the peer as "ip:port"
 * into peer. Returns the fd, ERR_AGAIN when none is pending, ERR_FULL when out of
 * descriptors, or ERR_IO. */
int hal_tcp_accept(int lfd, char *peer, size_t peercap);
/* Starts a non-blocking connect to ip:port (an IPv4 or IPv6 literal). Returns the fd; the
 * connection is ready when the fd becomes writable (then check hal_tcp_connect_result). */
int hal_tcp_connect(const char *ip, uint16_t port);
/* Returns 0 when a connect finished successfully, ERR_CONNREFUSED/ERR_TIMEOUT/ERR_IO else. */
int hal_tcp_connect_result(int fd);
/* Reads up to len bytes. Returns the count, ERR_CLOSED at end of stream, ERR_AGAIN, ERR_IO. */
long hal_sock_recv(int fd, void *buf, size_t len);
/* Writes up to len bytes. Returns the count, ERR_AGAIN, ERR_CLOSED or ERR_IO. */
long hal_sock_send(int fd, const void *buf, size_t len);
/* Returns how many received bytes wait to be read (without reading them), or ERR_IO. */
long hal_sock_pending(int fd);
/* Closes the socket. */
void hal_sock_close(int fd);

#endif
