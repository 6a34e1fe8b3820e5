/* test_lm.c - argument binding, sudo, help entries and widget JSON from declarations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "svc/cfg.h"
#include "svc/lm.h"
#include "svc/render.h"

#include <string.h>

/* The config is not under test: appwd is fixed. */
const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    return key == CFG_K_appwd ? "ADmin123" : "n/a";
}

static int fn_ok(struct lm_ctx *ctx)
{
    return lm_ret_str(ctx, "ok");
}

static const struct lm_func s_funcs[] = {
    {.name = "color",
     .fn = fn_ok,
     .params = LM_PARAMS({"r", LM_INT, NULL, "0-1000-10"}, {"g", LM_INT, NULL, NULL},
                         {"b", LM_INT, NULL, NULL}, {"smooth", LM_BOOL, "True", NULL},
                         {"force", LM_BOOL, "True", NULL}),
     .widget = "COLOR"},
    {.name = "toggle",
     .fn = fn_ok,
     .params =
         LM_PARAMS({"state", LM_ANY, "None", "True,False"}, {"smooth", LM_BOOL, "True", NULL}),
     .widget = "BUTTON"},
    {.name = "brightness",
     .fn = fn_ok,
     .params = LM_PARAMS({"percent", LM_INT, NULL, "0-100"}, {"smooth", LM_BOOL, "True", NULL},
                         {"wake", LM_BOOL, "True", NULL}),
     .widget = "SLIDER"},
    {.name = "status", .fn = fn_ok, .widget = "STATUS"},
    {.name = "top", .fn = fn_ok, .widget = "GRAPH{\"refresh\": 5000}"},
    {.name = "measure", .fn = fn_ok, .widget = "TEXTBOX{\"refresh\": 5000}"},
    {.name = "heartbeat", .fn = fn_ok},
    {.name = "setclock",
     .fn = fn_ok,
     .params = LM_PARAMS({"year", LM_INT, NULL, NULL}, {"month", LM_INT, NULL, NULL},
                         {"mday", LM_INT, NULL, NULL})},
    {.name = "secret",
     .fn = fn_ok,
     .params = LM_PARAMS({"x", LM_INT, "0", NULL}),
     .flags = LM_SUDO},
    {.name = "opt",
     .fn = fn_ok,
     .params = LM_PARAMS({"force", LM_BOOL, "False", NULL}),
     .flags = LM_SUDO_FORCE},
    {.name = "name", .fn = fn_ok, .params = LM_PARAMS({"s", LM_STR, NULL, NULL})},
    {.name = NULL},
};
static const struct lm_module s_mod = {"demo", s_funcs, NULL};

struct fixture {
    char mem[16384];
    struct arena a;
    struct node node;
    struct lm_ctx ctx;
};

static struct fixture s_fx;

/* Parses "demo <fn> args..." and binds; returns lm_bind's result. */
static int bind_line(const char *line)
{
    struct fixture *f = &s_fx;
    memset(f, 0, sizeof *f);
    arena_init(&f->a, f->mem, sizeof f->mem);
    struct cmd c;
    assert_int_equal(cmd_parse(str_c(line), &c), 0);
    const struct lm_func *fn = lm_func_find(&s_mod, c.tok[1]);
    assert_non_null(fn);
    struct cmd_arg args[CMD_MAX_ARGS];
    char err[128];
    int n = cmd_parse_args(&c, &f->a, args, CMD_MAX_ARGS, err, sizeof err);
    assert_true(n >= 0);
    static struct cfg dummy_cfg;
    f->node.cfg = &dummy_cfg;
    f->ctx = (struct lm_ctx){.node = &f->node, .mod = &s_mod, .fn = fn, .arena = &f->a};
    return lm_bind(&f->ctx, args, (size_t)n);
}

static void bind_fills_defaults_and_keywords(void **state)
{
    (void)state;
    assert_int_equal(bind_line("demo color 10 g=20 b=30"), 0);
    assert_int_equal(lm_int(&s_fx.ctx, "r"), 10);
    assert_int_equal(lm_int(&s_fx.ctx, "g"), 20);
    assert_int_equal(lm_int(&s_fx.ctx, "b"), 30);
    assert_true(lm_bool(&s_fx.ctx, "smooth"));
}

static void bind_reports_python_style_errors(void **state)
{
    (void)state;
    assert_int_equal(bind_line("demo heartbeat 1"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err, "heartbeat() takes 0 positional arguments but 1 was given");
    assert_int_equal(bind_line("demo color 1 2 3 True True 6"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err,
                        "color() takes from 3 to 5 positional arguments but 6 were given");
    assert_int_equal(bind_line("demo setclock 2024"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err,
                        "setclock() missing 2 required positional arguments: 'month', 'mday'");
    assert_int_equal(bind_line("demo color 1 2 3 nope=1"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err, "color() got an unexpected keyword argument 'nope'");
    assert_int_equal(bind_line("demo color 1 2 3 r=4"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err, "color() got multiple values for argument 'r'");
    assert_int_equal(bind_line("demo color red 2 3"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err, "color() argument 'r' must be int, not str");
}

static void bind_converts_ints_for_strings_and_bools(void **state)
{
    (void)state;
    assert_int_equal(bind_line("demo name 42"), 0);
    assert_string_equal(lm_str(&s_fx.ctx, "s"), "42");
    assert_int_equal(bind_line("demo opt 1"), ERR_INVAL); /* force=1 needs the password */
    assert_int_equal(bind_line("demo opt 0"), 0);
}

static void sudo_needs_the_password(void **state)
{
    (void)state;
    assert_int_equal(bind_line("demo secret"), ERR_INVAL);
    assert_string_equal(s_fx.ctx.err, "Access denied, wrong password (pwd)");
    assert_int_equal(bind_line("demo secret pwd=wrong"), ERR_INVAL);
    assert_int_equal(bind_line("demo secret pwd=ADmin12"), ERR_INVAL);
    assert_int_equal(bind_line("demo secret 5 pwd=\"ADmin123\""), 0);
    assert_int_equal(lm_int(&s_fx.ctx, "x"), 5);
    assert_int_equal(bind_line("demo opt force=True pwd=ADmin123"), 0);
}

/* Checks the widget JSON of the function called name. */
static void expect_widget(const char *name, const char *json)
{
    const struct lm_func *fn = lm_func_find(&s_mod, str_c(name));
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(lm_widget_json(fn, &b), 0);
    assert_string_equal(buf_cstr(&b), json);
    buf_free(&b);
}

static void widgets_match_micros_types(void **state)
{
    (void)state;
    expect_widget("color", "{\"type\": \"color\", \"callback\": \"color r=:range: g=:range: "
                           "b=:range: smooth=True force=True\", \"range\": [0, 1000, 10]}");
    expect_widget("toggle",
                  "{\"type\": \"button\", \"callback\": \"toggle state=:options: "
                  "smooth=True\", \"result\": false, \"options\": [\"True\", \"False\"]}");
    expect_widget("brightness", "{\"type\": \"slider\", \"callback\": \"brightness "
                                "percent=:range: smooth=True wake=True\", \"range\": [0, 100, 2]}");
    expect_widget("status",
                  "{\"type\": \"status\", \"callback\": \"status \", \"wtype\": \"auto\"}");
    expect_widget("top", "{\"type\": \"graph\", \"callback\": \"top \", \"refresh\": 5000, "
                         "\"limit\": 30}");
    expect_widget("measure",
                  "{\"type\": \"textbox\", \"callback\": \"measure \", \"refresh\": 5000}");
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(lm_widget_json(lm_func_find(&s_mod, str_c("heartbeat")), &b), ERR_NOENT);
    buf_free(&b);
}

static void help_lists_entries_and_widgets(void **state)
{
    (void)state;
    char mem[16384];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct val *h = lm_help(&s_mod, false, &a);
    assert_non_null(h);
    assert_int_equal(h->u.c.n, 11);
    assert_string_equal(h->u.c.head->u.s.p, "color r=<0-1000-10> g b smooth=True force=True");
    struct buf b;
    buf_init(&b, 8192);
    assert_int_equal(render_text(&b, h, true), 0);
    assert_true(strstr(buf_cstr(&b), " setclock year month mday,\n") != NULL);
    buf_free(&b);
    struct val *w = lm_help(&s_mod, true, &a);
    assert_int_equal(w->u.c.n, 6);
}

/* help's extra REST member names the sudo functions (always, or the parameter that asks). */
static void help_sudo_names_the_sudo_functions(void **state)
{
    (void)state;
    char mem[4096];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    const char *s = lm_help_sudo(&s_mod, &a);
    assert_non_null(s);
    assert_string_equal(s, ", \"sudo\": {\"secret\": true, \"opt\": \"force\"}");
    static const struct lm_func plain[] = {{.name = "f", .fn = fn_ok}, {.name = NULL}};
    static const struct lm_module none = {"plain", plain, NULL};
    assert_null(lm_help_sudo(&none, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bind_fills_defaults_and_keywords),
        cmocka_unit_test(bind_reports_python_style_errors),
        cmocka_unit_test(bind_converts_ints_for_strings_and_bools),
        cmocka_unit_test(sudo_needs_the_password),
        cmocka_unit_test(widgets_match_micros_types),
        cmocka_unit_test(help_lists_entries_and_widgets),
        cmocka_unit_test(help_sudo_names_the_sudo_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
