/* shell_frame.h - splitting received shell bytes into command lines (COMPAT Part A 1).
 *
 * A pure function, so that the framing can be tested and fuzzed without sockets:
 * lines end at '\n' (one trailing '\r' is dropped), input without a newline is one
 * line, and blank lines are skipped. */
#ifndef SHELL_FRAME_H
#define SHELL_FRAME_H

#include "../core/str.h"

#include <stddef.h>

enum shell_frame {
    SHELL_FRAME_END = 0,      /* nothing but blank lines left */
    SHELL_FRAME_LINE = 1,     /* *line holds a command line */
    SHELL_FRAME_TOO_LONG = 2, /* *line is longer than max: report it, do not run it */
};

/* Takes the next non-blank line off the front of *rest (advancing it past the line and its
 * newline) and sets *line to a view into the same bytes. Returns an enum shell_frame. */
enum shell_frame shell_frame_next(struct str *rest, struct str *line, size_t max);

#endif
