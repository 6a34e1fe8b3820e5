/* bus_priv.h - the Linux backend of hal_bus.h (bus_linux.c): the kernel's i2c-dev, spidev
 * and termios serial ports. Same contracts as the hal calls. */
#ifndef BUS_PRIV_H
#define BUS_PRIV_H

#include <stddef.h>
#include <stdint.h>

int linux_i2c_scan(int bus, uint8_t *addrs, size_t cap);
int linux_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn);
int linux_spi_xfer(int bus, int cs, uint32_t hz, const uint8_t *tx, uint8_t *rx, size_t n);
/* Opens path raw 8N1 at baud, non-blocking. Returns the fd or ERR_*. */
int linux_uart_open(const char *path, uint32_t baud);
/* Reads what is there (never blocks). Returns bytes read, 0 (nothing), or ERR_*. */
long linux_uart_read(int fd, uint8_t *buf, size_t cap);
/* Writes what the device takes now. Returns bytes written or ERR_AGAIN / ERR_*. */
long linux_uart_write(int fd, const uint8_t *data, size_t n);
void linux_uart_close(int fd);

#endif
