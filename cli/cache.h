/* cache.h - the device cache, in micrOS devToolKit's device_conn_cache.json format (COMPAT §11):
 * one JSON object, uid -> [ip, port, fuid], written with Python's json.dump(indent=4) layout so
 * both tools can share a file. Entries this tool does not understand are kept as they are.
 * Location: $MICROS_CTL_CACHE, else $XDG_CONFIG_HOME/microsctl/device_conn_cache.json, else
 * ~/.config/microsctl/device_conn_cache.json. */
#ifndef CACHE_H
#define CACHE_H

#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stddef.h>

struct cache_dev {
    char uid[96];
    char ip[64];
    unsigned port;
    char fuid[128];
};

struct cache {
    char path[1024];
    cJSON *root; /* owned */
};

/* Writes the cache file path into out (see above). Returns 0 or ERR_INVAL (no home folder). */
int cache_path_default(char *out, size_t cap);
/* Writes the folder of the cache file (the tool's config folder) into out. */
void cache_dir(const struct cache *c, char *out, size_t cap);
/* Loads path (a missing file is an empty cache). Returns 0, ERR_SYNTAX (not a JSON object) or
 * ERR_NOMEM. */
int cache_load(struct cache *c, const char *path);
/* Writes the cache atomically (temp file + rename), creating its folder. Returns 0 or ERR_IO. */
int cache_save(const struct cache *c);
/* Frees the cache. */
void cache_free(struct cache *c);
/* Adds or replaces uid -> [ip, port, fuid]. Returns 0 or ERR_NOMEM. */
int cache_put(struct cache *c, const char *uid, const char *ip, unsigned port, const char *fuid);
/* Returns the number of entries. */
size_t cache_count(const struct cache *c);
/* Reads entry i. Returns 0, or ERR_SYNTAX when it is not [ip, port, fuid]. */
int cache_get(const struct cache *c, size_t i, struct cache_dev *out);
/* Finds a device by uid, fuid, ip or ip:port. Returns 0, ERR_NOENT, or ERR_EXIST when a fuid or
 * ip names several devices (msg says which). */
int cache_find(const struct cache *c, const char *name, struct cache_dev *out, char *msg,
               size_t msgcap);
/* Resolves a device name to an address: the cache first, then an IPv4 address (with :port, else
 * def_port), then a host name. dev (may be NULL) receives the cache entry or a synthetic one.
 * Returns 0 or ERR_* with a message in msg. */
int cache_resolve(const struct cache *c, const char *name, unsigned def_port,
                  struct sockaddr_in *addr, struct cache_dev *dev, char *msg, size_t msgcap);

#endif
