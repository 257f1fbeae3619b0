import Configuration
import Testing

/// A configuration like an algorithm's, with one field of each kind.
struct Sample: Configurable {
    enum Mode: String, CaseIterable, FieldChoice { case fast, careful }
    var rate: Float = 1e-3
    var gamma: Double = 0.99
    var size = 32
    var flag = true
    var mode = Mode.fast
    var clip: Float? = nil
    var seed: UInt64 = 0
    init() {}
    static let fields: [ConfigField<Sample>] = [
        ConfigField("rate", \.rate, "α", .positive),
        ConfigField("gamma", \.gamma, "γ", .unit),
        ConfigField("size", \.size, "n", .atLeast(1)),
        ConfigField("flag", \.flag, "a flag"),
        ConfigField("mode", \.mode, "how"),
        ConfigField("clip", \.clip, "clip", .positive),
        ConfigField("seed", \.seed, "seed"),
    ]
}

struct Wrapper: Configurable {
    var extra = 5
    var inner = Sample()
    init() {}
    static let fields: [ConfigField<Wrapper>] = [ConfigField("extra", \.extra, "e")] + Sample.fields.map { $0.lifted(through: \.inner) }
}

@Suite struct ConfigFieldTests {
    @Test func defaultsAreReadFromTheInitialiser() {
        #expect(Sample.defaults == [.float(0.001), .float(0.99), .int(32), .bool(true), .string("fast"), .none, .int(0)])
        #expect(Sample.fields[4].kind == .choice(["fast", "careful"]))
        #expect(Sample.fields[5].isOptional && !Sample.fields[0].isOptional)
        #expect(Sample.fields[5].accepts == "Float > 0, or nil")
    }

    @Test func valuesReachTheirFields() throws {
        let s = try Sample([("rate", .float(0.5)), ("gamma", .int(0)), ("size", .float(7)), ("flag", .bool(false)),
                            ("mode", .string("careful")), ("clip", .float(2)), ("seed", .int(-1))])
        #expect(s.rate == 0.5 && s.gamma == 0 && s.size == 7 && !s.flag && s.mode == .careful && s.clip == 2)
        #expect(s.seed == UInt64.max)
        let w = try Wrapper([("gamma", .float(0.5)), ("extra", .int(1))])
        #expect(w.inner.gamma == 0.5 && w.extra == 1)
        #expect(Wrapper.defaults.count == 8)
    }

    @Test func badValuesNameTheFieldTheRangeAndTheValue() {
        func message(_ values: [(name: String, value: FieldValue)]) -> FieldError? {
            do { _ = try Sample(values); return nil } catch { return error }
        }
        #expect(message([("gamma", .float(-0.5))])?.message == "gamma must be in [0, 1], got -0.5")
        #expect(message([("gamma", .float(-0.5))])?.problem == .outOfRange)
        #expect(message([("rate", .int(0))])?.message == "rate must be > 0, got 0")
        #expect(message([("size", .float(2.5))])?.message == "size must be an integer, got 2.5")
        #expect(message([("mode", .string("slow"))])?.message == "mode must be one of \"fast\", \"careful\", got \"slow\"")
        #expect(message([("flag", .none)])?.message == "flag must be true or false, got nil")
        #expect(message([("clip", .string("x"))])?.message == "clip must be a number or nil, got \"x\"")
        let unknown = message([("gama", .float(1))])
        #expect(unknown?.problem == .unknownField && unknown?.suggestion == "gamma" && unknown?.field == "gama")
        #expect(message([("nonsense", .float(1))])?.suggestion == nil)
    }

    @Test func boundsDescribeThemselves() {
        #expect(Bounds.unit.description == "in [0, 1]")
        #expect(Bounds.openClosed(0, 1).description == "in (0, 1]")
        #expect(Bounds.atLeast(1).description == ">= 1")
        #expect(Bounds.positive.description == "> 0")
        #expect(!Bounds.positive.contains(0) && Bounds.unit.contains(1) && !Bounds.unit.contains(.nan))
    }

    struct Thing { let length: Int; let cost: Double
        init(length: Int = 10, cost: Double = 0.5) { self.length = length; self.cost = cost } }

    @Test func factoriesTakeDefaultsFromAPrototype() throws {
        let factory = Factory<Thing, Thing>(fields: [ConfigField("length", \Thing.length, "n", .atLeast(1)),
                                                     ConfigField("cost", \Thing.cost, "c")],
                                            prototype: { Thing() }) { v in Thing(length: v[\.length], cost: v[\.cost]) }
        #expect(factory.defaults == [.int(10), .float(0.5)])
        let t = try factory.build([("length", .int(3))])
        #expect(t.length == 3 && t.cost == 0.5)
        #expect(throws: FieldError.self) { try factory.build([("length", .int(0))]) }
    }
}
