/* bus_linux.c - hal_bus.h on the kernel's character devices: /dev/i2c-N with one I2C_RDWR
 * ioctl per transfer (write, repeated start, read), /dev/spidevB.C with SPI_IOC_MESSAGE, and
 * serial ports through termios, raw 8N1, non-blocking. Each I2C/SPI call opens and closes its
 * node (a few microseconds) so a missing or re-plugged adapter is reported per call. */
#include "bus_priv.h"

#include "../../core/err.h"
#include "../../hal/hal_bus.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int map_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
    case EREMOTEIO: return ERR_NOENT; /* no adapter, or no ACK */
    case EACCES:
    case EPERM: return ERR_PERM;
    case ETIMEDOUT: return ERR_TIMEOUT;
    case EAGAIN: return ERR_AGAIN;
    case EOPNOTSUPP: return ERR_NOTSUP;
    case EINVAL: return ERR_INVAL;
    case EBUSY: return ERR_BUSY;
    default: return ERR_IO;
    }
}

int linux_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn)
{
    if (wn > HAL_I2C_XFER_MAX || rn > HAL_I2C_XFER_MAX)
        return ERR_TOOBIG;
    char p[32];
    snprintf(p, sizeof p, "/dev/i2c-%d", bus);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    struct i2c_msg msgs[2];
    unsigned n = 0;
    if (wn)
        msgs[n++] = (struct i2c_msg){addr, 0, (uint16_t)wn, (uint8_t *)(uintptr_t)wr};
    if (rn)
        msgs[n++] = (struct i2c_msg){addr, I2C_M_RD, (uint16_t)rn, rd};
    struct i2c_rdwr_ioctl_data data = {msgs, n};
    int rc = 0;
    if (n > 0 && ioctl(fd, I2C_RDWR, &data) < 0)
        rc = errno == EIO ? ERR_NOENT : map_errno(errno); /* most adapters say EIO for a NAK */
    close(fd);
    return rc;
}

int linux_i2c_scan(int bus, uint8_t *addrs, size_t cap)
{
    size_t n = 0;
    for (int a = 0x08; a <= 0x77 && n < cap; a++) {
        uint8_t b;
        int rc = linux_i2c_xfer(bus, (uint8_t)a, NULL, 0, &b, 1);
        if (rc == 0)
            addrs[n++] = (uint8_t)a;
        else if (rc != ERR_NOENT || a == 0x08) {
            /* a missing adapter shows on the first probe */
            char p[32];
            snprintf(p, sizeof p, "/dev/i2c-%d", bus);
            if (access(p, F_OK) != 0)
                return ERR_NOENT;
            if (rc != ERR_NOENT)
                return rc;
        }
    }
    return (int)n;
}

int linux_spi_xfer(int bus, int cs, uint32_t hz, const uint8_t *tx, uint8_t *rx, size_t n)
{
    if (n > HAL_SPI_XFER_MAX)
        return ERR_TOOBIG;
    char p[48];
    snprintf(p, sizeof p, "/dev/spidev%d.%d", bus, cs);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    uint8_t mode = SPI_MODE_0;
    struct spi_ioc_transfer t;
    memset(&t, 0, sizeof t);
    t.tx_buf = (uintptr_t)tx;
    t.rx_buf = (uintptr_t)rx;
    t.len = (uint32_t)n;
    t.speed_hz = hz;
    t.bits_per_word = 8;
    int rc = 0;
    if (ioctl(fd, SPI_IOC_WR_MODE, &mode) < 0 || ioctl(fd, SPI_IOC_MESSAGE(1), &t) < 0)
        rc = map_errno(errno);
    close(fd);
    return rc;
}

static speed_t baud_const(uint32_t baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

/* Sets a baud rate termios has no constant for (the ld2410's 256000) through termios2. */
int uart_set_custom_baud(int fd, uint32_t baud);

int linux_uart_open(const char *path, uint32_t baud)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    struct termios t;
    if (tcgetattr(fd, &t) < 0) {
        int rc = errno == ENOTTY ? ERR_INVAL : map_errno(errno);
        close(fd);
        return rc;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= (tcflag_t) ~(CSTOPB | PARENB | CRTSCTS);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    speed_t sp = baud_const(baud);
    if (sp) {
        cfsetispeed(&t, sp);
        cfsetospeed(&t, sp);
    }
    if (tcsetattr(fd, TCSANOW, &t) < 0 || (!sp && uart_set_custom_baud(fd, baud) < 0)) {
        int rc = map_errno(errno);
        close(fd);
        return rc;
    }
    return fd;
}

long linux_uart_read(int fd, uint8_t *buf, size_t cap)
{
    ssize_t n = read(fd, buf, cap);
    if (n >= 0)
        return (long)n;
    return errno == EAGAIN || errno == EINTR ? 0 : map_errno(errno);
}

long linux_uart_write(int fd, const uint8_t *data, size_t n)
{
    ssize_t w = write(fd, data, n);
    return w >= 0 ? (long)w : map_errno(errno);
}

void linux_uart_close(int fd)
{
    close(fd);
}
