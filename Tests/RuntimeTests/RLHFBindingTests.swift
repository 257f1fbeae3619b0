import Testing

/// RLHF from scripts: the exact picture, comparisons saved and loaded, and the bad input the
/// issue names (β ≤ 0, a KL target ≤ 0, a comparison naming a sample twice, a reference with
/// another vocabulary), each a clear error naming the value.
@Suite("RLHF bindings")
struct RLHFBindingTests {
    @Test("the exact picture, comparisons round trip and a tiny reward model from a script")
    func roundTrip() {
        let r = runScript("""
        let p = exact_tilt([0.5, 0.5], [0.0, 1.0], 1.0)
        print(round(p[1] / p[0], digits: 4) == round(exp(1.0), digits: 4))
        let d = exact_dpo([0.5, 0.25, 0.25], [0.0, 1.0, 2.0], 0.5)
        let t = exact_tilt([0.5, 0.25, 0.25], [0.0, 1.0, 2.0], 0.5)
        print(max([abs(d[0] - t[0]), abs(d[1] - t[1]), abs(d[2] - t[2])]) < 1e-6)
        print(exact_best_of_n([0.5, 0.5], [0.0, 1.0], 2)[1])
        let labeller = Labeller(temperature: 0.5)
        let prefs = labeller.compare(review_corpus(60, seed: 1, max_pairs: 3), size: 4, count: 20, seed: 2)
        let back = load_comparisons(prefs.save("prefs-test.safetensors"))
        print(back.count, back.size, back.chosen == prefs.chosen)
        print(labeller.gold("great food, nice room."), review_reading("great food, nice").well_formed)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "true\ntrue\n0.75\n20 4 true\n2.0 false\n", "\(r.output)")
    }

    @Test("Bad input: β ≤ 0, a KL target ≤ 0, a sample compared with itself, another vocabulary")
    func badInput() {
        let setup = """
        let docs = review_corpus(200, seed: 1)
        let tok = Tokenizer(kind: "bpe", corpus: docs, merges: 20)
        let lm = LanguageModel(tok, context_length: 32, d_model: 16, heads: 2, layers: 1)
        let rm = RewardModel(lm)

        """
        let beta = runScript(setup + "LanguagePPO(lm, lm.copy(), rm, \"\", nil, beta: 0)")
        #expect(beta.errors.count == 1 && beta.errors[0].contains("beta") && beta.errors[0].contains("0"), "\(beta.errors)")
        let target = runScript(setup + "LanguagePPO(lm, lm.copy(), rm, \"\", nil, adaptive: true, kl_target: -1)")
        #expect(target.errors.count == 1 && target.errors[0].contains("kl_target") && target.errors[0].contains("-1"), "\(target.errors)")
        let dpoBeta = runScript(setup + "DPO(lm, lm.copy(), Labeller().compare(docs, count: 4), beta: -0.5)")
        #expect(dpoBeta.errors.count == 1 && dpoBeta.errors[0].contains("beta"), "\(dpoBeta.errors)")
        let twice = runScript("Labeller().compare([\"good food.\", \"good food.\"], size: 2, count: 1)")
        #expect(twice.errors.count == 1 && twice.errors[0].contains("distinct"), "\(twice.errors)")
        let vocab = runScript(setup + "DPO(lm, LanguageModel(Tokenizer(), context_length: 32, d_model: 16, heads: 2, layers: 1), Labeller().compare(docs, count: 4))")
        #expect(vocab.errors.count == 1 && vocab.errors[0].contains("vocabulary") && vocab.errors[0].contains("tokens"), "\(vocab.errors)")
        let temperature = runScript("Labeller(temperature: 0)")
        #expect(temperature.errors.count == 1 && temperature.errors[0].contains("temperature"), "\(temperature.errors)")
    }
}
