/* hal_bus.c - Cortex-M port: no bus drivers yet; every call reports ERR_NOTSUP. */
#include "../../core/err.h"
#include "../../hal/hal_bus.h"

int hal_bus_init(struct ev_loop *loop, const char *backend)
{
    (void)loop;
    (void)backend;
    return ERR_NOTSUP;
}

void hal_bus_deinit(void) {}

const char *hal_bus_backend(void)
{
    return "none";
}

int hal_i2c_scan(int bus, uint8_t *addrs, size_t cap)
{
    (void)bus;
    (void)addrs;
    (void)cap;
    return ERR_NOTSUP;
}

int hal_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn)
{
    (void)bus;
    (void)addr;
    (void)wr;
    (void)wn;
    (void)rd;
    (void)rn;
    return ERR_NOTSUP;
}

int hal_spi_xfer(int bus, int cs, uint32_t hz, const uint8_t *tx, uint8_t *rx, size_t n)
{
    (void)bus;
    (void)cs;
    (void)hz;
    (void)tx;
    (void)rx;
    (void)n;
    return ERR_NOTSUP;
}

int hal_uart_open(int port, const char *path, uint32_t baud, hal_uart_rx_fn *cb, void *arg)
{
    (void)port;
    (void)path;
    (void)baud;
    (void)cb;
    (void)arg;
    return ERR_NOTSUP;
}

int hal_uart_write(int uart, const uint8_t *data, size_t n)
{
    (void)uart;
    (void)data;
    (void)n;
    return ERR_NOTSUP;
}

void hal_uart_close(int uart)
{
    (void)uart;
}

uint64_t hal_uart_rx_bytes(int uart)
{
    (void)uart;
    return 0;
}
