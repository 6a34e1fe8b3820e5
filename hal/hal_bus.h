/* hal_bus.h - the buses sensors, displays and radars hang on: I2C, SPI and UART.
 *
 * On Linux the port implements them twice, chosen with hal_bus_init: the simulated bus bank
 * (default; device models at register level, see hal_sim.h) and the kernel's character
 * devices (/dev/i2c-N through I2C_RDWR, /dev/spidevB.C, a termios serial port). Every call
 * returns quickly: I2C and SPI transfers are a few bytes at bus speed, and a UART is read
 * without blocking from the event loop, which calls the receive callback with what arrived.
 *
 * Errors a module turns into a Core error: ERR_NOENT (no device answered: no ACK, no
 * /dev node), ERR_IO (the transfer failed half way), ERR_TIMEOUT (the device kept the bus),
 * ERR_NOTSUP (no such bus in this build), ERR_PERM (no access to the /dev node). */
#ifndef HAL_BUS_H
#define HAL_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;

#define HAL_I2C_XFER_MAX 1100 /* bytes per transfer direction (a 128x64 framebuffer + 1) */
#define HAL_SPI_XFER_MAX 4096 /* bytes per SPI transfer */
#define HAL_UART_MAX     4    /* UARTs open at once */
#define HAL_UART_PATH    96   /* longest device path + 1 */

/* Selects the backend: "sim" (simulated devices) or "linux" (the kernel's /dev nodes); loop
 * is where UART bytes are delivered. Returns 0 or ERR_INVAL (unknown backend). */
int hal_bus_init(struct ev_loop *loop, const char *backend);
/* Closes every UART. */
void hal_bus_deinit(void);
/* Returns the backend's name ("sim" or "linux"). */
const char *hal_bus_backend(void);

/* I2C: probes every 7-bit address 0x08..0x77 of bus; writes up to cap answering addresses,
 * ascending. Returns the count or ERR_*. */
int hal_i2c_scan(int bus, uint8_t *addrs, size_t cap);
/* I2C: writes wn bytes then, with a repeated start, reads rn bytes (either may be 0). Returns 0
 * or ERR_* (ERR_NOENT: no ACK, ERR_TOOBIG: more than HAL_I2C_XFER_MAX). */
int hal_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn);

/* SPI: full-duplex transfer of n bytes on bus/cs at hz (mode 0): tx out, rx in (rx may be
 * NULL, tx may be NULL for zeros). Returns 0 or ERR_*. */
int hal_spi_xfer(int bus, int cs, uint32_t hz, const uint8_t *tx, uint8_t *rx, size_t n);

/* Called from the event loop with bytes a UART received. */
typedef void hal_uart_rx_fn(int uart, const uint8_t *data, size_t n, void *arg);
/* Opens UART port (a number: the simulator's port, or on Linux /dev/ttyAMA<port>) or, when
 * path is not NULL/empty, that device (a pty in tests) at baud, 8N1, raw. Received bytes go
 * to cb from the event loop. Returns a handle >= 0 or ERR_* (ERR_FULL: HAL_UART_MAX open). */
int hal_uart_open(int port, const char *path, uint32_t baud, hal_uart_rx_fn *cb, void *arg);
/* Queues n bytes for sending; never blocks (ERR_AGAIN when the device's buffer is full).
 * Returns the number of bytes taken or ERR_*. */
int hal_uart_write(int uart, const uint8_t *data, size_t n);
/* Closes the UART (no callback afterwards). */
void hal_uart_close(int uart);
/* Bytes received on uart since it was opened (0 for a closed handle). */
uint64_t hal_uart_rx_bytes(int uart);

#endif
