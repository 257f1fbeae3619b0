@testable import Language
import Testing

/// Structures that refer to themselves cannot be freed by reference counting alone; the
/// interpreter breaks the ones reachable from its globals when the session ends.
@Suite("Reference cycles")
struct CycleTests {
    @Test("Self-referencing lists, dictionaries, records and instances are freed with the session")
    func globalCyclesAreFreed() {
        weak var list: ListObject?
        weak var dict: DictObject?
        weak var instance: Instance?
        weak var record: RecordObject?
        Interpreter.runOnLargeStack {
            let it = Interpreter()
            let diagnostics = it.run(source: """
            var l = []
            l.append(l)
            let d = {:}
            d["get"] = d.get
            class Node {
                var next = nil
            }
            let n = Node()
            n.next = fn() => n
            let r = (items: [1])
            r.items.append(r)
            """)
            #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
            if case .list(let l)? = it.globals["l"] { list = l }
            if case .dict(let d)? = it.globals["d"] { dict = d }
            if case .instance(let o)? = it.globals["n"] { instance = o }
            if case .record(let r)? = it.globals["r"] { record = r }
            #expect(list != nil && dict != nil && instance != nil && record != nil)
        }
        #expect(list == nil)
        #expect(dict == nil)
        #expect(instance == nil)
        #expect(record == nil)
    }
}
