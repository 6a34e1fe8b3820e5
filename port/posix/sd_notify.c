/* sd_notify.c - the systemd readiness notification over NOTIFY_SOCKET (see sd_notify.h). */
#include "sd_notify.h"

#include "../../core/err.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sd_notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0])
        return 0;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(path);
    /* A path must be absolute; "@name" names an abstract socket (leading NUL byte). */
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path)
        return ERR_INVAL;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ERR_IO;
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
                       (const struct sockaddr *)&sa, salen);
    close(fd);
    return n < 0 ? ERR_IO : 1;
}
