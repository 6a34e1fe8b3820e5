/* lm_roboarm.c - Load Module `roboarm` (micrOS LM_roboarm): a two-servo pan/tilt arm (pins
 * servo_1 = X, servo_2 = Y, 50 Hz, duty 40-115, centre 77) with smooth moves: a move walks both
 * servos in a straight line, one duty unit of the longer axis every speed_ms. micrOS sleeps
 * between the steps; here a move runs on a loop timer (the call returns at once and a new
 * move takes over from where the arm is), or, called as a task (`roboarm control 100 50 &`),
 * one step per task iteration so `task kill` stops the arm where it is. Waypoint sequences
 * (jiggle, boot_move, random, play) are queued on the same timer. record keeps the current
 * position in data/rarm.cache and play replays the record (micrOS's play also takes X Y pairs
 * as arguments; ours plays the record only). */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/persist.h"
#include "../svc/pinmap.h"

#include <stdio.h>
#include <stdlib.h>

#define ARM_MIN    40
#define ARM_MAX    115
#define ARM_CENTER 77
#define ARM_QUEUE  16

static struct {
    bool is_loaded;
    int pin[2];
    int x, y;     /* where the servos are */
    int speed_ms; /* per step */
    struct ev_timer timer;
    struct ev_loop *loop;
    int qx[ARM_QUEUE], qy[ARM_QUEUE];
    size_t qn, qi;
    /* the move in progress */
    int fx, fy, tx, ty, step, steps;
    /* record/play: positions kept in data/rarm.cache ("x,y,x,y,...", as micrOS) */
    int rec[ARM_QUEUE * 2];
    size_t nrec;
    bool is_rec_read;
} s_arm = {.pin = {-1, -1}, .x = ARM_CENTER, .y = ARM_CENTER, .speed_ms = 10};

static const char *const s_tags[2] = {"servo_1", "servo_2"};

static void put(int x, int y)
{
    hal_pwm_set_duty(s_arm.pin[0], (uint32_t)x);
    hal_pwm_set_duty(s_arm.pin[1], (uint32_t)y);
    s_arm.x = x;
    s_arm.y = y;
}

static int setup(struct lm_ctx *ctx)
{
    if (s_arm.is_loaded)
        return 0;
    char err[128];
    for (int i = 0; i < 2; i++) {
        int pin = pinmap_bind(s_tags[i], -1, err, sizeof err);
        int rc = pin < 0 ? pin : hal_pwm_setup(pin, 50);
        if (rc < 0) {
            for (int j = 0; j <= i; j++)
                pinmap_release(s_tags[j]);
            return pin < 0 ? lm_error(ctx, "%s", err)
                           : lm_error(ctx, "[io] %s:%d: %s", s_tags[i], pin, err_str(rc));
        }
        s_arm.pin[i] = pin;
    }
    s_arm.loop = ctx->node->loop;
    s_arm.is_loaded = true;
    put(s_arm.x, s_arm.y);
    return 0;
}

static void begin(int x, int y)
{
    s_arm.fx = s_arm.x;
    s_arm.fy = s_arm.y;
    s_arm.tx = x;
    s_arm.ty = y;
    int dx = abs(x - s_arm.x), dy = abs(y - s_arm.y);
    s_arm.steps = dx > dy ? dx : dy;
    s_arm.step = 0;
}

/* One step of the move in progress; returns true while it goes on. */
static bool advance(void)
{
    if (s_arm.step >= s_arm.steps)
        return false;
    s_arm.step++;
    int x = s_arm.fx + (s_arm.tx - s_arm.fx) * s_arm.step / s_arm.steps;
    int y = s_arm.fy + (s_arm.ty - s_arm.fy) * s_arm.step / s_arm.steps;
    put(x, y);
    return s_arm.step < s_arm.steps;
}

static int64_t timer_cb(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (advance())
        return s_arm.speed_ms;
    if (s_arm.qi < s_arm.qn) {
        begin(s_arm.qx[s_arm.qi], s_arm.qy[s_arm.qi]);
        s_arm.qi++;
        return s_arm.speed_ms;
    }
    return EV_DONE;
}

/* Replaces whatever runs with the waypoints (x, y)... and starts the timer. */
static void run(const int *xs, const int *ys, size_t n)
{
    s_arm.qn = n < ARM_QUEUE ? n : ARM_QUEUE;
    for (size_t i = 0; i < s_arm.qn; i++) {
        s_arm.qx[i] = xs[i];
        s_arm.qy[i] = ys[i];
    }
    s_arm.qi = 0;
    s_arm.steps = s_arm.step = 0;
    ev_timer_start(s_arm.loop, &s_arm.timer, 0, timer_cb);
}

static int clampv(int v)
{
    return v < ARM_MIN ? ARM_MIN : v > ARM_MAX ? ARM_MAX : v;
}

static int fn_load(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    ev_timer_stop(s_arm.loop, &s_arm.timer);
    put(ARM_CENTER, ARM_CENTER);
    return lm_ret_strf(ctx, "Init and Move to home X%d, Y%d", ARM_CENTER, ARM_CENTER);
}

static int fn_control(struct lm_ctx *ctx)
{
    int64_t x = lm_int(ctx, "x"), y = lm_int(ctx, "y");
    if (x < ARM_MIN || x > ARM_MAX || y < ARM_MIN || y > ARM_MAX)
        return lm_ret_strf(ctx, "X%lld/Y%lld out of range... range: %d-%d", (long long)x,
                           (long long)y, ARM_MIN, ARM_MAX);
    if (setup(ctx) < 0)
        return ERR_INVAL;
    if (!lm_is_none(ctx, "speed_ms")) {
        int64_t ms = lm_int(ctx, "speed_ms");
        s_arm.speed_ms = ms < 1 ? 1 : ms > 1000 ? 1000 : (int)ms;
    }
    if (ctx->step == 0 && s_arm.x == x && s_arm.y == y)
        return lm_ret_strf(ctx, "Already on X:%lld Y:%lld", (long long)x, (long long)y);
    int px = s_arm.x, py = s_arm.y;
    if (!lm_bool(ctx, "smooth")) {
        ev_timer_stop(s_arm.loop, &s_arm.timer);
        put((int)x, (int)y);
    } else if (ctx->is_task) {
        if (ctx->step == 0) {
            ev_timer_stop(s_arm.loop, &s_arm.timer);
            begin((int)x, (int)y);
        }
        if (advance() && lm_again(ctx, (uint32_t)s_arm.speed_ms))
            return ERR_AGAIN;
    } else {
        const int xs[] = {(int)x}, ys[] = {(int)y};
        run(xs, ys, 1);
    }
    return lm_ret_strf(ctx, "Move X%d->%lld Y%d->%lld", px, (long long)x, py, (long long)y);
}

static int fn_standby(struct lm_ctx *ctx)
{
    int64_t y = lm_int(ctx, "y_pos");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    const int xs[] = {ARM_CENTER}, ys[] = {clampv((int)y)};
    run(xs, ys, 1);
    return lm_ret_str(ctx, "Standby mode");
}

static int fn_jiggle(struct lm_ctx *ctx)
{
    int64_t d = lm_int(ctx, "delta");
    if (d < 0 || d > 20)
        return lm_error(ctx, "delta must be 0-20");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    int xs[6], ys[6];
    for (int i = 0; i < 5; i++) {
        xs[i] = clampv(s_arm.x + (d ? rand() % (int)(2 * d + 1) - (int)d : 0));
        ys[i] = clampv(s_arm.y + (d ? rand() % (int)(2 * d + 1) - (int)d : 0));
    }
    xs[5] = s_arm.x;
    ys[5] = s_arm.y;
    run(xs, ys, 6);
    return lm_ret_strf(ctx, "JJiggle: %lld :)", (long long)d);
}

static int fn_random(struct lm_ctx *ctx)
{
    int64_t xr = lm_int(ctx, "x_range"), yr = lm_int(ctx, "y_range");
    if (xr < 0 || xr > 75 || yr < 0 || yr > 75)
        return lm_error(ctx, "x_range and y_range must be 0-75");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    s_arm.speed_ms = (int)(lm_int(ctx, "speed_ms") < 1 ? 1 : lm_int(ctx, "speed_ms"));
    int x = clampv(ARM_CENTER + (xr ? rand() % (int)(2 * xr + 1) - (int)xr : 0));
    int y = clampv(ARM_CENTER + (yr ? rand() % (int)(2 * yr + 1) - (int)yr : 0));
    int px = s_arm.x, py = s_arm.y;
    run(&x, &y, 1);
    return lm_ret_strf(ctx, "Move X%d->%d Y%d->%d", px, x, py, y);
}

static int fn_boot_move(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    if (!lm_is_none(ctx, "speed_ms"))
        s_arm.speed_ms = (int)(lm_int(ctx, "speed_ms") < 1 ? 1 : lm_int(ctx, "speed_ms"));
    const int c = ARM_CENTER, lo = ARM_MIN, hi = ARM_MAX;
    const int xs[] = {lo, hi, c, c, c, c, lo, hi, hi, lo, c, c};
    const int ys[] = {c, c, c, lo, hi, c, lo, hi, lo, hi, c, hi};
    run(xs, ys, sizeof xs / sizeof xs[0]);
    return lm_ret_str(ctx, "Boot sequence: init + end ranges + laser positioning");
}

static void rec_path(struct lm_ctx *ctx, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/rarm.cache", ctx->node->data_dir ? ctx->node->data_dir : ".");
}

static void rec_read(struct lm_ctx *ctx)
{
    if (s_arm.is_rec_read)
        return;
    s_arm.is_rec_read = true;
    char path[512], buf[256];
    rec_path(ctx, path, sizeof path);
    if (hal_fs_read(path, buf, sizeof buf) <= 0)
        return;
    s_arm.nrec = 0;
    for (char *p = buf; *p && s_arm.nrec < ARM_QUEUE * 2;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        s_arm.rec[s_arm.nrec++] = clampv((int)v);
        p = *end == ',' ? end + 1 : end;
    }
    s_arm.nrec &= ~(size_t)1;
}

static int rec_write(struct lm_ctx *ctx)
{
    char path[512], buf[256];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s_arm.nrec; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%d", i ? "," : "", s_arm.rec[i]);
    rec_path(ctx, path, sizeof path);
    return persist_write(ctx->node->persist, path, buf, n);
}

static int fn_record(struct lm_ctx *ctx)
{
    rec_read(ctx);
    if (lm_bool(ctx, "clean")) {
        s_arm.nrec = 0;
        rec_write(ctx);
        return lm_ret_str(ctx, "Record was cleaned");
    }
    int64_t limit = lm_int(ctx, "rec_limit");
    limit = limit > ARM_QUEUE ? ARM_QUEUE : limit;
    size_t n = s_arm.nrec / 2;
    if ((int64_t)n >= limit)
        return lm_ret_strf(ctx, "Record[%zu]: limit exceeded: %lld", n, (long long)limit);
    s_arm.rec[s_arm.nrec++] = s_arm.x;
    s_arm.rec[s_arm.nrec++] = s_arm.y;
    int rc = rec_write(ctx);
    if (rc < 0)
        return lm_error(ctx, "data/rarm.cache: %s", err_str(rc));
    return lm_ret_strf(ctx, "Record[%zu]: X:%d Y:%d", n, s_arm.x, s_arm.y);
}

static int fn_play(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    rec_read(ctx);
    if (!lm_is_none(ctx, "s")) {
        int64_t ms = lm_int(ctx, "s");
        s_arm.speed_ms = ms < 1 ? 1 : ms > 1000 ? 1000 : (int)ms;
    }
    int xs[ARM_QUEUE], ys[ARM_QUEUE];
    size_t n = s_arm.nrec / 2;
    for (size_t i = 0; i < n; i++) {
        xs[i] = s_arm.rec[2 * i];
        ys[i] = s_arm.rec[2 * i + 1];
    }
    if (n)
        run(xs, ys, n);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "roboarm._play", val_str(ctx->arena, n ? "Starting" : "Empty"));
    val_dict_set(ctx->arena, d, "Play steps", val_int(ctx->arena, (int64_t)n));
    return 0;
}

static int fn_status(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "X", val_int(ctx->arena, s_arm.x));
    val_dict_set(ctx->arena, d, "Y", val_int(ctx->arena, s_arm.y));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "servo_1 servo_2"));
}

static const struct lm_func s_funcs[] = {
    {.name = "control",
     .fn = fn_control,
     .params = LM_PARAMS({"x", LM_INT, NULL, "40-115"}, {"y", LM_INT, NULL, "40-115"},
                         {"speed_ms", LM_INT, "None", NULL}, {"smooth", LM_BOOL, "True", NULL}),
     .widget = "JOYSTICK"},
    {.name = "boot_move",
     .fn = fn_boot_move,
     .params = LM_PARAMS({"speed_ms", LM_INT, "None", NULL}),
     .widget = "BUTTON"},
    {.name = "standby",
     .fn = fn_standby,
     .params = LM_PARAMS({"y_pos", LM_INT, "45", NULL}),
     .widget = "BUTTON"},
    {.name = "jiggle",
     .fn = fn_jiggle,
     .params = LM_PARAMS({"delta", LM_INT, "2", NULL}),
     .widget = "BUTTON"},
    {.name = "random",
     .fn = fn_random,
     .params = LM_PARAMS({"x_range", LM_INT, "20", NULL}, {"y_range", LM_INT, "20", NULL},
                         {"speed_ms", LM_INT, "5", NULL}),
     .widget = "BUTTON"},
    {.name = "play", .fn = fn_play, .params = LM_PARAMS({"s", LM_INT, "None", NULL})},
    {.name = "record",
     .fn = fn_record,
     .params = LM_PARAMS({"clean", LM_BOOL, "False", NULL}, {"rec_limit", LM_INT, "8", NULL})},
    {.name = "status",
     .fn = fn_status,
     .params = LM_PARAMS({"lmf", LM_STR, "None", NULL}),
     .widget = "STATUS"},
    {.name = "load", .fn = fn_load},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_roboarm = {.name = "roboarm", .funcs = s_funcs};
