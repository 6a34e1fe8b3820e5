/* lm_gameOfLife.c - Load Module `gameOfLife`: Conway's Game of Life on a w x h board without
 * wrap-around (micrOS LM_gameOfLife): a Copperhead spaceship, a five-cell blinker and a glider
 * on the default 32x16 board. next_gen returns the board ('.' dead, '●' alive) or
 * 'GoL No changes' when it is stable. */
#include "../core/err.h"
#include "../svc/lm.h"

#include <string.h>

#define GOL_MAX_W 64
#define GOL_MAX_H 64

static struct {
    bool is_ready;
    int w, h;
    uint8_t cell[GOL_MAX_H][GOL_MAX_W];
    uint8_t next[GOL_MAX_H][GOL_MAX_W];
} s_gol;

/* Places rows of cells (strings of '0'/'1') with their top-left corner at x, y. */
static void add_cells(int x, int y, const char *const *rows, int n)
{
    for (int r = 0; r < n; r++)
        for (int c = 0; rows[r][c]; c++)
            if (y + r < s_gol.h && x + c < s_gol.w)
                s_gol.cell[y + r][x + c] = rows[r][c] == '1';
}

static void init_conf(void)
{
    static const char *const copperhead[] = {"0000010110000", "0000100000010", "0001100010010",
                                             "1101000001100", "1101000001100", "0001100010010",
                                             "0000100000010", "0000010110000"};
    static const char *const blinker[] = {"11111"};
    static const char *const glider[] = {"010", "001", "111"};
    memset(s_gol.cell, 0, sizeof s_gol.cell);
    add_cells(1, 4, copperhead, 8);
    add_cells(25, 5, blinker, 1);
    add_cells(16, 5, glider, 3);
}

static int load_board(struct lm_ctx *ctx, int64_t w, int64_t h)
{
    if (w < 1 || w > GOL_MAX_W || h < 1 || h > GOL_MAX_H)
        return lm_error(ctx, "board must be 1-%d x 1-%d", GOL_MAX_W, GOL_MAX_H);
    s_gol.w = (int)w;
    s_gol.h = (int)h;
    init_conf();
    s_gol.is_ready = true;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    if (!lm_is_none(ctx, "custom"))
        return lm_error(ctx, "custom start patterns are not supported; use the default");
    if (s_gol.is_ready)
        return lm_ret_strf(ctx, "Game of Life was already inited: X:%dY:%d", s_gol.w, s_gol.h);
    int64_t w = lm_int(ctx, "w"), h = lm_int(ctx, "h");
    if (load_board(ctx, w, h) < 0)
        return ERR_INVAL;
    return lm_ret_strf(ctx, "Init Game of Life: X:%lldY:%lld", (long long)w, (long long)h);
}

static int neighbours(int x, int y)
{
    int n = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int cx = x + dx, cy = y + dy;
            if ((dx || dy) && cx >= 0 && cy >= 0 && cx < s_gol.w && cy < s_gol.h)
                n += s_gol.cell[cy][cx];
        }
    return n;
}

/* One generation; returns false when nothing changed. */
static bool step(void)
{
    bool changed = false;
    for (int y = 0; y < s_gol.h; y++)
        for (int x = 0; x < s_gol.w; x++) {
            int n = neighbours(x, y);
            uint8_t alive = s_gol.cell[y][x] ? (n == 2 || n == 3) : n == 3;
            s_gol.next[y][x] = alive;
            changed |= alive != s_gol.cell[y][x];
        }
    if (changed)
        memcpy(s_gol.cell, s_gol.next, sizeof s_gol.cell);
    return changed;
}

static int fn_next_gen(struct lm_ctx *ctx)
{
    if (!s_gol.is_ready && load_board(ctx, lm_int(ctx, "w"), lm_int(ctx, "h")) < 0)
        return ERR_INVAL;
    bool changed = step();
    if (lm_bool(ctx, "raw")) {
        if (!changed)
            return lm_ret(ctx, val_none(ctx->arena));
        struct val *m = val_list(ctx->arena);
        for (int y = 0; y < s_gol.h; y++) {
            struct val *row = val_list(ctx->arena);
            for (int x = 0; x < s_gol.w; x++)
                val_append(row, val_int(ctx->arena, s_gol.cell[y][x]));
            val_append(m, row);
        }
        return lm_ret(ctx, m);
    }
    if (!changed)
        return lm_ret_str(ctx, "GoL No changes");
    /* '●' is 3 bytes in UTF-8: a cell takes at most 4 bytes with its separator. */
    size_t cap = (size_t)s_gol.h * ((size_t)s_gol.w * 4 + 1) + 1, n = 0;
    char *out = arena_alloc(ctx->arena, cap);
    if (!out)
        return lm_error(ctx, "memory allocation failed");
    for (int y = 0; y < s_gol.h; y++) {
        for (int x = 0; x < s_gol.w; x++) {
            const char *c = s_gol.cell[y][x] ? "\xe2\x97\x8f" : ".";
            size_t l = strlen(c);
            memcpy(out + n, c, l);
            n += l;
            if (x + 1 < s_gol.w)
                out[n++] = ' ';
        }
        if (y + 1 < s_gol.h)
            out[n++] = '\n';
    }
    out[n] = '\0';
    return lm_ret_str(ctx, out);
}

static int fn_reset(struct lm_ctx *ctx)
{
    if (!s_gol.is_ready)
        return lm_ret_str(ctx, "GoL skip reset");
    init_conf();
    return lm_ret_str(ctx, "GoL reset");
}

static const struct lm_func s_funcs[] = {
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"w", LM_INT, "32", NULL}, {"h", LM_INT, "16", NULL},
                         {"custom", LM_ANY, "None", NULL})},
    {.name = "next_gen",
     .fn = fn_next_gen,
     .params = LM_PARAMS({"raw", LM_BOOL, "False", NULL}, {"w", LM_INT, "32", NULL},
                         {"h", LM_INT, "16", NULL})},
    {.name = "reset", .fn = fn_reset},
    {.name = NULL},
};

const struct lm_module lm_gameOfLife = {.name = "gameOfLife", .funcs = s_funcs};
