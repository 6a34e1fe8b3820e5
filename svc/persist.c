/* persist.c - module state files with failures reported (see persist.h). */
#include "persist.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "node.h"
#include "syslog.h"

#include <stdio.h>

static int path_of(const struct node *node, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/data/%s", node && node->data_dir ? node->data_dir : ".", name);
    return n < 0 || (size_t)n >= cap ? ERR_TOOBIG : 0;
}

static int report(struct node *node, const char *name, int rc)
{
    if (rc >= 0)
        return 0;
    if (node && node->log)
        syslog_write(node->log, "[ERR] persist: cannot write data/%s: %s", name, err_str(rc));
    else
        LOG_E("persist: cannot write data/%s: %s", name, err_str(rc));
    return rc;
}

int persist_write(struct node *node, const char *name, const void *data, size_t len)
{
    char path[600];
    int rc = path_of(node, name, path, sizeof path);
    if (rc == 0)
        rc = hal_fs_write_atomic(path, data, len);
    return report(node, name, rc);
}

int persist_append(struct node *node, const char *name, const void *data, size_t len)
{
    char path[600];
    int rc = path_of(node, name, path, sizeof path);
    if (rc == 0)
        rc = hal_fs_append(path, data, len);
    return report(node, name, rc);
}
