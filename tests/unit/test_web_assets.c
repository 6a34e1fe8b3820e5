/* test_web_assets.c - the web UI packed by tools/pack (net/web_assets.h): every page is there,
 * content types follow the extension, ETags are strong and distinct, gzip variants inflate back
 * to the exact bytes and are only kept when smaller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "net/web_assets.h"

static const struct web_asset *find(const char *path)
{
    for (const struct web_asset *a = web_assets; a->path; a++) {
        if (strcmp(a->path, path) == 0)
            return a;
    }
    return NULL;
}

static void test_pages_present(void **state)
{
    (void)state;
    static const char *const want[][2] = {
        {"index.html", "text/html"},           {"dashboard.html", "text/html"},
        {"config.html", "text/html"},          {"app.js", "application/javascript"},
        {"auth.js", "application/javascript"}, {"style.css", "text/css"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct web_asset *a = find(want[i][0]);
        assert_non_null(a);
        assert_string_equal(a->content_type, want[i][1]);
        assert_true(a->size > 0);
    }
    assert_null(find("/index.html"));
    assert_null(find("missing.html"));
}

static void test_paths_and_etags(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct web_asset *a = web_assets; a->path; a++, n++) {
        assert_true(a->path[0] != '/' && a->path[0] != '\0');
        assert_null(strstr(a->path, ".."));
        assert_null(strchr(a->path, '\\'));
        size_t len = strlen(a->etag);
        assert_int_equal(len, 18);
        assert_true(a->etag[0] == '"' && a->etag[len - 1] == '"');
        for (size_t i = 1; i + 1 < len; i++)
            assert_non_null(strchr("0123456789abcdef", a->etag[i]));
        for (const struct web_asset *b = web_assets; b != a; b++) {
            assert_string_not_equal(a->path, b->path);
            assert_string_not_equal(a->etag, b->etag);
        }
    }
    assert_true(n >= 6);
}

static void test_gzip_inflates_to_data(void **state)
{
    (void)state;
    size_t gz = 0;
    for (const struct web_asset *a = web_assets; a->path; a++) {
        if (a->gz == NULL) {
            assert_int_equal(a->gz_size, 0);
            continue;
        }
        gz++;
        assert_true(a->gz_size < a->size);
        assert_true(a->gz[0] == 0x1f && a->gz[1] == 0x8b);
        unsigned char *out = test_malloc(a->size + 1);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
        zs.next_in = (unsigned char *)(uintptr_t)a->gz;
        zs.avail_in = (uInt)a->gz_size;
        zs.next_out = out;
        zs.avail_out = (uInt)(a->size + 1);
        assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
        assert_int_equal(zs.total_out, a->size);
        assert_memory_equal(out, a->data, a->size);
        inflateEnd(&zs);
        test_free(out);
    }
    /* HTML, CSS and JS compress well: the pages have gzip variants. */
    assert_non_null(find("index.html")->gz);
    assert_true(gz >= 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_present),
        cmocka_unit_test(test_paths_and_etags),
        cmocka_unit_test(test_gzip_inflates_to_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
