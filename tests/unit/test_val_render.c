/* test_val_render.c - values, Python repr, shell text and JSON renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "svc/render.h"
#include "svc/val.h"

#include <math.h>
#include <string.h>

static char s_mem[64 * 1024];
static struct arena s_a;
static struct buf s_out;

static int setup(void **state)
{
    (void)state;
    arena_init(&s_a, s_mem, sizeof(s_mem));
    buf_init(&s_out, 64 * 1024);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    buf_free(&s_out);
    return 0;
}

typedef int render_fn(struct buf *out, const struct val *v);

/* Renders v with fn into a fresh buffer and returns the text. */
static const char *rendered(render_fn *fn, const struct val *v)
{
    buf_clear(&s_out);
    assert_int_equal(fn(&s_out, v), 0);
    return buf_cstr(&s_out);
}

static const char *text(const struct val *v, bool is_help)
{
    buf_clear(&s_out);
    assert_int_equal(render_text(&s_out, v, is_help), 0);
    return buf_cstr(&s_out);
}

static struct val *str_tuple2(const char *x, const char *y)
{
    struct val *t = val_tuple(&s_a);
    val_append(t, val_str(&s_a, x));
    val_append(t, val_str(&s_a, y));
    return t;
}

/* The dict micrOS's `system info` returned in transcripts.md. */
static struct val *system_info(void)
{
    struct val *d = val_dict(&s_a);
    val_dict_set(&s_a, d, "Mem usage [%]", val_float(&s_a, 16.7));
    val_dict_set(&s_a, d, "FS usage [%]", val_float(&s_a, 6.7));
    val_dict_set(&s_a, d, "CPU load [%]", val_int(&s_a, 0));
    val_dict_set(&s_a, d, "CPU clock [MHz]", val_int(&s_a, 0));
    val_dict_set(&s_a, d, "upython", val_str(&s_a, "#1 SMP PREEMPT_DYNAMIC @0"));
    val_dict_set(&s_a, d, "board", val_str(&s_a, "x86_64"));
    val_dict_set(&s_a, d, "uptime", val_str(&s_a, "No time function was initialized..."));
    val_dict_set(&s_a, d, "mac", val_str(&s_a, "n/a"));
    return d;
}

/* ---- val ---- */

static void constructors_should_store_type_and_value(void **state)
{
    (void)state;
    assert_int_equal(val_none(&s_a)->type, VAL_NONE);
    struct val *b = val_bool(&s_a, true);
    assert_int_equal(b->type, VAL_BOOL);
    assert_true(b->u.b);
    struct val *i = val_int(&s_a, INT64_MIN);
    assert_int_equal(i->type, VAL_INT);
    assert_true(i->u.i == INT64_MIN);
    struct val *f = val_float(&s_a, 2.5);
    assert_int_equal(f->type, VAL_FLOAT);
    assert_true(f->u.f == 2.5);
    assert_int_equal(val_list(&s_a)->type, VAL_LIST);
    assert_int_equal(val_tuple(&s_a)->type, VAL_TUPLE);
    assert_int_equal(val_dict(&s_a)->type, VAL_DICT);
    assert_int_equal(val_list(&s_a)->u.c.n, 0);
}

static void val_str_should_copy_into_the_arena(void **state)
{
    (void)state;
    char src[] = "hello";
    struct val *s = val_str(&s_a, src);
    src[0] = 'J';
    assert_string_equal(s->u.s.p, "hello");
    assert_int_equal(s->u.s.len, 5);

    struct val *n = val_strn(&s_a, "a\0b", 3);
    assert_int_equal(n->u.s.len, 3);
    assert_memory_equal(n->u.s.p, "a\0b", 4); /* NUL-terminated after the copy */

    struct val *e = val_strn(&s_a, NULL, 0);
    assert_non_null(e);
    assert_string_equal(e->u.s.p, "");

    struct val *f = val_strf(&s_a, "%s:%d", "irq", 4);
    assert_string_equal(f->u.s.p, "irq:4");
    assert_int_equal(f->u.s.len, 5);
}

static void constructors_should_return_null_when_the_arena_is_full(void **state)
{
    (void)state;
    char small[64];
    struct arena a;
    arena_init(&a, small, sizeof(small));
    struct val *v;
    int made = 0;
    while ((v = val_int(&a, 1)) != NULL)
        made++;
    assert_true(made >= 1);
    assert_true(a.is_full);
    assert_null(val_str(&a, "x"));
    assert_null(val_strf(&a, "%d", 1));
    assert_null(val_dict(&a));
}

static void val_str_should_return_null_when_only_the_node_fits(void **state)
{
    (void)state;
    char small[64];
    struct arena a;
    arena_init(&a, small, sizeof(small));
    assert_null(val_str(&a, "a string that is far too long to fit after its node in this arena"));
    assert_true(a.is_full);
}

static void containers_should_accept_null_and_do_nothing(void **state)
{
    (void)state;
    struct val *l = val_list(&s_a);
    assert_null(val_append(NULL, val_int(&s_a, 1)));
    assert_null(val_append(l, NULL));
    assert_int_equal(l->u.c.n, 0);
    assert_null(val_dict_set(&s_a, NULL, "k", val_int(&s_a, 1)));
    struct val *d = val_dict(&s_a);
    assert_null(val_dict_set(&s_a, d, "k", NULL));
    assert_null(val_dict_set_ikey(&s_a, NULL, 2, val_int(&s_a, 1)));
    assert_null(val_dict_set_ikey(&s_a, d, 2, NULL));
    assert_int_equal(d->u.c.n, 0);
    assert_null(val_dict_get(NULL, "k"));
    assert_null(val_dict_get(d, "k"));
    /* wrong container kinds */
    assert_null(val_append(d, val_int(&s_a, 1)));
    assert_null(val_dict_set(&s_a, l, "k", val_int(&s_a, 1)));
}

static void append_should_keep_insertion_order(void **state)
{
    (void)state;
    struct val *l = val_list(&s_a);
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(val_append(l, val_int(&s_a, i)), l);
    assert_int_equal(l->u.c.n, 5);
    assert_string_equal(rendered(render_repr, l), "[0, 1, 2, 3, 4]");
}

static void dict_set_should_replace_an_existing_key_in_place(void **state)
{
    (void)state;
    struct val *d = val_dict(&s_a);
    val_dict_set(&s_a, d, "a", val_int(&s_a, 1));
    val_dict_set(&s_a, d, "b", val_int(&s_a, 2));
    val_dict_set(&s_a, d, "c", val_int(&s_a, 3));
    assert_ptr_equal(val_dict_set(&s_a, d, "a", val_str(&s_a, "first")), d);
    assert_ptr_equal(val_dict_set(&s_a, d, "b", val_str(&s_a, "middle")), d);
    assert_ptr_equal(val_dict_set(&s_a, d, "c", val_str(&s_a, "last")), d);
    assert_int_equal(d->u.c.n, 3);
    assert_string_equal(rendered(render_repr, d), "{'a': 'first', 'b': 'middle', 'c': 'last'}");
    /* the tail was replaced: appending still goes to the end */
    val_dict_set(&s_a, d, "d", val_int(&s_a, 4));
    assert_string_equal(rendered(render_repr, d),
                        "{'a': 'first', 'b': 'middle', 'c': 'last', 'd': 4}");
    assert_string_equal(val_dict_get(d, "c")->u.s.p, "last");
    assert_int_equal(val_dict_get(d, "d")->u.i, 4);
    assert_null(val_dict_get(d, "e"));
}

static void dict_set_ikey_should_keep_int_keys_apart_from_str_keys(void **state)
{
    (void)state;
    struct val *d = val_dict(&s_a);
    val_dict_set_ikey(&s_a, d, 2, val_str(&s_a, "builtin"));
    val_dict_set(&s_a, d, "2", val_str(&s_a, "text key"));
    val_dict_set_ikey(&s_a, d, 4, val_str(&s_a, "irq1"));
    val_dict_set_ikey(&s_a, d, 2, val_str(&s_a, "led"));
    assert_int_equal(d->u.c.n, 3);
    assert_string_equal(rendered(render_repr, d), "{2: 'led', '2': 'text key', 4: 'irq1'}");
    assert_string_equal(val_dict_get(d, "2")->u.s.p, "text key");
}

static void truthiness_should_follow_python(void **state)
{
    (void)state;
    struct val *full = val_list(&s_a);
    val_append(full, val_none(&s_a));
    struct val *fulld = val_dict(&s_a);
    val_dict_set(&s_a, fulld, "", val_none(&s_a));
    struct {
        struct val *v;
        bool is_true;
    } cases[] = {
        {NULL, false},
        {val_none(&s_a), false},
        {val_bool(&s_a, false), false},
        {val_bool(&s_a, true), true},
        {val_int(&s_a, 0), false},
        {val_int(&s_a, -1), true},
        {val_float(&s_a, 0.0), false},
        {val_float(&s_a, -0.0), false},
        {val_float(&s_a, 0.001), true},
        {val_float(&s_a, NAN), true},
        {val_str(&s_a, ""), false},
        {val_str(&s_a, "0"), true},
        {val_list(&s_a), false},
        {val_tuple(&s_a), false},
        {val_dict(&s_a), false},
        {full, true},
        {fulld, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (val_truthy(cases[i].v) != cases[i].is_true)
            fail_msg("case %zu: expected %d", i, cases[i].is_true);
    }
    assert_true(val_is_none(val_none(&s_a)));
    assert_false(val_is_none(val_int(&s_a, 0)));
    assert_false(val_is_none(NULL));
}

static void type_names_should_be_python_names(void **state)
{
    (void)state;
    assert_string_equal(val_type_name(val_none(&s_a)), "NoneType");
    assert_string_equal(val_type_name(NULL), "NoneType");
    assert_string_equal(val_type_name(val_bool(&s_a, 1)), "bool");
    assert_string_equal(val_type_name(val_int(&s_a, 1)), "int");
    assert_string_equal(val_type_name(val_float(&s_a, 1)), "float");
    assert_string_equal(val_type_name(val_str(&s_a, "")), "str");
    assert_string_equal(val_type_name(val_list(&s_a)), "list");
    assert_string_equal(val_type_name(val_tuple(&s_a)), "tuple");
    assert_string_equal(val_type_name(val_dict(&s_a)), "dict");
}

/* ---- repr ---- */

static void repr_should_print_scalars_as_python(void **state)
{
    (void)state;
    assert_string_equal(rendered(render_repr, NULL), "None");
    assert_string_equal(rendered(render_repr, val_none(&s_a)), "None");
    assert_string_equal(rendered(render_repr, val_bool(&s_a, true)), "True");
    assert_string_equal(rendered(render_repr, val_bool(&s_a, false)), "False");
    assert_string_equal(rendered(render_repr, val_int(&s_a, 0)), "0");
    assert_string_equal(rendered(render_repr, val_int(&s_a, -50)), "-50");
    assert_string_equal(rendered(render_repr, val_int(&s_a, INT64_MAX)), "9223372036854775807");
    assert_string_equal(rendered(render_repr, val_int(&s_a, INT64_MIN)), "-9223372036854775808");
}

static void repr_should_print_floats_as_python(void **state)
{
    (void)state;
    /* Each expected text is what CPython's repr() prints for the same double. */
    struct {
        double f;
        const char *repr;
    } cases[] = {
        {0.1, "0.1"},
        {16.7, "16.7"},
        {6.7, "6.7"},
        {1.0, "1.0"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {2.5, "2.5"},
        {-2000.0, "-2000.0"},
        {100.0, "100.0"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {123456789.0, "123456789.0"},
        {1e15, "1000000000000000.0"},
        {9999999999999998.0, "9999999999999998.0"},
        {1e16, "1e+16"},
        {1.5e16, "1.5e+16"},
        {1e21, "1e+21"},
        {1e22, "1e+22"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {0.0001, "0.0001"},
        {0.00012, "0.00012"},
        {1e-5, "1e-05"},
        {1.5e-7, "1.5e-07"},
        {5e-324, "5e-324"},
        {1e100, "1e+100"},
        {-1e-100, "-1e-100"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = rendered(render_repr, val_float(&s_a, cases[i].f));
        if (strcmp(got, cases[i].repr) != 0)
            fail_msg("repr(%.17g): expected %s, got %s", cases[i].f, cases[i].repr, got);
    }
}

static void repr_should_quote_strings_as_python(void **state)
{
    (void)state;
    struct {
        const char *s;
        const char *repr;
    } cases[] = {
        {"", "''"},
        {"NoAP", "'NoAP'"},
        {"it's", "\"it's\""},
        {"say \"hi\"", "'say \"hi\"'"},
        {"it's \"x\"", "'it\\'s \"x\"'"},
        {"a\\b", "'a\\\\b'"},
        {"l1\nl2\r\tx", "'l1\\nl2\\r\\tx'"},
        {"\x01\x1f\x7f", "'\\x01\\x1f\\x7f'"},
        {"caf\xc3\xa9 \xe2\x9c\x93", "'caf\xc3\xa9 \xe2\x9c\x93'"}, /* printable UTF-8 kept */
        {"nb\xc2\xa0sp", "'nb\\xa0sp'"},                            /* U+00A0 is not printable */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(rendered(render_repr, val_str(&s_a, cases[i].s)), cases[i].repr);
    /* an embedded NUL */
    assert_string_equal(rendered(render_repr, val_strn(&s_a, "a\0b", 3)), "'a\\x00b'");
}

static void repr_should_print_containers_as_python(void **state)
{
    (void)state;
    struct val *l = val_list(&s_a);
    assert_string_equal(rendered(render_repr, l), "[]");
    val_append(l, str_tuple2("NoAP", ""));
    assert_string_equal(rendered(render_repr, l), "[('NoAP', '')]");
    val_append(l, val_none(&s_a));
    val_append(l, val_float(&s_a, 1.0));
    assert_string_equal(rendered(render_repr, l), "[('NoAP', ''), None, 1.0]");

    struct val *t = val_tuple(&s_a);
    assert_string_equal(rendered(render_repr, t), "()");
    val_append(t, val_int(&s_a, 1));
    assert_string_equal(rendered(render_repr, t), "(1,)");
    val_append(t, val_bool(&s_a, false));
    assert_string_equal(rendered(render_repr, t), "(1, False)");

    struct val *d = val_dict(&s_a);
    assert_string_equal(rendered(render_repr, d), "{}");
    val_dict_set(&s_a, d, "system.heartbeat", val_str(&s_a, "Starting"));
    assert_string_equal(rendered(render_repr, d), "{'system.heartbeat': 'Starting'}");
    struct val *inner = val_dict(&s_a);
    val_dict_set_ikey(&s_a, inner, 2, val_str(&s_a, "builtin"));
    val_dict_set(&s_a, d, "pins", inner);
    val_dict_set(&s_a, d, "list", val_list(&s_a));
    assert_string_equal(rendered(render_repr, d),
                        "{'system.heartbeat': 'Starting', 'pins': {2: 'builtin'}, 'list': []}");
}

static void str_should_be_raw_for_strings_and_repr_otherwise(void **state)
{
    (void)state;
    assert_string_equal(rendered(render_str, val_str(&s_a, "it's\n'raw'")), "it's\n'raw'");
    assert_string_equal(rendered(render_str, val_int(&s_a, 5)), "5");
    assert_string_equal(rendered(render_str, NULL), "None");
    struct val *l = val_list(&s_a);
    val_append(l, val_str(&s_a, "system"));
    val_append(l, val_str(&s_a, "task"));
    assert_string_equal(rendered(render_str, l), "['system', 'task']");
}

/* ---- shell text ---- */

static void text_should_render_system_info_as_micros_does(void **state)
{
    (void)state;
    assert_string_equal(text(system_info(), false),
                        " Mem usage [%]: 16.7\n FS usage [%]: 6.7\n CPU load [%]: 0\n"
                        " CPU clock [MHz]: 0\n upython: #1 SMP PREEMPT_DYNAMIC @0\n"
                        " board: x86_64\n uptime: No time function was initialized...\n"
                        " mac: n/a");
}

static void text_should_render_nested_values_as_repr_and_int_keys_plain(void **state)
{
    (void)state;
    struct val *d = val_dict(&s_a);
    struct val *l = val_list(&s_a);
    val_append(l, str_tuple2("NoAP", ""));
    val_dict_set(&s_a, d, "stations", l);
    struct val *inner = val_dict(&s_a);
    val_dict_set(&s_a, inner, "k", val_str(&s_a, "v"));
    val_dict_set(&s_a, d, "inner", inner);
    val_dict_set(&s_a, d, "flag", val_bool(&s_a, true));
    val_dict_set(&s_a, d, "none", val_none(&s_a));
    val_dict_set_ikey(&s_a, d, 2, val_str(&s_a, "builtin"));
    val_dict_set(&s_a, d, "Amazing", val_int(&s_a, -50));
    assert_string_equal(text(d, false), " stations: [('NoAP', '')]\n inner: {'k': 'v'}\n"
                                        " flag: True\n none: None\n 2: builtin\n Amazing: -50");
}

static void text_should_render_an_empty_dict_as_nothing(void **state)
{
    (void)state;
    assert_string_equal(text(val_dict(&s_a), false), "");
    assert_int_equal(s_out.len, 0);
}

static void text_should_render_help_as_item_comma_lines(void **state)
{
    (void)state;
    struct val *h = val_tuple(&s_a);
    val_append(h, val_str(&s_a, "info"));
    val_append(h, val_str(&s_a, "top"));
    val_append(h, val_str(&s_a, "setclock year month mday hour minute sec"));
    assert_string_equal(text(h, true), " info,\n top,\n setclock year month mday hour minute sec,");
    /* the same tuple outside help is a repr */
    assert_string_equal(text(h, false),
                        "('info', 'top', 'setclock year month mday hour minute sec')");
    struct val *w = val_list(&s_a);
    val_append(w, val_str(&s_a, "{\"type\": \"graph\", \"callback\": \"top \", \"refresh\": "
                                "5000, \"limit\": 30}"));
    assert_string_equal(
        text(w, true),
        " {\"type\": \"graph\", \"callback\": \"top \", \"refresh\": 5000, \"limit\": 30},");
    assert_string_equal(text(val_tuple(&s_a), true), "");
    /* is_help does not change a str */
    assert_string_equal(text(val_str(&s_a, "x"), true), "x");
}

static void text_should_render_scalars_and_lists(void **state)
{
    (void)state;
    assert_string_equal(text(val_str(&s_a, "<3 heartbeat <3"), false), "<3 heartbeat <3");
    assert_string_equal(text(val_str(&s_a, "2026.11.23  22:2:57\nWD: 0 YD: 327"), false),
                        "2026.11.23  22:2:57\nWD: 0 YD: 327");
    assert_string_equal(text(val_bool(&s_a, true), false), "True");
    assert_string_equal(text(val_none(&s_a), false), "None");
    assert_string_equal(text(NULL, false), "None");
    assert_string_equal(text(val_int(&s_a, 5), false), "5");
    assert_string_equal(text(val_float(&s_a, 16.7), false), "16.7");
    struct val *l = val_list(&s_a);
    val_append(l, str_tuple2("NoAP", ""));
    assert_string_equal(text(l, false), "[('NoAP', '')]");
}

/* ---- JSON ---- */

static void json_should_render_system_info_as_micros_does(void **state)
{
    (void)state;
    assert_string_equal(rendered(render_json, system_info()),
                        "{\"Mem usage [%]\": 16.7, \"FS usage [%]\": 6.7, \"CPU load [%]\": 0, "
                        "\"CPU clock [MHz]\": 0, \"upython\": \"#1 SMP PREEMPT_DYNAMIC @0\", "
                        "\"board\": \"x86_64\", \"uptime\": \"No time function was "
                        "initialized...\", \"mac\": \"n/a\"}");
}

static void json_should_render_scalars(void **state)
{
    (void)state;
    assert_string_equal(rendered(render_json, NULL), "null");
    assert_string_equal(rendered(render_json, val_none(&s_a)), "null");
    assert_string_equal(rendered(render_json, val_bool(&s_a, true)), "true");
    assert_string_equal(rendered(render_json, val_bool(&s_a, false)), "false");
    assert_string_equal(rendered(render_json, val_int(&s_a, -50)), "-50");
    assert_string_equal(rendered(render_json, val_int(&s_a, INT64_MIN)), "-9223372036854775808");
    assert_string_equal(rendered(render_json, val_float(&s_a, 16.7)), "16.7");
    assert_string_equal(rendered(render_json, val_float(&s_a, 0.1)), "0.1");
    assert_string_equal(rendered(render_json, val_float(&s_a, 1.0)), "1.0");
    assert_string_equal(rendered(render_json, val_float(&s_a, 1e21)), "1e+21");
    assert_string_equal(rendered(render_json, val_float(&s_a, 1e-7)), "1e-07");
    assert_string_equal(rendered(render_json, val_float(&s_a, NAN)), "null");
    assert_string_equal(rendered(render_json, val_float(&s_a, INFINITY)), "null");
    assert_string_equal(rendered(render_json, val_float(&s_a, -INFINITY)), "null");
    assert_string_equal(rendered(render_json, val_str(&s_a, "<3 heartbeat <3")),
                        "\"<3 heartbeat <3\"");
}

static void json_should_render_containers_with_micros_separators(void **state)
{
    (void)state;
    struct val *d = val_dict(&s_a);
    assert_string_equal(rendered(render_json, d), "{}");
    assert_string_equal(rendered(render_json, val_list(&s_a)), "[]");
    assert_string_equal(rendered(render_json, val_tuple(&s_a)), "[]");

    struct val *active = val_list(&s_a);
    val_append(active, val_str(&s_a, "idle"));
    val_append(active, val_str(&s_a, "server"));
    val_dict_set(&s_a, d, "active", active);
    val_dict_set(&s_a, d, "inactive", val_list(&s_a));
    assert_string_equal(rendered(render_json, d),
                        "{\"active\": [\"idle\", \"server\"], \"inactive\": []}");

    struct val *l = val_list(&s_a);
    val_append(l, str_tuple2("NoAP", ""));
    val_append(l, val_none(&s_a));
    struct val *t1 = val_tuple(&s_a);
    val_append(t1, val_int(&s_a, 1));
    val_append(l, t1);
    assert_string_equal(rendered(render_json, l), "[[\"NoAP\", \"\"], null, [1]]");

    struct val *pins = val_dict(&s_a);
    val_dict_set_ikey(&s_a, pins, 2, val_str(&s_a, "builtin"));
    val_dict_set_ikey(&s_a, pins, -4, val_bool(&s_a, true));
    val_dict_set(&s_a, pins, "nested", l);
    assert_string_equal(
        rendered(render_json, pins),
        "{\"2\": \"builtin\", \"-4\": true, \"nested\": [[\"NoAP\", \"\"], null, [1]]}");
}

static void json_should_escape_strings(void **state)
{
    (void)state;
    struct {
        const char *s;
        const char *json;
    } cases[] = {
        {"", "\"\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"it's", "\"it's\""},
        {"a\\b/c", "\"a\\\\b/c\""},
        {"l1\nl2\r\t\b\f", "\"l1\\nl2\\r\\t\\b\\f\""},
        {"\x01\x1f", "\"\\u0001\\u001f\""},
        {"\x7f", "\"\x7f\""},
        {"caf\xc3\xa9 \xe2\x9c\x93", "\"caf\xc3\xa9 \xe2\x9c\x93\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(rendered(render_json, val_str(&s_a, cases[i].s)), cases[i].json);

    buf_clear(&s_out);
    assert_int_equal(render_json_string(&s_out, "a\0b\"", 4), 0);
    assert_string_equal(buf_cstr(&s_out), "\"a\\u0000b\\\"\"");

    struct val *d = val_dict(&s_a);
    val_dict_set(&s_a, d, "k\"ey", val_str(&s_a, "v"));
    assert_string_equal(rendered(render_json, d), "{\"k\\\"ey\": \"v\"}");
}

static void render_should_fail_with_err_full_when_the_buffer_limit_is_hit(void **state)
{
    (void)state;
    struct buf small;
    buf_init(&small, 10);
    assert_int_equal(render_json(&small, system_info()), ERR_FULL);
    assert_true(small.is_full);
    buf_clear(&small);
    assert_int_equal(render_text(&small, system_info(), false), ERR_FULL);
    buf_clear(&small);
    assert_int_equal(render_repr(&small, val_str(&s_a, "0123456789")), ERR_FULL);
    buf_clear(&small);
    assert_int_equal(render_repr(&small, val_str(&s_a, "01234567")), 0);
    assert_string_equal(buf_cstr(&small), "'01234567'");
    buf_free(&small);
}

static void renderers_should_append_to_existing_content(void **state)
{
    (void)state;
    buf_clear(&s_out);
    buf_puts(&s_out, "result=");
    assert_int_equal(render_json(&s_out, val_int(&s_a, 1)), 0);
    assert_int_equal(render_text(&s_out, val_str(&s_a, ";x"), false), 0);
    assert_string_equal(buf_cstr(&s_out), "result=1;x");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(constructors_should_store_type_and_value),
        T(val_str_should_copy_into_the_arena),
        T(constructors_should_return_null_when_the_arena_is_full),
        T(val_str_should_return_null_when_only_the_node_fits),
        T(containers_should_accept_null_and_do_nothing),
        T(append_should_keep_insertion_order),
        T(dict_set_should_replace_an_existing_key_in_place),
        T(dict_set_ikey_should_keep_int_keys_apart_from_str_keys),
        T(truthiness_should_follow_python),
        T(type_names_should_be_python_names),
        T(repr_should_print_scalars_as_python),
        T(repr_should_print_floats_as_python),
        T(repr_should_quote_strings_as_python),
        T(repr_should_print_containers_as_python),
        T(str_should_be_raw_for_strings_and_repr_otherwise),
        T(text_should_render_system_info_as_micros_does),
        T(text_should_render_nested_values_as_repr_and_int_keys_plain),
        T(text_should_render_an_empty_dict_as_nothing),
        T(text_should_render_help_as_item_comma_lines),
        T(text_should_render_scalars_and_lists),
        T(json_should_render_system_info_as_micros_does),
        T(json_should_render_scalars),
        T(json_should_render_containers_with_micros_separators),
        T(json_should_escape_strings),
        T(render_should_fail_with_err_full_when_the_buffer_limit_is_hit),
        T(renderers_should_append_to_existing_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
