import Testing

/// The offline part of the language: datasets, BC / DT / IQL built from their config
/// tables, `train(learner, updates:)`, and the errors the issue asks for.
@Suite("Offline bindings")
struct OfflineBindingTests {
    @Test("collect, save, load_dataset, filter_top and train(learner, updates:) work from a script")
    func roundTrip() {
        let r = runScript("""
        let env = KeyToDoor(room_size: 3, key_room_steps: 3, distractor_steps: 3, door_room_steps: 3)
        let data = collect(env, episodes: 50, seed: 2)
        print(data.episodes, data.steps == len(data.returns_to_go), data.timesteps[0])
        let path = data.save("offline-test.safetensors")
        let back = load_dataset(path, env: env)
        print(back.returns == data.returns, back.returns_to_go == data.returns_to_go)
        print(data.filter_top(0.1).episodes)
        let bc = BC(Linear(21, 8) |> relu |> Linear(8, 4), data, fraction: 0.5, batch_size: 16)
        let run = train(bc, updates: 20, progress: false)
        print(run.steps, bc.updates, type_of(bc))
        let dt = DecisionTransformer(data, context: 3, embedding: 8, layers: 1, heads: 1, batch_size: 8)
        train(dt, updates: 5, progress: false, on: env, eval_every: 5, eval_episodes: 2)
        print(len(dt.evaluate(env, episodes: 3, target: 1)), dt.target_return == max(data.returns))
        let iql = IQL(data, hidden_size: 8, batch_size: 8)
        train(iql, updates: 5, progress: false)
        print(len(iql.values(data.observations[0]).q))
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "50 true 0\ntrue true\n5\n20 20 50%BC\n3 true\n4\n", "\(r.output)")
    }

    @Test("Bad input: another environment's data, a target that is not a number, steps instead of updates, a misspelt keyword")
    func badInput() {
        let other = runScript("""
        let data = collect(TMaze(length: 3), episodes: 5)
        let path = data.save("offline-other.safetensors")
        load_dataset(path, env: KeyToDoor())
        """)
        #expect(other.errors.count == 1 && other.errors[0].contains("offline-other.safetensors") && other.errors[0].contains("size 53"), "\(other.errors)")

        let target = runScript("""
        let env = KeyToDoor(room_size: 3, key_room_steps: 3, distractor_steps: 3, door_room_steps: 3)
        let dt = DecisionTransformer(collect(env, episodes: 5), context: 2, embedding: 8, layers: 1)
        dt.evaluate(env, target: "high")
        """)
        #expect(target.errors.count == 1 && target.errors[0].contains("target"), "\(target.errors)")

        let updates = runScript("""
        let env = KeyToDoor(room_size: 3, key_room_steps: 3, distractor_steps: 3, door_room_steps: 3)
        let dt = DecisionTransformer(collect(env, episodes: 5), context: 2, embedding: 8, layers: 1)
        train(dt, steps: 100)
        """)
        #expect(updates.errors.count == 1 && updates.errors[0].contains("updates"), "\(updates.errors)")

        let keyword = runScript("""
        let dt = DecisionTransformer(collect(TMaze(length: 3), episodes: 5), contxt: 2)
        """)
        #expect(keyword.errors.count == 1 && keyword.errors[0].contains("contxt"), "\(keyword.errors)")
    }
}
