#include "repl_bridge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>

/* Returns the i-th completion (malloc'ed) or NULL past the end. */
/* Returns nonzero when the current input line should be abandoned (Ctrl-C). */

static drl_Generator drl_generator;
static drl_CancelCheck drl_cancel_check;
static int drl_start, drl_end;

static char *drl_entry(const char *text, int state) {
    (void)text;
    return drl_generator ? drl_generator(rl_line_buffer, drl_start, drl_end, state) : NULL;
}

static char **drl_attempt(const char *text, int start, int end) {
    rl_attempted_completion_over = 1;
    drl_start = start;
    drl_end = end;
    return rl_completion_matches(text, drl_entry);
}

static int drl_signal_hook(void) {
    if (drl_cancel_check && drl_cancel_check()) {
        rl_replace_line("", 0);
        rl_done = 1;
    }
    return 0;
}

void drl_setup(drl_Generator gen, drl_CancelCheck cancel) {
    drl_generator = gen;
    drl_cancel_check = cancel;
    rl_catch_signals = 0;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/[#~%^";
    rl_attempted_completion_function = drl_attempt;
    rl_signal_event_hook = drl_signal_hook;
}

void drl_flush(void) { fflush(stdout); }

char *drl_readline(const char *prompt) { return readline(prompt); }
void drl_add_history(const char *line) { add_history(line); }
void drl_read_history(const char *path) { read_history(path); }
void drl_write_history(const char *path) { write_history(path); }
