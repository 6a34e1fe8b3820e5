/* shell_frame.c - shell line framing. */
#include "shell_frame.h"

#include <string.h>

enum shell_frame shell_frame_next(struct str *rest, struct str *line, size_t max)
{
    while (rest->len > 0) {
        const char *nl = memchr(rest->p, '\n', rest->len);
        size_t end = nl ? (size_t)(nl - rest->p) : rest->len;
        struct str l = {rest->p, end};
        *rest = str_from(*rest, nl ? end + 1 : end);
        if (l.len > 0 && l.p[l.len - 1] == '\r')
            l.len--;
        if (str_trim(l).len == 0)
            continue;
        *line = l;
        return l.len > max ? SHELL_FRAME_TOO_LONG : SHELL_FRAME_LINE;
    }
    *line = (struct str){rest->p, 0};
    return SHELL_FRAME_END;
}
