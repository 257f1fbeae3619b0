import Testing
@testable import TensorCore

/// Every bad shape or argument is a thrown `TensorError` naming the op and the values.
@Suite("Error messages")
struct ErrorTests {
    @Test func messages() throws {
        let cases: [(String, () throws -> Any)] = [
            ("matmul: [32, 64] × [32, 4]: inner dimensions 64 and 32 differ",
             { try Tensor.zeros([32, 64]).matmul(Tensor.zeros([32, 4])) }),
            ("add: shapes [2, 3] and [4] cannot be broadcast: axis -1 has sizes 3 and 4",
             { try Tensor.zeros([2, 3]) + Tensor.zeros([4]) }),
            ("reshape: cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)",
             { try Tensor.zeros([2, 3]).reshape([4, 2]) }),
            ("Tensor: 3 values cannot fill shape [2, 2] (4 elements)", { try Tensor([1, 2, 3], shape: [2, 2]) }),
            ("sum: axis 2 is out of range for a tensor of rank 2 [2, 3]", { try Tensor.zeros([2, 3]).sum(axis: 2) }),
            ("zeros: shape [2, -1] has a negative size -1", { try Tensor.zeros([2, -1]) }),
            ("slice: index 5 is out of range for axis 0 of size 2 in [2, 3]", { try Tensor.zeros([2, 3])[5] }),
            ("gather: index 3.0 is not an integer in 0..<3", { try Tensor.zeros([2, 3]).gather(axis: 1, Tensor([3, 0], shape: [2, 1])) }),
            ("concat: tensor 1 has shape [2, 4] but tensor 0 has [3, 4]: axis 0 differs",
             { try Tensor.concat([Tensor.zeros([3, 4]), Tensor.zeros([2, 4])], axis: 1) }),
            ("permute: [0, 0] is not a permutation of the 2 axes", { try Tensor.zeros([2, 3]).permute([0, 0]) }),
            ("clamp: min 1.0 is greater than max 0.0", { try Tensor.zeros([2]).clamp(min: 1, max: 0) }),
            ("item: needs a tensor with exactly one element, got shape [2]", { try Tensor.zeros([2]).item() }),
            ("backward: this tensor does not require gradients", { try Tensor.zeros([1]).backward() }),
            ("split: sizes [1, 1] do not add up to 3", { try Tensor.zeros([3]).split(sizes: [1, 1]) }),
            ("bernoulli: probability 1.5 is outside [0, 1]", { var r = RNG(seed: 1); return try Tensor.bernoulli([2], p: 1.5, rng: &r) }),
            ("arange: needs finite start, end and a non-zero step", { try Tensor.arange(0, 1, step: 0) }),
            ("pad: negative pad width (-1, 0) on axis 0", { try Tensor.zeros([2]).pad([(-1, 0)]) }),
        ]
        for (expected, body) in cases {
            do {
                _ = try body()
                Issue.record("expected an error containing \"\(expected)\"")
            } catch let error as TensorError {
                let text = "\(error)"
                #expect(text.contains(expected) || text.hasPrefix(expected), "\"\(text)\" does not contain \"\(expected)\"")
            }
        }
    }
}
