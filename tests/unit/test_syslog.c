/* test_syslog.c - syslog routing, stamps, line cap and console echo (COMPAT §7.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/log.h"
#include "hal/hal_fs.h"
#include "hal/hal_time.h"
#include "svc/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The test's own wall clock (port/posix/hal_time.c is not linked). */
static int64_t s_now;
int64_t hal_wall_s(void)
{
    return s_now;
}

struct fixture {
    char root[64];
    char logs[128];
    struct syslog log;
};

/* Console sink: remembers the last line and its level. */
static enum log_level s_last_level;
static char s_last_line[600];
static void capture(enum log_level level, const char *line, void *arg)
{
    (void)arg;
    s_last_level = level;
    snprintf(s_last_line, sizeof s_last_line, "%s", line);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/test_syslog.XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->logs, sizeof f->logs, "%s/logs", f->root);
    if (hal_fs_mkdir(f->logs) != 0) {
        free(f);
        return -1;
    }
    syslog_init(&f->log, f->root);
    s_now = 1709622489; /* 2024-03-05 07:08:09 UTC */
    log_set_sink(capture, NULL, LOG_DEBUG);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    int rc = system(cmd);
    free(f);
    log_set_sink(NULL, NULL, LOG_ERR);
    return rc == 0 ? 0 : -1;
}

/* Contents of logs/<name>.sys.log ("" when missing). */
static const char *read_log(struct fixture *f, const char *name)
{
    static char text[64 * 1024];
    char path[256];
    snprintf(path, sizeof path, "%s/%s.sys.log", f->logs, name);
    long n = hal_fs_read(path, text, sizeof text);
    if (n < 0)
        text[0] = '\0';
    return text;
}

static void syslog_should_route_lines_by_leading_tag(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(syslog_write(&f->log, "[ERR] ntptime: %s", "timeout"), 0);
    assert_int_equal(syslog_write(&f->log, "[WARN] Restart, network repair"), 0);
    assert_int_equal(syslog_write(&f->log, "[BOOT] info: %s", "PowerOn"), 0);
    assert_int_equal(syslog_write(&f->log, "[INFO] sun sync"), 0);
    assert_int_equal(syslog_write(&f->log, "hello from %d", 42), 0);
    assert_int_equal(syslog_write(&f->log, "[ERRX] not a tag"), 0);
    assert_int_equal(syslog_write(&f->log, " [ERR] tag not leading"), 0);

    assert_string_equal(read_log(f, "err"), "2024.3.5-7:8:9 [ERR] ntptime: timeout\n");
    assert_string_equal(read_log(f, "warn"), "2024.3.5-7:8:9 [WARN] Restart, network repair\n");
    assert_string_equal(read_log(f, "boot"), "2024.3.5-7:8:9 [BOOT] info: PowerOn\n");
    assert_string_equal(read_log(f, "info"), "2024.3.5-7:8:9 [INFO] sun sync\n");
    assert_string_equal(read_log(f, "user"), "2024.3.5-7:8:9 hello from 42\n"
                                             "2024.3.5-7:8:9 [ERRX] not a tag\n"
                                             "2024.3.5-7:8:9  [ERR] tag not leading\n");
}

static void syslog_stamp_should_be_unpadded_local_time(void **state)
{
    struct fixture *f = *state;
    f->log.utc_offset_s = 3600;
    s_now = 1709249400; /* 2024-02-29 23:30:00 UTC = 2024-03-01 00:30:00 local */
    syslog_write(&f->log, "a");
    f->log.utc_offset_s = 0;
    s_now = 951825600; /* 2000-02-29 12:00:00 (a 400-year leap day) */
    syslog_write(&f->log, "b");
    s_now = 4107542401; /* 2100-03-01 00:00:01 (2100 is not a leap year) */
    syslog_write(&f->log, "c");
    s_now = -1; /* 1969-12-31 23:59:59 */
    syslog_write(&f->log, "d");
    s_now = 0;
    f->log.utc_offset_s = -60;
    syslog_write(&f->log, "e");
    assert_string_equal(read_log(f, "user"), "2024.3.1-0:30:0 a\n"
                                             "2000.2.29-12:0:0 b\n"
                                             "2100.3.1-0:0:1 c\n"
                                             "1969.12.31-23:59:59 d\n"
                                             "1969.12.31-23:59:0 e\n");
}

static void syslog_should_keep_only_the_last_lines(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < SYSLOG_KEEP_LINES + 5; i++)
        assert_int_equal(syslog_write(&f->log, "[WARN] line %d", i), 0);
    const char *text = read_log(f, "warn");
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, SYSLOG_KEEP_LINES);
    assert_true(strncmp(text, "2024.3.5-7:8:9 [WARN] line 5\n", 29) == 0);
    char last[64];
    snprintf(last, sizeof last, "[WARN] line %d\n", SYSLOG_KEEP_LINES + 4);
    size_t len = strlen(text), ll = strlen(last);
    assert_true(len > ll);
    assert_string_equal(text + len - ll, last);
}

static void syslog_should_echo_to_the_console_with_the_tag_level(void **state)
{
    struct fixture *f = *state;
    syslog_write(&f->log, "[ERR] disk");
    assert_int_equal(s_last_level, LOG_ERR);
    assert_string_equal(s_last_line, "[ERR] disk");
    syslog_write(&f->log, "[WARN] w");
    assert_int_equal(s_last_level, LOG_WARN);
    syslog_write(&f->log, "plain");
    assert_int_equal(s_last_level, LOG_INFO);
    assert_string_equal(s_last_line, "plain");
}

static void syslog_should_keep_one_record_per_line(void **state)
{
    struct fixture *f = *state;
    syslog_write(&f->log, "[INFO] two\nlines\r");
    assert_string_equal(read_log(f, "info"), "2024.3.5-7:8:9 [INFO] two lines \n");
}

static void syslog_should_close_a_torn_last_line(void **state)
{
    struct fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/user.sys.log", f->logs);
    assert_int_equal(hal_fs_write_atomic(path, "partial", 7), 0);
    syslog_write(&f->log, "next");
    assert_string_equal(read_log(f, "user"), "partial\n2024.3.5-7:8:9 next\n");
}

static void syslog_should_count_write_errors(void **state)
{
    struct fixture *f = *state;
    snprintf(f->log.dir, sizeof f->log.dir, "%s/missing", f->root);
    assert_true(syslog_write(&f->log, "[ERR] lost") < 0);
    assert_int_equal(f->log.write_errors, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(syslog_should_route_lines_by_leading_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(syslog_stamp_should_be_unpadded_local_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(syslog_should_keep_only_the_last_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(syslog_should_echo_to_the_console_with_the_tag_level, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(syslog_should_keep_one_record_per_line, setup, teardown),
        cmocka_unit_test_setup_teardown(syslog_should_close_a_torn_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(syslog_should_count_write_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
