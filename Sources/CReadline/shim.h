// GNU readline for the REPL (Debian's libreadline-dev). Swift 6 rejects readline's global
// variables as shared mutable state, so they are set through the inline setters below.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
