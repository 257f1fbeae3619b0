import TensorCore

/// Key-to-Door: pick up a key in the first room, ignore (or enjoy) the apples of a
/// distractor room, then open a door in the last room, which opens only with the key.
///
/// ## Description
/// The credit-assignment task of Mesnard et al. (2021) used by the Decision Transformer
/// paper (Chen et al., 2021). The episode has three rooms, each a `roomSize` × `roomSize`
/// grid visited for a fixed number of steps. The key's reward arrives long after it is
/// picked up, past a room of unrelated small rewards: the agent must remember that it
/// holds the key, and a learner must assign the door's reward to the pickup.
///
/// ## Action space
/// `Discrete(4)`: 0 up, 1 down, 2 left, 3 right. Moves into a wall leave the agent where it is.
///
/// ## Observation space
/// `Box(0, 1, shape: [2 × roomSize² + 3])`: the one-hot agent cell, a map of the objects
/// in the current room (the key in room 0, apples in room 1, the door in room 2), and the
/// one-hot room. Whether the agent holds the key is not shown.
///
/// ## Rewards
/// `appleReward` (0.1) for each apple collected in the distractor room; `doorReward` (+1)
/// for reaching the door while holding the key. Nothing else.
///
/// ## Starting state
/// In each room the agent starts on a uniformly random cell; the key, the apples and the
/// door lie on distinct random cells other than the agent's.
///
/// ## Episode end
/// Terminated when the door is opened; truncated when the door room's steps run out.
///
/// ## Arguments
/// `roomSize` ≥ 2 (5), `keyRoomSteps` ≥ 1 (10), `distractorSteps` ≥ 1 (20),
/// `doorRoomSteps` ≥ 1 (10), `apples` in 0 ..< roomSize² (5), `appleReward` (0.1),
/// `doorReward` (1).
///
/// ## Hidden state
/// `state` is [room, agent cell, has key, key cell (−1 once taken), door cell, steps left
/// in the room] followed by the apple map (roomSize² floats).
public struct KeyToDoor: Environment {
    /// The actions, by name.
    public enum Action: Int, Sendable, CaseIterable {
        case up = 0, down = 1, left = 2, right = 3
    }

    public let roomSize: Int
    public let keyRoomSteps: Int
    public let distractorSteps: Int
    public let doorRoomSteps: Int
    public let apples: Int
    public let appleReward: Double
    public let doorReward: Double

    /// 0 key room, 1 distractor room, 2 door room.
    public private(set) var room = 0
    /// The agent's cell, row-major.
    public private(set) var agent = 0
    /// Whether the agent picked up the key (the memory the task is about).
    public private(set) var hasKey = false
    /// The key's cell, or nil once picked up.
    public private(set) var key: Int? = nil
    /// The door's cell (valid in the door room).
    public private(set) var door = 0
    /// Which cells still hold an apple (distractor room).
    public private(set) var appleMap: [Bool] = []
    /// Steps left in the current room.
    public private(set) var stepsLeft = 0

    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(
        roomSize: Int = 5, keyRoomSteps: Int = 10, distractorSteps: Int = 20, doorRoomSteps: Int = 10,
        apples: Int = 5, appleReward: Double = 0.1, doorReward: Double = 1
    ) throws(EnvironmentError) {
        let env = "KeyToDoor"
        try EnvironmentError.require(roomSize, atLeast: 2, "roomSize", in: env)
        try EnvironmentError.require(keyRoomSteps, atLeast: 1, "keyRoomSteps", in: env)
        try EnvironmentError.require(distractorSteps, atLeast: 1, "distractorSteps", in: env)
        try EnvironmentError.require(doorRoomSteps, atLeast: 1, "doorRoomSteps", in: env)
        try EnvironmentError.require(apples, atLeast: 0, "apples", in: env)
        if apples >= roomSize * roomSize {
            throw .invalidArgument(environment: env, argument: "apples", value: "\(apples)",
                                   allowed: "fewer than roomSize² = \(roomSize * roomSize)")
        }
        try EnvironmentError.requireFinite(appleReward, "appleReward", in: env)
        try EnvironmentError.requireFinite(doorReward, "doorReward", in: env)
        self.roomSize = roomSize
        self.keyRoomSteps = keyRoomSteps
        self.distractorSteps = distractorSteps
        self.doorRoomSteps = doorRoomSteps
        self.apples = apples
        self.appleReward = appleReward
        self.doorReward = doorReward
    }

    var cells: Int { roomSize * roomSize }
    /// The episode's length when the door is not opened.
    public var maxSteps: Int { keyRoomSteps + distractorSteps + doorRoomSteps }

    public var name: String { "KeyToDoor(roomSize: \(roomSize))" }
    public var observationSize: Int { 2 * cells + 3 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [2 * cells + 3]) }
    public var actionSpace: Discrete { Discrete(4) }

    public var state: [Float] {
        [Float(room), Float(agent), hasKey ? 1 : 0, Float(key ?? -1), Float(door), Float(stepsLeft)]
            + appleMap.map { $0 ? 1 : 0 }
    }

    // MARK: - Reset and step

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        hasKey = false
        enter(room: 0)
        phase = .running
        write(into: observation)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard let action = Action(rawValue: action) else { throw invalidAction(action) }
        try phase.check(name)
        move(action)
        var result = StepResult(reward: 0)
        switch room {
        case 0:
            if agent == key {
                hasKey = true
                key = nil
            }
        case 1:
            if appleMap[agent] {
                appleMap[agent] = false
                result.reward = appleReward
            }
        default:
            if agent == door && hasKey {
                result.reward = doorReward
                result.terminated = true
            }
        }
        stepsLeft -= 1
        if !result.terminated && stepsLeft == 0 {
            if room == 2 { result.truncated = true } else { enter(room: room + 1) }
        }
        if result.done { phase = .finished }
        write(into: observation)
        return result
    }

    /// Places the agent and the room's objects on distinct random cells.
    mutating func enter(room newRoom: Int) {
        room = newRoom
        var free = Array(0..<cells)
        free.shuffle(using: &rng)
        agent = free.removeLast()
        key = nil
        appleMap = [Bool](repeating: false, count: cells)
        switch newRoom {
        case 0:
            key = free.removeLast()
            stepsLeft = keyRoomSteps
        case 1:
            for _ in 0..<apples { appleMap[free.removeLast()] = true }
            stepsLeft = distractorSteps
        default:
            door = free.removeLast()
            stepsLeft = doorRoomSteps
        }
    }

    mutating func move(_ action: Action) {
        let row = agent / roomSize, column = agent % roomSize
        switch action {
        case .up where row > 0: agent -= roomSize
        case .down where row < roomSize - 1: agent += roomSize
        case .left where column > 0: agent -= 1
        case .right where column < roomSize - 1: agent += 1
        default: break
        }
    }

    func write(into observation: UnsafeMutableBufferPointer<Float>) {
        let n = cells
        writeOneHot(agent, count: n, into: observation)
        for i in 0..<n {
            let object: Bool
            switch room {
            case 0: object = key == i
            case 1: object = appleMap[i]
            default: object = door == i
            }
            observation[n + i] = object ? 1 : 0
        }
        writeOneHot(room, count: 3, into: observation, at: 2 * n)
    }

    public func render() -> String {
        let names = ["key room", "distractor room", "door room"]
        var lines = ["KeyToDoor \(names[room]), \(stepsLeft) steps left, key \(hasKey ? "held" : "not held")"]
        for row in 0..<roomSize {
            var line = ""
            for column in 0..<roomSize {
                let i = row * roomSize + column
                if i == agent { line += "A" }
                else if room == 0 && key == i { line += "k" }
                else if room == 1 && appleMap[i] { line += "o" }
                else if room == 2 && door == i { line += "D" }
                else { line += "." }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension KeyToDoor: HiddenStateOracle {
    /// Straight to the key, then to the nearest apple, then to the door (rows first).
    public func oracleAction() -> Int {
        let target: Int?
        switch room {
        case 0: target = key
        case 1:
            let distance = { (cell: Int) in
                abs(cell / roomSize - agent / roomSize) + abs(cell % roomSize - agent % roomSize)
            }
            target = appleMap.indices.filter { appleMap[$0] }.min { distance($0) < distance($1) }
        default: target = door
        }
        guard let target, target != agent else { return Action.up.rawValue }
        let (row, column) = (agent / roomSize, agent % roomSize)
        let (targetRow, targetColumn) = (target / roomSize, target % roomSize)
        if targetRow < row { return Action.up.rawValue }
        if targetRow > row { return Action.down.rawValue }
        return (targetColumn < column ? Action.left : Action.right).rawValue
    }
}
