#ifndef DISCERN_REPL_BRIDGE_H
#define DISCERN_REPL_BRIDGE_H
/* GNU readline glue for the REPL, so Swift never touches readline's global variables. */
/* Returns the i-th completion (malloc'ed) or NULL past the end. */
typedef char *(*drl_Generator)(const char *line, int start, int end, int index);
/* Returns nonzero when the current input line should be abandoned (Ctrl-C). */
typedef int (*drl_CancelCheck)(void);
/* Installs completion and the Ctrl-C check (called from readline's signal hook). */
void drl_setup(drl_Generator gen, drl_CancelCheck cancel);
/* Reads a line with editing and history (NULL at end of input); free() the result. */
char *drl_readline(const char *prompt);
void drl_add_history(const char *line);
void drl_read_history(const char *path);
void drl_write_history(const char *path);
void drl_flush(void);
#endif
