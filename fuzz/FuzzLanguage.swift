// A libFuzzer target over the whole language pipeline: lexer, parser, resolver and a
// step-bounded interpreter (no engine bindings, so the input alone decides what runs).
// Any crash, trap or sanitizer report is a bug: no input may crash the process.
// Built and run by fuzz/run.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let interpreter = Interpreter()
    interpreter.stepBudget = 20_000
    interpreter.maxCallDepth = 200
    interpreter.output = { _ in }
    interpreter.loadFile = { path, _ in throw HostError("imports are disabled while fuzzing (\(path))") }
    let file = SourceFile(path: "fuzz.mem", text: text)
    switch interpreter.compile(file) {
    case .failure(let errors):
        for d in errors.diagnostics { _ = d.render(); _ = d.json }
    case .success(let chunk):
        do { _ = try interpreter.run(chunk) } catch { _ = error.diagnostic.render() }
    }
    return 0
}
