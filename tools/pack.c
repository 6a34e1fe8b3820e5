/* pack.c - host build tool: packs web/ files into a C source implementing net/web_assets.h.
 *
 * Usage: pack OUT.c ROOT FILE...
 *   ROOT   the web folder (source tree web/)
 *   FILE   paths relative to ROOT ("index.html", "img/logo.png"), '/'-separated
 *
 * For each file it writes the bytes, a gzip variant when that is smaller, the content type
 * from the extension (COMPAT §3.1) and a strong ETag (FNV-1a 64 of the bytes). The output is
 * deterministic: the same files give the same C file, byte for byte (the gzip header carries
 * no time stamp and no name). Runs on the build machine only, never on the node. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A packed file may be at most this large: the web UI is small, and the node keeps it in flash. */
#define PACK_FILE_MAX (4u * 1024u * 1024u)

struct pack_file {
    const char *path;
    unsigned char *data;
    size_t size;
    unsigned char *gz;
    size_t gz_size;
};

static const struct {
    const char *ext;
    const char *type;
} s_types[] = {
    {"html", "text/html"},        {"css", "text/css"},      {"js", "application/javascript"},
    {"json", "application/json"}, {"ico", "image/x-icon"},  {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},        {"png", "image/png"},     {"txt", "text/plain"},
    {"gif", "image/gif"},         {"svg", "image/svg+xml"},
};

/* Content type from the file name's extension; text/plain for anything else (COMPAT §3.1). */
static const char *pack_type_get(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot == NULL)
        return "text/plain";
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++) {
        if (strcmp(dot + 1, s_types[i].ext) == 0)
            return s_types[i].type;
    }
    return "text/plain";
}

static uint64_t pack_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Refuses paths the HTTP server would refuse to serve: absolute, "..", backslash, empty. */
static int pack_path_check(const char *path)
{
    if (path[0] == '\0' || path[0] == '/' || strchr(path, '\\') != NULL)
        return -1;
    const char *seg = path;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 2 && seg[0] == '.' && seg[1] == '.') || (len == 1 && seg[0] == '.'))
            return -1;
        if (end == NULL)
            return 0;
        seg = end + 1;
    }
}

static int pack_file_read(const char *root, struct pack_file *f)
{
    size_t n = strlen(root) + 1 + strlen(f->path) + 1;
    char *full = malloc(n);
    if (full == NULL)
        return -1;
    snprintf(full, n, "%s/%s", root, f->path);
    FILE *fp = fopen(full, "rb");
    if (fp == NULL) {
        fprintf(stderr, "pack: cannot open %s\n", full);
        free(full);
        return -1;
    }
    f->data = malloc(PACK_FILE_MAX + 1);
    f->size = f->data ? fread(f->data, 1, PACK_FILE_MAX + 1, fp) : 0;
    int bad = f->data == NULL || ferror(fp) || f->size > PACK_FILE_MAX;
    fclose(fp);
    if (bad)
        fprintf(stderr, "pack: cannot read %s (at most %u bytes)\n", full, PACK_FILE_MAX);
    free(full);
    return bad ? -1 : 0;
}

/* gzip (RFC 1952) of the bytes at the best level; kept only when smaller. */
static int pack_file_gzip(struct pack_file *f)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&zs, (uLong)f->size) + 32;
    f->gz = malloc(cap);
    if (f->gz == NULL) {
        deflateEnd(&zs);
        return -1;
    }
    zs.next_in = f->data;
    zs.avail_in = (uInt)f->size;
    zs.next_out = f->gz;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    f->gz_size = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return -1;
    if (f->gz_size >= f->size) {
        free(f->gz);
        f->gz = NULL;
        f->gz_size = 0;
    }
    return 0;
}

static void pack_bytes_write(FILE *out, const char *name, size_t idx, const unsigned char *p,
                             size_t n)
{
    fprintf(out, "static const unsigned char %s%zu[%zu] = {", name, idx, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%u,", i % 20 == 0 ? "\n    " : "", p[i]);
    if (n == 0)
        fputs("0", out);
    fputs("\n};\n", out);
}

/* Writes a C string literal, escaping what C needs escaped. */
static void pack_str_write(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\%03o", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static int pack_write(FILE *out, struct pack_file *files, size_t n)
{
    fputs("/* web_assets.c - generated by tools/pack from web/. Do not edit. */\n"
          "#include \"net/web_assets.h\"\n\n",
          out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "/* %s */\n", files[i].path);
        pack_bytes_write(out, "s_data", i, files[i].data, files[i].size);
        if (files[i].gz)
            pack_bytes_write(out, "s_gz", i, files[i].gz, files[i].gz_size);
    }
    fputs("\nconst struct web_asset web_assets[] = {\n", out);
    for (size_t i = 0; i < n; i++) {
        const struct pack_file *f = &files[i];
        fputs("    {", out);
        pack_str_write(out, f->path);
        fprintf(out, ", s_data%zu, %zu, ", i, f->size);
        if (f->gz)
            fprintf(out, "s_gz%zu, %zu, ", i, f->gz_size);
        else
            fputs("NULL, 0, ", out);
        fprintf(out, "\"%s\", \"\\\"%016llx\\\"\"},\n", pack_type_get(f->path),
                (unsigned long long)pack_hash(f->data, f->size));
    }
    fputs("    {NULL, NULL, 0, NULL, 0, NULL, NULL},\n};\n", out);
    return ferror(out) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pack OUT.c ROOT FILE...\n");
        return 2;
    }
    size_t n = (size_t)(argc - 3);
    struct pack_file *files = calloc(n ? n : 1, sizeof *files);
    if (files == NULL)
        return 1;
    int rc = 0;
    size_t raw = 0, packed = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        files[i].path = argv[3 + i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(files[j].path, files[i].path) == 0) {
                fprintf(stderr, "pack: %s listed twice\n", files[i].path);
                rc = -1;
            }
        }
        if (rc == 0 && pack_path_check(files[i].path) < 0) {
            fprintf(stderr, "pack: bad path %s\n", files[i].path);
            rc = -1;
        }
        if (rc == 0)
            rc = pack_file_read(argv[2], &files[i]);
        if (rc == 0 && pack_file_gzip(&files[i]) < 0) {
            fprintf(stderr, "pack: gzip failed for %s\n", files[i].path);
            rc = -1;
        }
        raw += files[i].size;
        packed += files[i].gz ? files[i].gz_size : files[i].size;
    }
    if (rc == 0) {
        /* Write to a temporary file and rename, so a failed run leaves no half file behind. */
        size_t tl = strlen(argv[1]) + 5;
        char *tmp = malloc(tl);
        FILE *out = tmp ? (snprintf(tmp, tl, "%s.tmp", argv[1]), fopen(tmp, "w")) : NULL;
        if (out == NULL) {
            fprintf(stderr, "pack: cannot write %s\n", argv[1]);
            rc = -1;
        } else {
            rc = pack_write(out, files, n);
            if (fclose(out) != 0 || rc < 0 || rename(tmp, argv[1]) != 0) {
                fprintf(stderr, "pack: cannot write %s\n", argv[1]);
                remove(tmp);
                rc = -1;
            }
        }
        free(tmp);
    }
    if (rc == 0)
        printf("pack: %zu files, %zu bytes, %zu served gzipped where smaller\n", n, raw, packed);
    for (size_t i = 0; i < n; i++) {
        free(files[i].data);
        free(files[i].gz);
    }
    free(files);
    return rc == 0 ? 0 : 1;
}
