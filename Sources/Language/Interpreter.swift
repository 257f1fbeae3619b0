// The interpreter: frames, calls, safe points (interrupts and step budgets), and the entry
// points the host uses to compile and run code.

import Synchronization

/// A flag the host sets (from any thread, e.g. a SIGINT handler) to stop a running script at
/// its next safe point. The script's variables are kept.
public final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    /// Asks the running script to stop.
    public func request() { flag.store(true, ordering: .relaxed) }
    /// Whether a stop was requested; clears the request.
    public func take() -> Bool { flag.exchange(false, ordering: .relaxed) }
}

/// Global variables: names resolved to indices at compile time, values in a flat buffer.
/// Persist across REPL inputs.
public final class GlobalEnvironment {
    private(set) var names: [String] = []
    private(set) var index: [String: Int] = [:]
    private(set) var mutable: [Bool] = []
    /// Where each global was declared (nil for host-defined ones).
    private(set) var declarations: [SourceSpan?] = []
    /// The buffers, behind a pointer so reads skip dynamic exclusivity checks.
    struct Storage {
        var values: UnsafeMutablePointer<Value>
        var defined: UnsafeMutablePointer<Bool>
        var capacity: Int
    }
    /// Stable for the environment's life (`grow` replaces the buffers inside it).
    let storage: UnsafeMutablePointer<Storage>
    var values: UnsafeMutablePointer<Value> { @inline(__always) get { storage.pointee.values } }
    var defined: UnsafeMutablePointer<Bool> { @inline(__always) get { storage.pointee.defined } }
    private var capacity: Int { storage.pointee.capacity }

    init() {
        let capacity = 256
        let values = UnsafeMutablePointer<Value>.allocate(capacity: capacity)
        values.initialize(repeating: .nil, count: capacity)
        let defined = UnsafeMutablePointer<Bool>.allocate(capacity: capacity)
        defined.initialize(repeating: false, count: capacity)
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(values: values, defined: defined, capacity: capacity))
    }

    deinit {
        Self.breakCycles(from: UnsafeBufferPointer(start: values, count: capacity))
        values.deinitialize(count: capacity)
        values.deallocate()
        defined.deallocate()
        storage.deallocate()
    }

    /// Reference counting cannot free a structure that refers to itself (`l.append(l)`,
    /// `d["get"] = d.get`, an instance holding a closure over itself), so when a session
    /// ends, every list, dictionary, record, instance, closure cell and class reachable from
    /// its globals is emptied first. The walk is iterative (no recursion on deep nesting)
    /// and keeps every object alive until all are emptied, so their release cascades no
    /// deeper than one level. Cycles that became unreachable while the session ran are not
    /// found this way; they stay allocated until the process ends.
    static func breakCycles(from roots: UnsafeBufferPointer<Value>) {
        var seen = Set<ObjectIdentifier>()
        var work: [Value] = Array(roots)
        var lists: [ListObject] = [], dicts: [DictObject] = [], records: [RecordObject] = []
        var instances: [Instance] = [], cells: [Cell] = [], classes: [ClassObject] = []
        func visit(_ object: AnyObject) -> Bool { seen.insert(ObjectIdentifier(object)).inserted }
        func closure(_ c: Closure) {
            guard visit(c) else { return }
            for cell in c.upvalues where visit(cell) {
                cells.append(cell)
                work.append(cell.value)
            }
        }
        while let v = work.popLast() {
            switch v {
            case .list(let l): if visit(l) { lists.append(l); work.append(contentsOf: l.items) }
            case .dict(let d): if visit(d) { dicts.append(d); work.append(contentsOf: d.keys); work.append(contentsOf: d.values) }
            case .record(let r): if visit(r) { records.append(r); work.append(contentsOf: r.values) }
            case .instance(let o):
                if visit(o) { instances.append(o); work.append(contentsOf: o.fields); work.append(.classType(o.cls)) }
            case .function(let c): closure(c)
            case .boundMethod(let b): if visit(b) { work.append(b.receiver); closure(b.method) }
            case .classType(let k):
                if visit(k) {
                    classes.append(k)
                    for m in k.methods.values { closure(m) }
                    if let f = k.fieldInitializer { closure(f) }
                }
            default: break
            }
        }
        for l in lists { l.items = [] }
        for d in dicts { d.removeAll() }
        for r in records { r.values = r.values.map { _ in .nil } }
        for o in instances { o.fields = o.fields.map { _ in .nil } }
        for c in cells { c.value = .nil }
        for k in classes { k.methods = [:]; k.fieldInitializer = nil }
    }

    /// All global names (for completion and suggestions).
    public var allNames: [String] { names }

    /// The index of a global, if declared.
    public func lookup(_ name: String) -> Int? { index[name] }

    /// The current value of a global, if it is defined.
    public subscript(name: String) -> Value? {
        guard let i = index[name], defined[i] else { return nil }
        return values[i]
    }

    /// Declares (or re-declares) a global and returns its index. Values are kept on redeclaration.
    @discardableResult
    func declare(_ name: String, mutable: Bool, at span: SourceSpan?) -> Int {
        if let i = index[name] {
            self.mutable[i] = mutable
            declarations[i] = span
            return i
        }
        let i = names.count
        if i >= capacity { grow() }
        names.append(name)
        index[name] = i
        self.mutable.append(mutable)
        declarations.append(span)
        return i
    }

    func isMutable(_ i: Int) -> Bool { mutable[i] }
    func declaration(_ i: Int) -> SourceSpan? { declarations[i] }

    /// Defines a global from the host (a constant unless `mutable`).
    public func define(_ name: String, _ value: Value, mutable: Bool = false) {
        let i = declare(name, mutable: mutable, at: nil)
        values[i] = value
        defined[i] = true
    }

    @inline(__always) func set(_ i: Int, _ v: Value) {
        (values + i).store(v)
        defined[i] = true
    }

    private func grow() {
        let newCapacity = capacity * 2
        let nv = UnsafeMutablePointer<Value>.allocate(capacity: newCapacity)
        nv.moveInitialize(from: values, count: capacity)
        (nv + capacity).initialize(repeating: .nil, count: newCapacity - capacity)
        values.deallocate()
        let nd = UnsafeMutablePointer<Bool>.allocate(capacity: newCapacity)
        nd.moveInitialize(from: defined, count: capacity)
        (nd + capacity).initialize(repeating: false, count: newCapacity - capacity)
        defined.deallocate()
        storage.pointee = Storage(values: nv, defined: nd, capacity: newCapacity)
    }
}

/// Runs compiled code. One interpreter holds one session's globals (a script, a notebook or a
/// REPL); it is used from one thread at a time.
public final class Interpreter {
    // MARK: Host configuration

    /// Global variables, including built-ins and host bindings.
    public let globals = GlobalEnvironment()
    /// Receives everything `print` writes (text includes the line end).
    public var output: (String) -> Void = { Swift.print($0, terminator: "") }
    /// Loads a file for `import`: `(path as written, path of the importing file)`. The host
    /// sandboxes it. Without a loader, `import` is an error.
    public var loadFile: ((_ path: String, _ importer: String) throws -> LoadedFile)?
    /// Receives each `test` block as the script reaches it. Without a handler, tests run at
    /// once and print `test "name" passed` or the failure.
    public var testHandler: ((TestCase) -> Void)?
    /// Receives each `expect … , points: k` a test reaches (partial credit). Returning true
    /// means the host has recorded the outcome, and a failed expectation then lets the test
    /// go on instead of stopping it. Without a handler (or when it returns false) a weighted
    /// `expect` behaves like a plain one.
    public var expectHandler: ((ExpectOutcome) -> Bool)?
    /// Compares host values (e.g. tensors) for `expect a == b [, tolerance: t]`: return nil
    /// when neither value is the host's. The Runtime sets it for tensors.
    public var compareHostValues: ((_ left: Value, _ right: Value, _ tolerance: Double) throws -> ValueComparison?)?
    /// Set from another thread to stop the running code at its next safe point.
    public let interrupt = InterruptFlag()
    /// Called before each top-level statement of a chunk; false skips the statement. With
    /// `topLevelStatementFailed`, lets a host run a file statement by statement (the grader
    /// loads a submission so, giving each statement its own time budget).
    public var beforeTopLevelStatement: ((SourceSpan) -> Bool)?
    /// Called when a top-level statement of a chunk fails; true goes on with the next
    /// statement (what the failed one would have defined stays undefined), false stops the
    /// chunk with the error as usual.
    public var topLevelStatementFailed: ((RuntimeError, SourceSpan) -> Bool)?
    /// Remaining steps (loop iterations and calls) before the run stops; nil for no limit.
    public var stepBudget: Int?
    /// The deepest allowed call nesting; deeper recursion is a "stack overflow" error.
    public var maxCallDepth: Int {
        get { registers.pointee.maxCallDepth }
        set { registers.pointee.maxCallDepth = newValue }
    }

    // MARK: Frames

    let stack: UnsafeMutablePointer<Value>
    let stackCapacity = 1 << 18
    /// `globals.storage`, one load closer for the call fast path.
    let globalStorage: UnsafeMutablePointer<GlobalEnvironment.Storage>

    /// The interpreter's hot mutable state. It lives behind a pointer so that reading and
    /// writing it does not pay for Swift's dynamic exclusivity checks on class properties.
    struct Registers {
        /// The current frame's first slot.
        var fp: UnsafeMutablePointer<Value>
        /// The first free slot.
        var sp = 0
        var depth = 0
        /// Safe-point countdown: the interrupt flag and budget are checked when it reaches zero.
        var ticks = 1
        var ticksGranted = 1
        var maxCallDepth = 1_500
        /// The value of the last `return`.
        var returnValue: Value = .nil
        /// Cells of the current frame's captured variables.
        var cells: [Cell] = []
        /// Cells the running closure captured.
        var upvalues: [Cell] = []
    }
    let registers: UnsafeMutablePointer<Registers>

    var fp: UnsafeMutablePointer<Value> {
        @inline(__always) get { registers.pointee.fp }
        @inline(__always) set { registers.pointee.fp = newValue }
    }
    var sp: Int {
        @inline(__always) get { registers.pointee.sp }
        @inline(__always) set { registers.pointee.sp = newValue }
    }
    var depth: Int {
        @inline(__always) get { registers.pointee.depth }
        @inline(__always) set { registers.pointee.depth = newValue }
    }
    var ticks: Int {
        @inline(__always) get { registers.pointee.ticks }
        @inline(__always) set { registers.pointee.ticks = newValue }
    }
    private var ticksGranted: Int {
        get { registers.pointee.ticksGranted }
        set { registers.pointee.ticksGranted = newValue }
    }
    var returnValue: Value {
        @inline(__always) get { registers.pointee.returnValue }
        @inline(__always) set { registers.pointee.returnValue = newValue }
    }
    var cells: [Cell] {
        @inline(__always) get { registers.pointee.cells }
        @inline(__always) set { registers.pointee.cells = newValue }
    }
    var upvalues: [Cell] {
        @inline(__always) get { registers.pointee.upvalues }
        @inline(__always) set { registers.pointee.upvalues = newValue }
    }
    /// Files already imported (each runs once).
    var importedPaths: Set<String> = []
    /// Imported files already compiled, by path.
    var compiledImports: [String: CompiledChunk] = [:]
    /// The span of the native call in progress (errors from callbacks point here).
    public internal(set) var nativeCallSpan: SourceSpan?
    /// Instances whose initialisation is running (their `let` fields may be assigned).
    var constructing: [Instance] = []
    /// Every chunk this interpreter has run (or imported), kept until it is deinitialised.
    /// A chunk's tree owns every `FunctionProto` compiled from it (through the declaration
    /// and lambda nodes), so keeping the chunks guarantees that a proto outlives any call
    /// into it, even after the closure that was called is released (e.g. its global is
    /// reassigned while it runs). The call fast paths rely on this to use protos without
    /// retaining them. The cost is the trees of past REPL inputs (a few KB each).
    private var retainedChunks: [CompiledChunk] = []
    private var retainedChunkIDs: Set<ObjectIdentifier> = []

    /// Keeps `chunk` (see `retainedChunks`).
    func retain(_ chunk: CompiledChunk) {
        if retainedChunkIDs.insert(ObjectIdentifier(chunk)).inserted { retainedChunks.append(chunk) }
    }

    public init() {
        stack = .allocate(capacity: stackCapacity)
        stack.initialize(repeating: .nil, count: stackCapacity)
        registers = .allocate(capacity: 1)
        registers.initialize(to: Registers(fp: stack))
        globalStorage = globals.storage
        Builtins.install(in: self)
    }

    deinit {
        stack.deinitialize(count: stackCapacity)
        stack.deallocate()
        registers.deinitialize(count: 1)
        registers.deallocate()
    }

    // MARK: - Compiling and running

    /// Parses and resolves a file against the current globals. Returns the chunk, or the
    /// diagnostics if there were errors (the globals are then left as they were, apart from
    /// declarations of names that become usable in later inputs).
    /// With `repl`, a final expression statement becomes the chunk's result (for echoing).
    public func compile(_ file: SourceFile, repl: Bool = false) -> Result<CompiledChunk, CompileErrors> {
        let program = Parser.parse(file)
        var resolver = Resolver(interpreter: self)
        resolver.returnsLastExpression = repl
        let (chunk, diagnostics) = resolver.resolve(program)
        if diagnostics.contains(where: { $0.severity == .error }) || chunk == nil {
            return .failure(CompileErrors(diagnostics: diagnostics))
        }
        guard let chunk else { return .failure(CompileErrors(diagnostics: diagnostics)) }
        return .success(chunk)
    }

    /// Runs a compiled chunk. Its top-level declarations become globals that later chunks see.
    /// Call on a thread with a large stack (see `runOnLargeStack`).
    public func run(_ chunk: CompiledChunk) throws(RuntimeError) -> Value {
        resetSafePoints()
        let base = sp
        guard base + chunk.proto.frameSize <= stackCapacity else {
            throw RuntimeError("stack overflow", at: chunk.proto.span, kind: .stackOverflow)
        }
        sp = base + chunk.proto.frameSize
        retain(chunk)
        let savedDepth = depth
        do {
            let v = try invoke(Closure(proto: chunk.proto, upvalues: []), base: base, span: chunk.proto.span, isChunk: true)
            return v
        } catch {
            depth = savedDepth
            sp = base
            throw error
        }
    }

    /// Compiles and runs source text; returns the diagnostics (compile errors, or the runtime
    /// error) — empty on success.
    @discardableResult
    public func run(source: String, path: String = "<input>") -> [Diagnostic] {
        let file = SourceFile(path: path, text: source)
        switch compile(file) {
        case .failure(let e): return e.diagnostics
        case .success(let chunk):
            do {
                _ = try run(chunk)
                return []
            } catch {
                return [error.diagnostic]
            }
        }
    }

    /// Runs `body` on a thread with a large stack (512 MiB reserved), so deep recursion in
    /// scripts reaches the `maxCallDepth` check long before the real stack runs out.
    public static func runOnLargeStack<T>(_ body: () -> T) -> T {
        LargeStack.run(body)
    }

    // MARK: - Safe points

    private func resetSafePoints() {
        ticks = 1
        ticksGranted = 1
    }

    /// Called at every loop iteration and call. Cheap: a countdown; the flag and the budget
    /// are checked every few hundred steps.
    @inline(__always)
    func safePoint(_ span: SourceSpan) throws(RuntimeError) {
        ticks &-= 1
        if ticks <= 0 { try slowSafePoint(span) }
    }

    private func slowSafePoint(_ span: SourceSpan) throws(RuntimeError) {
        if interrupt.take() {
            ticks = 1
            throw RuntimeError("interrupted", at: span, kind: .interrupted)
        }
        var grant = 256
        if var budget = stepBudget {
            budget -= ticksGranted
            stepBudget = max(budget, 0)
            if budget <= 0 {
                ticks = 1
                ticksGranted = 1
                throw RuntimeError("step budget exhausted", at: span,
                                   help: ["the script ran longer than allowed; look for a loop that never ends"],
                                   kind: .budgetExhausted)
            }
            grant = min(grant, budget)
        }
        ticks = grant
        ticksGranted = grant
    }

    // MARK: - Calls

    /// Runs a closure whose frame is already in place at `base` (arguments stored, `sp` past
    /// the frame). Restores the caller's frame whether it returns or throws.
    func invoke(_ c: Closure, base: Int, span: SourceSpan, pendingDefaults: [Int] = [],
                isChunk: Bool = false) throws(RuntimeError) -> Value {
        let proto = c.proto
        if depth >= maxCallDepth { throw callDepthExceeded(proto, base: base, span: span) }
        depth += 1
        let savedFp = fp
        let swapsUpvalues = !proto.captures.isEmpty
        var savedUpvalues: [Cell] = []
        if swapsUpvalues {
            savedUpvalues = upvalues
            upvalues = c.upvalues
        }
        fp = stack + base
        var savedCells: [Cell]?
        if proto.cellCount > 0 {
            savedCells = cells
            var fresh: [Cell] = []
            fresh.reserveCapacity(proto.cellCount)
            for _ in 0..<proto.cellCount { fresh.append(Cell(.nil)) }
            cells = fresh
        }
        var result = Value.nil
        do throws(RuntimeError) {
            if !isChunk { try safePoint(span) }
            for slot in pendingDefaults {
                let def = slot - (proto.isMethod ? 1 : 0)
                if def >= 0, def < proto.defaults.count, let node = proto.defaults[def] {
                    fp[slot] = try node.eval(self)
                }
            }
            for (slot, cell) in proto.parameterCells { registers.pointee.cells[cell] = Cell(fp[slot]) }
            if !isChunk, let e = proto.bodyExpressionRef {
                result = try e.eval(self)
            } else if isChunk, beforeTopLevelStatement != nil || topLevelStatementFailed != nil {
                for s in proto.body.refs {
                    let stmtSpan = s.takeUnretainedValue().span
                    if let before = beforeTopLevelStatement, !before(stmtSpan) { continue }
                    let savedSp = sp, savedDepth = depth
                    do throws(RuntimeError) {
                        if case .returned = try s.exec(self) {
                            result = takeReturnValue()
                            break
                        }
                    } catch {
                        guard let failed = topLevelStatementFailed, failed(error, stmtSpan) else { throw error }
                        sp = savedSp
                        depth = savedDepth
                        fp = stack + base
                    }
                }
            } else {
                for s in proto.body.refs {
                    if case .returned = try s.exec(self) {
                        result = takeReturnValue()
                        break
                    }
                }
            }
        } catch var e {
            if !isChunk {
                for i in 0..<proto.frameSize { fp[i] = .nil }
            }
            fp = savedFp
            if swapsUpvalues { upvalues = savedUpvalues }
            if let savedCells { cells = savedCells }
            sp = base
            depth -= 1
            if !isChunk {
                e.addCall(proto.name, at: span)
            }
            throw e
        }
        if !isChunk {
            for i in 0..<proto.frameSize { fp[i] = .nil }
        }
        fp = savedFp
        if swapsUpvalues { upvalues = savedUpvalues }
        if let savedCells { cells = savedCells }
        sp = base
        depth -= 1
        return result
    }

    /// The call path for a plain function (`FunctionProto.isPlain`: no cells, no upvalues)
    /// whose frame is in place at `base` with every argument given: the same steps as
    /// `invoke` (depth check, safe point, body, frame cleared and restored, traceback entry
    /// on errors) without the cell, upvalue and default-argument bookkeeping.
    @inline(__always)
    func invokePlain(_ proto: FunctionProto, base: Int, span: SourceSpan) throws(RuntimeError) -> Value {
        let r = registers
        let depth = r.pointee.depth
        if depth >= r.pointee.maxCallDepth { throw callDepthExceeded(proto, base: base, span: span) }
        r.pointee.depth = depth &+ 1
        let savedFp = r.pointee.fp
        let frame = stack + base
        r.pointee.fp = frame
        var result = Value.nil
        do {
            try safePoint(span)
            if let e = proto.bodyExpressionRef {
                result = try e.eval(self)
            } else if case .returned = try proto.body.exec(self) {
                result = takeReturnValue()
            }
        } catch {
            throw unwindPlain(error, proto, savedFp: savedFp, base: base, span: span)
        }
        for i in 0..<proto.frameSize { (frame + i).clear() }
        r.pointee.fp = savedFp
        r.pointee.sp = base
        r.pointee.depth = depth
        return result
    }

    /// `invokePlain` through an unretained proto (see `retainedChunks` for why it stays alive).
    @inline(__always)
    func invokePlain(_ proto: Unmanaged<FunctionProto>, base: Int, span: SourceSpan) throws(RuntimeError) -> Value {
        try proto._withUnsafeGuaranteedRef { p in
            Result { () throws(RuntimeError) in try invokePlain(p, base: base, span: span) }
        }.get()
    }

    /// Leaves a plain function's frame on an error and adds the call to the traceback.
    @inline(never)
    private func unwindPlain(_ error: RuntimeError, _ proto: FunctionProto, savedFp: UnsafeMutablePointer<Value>,
                             base: Int, span: SourceSpan) -> RuntimeError {
        var e = error
        for i in 0..<proto.frameSize { fp[i] = .nil }
        fp = savedFp
        sp = base
        depth -= 1
        e.addCall(proto.name, at: span)
        return e
    }

    /// The "stack overflow" error for a call beyond `maxCallDepth`; clears the callee's
    /// frame (its arguments) and releases it.
    @inline(never)
    func callDepthExceeded(_ proto: FunctionProto, base: Int, span: SourceSpan) -> RuntimeError {
        for i in base..<min(base + proto.frameSize, stackCapacity) { stack[i] = .nil }
        sp = base
        return RuntimeError("stack overflow: more than \(maxCallDepth) nested calls", at: span,
                            help: ["a recursive function may be missing its base case"], kind: .stackOverflow)
    }

    /// Moves the value of the last `return` out of its register (leaving `nil` there).
    @inline(__always)
    func takeReturnValue() -> Value {
        var v = Value.nil
        swap(&v, &registers.pointee.returnValue)
        return v
    }

    /// Reserves a frame of `size` slots at the top of the stack and returns its base.
    @inline(__always)
    func reserveFrame(_ size: Int, span: SourceSpan) throws(RuntimeError) -> Int {
        let base = sp
        guard base + size <= stackCapacity else { throw stackFull(span) }
        sp = base + size
        return base
    }

    @inline(never)
    private func stackFull(_ span: SourceSpan) -> RuntimeError {
        RuntimeError("stack overflow: the script's frames filled the stack", at: span,
                     help: ["a recursive function may be missing its base case"], kind: .stackOverflow)
    }

    /// Calls a script closure with already-evaluated arguments, matching names and defaults.
    func callClosure(_ c: Closure, receiver: Value?, _ positional: [Value], _ named: [(name: String, value: Value)],
                     span: SourceSpan) throws(RuntimeError) -> Value {
        let proto = c.proto
        let offset = proto.isMethod ? 1 : 0
        let base = try reserveFrame(max(proto.frameSize, 1), span: span)
        if named.isEmpty, positional.count == proto.arity {
            // Every parameter given by position (callbacks from `map`, `filter`, `sort`, …):
            // no name matching or defaults. `invoke`/`invokePlain` unwind the frame on errors.
            if proto.isMethod { (stack + base).store(receiver ?? .nil) }
            for i in 0..<positional.count { (stack + base + offset + i).store(positional[i]) }
            if proto.isPlain { return try invokePlain(proto, base: base, span: span) }
            return try invoke(c, base: base, span: span)
        }
        do throws(RuntimeError) {
            if proto.isMethod { stack[base] = receiver ?? .nil }
            if positional.count > proto.arity {
                throw RuntimeError(
                    "\(describeCallee(proto)) takes \(proto.arity) argument\(proto.arity == 1 ? "" : "s") but \(positional.count) were given",
                    at: span, help: ["the signature is \(signature(proto))"])
            }
            var given = [Bool](repeating: false, count: proto.arity)
            for (i, v) in positional.enumerated() {
                stack[base + offset + i] = v
                given[i] = true
            }
            for (name, v) in named {
                guard let i = proto.parameterNames.firstIndex(of: name) else {
                    var help: [String] = []
                    if let hint = didYouMean(name, among: proto.parameterNames) { help.append(hint) }
                    help.append("the signature is \(signature(proto))")
                    throw RuntimeError("\(describeCallee(proto)) has no parameter named '\(name)'", at: span, help: help)
                }
                if given[i] {
                    throw RuntimeError("argument '\(name)' of \(describeCallee(proto)) is given twice", at: span)
                }
                stack[base + offset + i] = v
                given[i] = true
            }
            var pending: [Int] = []
            for i in 0..<proto.arity where !given[i] {
                guard i < proto.defaults.count, proto.defaults[i] != nil else {
                    throw RuntimeError("missing argument '\(proto.parameterNames[i])' in call to \(describeCallee(proto))",
                                       at: span, help: ["the signature is \(signature(proto))"])
                }
                pending.append(offset + i)
            }
            return try invoke(c, base: base, span: span, pendingDefaults: pending)
        } catch {
            for i in base..<min(base + proto.frameSize, stackCapacity) { stack[i] = .nil }
            sp = base
            throw error
        }
    }

    func describeCallee(_ proto: FunctionProto) -> String {
        proto.name == "<lambda>" ? "the anonymous function" : "'\(proto.name)'"
    }

    func signature(_ proto: FunctionProto) -> String {
        var parts: [String] = []
        for (i, n) in proto.parameterNames.enumerated() {
            if i < proto.defaults.count, let d = proto.defaults[i] { parts.append("\(n) = \(d.span.text)") } else { parts.append(n) }
        }
        return "\(proto.name == "<lambda>" ? "fn" : proto.name)(\(parts.joined(separator: ", ")))"
    }

    /// Calls any callable value with evaluated arguments.
    func callValue(_ callee: Value, _ positional: [Value], _ named: [(name: String, value: Value)],
                   span: SourceSpan) throws(RuntimeError) -> Value {
        switch callee {
        case .function(let c):
            return try callClosure(c, receiver: nil, positional, named, span: span)
        case .boundMethod(let m):
            return try callClosure(m.method, receiver: m.receiver, positional, named, span: span)
        case .native(let f):
            return try callNative(f, Arguments(positional, named: named), span: span)
        case .classType(let cls):
            return try construct(cls, positional, named, span: span)
        case .host(let h):
            var args = Arguments(positional, named: named)
            let saved = nativeCallSpan
            nativeCallSpan = span
            defer { nativeCallSpan = saved }
            let result: Value?
            do { result = try h.call(args, interpreter: self) } catch { throw hostError(error, span) }
            args.bound = []
            guard let result else {
                throw RuntimeError("\(h.typeName) is not callable", at: span)
            }
            return result
        default:
            throw RuntimeError("\(callee.typeName) is not callable", at: span,
                               help: callee.typeName == "nil" ? ["the value is nil; check that it was assigned"] : [])
        }
    }

    /// Calls a native function, converting host errors into runtime errors at `span`.
    func callNative(_ f: NativeFunction, _ args: Arguments, span: SourceSpan) throws(RuntimeError) -> Value {
        var args = args
        let saved = nativeCallSpan
        nativeCallSpan = span
        defer { nativeCallSpan = saved }
        do {
            try f.bind(&args)
            return try f.body(&args, self)
        } catch {
            var e = hostError(error, span)
            if e.argument != nil, e.callSites.isEmpty { e.argument = f.locate(e.argument, in: args) }
            throw e
        }
    }

    /// Converts an error thrown by host code into a runtime error at `span`.
    func hostError(_ error: any Error, _ span: SourceSpan) -> RuntimeError {
        if let e = error as? RuntimeError { return e }
        if let e = error as? HostError {
            var r = RuntimeError(e.message, at: span, help: e.help)
            r.argument = e.argument
            r.partial = e.partial
            return r
        }
        if let e = error as? Diagnostic { return RuntimeError(e.message, at: span, help: e.help) }
        return RuntimeError(String(describing: error), at: span)
    }

    /// Creates an instance of a script class: field defaults, then `init` or memberwise fields.
    func construct(_ cls: ClassObject, _ positional: [Value], _ named: [(name: String, value: Value)],
                   span: SourceSpan) throws(RuntimeError) -> Value {
        let obj = Instance(cls: cls)
        let value = Value.instance(obj)
        constructing.append(obj)
        defer { constructing.removeLast() }
        if let initFields = cls.fieldInitializer {
            _ = try callClosure(initFields, receiver: value, [], [], span: span)
        }
        if let initMethod = cls.methods["init"] {
            _ = try callClosure(initMethod, receiver: value, positional, named, span: span)
            return value
        }
        // Memberwise: positional in field order, then by name.
        if positional.count > cls.fieldNames.count {
            throw RuntimeError("\(cls.name) has \(cls.fieldNames.count) field\(cls.fieldNames.count == 1 ? "" : "s") but \(positional.count) arguments were given",
                               at: span, help: ["fields: \(cls.fieldNames.joined(separator: ", "))"])
        }
        var given = [Bool](repeating: false, count: cls.fieldNames.count)
        for (i, v) in positional.enumerated() {
            obj.fields[i] = v
            given[i] = true
        }
        for (name, v) in named {
            guard let i = cls.fieldIndex[name] else {
                var help: [String] = []
                if let hint = didYouMean(name, among: cls.fieldNames) { help.append(hint) }
                help.append("fields of \(cls.name): \(cls.fieldNames.joined(separator: ", "))")
                throw RuntimeError("\(cls.name) has no field named '\(name)'", at: span, help: help)
            }
            obj.fields[i] = v
            given[i] = true
        }
        for i in 0..<cls.fieldNames.count where !given[i] && !cls.fieldHasDefault[i] {
            throw RuntimeError("missing argument '\(cls.fieldNames[i])' to construct \(cls.name)", at: span,
                               help: ["give it as \(cls.name)(\(cls.fieldNames[i]): …), give the field a default, or define 'fn init(…)'"])
        }
        return value
    }

    // MARK: - Host-facing helpers

    /// Calls a value (script function, native function, class, or callable host object) from
    /// host code, e.g. a callback passed to `train`. Errors come back as `RuntimeError`.
    public func call(_ callee: Value, _ positional: [Value], named: [(name: String, value: Value)] = []) throws(RuntimeError) -> Value {
        let span = nativeCallSpan ?? Interpreter.hostSpan
        do {
            return try callValue(callee, positional, named, span: span)
        } catch {
            throw Interpreter.forgetArgument(error)
        }
    }

    /// An error from a call the host made: its argument is not one of the script's call
    /// whose span it carries, so no node may move it there.
    static func forgetArgument(_ error: RuntimeError) -> RuntimeError {
        var e = error
        e.argument = nil
        return e
    }

    /// Moves an error about one argument of the call at `span` onto that argument: the value
    /// of a positional argument, or `label: value` of a keyword argument.
    func pointAtArgument(_ error: RuntimeError, call span: SourceSpan, arguments: [SourceSpan], labels: [String?]) -> RuntimeError {
        guard let reference = error.argument, error.callSites.isEmpty,
              error.span.offset == span.offset, error.span.length == span.length, error.span.file === span.file else { return error }
        var e = error
        e.argument = nil
        var index: Int?
        switch reference {
        case .position(let p):
            var seen = 0
            for (i, label) in labels.enumerated() where label == nil {
                if seen == p { index = i; break }
                seen += 1
            }
        case .keyword(let name), .parameter(let name):
            index = labels.firstIndex { $0 == name }
        }
        if let index, index < arguments.count { e.span = arguments[index] }
        return e
    }

    /// Reads a member of any value (`obj.name`), as a script would.
    public func member(of object: Value, _ name: String) throws(RuntimeError) -> Value {
        try getMember(object, name, span: nativeCallSpan ?? Interpreter.hostSpan)
    }

    /// Calls a method of any value (`obj.name(args)`), as a script would. This is how the
    /// runtime drives environments and models written in the language.
    public func callMethod(_ object: Value, _ name: String, _ positional: [Value],
                           named: [(name: String, value: Value)] = []) throws(RuntimeError) -> Value {
        do {
            return try invokeMethod(object, name, positional, named, span: nativeCallSpan ?? Interpreter.hostSpan)
        } catch {
            throw Interpreter.forgetArgument(error)
        }
    }

    /// Whether a value has a member (field or method) of this name.
    public func hasMember(_ object: Value, _ name: String) -> Bool {
        switch object {
        case .instance(let o): return o.cls.fieldIndex[name] != nil || o.cls.methods[name] != nil
        case .record(let r): return r.names.contains(name)
        case .host(let h): return h.memberNames.contains(name)
        default: return false
        }
    }

    /// Converts a value to text the way `print` does.
    public func stringify(_ v: Value) -> String { describe(v, quoted: false) }

    static let hostSpan = SourceSpan(file: SourceFile(path: "<host>", text: ""), offset: 0, length: 0, line: 1, column: 1)
}

/// Compile errors from `Interpreter.compile`.
public struct CompileErrors: Error {
    public var diagnostics: [Diagnostic]
}
