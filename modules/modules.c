/* modules.c - the table of built-in Load Modules, generated from modules.def. */
#include "modules.h"

#define X(name) extern const struct lm_module lm_##name;
#include "modules.def"
#undef X

const struct lm_module *const modules_builtin[] = {
#define X(name) &lm_##name,
#include "modules.def"
#undef X
    NULL,
};

const size_t modules_builtin_count = sizeof modules_builtin / sizeof modules_builtin[0] - 1;
