/* multipart.h - an incremental multipart/form-data parser (RFC 7578, RFC 2046 §5.1).
 *
 * Bytes are fed in whatever pieces the network delivers; a boundary, a part header or its
 * CRLF may be split anywhere. Nothing is buffered except one header line (at most
 * MP_LINE_MAX) and the few bytes of a possible boundary: part data is handed to the caller
 * as it arrives, so an upload of any size needs constant memory.
 *
 *     struct mp m;
 *     mp_init(&m, boundary, &callbacks, ctx);          (boundary from the content-type)
 *     r = mp_feed(&m, p, n);                            (for each piece)
 *
 * mp_feed returns, picohttpparser style: 1 when the closing boundary was seen (*rest bytes
 * after it are ignored), 0 when it needs more input, -1 on malformed input or a refused
 * part (m.err says why), -2 when a callback stopped it (its own reply). */
#ifndef MULTIPART_H
#define MULTIPART_H

#include "../core/str.h"

#include <stdbool.h>
#include <stddef.h>

#define MP_BOUNDARY_MAX 70 /* RFC 2046 */
#define MP_LINE_MAX     1024
#define MP_NAME_MAX     256

/* One part's headers, as far as form-data needs them. */
struct mp_part {
    char name[MP_NAME_MAX];     /* the form field name */
    char filename[MP_NAME_MAX]; /* filename="..." (may be empty: a plain field) */
    bool has_filename;
    bool has_ext_filename; /* filename*=... (percent-encoded; refused by the file server) */
    char content_type[128];
};

/* Callbacks return 0 to go on, or nonzero to stop mp_feed (it returns -2). */
struct mp_callbacks {
    int (*part_begin)(void *ctx, const struct mp_part *part);
    int (*part_data)(void *ctx, const char *p, size_t n);
    int (*part_end)(void *ctx);
};

enum mp_state {
    MP_PREAMBLE, /* before the first boundary */
    MP_AFTER_DELIM,
    MP_AFTER_DELIM_DASH,
    MP_AFTER_DELIM_CR,
    MP_HEADERS,
    MP_DATA,
    MP_EPILOGUE,
    MP_ERROR,
};

struct mp {
    char delim[MP_BOUNDARY_MAX + 5]; /* "\r\n--" boundary */
    size_t dlen;
    size_t match; /* bytes of delim matched so far */
    enum mp_state state;
    struct mp_part part;
    char line[MP_LINE_MAX];
    size_t line_len;
    size_t nheaders; /* header lines of this part */
    size_t parts;    /* parts begun */
    const struct mp_callbacks *cb;
    void *ctx;
    const char *err;
};

/* Finds the boundary parameter in a content-type value ("multipart/form-data; boundary=x").
 * Returns it (quotes removed) or a view with p NULL when the type is not multipart/form-data
 * or the boundary is missing or invalid (1-70 characters, none of CR, LF or NUL). */
struct str mp_boundary(struct str content_type);
/* Starts a parser for boundary (from mp_boundary). Returns false when it is invalid. */
bool mp_init(struct mp *m, struct str boundary, const struct mp_callbacks *cb, void *ctx);
/* Feeds n bytes. Returns 1 (complete), 0 (more input needed), -1 (malformed: m->err) or -2
 * (stopped by a callback). After 1, -1 or -2 further input is refused (same result). */
int mp_feed(struct mp *m, const char *p, size_t n);

#endif
