/* shell.c - ShellCli server. */
#include "shell.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"
#include "../svc/auth.h"
#include "../svc/cfg.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/syslog.h"
#include "conn.h"
#include "server.h"
#include "shell_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `help` (COMPAT §1.4) without the webrepl line (Part A 4). */
/* `help` (COMPAT §1.4) is generated: section headers here, and each line from the table entry
 * of the command it describes (s_builtins below, the executor's exec_help_at) or, for what is
 * not a command of its own (conf mode's key get/set, the postfixes of the command grammar),
 * from s_help_notes. */
static const char *const s_help_heads[] = {
    [CMD_HELP_MICROS] = "[MICROS]",
    [CMD_HELP_CONF] = "[CONF] Configuration mode",
    [CMD_HELP_TASK] = "[TASK] Task operations",
    [CMD_HELP_EXEC] = "[EXEC] Command mode, syntax(...): <module> <function> <params> <postfix>",
};

/* Lines of each section's layout (indent, "- " column). */
#define HELP_MICROS(pos, usage, what)                                                              \
    {                                                                                              \
        .section = CMD_HELP_MICROS, .order = (pos), .indent = 3, .col = 13, .left = (usage),       \
        .text = (what)                                                                             \
    }
#define HELP_CONF(pos, usage, what)                                                                \
    {                                                                                              \
        .section = CMD_HELP_CONF, .order = (pos), .indent = 2, .col = 13, .left = (usage),         \
        .text = (what)                                                                             \
    }
#define HELP_CONF_MODE(pos, usage, what) /* what conf mode itself understands */                   \
    {                                                                                              \
        .section = CMD_HELP_CONF, .order = (pos), .indent = 4, .col = 15, .left = (usage),         \
        .text = (what)                                                                             \
    }
#define HELP_EXEC(pos, usage, what)                                                                \
    {                                                                                              \
        .section = CMD_HELP_EXEC, .order = (pos), .indent = 2, .col = 20, .left = (usage),         \
        .text = (what)                                                                             \
    }
#define HELP_POSTFIX(pos, usage, what)                                                             \
    {                                                                                              \
        .section = CMD_HELP_EXEC, .order = (pos), .indent = 4, .col = 24, .left = (usage),         \
        .text = (what)                                                                             \
    }
#define HELP_HIDDEN                                                                                \
    {                                                                                              \
        .section = CMD_HELP_HIDDEN                                                                 \
    }

static const struct cmd_help s_help_notes[] = {
    HELP_CONF_MODE(1, "dump", "Dump all data, filter: dump <str>"),
    HELP_CONF_MODE(2, "key", "Get value"),
    HELP_CONF_MODE(3, "key value", "Set value"),
    {.section = CMD_HELP_EXEC, .order = 0, .indent = 2, .left = "Postfix hints:"},
    HELP_POSTFIX(1, "... &<x>", "start one-shot task"),
    HELP_POSTFIX(2, "... &&<x>", "start periodic task, where <x>: delay ms [x min: 20ms]"),
    HELP_POSTFIX(3, "... >json", "request json formatted output"),
    HELP_POSTFIX(4, "... >>hostname", "remote command execution (intercon)"),
};

struct shell_session {
    struct server_sess b; /* first: the server's part */
    struct shell *sh;
    bool is_conf;
    bool is_auth_required;
    bool is_authed;
    bool is_locked;        /* a failed login is being answered after a delay */
    bool is_charmode;      /* the password arrives a few bytes at a time: wait for the line end */
    char pw[SHELL_PW_MAX]; /* password bytes gathered before the line end */
    size_t pwlen;
    char devfid[64];
    struct ev_timer delay_timer;
    uint64_t opened_ms; /* when it connected: the login deadline (login_ms) counts from here */
};

static void help_text(struct buf *o);

/* --- output helpers --- */

static void send_prompt(struct shell_session *s)
{
    struct buf *o = &s->sh->out;
    buf_clear(o);
    if (s->is_auth_required && !s->is_authed)
        buf_puts(o, "[password] ");
    if (s->is_conf)
        buf_puts(o, "[configure] ");
    buf_printf(o, "%s $ ", s->devfid);
    conn_send(&s->b.conn, o->p, o->len);
}

/* Sends text as one message: the text, a newline, then the prompt. */
static void reply(struct shell_session *s, const char *text, size_t len)
{
    if (conn_send(&s->b.conn, text, len) < 0 || conn_send(&s->b.conn, "\n", 1) < 0)
        return;
    send_prompt(s);
}

static void reply_c(struct shell_session *s, const char *text)
{
    reply(s, text, strlen(text));
}

static void bye(struct shell_session *s)
{
    conn_puts(&s->b.conn, "Bye!\n");
    conn_drain_close(&s->b.conn);
}

/* --- authentication --- */

static int64_t on_authfail_delay(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct shell_session *s = t->arg;
    if (!s->b.conn.is_closed) {
        conn_puts(&s->b.conn, "AuthFailed\n");
        bye(s);
    }
    return EV_DONE;
}

/* Checks the whole line (trimmed) as the password through the shared back-off (svc/auth.h):
 * inside the address's back-off window nothing is compared and AuthFailed follows at the
 * window's end; a wrong password is answered after the new window. */
static void check_password(struct shell_session *s, struct str word)
{
    struct shell *sh = s->sh;
    uint64_t now = ev_now(sh->loop), wait = 0;
    enum auth_verdict v = auth_check(sh->node->auth, s->b.conn.peer, "shell",
                                     cfg_get_str(sh->node->cfg, CFG_K_appwd), word, now, &wait);
    if (v == AUTH_OK) {
        s->is_authed = true;
        server_set_authed(&s->b);
        reply_c(s, "AuthOk");
        return;
    }
    sh->stats.auth_failures++;
    s->is_locked = true;
    s->delay_timer.arg = s;
    ev_timer_start(sh->loop, &s->delay_timer, wait, on_authfail_delay);
}

static void run_line(struct shell_session *s, struct str line);
static bool is_preauth_line(struct str line);

/* Answers the gathered login line: hello/exit as built-ins, anything else as the password. */
static void preauth_line(struct shell_session *s, struct str line)
{
    s->pwlen = 0;
    s->is_charmode = false;
    if (is_preauth_line(line)) {
        run_line(s, line);
        return;
    }
    check_password(s, line);
}

/* No more bytes came within SHELL_PW_GATHER_MS: what we have is the whole line. */
static int64_t on_pw_idle(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct shell_session *s = t->arg;
    if (!s->b.conn.is_closed && !s->is_locked && s->pwlen > 0)
        preauth_line(s, str_trim((struct str){s->pw, s->pwlen}));
    return EV_DONE;
}

/* Before login: gathers the login line (the whole line, trimmed, is the password) and answers
 * hello/exit. A write that ends the line, or one of at least SHELL_PW_MIN bytes without a line
 * end (micrOS's clients send the bare password), is answered at once. A write of one or two
 * bytes starts character mode (telnet typing): wait for the line end. Other short writes wait
 * SHELL_PW_GATHER_MS for more bytes (a password split across writes). */
static void preauth_input(struct shell_session *s, struct str in)
{
    struct shell *sh = s->sh;
    ev_timer_stop(sh->loop, &s->delay_timer);
    if (s->pwlen + in.len > sizeof s->pw) {
        s->pwlen = 0;
        check_password(s, STR_LIT("")); /* longer than any password: a wrong guess */
        return;
    }
    bool is_first = s->pwlen == 0;
    memcpy(s->pw + s->pwlen, in.p, in.len);
    s->pwlen += in.len;
    struct str all = {s->pw, s->pwlen};
    size_t eol = 0;
    while (eol < all.len && all.p[eol] != '\n' && all.p[eol] != '\r')
        eol++;
    struct str line = str_trim((struct str){all.p, eol});
    if (eol < all.len) {
        if (line.len == 0) {
            s->pwlen = 0; /* a bare Enter: keep waiting */
            return;
        }
        preauth_line(s, line);
        return;
    }
    if (is_first && in.len <= 2)
        s->is_charmode = true;
    if (s->is_charmode)
        return;
    if (line.len == 0) {
        s->pwlen = 0;
        bye(s);
        return;
    }
    bool is_word = is_preauth_line(line);
    if (is_word || (is_first && line.len >= SHELL_PW_MIN)) {
        preauth_line(s, line);
        return;
    }
    s->delay_timer.arg = s;
    ev_timer_start(sh->loop, &s->delay_timer, SHELL_PW_GATHER_MS, on_pw_idle);
}

/* --- built-ins --- */

static void do_help(struct shell_session *s, const struct str *tok, size_t ntok)
{
    struct node *node = s->sh->node;
    bool all = false;
    for (size_t i = 1; i < ntok; i++)
        all |= str_contains(tok[i], "lm");
    struct buf *o = &s->sh->out;
    buf_clear(o);
    help_text(o);
    buf_puts(o, "\n");
    /* built-in modules in load order (all: in table order), then the run-time (Lua) ones */
    size_t nb = 0, n = lm_count(node);
    while (node->modules && node->modules[nb])
        nb++;
    for (size_t k = 0; k < n; k++) {
        const struct lm_module *m;
        if (all)
            m = lm_at(node, k);
        else if (k < nb)
            m = k < node->nloaded ? node->modules[node->load_order[k]] : NULL;
        else
            m = lm_at(node, k);
        if (!m || (!all && k >= nb && !lm_is_loaded(node, m)))
            continue;
        size_t pad = strlen(m->name) + 2;
        buf_printf(o, "  %s\n", m->name);
        for (const struct lm_func *f = m->funcs; f->name; f++)
            buf_printf(o, "%*s%s\n", (int)pad, "", f->name);
        buf_printf(o, "%*shelp\n", (int)pad, "");
    }
    conn_send(&s->b.conn, o->p, o->len);
    send_prompt(s);
}

/* The values that decide who learns or uses the node password: appwd (then pwd= of sudo
 * functions is the setter's), icpeers (then >>host sends appwd to the setter's host) and a
 * boothook using $pwd (expanded to appwd at start: sudo functions run with it). */
static bool is_password_key(struct str key, struct str value)
{
    return str_eqc(key, "appwd") || str_eqc(key, "icpeers") ||
           (str_eqc(key, "boothook") && str_contains(value, "$pwd"));
}

/* In a session that has not logged in (auth off), setting a password key needs the current
 * appwd as a last word "pwd=<appwd>", checked through the per-address back-off (svc/auth.h),
 * after the value's own rule. Strips that word from value (*n). Returns true to go on with
 * the set, false with the refusal in o. */
static bool password_key_allowed(struct shell_session *s, struct str key, char *value, size_t *n,
                                 struct buf *o)
{
    if (s->is_authed)
        return true;
    struct node *node = s->sh->node;
    struct str v = {value, *n};
    const char *sp = NULL;
    for (size_t i = v.len; i > 0 && !sp; i--)
        if (value[i - 1] == ' ')
            sp = value + i - 1;
    struct str last = sp ? (struct str){sp + 1, (size_t)(value + *n - sp - 1)} : v;
    /* the password word: a last "pwd=<appwd>" ("pwd=$pwd" belongs to a boothook) */
    bool has_pwd = str_starts(last, "pwd=") && !str_eqc(last, "pwd=$pwd");
    struct str newv = has_pwd ? (sp ? (struct str){value, (size_t)(sp - value)} : STR_NULL) : v;
    if (!is_password_key(key, newv))
        return true;
    if (str_eqc(key, "appwd") && str_eqc(newv, CFG_SECRET_SHOWN))
        return true; /* the mask keeps the stored value: nothing changes */
    char msg[256];
    if (cfg_check(node->cfg, key, newv, msg, sizeof msg) != CFG_SAVED) {
        buf_printf(o, "%s%sFailed to save", msg, msg[0] ? "\n" : "");
        return false;
    }
    if (!has_pwd) {
        buf_printf(o,
                   "%.*s: changing it needs the node password: end the line with pwd=<appwd> "
                   "(or log in, with auth True)\nFailed to save",
                   STR_FMT(key));
        return false;
    }
    struct str guess = str_from(last, 4);
    uint64_t wait = 0;
    enum auth_verdict verdict = AUTH_WRONG;
    const char *appwd = cfg_get_str(node->cfg, CFG_K_appwd);
    if (node->auth && node->loop)
        verdict = auth_check(node->auth, s->b.conn.peer, "shell conf pwd=", appwd, guess,
                             ev_now(node->loop), &wait);
    else if (appwd[0] && str_eq_secret(guess, str_c(appwd)))
        verdict = AUTH_OK;
    if (verdict == AUTH_BACKOFF) {
        buf_printf(o, "%.*s: Too many failed logins, retry in %llu ms (pwd)\nFailed to save",
                   STR_FMT(key), (unsigned long long)wait);
        return false;
    }
    if (verdict != AUTH_OK) {
        buf_printf(o, "%.*s: wrong password (pwd)\nFailed to save", STR_FMT(key));
        return false;
    }
    *n = newv.len;
    value[*n] = '\0';
    return true;
}

static void do_conf(struct shell_session *s, const struct str *tok, size_t ntok)
{
    struct cfg *cfg = s->sh->node->cfg;
    struct buf *o = &s->sh->out;
    buf_clear(o);
    if (str_eqc(tok[0], "dump")) {
        cfg_dump(cfg, ntok == 2 ? tok[1] : STR_NULL, o);
    } else if (ntok == 1) {
        cfg_get_text(cfg, tok[0], o);
    } else {
        /* the value: the remaining tokens joined by one space */
        char value[CFG_STR_MAX];
        size_t n = 0;
        for (size_t i = 1; i < ntok && n < sizeof value; i++) {
            int w =
                snprintf(value + n, sizeof value - n, "%s%.*s", i > 1 ? " " : "", STR_FMT(tok[i]));
            n += w > 0 ? (size_t)w : 0;
        }
        if (n >= sizeof value) {
            buf_puts(o, "node_config write error: value too long\nFailed to save");
        } else if (!password_key_allowed(s, tok[0], value, &n, o)) {
            /* refused, the reason is in o */
        } else {
            char msg[256];
            enum cfg_set_result r = cfg_set(cfg, tok[0], (struct str){value, n}, msg, sizeof msg);
            if (msg[0])
                buf_printf(o, "%s\n", msg);
            buf_puts(o, r == CFG_SAVED         ? "Saved"
                        : r == CFG_INVALID_KEY ? "Invalid key"
                                               : "Failed to save");
        }
    }
    reply(s, o->p ? o->p : "", o->len);
}

static void do_exit(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    bye(s);
}

static void do_hello(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    struct node *node = s->sh->node;
    struct buf *o = &s->sh->out;
    buf_clear(o);
    buf_printf(o, "hello:%s:%s:%s", s->devfid, cfg_get_str(node->cfg, CFG_K_hwuid),
               node->is_release ? "rel" : "dev");
    reply(s, o->p, o->len);
}

static void do_version(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    reply_c(s, s->sh->node->version);
}

/* webrepl [--update]: micrOS's WebREPL (and its OTA) cannot exist here: one clear line
 * (COMPAT C.4). */
static void do_webrepl(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    reply_c(s, "webrepl: not available on micrOS-C (no MicroPython); update the node with "
               "`microsctl update <node> <file>`");
}

static void do_reboot(struct shell_session *s, const struct str *tok, size_t ntok)
{
    struct node *node = s->sh->node;
    bool hard = ntok >= 2 && str_contains(tok[1], "-h");
    conn_puts(&s->b.conn, hard ? "[HARD] Reboot micrOS system.\n" : "Reboot micrOS system.\n");
    bye(s);
    syslog_write(node->log, "[BOOT] %s reboot requested from shell %s", hard ? "hard" : "soft",
                 s->b.conn.peer);
    if (node->reboot)
        node->reboot(node, hard);
}

static void do_conf_on(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    s->is_conf = true;
    send_prompt(s);
}

static void do_conf_off(struct shell_session *s, const struct str *tok, size_t ntok)
{
    (void)tok;
    (void)ntok;
    s->is_conf = false;
    send_prompt(s);
}

/* The shell's own commands, declared like a Load Module's function table. They never reach
 * the executor (svc/exec.c has its own table: modules, task). Names match case-sensitively. */
enum {
    SB_PREAUTH = 1, /* answered before login too (the whole login line must be the name) */
    SB_ALONE = 2,   /* only as a line of one word (else: a module call or a conf key) */
    SB_MODULE = 4,  /* a module of this name takes `<name> <function> ...` (logged in, not in
                       conf mode); the bare word, and any other words, keep the built-in */
};

struct shell_builtin {
    const char *name;
    struct cmd_help help; /* its line in `help` */
    void (*run)(struct shell_session *s, const struct str *tok, size_t ntok);
    unsigned flags;
};

static const struct shell_builtin s_builtins[] = {
    {.name = "exit",
     .help = HELP_MICROS(3, "exit", "exit shell session"),
     .run = do_exit,
     .flags = SB_PREAUTH | SB_ALONE},
    {.name = "hello",
     .help = HELP_MICROS(0, "hello", "hello msg - for device identification"),
     .run = do_hello,
     .flags = SB_PREAUTH | SB_MODULE},
    {.name = "version",
     .help = HELP_MICROS(2, "version", "returns micrOS version"),
     .run = do_version,
     .flags = SB_MODULE},
    /* not in help: micrOS's OTA tool looks for it there and would try an update (COMPAT C.4) */
    {.name = "webrepl", .help = HELP_HIDDEN, .run = do_webrepl},
    {.name = "reboot",
     .help = HELP_MICROS(4, "reboot", "system soft reboot (vm), hard reboot (hw): reboot -h"),
     .run = do_reboot},
    {.name = "conf",
     .help = HELP_CONF(0, "conf", "Enter conf mode"),
     .run = do_conf_on,
     .flags = SB_ALONE},
    {.name = "config", .help = HELP_HIDDEN, .run = do_conf_on, .flags = SB_ALONE},    /* alias */
    {.name = "configure", .help = HELP_HIDDEN, .run = do_conf_on, .flags = SB_ALONE}, /* alias */
    {.name = "noconf",
     .help = HELP_CONF(4, "noconf", "Exit conf mode"),
     .run = do_conf_off,
     .flags = SB_ALONE},
    {.name = "noconfig", .help = HELP_HIDDEN, .run = do_conf_off, .flags = SB_ALONE},    /* alias */
    {.name = "noconfigure", .help = HELP_HIDDEN, .run = do_conf_off, .flags = SB_ALONE}, /* alias */
    {.name = "help",
     .help = HELP_EXEC(5, "help lm", "list ALL available LoadModules"),
     .run = do_help},
};

#define NBUILTINS (sizeof s_builtins / sizeof s_builtins[0])
#define NNOTES    (sizeof s_help_notes / sizeof s_help_notes[0])

/* The i-th help line source: the shell's built-ins, its notes, then the executor's commands;
 * NULL past the end. */
static const struct cmd_help *help_at(size_t i)
{
    if (i < NBUILTINS)
        return &s_builtins[i].help;
    if (i < NBUILTINS + NNOTES)
        return &s_help_notes[i - NBUILTINS];
    return exec_help_at(i - NBUILTINS - NNOTES);
}

/* Appends the help text: each section's header, then its lines in their order. */
static void help_text(struct buf *o)
{
    unsigned last = 0;
    for (size_t i = 0; help_at(i); i++)
        last = help_at(i)->order > last ? help_at(i)->order : last;
    for (int sec = CMD_HELP_MICROS; sec <= CMD_HELP_EXEC; sec++) {
        buf_printf(o, "%s\n", s_help_heads[sec]);
        for (unsigned order = 0; order <= last; order++) /* a few dozen lines: pick in turn */
            for (size_t i = 0; help_at(i); i++)
                if (help_at(i)->section == (enum cmd_help_section)sec && help_at(i)->order == order)
                    cmd_help_line(help_at(i), o);
    }
}

/* Returns 0 when every command declares whether and where it is in help, else ERR_INVAL
 * (logged): a command added without a help line is caught when the shell starts. */
static int help_check(void)
{
    for (size_t i = 0; help_at(i); i++)
        if (help_at(i)->section == CMD_HELP_UNSET) {
            LOG_E("shell: command %zu of the help tables declares no help line", i);
            return ERR_INVAL;
        }
    return 0;
}

/* Returns the built-in the line's words name, or NULL. */
static const struct shell_builtin *builtin_find(const struct str *tok, size_t ntok)
{
    for (size_t i = 0; i < sizeof s_builtins / sizeof s_builtins[0]; i++) {
        const struct shell_builtin *b = &s_builtins[i];
        if (str_eqc(tok[0], b->name) && (!(b->flags & SB_ALONE) || ntok == 1))
            return b;
    }
    return NULL;
}

/* Returns true when the whole login line names a built-in allowed before login. */
static bool is_preauth_line(struct str line)
{
    const struct shell_builtin *b = builtin_find(&line, 1);
    return b && (b->flags & SB_PREAUTH);
}

/* True when a logged-in line `<name> <word> ...` of an SB_MODULE built-in is a call of the
 * module of that name (a Lua LM_hello.lua): <word> is one of its functions or `help`, or the
 * module has none (its file did not load: the call answers why). Otherwise the built-in runs,
 * extra words ignored, as on micrOS (docs/lua.md, "Names"). */
static bool module_takes(struct shell_session *s, const struct shell_builtin *b,
                         const struct str *tok, size_t ntok)
{
    if (!(b->flags & SB_MODULE) || ntok < 2 || s->is_conf || (s->is_auth_required && !s->is_authed))
        return false;
    const struct lm_module *m = lm_find(s->sh->node, tok[0]);
    if (!m)
        return false;
    return str_eqc(tok[1], "help") || !m->funcs || !m->funcs[0].name ||
           lm_func_find(m, tok[1]) != NULL;
}

static void do_exec(struct shell_session *s, struct str line)
{
    struct shell *sh = s->sh;
    struct exec_result res;
    arena_reset(&sh->arena);
    struct node_caller who;
    exec_caller_set(&who, s->b.conn.peer, "shell");
    exec_run_as(sh->node, line, EXEC_SHELL, &who, &sh->arena, &res);
    buf_clear(&sh->out);
    if (exec_render_text(&res, &sh->out) < 0) {
        buf_clear(&sh->out);
        buf_puts(&sh->out, "Core error: reply too large");
    }
    reply(s, buf_cstr(&sh->out), sh->out.len);
}

/* Runs one command line (COMPAT §1.3 dispatch order): the built-ins of s_builtins (those
 * allowed before login first, then the login gate, then the rest), conf mode, the executor. */
static void run_line(struct shell_session *s, struct str line)
{
    struct shell *sh = s->sh;
    struct str tok[CMD_MAX_TOKENS];
    size_t ntok = 0;
    (void)cmd_split(line, false, tok, CMD_MAX_TOKENS, &ntok); /* extra words: ignored here */
    if (ntok == 0)
        return;
    sh->stats.commands++;
    /* a line ending in >>host goes to a peer, built-in names included (but in conf mode) */
    bool local = s->is_conf || !str_starts(tok[ntok - 1], ">>");
    const struct shell_builtin *bi = local ? builtin_find(tok, ntok) : NULL;
    if (bi && module_takes(s, bi, tok, ntok))
        bi = NULL; /* `hello greet` with a module hello: the executor calls it */
    if (bi && (bi->flags & SB_PREAUTH)) {
        bi->run(s, tok, ntok);
        return;
    }
    if (s->is_auth_required && !s->is_authed) {
        check_password(s, tok[0]);
        return;
    }
    if (bi) {
        bi->run(s, tok, ntok);
        return;
    }
    if (s->is_conf) {
        do_conf(s, tok, ntok);
        return;
    }
    do_exec(s, line);
}

/* Splits the received bytes into lines and runs them (COMPAT Part A 1). */
static void on_input(struct shell_session *s)
{
    struct shell *sh = s->sh;
    struct buf *in = &s->b.conn.in;
    if (s->is_locked) {
        buf_clear(in);
        return;
    }
    if (s->is_auth_required && !s->is_authed) {
        preauth_input(s, (struct str){in->p, in->len});
        if (!s->b.conn.is_closed)
            buf_clear(in);
        return;
    }
    if (str_trim((struct str){in->p, in->len}).len == 0) {
        buf_clear(in);
        bye(s);
        return;
    }
    struct str rest = {in->p, in->len};
    while (!s->b.conn.is_closed && !s->b.conn.is_draining && !s->is_locked) {
        struct str line;
        enum shell_frame k = shell_frame_next(&rest, &line, SHELL_LINE_MAX);
        if (k == SHELL_FRAME_END)
            break;
        if (k == SHELL_FRAME_TOO_LONG) {
            sh->stats.long_lines++;
            char msg[96];
            snprintf(msg, sizeof msg, "Shell: line too long (%zu bytes, limit %d), not executed",
                     line.len, SHELL_LINE_MAX);
            reply_c(s, msg);
            continue;
        }
        run_line(s, line);
    }
    if (!s->b.conn.is_closed)
        buf_clear(in);
}

/* --- the server's callbacks --- */

static void on_open(struct server_sess *b)
{
    struct shell_session *s = (struct shell_session *)b;
    struct shell *sh = server_owner(b->srv);
    s->sh = sh;
    const struct cfg *cfg = sh->node->cfg;
    snprintf(s->devfid, sizeof s->devfid, "%s", cfg_get_str(cfg, CFG_K_devfid));
    s->is_auth_required = cfg_get_bool(cfg, CFG_K_auth);
    s->opened_ms = ev_now(sh->loop);
    sh->stats.accepted++;
    const char *problem = cfg_problem(cfg);
    if (problem) { /* said before the prompt until the operator saves a key (fail closed) */
        conn_puts(&s->b.conn, "Config problem: ");
        conn_puts(&s->b.conn, problem);
        conn_puts(&s->b.conn, "\n");
    }
    send_prompt(s);
}

static void on_data(struct server_sess *b)
{
    struct shell_session *s = (struct shell_session *)b;
    on_input(s);
    if (!b->conn.is_closed)
        server_touch(b, b->conn.out.len > 0);
}

static void on_drain(struct server_sess *b)
{
    server_touch(b, false);
}

static void on_close(struct server_sess *b)
{
    struct shell_session *s = (struct shell_session *)b;
    ev_timer_stop(b->srv->loop, &s->delay_timer);
}

/* With auth on, a client that has not logged in login_ms after it connected is sent away,
 * whatever it sends meanwhile (hello, exit and empty lines do not extend it): a place held
 * before the login is cheap for an attacker, so it is short. A logged-in owner is never
 * subject to it (its idle time is soctout's business, net/admit.h). */
static void on_tick(struct server_sess *b, uint64_t now)
{
    struct shell_session *s = (struct shell_session *)b;
    if (!s->is_auth_required || s->is_authed || s->is_locked)
        return;
    int64_t v = cfg_get_int(s->sh->node->cfg, CFG_K_login_ms);
    uint64_t limit = v > 0 ? (uint64_t)v : SHELL_LOGIN_MS;
    if (now - s->opened_ms < limit)
        return;
    s->sh->stats.login_timeouts++;
    conn_puts(&b->conn, "\nLogin timed out. Bye!\n");
    conn_drain_close(&b->conn);
}

static void refuse_busy(struct server *srv, int fd)
{
    static const char busy[] = "Connection is busy. Bye!\n";
    struct shell *sh = server_owner(srv);
    hal_sock_send(fd, busy, sizeof busy - 1);
    sh->stats.busy_replies++;
}

static const struct server_proto s_proto = {
    .name = "shell",
    .kind = 'S',
    .sess_size = sizeof(struct shell_session),
    .in_max = SHELL_LINE_MAX * 4,
    .out_max = SHELL_OUT_MAX,
    .busy_wait_ms = SHELL_BUSY_WAIT_MS,
    .open = on_open,
    .data = on_data,
    .drain = on_drain,
    .close = on_close,
    .tick = on_tick,
    .refuse = refuse_busy,
};

int shell_start(struct shell *sh, struct node *node, struct admit *admit, const char *addr,
                uint16_t port)
{
    memset(sh, 0, sizeof *sh);
    if (help_check() < 0)
        return ERR_INVAL;
    sh->node = node;
    sh->admit = admit;
    sh->loop = node->loop;
    buf_init(&sh->out, SHELL_OUT_MAX);
    sh->arena_mem = malloc(CMD_ARENA_SIZE);
    if (!sh->arena_mem) {
        shell_stop(sh);
        return ERR_NOMEM;
    }
    arena_init(&sh->arena, sh->arena_mem, CMD_ARENA_SIZE);
    int rc = server_start(&sh->srv, &s_proto, sh, sh->loop, admit, addr, port, 0);
    if (rc < 0) {
        shell_stop(sh);
        return rc;
    }
    sh->port = sh->srv.port;
    return 0;
}

void shell_stop(struct shell *sh)
{
    if (!sh->node)
        return; /* never started */
    server_stop(&sh->srv);
    free(sh->arena_mem);
    sh->arena_mem = NULL;
    buf_free(&sh->out);
    sh->node = NULL;
}

void shell_push(struct shell *sh, const char *text)
{
    for (size_t i = 0; sh->node && i < sh->srv.nsessions; i++) {
        struct shell_session *s = (struct shell_session *)server_sess_at(&sh->srv, i);
        if (!server_sess_is_live(&s->b))
            continue;
        if (s->is_auth_required && !s->is_authed)
            continue;
        conn_puts(&s->b.conn, "~~~ ");
        conn_puts(&s->b.conn, text);
        conn_puts(&s->b.conn, "\n");
    }
}
