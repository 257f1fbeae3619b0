// The REPL, driven as a person would: through a pseudo-terminal (tmux), or with piped stdin.

import Foundation
import Testing

/// A REPL in a terminal, with its own history file, inputrc and working folder.
private final class REPLSession {
    let folder: URL
    let history: URL
    let terminal: Terminal
    /// Whether the folder is this session's own (removed on close).
    private let ownsFolder: Bool

    init(folder: URL? = nil, history: URL? = nil) throws {
        ownsFolder = folder == nil
        let folder = try folder ?? makeTemporaryFolder("repl")
        self.folder = folder
        self.history = history ?? folder.appendingPathComponent("history")
        let inputrc = folder.appendingPathComponent("inputrc")
        if !FileManager.default.fileExists(atPath: inputrc.path) {
            try "set bell-style none\n".write(to: inputrc, atomically: true, encoding: .utf8)
        }
        terminal = try Terminal([mementoExecutable!], directory: folder, environment: [
            "MEMENTO_HISTORY": self.history.path, "INPUTRC": inputrc.path, "NO_COLOR": "1", "TERM": "xterm",
        ])
        try terminal.waitForPrompt()
    }

    func close() {
        terminal.close()
        if ownsFolder { removeFolder(folder) }
    }
}

/// Removes a folder, retrying for a moment: a REPL that is being hung up may still write its
/// history file into it.
private func removeFolder(_ folder: URL) {
    for _ in 0..<20 {
        try? FileManager.default.removeItem(at: folder)
        if !FileManager.default.fileExists(atPath: folder.path) { return }
        usleep(50_000)
    }
}

private func occurrences(_ needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

private let canDrive = mementoExecutable != nil && tmuxExecutable != nil
private let skipReason: Comment = mementoExecutable == nil
    ? "no memento executable: set MEMENTO_BIN, or build it first (./tools/test does both)"
    : "tmux is not installed (apt-get install tmux), so the REPL cannot be typed into"

/// Expects the program in `terminal` to exit with status 0 (showing the screen if not).
private func expectExit(_ terminal: Terminal, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let status = try terminal.exitStatus()
    if status != 0 {
        Issue.record("expected exit status 0, got \(status.map(String.init) ?? "no exit"); the screen:\n\(try terminal.screen())",
                     sourceLocation: sourceLocation)
    }
}

@Suite("REPL in a terminal", .serialized, .enabled(if: canDrive, skipReason))
struct REPLTerminalTests {
    @Test func completesANameInScope() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("let zebra_count = 41")
        try t.waitForPrompt()
        try t.type("zebra_c")
        try t.press("Tab")
        try t.waitFor(text: "memento> zebra_count")
        try t.enter(" + 1")
        try t.waitFor(text: "memento> zebra_count + 1\n42")
        // Built-ins complete too.
        try t.type("linsp")
        try t.press("Tab")
        try t.waitFor(text: "memento> linspace")
    }

    @Test func completesMembersAfterADot() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("let maze = TMaze(length: 4)")
        try t.waitForPrompt()
        try t.type("maze.observation_si")
        try t.press("Tab")
        try t.waitFor(text: "memento> maze.observation_size")
        try t.press("Enter")
        try t.waitForPrompt()
        #expect(!(try t.screen()).contains("error"))
        // A list's methods; two Tabs list every candidate.
        try t.enter("let xs = [1, 2]")
        try t.waitForPrompt()
        try t.type("xs.ap")
        try t.press("Tab")
        try t.waitFor(text: "memento> xs.append")
        try t.enter("(3)")
        try t.waitForPrompt()
        try t.enter("xs")
        try t.waitFor(text: "[1, 2, 3]")
        // A script class's fields and methods.
        try t.enter("class Robot {")
        try t.enter("var battery = 7")
        try t.enter("fn charge() { self.battery = 100 }")
        try t.enter("}")
        try t.waitForPrompt()
        try t.enter("let r2 = Robot()")
        try t.waitForPrompt()
        try t.type("r2.")
        try t.press("Tab", "Tab")
        try t.waitFor("the members of r2") { $0.contains("battery") && $0.contains("charge") }
        try t.press("C-c")
        try t.waitForPrompt()
        // A call is never evaluated to complete after it.
        try t.enter("var calls = 0")
        try t.waitForPrompt()
        try t.enter("fn counted() { calls += 1; return r2 }")
        try t.waitForPrompt()
        try t.type("counted().")
        try t.press("Tab", "Tab")
        usleep(300_000)
        try t.press("C-c")
        try t.waitForPrompt()
        try t.enter("calls")
        try t.waitFor(text: "memento> calls\n0")
    }

    @Test func completesKeywordArguments() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("fn area(width, height = 2) { return width * height }")
        try t.waitForPrompt()
        try t.type("area(3, hei")
        try t.press("Tab")
        try t.waitFor(text: "memento> area(3, height:")
        try t.enter("5)")
        try t.waitFor(text: "\n15")
        // A built-in's parameters: train(agent, on:, steps:, …).
        try t.type("train(nil, ste")
        try t.press("Tab")
        try t.waitFor(text: "memento> train(nil, steps:")
        try t.press("C-c")
        try t.waitForPrompt()
    }

    @Test func completesFilePathsForLoadAndImport() throws {
        let folder = try makeTemporaryFolder("paths")
        defer { removeFolder(folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("lessons"), withIntermediateDirectories: true)
        try "let loaded_value = 99\n".write(to: folder.appendingPathComponent("lessons/alpha.mem"), atomically: true, encoding: .utf8)
        let s = try REPLSession(folder: folder)
        defer { s.close() }
        let t = s.terminal
        try t.type(":load less")
        try t.press("Tab")
        try t.waitFor(text: "memento> :load lessons/")
        try t.type("al")
        try t.press("Tab")
        try t.waitFor(text: "memento> :load lessons/alpha.mem")
        try t.press("Enter")
        try t.waitForPrompt()
        try t.enter("loaded_value")
        try t.waitFor(text: "\n99")
        try t.type("import \"lessons/al")
        try t.press("Tab")
        try t.waitFor(text: "memento> import \"lessons/alpha.mem\"")
        try t.press("C-c")
        try t.waitForPrompt()
    }

    @Test func historySurvivesTwoRestarts() throws {
        let folder = try makeTemporaryFolder("history")
        defer { removeFolder(folder) }
        let history = folder.appendingPathComponent("nested-name.history")

        let first = try REPLSession(folder: folder, history: history)
        try first.terminal.enter("let remembered = 42")
        try first.terminal.waitForPrompt()
        try first.terminal.enter("fn triple(x) {")
        try first.terminal.enter("return 3 * x")
        try first.terminal.enter("}")
        try first.terminal.waitForPrompt()
        try first.terminal.press("C-d")
        try expectExit(first.terminal)
        first.close()

        // Second run: Up recalls the multi-line entry as one, then the line before it.
        let second = try REPLSession(folder: folder, history: history)
        try second.terminal.press("Up")
        try second.terminal.waitFor(text: "memento> fn triple(x) {\nreturn 3 * x\n}")
        try second.terminal.press("Up")
        try second.terminal.waitFor(text: "memento> let remembered = 42")
        try second.terminal.press("C-c")
        try second.terminal.waitForPrompt()
        try second.terminal.enter("let added_second = 1")
        try second.terminal.waitForPrompt()
        try second.terminal.enter(":quit")
        try expectExit(second.terminal)
        second.close()

        // Third run: all three entries, newest first; Ctrl-R finds an old one.
        let third = try REPLSession(folder: folder, history: history)
        defer { third.close() }
        try third.terminal.press("Up")
        try third.terminal.waitFor(text: "memento> :quit")
        try third.terminal.press("Up")
        try third.terminal.waitFor(text: "memento> let added_second = 1")
        try third.terminal.press("C-c")
        try third.terminal.waitForPrompt()
        try third.terminal.press("C-r")
        try third.terminal.type("rememb")
        try third.terminal.waitFor(text: "let remembered = 42")
        try third.terminal.press("Enter")
        try third.terminal.waitForPrompt()
        try third.terminal.enter("remembered + 1")
        try third.terminal.waitFor(text: "\n43")
    }

    @Test func multiLineEntryDefinesAFunction() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("fn twice(x,")
        try t.waitFor(text: "   ...>")
        try t.enter("    y = 0) {")
        try t.enter("    let doubled = 2 * x")
        try t.enter("    return doubled + y")
        try t.enter("}")
        try t.waitForPrompt()
        try t.enter("twice(20, y: 2)")
        try t.waitFor(text: "\n42")
        // A trailing operator continues the entry too.
        try t.enter("let total = 1 +")
        try t.enter("2")
        try t.waitForPrompt()
        try t.enter("total")
        try t.waitFor(text: "memento> total\n3")
        // The REPL joined the lines with a `\`, so the entry is valid source; a blank
        // line inside brackets is fine too.
        try t.enter("let pair = [")
        try t.enter("")
        try t.enter("1, 2]")
        try t.waitForPrompt()
        try t.enter("pair")
        try t.waitFor(text: "memento> pair\n[1, 2]")
        // Ctrl-C abandons an unfinished entry and gives a fresh prompt.
        try t.enter("let broken = [1,")
        try t.waitFor(text: "   ...>")
        try t.press("C-c")
        try t.waitForPrompt()
        try t.enter("1 + 1")
        try t.waitFor(text: "memento> 1 + 1\n2")
        // Errors are shown with the file diagnostics' layout.
        try t.enter("undefined_thing")
        try t.waitFor(text: "error: undefined name 'undefined_thing'")
        #expect(try t.screen().contains("--> <input-"))
    }

    @Test func ctrlCStopsAnEndlessLoopAndKeepsVariables() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("let kept = \"still here\"")
        try t.waitForPrompt()
        try t.enter("var spins = 0")
        try t.waitForPrompt()
        try t.enter("while true { spins += 1 }")
        // The loop is running once its line is on screen without a new prompt after it.
        try t.waitFor(text: "memento> while true { spins += 1 }")
        usleep(300_000)
        #expect(try t.lastLine() != "memento>")
        try t.press("C-c")
        try t.waitFor("interrupted", timeout: 5) { $0.contains("interrupted") }
        try t.waitForPrompt()
        try t.enter("spins > 0")
        try t.waitFor(text: "memento> spins > 0\ntrue")
        try t.enter("kept")
        try t.waitFor(text: "\"still here\"")
        // A second run can be interrupted as well.
        try t.enter("while true { spins -= 1 }")
        try t.waitFor(text: "memento> while true { spins -= 1 }")
        usleep(200_000)
        try t.press("C-c")
        try t.waitFor("a second 'interrupted'", timeout: 5) { $0.components(separatedBy: "interrupted").count >= 3 }
        try t.waitForPrompt()
    }

    @Test func ctrlCStopsTrainingAndKeepsTheModel() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("let maze = TMaze(length: 4)")
        try t.waitForPrompt()
        try t.enter("let net = Linear(maze.observation_size, 16) |> relu |> Linear(16, maze.actions)")
        try t.waitForPrompt()
        try t.enter("let before = net(ones([1, maze.observation_size]))")
        try t.waitForPrompt()
        try t.enter("let run = train(DQN(net, learning_starts: 100), on: maze, steps: 50_000_000)")
        // Wait until training is well past learning_starts, so the weights have changed.
        try t.waitFor("2000 training steps", timeout: 60) { screen in
            guard let bar = screen.components(separatedBy: "\n").last(where: { $0.contains("/50000000") }),
                  let done = bar.components(separatedBy: "/50000000").first?.split(separator: " ").last else { return false }
            return Int(done).map { $0 >= 2000 } ?? false
        }
        let pressed = Date()
        try t.press("C-c")
        try t.waitFor("training to stop", timeout: 5) { $0.contains("interrupted (training stopped after") }
        try t.waitForPrompt()
        #expect(Date().timeIntervalSince(pressed) < 5)
        #expect(try t.screen().contains("the variable holds the Run so far"))
        // `run` is bound to the run so far: past the 2000 steps waited for, short of the budget.
        try t.enter("run.steps >= 2000 and run.steps < 50_000_000")
        try t.waitFor(text: "memento> run.steps >= 2000 and run.steps < 50_000_000\ntrue")
        // The network is still usable and kept what it learned.
        try t.enter("let after = net(ones([1, maze.observation_size]))")
        try t.waitForPrompt()
        try t.enter("after.shape")
        try t.waitFor(text: "memento> after.shape\n[1, 3]")
        try t.enter("(after - before).abs().sum().item() > 0")
        try t.waitFor(text: "\ntrue")
        // It can train again.
        try t.enter("train(DQN(net), on: maze, steps: 300, progress: false).steps")
        try t.waitFor(text: "\n300", timeout: 30)
    }

    /// Waits until the progress bar of a `steps`-step training run shows at least `least` steps done.
    private func waitForTraining(_ t: Terminal, total: String, least: Int) throws {
        try t.waitFor("\(least) training steps", timeout: 90) { screen in
            guard let bar = screen.components(separatedBy: "\n").last(where: { $0.contains("/" + total) }),
                  let done = bar.components(separatedBy: "/" + total).first?.split(separator: " ").last else { return false }
            return Int(done).map { $0 >= least } ?? false
        }
    }

    @Test func ctrlCDuringTrainingBindsThePartialRunOfDRQNAndPPO() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.enter("let maze = TMaze(length: 4)")
        try t.waitForPrompt()
        // DRQN: the off-policy driver, sequence replay; `var` and a later plain assignment.
        try t.enter("var drqn_run = nil")
        try t.waitForPrompt()
        try t.enter("drqn_run = train(DRQN(LSTM(maze.observation_size, 8) |> Linear(8, maze.actions), learning_starts: 50), on: maze, steps: 40_000_000)")
        try waitForTraining(t, total: "40000000", least: 300)
        try t.press("C-c")
        try t.waitFor("DRQN to stop", timeout: 10) { $0.contains("interrupted (training stopped after") }
        try t.waitForPrompt()
        try t.enter("type_of(drqn_run) + \" \" + str(drqn_run.steps >= 300 and drqn_run.steps < 40_000_000)")
        try t.waitFor(text: "\"Run true\"")
        // PPO: the on-policy driver, from vector environments; `let` of a new name.
        try t.enter("let ppo_run = train(PPO(Linear(maze.observation_size, 16) |> tanh |> Linear(16, maze.actions), n_envs: 4, n_steps: 16), on: maze, steps: 30_000_000)")
        try waitForTraining(t, total: "30000000", least: 500)
        try t.press("C-c")
        try t.waitFor("PPO to stop", timeout: 10) { $0.components(separatedBy: "interrupted (training stopped after").count >= 3 }
        try t.waitForPrompt()
        try t.enter("ppo_run.steps >= 500 and ppo_run.steps < 30_000_000 and len(ppo_run.returns) > 0")
        try t.waitFor(text: "memento> ppo_run.steps >= 500 and ppo_run.steps < 30_000_000 and len(ppo_run.returns) > 0\ntrue")
        // Only the statement whose value is the interrupted call binds: a call nested in an
        // expression leaves its name undefined.
        try t.enter("let nested = [train(DQN(Linear(maze.observation_size, maze.actions)), on: maze, steps: 20_000_000)]")
        try waitForTraining(t, total: "20000000", least: 200)
        try t.press("C-c")
        try t.waitFor("DQN to stop", timeout: 10) { $0.components(separatedBy: "interrupted (training stopped after").count >= 4 }
        try t.waitForPrompt()
        try t.enter("nested")
        try t.waitFor(text: "nested")
        try t.waitFor("nested to be undefined", timeout: 5) { $0.contains("'nested'") }
    }

    @Test func ctrlDQuitsAndCtrlCAtThePromptClearsTheLine() throws {
        let s = try REPLSession()
        defer { s.close() }
        let t = s.terminal
        try t.type("some half-typed text")
        try t.press("C-c")
        try t.waitFor(text: "memento> some half-typed text^C")
        try t.waitForPrompt()
        try t.enter(":vars")
        try t.waitFor(text: "No variables yet")
        try t.enter("let width = 3")
        try t.waitForPrompt()
        try t.enter(":vars")
        try t.waitFor(text: "width  Int  3")
        try t.waitForPrompt()
        try t.press("C-d")
        try expectExit(t)
        let saved = try String(contentsOf: s.history, encoding: .utf8)
        #expect(saved.contains("let width = 3"))
        #expect(!saved.contains("half-typed"))
    }
}

@Suite("REPL with piped stdin", .enabled(if: mementoExecutable != nil, "no memento executable: set MEMENTO_BIN, or build it first (./tools/test does both)"))
struct REPLPipedTests {
    @Test func printsValuesWithoutPromptsAndExitsZero() throws {
        let folder = try makeTemporaryFolder("piped")
        defer { removeFolder(folder) }
        let script = """
        let x = 20
        x + 1
        _ * 2
        fn greet(name) {
            return "hi " + name
        }
        greet("ada")
        print("printed")
        let unused = [1, 2]

        :vars
        :time 1 + 1
        """
        let out = try runProcess(mementoExecutable!, [], input: script, directory: folder,
                                 environment: ["MEMENTO_HISTORY": folder.appendingPathComponent("h").path])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        let lines = out.stdout.components(separatedBy: "\n")
        #expect(Array(lines.prefix(4)) == ["21", "42", "\"hi ada\"", "printed"])
        #expect(out.stdout.contains("x       Int       20"))
        #expect(out.stdout.contains("unused  List      [1, 2]"))
        #expect(out.stdout.contains("\n2\ntime: "))
        #expect(!out.stdout.contains("memento>"))
        #expect(out.stderr.isEmpty)
        // Plain mode never writes the history file.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("h").path))
    }

    @Test func keepsGoingAfterErrorsAndExitsOne() throws {
        let script = """
        let a = 1
        print(undefined_name)
        let b = [1, 2][5]
        :hlep
        a + 1
        """
        let out = try runProcess(mementoExecutable!, [], input: script)
        #expect(out.status == 1)
        #expect(out.stdout == "2\n")
        #expect(out.stderr.contains("error: undefined name 'undefined_name'"))
        #expect(out.stderr.contains("--> <stdin>:2:7"))
        #expect(out.stderr.contains("--> <stdin>:3:"))
        #expect(out.stderr.contains("unknown command ':hlep'; did you mean ':help'?"))
    }

    @Test func helpListsCommandsAndBuiltIns() throws {
        let out = try runProcess(mementoExecutable!, [], input: ":help\n:help zeros\n:help :load\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        for command in [":help", ":load FILE", ":step FILE", ":vars", ":time EXPR", ":reset", ":quit"] {
            #expect(out.stdout.contains("  \(command)"), "missing \(command)")
        }
        #expect(out.stdout.contains("  train "))
        #expect(out.stdout.contains("zeros(shape)\n  a tensor of zeros.\n  example: zeros([2, 3])"))
        #expect(out.stdout.contains(":load FILE\n  run a .mem file"))
    }

    @Test func helpOfABindingListsItsParameters() throws {
        let out = try runProcess(mementoExecutable!, [], input: ":help TMaze\n:help DQN\n:help Adam\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(out.stdout.contains("TMaze(length: 10, variant: \"passive\", step_cost: 0.01)"))
        #expect(out.stdout.contains("step_cost"))
        #expect(out.stdout.contains("observation: [cue_left, cue_right, in_corridor, at_junction]"))
        #expect(out.stdout.contains("γ, the discount factor"))
        #expect(out.stdout.contains("Float in [0, 1]"))
        #expect(out.stdout.contains("weight_decay"))
    }

    @Test func resetDropsEveryVariable() throws {
        let out = try runProcess(mementoExecutable!, [], input: "let kept = 1\n:reset\nkept\n")
        #expect(out.status == 1)
        #expect(out.stderr.contains("undefined name 'kept'"))
    }

    @Test func unfinishedInputAtTheEndIsReported() throws {
        let out = try runProcess(mementoExecutable!, [], input: "fn f(x) {\n  return x\n")
        #expect(out.status == 1)
        #expect(out.stderr.contains("<stdin>:"))
    }

    @Test func loadAndStepAcceptTheSamePaths() throws {
        let folder = try makeTemporaryFolder("paths")
        defer { removeFolder(folder) }
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("sub dir"), withIntermediateDirectories: true)
        try fm.createDirectory(at: folder.appendingPathComponent("lessons"), withIntermediateDirectories: true)
        try "var loads = 0\n".write(to: folder.appendingPathComponent("setup.mem"), atomically: true, encoding: .utf8)
        try "loads += 1\nprint(\"loaded \\(loads)\")\n".write(to: folder.appendingPathComponent("sub dir/count.mem"), atomically: true, encoding: .utf8)
        try "# %%\nprint(\"stepped \\(loads)\")\n".write(to: folder.appendingPathComponent("lessons/99-demo.mem"), atomically: true, encoding: .utf8)
        // Every spelling below names a file that exists; `~` is HOME, here the folder itself.
        let script = """
        :load setup
        :load "sub dir/count.mem"
        :load 'sub dir/count'
        :load sub\\ dir/count
        :load ~/sub\\ dir/count.mem
        :load "~/sub dir/count"
        :load \(folder.path)/sub\\ dir/count
        :load missing
        :step 99-demo
        a
        :step "lessons/99-demo.mem"
        a
        :step ~/lessons/99-demo
        a
        :step missing.mem
        """
        let out = try runProcess(mementoExecutable!, [], input: script, directory: folder,
                                 environment: ["HOME": folder.path, "MEMENTO_HISTORY": folder.appendingPathComponent("h").path])
        for n in 1...6 { #expect(out.stdout.contains("loaded \(n)\n"), "stdout: \(out.stdout)\nstderr: \(out.stderr)") }
        #expect(occurrences("stepped 6", in: out.stdout) == 3, "stdout: \(out.stdout)\nstderr: \(out.stderr)")
        #expect(out.stderr.contains("error: :load: no file missing or missing.mem in the working folder or lessons"), "\(out.stderr)")
        #expect(out.stderr.contains("error: :step: no file missing.mem in the working folder or lessons"), "\(out.stderr)")
        #expect(out.status == 1)
    }

    @Test func sandboxRefusesReadingOutsideTheFolder() throws {
        let folder = try makeTemporaryFolder("sandbox")
        defer { removeFolder(folder) }
        let out = try runProcess(mementoExecutable!, [], input: ":load /etc/hostname\n", directory: folder)
        #expect(out.status == 1)
        #expect(out.stderr.contains("refused"))
    }
}
