/* test_cmd.c - command-line splitting, postfixes and argument literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "svc/cmd.h"
#include "svc/render.h"
#include "svc/val.h"

#include <stdio.h>
#include <string.h>

static char s_mem[64 * 1024];
static struct arena s_a;
static struct buf s_out;

static int setup(void **state)
{
    (void)state;
    arena_init(&s_a, s_mem, sizeof(s_mem));
    buf_init(&s_out, 16 * 1024);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    buf_free(&s_out);
    return 0;
}

static const char *repr(const struct val *v)
{
    buf_clear(&s_out);
    assert_int_equal(render_repr(&s_out, v), 0);
    return buf_cstr(&s_out);
}

/* The tokens of c joined with '|', for compact expectations. */
static const char *joined(const struct cmd *c)
{
    static char out[1024];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->ntok; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", i ? "|" : "", STR_FMT(c->tok[i]));
    return out;
}

static int parse(const char *line, struct cmd *c)
{
    return cmd_parse(str_c(line), c);
}

/* ---- tokens ---- */

static void parse_should_split_on_whitespace_outside_quotes(void **state)
{
    (void)state;
    struct {
        const char *line;
        const char *toks;
    } cases[] = {
        {"", ""},
        {"   \t ", ""},
        {"hello", "hello"},
        {"  system   info  ", "system|info"},
        {"system\tinfo\r\n", "system|info"},
        {"system pinmap \"builtin irq1\"", "system|pinmap|\"builtin irq1\""},
        {"a b 'two  spaces\tand tab'", "a|b|'two  spaces\tand tab'"},
        {"a b pwd=\"AD min\" x", "a|b|pwd=\"AD min\"|x"},
        {"a b \"it's\" 'say \"hi\"'", "a|b|\"it's\"|'say \"hi\"'"},
        {"a b \"esc \\\" still in\" c", "a|b|\"esc \\\" still in\"|c"},
        {"a b x'y z'w", "a|b|x'y z'w"},
        {"a b \"\"", "a|b|\"\""},
        {"a b [1,2,3]", "a|b|[1,2,3]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cmd c;
        assert_int_equal(parse(cases[i].line, &c), 0);
        if (strcmp(joined(&c), cases[i].toks) != 0)
            fail_msg("'%s': expected %s, got %s", cases[i].line, cases[i].toks, joined(&c));
        assert_false(c.is_task || c.is_json || c.is_remote || c.has_bare_remote);
    }
}

static void parse_should_reject_an_unterminated_quote(void **state)
{
    (void)state;
    const char *bad[] = {"a b \"open", "a b 'open", "a b \"esc at end\\\"", "don't stop",
                         "a b \"x\" 'y"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cmd c;
        if (parse(bad[i], &c) != ERR_SYNTAX)
            fail_msg("'%s' should be a syntax error", bad[i]);
    }
}

static void parse_should_refuse_more_than_max_tokens(void **state)
{
    (void)state;
    char line[512] = "";
    for (int i = 0; i < CMD_MAX_TOKENS; i++)
        strcat(line, "t ");
    struct cmd c;
    assert_int_equal(parse(line, &c), 0);
    assert_int_equal(c.ntok, CMD_MAX_TOKENS);
    strcat(line, "t");
    assert_int_equal(parse(line, &c), ERR_TOOBIG);
}

static void parse_should_keep_views_into_the_line(void **state)
{
    (void)state;
    const char *line = "system info";
    struct cmd c;
    assert_int_equal(cmd_parse(str_c(line), &c), 0);
    assert_ptr_equal(c.tok[0].p, line);
    assert_ptr_equal(c.tok[1].p, line + 7);
    /* a view that is not NUL-terminated: only len bytes count */
    assert_int_equal(cmd_parse((struct str){"hello world", 5}, &c), 0);
    assert_string_equal(joined(&c), "hello");
}

/* ---- postfixes ---- */

struct postfix_case {
    const char *line;
    const char *toks;
    bool is_task, is_loop;
    uint32_t task_ms;
    bool is_json, is_remote, has_bare_remote;
    const char *remote;
};

static void parse_should_take_postfixes_off_in_micros_order(void **state)
{
    (void)state;
    const struct postfix_case cases[] = {
        /* task: only with more than 2 tokens, when the last one contains '&' */
        {"system heartbeat &&1000", "system|heartbeat", true, true, 1000, 0, 0, 0, ""},
        {"system heartbeat &", "system|heartbeat", true, false, 20, 0, 0, 0, ""},
        {"system heartbeat &&", "system|heartbeat", true, true, 20, 0, 0, 0, ""},
        {"system clock &5", "system|clock", true, false, 20, 0, 0, 0, ""},
        {"system clock &&5", "system|clock", true, true, 20, 0, 0, 0, ""},
        {"system clock &&19", "system|clock", true, true, 20, 0, 0, 0, ""},
        {"system clock &&20", "system|clock", true, true, 20, 0, 0, 0, ""},
        {"system clock &2000", "system|clock", true, false, 2000, 0, 0, 0, ""},
        {"system clock &&99999999999", "system|clock", true, true, UINT32_MAX, 0, 0, 0, ""},
        /* "&&&" counts three '&': a one-shot task */
        {"system clock &&&", "system|clock", true, false, 20, 0, 0, 0, ""},
        {"system clock &&&500", "system|clock", true, false, 500, 0, 0, 0, ""},
        /* digits before the '&' count too (micrOS drops every '&' and reads what is left) */
        {"system clock 500&&", "system|clock", true, true, 500, 0, 0, 0, ""},
        {"system clock &&1x", "system|clock", true, true, 20, 0, 0, 0, ""},
        {"system top 1 2 &&1000", "system|top|1|2", true, true, 1000, 0, 0, 0, ""},
        /* 2 tokens: "&" is the function name, no task */
        {"system &", "system|&", false, false, 20, 0, 0, 0, ""},
        {"system &&1000", "system|&&1000", false, false, 20, 0, 0, 0, ""},
        /* As in micrOS, a quoted last argument that contains '&' is taken as the task
         * postfix: `system pinmap "a&b"` runs `system pinmap` as a one-shot task. */
        {"system pinmap \"a&b\"", "system|pinmap", true, false, 20, 0, 0, 0, ""},
        /* >json */
        {"system info >json", "system|info", false, false, 20, 1, 0, 0, ""},
        {"system heartbeat >json &&1000", "system|heartbeat", true, true, 1000, 1, 0, 0, ""},
        {"system heartbeat &&1000 >json", "system|heartbeat|&&1000", false, false, 20, 1, 0, 0, ""},
        {">json", "", false, false, 20, 1, 0, 0, ""},
        {"system info >JSON", "system|info|>JSON", false, false, 20, 0, 0, 0, ""},
        /* >>host: no length rule */
        {"hello >>127.0.0.1", "hello", false, false, 20, 0, 1, 1, "127.0.0.1"},
        {"system info >>node02.local", "system|info", false, false, 20, 0, 1, 1, "node02.local"},
        {"system info >>node-2:9008", "system|info", false, false, 20, 0, 1, 1, "node-2:9008"},
        {"system heartbeat >>nohost &", "system|heartbeat", true, false, 20, 0, 1, 1, "nohost"},
        {"system info >>host >json", "system|info", false, false, 20, 1, 1, 1, "host"},
        /* >json before >>host stays a token: it travels to the remote node */
        {"system info >json >>node02.local", "system|info|>json", false, false, 20, 0, 1, 1,
         "node02.local"},
        {"system info >>a >>b", "system|info|>>a", false, false, 20, 0, 1, 1, "b"},
        /* a bare or malformed >> stays a token but skips the built-ins */
        {"version >>", "version|>>", false, false, 20, 0, 0, 1, ""},
        {"system info >>bad_host", "system|info|>>bad_host", false, false, 20, 0, 0, 1, ""},
        {"system info >>a/b", "system|info|>>a/b", false, false, 20, 0, 0, 1, ""},
        {"system info >", "system|info|>", false, false, 20, 0, 0, 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct postfix_case *k = &cases[i];
        struct cmd c;
        assert_int_equal(parse(k->line, &c), 0);
        if (strcmp(joined(&c), k->toks) != 0)
            fail_msg("'%s': tokens %s, expected %s", k->line, joined(&c), k->toks);
        if (c.is_task != k->is_task || c.is_loop != k->is_loop || c.task_ms != k->task_ms)
            fail_msg("'%s': task %d loop %d ms %u", k->line, c.is_task, c.is_loop, c.task_ms);
        if (c.is_json != k->is_json)
            fail_msg("'%s': is_json %d", k->line, c.is_json);
        if (c.is_remote != k->is_remote || c.has_bare_remote != k->has_bare_remote)
            fail_msg("'%s': remote %d bare %d", k->line, c.is_remote, c.has_bare_remote);
        if (!str_eqc(c.remote, k->remote))
            fail_msg("'%s': remote '%.*s'", k->line, STR_FMT(c.remote));
    }
}

/* ---- literals ---- */

static void literal_should_parse_every_kind(void **state)
{
    (void)state;
    struct {
        const char *tok;
        const char *repr;
    } cases[] = {
        /* ints */
        {"0", "0"},
        {"10", "10"},
        {"-5", "-5"},
        {"+7", "7"},
        {"000", "0"},
        {"0x1f", "31"},
        {"0X1F", "31"},
        {"-0x10", "-16"},
        {"0b101", "5"},
        {"0o17", "15"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"0x7fffffffffffffff", "9223372036854775807"},
        /* floats */
        {"1.5", "1.5"},
        {"-2e3", "-2000.0"},
        {".5", "0.5"},
        {"5.", "5.0"},
        {"1e5", "100000.0"},
        {"1E-2", "0.01"},
        {"+2.5e+1", "25.0"},
        {"16.7", "16.7"},
        {"007.5", "7.5"},
        {"1e999", "inf"},
        /* constants */
        {"True", "True"},
        {"False", "False"},
        {"None", "None"},
        {"true", "True"},
        {"false", "False"},
        {"null", "None"},
        /* quoted strings: escapes, whitespace kept */
        {"\"builtin irq1\"", "'builtin irq1'"},
        {"'two  spaces\tand tab'", "'two  spaces\\tand tab'"},
        {"\"\"", "''"},
        {"''", "''"},
        {"\"it's\"", "\"it's\""},
        {"'say \\\"hi\\\"'", "'say \"hi\"'"},
        {"'it\\'s'", "\"it's\""},
        {"\"a\\\\b\"", "'a\\\\b'"},
        {"\"l1\\nl2\\tx\\r\"", "'l1\\nl2\\tx\\r'"},
        {"\"\\x41\\x42\"", "'AB'"},
        {"\"\\x01\"", "'\\x01'"},
        {"\"caf\\xe9\"", "'caf\xc3\xa9'"},
        {"\"\\u2713\"", "'\xe2\x9c\x93'"},
        {"\"\\101\\0\"", "'A\\x00'"},
        {"\"\\d\"", "'\\\\d'"}, /* unknown escape kept as written, as Python does */
        {"\"True\"", "'True'"},
        {"\"5\"", "'5'"},
        /* lists */
        {"[]", "[]"},
        {"[1,2,3]", "[1, 2, 3]"},
        {"['a', 2]", "['a', 2]"},
        {"[1,]", "[1]"},
        {"[ 1 , 'x, y' , None ]", "[1, 'x, y', None]"},
        {"[1.5,True,\"]\"]", "[1.5, True, ']']"},
        {"[[1,2],[],[3]]", "[[1, 2], [], [3]]"},
        {"[a,b]", "['a', 'b']"},
        /* bare words are strings (COMPAT A2), also malformed numbers */
        {"builtin", "'builtin'"},
        {"1.2.3", "'1.2.3'"},
        {"0x", "'0x'"},
        {"0xZZ", "'0xZZ'"},
        {"0b102", "'0b102'"},
        {"0012", "'0012'"},
        {"1e", "'1e'"},
        {"-", "'-'"},
        {".", "'.'"},
        {"inf", "'inf'"},
        {"nan", "'nan'"},
        {"TRUE", "'TRUE'"},
        {"(1+1)", "'(1+1)'"},
        {"a]", "'a]'"},
        {"1,2", "'1,2'"},
        {"caf\xc3\xa9", "'caf\xc3\xa9'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[64] = "";
        struct val *v = cmd_parse_literal(str_c(cases[i].tok), &s_a, err, sizeof(err));
        if (!v)
            fail_msg("%s: error %s", cases[i].tok, err);
        const char *got = repr(v);
        if (strcmp(got, cases[i].repr) != 0)
            fail_msg("%s: expected %s, got %s", cases[i].tok, cases[i].repr, got);
    }
}

static void literal_types_should_be_exact(void **state)
{
    (void)state;
    char err[64];
    assert_int_equal(cmd_parse_literal(str_c("5"), &s_a, err, sizeof(err))->type, VAL_INT);
    assert_int_equal(cmd_parse_literal(str_c("5."), &s_a, err, sizeof(err))->type, VAL_FLOAT);
    assert_int_equal(cmd_parse_literal(str_c("\"5\""), &s_a, err, sizeof(err))->type, VAL_STR);
    assert_int_equal(cmd_parse_literal(str_c("x5"), &s_a, err, sizeof(err))->type, VAL_STR);
    assert_int_equal(cmd_parse_literal(str_c("null"), &s_a, err, sizeof(err))->type, VAL_NONE);
    struct val *s = cmd_parse_literal(str_c("\"a\\x00b\""), &s_a, err, sizeof(err));
    assert_int_equal(s->u.s.len, 3);
    assert_memory_equal(s->u.s.p, "a\0b", 4);
    struct val *l = cmd_parse_literal(str_c("[1,'x']"), &s_a, err, sizeof(err));
    assert_int_equal(l->type, VAL_LIST);
    assert_int_equal(l->u.c.n, 2);
}

static void literal_should_reject_malformed_syntax(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "\"open",
        "'open",
        "\"a\"b",
        "'a'\"b\"",
        "ab\"c d\"",
        "it's",
        "\"\\x4\"",
        "\"\\xZZ\"",
        "\"\\ud800\"",
        "\"end\\",
        "[1,",
        "[",
        "[1,2",
        "[1]]",
        "[1]x",
        "[,]",
        "[1,,2]",
        "[,1]",
        "['a]",
        "[[[[[[[[[1]]]]]]]]]",
        "[1,\"x]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[64] = "";
        if (cmd_parse_literal(str_c(bad[i]), &s_a, err, sizeof(err)) != NULL)
            fail_msg("%s should be a syntax error", bad[i]);
        assert_string_equal(err, "invalid syntax");
        assert_false(s_a.is_full);
    }
}

static void literal_should_reject_ints_outside_int64(void **state)
{
    (void)state;
    const char *bad[] = {"9223372036854775808", "-9223372036854775809", "0x8000000000000000",
                         "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[64] = "";
        assert_null(cmd_parse_literal(str_c(bad[i]), &s_a, err, sizeof(err)));
        assert_true(strncmp(err, "integer out of range", 20) == 0);
    }
    /* a digit run with junk after it is a bare word, not a range error */
    char err[64];
    assert_string_equal(
        repr(cmd_parse_literal(str_c("99999999999999999999x"), &s_a, err, sizeof(err))),
        "'99999999999999999999x'");
}

static void literal_should_tolerate_a_null_error_buffer(void **state)
{
    (void)state;
    assert_null(cmd_parse_literal(str_c("[1,"), &s_a, NULL, 0));
    assert_non_null(cmd_parse_literal(str_c("1"), &s_a, NULL, 0));
}

static void literal_should_fail_when_the_arena_is_full(void **state)
{
    (void)state;
    char small[48];
    struct arena a;
    arena_init(&a, small, sizeof(small));
    char err[64] = "";
    assert_null(
        cmd_parse_literal(str_c("\"a string longer than the arena\""), &a, err, sizeof(err)));
    assert_true(a.is_full);
    assert_string_equal(err, "out of memory");
}

/* ---- arguments ---- */

/* Parses line and returns the arguments as "key=repr" / "repr" joined with ' | '. */
static const char *args_of(const char *line, int *rc, char *err, size_t errcap)
{
    static char out[1024];
    struct cmd c;
    struct cmd_arg args[CMD_MAX_ARGS];
    assert_int_equal(parse(line, &c), 0);
    *rc = cmd_parse_args(&c, &s_a, args, CMD_MAX_ARGS, err, errcap);
    out[0] = '\0';
    size_t o = 0;
    for (int i = 0; i < *rc; i++) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", i ? " | " : "");
        if (args[i].key.len)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s=", STR_FMT(args[i].key));
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", repr(args[i].v));
    }
    return out;
}

static void args_should_parse_positional_and_keyword_arguments(void **state)
{
    (void)state;
    struct {
        const char *line;
        int n;
        const char *args;
    } cases[] = {
        {"system info", 0, ""},
        {"hello", 0, ""},
        {"system heartbeat 1", 1, "1"},
        {"system pinmap builtin", 1, "'builtin'"},
        {"system pinmap \"builtin irq1\"", 1, "'builtin irq1'"},
        {"robustness func_sudo pwd=\"ADmin123\"", 1, "pwd='ADmin123'"},
        {"robustness func_sudo pwd=ADmin123", 1, "pwd='ADmin123'"},
        {"m f 1 -2.5 'x y' key=True other=[1,2] none=None", 6,
         "1 | -2.5 | 'x y' | key=True | other=[1, 2] | none=None"},
        {"m f _k9=0x10", 1, "_k9=16"},
        {"m f k=\"a=b\"", 1, "k='a=b'"},
        {"m f a==b", 1, "'a==b'"},
        {"m f 1=2", 1, "'1=2'"},
        {"m f =x", 1, "'=x'"},
        {"m f k=v=w", 1, "k='v=w'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        char err[80] = "";
        const char *got = args_of(cases[i].line, &rc, err, sizeof(err));
        if (rc != cases[i].n)
            fail_msg("'%s': rc %d (%s), expected %d", cases[i].line, rc, err, cases[i].n);
        if (strcmp(got, cases[i].args) != 0)
            fail_msg("'%s': got %s, expected %s", cases[i].line, got, cases[i].args);
    }
}

static void args_should_report_python_style_errors(void **state)
{
    (void)state;
    struct {
        const char *line;
        int rc;
        const char *err;
    } cases[] = {
        {"m f k=1 2", ERR_SYNTAX, "positional argument follows keyword argument"},
        {"m f k=1 j=2 k=3", ERR_SYNTAX, "keyword argument repeated: k"},
        {"m f k=", ERR_SYNTAX, "invalid syntax"},
        {"m f [1,", ERR_SYNTAX, "invalid syntax"},
        {"m f k=[1,", ERR_SYNTAX, "invalid syntax"},
        {"m f 1 \"a\"b", ERR_SYNTAX, "invalid syntax"},
        {"m f 99999999999999999999", ERR_SYNTAX, "integer out of range: 99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        char err[80] = "";
        args_of(cases[i].line, &rc, err, sizeof(err));
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].line, rc, cases[i].rc);
        assert_string_equal(err, cases[i].err);
    }
}

static void args_should_refuse_more_than_cap(void **state)
{
    (void)state;
    struct cmd c;
    struct cmd_arg args[3];
    char err[64] = "";
    assert_int_equal(parse("m f 1 2 3", &c), 0);
    assert_int_equal(cmd_parse_args(&c, &s_a, args, 3, err, sizeof(err)), 3);
    assert_int_equal(parse("m f 1 2 3 4", &c), 0);
    assert_int_equal(cmd_parse_args(&c, &s_a, args, 3, err, sizeof(err)), ERR_TOOBIG);
    assert_string_equal(err, "too many arguments");
}

static void args_should_report_nomem_when_the_arena_is_full(void **state)
{
    (void)state;
    char small[64];
    struct arena a;
    arena_init(&a, small, sizeof(small));
    struct cmd c;
    struct cmd_arg args[8];
    char err[64] = "";
    assert_int_equal(parse("m f word1 word2 word3 word4 word5", &c), 0);
    assert_int_equal(cmd_parse_args(&c, &a, args, 8, err, sizeof(err)), ERR_NOMEM);
}

static void args_should_leave_postfixes_out(void **state)
{
    (void)state;
    int rc;
    char err[64] = "";
    assert_string_equal(args_of("system clock 5 >>node2 >json &&1000", &rc, err, sizeof(err)), "5");
    assert_int_equal(rc, 1);
}

static void is_ident_should_accept_python_identifiers_only(void **state)
{
    (void)state;
    const char *good[] = {"a", "_", "pwd", "_k9", "Amazing", "a_b_C"};
    const char *bad[] = {"", "9a", "a-b", "a b", "a=", "é", "a.b"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(cmd_is_ident(str_c(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cmd_is_ident(str_c(bad[i])))
            fail_msg("'%s' is not an identifier", bad[i]);
    assert_true(cmd_is_ident((struct str){"ab-c", 2}));
}

static void split_should_honour_quotes_only_when_asked(void **state)
{
    (void)state;
    struct str tok[4];
    size_t n = 0;
    struct str line = STR_LIT("  rgb  color 'a b' x");
    assert_int_equal(cmd_split(line, true, tok, 4, &n), 0);
    assert_int_equal(n, 4);
    assert_true(str_eqc(tok[2], "'a b'"));
    assert_int_equal(cmd_split(line, false, tok, 4, &n), ERR_TOOBIG);
    assert_int_equal(n, 4); /* the first cap words are filled */
    assert_true(str_eqc(tok[2], "'a"));
    assert_true(str_eqc(tok[3], "b'"));
    assert_int_equal(cmd_split(STR_LIT("a 'b"), true, tok, 4, &n), ERR_SYNTAX);
    assert_int_equal(cmd_split(STR_LIT("a 'b"), false, tok, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cmd_split(STR_LIT(" \t\r\n"), false, tok, 4, &n), 0);
    assert_int_equal(n, 0);
}

static void str_helpers_should_parse_like_the_callers_expect(void **state)
{
    (void)state;
    assert_true(str_eqc_nocase(STR_LIT("DoWn"), "down"));
    assert_false(str_eqc_nocase(STR_LIT("dow"), "down"));
    assert_int_equal(str_hex_digit('F'), 15);
    assert_int_equal(str_hex_digit('a'), 10);
    assert_int_equal(str_hex_digit('9'), 9);
    assert_int_equal(str_hex_digit('g'), -1);
    int64_t v = 7;
    assert_true(str_to_int(STR_LIT("-42"), true, 100, &v));
    assert_int_equal(v, -42);
    assert_true(str_to_int(STR_LIT("0030"), false, 100, &v));
    assert_int_equal(v, 30);
    v = 7;
    assert_false(str_to_int(STR_LIT("-1"), false, 100, &v));
    assert_false(str_to_int(STR_LIT("101"), true, 100, &v));
    assert_false(str_to_int(STR_LIT("+"), true, 100, &v));
    assert_false(str_to_int(STR_LIT(""), true, 100, &v));
    assert_false(str_to_int(STR_LIT("1x"), true, 100, &v));
    assert_int_equal(v, 7);                               /* untouched on failure */
    assert_false(str_to_int(STR_LIT("7"), false, 6, &v)); /* one digit over a one-digit limit */
    assert_true(str_to_int(STR_LIT("9223372036854775807"), false, INT64_MAX, &v));
    assert_true(v == INT64_MAX);
    assert_false(str_to_int(STR_LIT("9223372036854775808"), false, INT64_MAX, &v)); /* no UB */
    assert_false(str_to_int(STR_LIT("99999999999999999999"), false, INT64_MAX, &v));
    assert_true(str_contains_nocase(STR_LIT("TakeOnMe"), "onme"));
    assert_true(str_contains_nocase(STR_LIT("x"), ""));
    assert_false(str_contains_nocase(STR_LIT("Take"), "takeon"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(parse_should_split_on_whitespace_outside_quotes),
        T(parse_should_reject_an_unterminated_quote),
        T(parse_should_refuse_more_than_max_tokens),
        T(parse_should_keep_views_into_the_line),
        T(parse_should_take_postfixes_off_in_micros_order),
        T(literal_should_parse_every_kind),
        T(literal_types_should_be_exact),
        T(literal_should_reject_malformed_syntax),
        T(literal_should_reject_ints_outside_int64),
        T(literal_should_tolerate_a_null_error_buffer),
        T(literal_should_fail_when_the_arena_is_full),
        T(args_should_parse_positional_and_keyword_arguments),
        T(args_should_report_python_style_errors),
        T(args_should_refuse_more_than_cap),
        T(args_should_report_nomem_when_the_arena_is_full),
        T(args_should_leave_postfixes_out),
        T(is_ident_should_accept_python_identifiers_only),
        T(split_should_honour_quotes_only_when_asked),
        T(str_helpers_should_parse_like_the_callers_expect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
