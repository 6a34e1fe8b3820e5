/* main.c - Cortex-M port: start a node from the RAM file system and run its loop.
 *
 * With hal_net reporting no interface, app_init stops at the shell listener with a clear
 * error; the loop then has nothing to serve and the board sleeps. */
#include "../../app/app.h"
#include "../../core/ev.h"

int main(void)
{
    static struct app app;
    struct app_options opt = {.data_dir = "", .bind_addr = "0.0.0.0", .port = -1, .webport = -1};
    if (app_init(&app, &opt) == 0)
        app_run(&app);
    app_deinit(&app);
    for (;;)
        __asm__ volatile("wfi");
}
