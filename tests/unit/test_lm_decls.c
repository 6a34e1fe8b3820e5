/* test_lm_decls.c - every declaration of every built-in Load Module is bound by a test.
 *
 * Walks the built-in module table (modules/modules.def) and checks, for every function:
 * its parameter list (names, order, flags that need a parameter), that each declared default
 * parses as a literal of its parameter's type and lies within its declared range or options,
 * that each range/options declaration is well formed, that its widget renders to the JSON the
 * dashboard reads with every placeholder filled by a real range or options list, and that a
 * call with the declared defaults on a real node (app_init: simulated pins and buses, loopback
 * servers) succeeds. A declaration that drifts from its handler fails here, not on a node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/app.h"
#include "config.h"
#include "core/err.h"
#include "modules/modules.h"
#include "svc/cmd.h"
#include "svc/exec.h"
#include "svc/lm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls whose defaults bind but that cannot succeed on a node without the outside world or by
 * design; each must fail with a reason of its own, never an argument error. */
struct expected_fail {
    const char *mod, *fn, *why;
};
static const struct expected_fail s_expected_fail[] = {
    {.mod = "robustness", .fn = "raise_error", .why = "raises on purpose"},
    {.mod = "telegram", .fn = "load", .why = "needs a bot token (config/telegram.token)"},
    {.mod = "pacman", .fn = "install", .why = "needs the URL of a package (its default is None)"},
    {.mod = NULL},
};

/* Functions never called here: they act on the machine itself. */
static const struct expected_fail s_not_called[] = {
    {.mod = "system", .fn = "setclock", .why = "sets the host's wall clock (as root)"},
    {.mod = NULL},
};

/* The wiring a module needs on the simulated esp32 board: config set before its node starts. */
struct module_setup {
    const char *mod;
    enum cfg_key_id key;
    const char *value;
};
static const struct module_setup s_setup[] = {
    {.mod = "system", .key = CFG_K_geoloc, .value = "47.4979,19.0402"}, /* sun */
    {.mod = "haptic", .key = CFG_K_cstmpmap, .value = "haptic:25"},     /* not on esp32's map */
    {.mod = "rencoder", .key = CFG_K_cstmpmap, .value = "rot_sw:14"},   /* its push button */
    {.mod = NULL},
};

static struct {
    char root[64];
    char dir[128];
    struct app app;
    bool is_up;
    struct arena arena;
    char mem[CMD_ARENA_SIZE];
    struct buf out;
} F;

/* --- helpers --- */

static bool is_range(const char *choice)
{
    return choice && strchr(choice, '-') && !strchr(choice, ',');
}

/* Parses a whole "a-b" or "a-b-s" range (a may be negative). */
static bool parse_range(const char *choice, long r[3])
{
    char *end;
    r[2] = 1;
    r[0] = strtol(choice, &end, 10);
    if (end == choice || *end != '-')
        return false;
    const char *p = end + 1;
    r[1] = strtol(p, &end, 10);
    if (end == p)
        return false;
    if (*end == '-') {
        p = end + 1;
        r[2] = strtol(p, &end, 10);
        if (end == p)
            return false;
    }
    return *end == '\0';
}

/* The executor's type rule (svc/lm.c fit_type) for a declared value: does v fit type t? */
static bool fits(enum lm_type t, const struct val *v)
{
    if (v->type == VAL_NONE || t == LM_ANY)
        return true;
    switch (t) {
    case LM_INT: return v->type == VAL_INT || v->type == VAL_BOOL;
    case LM_FLOAT: return v->type == VAL_FLOAT || v->type == VAL_INT || v->type == VAL_BOOL;
    case LM_BOOL:
        return v->type == VAL_BOOL || (v->type == VAL_INT && (v->u.i == 0 || v->u.i == 1));
    case LM_STR: return v->type == VAL_STR || v->type == VAL_INT;
    case LM_LIST: return v->type == VAL_LIST || v->type == VAL_TUPLE;
    case LM_ANY: return true;
    }
    return false;
}

static double num_of(const struct val *v)
{
    return v->type == VAL_INT ? (double)v->u.i : v->type == VAL_FLOAT ? v->u.f : v->u.b;
}

/* Parses a literal ("10", "'x'", "None", a bare word) as lm_bind parses a default. */
static struct val *literal(const char *text)
{
    char err[64];
    return cmd_parse_literal(str_c(text), &F.arena, err, sizeof err);
}

/* The n-th comma-separated option of choice into out; false past the end. */
static bool option_at(const char *choice, size_t n, char *out, size_t cap)
{
    const char *p = choice;
    for (size_t i = 0; i < n; i++) {
        p = strchr(p, ',');
        if (!p)
            return false;
        p++;
    }
    size_t len = strcspn(p, ",");
    snprintf(out, cap, "%.*s", (int)len, p);
    return true;
}

/* True when v (a parsed default) equals the option text. */
static bool is_option(const struct val *v, const char *opt)
{
    struct val *o = literal(opt);
    if (!o)
        return false;
    if (v->type == VAL_STR && o->type == VAL_STR)
        return strcmp(v->u.s.p, o->u.s.p) == 0;
    if ((v->type == VAL_INT || v->type == VAL_BOOL || v->type == VAL_FLOAT) &&
        (o->type == VAL_INT || o->type == VAL_BOOL || o->type == VAL_FLOAT))
        return num_of(v) == num_of(o);
    if (v->type == VAL_STR && o->type != VAL_STR) /* '5' against a bare 5 */
        return strcmp(v->u.s.p, opt) == 0;
    return false;
}

/* --- the declarations, without running anything --- */

/* Checks one parameter: its default and its range or options. Returns a reason or NULL. */
static const char *check_param(const struct lm_param *p, char *why, size_t cap)
{
    struct val *def = NULL;
    if (p->def) {
        def = literal(p->def);
        if (!def)
            return snprintf(why, cap, "default %s does not parse", p->def), why;
        if (!fits(p->type, def))
            return snprintf(why, cap, "default %s is a %s, not the declared type", p->def,
                            val_type_name(def)),
                   why;
    }
    if (!p->choice)
        return NULL;
    if (!p->choice[0])
        return snprintf(why, cap, "empty range/options"), why;
    if (is_range(p->choice)) {
        long r[3];
        if (!parse_range(p->choice, r))
            return snprintf(why, cap, "range \"%s\" is not min-max or min-max-step", p->choice),
                   why;
        if (r[0] >= r[1] || r[2] <= 0 || r[2] > r[1] - r[0])
            return snprintf(why, cap, "range \"%s\" needs min < max and 0 < step <= max-min",
                            p->choice),
                   why;
        if (p->type != LM_INT && p->type != LM_FLOAT && p->type != LM_ANY)
            return snprintf(why, cap, "range \"%s\" on a non-numeric parameter", p->choice), why;
        if (def && def->type != VAL_NONE) {
            if (def->type != VAL_INT && def->type != VAL_FLOAT && def->type != VAL_BOOL)
                return snprintf(why, cap, "default %s is not a number of range %s", p->def,
                                p->choice),
                       why;
            double d = num_of(def);
            if (d < (double)r[0] || d > (double)r[1])
                return snprintf(why, cap, "default %s outside range %s", p->def, p->choice), why;
        }
        return NULL;
    }
    bool has_default_option = !def || def->type == VAL_NONE;
    char opt[64], other[64];
    for (size_t i = 0; option_at(p->choice, i, opt, sizeof opt); i++) {
        if (!opt[0])
            return snprintf(why, cap, "options \"%s\" has an empty item", p->choice), why;
        struct val *o = literal(opt);
        if (!o || !fits(p->type, o))
            return snprintf(why, cap, "option %s is not a value of the declared type", opt), why;
        for (size_t j = 0; j < i && option_at(p->choice, j, other, sizeof other); j++)
            if (strcmp(opt, other) == 0)
                return snprintf(why, cap, "option %s listed twice", opt), why;
        if (def && is_option(def, opt))
            has_default_option = true;
    }
    if (!has_default_option)
        return snprintf(why, cap, "default %s is not one of the options %s", p->def, p->choice),
               why;
    return NULL;
}

/* Checks fn's widget JSON: known tag, valid overrides, a callback naming fn and its parameters,
 * placeholders backed by a range or options. Returns a reason or NULL. */
static const char *check_widget(const struct lm_func *fn, char *why, size_t cap)
{
    buf_clear(&F.out);
    int rc = lm_widget_json(fn, &F.out);
    if (rc < 0)
        return snprintf(why, cap, "widget \"%s\": %s", fn->widget, err_str(rc)), why;
    cJSON *w = cJSON_Parse(buf_cstr(&F.out));
    const char *r = NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(w, "type");
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(w, "callback");
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(w, "range");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(w, "options");
    if (!cJSON_IsObject(w) || !cJSON_IsString(type) || !cJSON_IsString(cb)) {
        r = "widget JSON without type or callback";
        goto out;
    }
    /* callback: "<fn> <param>=<value or :range:/:options:> ..." */
    size_t fl = strlen(fn->name);
    if (strncmp(cb->valuestring, fn->name, fl) != 0 ||
        (cb->valuestring[fl] != ' ' && cb->valuestring[fl] != '\0')) {
        snprintf(why, cap, "callback \"%s\" does not call %s", cb->valuestring, fn->name);
        r = why;
        goto out;
    }
    char tok[256];
    for (const char *p = cb->valuestring + fl; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        snprintf(tok, sizeof tok, "%.*s", (int)n, p);
        p += n;
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(why, cap, "callback word \"%s\" is not name=value", tok);
            r = why;
            goto out;
        }
        *eq = '\0';
        bool known = false;
        for (const struct lm_param *q = fn->params; q && q->name; q++)
            known |= strcmp(q->name, tok) == 0;
        if (!known) {
            snprintf(why, cap, "callback names \"%s\", not a parameter", tok);
            r = why;
            goto out;
        }
        if (strcmp(eq + 1, ":range:") == 0 && !cJSON_IsArray(range)) {
            snprintf(why, cap, "%s=:range: in a %s widget, which has no range", tok,
                     type->valuestring);
            r = why;
            goto out;
        }
        if (strcmp(eq + 1, ":options:") == 0 && !cJSON_IsArray(options)) {
            snprintf(why, cap, "%s=:options: in a %s widget, which has no options", tok,
                     type->valuestring);
            r = why;
            goto out;
        }
    }
    if (range) {
        double v[3];
        if (!cJSON_IsArray(range) || cJSON_GetArraySize(range) != 3) {
            r = "range is not [min, max, step]";
            goto out;
        }
        for (int i = 0; i < 3; i++)
            v[i] = cJSON_GetArrayItem(range, i)->valuedouble;
        if (v[0] >= v[1] || v[2] <= 0) {
            snprintf(why, cap, "range [%g, %g, %g] needs min < max and step > 0", v[0], v[1], v[2]);
            r = why;
            goto out;
        }
    }
    if (options) {
        if (!cJSON_IsArray(options) || cJSON_GetArraySize(options) == 0) {
            r = "options is not a non-empty list";
            goto out;
        }
        bool placeholder = strstr(cb->valuestring, ":options:") != NULL;
        const cJSON *first = cJSON_GetArrayItem(options, 0);
        if (placeholder && cJSON_GetArraySize(options) == 1 && cJSON_IsString(first) &&
            strcmp(first->valuestring, "None") == 0) {
            r = "the callback takes :options: but no parameter declares options";
            goto out;
        }
    }
out:
    cJSON_Delete(w);
    return r;
}

/* Checks fn's declaration as a whole. Returns a reason or NULL. */
static const char *check_func(const struct lm_func *fn, char *why, size_t cap)
{
    if (!fn->fn)
        return "no handler";
    if (!cmd_is_ident(str_c(fn->name)))
        return snprintf(why, cap, "name is not an identifier"), why;
    size_t np = 0;
    bool has_default = false;
    for (const struct lm_param *p = fn->params; p && p->name; p++, np++) {
        if (!cmd_is_ident(str_c(p->name)) || strcmp(p->name, "pwd") == 0)
            return snprintf(why, cap, "parameter name \"%s\"", p->name), why;
        for (const struct lm_param *q = fn->params; q != p; q++)
            if (strcmp(q->name, p->name) == 0)
                return snprintf(why, cap, "parameter %s declared twice", p->name), why;
        if (!p->def && has_default)
            return snprintf(why, cap, "required parameter %s after one with a default", p->name),
                   why;
        has_default |= p->def != NULL;
        char pwhy[200];
        const char *r = check_param(p, pwhy, sizeof pwhy);
        if (r)
            return snprintf(why, cap, "parameter %s: %s", p->name, r), why;
    }
    if (np > LM_MAX_PARAMS)
        return "more than LM_MAX_PARAMS parameters";
    if (fn->flags & LM_SUDO_FORCE) {
        bool has_force = false;
        for (const struct lm_param *p = fn->params; p && p->name; p++)
            has_force |= strcmp(p->name, "force") == 0;
        if (!has_force)
            return "LM_SUDO_FORCE without a parameter called force";
    }
    if ((fn->flags & LM_SUDO_IF_FIRST) && np == 0)
        return "LM_SUDO_IF_FIRST without a parameter";
    if (fn->measures) {
        for (const struct lm_param *p = fn->params; p && p->name; p++)
            if (!p->def)
                return snprintf(why, cap, "measurement function with required parameter %s",
                                p->name),
                       why;
        if (!fn->measures[0].key)
            return "empty measures list";
    }
    if (fn->widget)
        return check_widget(fn, why, cap);
    return NULL;
}

static void every_declaration_should_be_well_formed(void **state)
{
    (void)state;
    size_t nfn = 0, nbad = 0;
    for (size_t m = 0; modules_builtin[m]; m++) {
        const struct lm_module *mod = modules_builtin[m];
        assert_non_null(mod->name);
        assert_non_null(mod->funcs);
        for (size_t n = 0; modules_builtin[n] != mod; n++)
            assert_string_not_equal(modules_builtin[n]->name, mod->name);
        for (const struct lm_func *fn = mod->funcs; fn->name; fn++, nfn++) {
            for (const struct lm_func *g = mod->funcs; g != fn; g++)
                if (strcmp(g->name, fn->name) == 0) {
                    print_error("%s %s: declared twice\n", mod->name, fn->name);
                    nbad++;
                }
            if (strcmp(fn->name, "help") == 0) { /* the executor answers help itself */
                print_error("%s help: shadows the generated help\n", mod->name);
                nbad++;
            }
            arena_reset(&F.arena);
            char why[300];
            const char *r = check_func(fn, why, sizeof why);
            if (r) {
                print_error("%s %s: %s\n", mod->name, fn->name, r);
                nbad++;
            }
        }
    }
    print_message("%zu functions of %zu built-in modules checked\n", nfn, modules_builtin_count);
    assert_true(nfn > 100);
    assert_int_equal(nbad, 0);
}

/* --- calls with the declared defaults on a real node --- */

static bool is_arg_error(const char *text)
{
    static const char *const marks[] = {"() takes ",      "() missing ",     "() got ",
                                        "() argument '",  "bad default",     "too many parameters",
                                        "invalid syntax", "has no parameter"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(text, marks[i]))
            return true;
    return false;
}

static const struct expected_fail *expected_fail(const char *mod, const char *fn)
{
    for (const struct expected_fail *e = s_expected_fail; e->mod; e++)
        if (strcmp(e->mod, mod) == 0 && strcmp(e->fn, fn) == 0)
            return e;
    return NULL;
}

/* Appends a value for a required parameter: from its declaration (the range's minimum or the
 * first option) when it has one, else a plain value of its type. Returns true when the value
 * came from the declaration. */
static bool sample_arg(const struct lm_param *p, char *line, size_t cap)
{
    char opt[64];
    size_t len = strlen(line);
    long r[3];
    if (is_range(p->choice) && parse_range(p->choice, r)) {
        snprintf(line + len, cap - len, " %s=%ld", p->name, r[0]);
        return true;
    }
    if (p->choice && option_at(p->choice, 0, opt, sizeof opt)) {
        snprintf(line + len, cap - len, " %s=%s", p->name, opt);
        return true;
    }
    static const char *const plain[] = {[LM_ANY] = "1",     [LM_INT] = "1", [LM_FLOAT] = "1.5",
                                        [LM_BOOL] = "True", [LM_STR] = "x", [LM_LIST] = "[1]"};
    snprintf(line + len, cap - len, " %s=%s", p->name, plain[p->type]);
    return false;
}

/* Starts a node as port/posix/main.c does, on loopback, in a fresh data folder for mod. */
static void node_start(const struct lm_module *mod)
{
    snprintf(F.dir, sizeof F.dir, "%s/%s", F.root, mod->name);
    struct cfg cfg;
    assert_int_equal(cfg_init(&cfg, F.dir), 0);
    /* Loopback only: no mDNS announcements, no DNS queries, every HTTP(S) request to a closed
     * local port. */
    assert_int_equal(cfg_put_bool(&cfg, CFG_K_mdns, false), 0);
    assert_int_equal(cfg_put_str(&cfg, CFG_K_dns, "off"), 0);
    assert_int_equal(cfg_put_str(&cfg, CFG_K_httpc_base, "http://127.0.0.1:9"), 0);
    for (const struct module_setup *s = s_setup; s->mod; s++)
        if (strcmp(s->mod, mod->name) == 0)
            assert_int_equal(cfg_put_str(&cfg, s->key, s->value), 0);
    cfg_deinit(&cfg);
    struct app_options opt = {
        .data_dir = F.dir, .bind_addr = "127.0.0.1", .port = 0, .webport = 0, .maxconn = 0};
    assert_int_equal(app_init(&F.app, &opt), 0);
    F.is_up = true;
}

static void node_stop(void)
{
    if (F.is_up)
        app_deinit(&F.app);
    F.is_up = false;
}

static void calls_with_declared_defaults_should_succeed(void **state)
{
    (void)state;
    size_t ncalled = 0, nskipped = 0, nbad = 0;
    for (size_t m = 0; modules_builtin[m]; m++) {
        const struct lm_module *mod = modules_builtin[m];
        node_start(mod); /* one node per module: modules share pins on the board's map */
        for (const struct lm_func *fn = mod->funcs; fn->name; fn++) {
            char line[512];
            snprintf(line, sizeof line, "%s %s", mod->name, fn->name);
            bool is_declared = true; /* every value from the declaration */
            for (const struct lm_param *p = fn->params; p && p->name; p++)
                if (!p->def)
                    is_declared &= sample_arg(p, line, sizeof line);
            bool is_skipped = false;
            for (const struct expected_fail *e = s_not_called; e->mod; e++)
                is_skipped |= strcmp(e->mod, mod->name) == 0 && strcmp(e->fn, fn->name) == 0;
            if (is_skipped)
                continue;
            if (fn->flags & (LM_SUDO | LM_SUDO_FORCE | LM_SUDO_IF_FIRST)) {
                size_t len = strlen(line);
                snprintf(line + len, sizeof line - len, " pwd=%s",
                         cfg_get_str(&F.app.cfg, CFG_K_appwd));
            }
            struct exec_result res;
            memset(&res, 0, sizeof res);
            arena_reset(&F.arena);
            exec_run(&F.app.node, str_c(line), EXEC_SHELL, &F.arena, &res);
            buf_clear(&F.out);
            exec_render_text(&res, &F.out);
            const char *text = buf_cstr(&F.out);
            const struct expected_fail *e = expected_fail(mod->name, fn->name);
            ncalled++;
            nskipped += !is_declared;
            if (is_arg_error(text)) {
                print_error("%s: argument error: %s\n", line, text);
                nbad++;
            } else if (!res.ok && !e && is_declared) { /* a plain value may be refused */
                print_error("%s: failed: %s\n", line, text);
                nbad++;
            } else if (res.ok && e && is_declared) {
                print_error("%s: listed as failing (%s) but succeeded: %s\n", line, e->why, text);
                nbad++;
            }
            ev_poll(&F.app.loop, 0); /* let what the call started take a turn */
        }
        node_stop();
    }
    print_message("%zu calls, %zu of them with a plain value for a parameter no declaration "
                  "gives a value for (checked for argument errors and crashes only)\n",
                  ncalled, nskipped);
    assert_true(ncalled > 100);
    assert_int_equal(nbad, 0);
}

/* --- fixture: one real node, as port/posix/main.c starts it, on loopback --- */

static int group_setup(void **state)
{
    (void)state;
    snprintf(F.root, sizeof F.root, "/tmp/test_lm_decls.XXXXXX");
    if (!mkdtemp(F.root))
        return -1;
    arena_init(&F.arena, F.mem, sizeof F.mem);
    buf_init(&F.out, 1 << 20);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    node_stop();
    buf_free(&F.out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_declaration_should_be_well_formed),
        cmocka_unit_test(calls_with_declared_defaults_should_succeed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
