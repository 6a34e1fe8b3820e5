/* run.c - 'microsctl run' (several commands on one connection) and 'microsctl list'. */
#include "../core/err.h"
#include "ctl.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shell built-ins whose reply is never JSON: >json is not appended to them. help, reboot and
 * webrepl take any words; the others only as a bare word: `hello greet x` calls a module
 * called hello (a Lua LM_hello.lua, docs/lua.md "Names"). */
static bool is_builtin(const char *cmd)
{
    static const char *const any[] = {"help", "reboot", "webrepl"};
    static const char *const bare[] = {"hello", "version", "exit"};
    while (*cmd == ' ')
        cmd++;
    size_t n = strcspn(cmd, " \t");
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        if (strlen(any[i]) == n && !strncmp(cmd, any[i], n))
            return true;
    if (cmd[n + strspn(cmd + n, " \t")] != '\0')
        return false; /* more words: a module call */
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
        if (strlen(bare[i]) == n && !strncmp(cmd, bare[i], n))
            return true;
    return !strncmp(cmd, "conf", 4) || !strncmp(cmd, "noconf", 6);
}

static cJSON *reply_json(const char *reply, size_t len)
{
    while (len > 0 && (reply[len - 1] == '\n' || reply[len - 1] == ' ' || reply[len - 1] == '\r'))
        len--;
    char *text = malloc(len + 1);
    if (!text)
        return NULL;
    memcpy(text, reply, len);
    text[len] = '\0';
    cJSON *v = cJSON_ParseWithLength(text, len);
    if (!v)
        v = cJSON_CreateString(text);
    free(text);
    return v;
}

int ctl_run(struct ctl_opts *o, int argc, char **argv)
{
    struct conn c;
    struct cache_dev dev;
    if (ctl_open(o, argv[0], &c, &dev, true))
        return CTL_EXIT_CONN;
    cJSON *arr = o->is_json ? cJSON_CreateArray() : NULL;
    int status = CTL_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        bool is_conf = strstr(c.pre, "[configure]") != NULL;
        char cmd[2048];
        const char *text = argv[i];
        if (o->is_json && !is_conf && !is_builtin(text) && !strstr(text, ">json")) {
            snprintf(cmd, sizeof cmd, "%s >json", text);
            text = cmd;
        }
        int rc = conn_cmd(&c, text);
        if (rc) {
            fprintf(stderr, "microsctl: '%s': %s\n", text, c.msg);
            if (arr) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "cmd", text);
                cJSON_AddStringToObject(e, "error", c.msg);
                cJSON_AddBoolToObject(e, "ok", false);
                cJSON_AddItemToArray(arr, e);
            }
            status = CTL_EXIT_CONN;
            break;
        }
        size_t len;
        const char *reply = conn_reply(&c, &len);
        bool is_bad = conn_reply_is_error(reply, len, is_conf);
        if (is_bad)
            status = CTL_EXIT_FAIL;
        if (arr) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "cmd", text);
            cJSON_AddItemToObject(e, "reply", reply_json(reply, len));
            cJSON_AddBoolToObject(e, "ok", !is_bad);
            cJSON_AddItemToArray(arr, e);
        } else {
            fwrite(reply, 1, len, stdout);
            fflush(stdout);
        }
        if (c.is_closed_by_node && i + 1 < argc) {
            fprintf(stderr, "microsctl: the node closed the connection after '%s'\n", text);
            status = CTL_EXIT_CONN;
            break;
        }
    }
    if (arr) {
        char *s = cJSON_Print(arr);
        if (s)
            puts(s);
        free(s);
        cJSON_Delete(arr);
    }
    conn_close(&c);
    return status;
}

int ctl_list(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (o->is_json) {
        char *s = cJSON_Print(o->cache.root);
        puts(s ? s : "{}");
        free(s);
        return CTL_EXIT_OK;
    }
    printf("%-24s%-22s%s\n", "[ UID ]", "[ FUID ]", "[ IP:PORT ]");
    for (size_t i = 0; i < cache_count(&o->cache); i++) {
        struct cache_dev d;
        if (cache_get(&o->cache, i, &d) == 0)
            printf("%-23s %-21s %s:%u\n", d.uid, d.fuid, d.ip, d.port);
    }
    printf("(%zu devices in %s)\n", cache_count(&o->cache), o->cache.path);
    return CTL_EXIT_OK;
}
