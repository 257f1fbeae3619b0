// The host interface: native functions with signatures, host objects with operators,
// indexing, iteration and members, print capture, tests hook, REPL globals, interrupts.

import Foundation
import Testing
@testable import Language

/// A toy 1-D "tensor" standing in for the runtime's tensors.
final class Vec: HostObject {
    var items: [Double]
    init(_ items: [Double]) { self.items = items }
    override var typeName: String { "Vec" }
    override var description: String { "Vec(\(items.map { String($0) }.joined(separator: ", ")))" }
    override var memberNames: [String] { ["count", "sum", "scaled"] }
    override var length: Int? { items.count }
    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "count": return .int(items.count)
        case "sum":
            return .native(NativeFunction("sum", parameters: []) { [items] _, _ in .float(items.reduce(0, +)) })
        default: return nil
        }
    }
    override func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        guard name == "scaled" else { return nil }
        guard let k = args.positional.first?.asDouble else { throw HostError("scaled needs a number") }
        return .host(Vec(items.map { $0 * k }))
    }
    override func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        switch (op, other) {
        case (.add, .host(let o as Vec)):
            guard o.items.count == items.count else {
                throw HostError("shape mismatch: [\(items.count)] and [\(o.items.count)]")
            }
            return .host(Vec(zip(items, o.items).map { $0 + $1 }))
        case (.multiply, _):
            guard let k = other.asDouble else { return nil }
            return .host(Vec(items.map { $0 * k }))
        case (.matmul, .host(let o as Vec)):
            return .float(zip(items, o.items).map { $0 * $1 }.reduce(0, +))
        default: return nil
        }
    }
    override func getIndex(_ indices: [SliceIndex], interpreter: Interpreter) throws -> Value? {
        switch indices.first {
        case .index(.int(let i)) where indices.count == 1:
            guard i >= 0 && i < items.count else { throw HostError("index \(i) out of range") }
            return .float(items[i])
        case .slice(let a, let b, _) where indices.count == 1:
            return .host(Vec(Array(items[(a ?? 0)..<(b ?? items.count)])))
        default:
            return .str("axes: \(indices.count)")
        }
    }
    override func makeIterator(interpreter: Interpreter) throws -> (() throws -> Value?)? {
        var i = 0
        let items = self.items
        return {
            defer { i += 1 }
            return i < items.count ? .float(items[i]) : nil
        }
    }
}

/// A callable host object that composes with `|>` (like a layer).
final class Layer: HostObject {
    let name: String
    init(_ name: String) { self.name = name }
    override var typeName: String { "Layer" }
    override var description: String { name }
    override func call(_ args: Arguments, interpreter: Interpreter) throws -> Value? {
        .str("\(name)(\(interpreter.stringify(args.positional.first ?? .nil)))")
    }
    override func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        guard op == .pipe, case .host(let o as Layer) = other, !reversed else { return nil }
        return .host(Layer("\(name) |> \(o.name)"))
    }
}

/// Runs source with a fresh interpreter (plus host setup) and returns printed text and diagnostics.
func run(_ source: String, setup: (Interpreter) -> Void = { _ in }) -> (String, [Diagnostic]) {
    Interpreter.runOnLargeStack {
        let it = Interpreter()
        var out = ""
        it.output = { out += $0 }
        setup(it)
        let d = it.run(source: source, path: "t.mem")
        return (out, d)
    }
}

func bindVec(_ it: Interpreter) {
    it.globals.define("vec", .native(NativeFunction("vec", parameters: ["values"]) { args, it in
        guard case .list(let l) = args[0] else { throw HostError("vec needs a list") }
        return .host(Vec(l.items.compactMap(\.asDouble)))
    }))
    it.globals.define("Linear", .host(Layer("Linear")))
    it.globals.define("relu", .host(Layer("relu")))
}

@Suite struct HostTests {
    @Test func hostObjectsSupportOperatorsMembersIndexingAndIteration() {
        let (out, d) = run("""
        let a = vec([1, 2, 3])
        let b = vec([1, 1, 1])
        print(a + b, a * 2, a @ b)
        print(a.count, a.sum(), a.scaled(10), len(a))
        print(a[1], a[1:], a[:, 0])
        for x in a { print(x) }
        let (p, q, r) = a
        print(r)
        """, setup: bindVec)
        #expect(d.isEmpty, "\(d.map { $0.render() })")
        #expect(out == """
        Vec(2.0, 3.0, 4.0) Vec(2.0, 4.0, 6.0) 6.0
        3 6.0 Vec(10.0, 20.0, 30.0) 3
        2.0 Vec(2.0, 3.0) axes: 2
        1.0
        2.0
        3.0
        3.0

        """)
    }

    @Test func hostErrorsBecomeRuntimeErrorsAtTheCall() {
        let (_, d) = run("let a = vec([1, 2])\nlet b = vec([1, 2, 3])\nprint(a + b)", setup: bindVec)
        #expect(d.count == 1)
        #expect(d.first?.message == "shape mismatch: [2] and [3]")
        #expect(d.first?.span.line == 3)
    }

    @Test func unknownHostMemberSuggests() {
        let (_, d) = run("let a = vec([1])\nprint(a.cout)", setup: bindVec)
        #expect(d.first?.message == "Vec has no member 'cout'")
        #expect(d.first?.help.contains("did you mean 'count'?") == true)
    }

    @Test func pipelineComposesHostLayersAndCallsFunctions() {
        let (out, d) = run("""
        let net = Linear |> relu
        print(net)
        print(net(3))
        print(5 |> relu)
        """, setup: bindVec)
        #expect(d.isEmpty)
        #expect(out == "Linear |> relu\nLinear |> relu(3)\nrelu(5)\n")
    }

    @Test func nativeSignaturesBindKeywordsAndDefaults() {
        let (out, d) = run("""
        print(train("dqn", on: "maze"))
        print(train("dqn", steps: 5, on: "maze"))
        train("dqn", on: "maze", step: 3)
        """) { it in
            it.globals.define("train", .native(NativeFunction(
                "train", parameters: ["agent", "on", NativeParameter("steps", default: .int(1000))]) { args, it in
                .str("\(it.stringify(args[0])) on \(it.stringify(args[1])) for \(it.stringify(args[2]))")
            }))
        }
        #expect(out == "dqn on maze for 1000\ndqn on maze for 5\n")
        #expect(d.first?.message == "train has no parameter named 'step'")
        #expect(d.first?.help.first == "did you mean 'steps'?")
    }

    @Test func parameterAliasesBindLikeTheirNames() {
        let (out, d) = run("""
        print(mean(1))
        print(mean(dim: 2, keepdim: true))
        print(mean())
        mean(axis: 0, dim: 1)
        """) { it in
            it.globals.define("mean", .native(NativeFunction(
                "mean", parameters: [NativeParameter("axis", default: .nil, aliases: ["dim"]),
                                     NativeParameter("keepdims", default: .bool(false), aliases: ["keepdim"])]) { args, it in
                .str("\(it.stringify(args[0])) \(it.stringify(args[1]))")
            }))
        }
        #expect(out == "1 false\n2 true\nnil false\n")
        #expect(d.first?.message == "argument 'axis' of mean is given twice ('dim' is another name for 'axis')")
    }

    @Test func missingRequiredArgumentsAreNamedWhateverTheirPosition() {
        let (_, d) = run("f(b: 2)") { it in
            it.globals.define("f", .native(NativeFunction("f", parameters: ["a", NativeParameter("b", default: .int(0)), "c"]) { _, _ in .nil }))
        }
        #expect(d.first?.message == "missing argument 'a' in call to f")
    }

    /// `x op= y` on a host object that updates itself keeps the object (its identity is what
    /// other holders see); one that does not gets `x = x op y`.
    @Test func compoundAssignmentUpdatesHostObjectsInPlace() {
        let (out, d) = run("""
        var v = Vec([1, 2])
        let alias = v
        v *= 3
        print(v, alias, v == alias)
        let fixed = Vec([1])
        fixed *= 2
        for item in [Vec([5])] { item *= 2; print(item) }
        var w = Vec([1])
        w += Vec([1])
        print(w)
        let k = Vec([1])
        k += Vec([1])
        """) { it in it.globals.define("Vec", .native(NativeFunction("Vec", parameters: ["items"]) { args, _ in
            guard case .list(let l) = args[0] else { return .nil }
            return .host(ScalingVec(l.items.compactMap(\.asDouble)))
        })) }
        #expect(out == "Vec(3.0, 6.0) Vec(3.0, 6.0) true\nVec(10.0)\nVec(2.0)\n")
        #expect(d.first?.message == "cannot assign to 'k': it is a constant")
    }

    @Test func hostCanDriveScriptObjects() throws {
        // The runtime adapts environments written in the language through these calls.
        let result: String = Interpreter.runOnLargeStack {
            let it = Interpreter()
            _ = it.run(source: """
            class Coin {
                var flips = 0
                let observation_size = 1
                fn reset(seed = 0) { self.flips = 0; return [0] }
                fn step(action) { self.flips += 1; return ([action], 1.0, self.flips >= 2, false, {:}) }
            }
            let env = Coin()
            """)
            guard let env = it.globals["env"] else { return "no env" }
            do throws(RuntimeError) {
                _ = try it.callMethod(env, "reset", [], named: [("seed", .int(3))])
                let r1 = try it.callMethod(env, "step", [.int(1)])
                let r2 = try it.callMethod(env, "step", [.int(0)])
                let size = try it.member(of: env, "observation_size")
                return "\(it.stringify(r1)) | \(it.stringify(r2)) | \(it.stringify(size)) | \(it.hasMember(env, "step"))"
            } catch {
                return error.diagnostic.message
            }
        }
        #expect(result == "[[1], 1.0, false, false, {:}] | [[0], 1.0, true, false, {:}] | 1 | true")
    }

    @Test func nativeFunctionsCanCallBackIntoScripts() {
        let (out, d) = run("print(twice(fn(x) => x + 1, 5))") { it in
            it.globals.define("twice", .native(NativeFunction("twice", parameters: ["f", "x"]) { args, it in
                try it.call(args[0], [try it.call(args[0], [args[1]])])
            }))
        }
        #expect(d.isEmpty)
        #expect(out == "7\n")
    }

    @Test func testBlocksGoToTheHostHook() {
        var seen: [(String, Double?, Bool)] = []
        let (_, d) = run("""
        test "a" (points: 2) { expect 1 == 1 }
        test "b" { expect 1 == 2 }
        """) { it in
            it.testHandler = { t in seen.append((t.name, t.points, t.run() == nil)) }
        }
        #expect(d.isEmpty)
        #expect(seen.map(\.0) == ["a", "b"])
        #expect(seen.map(\.1) == [2, nil])
        #expect(seen.map(\.2) == [true, false])
    }

    @Test func replKeepsGlobalsAcrossInputs() {
        let out: String = Interpreter.runOnLargeStack {
            let it = Interpreter()
            var out = ""
            it.output = { out += $0 }
            _ = it.run(source: "var n = 1\nfn bump() { n += 1 }", path: "<repl 1>")
            _ = it.run(source: "bump()\nbump()", path: "<repl 2>")
            _ = it.run(source: "print(n)", path: "<repl 3>")
            // Redefinition in a later input is allowed.
            _ = it.run(source: "fn bump() { n += 10 }\nbump()\nprint(n)", path: "<repl 4>")
            let d = it.run(source: "print(nn)", path: "<repl 5>")
            out += d.first?.help.first ?? ""
            return out
        }
        #expect(out == "3\n13\ndid you mean 'n'?")
    }

    @Test func replReturnsTheLastExpression() {
        let v: String = Interpreter.runOnLargeStack {
            let it = Interpreter()
            _ = it.run(source: "let a = 20")
            let file = SourceFile(path: "<repl>", text: "a + 22")
            guard case .success(let chunk) = it.compile(file, repl: true) else { return "compile failed" }
            do throws(RuntimeError) { return it.stringify(try it.run(chunk)) } catch { return error.message }
        }
        #expect(v == "42")
    }

    @Test func interruptStopsALoopAndKeepsVariables() {
        let it = Interpreter()
        var printed = ""
        it.output = { printed += $0 }
        it.globals.define("stop_soon", .native(NativeFunction("stop_soon", parameters: []) { _, it in
            it.interrupt.request()
            return .nil
        }))
        let d = Interpreter.runOnLargeStack {
            it.run(source: "var i = 0\nwhile true {\n  i += 1\n  if i == 1000 { stop_soon() }\n}")
        }
        #expect(d.first?.message == "interrupted")
        let after = Interpreter.runOnLargeStack { it.run(source: "print(i >= 1000)") }
        #expect(after.isEmpty)
        #expect(printed == "true\n")
    }

    @Test func interruptFromAnotherThread() {
        let it = Interpreter()
        let flag = it.interrupt
        Thread.detachNewThread {
            usleep(50_000)
            flag.request()
        }
        let d = Interpreter.runOnLargeStack { it.run(source: "var n = 0\nwhile true { n += 1 }") }
        #expect(d.first?.message == "interrupted")
    }

    @Test func stepBudgetStopsRunawayCode() {
        let d: [Diagnostic] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            it.stepBudget = 10_000
            return it.run(source: "fn f() { while true { } }\nf()")
        }
        #expect(d.first?.message == "step budget exhausted")
    }

    @Test func deepRecursionIsAStackOverflowErrorWithTraceback() {
        let d: [Diagnostic] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            return it.run(source: "fn down(n) { return down(n + 1) + 1 }\ndown(0)")
        }
        #expect(d.first?.message.hasPrefix("stack overflow") == true)
        #expect((d.first?.trace.count ?? 0) == 200)
        let text = d.first?.render() ?? ""
        #expect(text.contains("the same call repeated"))
    }
}

/// A `Vec` whose `*=` scales it in place (as tensors do with `w -= lr * g`).
final class ScalingVec: HostObject {
    var items: [Double]
    init(_ items: [Double]) { self.items = items }
    override var typeName: String { "Vec" }
    override var description: String { "Vec(\(items.map { String($0) }.joined(separator: ", ")))" }
    override func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        guard op == .add, case .host(let o as ScalingVec) = other else { return nil }
        return .host(ScalingVec(zip(items, o.items).map { $0 + $1 }))
    }
    override func binaryInPlace(_ op: BinaryOperator, _ other: Value, interpreter: Interpreter) throws -> Bool {
        guard op == .multiply, let k = other.asDouble else { return false }
        items = items.map { $0 * k }
        return true
    }
}

/// A host call stopped part-way (Ctrl-C in `train`) hands back what it had produced: the
/// statement whose value is that very call binds it, and nothing else does.
@Suite struct PartialResultTests {
    /// Runs each chunk in turn in one interpreter with `stopped(n)` defined: it fails with
    /// "interrupted" carrying `n` as its partial result. Returns the interpreter and each
    /// chunk's first diagnostic.
    func runChunks(_ chunks: [String]) -> (Interpreter, [Diagnostic?]) {
        Interpreter.runOnLargeStack {
            let it = Interpreter()
            it.globals.define("stopped", .native(NativeFunction("stopped", parameters: ["n"]) { args, _ in
                throw HostError("interrupted", help: ["stopped early"], partial: args[0])
            }))
            let diagnostics = chunks.enumerated().map { i, chunk in it.run(source: chunk, path: "t\(i).mem").first }
            return (it, diagnostics)
        }
    }

    @Test func theAssignedCallBindsItsPartialResult() {
        let (it, d) = runChunks([
            "let a = stopped(1)",                                    // a new global
            "var b = 0\nb = stopped(2)",                              // an assignment
            "fn f() {\n  let local = stopped(3)\n  captured = local\n}\nvar captured = nil\nf()",
            "fn g() {\n  var cell = 0\n  let h = fn() { return cell }\n  cell = stopped(4)\n}\nvar seen = g()",
        ])
        #expect(it.globals["a"].map { it.stringify($0) } == "1")
        #expect(it.globals["b"].map { it.stringify($0) } == "2")
        // Inside a function the local (or captured cell) is bound and the function stops
        // there; the caller's names are not bound to anything.
        #expect(it.globals["captured"].map { it.stringify($0) } == "nil")
        #expect(it.globals["seen"] == nil)
        for diagnostic in d {
            #expect(diagnostic?.message == "interrupted")
            #expect(diagnostic?.help == ["stopped early", "the variable holds the Int so far"])
        }
    }

    @Test func aCallNestedInAnExpressionBindsNothing() {
        let (it, d) = runChunks([
            "let listed = [stopped(1)]",
            "let summed = stopped(2) + 1",
            "fn wrap() { return stopped(3) }\nlet wrapped = wrap()",
            "let (x, y) = stopped(4)",
        ])
        for name in ["listed", "summed", "wrapped", "x", "y"] { #expect(it.globals[name] == nil, "\(name)") }
        #expect(d.allSatisfy { $0?.message == "interrupted" })
        #expect(d.allSatisfy { $0?.help == ["stopped early"] })
    }
}
