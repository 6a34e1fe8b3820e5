/* test_cfg.c - the config store: bootstrap, recovery, merge, conf-mode set/get/dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "hal/hal_fs.h"
#include "svc/cfg.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PWD_MSG                                                                                    \
    "node_config write error: Password must include [0-9] both [a-z][A-Z] and length between "     \
    "8-64 char."

struct fixture {
    char root[64];
    char path[256]; /* config/node_config.json */
    struct cfg cfg;
    struct buf out;
    char text[64 * 1024];
};

/* Console sink: counts warnings. */
static int s_warnings;
static void capture(enum log_level level, const char *line, void *arg)
{
    (void)line;
    (void)arg;
    if (level == LOG_WARN)
        s_warnings++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/test_cfg.XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/config/node_config.json", f->root);
    buf_init(&f->out, 1 << 20);
    s_warnings = 0;
    log_set_sink(capture, NULL, LOG_DEBUG);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    cfg_deinit(&f->cfg);
    buf_free(&f->out);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", f->root, f->root);
    int rc = system(cmd);
    free(f);
    log_set_sink(NULL, NULL, LOG_ERR);
    return rc == 0 ? 0 : -1;
}

/* Writes a config file before cfg_init. */
static void write_config(struct fixture *f, const char *json)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/config", f->root);
    assert_int_equal(hal_fs_mkdir(dir), 0);
    assert_int_equal(hal_fs_write_atomic(f->path, json, strlen(json)), 0);
}

static const char *read_text(struct fixture *f, const char *path)
{
    long n = hal_fs_read(path, f->text, sizeof f->text);
    assert_true(n >= 0);
    return f->text;
}

static const char *get(struct fixture *f, const char *key)
{
    buf_clear(&f->out);
    assert_int_equal(cfg_get_text(&f->cfg, str_c(key), &f->out), 0);
    return buf_cstr(&f->out);
}

static const char *dump(struct fixture *f, const char *filter)
{
    buf_clear(&f->out);
    assert_int_equal(cfg_dump(&f->cfg, str_c(filter), &f->out), 0);
    return buf_cstr(&f->out);
}

static enum cfg_set_result set(struct fixture *f, const char *key, const char *value)
{
    char msg[256];
    uint32_t errors = f->cfg.write_errors;
    enum cfg_set_result r = cfg_set(&f->cfg, str_c(key), str_c(value), msg, sizeof msg);
    if (r == CFG_FAILED) /* every refusal says why (issue 13); micrOS printed nothing */
        assert_true(msg[0] != '\0');
    else if (f->cfg.write_errors == errors)
        assert_string_equal(msg, "");
    else /* a failed write is told on an extra line */
        assert_int_equal(strncmp(msg, "node_config write error: ", 25), 0);
    return r;
}

/* Parses the config file; the caller deletes the result. */
static cJSON *file_json(struct fixture *f)
{
    cJSON *root = cJSON_Parse(read_text(f, f->path));
    assert_non_null(root);
    return root;
}

static void schema_should_list_micros_keys_then_ours(void **state)
{
    (void)state;
    assert_true(cfg_schema_len >= 45); /* micrOS's 40, ours from 40 on (more may follow) */
    assert_string_equal(cfg_schema[0].name, "version");
    assert_string_equal(cfg_schema[12].name, "webui_max_con");
    assert_string_equal(cfg_schema[39].name, "ha");
    assert_string_equal(cfg_schema[40].name, "webport");
    assert_string_equal(cfg_schema[41].name, "geoloc");
    assert_string_equal(cfg_schema[42].name, "tz");
    for (size_t i = 0; i < cfg_schema_len; i++) {
        assert_non_null(cfg_schema[i].help);
        assert_true(strlen(cfg_schema[i].help) > 0);
    }
    assert_true(cfg_schema[cfg_find(STR_LIT("appwd"))].flags & CFG_SECRET);
    assert_true(cfg_schema[cfg_find(STR_LIT("stapwd"))].flags & CFG_SECRET);
    assert_true(cfg_schema[cfg_find(STR_LIT("crontasks"))].flags & CFG_LIVE);
    unsigned g = cfg_schema[cfg_find(STR_LIT("guimeta"))].flags;
    assert_int_equal(g, CFG_LIVE | CFG_OFFLOAD | CFG_NOWEB);
    const char *noweb[] = {"hwuid", "guimeta", "socport",      "version",
                           "auth",  "soctout", "metrics_token"};
    int n = 0;
    for (size_t i = 0; i < cfg_schema_len; i++)
        n += (cfg_schema[i].flags & CFG_NOWEB) != 0;
    assert_int_equal(n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_true(cfg_schema[cfg_find(str_c(noweb[i]))].flags & CFG_NOWEB);
    assert_true(cfg_schema[cfg_find(STR_LIT("devip"))].flags & CFG_SYSTEM);
    assert_int_equal(cfg_find(STR_LIT("nokey")), ERR_NOENT);
}

static void cfg_init_should_bootstrap_defaults_in_an_empty_folder(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    const char *dirs[] = {"config", "modules", "web", "data", "logs"};
    for (size_t i = 0; i < 5; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", f->root, dirs[i]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
    }
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devfid), "node01");
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_appwd), "ADmin123");
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_socport), 9008);
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_aioqueue), 5);
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_webport), 8000);
    assert_true(cfg_get_bool(&f->cfg, CFG_K_dbg));
    assert_false(cfg_get_bool(&f->cfg, CFG_K_auth));
    assert_string_equal(get(f, "guimeta"), "n/a");
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_guimeta), "...");

    /* The file holds every key, in dump order, with JSON types. */
    cJSON *root = file_json(f);
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach(item, root)
    {
        assert_true(i < cfg_schema_len);
        assert_string_equal(item->string, cfg_schema[i].name);
        i++;
    }
    assert_int_equal(i, cfg_schema_len);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "socport")));
    assert_int_equal(cJSON_GetObjectItem(root, "socport")->valueint, 9008);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "auth")));
    assert_string_equal(cJSON_GetObjectItem(root, "guimeta")->valuestring, "...");
    cJSON_Delete(root);
    assert_int_equal(f->cfg.write_errors, 0);
}

static void cfg_init_should_keep_a_corrupt_file_as_bad_and_use_defaults(void **state)
{
    struct fixture *f = *state;
    write_config(f, "{\"devfid\": \"kitchen\", ");
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devfid), "node01");
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", f->path);
    assert_string_equal(read_text(f, bad), "{\"devfid\": \"kitchen\", ");
    cJSON *root = file_json(f);
    assert_string_equal(cJSON_GetObjectItem(root, "devfid")->valuestring, "node01");
    cJSON_Delete(root);
}

static void cfg_init_should_treat_a_non_object_as_corrupt(void **state)
{
    struct fixture *f = *state;
    write_config(f, "[1, 2]");
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", f->path);
    assert_true(hal_fs_exists(bad));
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_socport), 9008);
}

static void cfg_init_should_merge_convert_and_add_missing_keys(void **state)
{
    struct fixture *f = *state;
    write_config(f, "{\"devfid\": \"kitchen\", \"socport\": \"9010\", \"dbg\": 0, "
                    "\"cron\": \"TRUE\", \"utc\": \"x\", \"aioqueue\": 1.5, \"devip\": 7, "
                    "\"boothook\": \"\", \"hwuid\": \"...\", \"bogus\": 1}");
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devfid), "kitchen");
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_socport), 9010);
    assert_false(cfg_get_bool(&f->cfg, CFG_K_dbg));
    assert_true(cfg_get_bool(&f->cfg, CFG_K_cron));
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_utc), 60);     /* not convertible: default */
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_aioqueue), 5); /* not a whole number */
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devip), "7");
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_boothook), "n/a");
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_hwuid), "n/a"); /* "..." only for guimeta */
    assert_int_equal(s_warnings, 4);                               /* utc, aioqueue, hwuid, bogus */

    cJSON *root = file_json(f);
    assert_int_equal(cJSON_GetArraySize(root), (int)cfg_schema_len);
    assert_null(cJSON_GetObjectItem(root, "bogus"));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "socport")));
    assert_int_equal(cJSON_GetObjectItem(root, "socport")->valueint, 9010);
    assert_string_equal(cJSON_GetObjectItem(root, "devfid")->valuestring, "kitchen");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "ha")));
    cJSON_Delete(root);
}

static void cfg_init_should_move_an_inline_guimeta_to_its_key_file(void **state)
{
    struct fixture *f = *state;
    write_config(f, "{\"guimeta\": \"{\\\"x\\\":2}\"}");
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(get(f, "guimeta"), "{\"x\":2}");
    cJSON *root = file_json(f);
    assert_string_equal(cJSON_GetObjectItem(root, "guimeta")->valuestring, "...");
    cJSON_Delete(root);
}

static void cfg_init_should_not_rewrite_a_complete_file(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    cfg_deinit(&f->cfg);
    /* Replace the file with a compact copy: a rewrite would indent it again. */
    cJSON *root = file_json(f);
    char *compact = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    assert_int_equal(hal_fs_write_atomic(f->path, compact, strlen(compact)), 0);
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(read_text(f, f->path), compact);
    cJSON_free(compact);
}

static void cfg_init_should_treat_an_empty_file_as_corrupt(void **state)
{
    struct fixture *f = *state;
    write_config(f, "");
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", f->path);
    assert_true(hal_fs_exists(bad));
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devfid), "node01");
}

/* COMPAT hard case 22. */
static void cfg_set_should_follow_conf_mode_conversion_rules(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(get(f, "socport"), "9008");
    assert_int_equal(set(f, "socport", "abc"), CFG_FAILED);
    assert_int_equal(set(f, "utc", "\"type\""), CFG_FAILED);
    assert_int_equal(set(f, "utc", "1.5"), CFG_FAILED);
    assert_int_equal(set(f, "utc", ""), CFG_FAILED);
    assert_int_equal(set(f, "utc", "-"), CFG_FAILED);
    assert_int_equal(set(f, "cron", "TRUE"), CFG_SAVED);
    assert_string_equal(get(f, "cron"), "True");
    assert_int_equal(set(f, "cron", "yes"), CFG_FAILED);
    assert_int_equal(set(f, "cron", "1"), CFG_FAILED);
    assert_int_equal(set(f, "cron", "fAlSe"), CFG_SAVED);
    assert_string_equal(get(f, "cron"), "False");
    assert_int_equal(set(f, "nokey", "1"), CFG_INVALID_KEY);
    assert_string_equal(get(f, "nokey"), "None");
    assert_int_equal(set(f, "task", "list"), CFG_INVALID_KEY);

    assert_int_equal(set(f, "utc", "-90"), CFG_SAVED);
    assert_string_equal(get(f, "utc"), "-90");
    assert_int_equal(set(f, "utc", "+120"), CFG_SAVED);
    assert_string_equal(get(f, "utc"), "120");
    assert_int_equal(set(f, "devfid", "kitchen_2"), CFG_SAVED);
    assert_string_equal(get(f, "devfid"), "kitchen_2");
    assert_int_equal(set(f, "devfid", "..."), CFG_FAILED);
    assert_int_equal(set(f, "guimeta", "..."), CFG_FAILED);
    assert_string_equal(get(f, "devfid"), "kitchen_2");
    assert_int_equal(set(f, "devfid", "kitchen_2"), CFG_SAVED); /* same value again */
    assert_int_equal(set(f, "socport", "9010"), CFG_SAVED);

    /* Saved values survive a restart. */
    cfg_deinit(&f->cfg);
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(get(f, "devfid"), "kitchen_2");
    assert_string_equal(get(f, "socport"), "9010");
    assert_string_equal(get(f, "utc"), "120");
}

/* COMPAT hard case 23 and A11. */
static void cfg_set_should_enforce_the_password_rule(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char msg[256];
    const char *bad[] = {
        "short",    "abcdefg1",
        "ABCDEFG1", "Abcdefgh",
        "Abc1234",  "Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1xx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cfg_set(&f->cfg, STR_LIT("appwd"), str_c(bad[i]), msg, sizeof msg),
                         CFG_FAILED);
        assert_string_equal(msg, PWD_MSG);
    }
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_appwd), "ADmin123");
    assert_string_equal(get(f, "appwd"), CFG_SECRET_SHOWN); /* never shown */
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("appwd"), STR_LIT("Abcdefg1"), msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(msg, "");
    const char *p64 = "Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1Abcdefgh1x";
    assert_int_equal(strlen(p64), 64);
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("appwd"), str_c(p64), msg, sizeof msg), CFG_SAVED);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_appwd), p64);
}

/* Secrets are shown masked; the mask written back keeps the stored value (per stapwd part). */
static void cfg_secret_mask_should_keep_stored_values(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char msg[256];
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("stapwd"), STR_LIT("one1;;three3"), msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(get(f, "stapwd"), "********;;********");
    assert_string_equal(get(f, "mqtt_pwd"), "n/a");
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("stapwd"), STR_LIT("********;two2;********;four4"),
                             msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_stapwd), "one1;two2;three3;four4");
    assert_int_equal(
        cfg_set(&f->cfg, STR_LIT("stapwd"), STR_LIT("a;b;c;d;********"), msg, sizeof msg),
        CFG_FAILED);
    assert_true(strncmp(msg, "stapwd: ", 8) == 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_stapwd), "one1;two2;three3;four4");
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("appwd"), STR_LIT("********"), msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_appwd), "ADmin123");
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("mqtt_pwd"), STR_LIT("********"), msg, sizeof msg),
                     CFG_FAILED); /* nothing stored: the mask is not a password */
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_mqtt_pwd), "n/a");
    assert_int_equal(cfg_set(&f->cfg, STR_LIT("mqtt_pwd"), STR_LIT("x********y"), msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_mqtt_pwd), "x********y");
}

/* COMPAT hard case 26. */
static void cfg_set_should_offload_guimeta(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_int_equal(set(f, "guimeta", "{\"a\":1}"), CFG_SAVED);
    assert_string_equal(get(f, "guimeta"), "{\"a\":1}");
    assert_string_equal(dump(f, "guimeta"), "  guimeta   :        ...");
    char key[300];
    snprintf(key, sizeof key, "%s/config/.guimeta.key", f->root);
    assert_string_equal(read_text(f, key), "{\"a\":1}");
    cJSON *root = file_json(f);
    assert_string_equal(cJSON_GetObjectItem(root, "guimeta")->valuestring, "...");
    cJSON_Delete(root);
}

/* COMPAT hard case 24 and the transcript's dump bytes. */
static void cfg_dump_should_match_micros_bytes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_string_equal(dump(f, "irq1"), "  irq1      :        False\n"
                                         "  irq1_cbf  :        n/a\n"
                                         "  irq1_trig :        n/a");
    assert_string_equal(dump(f, "webui_max"), "  webui_max_con:        3");
    assert_string_equal(dump(f, "prell"), "  irq_prell_ms:        300");
    assert_string_equal(dump(f, "zzz"), "");

    const char *full = dump(f, "");
    const char *head = "  version   :        n/a\n"
                       "  auth      :        False\n"
                       "  staessid  :        your_wifi_name\n"
                       "  stapwd    :        ********\n" /* secrets masked (issue 13) */
                       "  devfid    :        node01\n"
                       "  appwd     :        ********\n";
    assert_true(strncmp(full, head, strlen(head)) == 0);
    const char *tail = "  ha        :        True\n"
                       "  webport   :        8000\n"
                       "  geoloc    :        n/a\n"
                       "  tz        :        n/a\n"
                       "  gpiochip  :        sim\n"
                       "  boardmap  :        auto";
    /* Our keys follow micrOS's in this order; later features append theirs after boardmap. */
    assert_non_null(strstr(full, tail));
    int lines = 1;
    for (const char *p = full; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, (int)cfg_schema_len);
}

static int s_calls;
static char s_changed[32];
static void observer(struct cfg *cfg, enum cfg_key_id key, void *arg)
{
    (void)cfg;
    *(int *)arg += 1;
    snprintf(s_changed, sizeof s_changed, "%s", cfg_schema[key].name);
}

static void cfg_set_should_call_the_observer_on_change(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    s_calls = 0;
    cfg_set_observer(&f->cfg, observer, &s_calls);
    assert_int_equal(set(f, "crontasks", "*:8:0:0!system heartbeat"), CFG_SAVED);
    assert_int_equal(s_calls, 1);
    assert_string_equal(s_changed, "crontasks");
    assert_int_equal(set(f, "crontasks", "*:8:0:0!system heartbeat"), CFG_SAVED);
    assert_int_equal(s_calls, 1); /* same value: no change */
    assert_int_equal(set(f, "socport", "x"), CFG_FAILED);
    assert_int_equal(s_calls, 1);
    assert_int_equal(cfg_put_int(&f->cfg, CFG_K_socport, 9100), 0);
    assert_int_equal(s_calls, 2);
    assert_string_equal(s_changed, "socport");
}

static int refuse_x(enum cfg_key_id key, struct str value, char *msg, size_t cap, void *arg)
{
    (void)arg;
    if (value.len && value.p[0] == 'x') {
        snprintf(msg, cap, "%s: no x please", cfg_schema[key].name);
        return ERR_INVAL;
    }
    return 0;
}

static void cfg_set_should_run_validators_and_extra_observers(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    s_calls = 0;
    int extra = 0;
    cfg_set_observer(&f->cfg, observer, &s_calls);
    assert_int_equal(cfg_add_observer(&f->cfg, observer, &extra), 0);
    assert_int_equal(cfg_set_validator(&f->cfg, CFG_K_crontasks, refuse_x, NULL), 0);
    assert_int_equal(cfg_set_validator(&f->cfg, CFG_KEY_COUNT, refuse_x, NULL), ERR_NOENT);
    char msg[128];
    assert_int_equal(cfg_set(&f->cfg, str_c("crontasks"), str_c("x!a"), msg, sizeof msg),
                     CFG_FAILED);
    assert_string_equal(msg, "crontasks: no x please");
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_crontasks), "n/a");
    assert_int_equal(s_calls + extra, 0);
    assert_int_equal(cfg_set(&f->cfg, str_c("crontasks"), str_c("*:1:0:0!a"), msg, sizeof msg),
                     CFG_SAVED);
    assert_string_equal(msg, "");
    assert_int_equal(s_calls, 1);
    assert_int_equal(extra, 1);
    assert_int_equal(cfg_set(&f->cfg, str_c("timirqcbf"), str_c("x"), msg, sizeof msg),
                     CFG_SAVED); /* other keys unchecked */
}

static void cfg_put_should_store_empty_strings_as_na_and_check_types(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    assert_int_equal(cfg_put_str(&f->cfg, CFG_K_devip, "10.0.0.7"), 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devip), "10.0.0.7");
    assert_int_equal(cfg_put_str(&f->cfg, CFG_K_devip, ""), 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_devip), "n/a");
    assert_int_equal(cfg_put_bool(&f->cfg, CFG_K_webui, true), 0);
    assert_true(cfg_get_bool(&f->cfg, CFG_K_webui));
    assert_int_equal(cfg_put_int(&f->cfg, CFG_K_devfid, 1), ERR_INVAL);
    assert_int_equal(cfg_put_str(&f->cfg, CFG_KEY_COUNT, "x"), ERR_NOENT);
    assert_int_equal(cfg_put_str(&f->cfg, CFG_K_devfid, "..."), ERR_INVAL);
    /* Typed getters on the wrong type. */
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_devfid), 0);
    assert_string_equal(cfg_get_str(&f->cfg, CFG_K_socport), "n/a");
    assert_false(cfg_get_bool(&f->cfg, CFG_KEY_COUNT)); /* no such key */
}

static void cfg_set_should_keep_the_runtime_value_when_the_write_fails(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char dir[128], probe[160];
    snprintf(dir, sizeof dir, "%s/config", f->root);
    assert_int_equal(chmod(dir, 0500), 0);
    /* chmod does not stop root: check that it really is read-only. */
    snprintf(probe, sizeof probe, "%s/probe", dir);
    int fd = open(probe, O_WRONLY | O_CREAT, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        chmod(dir, 0700);
        skip();
    }
    const char *before = read_text(f, f->path);
    char saved[64 * 1024];
    snprintf(saved, sizeof saved, "%s", before);
    assert_int_equal(set(f, "devfid", "garage"), CFG_SAVED);
    assert_string_equal(get(f, "devfid"), "garage");
    assert_int_equal(f->cfg.write_errors, 1);
    assert_string_equal(read_text(f, f->path), saved); /* old file intact */
    /* An offloaded value has nowhere else to live: that set fails. */
    assert_int_equal(set(f, "guimeta", "{}"), CFG_FAILED);
    assert_int_equal(f->cfg.write_errors, 2);
    assert_int_equal(chmod(dir, 0700), 0);
}

/* Same as above without chmod, so it also runs as root: a non-empty folder where the file
 * should be makes the atomic rename fail. */
static void cfg_set_should_keep_the_runtime_value_when_the_file_is_blocked(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cfg_init(&f->cfg, f->root), 0);
    char inner[300], key[300];
    assert_int_equal(hal_fs_remove(f->path), 0);
    snprintf(inner, sizeof inner, "%s/blocker", f->path);
    assert_int_equal(hal_fs_mkdir(inner), 0);
    snprintf(key, sizeof key, "%s/config/.guimeta.key/blocker", f->root);
    assert_int_equal(hal_fs_mkdir(key), 0);

    assert_int_equal(set(f, "devfid", "garage"), CFG_SAVED);
    assert_string_equal(get(f, "devfid"), "garage");
    assert_int_equal(cfg_put_int(&f->cfg, CFG_K_socport, 9100), 0);
    assert_int_equal(cfg_get_int(&f->cfg, CFG_K_socport), 9100);
    assert_int_equal(f->cfg.write_errors, 2);
    assert_int_equal(set(f, "guimeta", "{}"), CFG_FAILED);
    assert_int_equal(f->cfg.write_errors, 3);
    assert_true(hal_fs_exists(inner)); /* nothing was replaced */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(schema_should_list_micros_keys_then_ours),
        T(cfg_init_should_bootstrap_defaults_in_an_empty_folder),
        T(cfg_init_should_keep_a_corrupt_file_as_bad_and_use_defaults),
        T(cfg_init_should_treat_a_non_object_as_corrupt),
        T(cfg_init_should_merge_convert_and_add_missing_keys),
        T(cfg_init_should_move_an_inline_guimeta_to_its_key_file),
        T(cfg_init_should_not_rewrite_a_complete_file),
        T(cfg_init_should_treat_an_empty_file_as_corrupt),
        T(cfg_set_should_follow_conf_mode_conversion_rules),
        T(cfg_set_should_enforce_the_password_rule),
        T(cfg_set_should_offload_guimeta),
        T(cfg_dump_should_match_micros_bytes),
        T(cfg_secret_mask_should_keep_stored_values),
        T(cfg_set_should_call_the_observer_on_change),
        T(cfg_set_should_run_validators_and_extra_observers),
        T(cfg_put_should_store_empty_strings_as_na_and_check_types),
        T(cfg_set_should_keep_the_runtime_value_when_the_write_fails),
        T(cfg_set_should_keep_the_runtime_value_when_the_file_is_blocked),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
