#include "err.h"

const char *err_str(int code)
{
    switch (code) {
#define ERR_CASE(name, num, text)                                                                  \
    case num: return text;
        ERR_LIST(ERR_CASE)
#undef ERR_CASE
    }
    return "unknown error";
}
