import Testing
import TensorCore
@testable import Environments

@Suite struct KeyToDoorTests {
    @Test func contract() throws {
        try checkContract { try KeyToDoor() }
    }

    /// Walks towards the first object shown in the room (key or door), collecting apples
    /// on the way in the distractor room.
    static func greedy(roomSize: Int, fetchKey: Bool) -> (_ obs: [Float], _ t: Int, _ rng: inout RNG) -> Int {
        { obs, _, _ in
            let cells = roomSize * roomSize
            let agent = obs[0..<cells].firstIndex(of: 1)!
            let room = obs[(2 * cells)...].firstIndex(of: 1)! - 2 * cells
            let objects = (0..<cells).filter { obs[cells + $0] == 1 }
            guard let target = objects.first else { return 0 }
            if room == 0 && !fetchKey {
                // Move vertically away from the key: never onto it.
                return target / roomSize < agent / roomSize ? 1 : 0
            }
            let (ar, ac) = (agent / roomSize, agent % roomSize), (tr, tc) = (target / roomSize, target % roomSize)
            if tr < ar { return 0 }
            if tr > ar { return 1 }
            return tc < ac ? 2 : 3
        }
    }

    @Test func keyHolderOpensTheDoorAndOthersCannot() throws {
        var env = try KeyToDoor()
        for seed in 0..<30 as Range<UInt64> {
            let withKey = try play(&env, seed: seed, policy: Self.greedy(roomSize: 5, fetchKey: true))
            #expect(env.hasKey)
            #expect(withKey.steps.last!.terminated && withKey.steps.last!.reward == 1)
            let apples = withKey.steps.dropLast().reduce(0) { $0 + $1.reward }
            #expect(apples >= 0 && apples <= 0.5 + 1e-9)
            var other = try KeyToDoor()
            let without = try play(&other, seed: seed, policy: Self.greedy(roomSize: 5, fetchKey: false))
            #expect(!other.hasKey)
            #expect(without.length == other.maxSteps && without.steps.last!.truncated)
            #expect(without.steps.allSatisfy { $0.reward < 0.5 }, "no door reward without the key")
        }
    }

    @Test func roomsChangeOnScheduleAndObservationsAgreeWithState() throws {
        var env = try KeyToDoor(roomSize: 3, keyRoomSteps: 2, distractorSteps: 3, doorRoomSteps: 4, apples: 2)
        _ = try env.reset(seed: 5)
        var rooms: [Int] = []
        for _ in 0..<9 {
            let (obs, _, _, _, _) = try env.step(0)
            rooms.append(obs[18...].firstIndex(of: 1)! - 18)
            #expect(Int(env.state[0]) == rooms.last!)
            #expect(obs[Int(env.state[1])] == 1, "agent cell agrees with the hidden state")
        }
        #expect(rooms == [0, 1, 1, 1, 2, 2, 2, 2, 2], "2 steps in the key room, 3 in the distractor room, 4 at the door")
        #expect(throws: EnvironmentError.episodeFinished(environment: env.name)) { _ = try env.step(0) }
        #expect(throws: EnvironmentError.self) { try KeyToDoor(roomSize: 2, apples: 4) }
    }
}
