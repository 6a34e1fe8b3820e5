/* test_multipart.c - the incremental multipart/form-data parser (net/multipart.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/multipart.h"

#include <stdio.h>
#include <string.h>

struct rec {
    char log[2048]; /* "[name|filename]data}" per part */
    size_t len;
    int stop_after_parts; /* 0 = never */
    int parts;
    bool ext;
};

static void put(struct rec *r, const char *p, size_t n)
{
    assert_true(r->len + n < sizeof r->log);
    memcpy(r->log + r->len, p, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static int on_begin(void *ctx, const struct mp_part *pt)
{
    struct rec *r = ctx;
    char h[600];
    int w = snprintf(h, sizeof h, "[%s|%s]", pt->name, pt->filename);
    put(r, h, (size_t)w);
    r->ext |= pt->has_ext_filename;
    r->parts++;
    return r->stop_after_parts && r->parts >= r->stop_after_parts;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    assert_true(n > 0);
    put(ctx, p, n);
    return 0;
}

static int on_end(void *ctx)
{
    put(ctx, "}", 1);
    return 0;
}

static const struct mp_callbacks s_cb = {on_begin, on_data, on_end};

static const char s_body[] =
    "preamble to ignore\r\n"
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"hello.lua\"\r\n"
    "Content-Type: text/x-lua\r\n"
    "\r\n"
    "line1\r\n--AaB03 not a boundary\r\r\n--\r\n"
    "\r\n--AaB03x\r\n"
    "content-disposition: form-data; name=\"note\"\r\n"
    "\r\n"
    "x\r\n"
    "--AaB03x--\r\n"
    "epilogue";

static const char s_want[] = "[file|hello.lua]line1\r\n--AaB03 not a boundary\r\r\n--\r\n}"
                             "[note|]x}";

/* Feeds body in pieces of step bytes; returns the last result. */
static int feed(struct rec *r, const char *body, size_t len, size_t step)
{
    struct mp m;
    memset(r, 0, sizeof *r);
    assert_true(mp_init(&m, STR_LIT("AaB03x"), &s_cb, r));
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i += step)
        rc = mp_feed(&m, body + i, len - i < step ? len - i : step);
    return rc;
}

static void multipart_should_give_the_same_parts_for_any_split(void **state)
{
    (void)state;
    for (size_t step = 1; step <= sizeof s_body; step++) {
        struct rec r;
        assert_int_equal(feed(&r, s_body, sizeof s_body - 1, step), 1);
        assert_string_equal(r.log, s_want);
    }
}

static void multipart_should_need_more_input_before_the_closing_boundary(void **state)
{
    (void)state;
    struct rec r;
    const char *cut = strstr(s_body, "--AaB03x--");
    assert_int_equal(feed(&r, s_body, (size_t)(cut - s_body) + 9, 3), 0);
}

static void multipart_should_refuse_malformed_input(void **state)
{
    (void)state;
    struct rec r;
    const char *bad[] = {
        "--AaB03x\r\nno colon here\r\n\r\nx\r\n--AaB03x--",
        "--AaB03xZ",
        "--AaB03x\r\nContent-Disposition: attachment\r\n\r\nx\r\n--AaB03x--",
        "--AaB03x-x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(feed(&r, bad[i], strlen(bad[i]), 4), -1);
    char longhdr[1200 + 64];
    int w = snprintf(longhdr, sizeof longhdr, "--AaB03x\r\nX-Long: %01100d\r\n\r\n", 0);
    assert_int_equal(feed(&r, longhdr, (size_t)w, 64), -1);
}

static void multipart_should_flag_percent_encoded_names_and_stop_on_request(void **state)
{
    (void)state;
    struct rec r;
    const char *b = "--AaB03x\r\nContent-Disposition: form-data; name=\"f\"; "
                    "filename*=utf-8''%C3%A9.txt\r\n\r\nx\r\n--AaB03x--";
    assert_int_equal(feed(&r, b, strlen(b), 5), 1);
    assert_true(r.ext);
    struct mp m;
    memset(&r, 0, sizeof r);
    r.stop_after_parts = 1;
    assert_true(mp_init(&m, STR_LIT("AaB03x"), &s_cb, &r));
    assert_int_equal(mp_feed(&m, s_body, sizeof s_body - 1), -2);
}

static void multipart_should_find_the_boundary_in_the_content_type(void **state)
{
    (void)state;
    struct str b = mp_boundary(STR_LIT("multipart/form-data; boundary=----WebKitX1"));
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.p, "----WebKitX1", 12);
    b = mp_boundary(STR_LIT("Multipart/Form-Data; charset=x; BOUNDARY=\"a b\""));
    assert_int_equal(b.len, 3);
    assert_null(mp_boundary(STR_LIT("text/plain; boundary=x")).p);
    assert_null(mp_boundary(STR_LIT("multipart/form-data")).p);
    assert_null(mp_boundary(STR_LIT("multipart/form-data; boundary=")).p);
    char lng[120];
    snprintf(lng, sizeof lng, "multipart/form-data; boundary=%071d", 0);
    assert_null(mp_boundary(str_c(lng)).p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(multipart_should_give_the_same_parts_for_any_split),
        cmocka_unit_test(multipart_should_need_more_input_before_the_closing_boundary),
        cmocka_unit_test(multipart_should_refuse_malformed_input),
        cmocka_unit_test(multipart_should_flag_percent_encoded_names_and_stop_on_request),
        cmocka_unit_test(multipart_should_find_the_boundary_in_the_content_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
