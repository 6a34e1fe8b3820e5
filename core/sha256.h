/* sha256.h - SHA-256 (FIPS 180-4), incremental: for checking uploads (self-update) as they
 * stream, without holding them. */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
};

/* Starts a hash. */
void sha256_init(struct sha256 *s);
/* Adds n bytes. */
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Finishes: writes the 32-byte digest. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Writes the digest as 64 lowercase hex characters and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
