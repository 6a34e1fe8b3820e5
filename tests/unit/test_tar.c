/* test_tar.c - the streaming tar reader (core/tar.c) at every split, its formats and errors,
 * and the entry-name rules of update bundles (svc/bundle.c bundle_name_check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/tar.h"
#include "svc/bundle.h"

#include <stdio.h>
#include <string.h>

/* --- building archives --- */

struct arc {
    unsigned char b[16384];
    size_t len;
};

static void header(struct arc *a, const char *name, const char *prefix, int type, size_t size,
                   bool posix)
{
    unsigned char *h = a->b + a->len;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    memcpy(h + 100, "0000644", 7);
    char num[32];
    snprintf(num, sizeof num, "%011o", (unsigned)size);
    memcpy(h + 124, num, 11);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    if (posix) {
        memcpy(h + 257,
               "ustar\0"
               "00",
               8);
        if (prefix)
            memcpy(h + 345, prefix, strlen(prefix));
    } else {
        memcpy(h + 257, "ustar  \0", 8); /* GNU */
    }
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++)
        sum += h[i];
    snprintf(num, sizeof num, "%06o", sum);
    memcpy(h + 148, num, 7);
    a->len += 512;
}

static void data(struct arc *a, const void *p, size_t n)
{
    memcpy(a->b + a->len, p, n);
    a->len += n;
    size_t pad = (512 - n % 512) % 512;
    memset(a->b + a->len, 0, pad);
    a->len += pad;
}

static void file(struct arc *a, const char *name, const char *text)
{
    header(a, name, NULL, '0', strlen(text), true);
    data(a, text, strlen(text));
}

static void end(struct arc *a)
{
    memset(a->b + a->len, 0, 1024);
    a->len += 1024;
}

/* --- reading them --- */

struct rec {
    char log[4096];
    size_t len;
};

static void put(struct rec *r, const char *s, size_t n)
{
    assert_true(r->len + n < sizeof r->log);
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static int on_entry(void *arg, const char *name, int type, uint64_t size)
{
    char h[400];
    int w = snprintf(h, sizeof h, "[%c %s %u]", type, name, (unsigned)size);
    put(arg, h, (size_t)w);
    return 0;
}

static int on_data(void *arg, const void *p, size_t n)
{
    assert_true(n > 0);
    put(arg, p, n);
    return 0;
}

static int on_end(void *arg)
{
    put(arg, ";", 1);
    return 0;
}

static const struct tar_ops s_ops = {on_entry, on_data, on_end};

/* Reads a in pieces of step bytes (0 = whole). Returns tar_feed's last result. */
static int read_arc(const struct arc *a, size_t step, struct rec *r, struct tar *t)
{
    memset(r, 0, sizeof *r);
    tar_init(t, &s_ops, r);
    size_t off = 0;
    int rc = 0;
    while (off < a->len && rc == 0) {
        size_t n = step && a->len - off > step ? step : a->len - off;
        rc = tar_feed(t, a->b + off, n);
        off += n;
    }
    return rc;
}

static struct tar s_t; /* large (pax buffer): not on the stack */

static void test_every_split_gives_the_same_entries(void **state)
{
    (void)state;
    static struct arc a;
    memset(&a, 0, sizeof a);
    file(&a, "modules/LM_a.lua", "return {}\n");
    header(&a, "web/", NULL, '5', 0, true);
    char big[1300];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    file(&a, "web/big.txt", big);
    file(&a, "web/empty.txt", "");
    end(&a);
    memset(a.b + a.len, 0, 8192); /* tar's record padding */
    a.len += 8192;
    struct rec whole;
    assert_int_equal(read_arc(&a, 0, &whole, &s_t), 0);
    assert_true(tar_done(&s_t));
    char want[2048];
    snprintf(want, sizeof want,
             "[0 modules/LM_a.lua 10]return {}\n;[5 web/ 0];[0 web/big.txt 1299]%s;"
             "[0 web/empty.txt 0];",
             big);
    assert_string_equal(whole.log, want);
    for (size_t step = 1; step <= 1100; step++) {
        struct rec r;
        assert_int_equal(read_arc(&a, step, &r, &s_t), 0);
        assert_true(tar_done(&s_t));
        assert_string_equal(r.log, whole.log);
    }
}

static void test_long_names_prefix_gnu_and_pax(void **state)
{
    (void)state;
    static struct arc a;
    memset(&a, 0, sizeof a);
    /* ustar prefix */
    header(&a, "page.html", "web/deep/folder", '0', 1, true);
    data(&a, "p", 1);
    /* GNU long name */
    char longname[200];
    memset(longname, 'n', sizeof longname);
    memcpy(longname, "web/", 4);
    longname[150] = '\0';
    header(&a, "././@LongLink", NULL, 'L', strlen(longname) + 1, false);
    data(&a, longname, strlen(longname) + 1);
    header(&a, "truncated-name", NULL, '0', 1, false);
    data(&a, "g", 1);
    /* pax path record (and a global header, ignored) */
    const char *g = "19 comment=ignored\n";
    header(&a, "pax_global_header", NULL, 'g', strlen(g), true);
    data(&a, g, strlen(g));
    const char *x = "25 path=web/pax-name.txt\n10 size=1\n";
    header(&a, "PaxHeaders/x", NULL, 'x', strlen(x), true);
    data(&a, x, strlen(x));
    header(&a, "short", NULL, '0', 1, true);
    data(&a, "x", 1);
    end(&a);
    struct rec r;
    assert_int_equal(read_arc(&a, 7, &r, &s_t), 0);
    char want[1024];
    snprintf(want, sizeof want,
             "[0 web/deep/folder/page.html 1]p;[0 %s 1]g;[0 web/pax-name.txt 1]x;", longname);
    assert_string_equal(r.log, want);
}

static void test_damaged_archives_are_refused(void **state)
{
    (void)state;
    static struct arc a;
    struct rec r;
    /* bad checksum */
    memset(&a, 0, sizeof a);
    file(&a, "web/a", "x");
    a.b[0] = 'W';
    end(&a);
    assert_int_equal(read_arc(&a, 0, &r, &s_t), ERR_INVAL);
    assert_non_null(strstr(s_t.err, "checksum"));
    /* not a tar at all */
    memset(&a, 0, sizeof a);
    memset(a.b, 'z', 2048);
    a.len = 2048;
    assert_int_equal(read_arc(&a, 100, &r, &s_t), ERR_INVAL);
    /* a header after one zero block */
    memset(&a, 0, sizeof a);
    memset(a.b, 0, 512);
    a.len = 512;
    file(&a, "web/a", "x");
    assert_int_equal(read_arc(&a, 0, &r, &s_t), ERR_INVAL);
    /* no end blocks: fed fine, not done */
    memset(&a, 0, sizeof a);
    file(&a, "web/a", "x");
    assert_int_equal(read_arc(&a, 0, &r, &s_t), 0);
    assert_false(tar_done(&s_t));
    /* a pax size that differs from the header */
    memset(&a, 0, sizeof a);
    const char *x = "10 size=9\n";
    header(&a, "p", NULL, 'x', strlen(x), true);
    data(&a, x, strlen(x));
    file(&a, "web/a", "x");
    end(&a);
    assert_int_equal(read_arc(&a, 0, &r, &s_t), ERR_INVAL);
    /* a pax header too large to hold */
    memset(&a, 0, sizeof a);
    header(&a, "p", NULL, 'x', TAR_META_MAX + 1, true);
    assert_int_equal(read_arc(&a, 0, &r, &s_t), ERR_INVAL);
    /* a GNU long name longer than TAR_NAME_MAX */
    memset(&a, 0, sizeof a);
    char n[400];
    memset(n, 'a', sizeof n - 1);
    n[sizeof n - 1] = '\0';
    header(&a, "././@LongLink", NULL, 'L', sizeof n, false);
    data(&a, n, sizeof n);
    file(&a, "x", "x");
    assert_int_equal(read_arc(&a, 0, &r, &s_t), ERR_INVAL);
}

static void test_bundle_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int type;
        int want; /* 1 file, 0 skip, -1 refused */
        const char *out_or_why;
    } cases[] = {
        {"modules/LM_a.lua", TAR_FILE, 1, "modules/LM_a.lua"},
        {"./modules/LM_a.lua", TAR_FILE, 1, "modules/LM_a.lua"},
        {"web/css/app.css", TAR_FILE, 1, "web/css/app.css"},
        {"web/a/b/c/d/e.html", TAR_FILE, 1, "web/a/b/c/d/e.html"},
        {"web/a/b/c/d/e/f.html", TAR_FILE, -1, "too deep"},
        {"./", TAR_DIR, 0, NULL},
        {"web/", TAR_DIR, 0, NULL},
        {"web/css/", TAR_DIR, 0, NULL},
        {"modules/", TAR_DIR, 0, NULL},
        {"modules/sub/", TAR_DIR, -1, "flat"},
        {"../x", TAR_FILE, -1, "'..'"},
        {"web/../../etc/passwd", TAR_FILE, -1, "'..'"},
        {"/etc/passwd", TAR_FILE, -1, "absolute"},
        {"web//x", TAR_FILE, -1, "empty"},
        {"web/./x", TAR_FILE, -1, "'.'"},
        {"web/a\\b", TAR_FILE, -1, "[A-Za-z0-9._-]"},
        {"web/x", '2', -1, "symbolic link"},
        {"web/x", '1', -1, "hard link"},
        {"web/x", '3', -1, "device"},
        {"web/x", '6', -1, "FIFO"},
        {"web/x", 'S', -1, "unsupported"},
        {"config/node_config.json", TAR_FILE, -1, "outside modules/ and web/"},
        {"logs/x", TAR_FILE, -1, "outside"},
        {"web", TAR_FILE, -1, "where a folder belongs"},
        {"web/user_data/a.txt", TAR_FILE, -1, "user_data"},
        {"modules/x/LM_a.lua", TAR_FILE, -1, "flat"},
        {"", TAR_FILE, -1, "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[TAR_NAME_MAX + 1] = "", why[300] = "";
        int rc = bundle_name_check(cases[i].name, cases[i].type, out, sizeof out, why, sizeof why);
        if (cases[i].want == -1) {
            assert_int_equal(rc, ERR_PERM);
            if (!strstr(why, cases[i].out_or_why))
                fail_msg("%s: %s (wanted %s)", cases[i].name, why, cases[i].out_or_why);
        } else {
            assert_int_equal(rc, cases[i].want);
            if (rc == 1)
                assert_string_equal(out, cases[i].out_or_why);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split_gives_the_same_entries),
        cmocka_unit_test(test_long_names_prefix_gnu_and_pax),
        cmocka_unit_test(test_damaged_archives_are_refused),
        cmocka_unit_test(test_bundle_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
