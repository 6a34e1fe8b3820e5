/* fuzz_shell_frame.c - libFuzzer target: shell input framing (shell_frame_next). Checks that
 * every line is a view inside the input, lines come in order, none holds a newline, and the
 * walk always ends. */
#include "net/shell_frame.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = data[0] % 64 + 1; /* small limits reach the too-long path often */
    char *in = malloc(size - 1 ? size - 1 : 1);
    if (!in)
        return 0;
    memcpy(in, data + 1, size - 1);
    struct str rest = {in, size - 1};
    const char *last_end = in;
    for (size_t steps = 0;; steps++) {
        if (steps > size)
            abort(); /* no progress */
        struct str line;
        enum shell_frame k = shell_frame_next(&rest, &line, max);
        if (k == SHELL_FRAME_END)
            break;
        if (line.p < last_end || line.p + line.len > in + size - 1 || line.len == 0)
            abort();
        if (memchr(line.p, '\n', line.len))
            abort();
        if ((k == SHELL_FRAME_TOO_LONG) != (line.len > max))
            abort();
        if (str_trim(line).len == 0)
            abort();
        last_end = line.p + line.len;
        if (rest.p < last_end)
            abort();
    }
    if (rest.len != 0)
        abort();
    free(in);
    return 0;
}
