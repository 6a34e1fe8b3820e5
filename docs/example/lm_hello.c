/* lm_hello.c - the example Load Module of docs/modules.md: a greeting, a counter with a
 * dashboard button, the built-in LED, and a countdown that runs over time as a task.
 *
 * Try it: add X(hello) to modules/modules.def and docs/example/lm_hello.c to MODULE_SOURCES in
 * Filelists.cmake, rebuild, then in the shell:
 *     hello greet name='micrOS'      -> Hello micrOS!
 *     hello count                    -> {'count': 1}
 *     hello led True                 -> {'count': 1, 'led': 1}
 *     hello countdown 3 &            -> {'hello.countdown': 'Starting'}; task show hello.countdown
 */
#include "../../core/err.h"
#include "../../hal/hal_gpio.h"
#include "../../svc/lm.h"
#include "../../svc/pinmap.h"

/* Module state: file statics, set up by load() on first use. */
static struct {
    int64_t count;
    int led;     /* 0/1 */
    int led_pin; /* -1 until booked */
} s_hello;

/* Called once, before the first call of any function (micrOS's lazy import). */
static int hello_load(struct node *node)
{
    (void)node;
    s_hello.count = 0;
    s_hello.led = 0;
    s_hello.led_pin = -1;
    return 0;
}

/* The shared reply of count, led and status: a dict, as micrOS's status() returns. */
static int reply_status(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "count", val_int(ctx->arena, s_hello.count));
    if (s_hello.led_pin >= 0)
        val_dict_set(ctx->arena, d, "led", val_int(ctx->arena, s_hello.led));
    return 0;
}

/* greet name='World': arguments come bound and type-checked by their declared names. */
static int fn_greet(struct lm_ctx *ctx)
{
    return lm_ret_strf(ctx, "Hello %s!", lm_str(ctx, "name"));
}

/* count step=1: state that lives as long as the node. */
static int fn_count(struct lm_ctx *ctx)
{
    int64_t step = lm_int(ctx, "step");
    if (step < 1 || step > 100)
        return lm_error(ctx, "step must be 1-100, not %lld", (long long)step);
    s_hello.count += step;
    return reply_status(ctx);
}

/* led state=<True,False>: a pin booked from the pin map, driven through the hal. */
static int fn_led(struct lm_ctx *ctx)
{
    if (s_hello.led_pin < 0) {
        char err[128];
        int pin = pinmap_bind("builtin", -1, err, sizeof err);
        if (pin < 0)
            return lm_error(ctx, "%s", err); /* e.g. another module drives the pin */
        int rc = hal_gpio_setup(pin, HAL_PIN_OUT);
        if (rc < 0)
            return lm_error(ctx, "LED pin %d: %s", pin, err_str(rc));
        s_hello.led_pin = pin;
    }
    s_hello.led = lm_is_none(ctx, "state") ? !s_hello.led : lm_bool(ctx, "state");
    int rc = hal_gpio_write(s_hello.led_pin, s_hello.led);
    if (rc < 0)
        return lm_error(ctx, "LED write: %s", err_str(rc));
    return reply_status(ctx);
}

/* countdown n=3: long-running work. Inside a task (`hello countdown 3 &`) it asks to be called
 * again every 100 ms with lm_again, keeping its progress in ctx->state; outside a task it
 * would have to block, so it refuses and says how to run it. */
struct countdown_state {
    int64_t left;
};

static int fn_countdown(struct lm_ctx *ctx)
{
    if (!ctx->is_task)
        return lm_error(ctx, "run it as a task: hello countdown %lld &",
                        (long long)lm_int(ctx, "n"));
    struct countdown_state *st = ctx->state;
    if (ctx->step == 0)
        st->left = lm_int(ctx, "n");
    if (st->left <= 0)
        return lm_ret_str(ctx, "Lift off!");
    lm_push(ctx, "countdown: %lld", (long long)st->left);
    st->left--;
    lm_again(ctx, 100);
    return lm_ret_strf(ctx, "%lld left", (long long)(st->left + 1));
}

static int fn_status(struct lm_ctx *ctx)
{
    return reply_status(ctx);
}

/* The table: name, handler, parameters {name, type, default (NULL = required), choice},
 * dashboard widget (COMPAT §9), flags. */
static const struct lm_func s_funcs[] = {
    {.name = "greet", .fn = fn_greet, .params = LM_PARAMS({"name", LM_STR, "'World'", NULL})},
    {.name = "count",
     .fn = fn_count,
     .params = LM_PARAMS({"step", LM_INT, "1", NULL}),
     .widget = "BUTTON"},
    {.name = "led",
     .fn = fn_led,
     .params = LM_PARAMS({"state", LM_BOOL, "None", "True,False"}),
     .widget = "BUTTON"},
    {.name = "countdown", .fn = fn_countdown, .params = LM_PARAMS({"n", LM_INT, "3", "1-10"})},
    {.name = "status", .fn = fn_status, .widget = "STATUS"},
    {.name = NULL},
};

const struct lm_module lm_hello = {.name = "hello", .funcs = s_funcs, .load = hello_load};
