/* cache.c - device_conn_cache.json (see cache.h). */
#include "cache.h"

#include "../core/err.h"
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_FILE_MAX (8u << 20)

int cache_path_default(char *out, size_t cap)
{
    const char *env = getenv("MICROS_CTL_CACHE");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) {
        snprintf(out, cap, "%s/microsctl/device_conn_cache.json", xdg);
        return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !*home)
        return ERR_INVAL;
    snprintf(out, cap, "%s/.config/microsctl/device_conn_cache.json", home);
    return 0;
}

void cache_dir(const struct cache *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s", c->path);
    char *slash = strrchr(out, '/');
    if (slash && slash != out)
        *slash = '\0';
    else if (slash)
        slash[1] = '\0';
    else
        snprintf(out, cap, ".");
}

int cache_load(struct cache *c, const char *path)
{
    snprintf(c->path, sizeof c->path, "%s", path);
    c->root = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        c->root = cJSON_CreateObject();
        return c->root ? 0 : ERR_NOMEM;
    }
    char *text = malloc(CACHE_FILE_MAX + 1);
    if (!text) {
        fclose(f);
        return ERR_NOMEM;
    }
    size_t n = fread(text, 1, CACHE_FILE_MAX, f);
    fclose(f);
    text[n] = '\0';
    c->root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(c->root)) {
        cJSON_Delete(c->root);
        c->root = NULL;
        return ERR_SYNTAX;
    }
    return 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return ERR_IO;
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return ERR_IO;
    return 0;
}

/* Python json.dumps of a scalar; cJSON prints the same text for strings, ints and bools except
 * that Python writes true/false/null alike, so the unformatted print is used. */
static void put_scalar(FILE *f, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    fputs(s ? s : "null", f);
    free(s);
}

/* json.dump(indent=4) for an object whose values are arrays of scalars (other values print
 * compact). */
static void put_python_indent4(FILE *f, const cJSON *root)
{
    if (!root->child) {
        fputs("{}", f);
        return;
    }
    fputs("{\n", f);
    for (const cJSON *e = root->child; e; e = e->next) {
        cJSON *key = cJSON_CreateString(e->string);
        fputs("    ", f);
        put_scalar(f, key);
        cJSON_Delete(key);
        fputs(": ", f);
        if (cJSON_IsArray(e) && e->child) {
            fputs("[\n", f);
            for (const cJSON *v = e->child; v; v = v->next) {
                fputs("        ", f);
                put_scalar(f, v);
                fputs(v->next ? ",\n" : "\n", f);
            }
            fputs("    ]", f);
        } else {
            put_scalar(f, e);
        }
        fputs(e->next ? ",\n" : "\n", f);
    }
    fputs("}", f);
}

int cache_save(const struct cache *c)
{
    char dir[1024], tmp[1100];
    cache_dir(c, dir, sizeof dir);
    if (mkdir_p(dir))
        return ERR_IO;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", c->path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ERR_IO;
    put_python_indent4(f, c->root);
    bool is_ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    is_ok = fclose(f) == 0 && is_ok;
    if (!is_ok || rename(tmp, c->path) < 0) {
        unlink(tmp);
        return ERR_IO;
    }
    return 0;
}

void cache_free(struct cache *c)
{
    cJSON_Delete(c->root);
    c->root = NULL;
}

int cache_put(struct cache *c, const char *uid, const char *ip, unsigned port, const char *fuid)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return ERR_NOMEM;
    cJSON_AddItemToArray(arr, cJSON_CreateString(ip));
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(port));
    cJSON_AddItemToArray(arr, cJSON_CreateString(fuid));
    if (cJSON_HasObjectItem(c->root, uid))
        cJSON_ReplaceItemInObjectCaseSensitive(c->root, uid, arr);
    else
        cJSON_AddItemToObject(c->root, uid, arr);
    return 0;
}

size_t cache_count(const struct cache *c)
{
    return (size_t)cJSON_GetArraySize(c->root);
}

int cache_get(const struct cache *c, size_t i, struct cache_dev *out)
{
    const cJSON *e = cJSON_GetArrayItem(c->root, (int)i);
    memset(out, 0, sizeof *out);
    if (!e)
        return ERR_NOENT;
    snprintf(out->uid, sizeof out->uid, "%s", e->string ? e->string : "");
    const cJSON *ip = cJSON_GetArrayItem(e, 0), *port = cJSON_GetArrayItem(e, 1),
                *fuid = cJSON_GetArrayItem(e, 2);
    if (!cJSON_IsArray(e) || !cJSON_IsString(ip) || !cJSON_IsNumber(port) ||
        port->valuedouble < 1 || port->valuedouble > 65535)
        return ERR_SYNTAX;
    snprintf(out->ip, sizeof out->ip, "%s", ip->valuestring);
    out->port = (unsigned)port->valuedouble;
    snprintf(out->fuid, sizeof out->fuid, "%s", cJSON_IsString(fuid) ? fuid->valuestring : "");
    return 0;
}

int cache_find(const struct cache *c, const char *name, struct cache_dev *out, char *msg,
               size_t msgcap)
{
    size_t n = cache_count(c);
    struct cache_dev d;
    /* uid is unique: it wins. */
    for (size_t i = 0; i < n; i++)
        if (cache_get(c, i, &d) == 0 && strcmp(d.uid, name) == 0) {
            *out = d;
            return 0;
        }
    int hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (cache_get(c, i, &d))
            continue;
        char ipport[96];
        snprintf(ipport, sizeof ipport, "%s:%u", d.ip, d.port);
        if (strcmp(d.fuid, name) == 0 || strcmp(d.ip, name) == 0 || strcmp(ipport, name) == 0) {
            if (hits++ == 0)
                *out = d;
            else if (strcmp(ipport, name) != 0) {
                snprintf(msg, msgcap,
                         "'%s' names several cached devices (%s, %s, ...): use the uid or ip:port",
                         name, out->uid, d.uid);
                return ERR_EXIST;
            }
        }
    }
    return hits ? 0 : ERR_NOENT;
}

int cache_resolve(const struct cache *c, const char *name, unsigned def_port,
                  struct sockaddr_in *addr, struct cache_dev *dev, char *msg, size_t msgcap)
{
    struct cache_dev d;
    int rc = c ? cache_find(c, name, &d, msg, msgcap) : ERR_NOENT;
    if (rc == ERR_EXIST)
        return rc;
    if (rc == 0) {
        char text[96];
        snprintf(text, sizeof text, "%s:%u", d.ip, d.port);
        if (conn_parse_addr(text, d.port, addr) == 0) {
            if (dev)
                *dev = d;
            return 0;
        }
        /* A host name in the cache: resolved below. */
        name = d.ip;
        def_port = d.port;
    } else {
        memset(&d, 0, sizeof d);
    }
    if (conn_parse_addr(name, def_port, addr) == 0) {
        if (dev && rc != 0) {
            memset(dev, 0, sizeof *dev);
            inet_ntop(AF_INET, &addr->sin_addr, dev->ip, sizeof dev->ip);
            dev->port = ntohs(addr->sin_port);
        }
        return 0;
    }
    /* A host name (e.g. node01.local), with an optional :port. */
    char host[256];
    unsigned port = def_port;
    snprintf(host, sizeof host, "%s", name);
    char *colon = strrchr(host, ':');
    if (colon) {
        *colon = '\0';
        port = (unsigned)strtoul(colon + 1, NULL, 10);
        if (port == 0 || port > 65535) {
            snprintf(msg, msgcap, "'%s': bad port", name);
            return ERR_INVAL;
        }
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, NULL, &hints, &res);
    if (g != 0 || !res) {
        snprintf(msg, msgcap,
                 "unknown device '%s': not in the cache (%s), not an IP address, and the host "
                 "name does not resolve (%s); run 'microsctl search' first",
                 name, c ? c->path : "-", gai_strerror(g));
        return ERR_NOHOST;
    }
    memcpy(addr, res->ai_addr, sizeof *addr);
    addr->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    if (dev && rc != 0) {
        memset(dev, 0, sizeof *dev);
        inet_ntop(AF_INET, &addr->sin_addr, dev->ip, sizeof dev->ip);
        dev->port = port;
    } else if (dev) {
        *dev = d;
    }
    return 0;
}
