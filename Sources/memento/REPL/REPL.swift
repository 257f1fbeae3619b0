// Placeholder until the REPL lands (issue 6).
func startREPL() throws {
    print("The REPL is not built yet.")
}
