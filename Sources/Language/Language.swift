// The Memento language (issue 5): lexer, parser, resolver, interpreter, diagnostics.
