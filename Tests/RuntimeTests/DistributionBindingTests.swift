import Testing

@Suite("Distributions in scripts")
struct DistributionBindingTests {
    @Test("Categorical and Normal: log-probabilities, entropies, KL and policy-gradient gradients")
    func distributions() {
        let r = runScript("""
        let logits = tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]]).requiring_grad()
        let d = Categorical(logits: logits)
        let loss = -(d.log_prob(tensor([1, 2])) * tensor([1.0, -1.0])).mean()
        loss.backward()
        print(round(logits.grad[0, 0].item(), digits: 4), round(logits.grad[1, 2].item(), digits: 4))
        print(round(d.entropy()[1].item(), digits: 4), d.kl(d).tolist())
        let n = Normal(mean: zeros([2]), log_std: zeros([2]))
        print(round(n.log_prob(zeros([2])).item(), digits: 4), round(n.entropy().item(), digits: 4))
        print(n.kl(Normal(mean: ones([2]), log_std: zeros([2]))).item())
        seed(3)
        let first = Categorical(logits: zeros([1000, 4])).sample()
        seed(3)
        let again = Categorical(logits: zeros([1000, 4])).sample()
        print(first.tolist() == again.tolist(), first.min().item() >= 0, first.max().item() <= 3)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        // ∂/∂logits of −½ Σ A log π: −½ A (onehot − softmax); entropy of a uniform 3-way is log 3.
        #expect(r.output == "0.1156 0.3333\n1.0986 [0.0, 0.0]\n-1.8379 2.8379\n1.0\ntrue true true\n", "\(r.output)")
        let bad = runScript("Categorical(logits: 3).kl(Normal(mean: zeros([1]), log_std: zeros([1])))")
        #expect(!bad.errors.isEmpty)
    }
}

@Suite("Parameters from scripts")
struct ParameterAssignmentTests {
    @Test("p.value = t sets a parameter (an LSTM's forget-gate bias); a wrong shape is refused")
    func assignParameter() {
        let r = runScript("""
        let cell = LSTM(2, 3)
        cell.parameters[2].value = concat([zeros([3]), ones([3]), zeros([6])])
        print(cell.parameters[2].value.tolist())
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]\n", "\(r.output)")
        let bad = runScript("let cell = LSTM(2, 3)\ncell.parameters[2].value = zeros([4])")
        #expect(bad.errors.first?.contains("does not match the parameter's [12]") == true, "\(bad.errors)")
    }
}
