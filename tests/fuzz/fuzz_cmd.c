/* fuzz_cmd.c - libFuzzer target: the command-line parser (cmd_parse, cmd_parse_args) on any
 * bytes, with the parsed arguments rendered back as Python repr and JSON. */
#include "core/arena.h"
#include "core/buf.h"
#include "svc/cmd.h"
#include "svc/render.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char s_mem[64 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy, so reads past the end are caught by ASan */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    struct cmd c;
    if (cmd_parse((struct str){line, size}, &c) == 0) {
        struct arena a;
        arena_init(&a, s_mem, sizeof s_mem);
        struct cmd_arg args[CMD_MAX_ARGS];
        char err[128];
        int n = cmd_parse_args(&c, &a, args, CMD_MAX_ARGS, err, sizeof err);
        if (n > CMD_MAX_ARGS)
            abort();
        struct buf out;
        buf_init(&out, 256 * 1024);
        for (int i = 0; i < n; i++) {
            if (!args[i].v)
                abort();
            buf_clear(&out);
            render_repr(&out, args[i].v);
            buf_clear(&out);
            render_json(&out, args[i].v);
        }
        buf_free(&out);
        for (size_t i = 0; i < c.ntok; i++) {
            arena_reset(&a);
            cmd_parse_literal(c.tok[i], &a, err, sizeof err);
        }
    }
    free(line);
    return 0;
}
