/* hal_fs.c - Cortex-M port: a fixed-size RAM file system.
 *
 * CORTEXM_FS_FILES entries of at most CORTEXM_FS_FILE_MAX bytes each, in .bss: enough for
 * node_config.json and a short log. Contents are lost at reset (no flash driver yet). Folders
 * are entries of their own; a path is a plain string key. */
#include "../../core/err.h"
#include "../../hal/hal_fs.h"

#include <stdio.h>
#include <string.h>

#ifndef CORTEXM_FS_FILES
#define CORTEXM_FS_FILES 16
#endif
#ifndef CORTEXM_FS_FILE_MAX
#define CORTEXM_FS_FILE_MAX 4096
#endif
#define PATH_MAX_LEN 96

struct ramfile {
    bool is_used;
    bool is_dir;
    char path[PATH_MAX_LEN];
    size_t len;
    uint64_t stamp; /* write counter value of the last change */
    char data[CORTEXM_FS_FILE_MAX];
};

static struct ramfile s_files[CORTEXM_FS_FILES];
static uint64_t s_writes; /* change stamps for hal_fs_stat */

static struct ramfile *find(const char *path)
{
    for (size_t i = 0; i < CORTEXM_FS_FILES; i++)
        if (s_files[i].is_used && strcmp(s_files[i].path, path) == 0)
            return &s_files[i];
    return NULL;
}

static struct ramfile *create(const char *path, bool is_dir)
{
    if (strlen(path) >= PATH_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < CORTEXM_FS_FILES; i++) {
        struct ramfile *f = &s_files[i];
        if (!f->is_used) {
            f->is_used = true;
            f->is_dir = is_dir;
            f->len = 0;
            strcpy(f->path, path);
            return f;
        }
    }
    return NULL;
}

long hal_fs_read(const char *path, char *buf, size_t cap)
{
    struct ramfile *f = find(path);
    if (!f || f->is_dir)
        return ERR_NOENT;
    if (cap == 0 || f->len > cap - 1)
        return ERR_TOOBIG;
    memcpy(buf, f->data, f->len);
    buf[f->len] = '\0';
    return (long)f->len;
}

int hal_fs_write_atomic(const char *path, const void *data, size_t len)
{
    if (len > CORTEXM_FS_FILE_MAX)
        return ERR_NOSPC;
    struct ramfile *f = find(path);
    if (f && f->is_dir)
        return ERR_IO;
    if (!f && !(f = create(path, false)))
        return ERR_NOSPC;
    memcpy(f->data, data, len); /* one step with no yield in between: atomic for the loop */
    f->len = len;
    f->stamp = ++s_writes;
    return 0;
}

int hal_fs_append(const char *path, const void *data, size_t len)
{
    struct ramfile *f = find(path);
    if (f && f->is_dir)
        return ERR_IO;
    if (!f && !(f = create(path, false)))
        return ERR_NOSPC;
    if (len > CORTEXM_FS_FILE_MAX - f->len)
        return ERR_NOSPC;
    memcpy(f->data + f->len, data, len);
    f->len += len;
    f->stamp = ++s_writes;
    return 0;
}

int hal_fs_rename(const char *from, const char *to)
{
    struct ramfile *f = find(from);
    if (!f)
        return ERR_NOENT;
    if (strlen(to) >= PATH_MAX_LEN)
        return ERR_INVAL;
    struct ramfile *old = find(to);
    if (old && old != f)
        old->is_used = false;
    strcpy(f->path, to);
    return 0;
}

int hal_fs_remove(const char *path)
{
    struct ramfile *f = find(path);
    if (!f || f->is_dir)
        return ERR_NOENT;
    f->is_used = false;
    return 0;
}

int hal_fs_mkdir(const char *path)
{
    struct ramfile *f = find(path);
    if (f)
        return f->is_dir ? 0 : ERR_IO;
    return create(path, true) ? 0 : ERR_NOSPC;
}

long hal_fs_read_plain(const char *root, const char *rel, char *buf, size_t cap)
{
    char path[256];
    int w = snprintf(path, sizeof path, "%s/%s", root, rel);
    if (w < 0 || (size_t)w >= sizeof path)
        return ERR_TOOBIG;
    return hal_fs_read(path, buf, cap); /* the RAM file system has no links or FIFOs */
}

bool hal_fs_exists(const char *path)
{
    return find(path) != NULL;
}

int hal_fs_list(const char *dir, hal_fs_list_fn *fn, void *arg)
{
    size_t dlen = strlen(dir);
    int n = 0;
    for (size_t i = 0; i < CORTEXM_FS_FILES; i++) {
        const struct ramfile *f = &s_files[i];
        if (!f->is_used || strncmp(f->path, dir, dlen) != 0 || f->path[dlen] != '/')
            continue;
        const char *name = f->path + dlen + 1;
        if (*name && !strchr(name, '/')) {
            fn(name, f->is_dir, arg);
            n++;
        }
    }
    return n;
}

int hal_fs_usage(const char *path, uint64_t *total, uint64_t *used)
{
    (void)path;
    uint64_t u = 0;
    for (size_t i = 0; i < CORTEXM_FS_FILES; i++)
        if (s_files[i].is_used)
            u += s_files[i].len;
    *total = (uint64_t)CORTEXM_FS_FILES * CORTEXM_FS_FILE_MAX;
    *used = u;
    return 0;
}

int hal_fs_stat(const char *path, uint64_t *size, uint64_t *stamp)
{
    const struct ramfile *f = find(path);
    if (!f || f->is_dir)
        return ERR_NOENT;
    *size = f->len;
    *stamp = f->stamp;
    return 0;
}
