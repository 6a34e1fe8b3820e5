/* repl.c - 'microsctl connect': an interactive shell with libedit (editing, history, completion).
 * libedit's readline interface calls plain functions without a context argument, so the
 * completion word lists live in file statics. */
#include "../core/err.h"
#include "../svc/cfg.h"
#include "ctl.h"

#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPL_WORDS_MAX 1024
#define REPL_HISTORY   1000

struct word {
    char *name;
    int module; /* for a function: index of its module word; -1 for a module/built-in */
};

static struct word s_words[REPL_WORDS_MAX];
static size_t s_nwords;
static bool s_is_conf;
/* The candidate list of the completion in progress. */
static const char *s_cand[REPL_WORDS_MAX + 64];
static size_t s_ncand;

static const char *const s_builtins[] = {"hello", "modules", "version", "exit", "reboot",
                                         "help",  "conf",    "noconf",  "task"};
static const char *const s_task_sub[] = {"list", "kill", "show"};

static void words_add(const char *name, size_t n, int module)
{
    if (s_nwords >= REPL_WORDS_MAX)
        return;
    char *p = malloc(n + 1);
    if (!p)
        return;
    memcpy(p, name, n);
    p[n] = '\0';
    s_words[s_nwords].name = p;
    s_words[s_nwords].module = module;
    s_nwords++;
}

/* Parses 'help lm': "  <module>" lines, then deeper-indented function lines. */
static void words_load(struct conn *c)
{
    if (conn_cmd(c, "help lm"))
        return;
    size_t len;
    const char *r = conn_reply(c, &len), *end = r + len;
    int module = -1;
    bool is_modules = false;
    while (r < end) {
        const char *nl = memchr(r, '\n', (size_t)(end - r));
        size_t n = nl ? (size_t)(nl - r) : (size_t)(end - r);
        size_t ind = 0;
        while (ind < n && r[ind] == ' ')
            ind++;
        if (n == 0)
            is_modules = true; /* the module list follows the first empty line */
        else if (is_modules && ind == 2 && ind < n) {
            module = (int)s_nwords;
            words_add(r + ind, n - ind, -1);
        } else if (is_modules && ind > 2 && module >= 0 && ind < n) {
            words_add(r + ind, n - ind, module);
        }
        r += n + 1;
    }
}

static void cand_add(const char *w, const char *text)
{
    if (s_ncand < sizeof s_cand / sizeof s_cand[0] && !strncmp(w, text, strlen(text)))
        s_cand[s_ncand++] = w;
}

static char *cand_next(const char *text, int state)
{
    static size_t i;
    (void)text;
    if (state == 0)
        i = 0;
    return i < s_ncand ? strdup(s_cand[i++]) : NULL;
}

/* Completion: the first word from built-ins, modules (and config keys in conf mode); the second
 * from the module's functions, task's sub-commands, or config keys after dump. */
static char **repl_complete(const char *text, int start, int end)
{
    (void)end;
    char first[64] = "";
    int index = 0;
    const char *p = rl_line_buffer;
    while (p < rl_line_buffer + start) {
        while (p < rl_line_buffer + start && *p == ' ')
            p++;
        if (p >= rl_line_buffer + start)
            break;
        size_t n = strcspn(p, " ");
        if (index == 0)
            snprintf(first, sizeof first, "%.*s", (int)n, p);
        index++;
        p += n;
    }
    s_ncand = 0;
    if (index == 0) {
        for (size_t i = 0; i < sizeof s_builtins / sizeof s_builtins[0]; i++)
            cand_add(s_builtins[i], text);
        if (s_is_conf) {
            cand_add("dump", text);
            for (size_t i = 0; i < cfg_schema_len; i++)
                cand_add(cfg_schema[i].name, text);
        } else {
            for (size_t i = 0; i < s_nwords; i++)
                if (s_words[i].module < 0)
                    cand_add(s_words[i].name, text);
        }
    } else if (index == 1) {
        if (!strcmp(first, "task")) {
            for (size_t i = 0; i < sizeof s_task_sub / sizeof s_task_sub[0]; i++)
                cand_add(s_task_sub[i], text);
        } else if (!strcmp(first, "help")) {
            cand_add("lm", text);
        } else if (s_is_conf && !strcmp(first, "dump")) {
            for (size_t i = 0; i < cfg_schema_len; i++)
                cand_add(cfg_schema[i].name, text);
        } else {
            for (size_t i = 0; i < s_nwords; i++)
                if (s_words[i].module >= 0 && !strcmp(s_words[s_words[i].module].name, first))
                    cand_add(s_words[i].name, text);
        }
    }
    rl_attempted_completion_over = 1;
    return s_ncand ? rl_completion_matches(text, cand_next) : NULL;
}

static bool is_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

int ctl_connect(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    struct conn c;
    if (ctl_open(o, argv[0], &c, NULL, true))
        return CTL_EXIT_CONN;
    words_load(&c);
    if (c.state != CONN_READY) {
        fprintf(stderr, "microsctl: %s\n", c.msg);
        conn_close(&c);
        return CTL_EXIT_CONN;
    }
    char dir[1024], hist[1100];
    cache_dir(&o->cache, dir, sizeof dir);
    snprintf(hist, sizeof hist, "%s/history", dir);
    mkdir(dir, 0700); /* the config folder; an error shows up as no history */
    using_history();
    stifle_history(REPL_HISTORY);
    read_history(hist);
    rl_attempted_completion_function = repl_complete;
    rl_completion_append_character = ' ';
    int status = CTL_EXIT_OK;
    for (;;) {
        char prompt[2 * CONN_PROMPT_MAX + 2];
        snprintf(prompt, sizeof prompt, "%s%s ", c.pre, c.prompt);
        s_is_conf = strstr(c.pre, "[configure]") != NULL;
        char *line = readline(prompt);
        if (!line) {
            putchar('\n');
            break;
        }
        if (is_blank(line)) {
            free(line);
            continue;
        }
        add_history(line);
        int rc = conn_cmd(&c, line);
        free(line);
        if (rc) {
            fprintf(stderr, "microsctl: %s\n", c.msg);
            status = CTL_EXIT_CONN;
            break;
        }
        size_t len;
        const char *r = conn_reply(&c, &len);
        fwrite(r, 1, len, stdout);
        fflush(stdout);
        if (c.is_closed_by_node)
            break;
    }
    if (write_history(hist) == 0)
        history_truncate_file(hist, REPL_HISTORY);
    conn_close(&c);
    for (size_t i = 0; i < s_nwords; i++)
        free(s_words[i].name);
    s_nwords = 0;
    return status;
}
