/* luamod_api.c - the `micros` library Lua modules call: pins, PWM, ADC, IRQs, neopixel, I2C,
 * sensors, pin map, syslog, files under data/data, config (no secrets), exec, pushes, timers,
 * web endpoints and sleep_ms. Every function is documented with an example in docs/lua.md. */
#include "luamod.h"

#ifdef MICROS_HAVE_LUA
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "cfg.h"
#include "endpoint.h"
#include "exec.h"
#include "luamod_priv.h"
#include "pinmap.h"
#include "render.h"
#include "syslog.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_CB       "micros.cb" /* callbacks: timers ["t<i>"], irqs ["i<pin>"], endpoints ["e<i>"] */
#define SLEEP_MAX_MS 86400000

static struct node *node_of(lua_State *L)
{
    return luamod_of(L)->set->node;
}

/* Fails with err's text for a hal/service error code. */
static int fail(lua_State *L, const char *what, int rc)
{
    return luaL_error(L, "%s: %s", what, err_str(rc));
}

/* A pin argument: a number, or a pin map name ("redgb", "switch_1"). */
static int pin_arg(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        int p = pinmap_get(lua_tostring(L, idx));
        if (p < 0)
            return luaL_error(L, "no pin called '%s' in pin map %s", lua_tostring(L, idx),
                              pinmap_name());
        return p;
    }
    lua_Integer p = luaL_checkinteger(L, idx);
    if (p < 0 || p > 4096)
        return luaL_error(L, "pin %I out of range", p);
    return (int)p;
}

/* ---- time ---- */

static int l_sleep_ms(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    lua_Integer ms = luaL_checkinteger(L, 1);
    if (ms < 0 || ms > SLEEP_MAX_MS)
        return luaL_error(L, "sleep_ms(%I): 0..%d ms", ms, SLEEP_MAX_MS);
    if (!m->run_co || L != m->run_co)
        return luaL_error(L, "sleep_ms() waits only inside a task: call the function with & or "
                             "&& (it would block the node otherwise)");
    lua_settop(L, 1);
    return lua_yield(L, 1);
}

static int l_ticks_ms(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)ev_now(node_of(L)->loop));
    return 1;
}

/* ---- pins ---- */

static int l_pin_out(lua_State *L)
{
    int pin = pin_arg(L, 1);
    int rc = hal_gpio_setup(pin, HAL_PIN_OUT);
    if (rc < 0)
        return fail(L, "pin_out", rc);
    if (!lua_isnoneornil(L, 2))
        hal_gpio_write(pin, lua_toboolean(L, 2) && lua_tointeger(L, 2) != 0);
    lua_pushinteger(L, pin);
    return 1;
}

static int l_pin_in(lua_State *L)
{
    int pin = pin_arg(L, 1);
    const char *pull = luaL_optstring(L, 2, "none");
    enum hal_pin_mode mode = strcmp(pull, "up") == 0     ? HAL_PIN_IN_PULLUP
                             : strcmp(pull, "down") == 0 ? HAL_PIN_IN_PULLDOWN
                                                         : HAL_PIN_IN;
    int rc = hal_gpio_setup(pin, mode);
    if (rc < 0)
        return fail(L, "pin_in", rc);
    lua_pushinteger(L, pin);
    return 1;
}

static int l_write(lua_State *L)
{
    int pin = pin_arg(L, 1);
    int level = lua_isboolean(L, 2) ? lua_toboolean(L, 2) : luaL_checkinteger(L, 2) != 0;
    int rc = hal_gpio_write(pin, level);
    if (rc < 0)
        return fail(L, "write", rc);
    return 0;
}

static int l_read(lua_State *L)
{
    int rc = hal_gpio_read(pin_arg(L, 1));
    if (rc < 0)
        return fail(L, "read", rc);
    lua_pushinteger(L, rc);
    return 1;
}

static int l_pwm(lua_State *L)
{
    int pin = pin_arg(L, 1);
    lua_Integer freq = luaL_optinteger(L, 2, 1000);
    if (freq < 1 || freq > 40000000)
        return luaL_error(L, "pwm: frequency %I Hz out of range", freq);
    int rc = hal_pwm_setup(pin, (uint32_t)freq);
    if (rc < 0)
        return fail(L, "pwm", rc);
    if (!lua_isnoneornil(L, 3))
        hal_pwm_set_duty(pin, (uint32_t)luaL_checkinteger(L, 3));
    lua_pushinteger(L, pin);
    return 1;
}

static int l_duty(lua_State *L)
{
    int pin = pin_arg(L, 1);
    if (lua_isnoneornil(L, 2)) {
        uint32_t d = 0;
        int rc = hal_pwm_get_duty(pin, &d);
        if (rc < 0)
            return fail(L, "duty", rc);
        lua_pushinteger(L, d);
        return 1;
    }
    lua_Integer d = luaL_checkinteger(L, 2);
    if (d < 0 || d > HAL_PWM_DUTY_MAX)
        return luaL_error(L, "duty(%I): 0..%d", d, HAL_PWM_DUTY_MAX);
    int rc = hal_pwm_set_duty(pin, (uint32_t)d);
    if (rc < 0)
        return fail(L, "duty", rc);
    return 0;
}

static int l_adc(lua_State *L)
{
    uint32_t raw = 0;
    int rc = hal_adc_read(pin_arg(L, 1), &raw);
    if (rc < 0)
        return fail(L, "adc", rc);
    lua_pushinteger(L, raw);
    return 1;
}

static void irq_cb(int pin, int level, void *arg)
{
    struct luamod_irq *q = arg;
    struct luamod *m = q->m;
    lua_State *L = m->L;
    if (!L || !lua_checkstack(L, 4))
        return;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    char key[16];
    snprintf(key, sizeof key, "i%d", pin);
    lua_getfield(L, -1, key);
    lua_remove(L, -2);
    lua_pushinteger(L, pin);
    lua_pushinteger(L, level);
    luamod_callback(m, 2, 0, "irq");
}

static int l_irq(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    int pin = pin_arg(L, 1);
    const char *e = luaL_optstring(L, 2, "rising");
    enum hal_edge edge = strcmp(e, "falling") == 0 ? HAL_EDGE_FALLING
                         : strcmp(e, "both") == 0  ? HAL_EDGE_BOTH
                                                   : HAL_EDGE_RISING;
    luaL_checktype(L, 3, LUA_TFUNCTION);
    struct luamod_irq *q = NULL;
    for (size_t i = 0; i < LUAMOD_IRQS; i++)
        if (m->irqs[i].is_used && m->irqs[i].pin == pin)
            q = &m->irqs[i];
    for (size_t i = 0; i < LUAMOD_IRQS && !q; i++)
        if (!m->irqs[i].is_used)
            q = &m->irqs[i];
    if (!q)
        return luaL_error(L, "irq: more than %d pins watched by one module", LUAMOD_IRQS);
    char key[16];
    snprintf(key, sizeof key, "i%d", pin);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, key);
    if (q->is_used)
        hal_gpio_unwatch(pin);
    q->m = m;
    q->pin = pin;
    int rc = hal_gpio_setup(pin, HAL_PIN_IN);
    if (rc == 0)
        rc = hal_gpio_watch(pin, edge, irq_cb, q);
    if (rc < 0) {
        q->is_used = false;
        return fail(L, "irq", rc);
    }
    q->is_used = true;
    return 0;
}

/* neopixel(pin, {r,g,b, r,g,b, ...}) or neopixel(pin, {{r,g,b}, ...}) */
static int l_neopixel(lua_State *L)
{
    int pin = pin_arg(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 2);
    if (n > 3 * 1024)
        return luaL_error(L, "neopixel: at most 1024 pixels");
    uint8_t rgb[3 * 1024];
    size_t k = 0;
    for (size_t i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 2, (lua_Integer)i) == LUA_TTABLE) {
            for (int c = 1; c <= 3 && k < sizeof rgb; c++) {
                lua_rawgeti(L, -1, c);
                lua_Integer v = lua_tointeger(L, -1);
                rgb[k++] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                lua_pop(L, 1);
            }
        } else if (k < sizeof rgb) {
            lua_Integer v = lua_tointeger(L, -1);
            rgb[k++] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        lua_pop(L, 1);
    }
    int rc = hal_neopixel_write(pin, rgb, k / 3);
    if (rc < 0)
        return fail(L, "neopixel", rc);
    return 0;
}

static int l_i2c_scan(lua_State *L)
{
    uint8_t addrs[128];
    int n = hal_i2c_scan((int)luaL_optinteger(L, 1, 0), addrs, sizeof addrs);
    if (n < 0)
        return fail(L, "i2c_scan", n);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, addrs[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* i2c(bus, addr, write_bytes, read_len) -> the bytes read, as a string */
static int l_i2c(lua_State *L)
{
    int bus = (int)luaL_checkinteger(L, 1);
    lua_Integer addr = luaL_checkinteger(L, 2);
    size_t wn = 0;
    const char *wr = luaL_optlstring(L, 3, "", &wn);
    lua_Integer rn = luaL_optinteger(L, 4, 0);
    if (addr < 0 || addr > 127 || rn < 0 || rn > 256)
        return luaL_error(L, "i2c: address 0..127, read length 0..256");
    uint8_t rd[256];
    int rc = hal_i2c_xfer(bus, (uint8_t)addr, (const uint8_t *)wr, wn, rd, (size_t)rn);
    if (rc < 0)
        return fail(L, "i2c", rc);
    lua_pushlstring(L, (const char *)rd, (size_t)rn);
    return 1;
}

static int sensor(lua_State *L, enum hal_sensor kind, const char *what)
{
    double t = 0, h = 0;
    int rc = hal_sensor_read(kind, pin_arg(L, 1), &t, kind == HAL_SENSOR_DHT22 ? &h : NULL);
    if (rc < 0)
        return fail(L, what, rc);
    lua_pushnumber(L, t);
    if (kind != HAL_SENSOR_DHT22)
        return 1;
    lua_pushnumber(L, h);
    return 2;
}

static int l_dht22(lua_State *L)
{
    return sensor(L, HAL_SENSOR_DHT22, "dht22");
}

static int l_ds18(lua_State *L)
{
    return sensor(L, HAL_SENSOR_DS18, "ds18");
}

/* ---- pin map ---- */

static int l_bind_pin(lua_State *L)
{
    const char *tag = luaL_checkstring(L, 1);
    int number = lua_isnoneornil(L, 2) ? -1 : (int)luaL_checkinteger(L, 2);
    char err[128] = "";
    int pin = pinmap_bind(tag, number, err, sizeof err);
    if (pin < 0)
        return luaL_error(L, "%s", err[0] ? err : err_str(pin));
    lua_pushinteger(L, pin);
    return 1;
}

static int push_val_entry(lua_State *L)
{
    luaval_push(L, lua_touserdata(L, 1));
    return 1;
}

/* Pushes v (a value in the arena memory mem) and releases mem (release(mem)), even when pushing
 * fails. */
static int push_val_free(lua_State *L, struct val *v, void *mem, void (*release)(void *))
{
    if (!v) {
        release(mem);
        return luaL_error(L, "out of memory");
    }
    lua_pushcfunction(L, push_val_entry);
    lua_pushlightuserdata(L, v);
    int rc = lua_pcall(L, 1, 1, 0);
    release(mem);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

static int push_str_entry(lua_State *L)
{
    const struct str *s = lua_touserdata(L, 1);
    lua_pushlstring(L, s->p, s->len);
    return 1;
}

/* Pushes len bytes of the malloc'ed buf and frees it, even when pushing fails. */
static int push_str_free(lua_State *L, char *buf, size_t len)
{
    struct str s = {buf, len};
    lua_pushcfunction(L, push_str_entry);
    lua_pushlightuserdata(L, &s);
    int rc = lua_pcall(L, 1, 1, 0);
    free(buf);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

static int l_pinmap_search(lua_State *L)
{
    const char *keys = luaL_checkstring(L, 1);
    void *mem = malloc(8192);
    if (!mem)
        return luaL_error(L, "out of memory");
    struct arena a;
    arena_init(&a, mem, 8192);
    return push_val_free(L, pinmap_search(&a, keys), mem, free);
}

/* ---- syslog, files, config ---- */

static int l_log(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    const char *text = luaL_checkstring(L, 1);
    const char *level = luaL_optstring(L, 2, "INFO");
    if (strcmp(level, "INFO") != 0 && strcmp(level, "WARN") != 0 && strcmp(level, "ERR") != 0)
        return luaL_error(L, "log: level INFO, WARN or ERR");
    struct node *node = m->set->node;
    if (node->log)
        syslog_write(node->log, "[%s] LM_%s: %s", level, m->name, text);
    return 0;
}

/* data/<name>: plain names and subfolders, no "..", no hidden files. */
static const char *file_path(lua_State *L, int idx, char *buf, size_t cap)
{
    const char *name = luaL_checkstring(L, idx);
    bool ok = name[0] && strlen(name) < 128 && name[0] != '/';
    for (const char *p = name; ok && *p; p++) {
        bool c = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_' || *p == '-' || *p == '.' || *p == '/';
        ok = c && !(*p == '.' && (p == name || p[-1] == '/'));
    }
    if (!ok)
        luaL_error(L,
                   "file '%s': names are letters, digits, _ - . and /, inside data/ only "
                   "(no '..', no hidden files)",
                   name);
    snprintf(buf, cap, "%s/data/%s", node_of(L)->data_dir, name);
    return buf;
}

static int l_file_read(lua_State *L)
{
    char path[700];
    file_path(L, 1, path, sizeof path);
    char *buf = malloc(LUAMOD_FILE_MAX);
    if (!buf)
        return luaL_error(L, "out of memory");
    long n = hal_fs_read(path, buf, LUAMOD_FILE_MAX);
    if (n == ERR_NOENT) {
        free(buf);
        lua_pushnil(L);
        return 1;
    }
    if (n < 0) {
        free(buf);
        return fail(L, "file_read", (int)n);
    }
    return push_str_free(L, buf, (size_t)n);
}

static int write_file(lua_State *L, bool append)
{
    char path[700];
    file_path(L, 1, path, sizeof path);
    size_t n = 0;
    const char *data = luaL_checklstring(L, 2, &n);
    if (n > LUAMOD_FILE_MAX)
        return luaL_error(L, "file: at most %d bytes per write", LUAMOD_FILE_MAX);
    char dir[700];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        hal_fs_mkdir(dir);
    }
    int rc = append ? hal_fs_append(path, data, n) : hal_fs_write_atomic(path, data, n);
    if (rc < 0)
        return fail(L, append ? "file_append" : "file_write", rc);
    return 0;
}

static int l_file_write(lua_State *L)
{
    return write_file(L, false);
}

static int l_file_append(lua_State *L)
{
    return write_file(L, true);
}

static int l_file_remove(lua_State *L)
{
    char path[700];
    file_path(L, 1, path, sizeof path);
    int rc = hal_fs_remove(path);
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int l_conf(lua_State *L)
{
    const char *key = luaL_checkstring(L, 1);
    int id = cfg_find(str_c(key));
    if (id < 0) {
        lua_pushnil(L);
        return 1;
    }
    const struct cfg_key *k = &cfg_schema[id];
    if (k->flags & (CFG_SECRET | CFG_OFFLOAD))
        return luaL_error(L, "conf: '%s' is secret", key);
    struct cfg *cfg = node_of(L)->cfg;
    if (!cfg) {
        lua_pushnil(L);
        return 1;
    }
    switch (k->type) {
    case CFG_BOOL: lua_pushboolean(L, cfg_get_bool(cfg, (enum cfg_key_id)id)); break;
    case CFG_INT: lua_pushinteger(L, (lua_Integer)cfg_get_int(cfg, (enum cfg_key_id)id)); break;
    case CFG_STR: lua_pushstring(L, cfg_get_str(cfg, (enum cfg_key_id)id)); break;
    }
    return 1;
}

/* ---- commands, pushes ---- */

/* Pushes text (which may live in mem) and frees mem, even when pushing fails. */
/* Pushes text (which may live in mem) and gives mem back to exec's pool, even when pushing
 * fails. */
static void push_text_give(lua_State *L, const char *text, void *mem)
{
    struct str s = {text, strlen(text)};
    lua_pushcfunction(L, push_str_entry);
    lua_pushlightuserdata(L, &s);
    int rc = lua_pcall(L, 1, 1, 0);
    exec_pipe_mem_give(mem);
    if (rc != LUA_OK)
        lua_error(L);
}

static int l_exec(lua_State *L)
{
    size_t n = 0;
    const char *line = luaL_checklstring(L, 1, &n);
    /* scratch memory from exec's fixed pool: no malloc per call */
    void *mem = exec_pipe_mem_take();
    if (!mem)
        return luaL_error(L, "exec: busy (too many commands under way at once)");
    struct arena a;
    arena_init(&a, mem, CMD_ARENA_SIZE_FOR_PIPE);
    struct exec_result res;
    exec_run(node_of(L), (struct str){line, n}, EXEC_TASK, &a, &res);
    bool ok = res.ok;
    if (res.value)
        push_val_free(L, res.value, mem, exec_pipe_mem_give);
    else
        push_text_give(L, res.text ? res.text : "", mem);
    lua_pushboolean(L, ok);
    return 2;
}

static int l_push(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    struct node *node = node_of(L);
    if (node->push)
        node->push(node, text);
    return 0;
}

/* notify(text) -> micrOS's verdict ("Sent over ...", "Notifications disabled") */
static int l_notify(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    struct node *node = node_of(L);
    char out[256] = "Notifications are not available on this node";
    if (node->notify)
        node->notify(node, NODE_NOTIFY_SEND, text, out, sizeof out);
    lua_pushstring(L, out);
    return 1;
}

/* ---- timers ---- */

static int64_t timer_cb(struct ev_loop *loop, struct ev_timer *tm)
{
    (void)loop;
    struct luamod_timer *t = tm->arg;
    struct luamod *m = t->m;
    lua_State *L = m->L;
    uint32_t period = t->period_ms;
    int idx = (int)(t - m->timers);
    if (!period)
        t->is_used = false;
    if (!L || !lua_checkstack(L, 4))
        return EV_DONE;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    char key[16];
    snprintf(key, sizeof key, "t%d", idx);
    lua_getfield(L, -1, key);
    lua_remove(L, -2);
    if (luamod_callback(m, 0, 0, "timer") < 0 && period) {
        m->timers[idx].is_used = false; /* a failing periodic timer stops */
        return EV_DONE;
    }
    return period && m->timers[idx].is_used ? (int64_t)period : EV_DONE;
}

/* timer(ms, fn [, periodic]) -> id */
static int l_timer(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    lua_Integer ms = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    bool periodic = lua_toboolean(L, 3);
    if (ms < (periodic ? 10 : 0) || ms > SLEEP_MAX_MS)
        return luaL_error(L, "timer: %s..%d ms", periodic ? "10" : "0", SLEEP_MAX_MS);
    int idx = -1;
    for (int i = 0; i < LUAMOD_TIMERS && idx < 0; i++)
        if (!m->timers[i].is_used)
            idx = i;
    if (idx < 0)
        return luaL_error(L, "timer: more than %d timers in one module", LUAMOD_TIMERS);
    char key[16];
    snprintf(key, sizeof key, "t%d", idx);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, key);
    struct luamod_timer *t = &m->timers[idx];
    memset(&t->tm, 0, sizeof t->tm);
    t->tm.arg = t;
    t->m = m;
    t->period_ms = periodic ? (uint32_t)ms : 0;
    if (ev_timer_start(node_of(L)->loop, &t->tm, (uint64_t)ms, timer_cb) < 0)
        return luaL_error(L, "timer: the event loop has no timer left");
    t->is_used = true;
    lua_pushinteger(L, idx + 1);
    return 1;
}

static int l_timer_stop(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    lua_Integer id = luaL_checkinteger(L, 1);
    if (id >= 1 && id <= LUAMOD_TIMERS && m->timers[id - 1].is_used) {
        ev_timer_stop(node_of(L)->loop, &m->timers[id - 1].tm);
        m->timers[id - 1].is_used = false;
    }
    return 0;
}

/* ---- web endpoints ---- */

static int ep_cb(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                 void *arg)
{
    (void)node;
    struct luamod *m = arg;
    lua_State *L = m->L;
    if (!L || !lua_checkstack(L, 8))
        return ERR_NOMEM;
    int base = lua_gettop(L);
    int i = 0;
    for (; i < LUAMOD_ENDPOINTS; i++)
        if (m->endpoints[i][0] && str_eqc(req->path, m->endpoints[i]))
            break;
    if (i == LUAMOD_ENDPOINTS)
        return ERR_NOENT;
    char key[16];
    snprintf(key, sizeof key, "e%d", i);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    lua_getfield(L, -1, key);
    lua_remove(L, -2);
    lua_pushlstring(L, req->query.p ? req->query.p : "", req->query.len);
    lua_pushlstring(L, req->body.p ? req->body.p : "", req->body.len);
    lua_pushstring(L, req->method == EP_POST     ? "POST"
                      : req->method == EP_DELETE ? "DELETE"
                                                 : "GET");
    if (luamod_callback(m, 3, 1, "endpoint") < 0) {
        lua_settop(L, base);
        return ERR_INVAL;
    }
    int rc = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
        size_t n = 0;
        const char *s = lua_tolstring(L, -1, &n);
        rep->content_type = "text/plain";
        rc = buf_append(rep->body, s, n);
    } else {
        char mem[8192];
        struct arena a;
        arena_init(&a, mem, sizeof mem);
        char err[128];
        struct val *v = luaval_to_val(L, -1, &a, err, sizeof err);
        rc = v ? render_json(rep->body, v) : ERR_NOMEM;
    }
    lua_settop(L, base);
    return rc;
}

/* endpoint(path, fn): GET and POST on /<path> call fn(query, body, method) */
static int l_endpoint(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    while (*path == '/')
        path++;
    struct node *node = m->set->node;
    if (!node->endpoints)
        return luaL_error(L, "endpoint: this node has no web server");
    int idx = -1;
    for (int i = 0; i < LUAMOD_ENDPOINTS; i++)
        if (strcmp(m->endpoints[i], path) == 0)
            idx = i;
    if (idx < 0 && endpoint_find(node->endpoints, str_c(path)))
        return luaL_error(L, "endpoint: /%s is taken", path);
    for (int i = 0; i < LUAMOD_ENDPOINTS && idx < 0; i++)
        if (!m->endpoints[i][0])
            idx = i;
    if (idx < 0)
        return luaL_error(L, "endpoint: more than %d endpoints in one module", LUAMOD_ENDPOINTS);
    if (strlen(path) >= sizeof m->endpoints[0])
        return luaL_error(L, "endpoint: path too long");
    char key[16];
    snprintf(key, sizeof key, "e%d", idx);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_CB);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, key);
    int rc = endpoint_add(node->endpoints, path, EP_GET | EP_POST, 0, ep_cb, m);
    if (rc < 0)
        return fail(L, "endpoint", rc);
    snprintf(m->endpoints[idx], sizeof m->endpoints[idx], "%s", path);
    return 0;
}

void luamod_api_release(struct luamod *m)
{
    struct node *node = m->set ? m->set->node : NULL;
    for (size_t i = 0; i < LUAMOD_TIMERS; i++) {
        if (m->timers[i].is_used && node)
            ev_timer_stop(node->loop, &m->timers[i].tm);
        m->timers[i].is_used = false;
    }
    for (size_t i = 0; i < LUAMOD_IRQS; i++) {
        if (m->irqs[i].is_used)
            hal_gpio_unwatch(m->irqs[i].pin);
        m->irqs[i].is_used = false;
    }
    for (size_t i = 0; i < LUAMOD_ENDPOINTS; i++) {
        if (m->endpoints[i][0] && node && node->endpoints)
            endpoint_del(node->endpoints, m->endpoints[i]);
        m->endpoints[i][0] = '\0';
    }
}

void luamod_open_api(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {.name = "sleep_ms", .func = l_sleep_ms},
        {.name = "ticks_ms", .func = l_ticks_ms},
        {.name = "pin_out", .func = l_pin_out},
        {.name = "pin_in", .func = l_pin_in},
        {.name = "write", .func = l_write},
        {.name = "read", .func = l_read},
        {.name = "pwm", .func = l_pwm},
        {.name = "duty", .func = l_duty},
        {.name = "adc", .func = l_adc},
        {.name = "irq", .func = l_irq},
        {.name = "neopixel", .func = l_neopixel},
        {.name = "i2c_scan", .func = l_i2c_scan},
        {.name = "i2c", .func = l_i2c},
        {.name = "dht22", .func = l_dht22},
        {.name = "ds18", .func = l_ds18},
        {.name = "bind_pin", .func = l_bind_pin},
        {.name = "pinmap_search", .func = l_pinmap_search},
        {.name = "log", .func = l_log},
        {.name = "file_read", .func = l_file_read},
        {.name = "file_write", .func = l_file_write},
        {.name = "file_append", .func = l_file_append},
        {.name = "file_remove", .func = l_file_remove},
        {.name = "conf", .func = l_conf},
        {.name = "exec", .func = l_exec},
        {.name = "push", .func = l_push},
        {.name = "notify", .func = l_notify},
        {.name = "timer", .func = l_timer},
        {.name = "timer_stop", .func = l_timer_stop},
        {.name = "endpoint", .func = l_endpoint},
        {.name = NULL, .func = NULL},
    };
    luaL_newlib(L, fns);
    lua_pushinteger(L, HAL_PWM_DUTY_MAX);
    lua_setfield(L, -2, "DUTY_MAX");
    lua_pushinteger(L, HAL_ADC_MAX);
    lua_setfield(L, -2, "ADC_MAX");
    lua_setglobal(L, "micros");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_CB);
}
#endif
