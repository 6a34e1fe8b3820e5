/* modules.h - the built-in Load Modules (listed once, in modules.def). */
#ifndef MODULES_H
#define MODULES_H

#include "../svc/lm.h"

/* NULL-terminated list of the built-in modules, in modules.def order. */
extern const struct lm_module *const modules_builtin[];
/* Number of entries in modules_builtin, without the NULL. */
extern const size_t modules_builtin_count;

#endif
