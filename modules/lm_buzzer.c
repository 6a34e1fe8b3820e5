/* lm_buzzer.c - Load Module `buzzer`: a piezo on PWM (micrOS LM_buzzer: pin buzzer). `bipp`
 * beeps in the background (150 ms on, 100 ms off); `play` plays an RTTTL melody (a built-in
 * title or "d=..,o=..,b=..:notes") note by note as the native task `buzzer._play`. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"
#include "../svc/persist.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUZZ_TAG      "buzzer._play"
#define BUZZ_TUNE_MAX 1024 /* longest RTTTL text */
#define BUZZ_DUTY     512  /* 50 % */

struct tone {
    const char *title;
    const char *rtttl;
};

/* A few well-known RTTTL melodies (the titles micrOS's play widget offers). */
static const struct tone s_tones[] = {
    {.title = "Indiana",
     .rtttl = "d=4,o=5,b=250:e,8p,8f,8g,8p,1c6,8p.,d,8p,8e,1f,p.,g,8p,8a,8b,8p,1f6,p,a,8p,8b,"
              "2c6,2d6,2e6,e,8p,8f,8g,8p,1c6,p,d6,8p,8e6,1f.6,g,8p,8g,e.6,8p,d6,8p,8g,e.6,8p,"
              "d6,8p,8g,f.6,8p,e6,8p,8d6,2c6"},
    {.title = "TakeOnMe",
     .rtttl = "d=4,o=4,b=160:8f#5,8f#5,8f#5,8d5,8p,8b,8p,8e5,8p,8e5,8p,8e5,8g#5,8g#5,8a5,"
              "8b5,8a5,8a5,8a5,8e5,8p,8d5,8p,8f#5,8p,8f#5,8p,8f#5,8e5,8e5,8f#5,8e5"},
    {.title = "StarWars",
     .rtttl = "d=4,o=5,b=45:32p,32f#,32f#,32f#,8b.,8f#.6,32e6,32d#6,32c#6,8b.6,16f#.6,32e6,"
              "32d#6,32c#6,8b.6,16f#.6,32e6,32d#6,32e6,8c#.6"},
    {.title = "MissionImp",
     .rtttl = "d=16,o=6,b=95:32d,32d#,32d,32d#,32d,32d#,32d,32d#,32d,32d,32d#,32e,32f,32f#,"
              "32g,g,8p,g,8p,a#,p,c7,p,g,8p,g,8p,f,p,f#,p"},
};
#define NTONES        (sizeof s_tones / sizeof s_tones[0])
#define TONE_FALLBACK "d=4,o=5,b=250:e,8p,8f,8g,8p,1c6,8p.,d,8p,8e,1f,p."

/* Note frequencies of octave 4: a b c d e f g, pause, then the sharps. */
static const double s_note[16] = {440.0, 493.9, 261.6, 293.7, 329.6, 349.2, 392.0, 0.0,
                                  466.2, 0.0,   277.2, 311.1, 0.0,   370.0, 415.3, 0.0};

/* An RTTTL song being parsed: defaults and a cursor into the notes. */
struct rtttl {
    char text[BUZZ_TUNE_MAX];
    const char *p; /* next note */
    int def_dur, def_oct;
    double ms_whole;
};

static struct {
    struct node *node;
    int pin; /* -1 until bound */
    int64_t freq;
    struct ev_timer timer;
    /* bipp */
    int bipps_left;
    bool is_on;
    /* play */
    struct rtttl song;
    int task_id;
    bool is_playing;
} s_bz = {.pin = -1, .freq = 600, .song = {.def_dur = 4, .def_oct = 5}, .task_id = -1};

/* Parses "[title:]d=4,o=5,b=140:notes". Returns 0 or ERR_SYNTAX. */
static int rtttl_parse(struct rtttl *r, const char *tune)
{
    snprintf(r->text, sizeof r->text, "%s", tune);
    char *c1 = strchr(r->text, ':');
    if (!c1)
        return ERR_SYNTAX;
    char *defs = r->text, *notes = c1 + 1;
    char *c2 = strchr(notes, ':');
    if (c2) {
        defs = notes;
        *c2 = '\0';
        notes = c2 + 1;
    } else {
        *c1 = '\0';
        if (!strchr(defs, '='))
            return ERR_SYNTAX;
    }
    int d = 4, o = 5, b = 63;
    for (char *t = strtok(defs, ","); t; t = strtok(NULL, ",")) {
        while (*t == ' ')
            t++;
        if (t[0] && t[1] == '=') {
            int v = atoi(t + 2);
            if (t[0] == 'd')
                d = v;
            else if (t[0] == 'o')
                o = v;
            else if (t[0] == 'b')
                b = v;
        }
    }
    if (d <= 0 || o < 3 || o > 8 || b <= 0)
        return ERR_SYNTAX;
    r->def_dur = d;
    r->def_oct = o;
    r->ms_whole = 240000.0 / b;
    r->p = notes;
    return 0;
}

/* Next note: returns false at the end; *freq 0 = pause. */
static bool rtttl_next(struct rtttl *r, double *freq, double *ms)
{
    const char *p = r->p;
    while (*p == ' ' || *p == ',')
        p++;
    if (!*p)
        return false;
    int dur = 0;
    while (isdigit((unsigned char)*p))
        dur = dur * 10 + (*p++ - '0');
    if (dur == 0)
        dur = r->def_dur;
    int idx = 7;
    char n = (char)tolower((unsigned char)*p);
    if (n >= 'a' && n <= 'g')
        idx = n - 'a';
    else if (n == 'h')
        idx = 1;
    if (*p)
        p++;
    if (*p == '#') {
        idx += 8;
        p++;
    }
    double mult = 1.0;
    if (*p == '.') {
        mult = 1.5;
        p++;
    }
    int oct = r->def_oct;
    if (*p >= '4' && *p <= '7')
        oct = *p++ - '0';
    if (*p == '.') {
        mult = 1.5;
        p++;
    }
    while (*p && *p != ',')
        p++; /* skip anything unknown up to the next note */
    r->p = p;
    *freq = ldexp(s_note[idx & 15], oct - 4);
    *ms = r->ms_whole / dur * mult;
    return true;
}

static int load_hook(struct node *node)
{
    s_bz.node = node;
    char path[512], buf[32];
    snprintf(path, sizeof path, "%s/data/buzzer.cache", node->data_dir ? node->data_dir : ".");
    if (hal_fs_read(path, buf, sizeof buf) > 0 && atoi(buf) > 0)
        s_bz.freq = atoi(buf);
    return 0;
}

static int bind(struct lm_ctx *ctx, int number)
{
    char err[128];
    if (s_bz.pin >= 0 && number < 0)
        return 0;
    int pin = pinmap_bind("buzzer", number, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    int rc = hal_pwm_setup(pin, 600);
    if (rc == 0)
        rc = hal_pwm_set_duty(pin, 0);
    if (rc < 0) {
        pinmap_release("buzzer");
        return lm_error(ctx, "[io] PWM on pin buzzer:%d: %s", pin, err_str(rc));
    }
    s_bz.pin = pin;
    return 0;
}

static void stop_sound(void)
{
    ev_timer_stop(s_bz.node->loop, &s_bz.timer);
    if (s_bz.pin >= 0)
        hal_pwm_set_duty(s_bz.pin, 0);
    s_bz.bipps_left = 0;
    s_bz.is_on = false;
    if (s_bz.is_playing && s_bz.node->tasks && s_bz.task_id >= 0)
        task_native_finish(s_bz.node->tasks, s_bz.task_id);
    s_bz.is_playing = false;
    s_bz.task_id = -1;
}

static int64_t bipp_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (s_bz.is_on) {
        hal_pwm_set_duty(s_bz.pin, 0);
        s_bz.is_on = false;
        return --s_bz.bipps_left > 0 ? 100 : EV_DONE;
    }
    hal_pwm_setup(s_bz.pin, (uint32_t)s_bz.freq);
    hal_pwm_set_duty(s_bz.pin, BUZZ_DUTY);
    s_bz.is_on = true;
    return 150;
}

static int fn_bipp(struct lm_ctx *ctx)
{
    int64_t repeat = lm_int(ctx, "repeat");
    int64_t freq = lm_is_none(ctx, "freq") ? s_bz.freq : lm_int(ctx, "freq");
    if (repeat < 1 || repeat > 100 || freq < 1 || freq > 20000)
        return lm_error(ctx, "repeat must be 1-100 and freq 1-20000");
    if (bind(ctx, -1) < 0)
        return ERR_INVAL;
    stop_sound();
    s_bz.freq = freq;
    s_bz.bipps_left = (int)repeat;
    ev_timer_start(ctx->node->loop, &s_bz.timer, 0, bipp_tick);
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)freq);
    char path[512];
    snprintf(path, sizeof path, "%s/data/buzzer.cache",
             ctx->node->data_dir ? ctx->node->data_dir : ".");
    int rc = persist_write(ctx->node->persist, path, buf, strlen(buf));
    if (rc < 0)
        return lm_error(ctx, "not saved: data/buzzer.cache: %s (see system alarms)", err_str(rc));
    char p[101];
    memset(p, 'p', (size_t)repeat);
    p[repeat] = '\0';
    return lm_ret_strf(ctx, "Bi%s on %lld Hz", p, (long long)freq);
}

static int64_t play_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (s_bz.is_on) {
        /* note over: silence, then a 10 ms gap (micrOS feeds the loop for 10 ms) */
        hal_pwm_set_duty(s_bz.pin, 0);
        s_bz.is_on = false;
        return 10;
    }
    double freq, ms;
    if (!rtttl_next(&s_bz.song, &freq, &ms)) {
        if (s_bz.node->tasks && s_bz.task_id >= 0) {
            task_native_set_output(s_bz.node->tasks, s_bz.task_id, "Song played successfully", 24);
            task_native_finish(s_bz.node->tasks, s_bz.task_id);
        }
        s_bz.is_playing = false;
        s_bz.task_id = -1;
        return EV_DONE;
    }
    if (freq > 0) {
        hal_pwm_setup(s_bz.pin, (uint32_t)freq);
        hal_pwm_set_duty(s_bz.pin, BUZZ_DUTY);
    }
    s_bz.is_on = true;
    return ms < 1 ? 1 : (int64_t)ms;
}

static void play_kill(void *arg)
{
    (void)arg;
    ev_timer_stop(s_bz.node->loop, &s_bz.timer);
    if (s_bz.pin >= 0)
        hal_pwm_set_duty(s_bz.pin, 0);
    s_bz.is_on = false;
    s_bz.is_playing = false;
    s_bz.task_id = -1;
}

static const char *find_tone(const char *name)
{
    if (strncmp(name, "d=", 2) == 0)
        return name;
    if (strchr(name, ':'))
        return name; /* a full RTTTL with a title */
    for (size_t i = 0; i < NTONES; i++)
        if (name[0] && str_contains_nocase(str_c(s_tones[i].title), name))
            return s_tones[i].rtttl;
    return TONE_FALLBACK;
}

static int fn_play(struct lm_ctx *ctx)
{
    const char *arg = lm_str(ctx, "rtttlstr");
    if (!arg)
        return lm_error(ctx, "rtttlstr must be a title or an RTTTL string");
    if (bind(ctx, -1) < 0)
        return ERR_INVAL;
    if (!ctx->node->tasks)
        return lm_error(ctx, "task manager not running");
    struct rtttl song = {0};
    if (rtttl_parse(&song, find_tone(arg)) < 0)
        return lm_error(ctx, "RTTTL input structure error. [title:defaults:song]");
    struct exec_result res;
    memset(&res, 0, sizeof res);
    int id = task_native_add(ctx->node->tasks, BUZZ_TAG, NULL, play_kill, NULL);
    task_reply(ctx->node->tasks, BUZZ_TAG, id, false, ctx->arena, &res);
    if (id < 0)
        return id == ERR_EXIST ? lm_ret_str(ctx, res.text) : lm_error(ctx, "%s", res.text);
    stop_sound();
    s_bz.song = song;
    s_bz.song.p = s_bz.song.text + (song.p - song.text);
    s_bz.task_id = id;
    s_bz.is_playing = true;
    task_native_set_output(ctx->node->tasks, id, "Play song...", 12);
    ev_timer_start(ctx->node->loop, &s_bz.timer, 0, play_tick);
    return lm_ret_str(ctx, res.text);
}

static int fn_list_tones(struct lm_ctx *ctx)
{
    char out[256];
    size_t n = 0;
    for (size_t i = 0; i < NTONES; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "\n" : "", s_tones[i].title);
    return lm_ret_str(ctx, out);
}

static int fn_load(struct lm_ctx *ctx)
{
    int number = lm_is_none(ctx, "pin") ? -1 : (int)lm_int(ctx, "pin");
    if (bind(ctx, number) < 0)
        return ERR_INVAL;
    return lm_ret_strf(ctx, "CACHE: %s, check notify: %s", lm_bool(ctx, "cache") ? "True" : "False",
                       lm_bool(ctx, "check_notify") ? "True" : "False");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "buzzer"));
}

static const struct lm_func s_funcs[] = {
    {.name = "bipp",
     .fn = fn_bipp,
     .params = LM_PARAMS({"repeat", LM_INT, "3", NULL}, {"freq", LM_INT, "600", NULL}),
     .widget = "BUTTON"},
    {.name = "play",
     .fn = fn_play,
     .params = LM_PARAMS({"rtttlstr", LM_STR, "'Indiana'", "Indiana,TakeOnMe,StarWars,MissionImp"}),
     .widget = "BUTTON"},
    {.name = "list_tones", .fn = fn_list_tones},
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"check_notify", LM_BOOL, "False", NULL}, {"pin", LM_INT, "None", NULL},
                         {"cache", LM_BOOL, "True", NULL})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_buzzer = {.name = "buzzer", .funcs = s_funcs, .load = load_hook};
