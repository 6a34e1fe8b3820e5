/* secret.c - masks secret config values in text (see secret.h). */
#include "secret.h"

#include "cfg.h"

#include <string.h>

/* The first occurrence of needle (n bytes) in the NUL-terminated text, or NULL. */
static char *find(char *text, const char *needle, size_t n)
{
    for (char *q = text; *q; q++)
        if (strncmp(q, needle, n) == 0)
            return q;
    return NULL;
}

/* Replaces every occurrence of needle (n >= SECRET_MINLEN bytes) in line with SECRET_MASK. */
static void mask_all(char *line, size_t cap, const char *needle, size_t n)
{
    const size_t m = sizeof SECRET_MASK - 1;
    char *p = line;
    for (char *hit; (hit = find(p, needle, n)) != NULL; p = hit + m) {
        size_t tail = strlen(hit + n);
        if ((size_t)(hit - line) + m + 1 > cap) {
            *hit = '\0'; /* no room for the mask: cut here */
            return;
        }
        size_t room = cap - (size_t)(hit - line) - m - 1; /* bytes left after the mask */
        if (tail > room)
            tail = room; /* cut the end rather than keep the secret */
        memmove(hit + m, hit + n, tail);
        memcpy(hit, SECRET_MASK, m);
        hit[m + tail] = '\0';
    }
}

void secret_redact(const struct cfg *cfg, char *line, size_t cap)
{
    if (!cfg || !cfg->values || !line)
        return;
    for (size_t i = 0; i < cfg_schema_len; i++) {
        const struct cfg_key *k = &cfg_schema[i];
        if (!(k->flags & CFG_SECRET) || k->type != CFG_STR)
            continue;
        const char *v = cfg_get_str(cfg, (enum cfg_key_id)i);
        /* each ';'-separated part (stapwd lists one password per network) */
        while (*v) {
            size_t n = strcspn(v, ";");
            if (n >= SECRET_MINLEN && strcmp(v, "n/a") != 0)
                mask_all(line, cap, v, n);
            v += n;
            if (*v == ';')
                v++;
        }
    }
}
