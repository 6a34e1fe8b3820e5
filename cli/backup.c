/* backup.c - 'microsctl backup' and 'microsctl restore': the whole config through conf mode. */
#include "../core/err.h"
#include "../svc/cfg.h"
#include "ctl.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKUP_FILE_MAX (1u << 20)

/* Our schema's entry for key, or NULL (an original micrOS node may have keys we lack). */
static const struct cfg_key *schema_find(const char *key)
{
    for (size_t i = 0; i < cfg_schema_len; i++)
        if (!strcmp(cfg_schema[i].name, key))
            return &cfg_schema[i];
    return NULL;
}

/* The type of a key: from our schema when it knows the key, else from the node's text. */
static enum cfg_type key_type(const char *key, const char *text, unsigned *flags)
{
    const struct cfg_key *k = schema_find(key);
    *flags = k ? k->flags : 0;
    if (k)
        return k->type;
    if (!strcmp(text, "True") || !strcmp(text, "False"))
        return CFG_BOOL;
    const char *p = text + (*text == '-');
    if (*p && strspn(p, "0123456789") == strlen(p))
        return CFG_INT;
    return CFG_STR;
}

/* Reads the node's config as a JSON object (key -> typed value) through conf mode dump. */
static int read_config(struct conn *c, cJSON **out)
{
    if (conn_cmd(c, "conf") || conn_cmd(c, "dump"))
        return c->err ? c->err : ERR_IO;
    size_t len;
    const char *r = conn_reply(c, &len);
    char *text = malloc(len + 1);
    if (!text)
        return ERR_NOMEM;
    memcpy(text, r, len);
    text[len] = '\0';
    cJSON *obj = cJSON_CreateObject();
    int rc = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        /* "  key       :        value" */
        char *colon = strchr(line, ':');
        if (strncmp(line, "  ", 2) != 0 || !colon)
            continue;
        char key[64];
        char *k = line + 2;
        size_t kn = strcspn(k, " :");
        if (kn == 0 || kn >= sizeof key)
            continue;
        memcpy(key, k, kn);
        key[kn] = '\0';
        char *v = colon + 1;
        for (int i = 0; i < 8 && *v == ' '; i++)
            v++;
        size_t vn = strlen(v);
        while (vn > 0 && v[vn - 1] == '\r')
            v[--vn] = '\0';
        unsigned flags;
        enum cfg_type t = key_type(key, v, &flags);
        if ((flags & CFG_OFFLOAD) && !strcmp(v, "...")) {
            /* Offloaded (guimeta): its content comes from a get. */
            if (conn_cmd(c, key)) {
                rc = c->err;
                break;
            }
            size_t gl;
            const char *g = conn_reply(c, &gl);
            while (gl > 0 && (g[gl - 1] == '\n' || g[gl - 1] == '\r'))
                gl--;
            char *gv = malloc(gl + 1);
            if (!gv) {
                rc = ERR_NOMEM;
                break;
            }
            memcpy(gv, g, gl);
            gv[gl] = '\0';
            cJSON_AddStringToObject(obj, key, gv);
            free(gv);
            continue;
        }
        if (t == CFG_BOOL)
            cJSON_AddBoolToObject(obj, key, !strcmp(v, "True"));
        else if (t == CFG_INT)
            cJSON_AddNumberToObject(obj, key, strtod(v, NULL));
        else
            cJSON_AddStringToObject(obj, key, v);
    }
    free(text);
    if (!rc && conn_cmd(c, "noconf"))
        rc = c->err;
    if (rc || cJSON_GetArraySize(obj) == 0) {
        cJSON_Delete(obj);
        return rc ? rc : ERR_SYNTAX;
    }
    *out = obj;
    return 0;
}

int ctl_backup(struct ctl_opts *o, int argc, char **argv)
{
    struct conn c;
    if (ctl_open(o, argv[0], &c, NULL, true))
        return CTL_EXIT_CONN;
    cJSON *cfg = NULL;
    int rc = read_config(&c, &cfg);
    conn_close(&c);
    if (rc) {
        fprintf(stderr, "microsctl backup: cannot read the config: %s\n",
                c.msg[0] ? c.msg : err_str(rc));
        return CTL_EXIT_CONN;
    }
    char path[1024];
    const cJSON *fid = cJSON_GetObjectItemCaseSensitive(cfg, "devfid");
    if (argc >= 2)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "node_config_%s.json",
                 cJSON_IsString(fid) ? fid->valuestring : "node");
    char *text = cJSON_Print(cfg);
    FILE *f = fopen(path, "w");
    bool is_ok = f && text && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f)
        is_ok = fclose(f) == 0 && is_ok;
    free(text);
    int n = cJSON_GetArraySize(cfg);
    cJSON_Delete(cfg);
    if (!is_ok) {
        fprintf(stderr, "microsctl backup: cannot write %s\n", path);
        return CTL_EXIT_FAIL;
    }
    printf("Saved %d keys of %s to %s\n", n, argv[0], path);
    return CTL_EXIT_OK;
}

/* The text a shell set sends for a JSON value, or an error in why. */
static bool value_text(const cJSON *v, enum cfg_type t, char *out, size_t cap, char *why,
                       size_t whycap)
{
    if (t == CFG_BOOL) {
        if (!cJSON_IsBool(v)) {
            snprintf(why, whycap, "must be true or false");
            return false;
        }
        snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "True" : "False");
        return true;
    }
    if (t == CFG_INT) {
        double d = v->valuedouble;
        if (!cJSON_IsNumber(v) || d != (double)(long long)d || d > 9007199254740992.0 ||
            d < -9007199254740992.0) {
            snprintf(why, whycap, "must be an integer");
            return false;
        }
        snprintf(out, cap, "%lld", (long long)d);
        return true;
    }
    if (!cJSON_IsString(v)) {
        snprintf(why, whycap, "must be a string");
        return false;
    }
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n == 0 || n + 1 > cap) {
        snprintf(why, whycap, n ? "is too long" : "is empty (the node writes n/a for no value)");
        return false;
    }
    if (strpbrk(s, "\n\r\t") || s[0] == ' ' || s[n - 1] == ' ' || strstr(s, "  ") ||
        !strcmp(s, "...")) {
        snprintf(why, whycap,
                 "cannot be set over the shell (line breaks, tabs, leading, trailing or double "
                 "spaces, or '...')");
        return false;
    }
    snprintf(out, cap, "%s", s);
    return true;
}

int ctl_restore(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "microsctl restore: cannot open %s\n", argv[1]);
        return CTL_EXIT_FAIL;
    }
    char *text = malloc(BACKUP_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, BACKUP_FILE_MAX, f) : 0;
    fclose(f);
    if (!text)
        return CTL_EXIT_FAIL;
    text[n] = '\0';
    cJSON *want = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(want)) {
        fprintf(stderr, "microsctl restore: %s is not a JSON object of config keys\n", argv[1]);
        cJSON_Delete(want);
        return CTL_EXIT_FAIL;
    }
    struct conn c;
    if (ctl_open(o, argv[0], &c, NULL, true)) {
        cJSON_Delete(want);
        return CTL_EXIT_CONN;
    }
    cJSON *have = NULL;
    int rc = read_config(&c, &have);
    if (rc) {
        fprintf(stderr, "microsctl restore: cannot read the node's config: %s\n",
                c.msg[0] ? c.msg : err_str(rc));
        conn_close(&c);
        cJSON_Delete(want);
        return CTL_EXIT_CONN;
    }
    /* Pass 1: check every key; nothing is changed when one is wrong. */
    int bad = 0, system = 0, same = 0, to_change = 0;
    for (const cJSON *e = want->child; e; e = e->next) {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(have, e->string);
        char val[CFG_STR_MAX], why[160];
        if (!cur) {
            fprintf(stderr, "microsctl restore: unknown key '%s': the node has no such key\n",
                    e->string);
            bad++;
            continue;
        }
        const struct cfg_key *k = schema_find(e->string);
        enum cfg_type t = cJSON_IsBool(cur) ? CFG_BOOL : cJSON_IsNumber(cur) ? CFG_INT : CFG_STR;
        if (k && (k->flags & CFG_SYSTEM)) {
            system++;
            continue;
        }
        if (!value_text(e, t, val, sizeof val, why, sizeof why)) {
            fprintf(stderr, "microsctl restore: key '%s': value %s\n", e->string, why);
            bad++;
            continue;
        }
        if (cJSON_Compare(e, cur, true))
            same++;
        else
            to_change++;
    }
    if (bad) {
        fprintf(stderr, "microsctl restore: %d key(s) refused, nothing changed\n", bad);
        conn_close(&c);
        cJSON_Delete(want);
        cJSON_Delete(have);
        return CTL_EXIT_FAIL;
    }
    /* Pass 2: set what differs. */
    int failed = 0, changed = 0;
    if (to_change && conn_cmd(&c, "conf"))
        failed = -1;
    for (const cJSON *e = want->child; e && to_change && failed >= 0; e = e->next) {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(have, e->string);
        const struct cfg_key *k = schema_find(e->string);
        if ((k && (k->flags & CFG_SYSTEM)) || cJSON_Compare(e, cur, true))
            continue;
        enum cfg_type t = cJSON_IsBool(cur) ? CFG_BOOL : cJSON_IsNumber(cur) ? CFG_INT : CFG_STR;
        char val[CFG_STR_MAX], why[160], cmd[CFG_STR_MAX + 80];
        value_text(e, t, val, sizeof val, why, sizeof why);
        snprintf(cmd, sizeof cmd, "%s %s", e->string, val);
        if (strlen(cmd) >= sizeof c.out) {
            fprintf(stderr, "microsctl restore: %s: value too long for one shell line\n",
                    e->string);
            failed++;
            continue;
        }
        if (conn_cmd(&c, cmd)) {
            failed = -1;
            break;
        }
        size_t rl;
        const char *r = conn_reply(&c, &rl);
        bool is_secret = k && (k->flags & CFG_SECRET);
        char *old = cJSON_PrintUnformatted(cur), *neu = cJSON_PrintUnformatted(e);
        if (rl >= 5 && !strncmp(r, "Saved", 5)) {
            printf("%s: %s -> %s\n", e->string, is_secret ? "***" : old, is_secret ? "***" : neu);
            changed++;
        } else {
            fprintf(stderr, "microsctl restore: %s: the node answered: %.*s", e->string, (int)rl,
                    r);
            failed++;
        }
        free(old);
        free(neu);
    }
    if (failed >= 0 && to_change)
        conn_cmd(&c, "noconf");
    if (failed < 0)
        fprintf(stderr, "microsctl restore: %s\n", c.msg);
    printf("Restored %s: %d changed, %d unchanged, %d left to the node (system keys)%s\n", argv[0],
           changed, same, system, failed ? ", some failed" : "");
    conn_close(&c);
    cJSON_Delete(want);
    cJSON_Delete(have);
    return failed < 0 ? CTL_EXIT_CONN : failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
