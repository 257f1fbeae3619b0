import CBLAS
import TensorCore

/// The fused forward and backward passes of an Elman RNN, LSTM or GRU over a whole
/// sequence: one tape node for the sequence, gates computed with one matrix product per
/// input (all time steps' input projections in a single GEMM; one GEMM per step for the
/// recurrent projection), and the weight gradients of all steps in single GEMMs after the
/// backward sweep.
///
/// Shapes (B batch, T time, I input, H hidden, G gates per unit: RNN 1, GRU 3, LSTM 4):
///   x [B, T, I]; W_ih [G·H, I]; W_hh [G·H, H]; b_ih, b_hh [G·H]; h0, c0 [B, H];
///   resets [B, T] (1 where a new episode starts: the state is zeroed before that step).
/// Outputs: all hidden states [B, T, H], the final h [B, H], and for the LSTM the final
/// c [B, H]. The buffers kept for the backward pass are time-major ([T, B, ·], row t·B + b):
/// the rows of one step are contiguous, which the backward sweep reads back from memory
/// (with batch-major buffers its rows were T·(row length) apart, and its gate math ran
/// 1.5× slower on them out of cache, measured). Only x, the outputs and their gradients
/// are batch-major.
///
/// The gate order is PyTorch's (LSTM: i, f, g, o; GRU: r, z, n), so weights load from
/// PyTorch checkpoints.
enum RecurrentKernel {
    enum Kind: String, Sendable {
        case rnnTanh, rnnRelu, lstm, gru
        var gates: Int {
            switch self {
            case .rnnTanh, .rnnRelu: return 1
            case .gru: return 3
            case .lstm: return 4
            }
        }
    }

    /// B·T·H·G·H, the multiply-adds of an unroll's recurrent products, above which the batch
    /// is split across threads (each thread unrolls its own sequences over all steps). A
    /// split costs a hand-off per unroll and leaves each thread's weights panel to be read
    /// for fewer rows; it paid for `lstm_train_step` (32 × 64 × LSTM(128), 1.3·10⁸) and lost
    /// 10–18 % on DRQN's updates (32 × ~15 × LSTM(64), 7.9·10⁶) on the machine it was first
    /// measured on, whose cores ran these products at about 55·10⁹ multiply-adds a second:
    /// 2²⁵ there, about 0.6 ms of work. The rule is kept in that time, at the rate this
    /// core measured (`GemmPolicy`), so a faster core splits only longer unrolls.
    static let parallelWork = Swift.max(1 << 22, Int(BLAS.kernelChoices.macsPerSecond * 0.6e-3))

    /// Sequences per part when the batch is split: the threads take parts as they finish
    /// them, so a core that runs slower for a while gets fewer. Four rows are one register
    /// block of the product kernel, so smaller parts cost no efficiency there (W_hhᵀ is read
    /// once per block of 4 rows either way).
    static let sequencesPerPart = 4

    struct Weights {
        let wih: Tensor, whh: Tensor, bih: Tensor, bhh: Tensor
    }

    static func run(
        _ kind: Kind, x: Tensor, weights w: Weights, h0: Tensor?, c0: Tensor?, resets: Tensor?
    ) -> [Tensor] {
        let (B, T, I) = (x.shape[0], x.shape[1], x.shape[2])
        let H = w.whh.shape[1], G = kind.gates, GH = G * H
        let px = x.unsafePointer, pwih = w.wih.unsafePointer, pwhh = w.whh.unsafePointer
        let pbih = w.bih.unsafePointer, pbhh = w.bhh.unsafePointer
        let reset: UnsafeMutablePointer<Float>? = resets?.unsafePointer
        @inline(__always) func isReset(_ b: Int, _ t: Int) -> Bool { reset.map { $0[b * T + t] != 0 } ?? false }

        // z [T, B, H + I + 1]: row t·B + b holds the state step t starts from, then x_t, then
        // a 1 — the A operand of the step's product and of the weight gradients.
        let Z = H + I + 1
        let zs = Tensor.makeStorage(count: B * T * Z)
        let pz = zs.elements
        for t in 0..<T {
            for b in 0..<B {
                let row = pz + (t * B + b) * Z
                (row + H).update(from: px + (b * T + t) * I, count: I)
                row[H + I] = 1
            }
        }
        // The LSTM's and the Elman RNN's gates are z_t·[W_hh; W_ih; b_ih + b_hh]ᵀ: one product
        // per step with k = H + I + 1, which also sums the input projection and adds the bias
        // (for the GRU the recurrent part of its n gate must stay separate). A single step of
        // a few sequences (an actor choosing its next action) would spend more on copying the
        // weights than on the product: it reads W_hh as it is, with the input projection done
        // first.
        let transposeOnce = B * T > 4
        let fused = transposeOnce && kind != .gru && I <= 256
        let bias = UnsafeMutablePointer<Float>.allocate(capacity: GH)
        defer { bias.deallocate() }
        bias.initialize(from: pbih, count: GH)
        if kind != .gru { for j in 0..<GH { bias[j] += pbhh[j] } }
        let act = Tensor.makeStorage(count: B * T * GH)
        let pa = act.elements
        if !fused {  // all steps' input projections at once: act = x·W_ihᵀ + bias
            BLAS.sgemm(transA: false, transB: true, m: B * T, n: GH, k: I, a: pz + H, lda: Z, b: pwih, ldb: I, c: pa, ldc: GH, bias: bias)
        }

        let out = Tensor.makeStorage(count: B * T * H)       // h_t (batch-major: the output)
        let cells = kind == .lstm ? Tensor.makeStorage(count: B * T * H) : nil       // c_t
        let cprev = kind == .lstm ? Tensor.makeStorage(count: B * T * H) : nil
        let tanhCells = kind == .lstm ? Tensor.makeStorage(count: B * T * H) : nil  // tanh(c_t), reused backward
        let hnAll = kind == .gru ? Tensor.makeStorage(count: B * T * H) : nil        // W_hn·h + b_hn
        let hproj = kind == .gru ? Tensor.makeStorage(count: B * GH) : nil
        let po = out.elements

        // The state entering step 0.
        for b in 0..<B {
            for j in 0..<H {
                let r = isReset(b, 0)
                pz[b * Z + j] = r ? 0 : (h0.map { $0.unsafePointer[b * H + j] } ?? 0)
                if let cp = cprev { cp.elements[b * H + j] = r ? 0 : (c0.map { $0.unsafePointer[b * H + j] } ?? 0) }
            }
        }

        // [W_hh; W_ih; b]ᵀ [H + I + 1, GH] (or W_hhᵀ [H, GH]), made once per unroll: the
        // per-step product reads it in place.
        let kw = fused ? Z : H
        let wT = Tensor.makeStorage(count: transposeOnce ? kw * GH : 0)
        let pwt = wT.elements
        if transposeOnce { memento_transpose(pwhh, GH, H, H, pwt, GH) }
        if fused {
            memento_transpose(pwih, GH, I, I, pwt + H * GH, GH)
            (pwt + (H + I) * GH).update(from: bias, count: GH)
        }
        /// c[rows, GH] (+)= z[rows] · Wᵀ, with z rows `lda` apart and c rows `ldc` apart: the
        /// whole pre-activation (bias included) when fused, else added to c.
        func recurrentProduct(rows: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
            if fused {
                BLAS.smallProduct(m: rows, n: GH, k: Z, a: a, lda: lda, b: pwt, ldb: GH, beta: 0, c: c, ldc: ldc)
            } else if transposeOnce {
                BLAS.smallProduct(m: rows, n: GH, k: H, a: a, lda: lda, b: pwt, ldb: GH, beta: 1, c: c, ldc: ldc)
            } else {
                BLAS.sgemm(transA: false, transB: true, m: rows, n: GH, k: H, a: a, lda: lda, b: pwhh, ldb: H, beta: 1, c: c, ldc: ldc)
            }
        }
        // The sequences of a batch are independent: each thread unrolls its own rows over all
        // steps (one hand-off per unroll, not one per step). Only for large unrolls
        // (`parallelWork`).
        let parallel = B >= 2 && B * T * H * GH >= RecurrentKernel.parallelWork
        Parallel.forChunks(B, chunk: parallel ? RecurrentKernel.sequencesPerPart : B) { batch in
            for t in 0..<T {
                let rows = batch.count, b0 = batch.lowerBound
                if kind == .gru {
                    let hq = hproj!.elements
                    for b in batch { (hq + b * GH).update(from: pbhh, count: GH) }
                    recurrentProduct(rows: rows, a: pz + (t * B + b0) * Z, lda: Z, c: hq + b0 * GH, ldc: GH)
                } else {
                    recurrentProduct(rows: rows, a: pz + (t * B + b0) * Z, lda: Z, c: pa + (t * B + b0) * GH, ldc: GH)
                }
                for b in batch {
                    let row = t * B + b                  // this step's row of the time-major buffers
                    let a = pa + row * GH                // its gate pre-activations
                    let h = po + (b * T + t) * H
                    let hPrev = pz + row * Z
                    switch kind {
                    case .rnnTanh:
                        memento_vtanh(a, h, H)                                    // h' = tanh(a)
                    case .rnnRelu:
                        for j in 0..<H { h[j] = Swift.max(a[j], 0) }               // h' = relu(a)
                    case .lstm:
                        let c = cells!.elements + row * H, cPrev = cprev!.elements + row * H
                        let tc = tanhCells!.elements + row * H
                        // i, f, o = σ(·); g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c'), in one
                        // pass over a = [i f g o] (CBLAS/vmath.c).
                        memento_lstm_forward_step(a, cPrev, c, tc, h, H)
                    case .gru:
                        let q = hproj!.elements + b * GH, hn = hnAll!.elements + row * H
                        let (resetGate, updateGate, candidate) = (a, a + H, a + 2 * H)
                        for j in 0..<(2 * H) { a[j] += q[j] }
                        memento_vsigmoid(a, a, 2 * H)                             // r, z = σ(W_i x + b_i + W_h h + b_h)
                        for j in 0..<H {
                            hn[j] = q[2 * H + j]
                            candidate[j] += resetGate[j] * hn[j]
                        }
                        memento_vtanh(candidate, candidate, H)                    // n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))
                        for j in 0..<H { h[j] = (1 - updateGate[j]) * candidate[j] + updateGate[j] * hPrev[j] }  // h' = (1−z)⊙n + z⊙h
                    }
                    // The state entering the next step (zero at an episode start).
                    if t + 1 < T {
                        let r = isReset(b, t + 1)
                        let next = pz + (row + B) * Z
                        if r { next.initialize(repeating: 0, count: H) } else { next.initialize(from: h, count: H) }
                        if let cp = cprev {
                            let nc = cp.elements + (row + B) * H
                            if r { nc.initialize(repeating: 0, count: H) } else { nc.initialize(from: cells!.elements + row * H, count: H) }
                        }
                    }
                }
            }
        }

        // Final state: the last step's h (and c).
        let hT = Tensor.makeStorage(count: B * H)
        for b in 0..<B { (hT.elements + b * H).initialize(from: po + (b * T + T - 1) * H, count: H) }
        var outputs: [(storage: TensorStorage, shape: [Int])] = [(out, [B, T, H]), (hT, [B, H])]
        if kind == .lstm {
            let cT = Tensor.makeStorage(count: B * H)
            cT.elements.initialize(from: cells!.elements + (T - 1) * B * H, count: B * H)
            outputs.append((cT, [B, H]))
        }
        withExtendedLifetime((x, w.wih, w.whh, w.bih, w.bhh, h0, c0, resets, wT)) {}

        var inputs = [x, w.wih, w.whh, w.bih, w.bhh]
        if let h0 { inputs.append(h0) }
        if let c0 { inputs.append(c0) }
        return Tensor.recordMulti(kind.rawValue, outputs: outputs, inputs: inputs) { grads in
            backward(kind, grads: grads, B: B, T: T, I: I, H: H, x: x, z: zs, w: w, h0: h0, c0: c0, resets: resets,
                     act: act, out: out, tanhCells: tanhCells, cprev: cprev, hnAll: hnAll)
        }
    }

    // MARK: - Backward (through time)

    static func backward(
        _ kind: Kind, grads: [Tensor?], B: Int, T: Int, I: Int, H: Int, x: Tensor, z: TensorStorage, w: Weights, h0: Tensor?, c0: Tensor?,
        resets: Tensor?, act: TensorStorage, out: TensorStorage, tanhCells: TensorStorage?,
        cprev: TensorStorage?, hnAll: TensorStorage?
    ) {
        let G = kind.gates, GH = G * H
        let Z = H + I + 1
        let pa = act.elements, po = out.elements, pz = z.elements
        let reset: UnsafeMutablePointer<Float>? = resets?.unsafePointer
        @inline(__always) func isReset(_ b: Int, _ t: Int) -> Bool { reset.map { $0[b * T + t] != 0 } ?? false }
        let gOut = grads[0]?.unsafePointer
        // Gradients w.r.t. the input-side and recurrent-side pre-activations of every step
        // (the same buffer except for the GRU).
        let dA = Tensor.makeStorage(count: B * T * GH)
        let dQ = kind == .gru ? Tensor.makeStorage(count: B * T * GH) : dA
        let pdA = dA.elements, pdQ = dQ.elements
        // Gradient flowing into the state at the end of the current step.
        let stateGrads = Tensor.makeStorage(count: 3 * B * H)
        let dh = stateGrads.elements, dc = dh + B * H, dhPrev = dc + B * H
        dh.initialize(repeating: 0, count: 3 * B * H)
        if let g = grads[1] { dh.update(from: g.unsafePointer, count: B * H) }
        if kind == .lstm, let g = grads[2] { dc.update(from: g.unsafePointer, count: B * H) }

        let parallel = B >= 2 && B * T * H * GH >= RecurrentKernel.parallelWork
        Parallel.forChunks(B, chunk: parallel ? RecurrentKernel.sequencesPerPart : B) { batch in
            for t in stride(from: T - 1, through: 0, by: -1) {
                for b in batch {
                    let row = t * B + b
                    let a = pa + row * GH, da = pdA + row * GH, dq = pdQ + row * GH
                    let h = po + (b * T + t) * H, hPrev = pz + row * Z
                    if kind != .lstm, let gOut {  // the LSTM's kernel adds it itself
                        let go = gOut + (b * T + t) * H, d = dh + b * H
                        for j in 0..<H { d[j] += go[j] }
                    }
                    switch kind {
                    case .rnnTanh:
                        for j in 0..<H { da[j] = dh[b * H + j] * (1 - h[j] * h[j]) }
                    case .rnnRelu:
                        for j in 0..<H { da[j] = h[j] > 0 ? dh[b * H + j] : 0 }
                    case .lstm:
                        // dC = dc + dh·o·(1 − tanh²c'); di = dC·g·i(1 − i); df = dC·c·f(1 − f);
                        // dg = dC·i(1 − g²); do = dh·tanh c'·o(1 − o); dc ← dC·f — one pass
                        // (CBLAS/vmath.c), with the step's output gradient added to dh.
                        memento_lstm_backward_step(a, tanhCells!.elements + row * H, cprev!.elements + row * H,
                                                   gOut.map { $0 + (b * T + t) * H }, dh + b * H, dc + b * H, da, H)
                    case .gru:
                        let hn = hnAll!.elements + row * H
                        for j in 0..<H {
                            let r = a[j], z = a[H + j], n = a[2 * H + j]
                            let dH = dh[b * H + j]
                            let dn = dH * (1 - z) * (1 - n * n)
                            let dr = dn * hn[j] * r * (1 - r)
                            let dz = dH * (hPrev[j] - n) * z * (1 - z)
                            da[j] = dr; da[H + j] = dz; da[2 * H + j] = dn
                            dq[j] = dr; dq[H + j] = dz; dq[2 * H + j] = dn * r
                            dhPrev[b * H + j] = dH * z
                        }
                    }
                }
                // dh_{t−1} = dQ_t · W_hh (+ the GRU's direct path), zero across an episode start.
                let b0 = batch.lowerBound
                // W_hh [GH, H] is read in place at every step, as the forward reads W_hhᵀ.
                BLAS.smallProduct(m: batch.count, n: H, k: GH, a: pdQ + (t * B + b0) * GH, lda: GH,
                                  b: w.whh.unsafePointer, ldb: H, beta: kind == .gru ? 1 : 0, c: dhPrev + b0 * H, ldc: H)
                (dh + b0 * H).update(from: dhPrev + b0 * H, count: batch.count * H)
                for b in batch where isReset(b, t) {
                    (dh + b * H).update(repeating: 0, count: H)
                    (dc + b * H).update(repeating: 0, count: H)
                }
            }
        }

        // Weight gradients of all steps at once.
        let BT = B * T
        if kind != .gru {
            // [dW_hh dW_ih db]ᵀ [H + I + 1, GH] = zᵀ · dA in one product (dQ = dA; z's column of
            // ones gives the bias gradient, the sum of dA's rows), then transposed into the
            // gradients. (This way round the product's 64-column panels are all full: GH is a
            // multiple of 64, H + I + 1 usually is not.)
            if w.whh.requiresGrad || w.wih.requiresGrad || w.bih.requiresGrad || w.bhh.requiresGrad {
                let d = Tensor.makeStorage(count: Z * GH)
                BLAS.sgemm(transA: true, transB: false, m: Z, n: GH, k: BT, a: pz, lda: Z, b: pdA, ldb: GH, c: d.elements, ldc: GH)
                if w.whh.requiresGrad {
                    let dh = Tensor.makeStorage(count: GH * H)
                    memento_transpose(d.elements, H, GH, GH, dh.elements, H)
                    w.whh.accumulateGradient(Tensor(filledStorage: dh, shape: [GH, H]))
                }
                if w.wih.requiresGrad {
                    let di = Tensor.makeStorage(count: GH * I)
                    memento_transpose(d.elements + H * GH, I, GH, GH, di.elements, I)
                    w.wih.accumulateGradient(Tensor(filledStorage: di, shape: [GH, I]))
                }
                func biasGradient() -> Tensor {
                    let db = Tensor.makeStorage(count: GH)
                    db.elements.initialize(from: d.elements + (H + I) * GH, count: GH)
                    return Tensor(filledStorage: db, shape: [GH])
                }
                if w.bih.requiresGrad { w.bih.accumulateGradient(biasGradient()) }
                if w.bhh.requiresGrad { w.bhh.accumulateGradient(biasGradient()) }  // b_hh enters as b_ih does
            }
        } else {
            if w.whh.requiresGrad {  // dW_hh [GH, H] = dQᵀ · h_prev
                let d = Tensor.makeStorage(count: GH * H)
                BLAS.sgemm(transA: true, transB: false, m: GH, n: H, k: BT, a: pdQ, lda: GH, b: pz, ldb: Z, c: d.elements, ldc: H)
                w.whh.accumulateGradient(Tensor(filledStorage: d, shape: [GH, H]))
            }
            if w.wih.requiresGrad {  // dW_ih [GH, I] = dAᵀ · x
                let d = Tensor.makeStorage(count: GH * I)
                BLAS.sgemm(transA: true, transB: false, m: GH, n: I, k: BT, a: pdA, lda: GH, b: pz + H, ldb: Z, c: d.elements, ldc: I)
                w.wih.accumulateGradient(Tensor(filledStorage: d, shape: [GH, I]))
            }
            func columnSums(_ p: UnsafeMutablePointer<Float>) -> Tensor {
                let s = Tensor.makeStorage(count: GH)
                let ps = s.elements
                // Column blocks of 64 on separate threads for large batches; each column sums
                // its rows in order either way.
                Parallel.forChunks((GH + 63) / 64, grain: BT * GH >= 1 << 19 ? 1 : Int.max) { blocks in
                    let j0 = blocks.lowerBound * 64, j1 = Swift.min(blocks.upperBound * 64, GH)
                    memento_column_sums(p + j0, BT, j1 - j0, GH, ps + j0)
                }
                return Tensor(filledStorage: s, shape: [GH])
            }
            if w.bih.requiresGrad { w.bih.accumulateGradient(columnSums(pdA)) }
            if w.bhh.requiresGrad { w.bhh.accumulateGradient(columnSums(pdQ)) }
        }
        if x.requiresGrad {  // dx [BT, I] = dA · W_ih, time-major, then put back in x's order
            let dT = Tensor.makeStorage(count: BT * I), d = Tensor.makeStorage(count: BT * I)
            BLAS.sgemm(transA: false, transB: false, m: BT, n: I, k: GH, a: pdA, lda: GH, b: w.wih.unsafePointer, ldb: I, c: dT.elements, ldc: I)
            for t in 0..<T { for b in 0..<B { (d.elements + (b * T + t) * I).initialize(from: dT.elements + (t * B + b) * I, count: I) } }
            x.accumulateGradient(Tensor(filledStorage: d, shape: x.shape))
        }
        if let h0, h0.requiresGrad {
            let d = Tensor.makeStorage(count: B * H)
            d.elements.initialize(from: dh, count: B * H)
            h0.accumulateGradient(Tensor(filledStorage: d, shape: [B, H]))
        }
        if let c0, c0.requiresGrad {
            let d = Tensor.makeStorage(count: B * H)
            d.elements.initialize(from: dc, count: B * H)
            c0.accumulateGradient(Tensor(filledStorage: d, shape: [B, H]))
        }
        withExtendedLifetime((act, out, z, tanhCells, cprev, hnAll, dA, dQ, stateGrads, x, w.wih, w.whh, resets)) {}
    }
}

import Foundation
