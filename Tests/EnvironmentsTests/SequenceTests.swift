import Testing
import TensorCore
@testable import Environments

@Suite struct SequenceTaskTests {
    @Test func addingProblemFollowsThePaper() throws {
        let task = try AddingProblem(minimumLag: 100)
        var rng = RNG(seed: 1)
        let batch = try task.batch(size: 64, rng: &rng)
        #expect(batch.inputShape[0] == 64 && batch.inputShape[2] == 2 && batch.targetShape == [64, 1])
        for b in 0..<64 {
            let length = batch.lengths[b]
            #expect(length >= 100 && length <= 110)
            let markers = (0..<length).map { batch.input(b, $0).last! }
            let marked = markers.indices.filter { markers[$0] == 1 }
            #expect(marked.count == 2)
            #expect(marked[0] < 10 && marked[1] < 50)
            #expect((markers[0] == -1) == !marked.contains(0))
            #expect((markers[length - 1] == -1))
            #expect(markers.enumerated().allSatisfy { t, m in m == 0 || t == 0 || t == length - 1 || marked.contains(t) })
            let sum = marked.map { batch.input(b, $0).first! }.reduce(0, +)
            #expect(abs(batch.target(b).first! - (0.5 + sum / 4)) < 1e-6)
            #expect(batch.target(b).first! >= 0 && batch.target(b).first! <= 1)
            for t in length..<batch.time { #expect(batch.input(b, t) == [0, 0]) }
        }
        var again = RNG(seed: 1)
        #expect(try task.batch(size: 64, rng: &again) == batch, "deterministic per seed")
        #expect(throws: EnvironmentError.self) { try AddingProblem(minimumLag: 2) }
        var small = RNG(seed: 3)
        let short = try AddingProblem(minimumLag: 4).batch(size: 100, rng: &small)
        #expect(short.lengths.allSatisfy { $0 == 4 })
    }

    @Test(arguments: [2, 3])
    func temporalOrderPlacesRelevantSymbolsInTheirWindows(symbols: Int) throws {
        let task = try TemporalOrder(symbols: symbols)
        var rng = RNG(seed: 7)
        let batch = try task.batch(size: 50, rng: &rng)
        #expect(batch.targetShape == [50, 1 << symbols])
        var labels = Set<Int>()
        for b in 0..<50 {
            let length = batch.lengths[b]
            #expect(length >= 100 && length <= 110)
            let sequence = (0..<length).map { t in hot(batch.input(b, t))! }
            #expect(sequence.first == TemporalOrder.Symbol.start.rawValue && sequence.last == TemporalOrder.Symbol.end.rawValue)
            let relevant = sequence.indices.filter { sequence[$0] >= TemporalOrder.Symbol.x.rawValue }
            #expect(relevant.count == symbols)
            for (t, window) in zip(relevant, task.windows) { #expect(window.contains(t)) }
            let label = relevant.reduce(0) { $0 << 1 | (sequence[$1] == TemporalOrder.Symbol.y.rawValue ? 1 : 0) }
            #expect(hot(batch.target(b)) == label)
            labels.insert(label)
        }
        #expect(labels.count == 1 << symbols, "every class occurs")
        #expect(throws: EnvironmentError.self) { try TemporalOrder(symbols: 4) }
    }
}
