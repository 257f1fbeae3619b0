// GNU readline for the REPL (Debian's libreadline-dev). Swift 6 rejects readline's global
// variables as shared mutable state, so they are set and read through the inline functions
// below. They are only ever called from the REPL's one thread (readline is not thread-safe).
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

/// `rl_readline_name`: the application name `$if memento` tests in ~/.inputrc. The string
/// must stay valid for the life of the process.
static inline void memento_rl_set_readline_name(const char *name) { rl_readline_name = name; }

/// Whether readline installs its own signal handlers (the REPL handles SIGINT and SIGWINCH).
static inline void memento_rl_set_catch_signals(int on) {
    rl_catch_signals = on;
    rl_catch_sigwinch = on;
}

/// Completion hooks.
static inline void memento_rl_set_attempted_completion(rl_completion_func_t *f) { rl_attempted_completion_function = f; }
static inline void memento_rl_set_word_break_hook(rl_cpvfunc_t *f) { rl_completion_word_break_hook = f; }
static inline void memento_rl_set_attempted_completion_over(int on) { rl_attempted_completion_over = on; }
static inline void memento_rl_set_completion_append_character(int c) { rl_completion_append_character = c; }
static inline void memento_rl_set_completion_suppress_append(int on) { rl_completion_suppress_append = on; }
static inline void memento_rl_set_basic_word_break_characters(const char *s) {
    rl_basic_word_break_characters = s;
    rl_completer_word_break_characters = s;
}
/// No quote characters: otherwise readline appends the opening `"` of `import "` after a
/// completed path (it treats a word break at a quote as the word's delimiter).
static inline void memento_rl_disable_quote_characters(void) {
    rl_completer_quote_characters = NULL;
    rl_basic_quote_characters = NULL;
}

/// The line being edited and the cursor (byte offset into it).
static inline const char *memento_rl_line_buffer(void) { return rl_line_buffer ? rl_line_buffer : ""; }
static inline int memento_rl_point(void) { return rl_point; }
static inline int memento_rl_end(void) { return rl_end; }
static inline void memento_rl_set_point(int p) { rl_point = p; }

/// History file format: one entry may span several lines. With timestamps written, readline
/// marks where each entry starts (`#1700000000`), and with multi-line entries on it joins the
/// following lines to that entry when reading the file back.
static inline void memento_history_enable_multiline(void) {
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = 1;
}
static inline int memento_history_length(void) { return history_length; }
static inline int memento_history_base(void) { return history_base; }
