/* hal_fs.c - hal/hal_fs.h on POSIX: files, atomic replace, folders, usage. */
#include "../../hal/hal_fs.h"

#include "../../core/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define PATH_CAP 1024

static int map_errno(int e)
{
    switch (e) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return ERR_NOSPC;
    case EROFS: return ERR_ROFS;
    case EACCES:
    case EPERM: return ERR_PERM;
    case ENOENT:
    case ENOTDIR: return ERR_NOENT;
    case EEXIST: return ERR_EXIST;
    case ENOMEM: return ERR_NOMEM;
    case ENAMETOOLONG: return ERR_INVAL;
    default: return ERR_IO;
    }
}

/* Writes all of data, retrying on EINTR and short writes. Returns 0 or -errno. */
static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the open file fd into buf (see hal_fs_read) and closes it. */
static long read_fd(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    long rc = 0;
    for (;;) {
        char extra = 0;
        /* Once buf is full, read one more byte to tell "exactly full" from "too big". */
        char *dst = len < cap - 1 ? buf + len : &extra;
        size_t want = len < cap - 1 ? cap - 1 - len : 1;
        ssize_t n = read(fd, dst, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = ERR_IO;
            break;
        }
        if (n == 0)
            break;
        if (dst == &extra) {
            rc = ERR_TOOBIG;
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[rc == 0 ? len : 0] = '\0';
    return rc == 0 ? (long)len : rc;
}

long hal_fs_read(const char *path, char *buf, size_t cap)
{
    if (cap == 0)
        return ERR_TOOBIG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? ERR_NOENT : ERR_IO;
    return read_fd(fd, buf, cap);
}

int hal_fs_open_plain(const char *root, const char *rel, uint64_t *size)
{
    char path[1024];
    int w = snprintf(path, sizeof path, "%s/%s", root, rel);
    if (w < 0 || (size_t)w >= sizeof path)
        return ERR_TOOBIG;
    /* Every folder between root and the file must be a real folder, not a symlink. */
    size_t rlen = strlen(root) + 1;
    for (size_t i = rlen; path[i]; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        struct stat st;
        int rc = lstat(path, &st);
        path[i] = '/';
        if (rc < 0)
            return ERR_NOENT;
        if (!S_ISDIR(st.st_mode))
            return ERR_PERM;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? ERR_NOENT : errno == ELOOP ? ERR_PERM : ERR_IO;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd); /* a FIFO, device or folder: never read (a FIFO would block the loop) */
        return ERR_PERM;
    }
    if (size)
        *size = (uint64_t)st.st_size;
    return fd;
}

long hal_fs_read_plain(const char *root, const char *rel, char *buf, size_t cap)
{
    if (cap == 0)
        return ERR_TOOBIG;
    int fd = hal_fs_open_plain(root, rel, NULL);
    if (fd < 0)
        return fd;
    return read_fd(fd, buf, cap);
}

/* Folder part of path ("." when there is none) into out. */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

static void sync_dir(const char *path)
{
    char dir[PATH_CAP];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    fsync(fd); /* some file systems refuse fsync on folders: nothing more we can do */
    close(fd);
}

/* The codes hal_fs_write_atomic promises: NOSPC, ROFS, PERM, else IO. */
static int atomic_err(int e)
{
    int rc = map_errno(e);
    return rc == ERR_NOSPC || rc == ERR_ROFS || rc == ERR_PERM ? rc : ERR_IO;
}

int hal_fs_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_CAP];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (w < 0 || (size_t)w >= sizeof tmp)
        return ERR_IO;
    /* mkstemp creates the file 0600; a file that already exists keeps its mode. */
    int fd = mkstemp(tmp);
    if (fd < 0)
        return atomic_err(errno);
    struct stat st;
    int e = 0;
    if (stat(path, &st) == 0 && fchmod(fd, st.st_mode & 07777) < 0)
        e = -errno;
    if (e == 0)
        e = write_all(fd, data, len);
    if (e == 0 && fsync(fd) < 0)
        e = -errno;
    if (close(fd) < 0 && e == 0)
        e = -errno;
    if (e == 0 && rename(tmp, path) < 0)
        e = -errno;
    if (e != 0) {
        unlink(tmp);
        return atomic_err(-e);
    }
    sync_dir(path);
    return 0;
}

int hal_fs_append(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return map_errno(errno);
    int e = write_all(fd, data, len);
    if (close(fd) < 0 && e == 0)
        e = -errno;
    return e == 0 ? 0 : map_errno(-e);
}

int hal_fs_rename(const char *from, const char *to)
{
    return rename(from, to) == 0 ? 0 : map_errno(errno);
}

int hal_fs_sync(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : map_errno(errno);
    close(fd);
    return rc;
}

int hal_fs_remove(const char *path)
{
    return unlink(path) == 0 ? 0 : map_errno(errno);
}

int hal_fs_mkdir(const char *path)
{
    char p[PATH_CAP];
    int w = snprintf(p, sizeof p, "%s", path);
    if (w <= 0 || (size_t)w >= sizeof p)
        return ERR_INVAL;
    /* Create each parent in turn; "exists" is fine as long as the last one is a folder. */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return map_errno(errno);
        *s = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return map_errno(errno);
    return S_ISDIR(st.st_mode) ? 0 : ERR_EXIST;
}

bool hal_fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int hal_fs_stat(const char *path, uint64_t *size, uint64_t *stamp)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return map_errno(errno);
    if (!S_ISREG(st.st_mode))
        return ERR_NOENT;
    *size = (uint64_t)st.st_size;
    *stamp = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    /* the inode too: a file replaced by rename within one mtime tick is still seen as new */
    *stamp ^= (uint64_t)st.st_ino << 32;
    return 0;
}

int hal_fs_list(const char *dir, hal_fs_list_fn *fn, void *arg)
{
    DIR *d = opendir(dir);
    if (!d)
        return map_errno(errno);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        bool is_dir = false;
#ifdef DT_DIR
        if (de->d_type == DT_DIR)
            is_dir = true;
        else if (de->d_type == DT_UNKNOWN)
#endif
        {
            char full[PATH_CAP];
            struct stat st;
            snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
            is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (fn)
            fn(de->d_name, is_dir, arg);
        count++;
    }
    closedir(d);
    return count;
}

int hal_fs_usage(const char *path, uint64_t *total, uint64_t *used)
{
    struct statvfs vfs;
    if (statvfs(path, &vfs) < 0)
        return map_errno(errno);
    uint64_t unit = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
    *total = (uint64_t)vfs.f_blocks * unit;
    *used = (uint64_t)(vfs.f_blocks - vfs.f_bfree) * unit;
    return 0;
}

int hal_fs_create(const char *path, bool is_exec)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, is_exec ? 0755 : 0644);
    return fd >= 0 ? fd : map_errno(errno);
}

int hal_fs_open_read(const char *path, uint64_t *size)
{
    /* non-blocking open: a FIFO must not stall the loop (it is refused below) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = map_errno(errno);
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ERR_INVAL;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

int hal_fs_write(int h, const void *data, size_t len)
{
    int rc = write_all(h, data, len);
    return rc == 0 ? 0 : map_errno(-rc);
}

long hal_fs_read_some(int h, void *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(h, buf, cap);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return ERR_IO;
    }
}

int hal_fs_close(int h)
{
    return close(h) == 0 ? 0 : map_errno(errno);
}

int hal_fs_info(const char *path, uint64_t *size, int64_t *mtime, bool *is_dir)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return map_errno(errno);
    if (size)
        *size = (uint64_t)st.st_size;
    if (mtime)
        *mtime = (int64_t)st.st_mtime;
    if (is_dir)
        *is_dir = S_ISDIR(st.st_mode);
    return 0;
}

int hal_fs_rmdir(const char *path)
{
    if (rmdir(path) == 0)
        return 0;
    return errno == ENOTEMPTY ? ERR_EXIST : map_errno(errno);
}
