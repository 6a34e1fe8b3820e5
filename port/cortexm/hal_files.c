/* hal_files.c - Cortex-M port: what the file server and self-update need from the HAL
 * (hal/hal_fs.h streaming, hal/hal_update.h). Not yet on this port: the RAM file system holds
 * a few small files, so streamed files and updates answer ERR_NOTSUP ("not supported"). */
#include "../../core/err.h"
#include "../../hal/hal_fs.h"
#include "../../hal/hal_update.h"

#include <stdio.h>

int hal_fs_open_plain(const char *root, const char *rel, uint64_t *size)
{
    (void)root;
    (void)rel;
    (void)size;
    return ERR_NOTSUP;
}

int hal_fs_create(const char *path, bool is_exec)
{
    (void)path;
    (void)is_exec;
    return ERR_NOTSUP;
}

int hal_fs_open_read(const char *path, uint64_t *size)
{
    (void)path;
    (void)size;
    return ERR_NOTSUP;
}

int hal_fs_write(int h, const void *data, size_t len)
{
    (void)h;
    (void)data;
    (void)len;
    return ERR_NOTSUP;
}

long hal_fs_read_some(int h, void *buf, size_t cap)
{
    (void)h;
    (void)buf;
    (void)cap;
    return ERR_NOTSUP;
}

int hal_fs_close(int h)
{
    (void)h;
    return 0;
}

int hal_fs_info(const char *path, uint64_t *size, int64_t *mtime, bool *is_dir)
{
    uint64_t n = 0, stamp = 0;
    int rc = hal_fs_stat(path, &n, &stamp);
    if (rc < 0 && !hal_fs_exists(path))
        return rc;
    if (size)
        *size = rc < 0 ? 0 : n;
    if (mtime)
        *mtime = 0; /* no clock behind the RAM file system */
    if (is_dir)
        *is_dir = rc < 0; /* exists, but no file: a folder entry */
    return 0;
}

int hal_fs_rmdir(const char *path)
{
    return hal_fs_remove(path);
}

int hal_fs_sync(const char *path)
{
    (void)path;
    return 0; /* RAM file system: nothing to make durable */
}

void hal_update_set_argv(int argc, char **argv)
{
    (void)argc;
    (void)argv;
}

int hal_update_self(char *out, size_t cap)
{
    (void)out;
    (void)cap;
    return ERR_NOTSUP;
}

int hal_update_allowed(char *why, size_t cap)
{
    if (why && cap)
        snprintf(why, cap, "self-update is not supported on this port");
    return ERR_NOTSUP;
}

int hal_update_switch(const char *new_path, const char *state_path, uint32_t deadline_ms,
                      hal_update_rollback_fn *on_rollback)
{
    (void)new_path;
    (void)state_path;
    (void)deadline_ms;
    (void)on_rollback;
    return ERR_NOTSUP;
}

int hal_update_restore_and_exec(void)
{
    return ERR_NOTSUP;
}

bool hal_update_is_trial(void)
{
    return false;
}
