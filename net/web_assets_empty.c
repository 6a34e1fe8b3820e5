/* web_assets_empty.c - an empty asset table, linked when tools/pack is not available
 * (tests of the server alone). The real table is generated into build/gen/web_assets.c. */
#include "web_assets.h"

const struct web_asset web_assets[] = {
    {.path = NULL}, /* the end */
};
