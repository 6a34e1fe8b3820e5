/* test_shell_frame.c - shell input framing (net/shell_frame.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/shell_frame.h"

#include <string.h>

static size_t frame_all(const char *in, size_t len, size_t max, struct str *lines, int *kinds,
                        size_t cap)
{
    struct str rest = {in, len};
    size_t n = 0;
    struct str line;
    enum shell_frame k;
    while ((k = shell_frame_next(&rest, &line, max)) != SHELL_FRAME_END) {
        assert_true(n < cap);
        lines[n] = line;
        kinds[n++] = (int)k;
    }
    assert_int_equal(rest.len, 0);
    return n;
}

static void frame_should_split_lines_and_drop_cr(void **state)
{
    (void)state;
    static const char in[] = "hello\r\n\nversion\n  \r\nsystem info";
    struct str l[8];
    int k[8];
    size_t n = frame_all(in, sizeof in - 1, 64, l, k, 8);
    assert_int_equal(n, 3);
    assert_true(str_eqc(l[0], "hello"));
    assert_true(str_eqc(l[1], "version"));
    assert_true(str_eqc(l[2], "system info"));
    assert_int_equal(k[2], SHELL_FRAME_LINE);
}

static void frame_should_treat_input_without_newline_as_one_line(void **state)
{
    (void)state;
    struct str l[2];
    int k[2];
    assert_int_equal(frame_all("hel", 3, 64, l, k, 2), 1);
    assert_true(str_eqc(l[0], "hel"));
}

static void frame_should_report_long_lines_and_go_on(void **state)
{
    (void)state;
    static const char in[] = "0123456789\nok\n";
    struct str l[4];
    int k[4];
    assert_int_equal(frame_all(in, sizeof in - 1, 9, l, k, 4), 2);
    assert_int_equal(k[0], SHELL_FRAME_TOO_LONG);
    assert_int_equal(l[0].len, 10);
    assert_int_equal(k[1], SHELL_FRAME_LINE);
    assert_true(str_eqc(l[1], "ok"));
}

static void frame_should_end_on_blank_and_empty_input(void **state)
{
    (void)state;
    struct str l[1];
    int k[1];
    assert_int_equal(frame_all("", 0, 8, l, k, 1), 0);
    assert_int_equal(frame_all("\r\n \n\t\n\r", 7, 8, l, k, 1), 0);
    /* a lone CR-LF pair after text and NUL bytes inside a line stay part of the line */
    assert_int_equal(frame_all("a\0b\r\r\n", 6, 8, l, k, 1), 1);
    assert_int_equal(l[0].len, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_should_split_lines_and_drop_cr),
        cmocka_unit_test(frame_should_treat_input_without_newline_as_one_line),
        cmocka_unit_test(frame_should_report_long_lines_and_go_on),
        cmocka_unit_test(frame_should_end_on_blank_and_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
