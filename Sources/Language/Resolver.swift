// The resolver: checks names and lowers the syntax tree into executable nodes, with every
// variable turned into a frame slot, a captured cell, an upvalue or a global index, so no
// name is looked up at run time.
//
// It runs twice over a chunk: the first pass only finds which local variables closures
// capture (those live in cells); the second builds the nodes and reports the diagnostics.

/// Identifies a declaration by where its name is written.
struct DeclKey: Hashable {
    let file: ObjectIdentifier
    let offset: Int
    let isSelf: Bool
}

/// What kind of code a function state holds.
enum FunctionKind {
    case script, function, method, initializer, lambda, test, fieldInitializer
}

/// A local variable in scope.
struct LocalVariable {
    let name: String
    let depth: Int
    let slot: Int
    /// The cell index, if a closure captures the variable.
    let cell: Int?
    let mutable: Bool
    let key: DeclKey
    let span: SourceSpan
}

/// Resolution state for one function being compiled.
final class FunctionState {
    let kind: FunctionKind
    let proto: ProtoDraft
    var locals: [LocalVariable] = []
    var scopeDepth = 0
    var nextSlot = 0
    var maxSlot = 0
    var cellCount = 0
    var loopDepth = 0
    /// Captured variables: name, where it comes from, mutability, and the declaration.
    var upvalues: [(name: String, capture: FunctionProto.Capture, mutable: Bool, key: DeclKey)] = []

    init(kind: FunctionKind, proto: ProtoDraft) {
        self.kind = kind
        self.proto = proto
    }
}

/// Resolves a parsed program against an interpreter's globals.
struct Resolver {
    let interpreter: Interpreter
    private var globals: GlobalEnvironment { interpreter.globals }
    private var diagnostics: [Diagnostic] = []
    /// Declarations captured by closures (found by the first pass).
    private var captured: Set<DeclKey> = []
    /// Declarations found captured during the current pass.
    private var foundCaptured: Set<DeclKey> = []
    private var functions: [FunctionState] = []
    /// Globals declared by this chunk: name → declaration.
    private var chunkGlobals: [String: SourceSpan] = [:]
    /// Top-level functions and classes, which are defined before the chunk's other statements run.
    private var hoistedGlobals: Set<String> = []
    /// Files being imported (to report cycles).
    private var importStack: [String]
    /// Imports compiled before the passes: statement offset → chunk.
    private var importedChunks: [Int: (path: String, chunk: CompiledChunk)] = [:]
    /// Set when an import failed: undefined names are then likely its names, so not reported.
    private var importFailed = false
    /// Whether the chunk's last expression statement should return its value (REPL).
    var returnsLastExpression = false

    init(interpreter: Interpreter, importStack: [String] = []) {
        self.interpreter = interpreter
        self.importStack = importStack
    }

    private var current: FunctionState { functions[functions.count - 1] }

    // MARK: - Entry point

    /// Resolves a program into a chunk, or nil with diagnostics.
    mutating func resolve(_ program: Program) -> (CompiledChunk?, [Diagnostic]) {
        var all = program.diagnostics
        if all.contains(where: { $0.severity == .error }) { return (nil, all) }
        let file = program.file
        predeclareGlobals(program.statements)
        compileImports(program.statements, file: file)
        let importDiagnostics = diagnostics
        // Pass 1: find captured variables.
        diagnostics = []
        _ = resolveChunk(program)
        captured = foundCaptured
        // Pass 2: build the nodes.
        diagnostics = []
        foundCaptured = []
        let chunk = resolveChunk(program)
        all += importDiagnostics + diagnostics
        if all.contains(where: { $0.severity == .error }) { return (nil, all) }
        return (chunk, all)
    }

    private mutating func resolveChunk(_ program: Program) -> CompiledChunk {
        let span = SourceSpan(file: program.file, offset: 0, length: 0, line: 1, column: 1)
        let proto = ProtoDraft(name: "<script>", parameterNames: [], span: span)
        functions = [FunctionState(kind: .script, proto: proto)]
        var hoisted: [StmtNode] = []
        var body: [StmtNode] = []
        for (i, s) in program.statements.enumerated() {
            if returnsLastExpression, i == program.statements.count - 1, case .expression(let e) = s.kind {
                body.append(ReturnNode(expression(e), span: s.span))
                continue
            }
            let nodes = statement(s)
            switch s.kind {
            case .function, .classDecl: hoisted += nodes
            default: body += nodes
            }
        }
        let state = functions.removeLast()
        proto.body = hoisted + body
        return CompiledChunk(proto: finish(state), file: program.file)
    }

    /// Declares every top-level name of the chunk as a global before resolving, so functions
    /// may refer to globals defined further down; reports duplicates.
    private mutating func predeclareGlobals(_ statements: [Stmt]) {
        func declare(_ name: String, _ span: SourceSpan, mutable: Bool) {
            if let previous = chunkGlobals[name] {
                error("'\(name)' is already defined at line \(previous.line)", at: span,
                      help: ["use a different name, or assign to the existing variable with '\(name) = …' (declared with 'var')"])
                return
            }
            chunkGlobals[name] = span
            globals.declare(name, mutable: mutable, at: span)
        }
        func declarePattern(_ p: Pattern, mutable: Bool) {
            switch p {
            case .name(let n, let s): if n != "_" { declare(n, s, mutable: mutable) }
            case .tuple(let ps, _): for q in ps { declarePattern(q, mutable: mutable) }
            }
        }
        for s in statements {
            switch s.kind {
            case .binding(let p, let mutable, _): declarePattern(p, mutable: mutable)
            case .function(let f):
                declare(f.name, f.nameSpan, mutable: false)
                hoistedGlobals.insert(f.name)
            case .classDecl(let c):
                declare(c.name, c.nameSpan, mutable: false)
                hoistedGlobals.insert(c.name)
            default: break
            }
        }
    }

    /// Compiles the files named by top-level `import` statements (once each).
    private mutating func compileImports(_ statements: [Stmt], file: SourceFile) {
        for s in statements {
            guard case .importStmt(let path, let pathSpan) = s.kind else { continue }
            guard let loader = interpreter.loadFile else {
                error("cannot import \"\(path)\": imports are not available here", at: pathSpan)
                importFailed = true
                continue
            }
            let loaded: LoadedFile
            do { loaded = try loader(path, file.path) } catch {
                let message = (error as? HostError)?.message ?? String(describing: error)
                self.error("cannot import \"\(path)\": \(message)", at: pathSpan)
                importFailed = true
                continue
            }
            if importStack.contains(loaded.path) || loaded.path == file.path {
                error("import cycle: \((importStack + [file.path, loaded.path]).joined(separator: " → "))", at: pathSpan,
                      help: ["move the shared code into a third file that both import"])
                importFailed = true
                continue
            }
            if let chunk = interpreter.compiledImports[loaded.path] {
                importedChunks[s.span.offset] = (loaded.path, chunk)
                continue
            }
            let source = SourceFile(path: loaded.path, text: loaded.text)
            let program = Parser.parse(source)
            var sub = Resolver(interpreter: interpreter, importStack: importStack + [file.path])
            let (chunk, diags) = sub.resolve(program)
            diagnostics += diags
            if chunk == nil { importFailed = true }
            if let chunk {
                interpreter.compiledImports[loaded.path] = chunk
                importedChunks[s.span.offset] = (loaded.path, chunk)
            }
        }
    }

    // MARK: - Diagnostics

    private mutating func error(_ message: String, at span: SourceSpan, help: [String] = []) {
        diagnostics.append(Diagnostic(.error, message, at: span, help: help))
    }

    /// Names visible from the current point, for suggestions.
    private var visibleNames: [String] {
        var names: [String] = []
        for f in functions { names += f.locals.map(\.name) }
        return names + globals.allNames
    }

    // MARK: - Scopes and declarations

    private func beginScope() { current.scopeDepth += 1 }

    private func endScope() {
        let f = current
        f.scopeDepth -= 1
        while let last = f.locals.last, last.depth > f.scopeDepth {
            f.locals.removeLast()
        }
        f.nextSlot = (f.locals.last { $0.cell == nil }?.slot).map { $0 + 1 } ?? (f.proto.isMethod ? 1 : 0)
        f.nextSlot = max(f.nextSlot, f.proto.isMethod ? 1 + f.proto.arity : f.proto.arity)
    }

    /// Whether declarations in the current scope are globals.
    private var atTopLevel: Bool { functions.count == 1 && current.scopeDepth == 0 }

    /// Declares a name in the current scope and returns where it lives. `fresh` cells are
    /// created by the declaration itself.
    private mutating func declare(_ name: String, _ span: SourceSpan, mutable: Bool, isSelf: Bool = false) -> Target {
        if name == "_" && !isSelf { return .discard }
        if atTopLevel {
            guard let i = globals.lookup(name) else { return .global(globals.declare(name, mutable: mutable, at: span)) }
            return .global(i)
        }
        let f = current
        if let existing = f.locals.last(where: { $0.name == name && $0.depth == f.scopeDepth }), !isSelf {
            error("'\(name)' is already defined in this scope (at line \(existing.span.line))", at: span,
                  help: ["use a different name, or assign to it with '\(name) = …' (declared with 'var')"])
        }
        let key = DeclKey(file: ObjectIdentifier(span.file), offset: span.offset, isSelf: isSelf)
        if captured.contains(key) {
            let cell = f.cellCount
            f.cellCount += 1
            f.locals.append(LocalVariable(name: name, depth: f.scopeDepth, slot: -1, cell: cell, mutable: mutable, key: key, span: span))
            return .cell(cell, fresh: true)
        }
        let slot = f.nextSlot
        f.nextSlot += 1
        f.maxSlot = max(f.maxSlot, f.nextSlot)
        f.locals.append(LocalVariable(name: name, depth: f.scopeDepth, slot: slot, cell: nil, mutable: mutable, key: key, span: span))
        return .local(slot)
    }

    private mutating func declarePattern(_ p: Pattern, mutable: Bool) -> Target {
        switch p {
        case .name(let n, let s): return declare(n, s, mutable: mutable)
        case .tuple(let ps, let s): return .pattern(ps.map { declarePattern($0, mutable: mutable) }, s)
        }
    }

    /// Where a name lives, searching locals, then enclosing functions, then globals.
    private enum Resolved {
        case local(LocalVariable)
        case upvalue(Int, mutable: Bool)
        case global(Int)
        case undefined
    }

    private mutating func lookup(_ name: String, span: SourceSpan) -> Resolved {
        if let v = current.locals.last(where: { $0.name == name }) { return .local(v) }
        if let up = resolveUpvalue(name, in: functions.count - 1) { return .upvalue(up, mutable: current.upvalues[up].mutable) }
        if let g = globals.lookup(name) {
            // A top-level statement may not use a global declared further down the chunk.
            if functions.count == 1, !hoistedGlobals.contains(name), let decl = chunkGlobals[name], decl.file === span.file, decl.offset > span.offset,
               globals.declaration(g)?.offset == decl.offset {
                error("'\(name)' is used before it is declared", at: span,
                      help: ["move the declaration at line \(decl.line) above this line"])
            }
            return .global(g)
        }
        return .undefined
    }

    /// Finds `name` in an enclosing function and threads it through the closures in between.
    private mutating func resolveUpvalue(_ name: String, in level: Int) -> Int? {
        guard level > 0 else { return nil }
        let f = functions[level]
        if let i = f.upvalues.firstIndex(where: { $0.name == name }) { return i }
        let enclosing = functions[level - 1]
        if let v = enclosing.locals.last(where: { $0.name == name }) {
            // Globals of the script are not captured; its block locals are.
            foundCaptured.insert(v.key)
            f.upvalues.append((name, .cell(v.cell ?? 0), v.mutable, v.key))
            return f.upvalues.count - 1
        }
        guard let outer = resolveUpvalue(name, in: level - 1) else { return nil }
        let up = functions[level - 1].upvalues[outer]
        f.upvalues.append((name, .upvalue(outer), up.mutable, up.key))
        return f.upvalues.count - 1
    }

    /// Finishes a function: freezes its body, frame layout and captures.
    private func finish(_ state: FunctionState) -> FunctionProto {
        let draft = state.proto
        return FunctionProto(draft: draft, frameSize: max(state.maxSlot, (draft.isMethod ? 1 : 0) + draft.arity),
                             cellCount: state.cellCount, captures: state.upvalues.map(\.capture))
    }

    // MARK: - Statements

    private mutating func block(_ stmts: [Stmt]) -> [StmtNode] {
        beginScope()
        defer { endScope() }
        return stmts.flatMap { statement($0) }
    }

    private mutating func statement(_ s: Stmt) -> [StmtNode] {
        switch s.kind {
        case .expression(let e):
            return [ExprStmt(expression(e))]
        case .binding(let pattern, let mutable, let valueExpr):
            let value = valueExpr.map { expression($0) } ?? ConstantNode(.nil, span: s.span)
            let target: Target
            if atTopLevel {
                target = globalPatternTarget(pattern)
            } else {
                target = declarePattern(pattern, mutable: mutable)
            }
            return [store(target, value, span: s.span)]
        case .assign(let targetExpr, let op, let valueExpr, let opSpan):
            return [assignment(targetExpr, op, valueExpr, span: s.span, operatorSpan: opSpan)]
        case .function(let decl):
            let target: Target = atTopLevel ? globalPatternTarget(.name(decl.name, decl.nameSpan))
                : declare(decl.name, decl.nameSpan, mutable: false)
            let proto = function(decl, kind: .function)
            return [FunctionDeclNode(proto, target: target, span: s.span)]
        case .classDecl(let decl):
            let target: Target = atTopLevel ? globalPatternTarget(.name(decl.name, decl.nameSpan))
                : declare(decl.name, decl.nameSpan, mutable: false)
            return [classDeclaration(decl, target: target, span: s.span)]
        case .ifStmt(let cond, let then, let elseBranch):
            let c = expression(cond)
            let t = block(then)
            var e: [StmtNode] = []
            if let elseBranch {
                if case .block(let stmts) = elseBranch.kind { e = block(stmts) } else { e = statement(elseBranch) }
            }
            return [IfNode(c, then: t, else: e, span: s.span)]
        case .whileStmt(let cond, let body):
            let c = expression(cond)
            current.loopDepth += 1
            let b = block(body)
            current.loopDepth -= 1
            return [WhileNode(c, b, span: s.span)]
        case .forStmt(let pattern, let seqExpr, let body):
            let seq = expression(seqExpr)
            beginScope()
            let target = declarePattern(pattern, mutable: false)
            current.loopDepth += 1
            let b = block(body)
            current.loopDepth -= 1
            endScope()
            return [ForNode(target, seq, b, span: s.span)]
        case .breakStmt, .continueStmt:
            let isBreak: Bool
            if case .breakStmt = s.kind { isBreak = true } else { isBreak = false }
            if current.loopDepth == 0 {
                error("'\(isBreak ? "break" : "continue")' outside a loop", at: s.span,
                      help: ["'\(isBreak ? "break" : "continue")' can only be used inside 'for' or 'while'"])
            }
            return [isBreak ? BreakNode(span: s.span) : ContinueNode(span: s.span)]
        case .returnStmt(let valueExpr):
            switch current.kind {
            case .script, .test, .fieldInitializer:
                error("'return' outside a function", at: s.span,
                      help: current.kind == .test ? ["a test ends at its last line; use 'expect' to check values"] : [])
            case .initializer where valueExpr != nil:
                error("'init' cannot return a value", at: s.span, help: ["write 'return' without a value, or remove it"])
            default: break
            }
            if let valueExpr { return [ReturnValueNode(expression(valueExpr), span: s.span)] }
            return [ReturnNode(nil, span: s.span)]
        case .block(let stmts):
            return [BlockNode(block(stmts), span: s.span)]
        case .importStmt:
            if !(functions.count == 1 && current.scopeDepth == 0) {
                error("'import' must be at the top level of a file", at: s.span)
                return []
            }
            guard let entry = importedChunks[s.span.offset] else { return [] }
            return [ImportNode(path: entry.path, chunk: entry.chunk, span: s.span)]
        case .test(let name, let options, let body):
            let points = options.points.map { expression($0) }
            let hidden = options.hidden.map { expression($0) }
            let timeout = options.timeout.map { expression($0) }
            let draft = ProtoDraft(name: "test \"\(name)\"", parameterNames: [], span: s.span)
            functions.append(FunctionState(kind: .test, proto: draft))
            draft.body = block(body)
            let proto = finish(functions.removeLast())
            return [TestNode(name: name, points: points, hidden: hidden, timeout: timeout, proto: proto, span: s.span)]
        case .expect(let cond, let messageExpr, let toleranceExpr, let pointsExpr):
            let c = expression(cond)
            var comparison: (BinaryOperator, ExprNode, ExprNode)?
            if case .binary(let op, let l, let r, _) = cond.kind {
                switch op {
                case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .contains:
                    comparison = (op, expression(l), expression(r))
                default: break
                }
            }
            if let toleranceExpr, comparison?.0 != .equal {
                error("'tolerance:' applies to a comparison with '=='", at: toleranceExpr.span,
                      help: ["write 'expect actual == expected, tolerance: 1e-3'"])
            }
            return [ExpectNode(c, message: messageExpr.map { expression($0) }, comparison: comparison,
                               tolerance: toleranceExpr.map { expression($0) }, points: pointsExpr.map { expression($0) },
                               span: s.span)]
        }
    }

    /// The target of a top-level declaration (already declared by `predeclareGlobals`).
    private mutating func globalPatternTarget(_ p: Pattern) -> Target {
        switch p {
        case .name(let n, let s):
            if n == "_" { return .discard }
            return .global(globals.lookup(n) ?? globals.declare(n, mutable: true, at: s))
        case .tuple(let ps, let s): return .pattern(ps.map { globalPatternTarget($0) }, s)
        }
    }

    /// A store into a target, using the specialised nodes where possible.
    private func store(_ target: Target, _ value: ExprNode, span: SourceSpan) -> StmtNode {
        switch target {
        case .local(let slot): return SetLocal(slot, value, span: span)
        case .global(let i): return SetGlobal(i, value, span: span)
        default: return AssignNode(target, value, span: span)
        }
    }

    /// `target = value` and `target op= value`.
    private mutating func assignment(_ targetExpr: Expr, _ op: BinaryOperator?, _ valueExpr: Expr,
                                     span: SourceSpan, operatorSpan: SourceSpan) -> StmtNode {
        switch targetExpr.kind {
        case .name(let name):
            let resolved = lookup(name, span: targetExpr.span)
            let operand = expression(valueExpr)
            var value = operand
            let current = nameNode(name, resolved, span: targetExpr.span)
            /// `x op v` for `x op= v`, updating a host object in place where it can.
            func compoundValue(_ op: BinaryOperator) -> ExprNode {
                CompoundNameNode(op, current: current, operand: operand,
                                 general: binaryNode(op, current, operand, span: span, rightExpr: valueExpr), span: span)
            }
            /// `x op= v` on a constant: only an in-place update of the object it holds.
            func updateConstant(_ op: BinaryOperator, declared: SourceSpan?) -> StmtNode {
                var help = ["declare it with 'var \(name) = …' to change it"]
                if let declared { help.insert("'\(name)' is declared at line \(declared.line)", at: 0) }
                return UpdateConstantNode(op, current: current, operand: operand, name: name, targetSpan: targetExpr.span,
                                          help: help, span: span)
            }
            if let op, op != .add { value = compoundValue(op) }
            switch resolved {
            case .local(let v):
                if let op, !v.mutable { return updateConstant(op, declared: v.span) }
                checkMutable(name, v.mutable, declared: v.span, at: targetExpr.span)
                if let cell = v.cell {
                    if op == .add { value = compoundValue(.add) }
                    return AssignNode(.cell(cell, fresh: false), value, span: span)
                }
                if op == .add {
                    if case .int(let k) = valueExpr.kind { return AddIntToLocal(v.slot, k, span: span) }
                    return AddToLocal(v.slot, value, span: span)
                }
                return SetLocal(v.slot, value, span: span)
            case .upvalue(let i, let mutable):
                if let op, !mutable { return updateConstant(op, declared: nil) }
                checkMutable(name, mutable, declared: nil, at: targetExpr.span)
                if op == .add { value = compoundValue(.add) }
                return AssignNode(.upvalue(i), value, span: span)
            case .global(let i):
                if !globals.isMutable(i) {
                    let decl = globals.declaration(i)
                    if decl == nil {
                        error("cannot assign to '\(name)': it is a built-in", at: targetExpr.span,
                              help: ["choose another name for your variable, e.g. 'var my_\(name) = …'"])
                    } else if let op {
                        return updateConstant(op, declared: decl)
                    } else {
                        checkMutable(name, false, declared: decl, at: targetExpr.span)
                    }
                }
                if op == .add { return AddToGlobal(i, name: name, value, span: span) }
                return SetGlobal(i, value, span: span)
            case .undefined:
                undefined(name, at: targetExpr.span, assigning: true)
                return ExprStmt(value)
            }
        case .member(let objExpr, let name, _):
            if case .selfRef = objExpr.kind {} // fields of self are checked at run time
            let object = expression(objExpr)
            if let local = object as? LocalGet {
                return SetLocalMemberNode(slot: local.slot, name: name, op: op, expression(valueExpr), span: span)
            }
            return SetMemberNode(object, name: name, op: op, expression(valueExpr), span: span)
        case .index(let objExpr, let subs):
            return SetIndexNode(expression(objExpr), subscripts(subs), op: op, expression(valueExpr), span: span)
        default:
            // The parser already reported this.
            return ExprStmt(expression(valueExpr))
        }
    }

    private mutating func checkMutable(_ name: String, _ mutable: Bool, declared: SourceSpan?, at span: SourceSpan) {
        guard !mutable else { return }
        var help = ["declare it with 'var \(name) = …' to change it"]
        if let declared { help.insert("'\(name)' is declared at line \(declared.line)", at: 0) }
        error("cannot assign to '\(name)': it is a constant", at: span, help: help)
    }

    /// Python spellings a newcomer types first, and Memento's.
    static let pythonSpellings: [String: String] = [
        "True": "Memento spells it 'true'",
        "False": "Memento spells it 'false'",
        "None": "Memento spells it 'nil'",
        "def": "Memento defines functions with 'fn name(a, b) { … }'",
        "lambda": "Memento writes an anonymous function as 'fn(x) => x * 2'",
        "elif": "Memento writes 'else if'",
        "help": "in the REPL, ':help NAME' shows the documentation of a name",
        "dir": "in the REPL, Tab after 'x.' lists a value's members, and ':help NAME' documents a built-in",
    ]

    private mutating func undefined(_ name: String, at span: SourceSpan, assigning: Bool = false) {
        if importFailed { return }
        var help: [String] = []
        if let spelling = Resolver.pythonSpellings[name] {
            help.append(spelling)
        } else if let hint = didYouMean(name, among: visibleNames) {
            help.append(hint)
        }
        if assigning { help.append("declare it first with 'var \(name) = …'") }
        error("undefined name '\(name)'", at: span, help: help)
    }

    /// Declares `self` in slot 0 of a method (moved into a cell if a closure captures it).
    private func declareSelf(_ state: FunctionState, _ span: SourceSpan) {
        let key = DeclKey(file: ObjectIdentifier(span.file), offset: span.offset, isSelf: true)
        state.nextSlot = 1
        state.maxSlot = max(state.maxSlot, 1)
        var cell: Int?
        if captured.contains(key) {
            cell = state.cellCount
            state.cellCount += 1
            state.proto.parameterCells.append((0, cell ?? 0))
        }
        state.locals.append(LocalVariable(name: "self", depth: 0, slot: 0, cell: cell, mutable: false, key: key, span: span))
    }

    /// Compiles a function, method, lambda or test body.
    private mutating func function(_ decl: FunctionDecl, kind: FunctionKind) -> FunctionProto {
        let proto = ProtoDraft(name: decl.name, parameterNames: decl.parameters.map(\.name), span: decl.nameSpan)
        let isMethod = kind == .method || kind == .initializer
        proto.isMethod = isMethod
        let state = FunctionState(kind: kind, proto: proto)
        functions.append(state)
        if isMethod { declareSelf(state, decl.span) }
        for p in decl.parameters {
            // Parameters always occupy their slots; captured ones also move into cells.
            let slot = state.nextSlot
            state.nextSlot += 1
            state.maxSlot = max(state.maxSlot, state.nextSlot)
            let key = DeclKey(file: ObjectIdentifier(p.span.file), offset: p.span.offset, isSelf: false)
            if captured.contains(key) {
                let cell = state.cellCount
                state.cellCount += 1
                proto.parameterCells.append((slot, cell))
                state.locals.append(LocalVariable(name: p.name, depth: 0, slot: slot, cell: cell, mutable: true, key: key, span: p.span))
            } else {
                state.locals.append(LocalVariable(name: p.name, depth: 0, slot: slot, cell: nil, mutable: true, key: key, span: p.span))
            }
        }
        proto.defaults = decl.parameters.map { p in p.defaultValue.map { expression($0) } }
        proto.body = decl.body.flatMap { statement($0) }
        return finish(functions.removeLast())
    }

    /// Compiles a class: its field initialiser, methods, and the declaration node.
    private mutating func classDeclaration(_ decl: ClassDecl, target: Target, span: SourceSpan) -> StmtNode {
        var seen: [String: SourceSpan] = [:]
        for f in decl.fields {
            if let prev = seen[f.name] {
                error("'\(f.name)' is already a member of \(decl.name) (line \(prev.line))", at: f.span)
            }
            seen[f.name] = f.span
        }
        for m in decl.methods {
            if let prev = seen[m.name] {
                error("'\(m.name)' is already a member of \(decl.name) (line \(prev.line))", at: m.nameSpan)
            }
            seen[m.name] = m.nameSpan
        }
        var fieldInit: FunctionProto?
        if decl.fields.contains(where: { $0.defaultValue != nil }) {
            let proto = ProtoDraft(name: "\(decl.name) fields", parameterNames: [], span: decl.nameSpan)
            proto.isMethod = true
            let state = FunctionState(kind: .fieldInitializer, proto: proto)
            functions.append(state)
            declareSelf(state, decl.span)
            var body: [StmtNode] = []
            for f in decl.fields {
                guard let d = f.defaultValue else { continue }
                body.append(SetMemberNode(LocalGet(0, span: f.span), name: f.name, op: nil, expression(d), span: f.span))
            }
            proto.body = body
            fieldInit = finish(functions.removeLast())
        }
        let methods = decl.methods.map { m in
            function(m, kind: m.name == "init" ? .initializer : .method)
        }
        return ClassDeclNode(name: decl.name, fieldNames: decl.fields.map(\.name), fieldMutable: decl.fields.map(\.mutable),
                             fieldHasDefault: decl.fields.map { $0.defaultValue != nil }, fieldInitializer: fieldInit,
                             methods: methods, target: target, span: span)
    }

    // MARK: - Expressions

    private mutating func nameNode(_ name: String, _ resolved: Resolved, span: SourceSpan) -> ExprNode {
        switch resolved {
        case .local(let v):
            if let cell = v.cell { return CellGet(cell, span: span) }
            return LocalGet(v.slot, span: span)
        case .upvalue(let i, _): return UpvalueGet(i, span: span)
        case .global(let i): return GlobalGet(i, name: name, span: span)
        case .undefined: return ConstantNode(.nil, span: span)
        }
    }

    /// Operators with inline int paths in the specialised operator nodes.
    private static let inlineOperators: Set<BinaryOperator> = [.add, .subtract, .multiply, .less, .lessEqual,
                                                               .greater, .greaterEqual, .equal, .notEqual]

    private mutating func binaryNode(_ op: BinaryOperator, _ l: ExprNode, _ r: ExprNode, span: SourceSpan,
                                     rightExpr: Expr) -> ExprNode {
        if let x = l as? LocalGet, let y = r as? LocalGet, Self.inlineOperators.contains(op) {
            return LocalsOpNode(op, x.slot, y.slot, span: span)
        }
        if case .int(let k) = rightExpr.kind {
            switch op {
            case .add, .subtract, .multiply, .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
                if let local = l as? LocalGet { return LocalIntConstantOpNode(op, slot: local.slot, k, span: span) }
                return IntConstantOpNode(op, l, k, span: span)
            default: break
            }
        }
        if op == .add { return AddNode(l, r, span: span) }
        return BinaryNode(op, l, r, span: span)
    }

    private mutating func subscripts(_ subs: [SubscriptSyntax]) -> [SubscriptNode] {
        subs.map { s in
            switch s {
            case .single(let e): return .single(expression(e))
            case .slice(let a, let b, let c):
                return .slice(a.map { expression($0) }, b.map { expression($0) }, c.map { expression($0) })
            }
        }
    }

    mutating func expression(_ e: Expr) -> ExprNode {
        switch e.kind {
        case .int(let v): return ConstantNode(.int(v), span: e.span)
        case .float(let v): return ConstantNode(.float(v), span: e.span)
        case .bool(let v): return ConstantNode(.bool(v), span: e.span)
        case .nil: return ConstantNode(.nil, span: e.span)
        case .invalid: return ConstantNode(.nil, span: e.span)
        case .string(let parts):
            if parts.isEmpty { return ConstantNode(.str(""), span: e.span) }
            if parts.count == 1, case .text(let t) = parts[0] { return ConstantNode(.str(t), span: e.span) }
            return InterpolationNode(parts.map { p in
                switch p {
                case .text(let t): return .text(t)
                case .expr(let x): return .expr(expression(x))
                }
            }, span: e.span)
        case .name(let name):
            let r = lookup(name, span: e.span)
            if case .undefined = r { undefined(name, at: e.span) }
            return nameNode(name, r, span: e.span)
        case .selfRef:
            let r = lookup("self", span: e.span)
            if case .undefined = r {
                error("'self' can only be used inside a method", at: e.span,
                      help: ["methods are functions declared inside a 'class'"])
            }
            return nameNode("self", r, span: e.span)
        case .list(let items), .tuple(let items):
            return ListNode(items.map { expression($0) }, span: e.span)
        case .record(let fields):
            return RecordNode(names: fields.map(\.name), values: fields.map { expression($0.value) }, span: e.span)
        case .dict(let entries):
            return DictNode(keys: entries.map { expression($0.key) }, values: entries.map { expression($0.value) }, span: e.span)
        case .unary(let op, let operand):
            if op == .negate, case .int(let v) = operand.kind { return ConstantNode(.int(-v), span: e.span) }
            if op == .negate, case .float(let v) = operand.kind { return ConstantNode(.float(-v), span: e.span) }
            return UnaryNode(op, expression(operand), span: e.span)
        case .binary(let op, let l, let r, _):
            return binaryNode(op, expression(l), expression(r), span: e.span, rightExpr: r)
        case .logical(let isAnd, let l, let r):
            return LogicalNode(isAnd: isAnd, expression(l), expression(r), span: e.span)
        case .conditional(let c, let t, let o):
            return makeConditional(expression(c), expression(t), expression(o), span: e.span)
        case .range(let l, let u, let closed):
            return RangeNode(expression(l), expression(u), closed: closed, span: e.span)
        case .call(let callee, let args):
            let argNodes = args.map { expression($0.value) }
            let labels = args.map(\.label)
            // Where an error about one argument points: `label: value`, or the value.
            let argSpans = args.map { a in a.labelSpan.map { $0.through(a.value.span) } ?? a.value.span }
            if case .member(let obj, let name, _) = callee.kind {
                return InvokeNode(expression(obj), name: name, args: argNodes, labels: labels, argSpans: argSpans, span: e.span)
            }
            if case .name(let name) = callee.kind, labels.allSatisfy({ $0 == nil }),
               case .global(let i) = lookup(name, span: callee.span) {
                return GlobalCallNode(global: i, name: name, calleeSpan: callee.span, args: argNodes, argSpans: argSpans, span: e.span)
            }
            return CallNode(expression(callee), args: argNodes, labels: labels, argSpans: argSpans, span: e.span)
        case .member(let obj, let name, _):
            let object = expression(obj)
            if let local = object as? LocalGet { return LocalMemberNode(slot: local.slot, name: name, span: e.span) }
            return MemberNode(object, name: name, span: e.span)
        case .index(let obj, let subs):
            return IndexNode(expression(obj), subscripts(subs), span: e.span)
        case .lambda(let decl):
            return LambdaNode(function(decl, kind: .lambda), span: e.span)
        }
    }
}
