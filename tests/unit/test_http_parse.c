/* test_http_parse.c - the incremental request parser (net/http_parse.c) stopping after the
 * head of a POST (is_post_pause), as the server needs it to route streaming-body uploads:
 * the body is not parsed until the caller resumes, and the limit is checked on resume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/http_priv.h"

#include <stdio.h>
#include <string.h>

struct fixture {
    struct buf in, chunk;
    struct http_pstate ps;
};

static int setup(void **state)
{
    static struct fixture f;
    buf_init(&f.in, 1 << 20);
    buf_init(&f.chunk, HTTP_BODY_MAX + 1);
    http_pstate_init(&f.ps, &f.chunk);
    f.ps.is_post_pause = true;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    buf_free(&f->in);
    buf_free(&f->chunk);
    return 0;
}

static int parse(struct fixture *f, struct http_req **rq, size_t *used, int *status)
{
    const char *text = NULL;
    *status = 0;
    return http_parse_more(&f->ps, &f->in, rq, used, status, &text);
}

static void post_should_stop_after_its_head_then_resume(void **state)
{
    struct fixture *f = *state;
    static const char head[] = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
    buf_puts(&f->in, head);
    buf_puts(&f->in, "hello");
    struct http_req *rq = NULL;
    size_t used = 0;
    int status = 0;
    assert_int_equal(parse(f, &rq, &used, &status), 0);
    assert_true(f->ps.is_paused);
    assert_int_equal(f->ps.head_len, sizeof head - 1);
    assert_true(rq->headers_done);
    assert_null(rq->body.p);                              /* the body was not given to the parser */
    assert_int_equal(http_req_header(rq, "host").len, 1); /* names already lower-cased */
    assert_int_equal(parse(f, &rq, &used, &status), 1);
    assert_false(f->ps.is_paused);
    assert_int_equal(used, sizeof head - 1 + 5);
    assert_int_equal(rq->body.len, 5);
    assert_memory_equal(rq->body.p, "hello", 5);
    buf_consume(&f->in, used);
    /* a GET after it is not stopped */
    buf_puts(&f->in, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(f, &rq, &used, &status), 1);
    assert_false(f->ps.is_paused);
    buf_consume(&f->in, used);
}

static void post_too_large_should_be_413_only_when_resumed(void **state)
{
    struct fixture *f = *state;
    char head[128];
    snprintf(head, sizeof head, "POST /x HTTP/1.1\r\ncontent-length: %d\r\n\r\n",
             HTTP_BODY_MAX + 1);
    buf_puts(&f->in, head);
    struct http_req *rq = NULL;
    size_t used = 0;
    int status = 0;
    /* paused: an upload endpoint could still take it */
    assert_int_equal(parse(f, &rq, &used, &status), 0);
    assert_true(f->ps.is_paused);
    assert_int_equal(f->ps.head_len, strlen(head));
    assert_int_equal(parse(f, &rq, &used, &status), -1);
    assert_int_equal(status, 413);
}

static void reset_after_the_head_should_start_a_new_request(void **state)
{
    struct fixture *f = *state;
    static const char head[] = "POST /fs/files HTTP/1.1\r\ncontent-length: 3\r\n\r\n";
    buf_puts(&f->in, head);
    struct http_req *rq = NULL;
    size_t used = 0;
    int status = 0;
    assert_int_equal(parse(f, &rq, &used, &status), 0);
    assert_true(f->ps.is_paused);
    /* the caller takes head and body itself (an upload), then the next request comes */
    size_t head_len = f->ps.head_len;
    http_pstate_reset(&f->ps);
    buf_consume(&f->in, head_len);
    buf_puts(&f->in, "abc");
    buf_consume(&f->in, 3);
    buf_puts(&f->in, "GET /a HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(f, &rq, &used, &status), 1);
    assert_int_equal(rq->url.len, 2);
    assert_memory_equal(rq->url.p, "/a", 2);
    buf_consume(&f->in, used);
}

static void without_the_flag_a_post_should_parse_in_one_go(void **state)
{
    struct fixture *f = *state;
    f->ps.is_post_pause = false;
    buf_puts(&f->in, "POST /x HTTP/1.1\r\ncontent-length: 2\r\n\r\nhi");
    struct http_req *rq = NULL;
    size_t used = 0;
    int status = 0;
    assert_int_equal(parse(f, &rq, &used, &status), 1);
    assert_int_equal(rq->body.len, 2);
    buf_consume(&f->in, used);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(post_should_stop_after_its_head_then_resume, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(post_too_large_should_be_413_only_when_resumed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reset_after_the_head_should_start_a_new_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(without_the_flag_a_post_should_parse_in_one_go, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
