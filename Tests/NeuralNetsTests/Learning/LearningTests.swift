import Testing
import TensorCore
import NeuralNets

/// Models learn what the lecture says they learn, with fixed seeds and step budgets (not
/// wall-clock time).
@Suite("Learning")
struct LearningTests {
    /// The adding problem (Hochreiter & Schmidhuber, 1997, experiment 4): at each step a
    /// value in [0, 1] and a marker; two steps are marked (one in the first half, one in
    /// the second); the target at the end is the sum of the two marked values. Predicting
    /// the mean sum scores MSE ≈ 0.167.
    static func addingBatch(batch: Int, length: Int, rng: inout RNG) throws -> (Tensor, Tensor) {
        var x = [Float](repeating: 0, count: batch * length * 2)
        var y = [Float](repeating: 0, count: batch)
        for b in 0..<batch {
            let first = rng.int(below: length / 2), second = length / 2 + rng.int(below: length / 2)
            for t in 0..<length {
                let v = rng.uniform()
                x[(b * length + t) * 2] = v
                if t == first || t == second {
                    x[(b * length + t) * 2 + 1] = 1
                    y[b] += v
                }
            }
        }
        return (try Tensor(x, shape: [batch, length, 2]), try Tensor(y, shape: [batch, 1]))
    }

    @Test func lstmLearnsTheAddingProblemAtLength50() throws {
        var rng = RNG(seed: 1)
        let lstm = try LSTM(2, 32, rng: &rng)
        let head = try Linear(32, 1, rng: &rng)
        let model = Sequential([lstm, head])
        let opt = try Adam(model, learningRate: 1e-2)
        var data = RNG(seed: 2)
        func predict(_ x: Tensor) throws -> Tensor {
            let (h, _) = try lstm.forward(x)
            return try head(h[.all, .at(-1)])
        }
        for _ in 0..<800 {
            let (x, y) = try LearningTests.addingBatch(batch: 64, length: 50, rng: &data)
            opt.zeroGrad()
            let loss = try mseLoss(predict(x), y)
            try loss.backward()
            try clipGradNorm(model, maxNorm: 1)
            try opt.step()
        }
        let (x, y) = try LearningTests.addingBatch(batch: 512, length: 50, rng: &data)
        let mse = try noGrad { try mseLoss(predict(x), y).item() }
        #expect(mse < 0.01, "test MSE \(mse)")
    }

    /// A small GPT learns to reverse sequences of 8 tokens: the input is the sequence, a
    /// separator, then the reversal, trained with next-token prediction on the second half.
    @Test func gptLearnsToReverse() throws {
        let n = 8, vocab = 10, sep = 10
        var rng = RNG(seed: 3)
        let gpt = try GPT(GPTConfig(vocabSize: vocab + 1, contextLength: 2 * n + 1, dModel: 64, heads: 4, layers: 2), rng: &rng)
        let opt = try AdamW(gpt, learningRate: 3e-3, weightDecay: 0.01)
        var data = RNG(seed: 4)
        func batch(_ size: Int) throws -> (Tensor, Tensor, Tensor) {
            var inp = [Float](), tgt = [Float](), mask = [Float]()
            for _ in 0..<size {
                let s = (0..<n).map { _ in Float(data.int(below: vocab)) }
                let full = s + [Float(sep)] + s.reversed()
                inp += full.dropLast()
                tgt += full.dropFirst()
                mask += (0..<(2 * n)).map { $0 >= n ? 1 : 0 }  // score the reversal only
            }
            return (try Tensor(inp, shape: [size, 2 * n]), try Tensor(tgt, shape: [size, 2 * n]), try Tensor(mask, shape: [size, 2 * n]))
        }
        for _ in 0..<600 {
            let (x, y, m) = try batch(32)
            opt.zeroGrad()
            let loss = try crossEntropyLoss(logits: gpt(x), targets: y, mask: m)
            try loss.backward()
            try opt.step()
        }
        // Greedy decoding of the reversal, token by token.
        let (x, y, _) = try batch(200)
        var correct = 0, total = 0
        try noGrad {
            var seq = try x[.all, .slice(0, n + 1)]
            for k in 0..<n {
                let logits = try gpt(seq)
                let next = try logits[.all, .at(-1)].argmax(axis: -1, keepdims: true)
                seq = try Tensor.concat([seq, next], axis: 1)
                let truth = try y[.all, .at(n + k)].scalars, got = next.scalars
                correct += zip(truth, got).filter { $0 == $1 }.count
                total += truth.count
            }
        }
        let accuracy = Double(correct) / Double(total)
        #expect(accuracy > 0.95, "token accuracy \(accuracy)")
    }
}
