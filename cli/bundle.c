/* bundle.c - microsctl bundle: packs a folder's modules/ and web/ into an update bundle (a POSIX
 * ustar archive, gzipped unless the name ends in .tar), checking every name with the node's own
 * rules (svc/bundle.h) so a bundle that would be refused is refused here first. The same bundle
 * can be made with `tar -czf b.tar.gz -C <folder> modules web` (docs/files.md). */
#include "../core/err.h"
#include "../config.h"
#include "../core/tar.h"
#include "../svc/bundle.h"
#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MICROS_HAVE_ZLIB
#include <zlib.h>
#endif

struct out {
    FILE *f;
#ifdef MICROS_HAVE_ZLIB
    gzFile gz;
#endif
    unsigned files;
    unsigned long long bytes;
    bool is_bad;
};

static int out_write(struct out *o, const void *p, size_t n)
{
#ifdef MICROS_HAVE_ZLIB
    if (o->gz)
        return gzwrite(o->gz, p, (unsigned)n) == (int)n ? 0 : -1;
#endif
    return fwrite(p, 1, n, o->f) == n ? 0 : -1;
}

/* Writes a ustar header for a regular file rel of size bytes. */
static int put_header(struct out *o, const char *rel, unsigned long long size, long long mtime)
{
    unsigned char h[512];
    memset(h, 0, sizeof h);
    size_t len = strlen(rel);
    const char *name = rel;
    size_t plen = 0;
    if (len > 100) { /* split at a '/' into prefix (<= 155) and name (<= 100) */
        const char *cut = NULL;
        for (const char *s = rel; *s; s++)
            if (*s == '/' && (size_t)(s - rel) <= 155 && len - (size_t)(s - rel) - 1 <= 100)
                cut = s;
        if (!cut)
            return -1;
        plen = (size_t)(cut - rel);
        name = cut + 1;
        memcpy(h + 345, rel, plen);
    }
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    char num[32];
    int w = snprintf(num, sizeof num, "%011llo", size);
    if (w != 11)
        return -1; /* 8 GiB or more: far beyond a bundle's limits */
    memcpy(h + 124, num, 12);
    w = snprintf(num, sizeof num, "%011llo", (unsigned long long)(mtime > 0 ? mtime : 0));
    memcpy(h + 136, num, w == 11 ? 12 : 0);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof h; i++)
        sum += h[i];
    w = snprintf(num, sizeof num, "%06o", sum & 0777777u);
    memcpy(h + 148, num, 7);
    h[155] = ' ';
    return out_write(o, h, sizeof h);
}

static int add_file(struct out *o, const char *path, const char *rel, const struct stat *st)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "microsctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = put_header(o, rel, (unsigned long long)st->st_size, (long long)st->st_mtime);
    static char buf[64 * 1024];
    unsigned long long left = (unsigned long long)st->st_size;
    while (rc == 0 && left > 0) {
        size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
        size_t k = fread(buf, 1, want, f);
        if (k == 0) {
            fprintf(stderr, "microsctl: %s: changed while packing\n", path);
            rc = -1;
            break;
        }
        rc = out_write(o, buf, k);
        left -= k;
    }
    fclose(f);
    size_t pad = (size_t)((512 - (unsigned long long)st->st_size % 512) % 512);
    static const char zero[512];
    if (rc == 0 && pad)
        rc = out_write(o, zero, pad);
    if (rc == 0) {
        o->files++;
        o->bytes += (unsigned long long)st->st_size;
        printf("  %s (%llu bytes)\n", rel, (unsigned long long)st->st_size);
    }
    return rc;
}

/* Adds root/rel (a file or a folder, recursively, in name order). */
static int add_tree(struct out *o, const char *root, const char *rel, int depth)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct stat st;
    if (lstat(path, &st) < 0) {
        fprintf(stderr, "microsctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char norm[TAR_NAME_MAX + 1], why[400];
    int type = S_ISREG(st.st_mode)   ? TAR_FILE
               : S_ISDIR(st.st_mode) ? TAR_DIR
               : S_ISLNK(st.st_mode) ? '2'
                                     : '3';
    if (bundle_name_check(rel, type, norm, sizeof norm, why, sizeof why) < 0) {
        fprintf(stderr, "microsctl: bundle: %s (the node would refuse it)\n", why);
        return -1;
    }
    if (type == TAR_FILE)
        return add_file(o, path, norm, &st);
    if (depth > BUNDLE_DEPTH_MAX)
        return -1;
    struct dirent **list;
    int n = scandir(path, &list, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "microsctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        if (rc == 0 && strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", rel, e);
            rc = add_tree(o, root, sub, depth + 1);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

int ctl_bundle(struct ctl_opts *opts, int argc, char **argv)
{
    (void)opts;
    (void)argc;
    const char *root = argv[0], *file = argv[1];
    size_t fl = strlen(file);
    bool plain = fl > 4 && strcmp(file + fl - 4, ".tar") == 0;
#ifndef MICROS_HAVE_ZLIB
    if (!plain) {
        fprintf(stderr, "microsctl: this build has no zlib: name the bundle <x>.tar\n");
        return CTL_EXIT_USAGE;
    }
#endif
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.part", file);
    struct out o = {0};
    o.f = fopen(tmp, "wb");
    if (!o.f) {
        fprintf(stderr, "microsctl: %s: %s\n", tmp, strerror(errno));
        return CTL_EXIT_FAIL;
    }
#ifdef MICROS_HAVE_ZLIB
    if (!plain) {
        o.gz = gzdopen(dup(fileno(o.f)), "wb9");
        if (!o.gz) {
            fclose(o.f);
            remove(tmp);
            return CTL_EXIT_FAIL;
        }
    }
#endif
    int rc = 0, found = 0;
    static const char *const tops[] = {"modules", "web"};
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, tops[i]);
        struct stat st;
        if (lstat(p, &st) < 0)
            continue;
        found++;
        rc = add_tree(&o, root, tops[i], 0);
    }
    static const char end[1024];
    if (rc == 0 && !found) {
        fprintf(stderr, "microsctl: bundle: %s has neither modules/ nor web/\n", root);
        rc = -1;
    }
    if (rc == 0)
        rc = out_write(&o, end, sizeof end);
#ifdef MICROS_HAVE_ZLIB
    if (o.gz && gzclose(o.gz) != Z_OK)
        rc = -1;
#endif
    if (fclose(o.f) != 0)
        rc = -1;
    if (rc == 0 && o.files == 0) {
        fprintf(stderr, "microsctl: bundle: no files under %s/modules or %s/web\n", root, root);
        rc = -1;
    }
    if (rc != 0 || rename(tmp, file) < 0) {
        remove(tmp);
        fprintf(stderr, "microsctl: bundle: %s not written\n", file);
        return CTL_EXIT_FAIL;
    }
    printf("%s: %u files, %llu bytes; send it with: microsctl update <device> %s\n", file, o.files,
           o.bytes, file);
    return CTL_EXIT_OK;
}
