/* secret.h - keeps secret config values (CFG_SECRET keys: appwd, stapwd) out of text.
 *
 * app/ installs secret_redact as the console log's filter (core/log.h), so every console
 * line and every syslog line (svc/syslog.c) is passed through it before it is written. */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

struct cfg;

#define SECRET_MASK   "***" /* what a secret value is replaced with */
#define SECRET_MINLEN 3     /* shorter values are not searched for (they would mask words) */

/* Replaces, in the NUL-terminated line (cap bytes), every occurrence of the value of a
 * CFG_SECRET key of cfg (each ';'-separated part of it) with SECRET_MASK. */
void secret_redact(const struct cfg *cfg, char *line, size_t cap);

#endif
