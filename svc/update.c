/* update.c - self-update: the upload, its checks, the state file and the confirmation. */
#include "update.h"

#include "../core/err.h"
#include "../core/ev.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_update.h"
#include "cfg.h"
#include "syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 1100

static struct {
    char data_dir[1024];
    char state[PATH_CAP];
    char upload[PATH_CAP]; /* the accepted new program, waiting for the switch */
    bool is_pending;
    bool is_busy; /* an upload in progress */
    uint32_t deadline_ms;
    char from[48];
    struct ev_timer confirm;
    struct node *node;
} s_up;

static void set_paths(const char *data_dir)
{
    snprintf(s_up.data_dir, sizeof s_up.data_dir, "%s", data_dir);
    snprintf(s_up.state, sizeof s_up.state, "%s/update/state", data_dir);
}

/* Writes the state file: phase, from, to, result. */
static void write_state(const char *phase, const char *from, const char *to, const char *result)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/update", s_up.data_dir);
    hal_fs_mkdir(dir);
    char text[1024];
    int n = snprintf(text, sizeof text, "phase=%s\nfrom=%s\nto=%s\nresult=%s\n", phase, from, to,
                     result);
    if (n > 0)
        hal_fs_write_atomic(s_up.state, text, (size_t)n < sizeof text ? (size_t)n : sizeof text);
}

/* Reads key from the state file into out ("" when missing). */
static void state_get(const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    char text[1024];
    long n = hal_fs_read(s_up.state, text, sizeof text);
    if (n < 0)
        return;
    size_t kl = strlen(key);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, key, kl) == 0 && line[kl] == '=')
            snprintf(out, cap, "%s", line + kl + 1);
        line = nl ? nl + 1 : NULL;
    }
}

int update_state(const char *data_dir, struct buf *out)
{
    set_paths(data_dir);
    char text[1024];
    long n = hal_fs_read(s_up.state, text, sizeof text);
    return n > 0 ? buf_append(out, text, (size_t)n) : 0;
}

/* --- the ELF check --- */

struct elf_id {
    int cls, order, machine;
};

static bool elf_id(const unsigned char *h, size_t n, struct elf_id *id)
{
    if (n < 20 || memcmp(h,
                         "\x7f"
                         "ELF",
                         4) != 0)
        return false;
    id->cls = h[4];
    id->order = h[5];
    id->machine = id->order == 2 ? (h[18] << 8 | h[19]) : (h[19] << 8 | h[18]);
    return true;
}

static const char *machine_name(int m)
{
    switch (m) {
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 40: return "ARM (32-bit)";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    default: return "another machine";
    }
}

static bool own_elf(struct elf_id *id)
{
    char self[PATH_CAP];
    if (hal_update_self(self, sizeof self) < 0)
        return false;
    uint64_t size;
    int fd = hal_fs_open_read(self, &size);
    if (fd < 0)
        return false;
    unsigned char h[64];
    long n = hal_fs_read_some(fd, h, sizeof h);
    hal_fs_close(fd);
    return n > 0 && elf_id(h, (size_t)n, id);
}

/* --- the upload --- */

struct up {
    int fd;
    struct sha256 sha;
    char want[65];
    unsigned char head[64];
    size_t head_len;
    uint64_t size;
    bool is_committed;
    struct node *node;
};

static int refuse(struct endpoint_reply *rep, int status, const char *fmt, const char *a,
                  const char *b)
{
    rep->status = status;
    rep->content_type = "text/plain";
    buf_clear(rep->body);
    buf_printf(rep->body, fmt, a, b);
    LOG_W("update refused: %s", buf_cstr(rep->body));
    return 1;
}

static int up_begin(struct node *node, const struct endpoint_req *req, uint64_t len, void **state,
                    struct endpoint_reply *rep, void *arg)
{
    (void)arg;
    /* Always the password, auth on or off: replacing the program is running code on the
     * machine (micrOS's OTA needs appwd too: it is the WebREPL password). */
    struct str pwd = endpoint_header(req, "x-micros-auth");
    if (!pwd.p || !endpoint_password_ok(cfg_get_str(node->cfg, CFG_K_appwd), str_trim(pwd))) {
        endpoint_deny(req, rep);
        return 1;
    }
    struct str want = str_trim(endpoint_header(req, "x-sha256"));
    bool hex = want.len == 64;
    for (size_t i = 0; hex && i < want.len; i++)
        hex = str_hex_digit(want.p[i]) >= 0;
    if (!hex)
        return refuse(rep, 400, "%s%s",
                      "Update needs the x-sha256 header: the file's SHA-256, "
                      "64 hex characters",
                      "");
    if (len == 0)
        return refuse(rep, 400, "%s%s", "Update: empty body", "");
    char why[256];
    int rc = hal_update_allowed(why, sizeof why);
    if (rc < 0)
        return refuse(rep, rc == ERR_NOTSUP ? 409 : 403, "Update refused: %s%s", why, "");
    if (s_up.is_busy || s_up.is_pending)
        return refuse(rep, 409, "%s%s", "Update refused: another update is in progress", "");
    char self[1024];
    hal_update_self(self, sizeof self);
    int w = snprintf(s_up.upload, sizeof s_up.upload, "%s.upload", self);
    if (w < 0 || (size_t)w >= sizeof s_up.upload)
        return refuse(rep, 500, "%s%s", "Update: the program's path is too long", "");
    hal_fs_remove(s_up.upload);
    struct up *u = calloc(1, sizeof *u);
    if (!u)
        return ERR_NOMEM;
    u->fd = hal_fs_create(s_up.upload, true);
    if (u->fd < 0) {
        int e = u->fd;
        free(u);
        return refuse(rep, e == ERR_NOSPC ? 507 : 500,
                      "Update: cannot write next to the program: %s%s", err_str(e), "");
    }
    for (size_t i = 0; i < 64; i++) /* lower case, as sha256_hex writes it */
        u->want[i] = "0123456789abcdef"[str_hex_digit(want.p[i])];
    sha256_init(&u->sha);
    u->node = node;
    s_up.is_busy = true;
    set_paths(node->data_dir);
    int64_t dl = cfg_get_int(node->cfg, CFG_K_update_deadline);
    s_up.deadline_ms = (uint32_t)(dl > 0 && dl < 3600 ? dl : 30) * 1000u;
    *state = u;
    return 0;
}

static int up_data(void *state, const void *p, size_t n, struct endpoint_reply *rep)
{
    struct up *u = state;
    if (u->head_len < sizeof u->head) {
        size_t take = sizeof u->head - u->head_len < n ? sizeof u->head - u->head_len : n;
        memcpy(u->head + u->head_len, p, take);
        u->head_len += take;
    }
    sha256_update(&u->sha, p, n);
    u->size += n;
    int rc = hal_fs_write(u->fd, p, n);
    if (rc < 0)
        return refuse(rep, rc == ERR_NOSPC ? 507 : 500, "Update: writing failed: %s%s", err_str(rc),
                      "; nothing changed");
    return 0;
}

static int up_end(void *state, struct endpoint_reply *rep)
{
    struct up *u = state;
    uint8_t d[32];
    char got[65];
    sha256_final(&u->sha, d);
    sha256_hex(d, got);
    int rc = hal_fs_close(u->fd);
    u->fd = -1;
    if (rc < 0)
        return refuse(rep, 500, "Update: writing failed: %s%s", err_str(rc), "; nothing changed");
    if (strcmp(got, u->want) != 0)
        return refuse(rep, 400,
                      "Update refused: SHA-256 mismatch (got %s, expected %s); nothing "
                      "changed",
                      got, u->want);
    struct elf_id mine, theirs;
    if (!elf_id(u->head, u->head_len, &theirs))
        return refuse(rep, 400, "Update refused: not a program (no ELF header)%s%s",
                      u->head_len >= 2 && u->head[0] == 0x1f && u->head[1] == 0x8b
                          ? " (a .tar.gz bundle of modules and web files goes to "
                            "POST /update/bundle)"
                          : "",
                      "; nothing changed");
    if (own_elf(&mine) &&
        (mine.cls != theirs.cls || mine.order != theirs.order || mine.machine != theirs.machine)) {
        char a[64], b[64];
        snprintf(a, sizeof a, "%s %d-bit", machine_name(theirs.machine), theirs.cls == 2 ? 64 : 32);
        snprintf(b, sizeof b, "%s %d-bit", machine_name(mine.machine), mine.cls == 2 ? 64 : 32);
        return refuse(rep, 400,
                      "Update refused: wrong architecture: the file is for %s, this "
                      "node runs %s; nothing changed",
                      a, b);
    }
    u->is_committed = true;
    s_up.is_pending = true;
    snprintf(s_up.from, sizeof s_up.from, "%s", u->node->version);
    rep->status = 200;
    rep->content_type = "text/plain";
    buf_printf(rep->body,
               "Update accepted: %llu bytes, sha256 %s. Switching now: the node answers again "
               "within %u s, or goes back to %s by itself.",
               (unsigned long long)u->size, got, (unsigned)(s_up.deadline_ms / 1000),
               u->node->version);
    syslog_write(u->node->log, "[BOOT] update accepted (%llu bytes, sha256 %.16s...), switching",
                 (unsigned long long)u->size, got);
    if (u->node->reboot)
        u->node->reboot(u->node, false);
    return 0;
}

static void up_close(void *state)
{
    struct up *u = state;
    if (u->fd >= 0)
        hal_fs_close(u->fd);
    if (!u->is_committed)
        hal_fs_remove(s_up.upload);
    s_up.is_busy = false;
    free(u);
}

static const struct endpoint_body_ops s_ops = {up_begin, up_data, up_end, up_close};

int update_register(struct endpoints *eps, struct node *node)
{
    set_paths(node->data_dir);
    s_up.node = node;
    return endpoint_add_body(eps, "update", 0, &s_ops, NULL);
}

/* --- the switch, the watchdog's verdict, the start --- */

bool update_pending(void)
{
    return s_up.is_pending;
}

static void on_rollback(const char *reason)
{
    char r[300];
    snprintf(r, sizeof r, "rolled back: %s", reason);
    char to[48];
    state_get("to", to, sizeof to);
    write_state("rolledback", s_up.from, to, r);
}

int update_switch(void)
{
    write_state("trial", s_up.from, "?", "switching");
    int rc = hal_update_switch(s_up.upload, s_up.state, s_up.deadline_ms, on_rollback);
    write_state("failed", s_up.from, "?", "the switch failed before the new program started");
    s_up.is_pending = false;
    hal_fs_remove(s_up.upload);
    return rc;
}

void update_boot(const char *data_dir, bool is_trial)
{
    set_paths(data_dir);
    char phase[32];
    state_get("phase", phase, sizeof phase);
    state_get("from", s_up.from, sizeof s_up.from);
    if (strcmp(phase, "trial") != 0 || is_trial)
        return;
    /* a trial that never confirmed, and no watchdog is running it now: go back */
    char to[48];
    state_get("to", to, sizeof to);
    write_state("rolledback", s_up.from, to,
                "rolled back: the node restarted before the new program confirmed");
    LOG_W("update: unconfirmed trial found at start, going back to the previous program");
    int rc = hal_update_restore_and_exec();
    LOG_E("update: going back failed (%s); starting this program", err_str(rc));
}

static int64_t on_confirm(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct node *node = t->arg;
    char r[160];
    snprintf(r, sizeof r, "ok: %s -> %s", s_up.from, node->version);
    write_state("confirmed", s_up.from, node->version, r);
    syslog_write(node->log, "[BOOT] update confirmed: %s", r);
    return EV_DONE;
}

void update_started(struct node *node, bool is_trial)
{
    set_paths(node->data_dir);
    char phase[32];
    state_get("phase", phase, sizeof phase);
    if (!is_trial || strcmp(phase, "trial") != 0)
        return;
    state_get("from", s_up.from, sizeof s_up.from);
    s_up.confirm.arg = node;
    ev_timer_start(node->loop, &s_up.confirm, UPDATE_CONFIRM_MS, on_confirm);
}
