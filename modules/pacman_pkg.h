/* pacman_pkg.h - pacman's package installer (modules/pacman_pkg.c). */
#ifndef PACMAN_PKG_H
#define PACMAN_PKG_H

#include "../svc/node.h"

#include <stddef.h>

/* Starts installing the package.json at ref (http:// or https://; a folder URL means its
 * package.json). Returns 0 (msg: "Installing ... started") or ERR_* (msg says why). */
int pacman_pkg_install(struct node *node, const char *ref, char *msg, size_t cap);
/* Removes the files an install of name wrote, and its record. Returns 0 or ERR_*. */
int pacman_pkg_uninstall(struct node *node, const char *name, char *msg, size_t cap);
/* The URL name was installed from. Returns 0 or ERR_NOENT. */
int pacman_pkg_ref(struct node *node, const char *name, char *ref, size_t cap);

#endif
