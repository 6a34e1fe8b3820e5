/* cmd.h - the command-line parser: one grammar for every entry point.
 *
 *   <module> <function> [args...] [>json] [>>host] [&[ms] | &&[ms]]
 *
 * cmd_parse splits a line into tokens (whitespace separates, except inside
 * '...' or "..." quotes, which stay part of the token) and takes the postfixes
 * off the end in micrOS's order (COMPAT §2.1): the task postfix (only when
 * there are more than 2 tokens and the last contains '&'), then >json, then
 * >>host. Tokens are views into the caller's line, which must outlive the cmd.
 *
 * cmd_parse_args turns tokens 2.. into literal values (COMPAT Part A 2):
 * ints (10, -5, 0x1f), floats (1.5, -2e3), True/False/None (also
 * true/false/null), quoted strings with \" \' \\ \n \t \xNN escapes, lists
 * [1,2,3], key=value keyword arguments, and bare words as strings. Nothing is
 * ever evaluated as code. */
#ifndef CMD_H
#define CMD_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/str.h"
#include "val.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef CMD_MAX_TOKENS
#define CMD_MAX_TOKENS 32
#endif
#ifndef CMD_MAX_ARGS
#define CMD_MAX_ARGS 16
#endif
#define CMD_TASK_MIN_MS     20u /* micrOS: the shortest task period */
#define CMD_TASK_DEFAULT_MS 20u

struct cmd {
    struct str tok[CMD_MAX_TOKENS]; /* tokens left after the postfixes are taken off */
    size_t ntok;
    bool is_json;         /* ">json" was given */
    bool is_task;         /* a "&" postfix was given */
    bool is_loop;         /* "&&": periodic task */
    uint32_t task_ms;     /* task delay or period, at least CMD_TASK_MIN_MS */
    bool is_remote;       /* ">>host" was given */
    bool has_bare_remote; /* the last token started with ">>" (also a bare ">>"): skip built-ins */
    struct str remote;    /* host[:port] after ">>" */
};

/* The sections of the shell's `help` text (COMPAT §1.4), in their order. */
enum cmd_help_section {
    CMD_HELP_UNSET,  /* not decided: the shell refuses to start (every command must choose) */
    CMD_HELP_HIDDEN, /* not listed: an alias, or webrepl (COMPAT C.4) */
    CMD_HELP_MICROS,
    CMD_HELP_CONF,
    CMD_HELP_TASK,
    CMD_HELP_EXEC,
};

/* One line of the shell's `help` text, carried by the table entry of the command it describes
 * (shell built-ins, the executor's built-ins, task sub-commands), so that `help` is generated
 * from the tables and a new command cannot be missing from it. The line is indent spaces, left
 * padded to column col, "- " and text (left alone when text is NULL). */
struct cmd_help {
    enum cmd_help_section section;
    unsigned order;   /* position within its section */
    unsigned indent;  /* spaces before left */
    unsigned col;     /* column of the "- " */
    const char *left; /* "hello", "task kill <tag>" */
    const char *text; /* "hello msg - for device identification", or NULL */
};

/* Appends h's line (with its '\n') to out. Returns 0 or ERR_*. */
int cmd_help_line(const struct cmd_help *h, struct buf *out);

/* One parsed argument: key.len == 0 for a positional one. */
struct cmd_arg {
    struct str key;
    struct val *v;
};

/* The one tokenizer: splits line into whitespace-separated words (tok, capacity cap; *ntok
 * gets the count). With is_quoted, '...' and "..." runs stay inside their word (the command
 * grammar); without, every whitespace separates (micrOS's str.split(), used for the shell's
 * built-ins and conf mode). Returns 0, ERR_TOOBIG when there are more than cap words (the
 * first cap are filled), or ERR_SYNTAX for an unterminated quote. */
int cmd_split(struct str line, bool is_quoted, struct str *tok, size_t cap, size_t *ntok);

/* Parses line into c. Returns 0, or ERR_TOOBIG when there are more than CMD_MAX_TOKENS
 * tokens, or ERR_SYNTAX for an unterminated quote. */
int cmd_parse(struct str line, struct cmd *c);

/* Parses tokens [2, ntok) of c into out (capacity cap), values allocated in a.
 * Returns the number of arguments, or ERR_SYNTAX (with a reason in err, e.g. "invalid syntax"
 * or "positional argument follows keyword argument"), ERR_TOOBIG (more than cap), ERR_NOMEM. */
int cmd_parse_args(const struct cmd *c, struct arena *a, struct cmd_arg *out, size_t cap, char *err,
                   size_t errcap);

/* Parses one literal token (no key=) into a value. Returns NULL with a reason in err on
 * a syntax error, or NULL with a->is_full set when out of memory. */
struct val *cmd_parse_literal(struct str tok, struct arena *a, char *err, size_t errcap);

/* Returns true when s is a valid identifier ([A-Za-z_][A-Za-z0-9_]*). */
bool cmd_is_ident(struct str s);

#endif
