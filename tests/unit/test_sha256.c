/* test_sha256.c - SHA-256 (core/sha256.c) against FIPS 180-4 test vectors, in any piece size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/sha256.h"

#include <string.h>

static void hex_of(const char *in, size_t n, size_t step, char out[65])
{
    struct sha256 s;
    sha256_init(&s);
    for (size_t i = 0; i < n; i += step)
        sha256_update(&s, in + i, n - i < step ? n - i : step);
    uint8_t d[32];
    sha256_final(&s, d);
    sha256_hex(d, out);
}

static void sha256_should_match_the_standard_vectors(void **state)
{
    (void)state;
    char h[65];
    hex_of("", 0, 1, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, 1, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (size_t step = 1; step <= 64; step++) {
        hex_of(two, strlen(two), step, h);
        assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }
    static char mil[1000000];
    memset(mil, 'a', sizeof mil);
    hex_of(mil, sizeof mil, 4097, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_should_match_the_standard_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
