/* bundle.h - update bundles: Lua modules and web files in one .tar or .tar.gz, sent with its
 * SHA-256 to POST /update/bundle (docs/files.md "Updating modules and web files: bundles").
 *
 * The upload is checked and unpacked as it streams (core/tar.h, zlib for .tar.gz) into
 * <data>/update/bundle.stage: every entry name is checked (only modules/<name> and web/...,
 * no "..", no absolute path, no links or devices, size limits); a refused bundle or a wrong
 * hash removes the stage and changes nothing. A good one is renamed to bundle.ready and the
 * node restarts; at start (bundle_boot, before any service) the files are moved into place,
 * the replaced ones into bundle.prev. The move is a journal that rolls forward: a node killed
 * at any step completes it at its next start, so after a start it runs the old set or the new
 * one, never a mix. POST /update/bundle/rollback puts the previous files back the same way. */
#ifndef BUNDLE_H
#define BUNDLE_H

#include "endpoint.h"
#include "node.h"

#include <stddef.h>

/* Registers POST /update/bundle and POST /update/bundle/rollback. Returns 0 or ERR_*. */
int bundle_register(struct endpoints *eps, struct node *node);
/* At start, before any service: removes an unfinished upload and applies (or completes
 * applying) an accepted bundle. Blocks (renames, fsync): never on the event loop. */
void bundle_boot(const char *data_dir);
/* Checks one tar entry name of type (TAR_FILE, TAR_DIR or another typeflag). Returns 1 with
 * the normalised path relative to the data folder in out ("web/css/a.css"), 0 for an entry
 * to skip (a folder), or ERR_PERM with the reason in why. */
int bundle_name_check(const char *name, int type, char *out, size_t cap, char *why, size_t wcap);
/* The state of the last bundle: phase ("accepted", "applied", "failed", "" when none) and its
 * result line. */
void bundle_status(const char *data_dir, char *phase, size_t pcap, char *result, size_t rcap);

#endif
