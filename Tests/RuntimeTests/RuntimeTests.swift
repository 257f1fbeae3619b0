import Foundation
import Testing
import Language
import Runtime

/// Runs a script with the engine bound and returns its printed output and diagnostics.
func runScript(_ source: String) -> (output: String, errors: [String]) {
    Interpreter.runOnLargeStack {
        let interpreter = Interpreter()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-runtime-tests")
        Runtime.install(in: interpreter, session: Session(scriptDirectory: dir, outputDirectory: dir.appendingPathComponent("out")))
        var output = ""
        interpreter.output = { output += $0 }
        let diagnostics = interpreter.run(source: source, path: "test.mem")
        return (output, diagnostics.map(\.message))
    }
}

@Suite("Engine bindings")
struct RuntimeTests {
    @Test func tensorsPrintAndCompute() {
        let r = runScript("""
        let x = tensor([[1, 2], [3, 4]])
        print(x.shape, x.sum().item(), (x * 2 + 1).tolist())
        print((x @ x).tolist())
        print(x[0, 1].item(), x[:, 0].tolist())
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "[2, 2] 10.0 [[3.0, 5.0], [7.0, 9.0]]\n[[7.0, 10.0], [15.0, 22.0]]\n2.0 [1.0, 3.0]\n")
    }

    /// Tensor methods show their signatures (`:help x.mean`, completion of keywords).
    @Test func tensorMethodsHaveSignatures() {
        let signatures: [String?] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-runtime-tests")
            Runtime.install(in: it, session: Session(scriptDirectory: dir))
            _ = it.run(source: "let x = zeros([2, 3])")
            guard let x = it.globals["x"] else { return [] }
            return ["mean", "softmax", "cumsum", "reshape", "exp"].map { name in
                (try? it.member(of: x, name)).flatMap { it.signature(of: $0) }
            }
        }
        #expect(signatures == ["mean(axis: nil, keepdims: false)", "softmax(axis: -1)", "cumsum(axis, reverse: false)",
                               "reshape(shape, …)", "exp()"])
    }

    @Test func autodiffFromScripts() {
        let r = runScript("""
        let w = tensor([1.0, 2.0]).requiring_grad()
        let y = (w * w).sum()
        y.backward()
        print(w.grad.tolist())
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "[2.0, 4.0]\n")
    }

    @Test func aPipelineTrains() {
        let r = runScript("""
        seed(1)
        let net = Linear(3, 16) |> relu |> Linear(16, 1)
        let opt = Adam(net, lr: 0.05)
        let x = randn([32, 3])
        let y = x.sum(axis: 1, keepdims: true)
        var first = 0.0
        var last = 0.0
        for i in 0..<200 {
          opt.zero_grad()
          let loss = mse_loss(net(x), y)
          loss.backward()
          opt.step()
          if i == 0 { first = loss.item() }
          last = loss.item()
        }
        print(last < first / 20)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "true\n")
    }

    @Test func environmentsStep() {
        let r = runScript("""
        let maze = TMaze(length: 2)
        let first = maze.reset(seed: 3)
        print(maze.actions, maze.observation_size, first.observation.shape)
        var total = 0.0
        var done = false
        while !done {
          let s = maze.step(0)
          total = total + s.reward
          done = s.terminated || s.truncated
        }
        print(done)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output.hasPrefix("3 4 [4]\n"))
    }

    @Test func engineErrorsNameTheShapes() {
        let r = runScript("let a = zeros([32, 64])\nlet b = zeros([32, 4])\nprint(a @ b)")
        #expect(r.errors == ["matmul: [32, 64] × [32, 4]: inner dimensions 64 and 32 differ"])
        let l = runScript("let net = Linear(4, 2)\nnet(zeros([3, 5]))")
        #expect(l.errors == ["Linear(4, 2): expected input of shape [..., 4], got [3, 5]"])
        let e = runScript("TMaze(lenght: 3)")
        #expect(e.errors.first?.contains("lenght") == true)
    }

    @Test func sandboxRefusesWritesOutsideTheOutputFolder() {
        let r = runScript("save(Linear(2, 2), \"../../escape.safetensors\")")
        #expect(r.errors.first?.contains("refused") == true)
        // A symbolic link inside the output folder does not lead a write outside it.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("memento-runtime-tests/out")
        try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: out.appendingPathComponent("escape"))
        try? FileManager.default.createSymbolicLink(atPath: out.appendingPathComponent("escape").path, withDestinationPath: "/tmp")
        let viaLink = runScript("save(Linear(2, 2), \"escape/x.safetensors\")")
        #expect(viaLink.errors.first?.contains("refused") == true, "\(viaLink.errors)")
        let readOutside = runScript("import \"/etc/passwd\"")
        #expect(readOutside.errors.first?.contains("refused") == true, "\(readOutside.errors)")
        let ok = runScript("let n = Linear(2, 2)\nsave(n, \"n.safetensors\")\nload(n, \"n.safetensors\")\nprint(\"ok\")")
        #expect(ok.errors.isEmpty, "\(ok.errors)")
    }

    @Test func recurrentLayersFromScripts() {
        let r = runScript("""
        let lstm = LSTM(4, 8)
        let o = lstm.forward(randn([2, 5, 4]))
        print(o.outputs.shape, o.state.h.shape, o.state.c.shape)
        let s = lstm.step(randn([2, 4]), lstm.initial_state(2))
        print(s.output.shape)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "[2, 5, 8] [2, 8] [2, 8]\n[2, 8]\n")
    }

    @Test func trainingFromScripts() {
        let r = runScript("""
        let maze = TMaze(length: 2)
        let net = Linear(maze.observation_size, 16) |> relu |> LSTM(16, 32) |> Linear(32, maze.actions)
        let run = train(DRQN(net, seed: 3), on: maze, steps: 600)
        print(run.steps, run.episodes > 0, len(run.returns) == run.episodes)
        print(run.history("charts/episodic_return")[0] == run.returns[0])
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output.hasPrefix("600 true true\ntrue\n"), "\(r.output)")
        let bad = runScript("let maze = TMaze(length: 2)\ntrain(DQN(Linear(3, 8) |> Linear(8, 3)), on: maze, steps: 10)")
        #expect(bad.errors.first?.contains("observations of size 4") == true, "\(bad.errors)")
        let notRecurrent = runScript("train(DRQN(Linear(4, 3)), on: TMaze(length: 2), steps: 10)")
        #expect(notRecurrent.errors.first?.contains("recurrent") == true, "\(notRecurrent.errors)")
    }

    /// The tour lesson runs in-process to the end without an error, and its tests pass.
    /// (Every lesson runs through the release tool in LessonTests.)
    @Test func tourRunsInProcess() throws {
        let tour = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons/00-tour.mem")
        let r = runScript(try String(contentsOf: tour, encoding: .utf8))
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(!r.output.contains("failed"), "\(r.output)")
        #expect(r.output.contains("passed"), "the tour has no passing test")
    }

    /// An interrupt (Ctrl-C) during `train` stops it between steps; the script stops too,
    /// and the agent's network keeps the weights it had.
    @Test func interruptStopsTrainingAndKeepsTheModel() {
        Interpreter.runOnLargeStack {
            let interpreter = Interpreter()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-runtime-tests")
            Runtime.install(in: interpreter, session: Session(scriptDirectory: dir, outputDirectory: dir.appendingPathComponent("out")))
            interpreter.output = { _ in }
            let setup = interpreter.run(source: """
            let maze = TMaze(length: 2)
            let net = Linear(4, 8) |> LSTM(8, 8) |> Linear(8, 3)
            let agent = DRQN(net)
            let before = net.parameters[0].value.sum().item()
            """, path: "setup.mem")
            #expect(setup.isEmpty)
            interpreter.interrupt.request()
            let interrupted = interpreter.run(source: "let run = train(agent, on: maze, steps: 1_000_000)", path: "train.mem")
            #expect(interrupted.first?.message == "interrupted", "\(interrupted.map(\.message))")
            var output = ""
            interpreter.output = { output += $0 }
            let after = interpreter.run(source: "print(net.parameters[0].value.sum().item() == before)", path: "after.mem")
            #expect(after.isEmpty, "\(after.map(\.message))")
            #expect(output == "true\n")
        }
    }
}
