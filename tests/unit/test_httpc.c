/* test_httpc.c - the non-blocking HTTP(S) client (hal_httpc on libcurl multi) against real
 * local HTTP and HTTPS servers (tests/blackbox/stub_http.py, started here with a fresh CA). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ev.h"
#include "hal/hal_httpc.h"

#ifndef STUB_SCRIPT
#define STUB_SCRIPT "tests/blackbox/stub_http.py"
#endif

static FILE *stub;
static int http_port, https_port;
static char ca_file[512];
static char tmpdir[256];
static struct ev_loop loop;

struct result {
    bool done;
    int calls;
    int err;
    int status;
    char body[4096];
    size_t body_len;
    char ctype[128];
};

static void on_done(void *arg, const struct hal_httpc_reply *r)
{
    struct result *res = arg;
    res->done = true;
    res->calls++;
    res->err = r->err;
    res->status = r->status;
    res->body_len = r->body_len;
    snprintf(res->body, sizeof res->body, "%s", r->body);
    snprintf(res->ctype, sizeof res->ctype, "%s", r->content_type);
}

/* Runs the loop until every result in rs is done (or 20 s pass: then the test fails). */
static void wait_all(struct result *rs, size_t n)
{
    for (int i = 0; i < 2000; i++) {
        bool all = true;
        for (size_t k = 0; k < n; k++)
            all = all && rs[k].done;
        if (all)
            return;
        ev_poll(&loop, 10);
    }
    fail_msg("requests did not finish");
}

static char url_buf[4][256];
static const char *url(int i, bool tls, const char *path)
{
    snprintf(url_buf[i], sizeof url_buf[i], "%s://127.0.0.1:%d%s", tls ? "https" : "http",
             tls ? https_port : http_port, path);
    return url_buf[i];
}

static int teardown(void **state)
{
    (void)state;
    hal_httpc_deinit();
    ev_deinit(&loop);
    if (stub)
        pclose(stub);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void get_plain_and_headers(void **state)
{
    (void)state;
    struct result r[3] = {0};
    struct hal_httpc_req get = {.url = url(0, false, "/hello")};
    assert_true(hal_httpc_request(&get, on_done, &r[0]) > 0);
    struct hal_httpc_req post = {
        .method = "POST",
        .url = url(1, false, "/echo"),
        .headers = (const char *[]){"X-Test: yes", "Content-Type: application/json", NULL},
        .body = "{\"a\": 1}",
        .body_len = 8};
    assert_true(hal_httpc_request(&post, on_done, &r[1]) > 0);
    struct hal_httpc_req nf = {.url = url(2, false, "/status/404")};
    assert_true(hal_httpc_request(&nf, on_done, &r[2]) > 0);
    /* Never called from inside hal_httpc_request. */
    assert_false(r[0].done || r[1].done || r[2].done);
    wait_all(r, 3);
    assert_int_equal(r[0].err, 0);
    assert_int_equal(r[0].status, 200);
    assert_string_equal(r[0].body, "hello");
    assert_string_equal(r[0].ctype, "text/plain");
    assert_int_equal(r[1].status, 200);
    assert_non_null(strstr(r[1].body, "\"method\": \"POST\""));
    assert_non_null(strstr(r[1].body, "\"x-test\": \"yes\""));
    assert_non_null(strstr(r[1].body, "\"body\": \"{\\\"a\\\": 1}\""));
    assert_int_equal(r[2].err, 0);
    assert_int_equal(r[2].status, 404);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r[i].calls, 1);
    assert_int_equal(hal_httpc_inflight(), 0);
}

static void https_with_test_ca_and_refused_without(void **state)
{
    (void)state;
    struct result r = {0};
    hal_httpc_set_ca(NULL);
    struct hal_httpc_req get = {.url = url(0, true, "/hello")};
    assert_true(hal_httpc_request(&get, on_done, &r) > 0);
    wait_all(&r, 1);
    assert_int_equal(r.err, ERR_IO); /* unknown CA: the certificate check fails */
    assert_int_equal(r.status, 0);

    memset(&r, 0, sizeof r);
    hal_httpc_set_ca(ca_file);
    assert_true(hal_httpc_request(&get, on_done, &r) > 0);
    wait_all(&r, 1);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
}

static int64_t tick(struct ev_loop *l, struct ev_timer *t)
{
    (void)l;
    (*(int *)t->arg)++;
    return 20;
}

static void slow_requests_run_in_parallel_while_the_loop_keeps_ticking(void **state)
{
    (void)state;
    struct result r[4] = {0};
    struct hal_httpc_req slow = {.url = url(0, false, "/slow/600")};
    for (int i = 0; i < 4; i++)
        assert_true(hal_httpc_request(&slow, on_done, &r[i]) > 0);
    int ticks = 0;
    struct ev_timer t = {.arg = &ticks};
    ev_timer_start(&loop, &t, 20, tick);
    wait_all(r, 4);
    ev_timer_stop(&loop, &t);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i].status, 200);
    /* 600 ms of waiting on the server: the loop ran its 20 ms timer all along. */
    assert_true(ticks >= 10);
}

static void timeout_size_bound_refused_and_bad_input(void **state)
{
    (void)state;
    struct result r[3] = {0};
    struct hal_httpc_req slow = {.url = url(0, false, "/slow/3000"), .timeout_ms = 200};
    assert_true(hal_httpc_request(&slow, on_done, &r[0]) > 0);
    struct hal_httpc_req big = {.url = url(1, false, "/big/100000"), .max_reply = 1000};
    assert_true(hal_httpc_request(&big, on_done, &r[1]) > 0);
    /* A port nobody listens on (our plain port + 0 is taken: use a just-closed one). */
    struct hal_httpc_req dead = {.url = "http://127.0.0.1:1/"};
    assert_true(hal_httpc_request(&dead, on_done, &r[2]) > 0);
    wait_all(r, 3);
    assert_int_equal(r[0].err, ERR_TIMEOUT);
    assert_int_equal(r[1].err, ERR_TOOBIG);
    assert_int_equal(r[2].err, ERR_CONNREFUSED);
    assert_string_equal(r[1].body, "");

    struct result never = {0};
    struct hal_httpc_req bad = {.url = "ftp://127.0.0.1/x"};
    assert_int_equal(hal_httpc_request(&bad, on_done, &never), ERR_INVAL);
    struct hal_httpc_req badm = {.method = "GE T", .url = url(0, false, "/hello")};
    assert_int_equal(hal_httpc_request(&badm, on_done, &never), ERR_INVAL);
    struct hal_httpc_req badh = {.url = url(0, false, "/hello"),
                                 .headers = (const char *[]){"X: a\r\nY: b", NULL}};
    assert_int_equal(hal_httpc_request(&badh, on_done, &never), ERR_INVAL);
    assert_int_equal(hal_httpc_inflight(), 0);
    for (int i = 0; i < 10; i++)
        ev_poll(&loop, 5);
    assert_false(never.done);
}

static void inflight_bound_and_cancel(void **state)
{
    (void)state;
    struct result r[9] = {0};
    struct hal_httpc_req slow = {.url = url(0, false, "/slow/300")};
    int ids[8];
    for (int i = 0; i < 8; i++) {
        ids[i] = hal_httpc_request(&slow, on_done, &r[i]);
        assert_true(ids[i] > 0);
    }
    assert_int_equal(hal_httpc_request(&slow, on_done, &r[8]), ERR_FULL);
    hal_httpc_cancel(ids[0]);
    hal_httpc_cancel(ids[0]); /* twice is harmless */
    assert_int_equal(hal_httpc_inflight(), 7);
    r[0].done = true;
    wait_all(r, 8);
    assert_int_equal(r[0].calls, 0);
    for (int i = 1; i < 8; i++)
        assert_int_equal(r[i].status, 200);
}

static void base_override_redirects_every_url(void **state)
{
    (void)state;
    char base[128];
    snprintf(base, sizeof base, "https://127.0.0.1:%d/", https_port);
    hal_httpc_set_base(base);
    hal_httpc_set_ca(ca_file);
    struct result r = {0};
    struct hal_httpc_req get = {.url = "https://api.telegram.org/hello?x=1"};
    assert_true(hal_httpc_request(&get, on_done, &r) > 0);
    wait_all(&r, 1);
    hal_httpc_set_base(NULL);
    assert_int_equal(r.err, 0);
    assert_string_equal(r.body, "hello");
}

int main(void)
{
    /* Start the stub with its stdout in a file we can read back. */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/micros-httpc-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    char ports[600], cmd[1200];
    snprintf(ports, sizeof ports, "%s/ports", tmpdir);
    snprintf(cmd, sizeof cmd, "python3 %s %s > %s", STUB_SCRIPT, tmpdir, ports);
    stub = popen(cmd, "w");
    if (!stub)
        return 1;
    for (int i = 0; i < 300 && !http_port; i++) {
        FILE *f = fopen(ports, "r");
        if (f) {
            if (fscanf(f, "%d %d %511s", &http_port, &https_port, ca_file) != 3)
                http_port = 0;
            fclose(f);
        }
        if (!http_port)
            usleep(50000);
    }
    if (!http_port) {
        fprintf(stderr, "stub server did not start\n");
        return 1;
    }
    if (ev_init(&loop, 256, 256) < 0 || hal_httpc_init(&loop, 8) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_plain_and_headers),
        cmocka_unit_test(https_with_test_ca_and_refused_without),
        cmocka_unit_test(slow_requests_run_in_parallel_while_the_loop_keeps_ticking),
        cmocka_unit_test(timeout_size_bound_refused_and_bad_input),
        cmocka_unit_test(inflight_bound_and_cancel),
        cmocka_unit_test(base_override_redirects_every_url),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
