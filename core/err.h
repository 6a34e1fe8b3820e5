/* err.h - the one project-wide list of error codes.
 *
 * Every function that can fail returns 0 on success or a negative ERR_* code.
 * Constructors that fail return NULL. errno is mapped to these codes only in
 * port/. */
#ifndef ERR_H
#define ERR_H

#define ERR_LIST(X)                                                                                \
    X(OK, 0, "ok")                                                                                 \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(NOENT, -3, "not found")                                                                      \
    X(EXIST, -4, "already exists")                                                                 \
    X(FULL, -5, "limit reached")                                                                   \
    X(IO, -6, "input/output error")                                                                \
    X(AGAIN, -7, "try again")                                                                      \
    X(CLOSED, -8, "connection closed")                                                             \
    X(TIMEOUT, -9, "timed out")                                                                    \
    X(RANGE, -10, "value out of range")                                                            \
    X(PERM, -11, "permission denied")                                                              \
    X(BUSY, -12, "busy")                                                                           \
    X(NOSPC, -13, "no space left")                                                                 \
    X(ADDRINUSE, -14, "address already in use")                                                    \
    X(CONNREFUSED, -15, "connection refused")                                                      \
    X(NOHOST, -16, "host not found")                                                               \
    X(TOOBIG, -17, "too large")                                                                    \
    X(SYNTAX, -18, "syntax error")                                                                 \
    X(ROFS, -19, "read-only file system")                                                          \
    X(NOTSUP, -20, "not supported")

enum err {
#define ERR_ENUM(name, code, text) ERR_##name = code,
    ERR_LIST(ERR_ENUM)
#undef ERR_ENUM
};

/* Returns a short static English text for an ERR_* code ("unknown error" for others). */
const char *err_str(int code);

#endif
