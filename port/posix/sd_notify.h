/* sd_notify.h - tell systemd how the node is doing (Type=notify services), without libsystemd.
 * The protocol: one datagram with "KEY=value" lines to the AF_UNIX socket named by the
 * NOTIFY_SOCKET environment variable (a path, or "@name" for an abstract socket). Without
 * NOTIFY_SOCKET (not started by systemd) every call does nothing. */
#ifndef MICROS_PORT_POSIX_SD_NOTIFY_H
#define MICROS_PORT_POSIX_SD_NOTIFY_H

/* Sends state (e.g. "READY=1\nSTATUS=...") to systemd. Returns 1 when sent, 0 when no
 * NOTIFY_SOCKET is set, or a negative ERR_* code when it could not be sent (nothing blocks:
 * the socket is a local datagram socket, sent with MSG_DONTWAIT). */
int sd_notify_send(const char *state);

#endif
