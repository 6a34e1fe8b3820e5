/* hal_bus.c - hal_bus.h on Linux: dispatches I2C/SPI to the simulated bank (sim_bus.c) or the
 * kernel (bus_linux.c), and keeps the open UARTs: a simulated one is fed a radar frame by a
 * loop timer, a real one is read from an fd watcher, both on the event loop. */
#include "bus_priv.h"
#include "sim_bus_priv.h"

#include "../../core/err.h"
#include "../../core/ev.h"
#include "../../core/log.h"
#include "../../hal/hal_bus.h"

#include <stdio.h>
#include <string.h>

#define UART_CHUNK 512 /* bytes read per readiness report */

struct uart {
    bool is_open;
    bool is_sim;
    int fd;
    hal_uart_rx_fn *cb;
    void *arg;
    struct ev_timer tick; /* sim: the radar's report period */
    uint64_t rx_bytes;
};

static struct {
    struct ev_loop *loop;
    bool is_linux;
    struct uart uart[HAL_UART_MAX];
} s_hb;

int hal_bus_init(struct ev_loop *loop, const char *backend)
{
    hal_bus_deinit();
    s_hb.loop = loop;
    if (!backend || !*backend || strcmp(backend, "sim") == 0) {
        s_hb.is_linux = false;
        return 0;
    }
    if (strcmp(backend, "linux") == 0) {
        s_hb.is_linux = true;
        return 0;
    }
    s_hb.is_linux = false;
    return ERR_INVAL;
}

void hal_bus_deinit(void)
{
    for (int i = 0; i < HAL_UART_MAX; i++)
        hal_uart_close(i);
}

const char *hal_bus_backend(void)
{
    return s_hb.is_linux ? "linux" : "sim";
}

int hal_i2c_scan(int bus, uint8_t *addrs, size_t cap)
{
    return s_hb.is_linux ? linux_i2c_scan(bus, addrs, cap) : sim_i2c_scan(bus, addrs, cap);
}

int hal_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn)
{
    if (wn > HAL_I2C_XFER_MAX || rn > HAL_I2C_XFER_MAX)
        return ERR_TOOBIG;
    if (addr > 0x7f)
        return ERR_RANGE;
    return s_hb.is_linux ? linux_i2c_xfer(bus, addr, wr, wn, rd, rn)
                         : sim_i2c_xfer(bus, addr, wr, wn, rd, rn);
}

int hal_spi_xfer(int bus, int cs, uint32_t hz, const uint8_t *tx, uint8_t *rx, size_t n)
{
    if (n > HAL_SPI_XFER_MAX)
        return ERR_TOOBIG;
    return s_hb.is_linux ? linux_spi_xfer(bus, cs, hz, tx, rx, n)
                         : sim_spi_xfer(bus, cs, tx, rx, n);
}

static int64_t sim_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct uart *u = t->arg;
    uint8_t frame[HAL_SIM_LD2410_FRAME];
    size_t n = sim_uart_frame(frame, sizeof frame);
    u->rx_bytes += n;
    u->cb((int)(u - s_hb.uart), frame, n, u->arg);
    return u->is_open ? HAL_SIM_LD2410_MS : EV_DONE;
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    struct uart *u = arg;
    uint8_t buf[UART_CHUNK];
    long n = linux_uart_read(u->fd, buf, sizeof buf);
    if (n > 0) {
        u->rx_bytes += (uint64_t)n;
        u->cb((int)(u - s_hb.uart), buf, (size_t)n, u->arg);
    } else if (n < 0 || (events & EV_ERROR)) {
        /* The device went away (USB adapter unplugged, pty closed): stop watching. */
        LOG_W("uart %d: read failed: %s; closed", (int)(u - s_hb.uart),
              err_str(n < 0 ? (int)n : ERR_CLOSED));
        ev_io_stop(s_hb.loop, u->fd);
    }
}

int hal_uart_open(int port, const char *path, uint32_t baud, hal_uart_rx_fn *cb, void *arg)
{
    if (!cb || !s_hb.loop || baud == 0)
        return ERR_INVAL;
    int h = -1;
    for (int i = 0; i < HAL_UART_MAX && h < 0; i++)
        if (!s_hb.uart[i].is_open)
            h = i;
    if (h < 0)
        return ERR_FULL;
    struct uart *u = &s_hb.uart[h];
    memset(u, 0, sizeof *u);
    u->cb = cb;
    u->arg = arg;
    u->fd = -1;
    if (!s_hb.is_linux && (!path || !*path)) {
        u->is_sim = true;
        u->is_open = true;
        u->tick.arg = u;
        int rc = ev_timer_start(s_hb.loop, &u->tick, HAL_SIM_LD2410_MS, sim_tick);
        if (rc < 0)
            u->is_open = false;
        return rc < 0 ? rc : h;
    }
    char dev[HAL_UART_PATH];
    if (path && *path)
        snprintf(dev, sizeof dev, "%s", path);
    else
        snprintf(dev, sizeof dev, "/dev/ttyAMA%d", port);
    int fd = linux_uart_open(dev, baud);
    if (fd < 0)
        return fd;
    int rc = ev_io_start(s_hb.loop, fd, EV_READ, on_readable, u);
    if (rc < 0) {
        linux_uart_close(fd);
        return rc;
    }
    u->fd = fd;
    u->is_open = true;
    return h;
}

int hal_uart_write(int uart, const uint8_t *data, size_t n)
{
    if (uart < 0 || uart >= HAL_UART_MAX || !s_hb.uart[uart].is_open)
        return ERR_INVAL;
    struct uart *u = &s_hb.uart[uart];
    if (u->is_sim)
        return (int)n; /* the simulated radar takes commands and ignores them */
    long w = linux_uart_write(u->fd, data, n);
    return (int)w;
}

void hal_uart_close(int uart)
{
    if (uart < 0 || uart >= HAL_UART_MAX || !s_hb.uart[uart].is_open)
        return;
    struct uart *u = &s_hb.uart[uart];
    if (u->is_sim)
        ev_timer_stop(s_hb.loop, &u->tick);
    else {
        ev_io_stop(s_hb.loop, u->fd);
        linux_uart_close(u->fd);
    }
    u->is_open = false;
}

uint64_t hal_uart_rx_bytes(int uart)
{
    if (uart < 0 || uart >= HAL_UART_MAX || !s_hb.uart[uart].is_open)
        return 0;
    return s_hb.uart[uart].rx_bytes;
}
