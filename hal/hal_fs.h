/* hal_fs.h - files. Paths are plain strings; the node builds them under its data folder.
 *
 * fsync policy: hal_fs_write_atomic is the only durable write — when it returns 0 the content
 * has been fsynced and renamed into place and the folder fsynced (two fsyncs; tens of ms on an
 * SD card). It blocks, so nothing calls it per request: the config writes it for a "Saved"
 * value (rare, a person's action), module state goes through svc/persist.c (write-behind,
 * coalesced), the syslog when it trims a full log. hal_fs_append does not fsync (logs: the newest
 * lines may be lost on a power cut, never the file). */
#ifndef HAL_FS_H
#define HAL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads the whole file into buf (cap bytes, NUL-terminated: at most cap-1 bytes of data).
 * Returns the length, ERR_NOENT, ERR_TOOBIG (file larger than cap-1) or ERR_IO. */
long hal_fs_read(const char *path, char *buf, size_t cap);
/* Like hal_fs_read for root/rel, but only a regular file whose folders below root are real
 * folders: a symlink (file or folder), FIFO or device gives ERR_PERM (web/ static files). */
long hal_fs_read_plain(const char *root, const char *rel, char *buf, size_t cap);
/* Opens root/rel for reading under the same rules as hal_fs_read_plain (*size, when not NULL,
 * gets its length). Returns a handle >= 0 (hal_fs_close it), ERR_NOENT, ERR_PERM or ERR_*. */
int hal_fs_open_plain(const char *root, const char *rel, uint64_t *size);
/* Replaces path atomically: temp file in the same folder, fsync, rename, fsync folder.
 * Returns 0, ERR_NOSPC, ERR_ROFS, ERR_PERM or ERR_IO; path is unchanged on failure. */
int hal_fs_write_atomic(const char *path, const void *data, size_t len);
/* Appends len bytes to path (created if missing). Returns 0 or ERR_*. */
int hal_fs_append(const char *path, const void *data, size_t len);
/* Renames from to to (replacing to). Returns 0 or ERR_*. */
int hal_fs_rename(const char *from, const char *to);
/* Removes a file. Returns 0, ERR_NOENT or ERR_*. */
int hal_fs_remove(const char *path);
/* Creates a folder (and its parents); an existing folder is fine. Returns 0 or ERR_*. */
int hal_fs_mkdir(const char *path);
/* Returns true when path exists. */
bool hal_fs_exists(const char *path);
/* Size and change stamp of a file: *stamp changes whenever the file is replaced or written
 * (modification time in ns on Linux). Returns 0, ERR_NOENT or ERR_*. */
int hal_fs_stat(const char *path, uint64_t *size, uint64_t *stamp);
/* Calls fn for each entry name of folder dir (not . or ..), in directory order.
 * Returns the number of entries, or ERR_*. */
typedef void hal_fs_list_fn(const char *name, bool is_dir, void *arg);
int hal_fs_list(const char *dir, hal_fs_list_fn *fn, void *arg);
/* Size of the file system holding path: total and used bytes. Returns 0 or ERR_*. */
int hal_fs_usage(const char *path, uint64_t *total, uint64_t *used);

/* --- streaming: files too big to hold in memory (uploads, downloads, updates) --- */

/* Creates path for writing (mode 0644, or 0755 when is_exec; fails with ERR_EXIST when it
 * exists). Returns a handle >= 0 or ERR_*. */
int hal_fs_create(const char *path, bool is_exec);
/* Opens path for reading; *size gets its length. Returns a handle >= 0, ERR_NOENT, ERR_INVAL
 * (a folder, FIFO or device: only regular files) or ERR_*. */
int hal_fs_open_read(const char *path, uint64_t *size);
/* Writes all len bytes. Returns 0, ERR_NOSPC or ERR_IO. */
int hal_fs_write(int h, const void *data, size_t len);
/* Reads up to cap bytes. Returns the count (0 at the end) or ERR_IO. */
long hal_fs_read_some(int h, void *buf, size_t cap);
/* Closes a handle from hal_fs_create/hal_fs_open_read. Returns 0 or ERR_IO (a write lost). */
int hal_fs_close(int h);
/* Size, modification time (Unix seconds) and kind of path (any of the pointers may be NULL).
 * Returns 0 or ERR_NOENT/ERR_*. */
int hal_fs_info(const char *path, uint64_t *size, int64_t *mtime, bool *is_dir);
/* Removes an empty folder. Returns 0, ERR_NOENT, ERR_EXIST (not empty) or ERR_*. */
int hal_fs_rmdir(const char *path);
/* Makes a file's content (or a folder's entries) durable: fsync. Blocks: only for start-up
 * work outside the event loop (an update bundle applied at start). Returns 0 or ERR_*. */
int hal_fs_sync(const char *path);

#endif
