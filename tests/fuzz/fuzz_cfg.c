/* fuzz_cfg.c - libFuzzer target: the config store. The input up to the first 0xFF byte is
 * written as config/node_config.json (any bytes: corrupt JSON, wrong types, huge numbers,
 * offload markers); cfg_init must load it or fall back to defaults. The rest is a list of
 * "key value" lines given to cfg_set (conf mode), each followed by a get and a dump. The file
 * written back must be a JSON object again. */
#include "core/buf.h"
#include "core/log.h"
#include "hal/hal_fs.h"
#include "svc/cfg.h"

#include <cjson/cJSON.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_dir[128];
static char s_file[256];

static void quiet(enum log_level level, const char *line, void *arg)
{
    (void)level;
    (void)line;
    (void)arg;
}

static void setup(void)
{
    if (s_dir[0])
        return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(s_dir, sizeof s_dir, "%s/micros-fuzz-cfg-%d", base, (int)getpid());
    snprintf(s_file, sizeof s_file, "%s/config/node_config.json", s_dir);
    char cfgdir[160];
    snprintf(cfgdir, sizeof cfgdir, "%s/config", s_dir);
    hal_fs_mkdir(s_dir);
    hal_fs_mkdir(cfgdir);
    log_set_sink(quiet, NULL, LOG_ERR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t flen = sep ? (size_t)(sep - data) : size;
    hal_fs_write_atomic(s_file, data, flen);

    struct cfg cfg;
    if (cfg_init(&cfg, s_dir) < 0)
        abort(); /* a corrupt file must never make the data folder unusable */
    struct buf out;
    buf_init(&out, 1024 * 1024);
    if (sep) {
        struct str rest = {(const char *)sep + 1, size - flen - 1};
        while (rest.len > 0) {
            const char *nl = memchr(rest.p, '\n', rest.len);
            size_t end = nl ? (size_t)(nl - rest.p) : rest.len;
            struct str line = {rest.p, end};
            rest = str_from(rest, nl ? end + 1 : end);
            struct str key = str_next_word(&line);
            struct str value = str_trim(line);
            char msg[256];
            enum cfg_set_result r = cfg_set(&cfg, key, value, msg, sizeof msg);
            if (r != CFG_SAVED && r != CFG_INVALID_KEY && r != CFG_FAILED)
                abort();
            buf_clear(&out);
            cfg_get_text(&cfg, key, &out);
        }
    }
    buf_clear(&out);
    cfg_dump(&cfg, STR_NULL, &out);
    cfg_deinit(&cfg);
    buf_free(&out);

    /* What is on disk now loads as an object (defaults are written over a corrupt file). */
    static char text[256 * 1024];
    long n = hal_fs_read(s_file, text, sizeof text);
    if (n >= 0) {
        cJSON *root = cJSON_ParseWithLength(text, (size_t)n);
        if (!cJSON_IsObject(root))
            abort();
        cJSON_Delete(root);
    }
    return 0;
}
