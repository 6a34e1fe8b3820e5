/* bundle_priv.h - what svc/bundle.c (the upload) and svc/bundle_apply.c (the switch at start)
 * share: paths under <data>/update and small file helpers. Not for other modules. */
#ifndef BUNDLE_PRIV_H
#define BUNDLE_PRIV_H

#include "../config.h"
#include "../core/tar.h"

#include <stddef.h>

#define BUNDLE_PATH_CAP     1200
#define BUNDLE_MANIFEST_CAP ((size_t)BUNDLE_FILES_MAX * (TAR_NAME_MAX + 3) + 1)

/* out (BUNDLE_PATH_CAP) = data_dir/a[/b]. Returns 0 or ERR_TOOBIG. */
int bundle__path2(char *out, const char *data_dir, const char *a, const char *b);
/* out (BUNDLE_PATH_CAP) = a/b. Returns 0 or ERR_TOOBIG. */
int bundle__join(char *out, const char *a, const char *b);
/* Creates the folder that will hold path. Returns 0 or ERR_*. */
int bundle__mkdir_parent(const char *path);
/* Removes dir and everything below it (our own staging folders: no links there). */
int bundle__rm_tree(const char *dir, int depth);
/* Writes <data>/update/bundle.state: phase and result (system update shows them). */
void bundle__write_status(const char *data_dir, const char *phase, const char *result);

#endif
