import Environments
import Foundation
import NeuralNets
import TensorCore

// DPT: Lee, Xie, Pacchiano, Chandak, Finn, Nachum & Brunskill, "Supervised Pretraining
// Can Learn In-Context Reinforcement Learning", NeurIPS 2023 (Decision-Pretrained
// Transformer).
//
// In-context learning without RL: a sequence model reads a history of interactions with
// one task and is trained, by plain cross-entropy, to predict the task's optimal action.
// For bandits the history is a list of (arm, reward) pulls and the label is the best arm,
// argmaxᵢ pᵢ, known when the training bandits are drawn. The loss's minimiser is the
// posterior P(arm i is best | history) under the distribution the bandits are drawn from —
// the network learns Bayesian inference over tasks from examples. We check that by
// comparing its predictions with the exact posterior (`BestArmPosterior`).
//
// As in the paper's bandit experiments, the histories are collected by a uniformly random
// policy and the model predicts after every prefix of the history (one label per
// position). The paper used a GPT-2 Transformer; a GRU reads the same input here, which
// for histories of 10 pulls is enough and trains in seconds.

/// A supervised in-context learner for Bernoulli bandits: a GRU over the pulls
/// (one-hot arm, reward) and a linear head giving the best arm's logits after every pull.
public final class DPT {
    /// k, the bandits' arms.
    public let arms: Int
    /// n, the pulls in a history.
    public let pulls: Int
    /// The trained module: `gru` then `head`.
    public let model: Module
    let gru: GRU
    let head: Linear
    let optimizer: Adam
    var rng: RNG
    /// The gradient steps taken.
    public private(set) var stepCount = 0

    /// Throws naming the first argument out of range.
    public init(arms: Int = 2, pulls: Int = 10, hidden: Int = 32, learningRate: Float = 3e-3, seed: UInt64 = 0) throws {
        try BanditArguments.check(arms: arms, pulls: pulls, "DPT")
        try require(hidden >= 1, "DPT", "hidden must be >= 1, got \(hidden)")
        self.arms = arms
        self.pulls = pulls
        var init_ = RNG(seed: seed &+ 0xD97)
        model = Module()
        gru = model.addChild("gru", try GRU(arms + 1, hidden, rng: &init_))
        head = model.addChild("head", try Linear(hidden, arms, rng: &init_))
        optimizer = try Adam(named: model.namedParameters(), learningRate: learningRate)
        rng = RNG(seed: seed)
    }

    /// A batch of `size` histories of random pulls on bandits drawn from U[0, 1]: inputs
    /// [B, n, k + 1], the best arm of each bandit, and every prefix's counts.
    func histories(_ size: Int, rng: inout RNG) -> (inputs: [Float], best: [Int], counts: [[BanditCounts]]) {
        let width = arms + 1
        var inputs = [Float](repeating: 0, count: size * pulls * width)
        var best: [Int] = [], counts: [[BanditCounts]] = []
        for b in 0..<size {
            let bandit = SampledBandit(arms: arms, pulls: pulls, rng: &rng)
            best.append(bandit.bestArm)
            var c = BanditCounts(arms: arms), prefixes: [BanditCounts] = []
            for t in 0..<pulls {
                let arm = rng.int(below: arms)
                let paid = bandit.pays(arm: arm, pull: c.pulls(arm))
                inputs[(b * pulls + t) * width + arm] = 1
                inputs[(b * pulls + t) * width + arms] = paid ? 1 : 0
                c = c.updated(arm: arm, paid: paid)
                prefixes.append(c)
            }
            counts.append(prefixes)
        }
        return (inputs, best, counts)
    }

    /// Logits [B, n, k] for histories [B, n, k + 1]: after every pull.
    func logits(_ x: Tensor) throws -> Tensor { try head(try gru(x)) }

    /// Trains for `steps` gradient steps on fresh batches of `batchSize` histories; returns
    /// each step's cross-entropy.
    @discardableResult
    public func train(steps: Int, batchSize: Int = 64) throws -> [Double] {
        try require(steps >= 0 && batchSize >= 1, "DPT", "steps must be >= 0 and batch_size >= 1, got \(steps) and \(batchSize)")
        var losses: [Double] = []
        for _ in 0..<steps {
            let h = histories(batchSize, rng: &rng)
            let x = try Tensor(h.inputs, shape: [batchSize, pulls, arms + 1])
            // The label at every position is the bandit's best arm.
            let targets = h.best.flatMap { [Int](repeating: $0, count: pulls) }
            let loss = try crossEntropyLoss(logits: logits(x), targets: targets)     // over [B, n, k]
            optimizer.zeroGrad()
            try loss.backward()
            try optimizer.step()
            stepCount += 1
            losses.append(Double(try loss.item()))
        }
        return losses
    }

    /// The predicted distribution of the best arm after a history of pulls (arms from 0,
    /// rewards 0 or 1); the uniform distribution for an empty history.
    public func predict(arms pulled: [Int], rewards: [Double]) throws -> [Double] {
        try require(pulled.count == rewards.count, "DPT", "a history needs one reward per arm pulled, got \(pulled.count) arms and \(rewards.count) rewards")
        guard !pulled.isEmpty else { return [Double](repeating: 1 / Double(arms), count: arms) }
        var x = [Float](repeating: 0, count: pulled.count * (arms + 1))
        for (t, (a, r)) in zip(pulled, rewards).enumerated() {
            try require((0..<arms).contains(a), "DPT", "arm \(a) at pull \(t) is not one of 0...\(arms - 1)")
            try require(r == 0 || r == 1, "DPT", "a Bernoulli reward is 0 or 1, got \(r) at pull \(t)")
            x[t * (arms + 1) + a] = 1
            x[t * (arms + 1) + arms] = Float(r)
        }
        let p = try noGrad { try logits(Tensor(x, shape: [1, pulled.count, arms + 1])).softmax(axis: -1).scalars }
        return p.suffix(arms).map(Double.init)
    }

    /// How far the predictions are from the exact posterior on `histories` fresh random
    /// histories: the total-variation distance ½ Σᵢ |q(i) − P(i best | history)| after every
    /// pull, averaged over histories (one mean per pull t = 1 … n).
    public func posteriorDistance(histories count: Int, seed: UInt64 = 1) throws -> [Double] {
        try require(count >= 1, "DPT", "histories must be >= 1, got \(count)")
        var data = RNG(seed: seed)
        let h = histories(count, rng: &data)
        let q = try noGrad { try logits(Tensor(h.inputs, shape: [count, pulls, arms + 1])).softmax(axis: -1).scalars }
        var distance = [Double](repeating: 0, count: pulls)
        for b in 0..<count {
            for t in 0..<pulls {
                let exact = BestArmPosterior.probabilities(h.counts[b][t])
                let offset = (b * pulls + t) * arms
                distance[t] += 0.5 * (0..<arms).reduce(0) { $0 + Swift.abs(Double(q[offset + $1]) - exact[$1]) }
            }
        }
        return distance.map { $0 / Double(count) }
    }
}
