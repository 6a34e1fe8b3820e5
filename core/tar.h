/* tar.h - a streaming reader of tar archives in bounded memory (update bundles, svc/bundle.h).
 *
 * Reads the formats `tar` writes on Linux, macOS and BusyBox: POSIX ustar (with its name
 * prefix), pax extended headers (only the "path" record is used; a "size" record that differs
 * from the header is refused) and GNU long names ('L'). Bytes are fed in any split; at most one
 * 512-byte header and one long-name/pax record (TAR_META_MAX) are held. Every header checksum is
 * verified. The caller sees each entry (name, type, size), then its data in pieces, then its
 * end; the archive must close with its two zero blocks. Nothing here touches files. */
#ifndef TAR_H
#define TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAR_NAME_MAX 256  /* longest entry name kept (longer: refused) */
#define TAR_META_MAX 4096 /* largest pax header or GNU long name read */

/* Entry types as tar writes them, normalised: TAR_FILE for '0', '\0' and '7'. Any other
 * typeflag is passed on as its character ('1' hard link, '2' symlink, '3'/'4' devices, '6' FIFO,
 * 'S' sparse ...) for the caller to refuse. */
#define TAR_FILE '0'
#define TAR_DIR  '5'

struct tar_ops {
    /* A new entry: name (NUL-terminated), type, data size. Returns 0, or an ERR_* that stops
     * the archive (tar_feed returns it). */
    int (*entry)(void *arg, const char *name, int type, uint64_t size);
    /* The next n bytes of the entry's data. Returns 0 or an ERR_* that stops the archive. */
    int (*data)(void *arg, const void *p, size_t n);
    /* The entry's data is complete. Returns 0 or an ERR_* that stops the archive. */
    int (*entry_end)(void *arg);
};

struct tar {
    const struct tar_ops *ops;
    void *arg;
    int state;
    unsigned char hdr[512];
    size_t hdr_len;
    uint64_t left;   /* data bytes left in the entry (or the pax/long-name record) */
    size_t pad;      /* padding bytes left after it */
    int meta_type;   /* 'x', 'g', 'L', 'K' while reading such a record, else 0 */
    size_t meta_len; /* bytes of it in meta */
    char meta[TAR_META_MAX];
    char long_name[TAR_NAME_MAX + 1]; /* name for the next entry from pax/'L' ("" = none) */
    int64_t pax_size;                 /* size from a pax record for the next entry, or -1 */
    int zero_blocks;
    char err[160]; /* why tar_feed failed (its own errors) */
};

/* Starts reading an archive; ops is called back with arg. */
void tar_init(struct tar *t, const struct tar_ops *ops, void *arg);
/* Feeds n more bytes. Returns 0 (fed; more may follow), ERR_INVAL (not a valid archive: the
 * reason in t->err) or the ERR_* a callback returned. After an error feed no more. Bytes after
 * the end-of-archive blocks (tar's record padding) are ignored. */
int tar_feed(struct tar *t, const void *p, size_t n);
/* True when the end-of-archive blocks were read. */
bool tar_done(const struct tar *t);

#endif
