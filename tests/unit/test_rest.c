/* test_rest.c - REST URL to command line (COMPAT Part A 9): percent-decoding, one token per
 * segment, '-' kept, empty segments dropped, query keywords before postfixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "net/rest_path.h"
#include "svc/cmd.h"
#include "svc/val.h"

#include <string.h>

static char s_line[REST_LINE_MAX];

static const char *build(const char *path, const char *query)
{
    int n = rest_build_line(str_c(path), str_c(query), s_line, sizeof s_line);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, strlen(s_line));
    return s_line;
}

static void decode_should_handle_every_escape(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(rest_pct_decode(STR_LIT("%22a%20b%22"), out, sizeof out), 5);
    assert_string_equal(out, "\"a b\"");
    assert_int_equal(rest_pct_decode(STR_LIT("%e2%80%9c%2F%5c%3d%26%25"), out, sizeof out), 8);
    assert_memory_equal(out, "\xe2\x80\x9c/\\=&%", 8);
    /* a '%' without two hex digits stays */
    assert_int_equal(rest_pct_decode(STR_LIT("100%"), out, sizeof out), 4);
    assert_string_equal(out, "100%");
    assert_int_equal(rest_pct_decode(STR_LIT("%zz%4"), out, sizeof out), 5);
    assert_string_equal(out, "%zz%4");
    assert_int_equal(rest_pct_decode(STR_LIT("abcdef"), out, 4), ERR_TOOBIG);
}

static void path_segments_should_become_tokens(void **state)
{
    (void)state;
    assert_string_equal(build("", ""), "");
    assert_string_equal(build("/", ""), "");
    assert_string_equal(build("//", ""), "");
    assert_string_equal(build("/system/info", ""), "system info");
    assert_string_equal(build("//system//heartbeat/", ""), "system heartbeat");
}

static void dash_should_not_split(void **state)
{
    (void)state;
    assert_string_equal(build("/robustness/recursion_limit/-3", ""),
                        "robustness recursion_limit -3");
    assert_string_equal(build("/m/f/foo-bar", ""), "m f foo-bar");
    assert_string_equal(build("/system/pinmap/%22builtin-irq1%22", ""),
                        "system pinmap \"builtin-irq1\"");
}

static void sudo_keyword_should_survive(void **state)
{
    (void)state;
    assert_string_equal(build("/robustness/func_sudo/pwd=%22ADmin123%22", ""),
                        "robustness func_sudo pwd=\"ADmin123\"");
}

static void whitespace_segment_should_be_quoted(void **state)
{
    (void)state;
    assert_string_equal(build("/m/f/a%20b", ""), "m f 'a b'");
    assert_string_equal(build("/m/f/k=a%20b", ""), "m f k='a b'");
    assert_string_equal(build("/m/f/%22a%20b%22", ""), "m f \"a b\"");
    assert_string_equal(build("/m/f/it%27s", ""), "m f 'it\\'s'");
    assert_string_equal(build("/m/f/a%0Ab", ""), "m f 'a\\nb'");
}

static void slash_inside_a_segment_stays(void **state)
{
    (void)state;
    assert_string_equal(build("/m/f/a%2Fb", ""), "m f a/b");
}

static void query_should_add_keywords_before_postfixes(void **state)
{
    (void)state;
    assert_string_equal(build("/system/info", "x=1"), "system info x=1");
    assert_string_equal(build("/rgb/color", "r=10&g=20&&b=%2030"), "rgb color r=10 g=20 b=' 30'");
    assert_string_equal(build("/system/heartbeat/&&1000", "x=1"), "system heartbeat x=1 &&1000");
    assert_string_equal(build("/system/info/>json/>>host", "a=b"), "system info a=b >json >>host");
    assert_string_equal(build("/system/heartbeat/&", ""), "system heartbeat &");
    assert_string_equal(build("/&", "k=v"), "k=v &");
}

static void nul_should_be_refused(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(rest_build_line(STR_LIT("/m/f/a%00b"), STR_NULL, out, sizeof out), ERR_INVAL);
    assert_int_equal(rest_build_line(STR_LIT("/m/f/abcdefgh"), STR_NULL, out, 8), ERR_TOOBIG);
}

/* The built line parses back into exactly one token per segment with the decoded value. */
static void built_line_should_parse_back(void **state)
{
    (void)state;
    const char *line = build("/m/f/a%20b/%22%5Cx22%22/k=it%27s%20x", "q=a%20b");
    struct cmd c;
    assert_int_equal(cmd_parse(str_c(line), &c), 0);
    assert_int_equal(c.ntok, 6);
    static char mem[8192];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct cmd_arg args[8];
    char err[128];
    int n = cmd_parse_args(&c, &a, args, 8, err, sizeof err);
    assert_int_equal(n, 4);
    assert_int_equal(args[0].v->type, VAL_STR);
    assert_string_equal(args[0].v->u.s.p, "a b");
    assert_string_equal(args[1].v->u.s.p, "\""); /* config.js sends '"' as %5Cx22 in quotes */
    assert_true(str_eqc(args[2].key, "k"));
    assert_string_equal(args[2].v->u.s.p, "it's x");
    assert_true(str_eqc(args[3].key, "q"));
    assert_string_equal(args[3].v->u.s.p, "a b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_should_handle_every_escape),
        cmocka_unit_test(path_segments_should_become_tokens),
        cmocka_unit_test(dash_should_not_split),
        cmocka_unit_test(sudo_keyword_should_survive),
        cmocka_unit_test(whitespace_segment_should_be_quoted),
        cmocka_unit_test(slash_inside_a_segment_stays),
        cmocka_unit_test(query_should_add_keywords_before_postfixes),
        cmocka_unit_test(nul_should_be_refused),
        cmocka_unit_test(built_line_should_parse_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
