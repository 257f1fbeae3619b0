import TensorCore

/// A small text adventure in the manner of TextWorld (Côté et al., 2018): four rooms, a
/// key, a locked door and a garden to reach, played by typing commands.
///
/// ## Description
/// The player starts in the hall. The kitchen lies east, the library west, and a locked
/// door north leads to the garden. A key lies in the kitchen or the library (drawn at
/// reset), with a lamp and a book as distractors. To win: find and take the key, come back,
/// "unlock door", "open door", "go north" — six commands at best.
///
/// Commands come three ways: an index into the 14 canonical commands (utterance-level
/// agents, with `admissibleCommands` — the ones the game would carry out — as TextWorld
/// provides them), one word at a time (token-level agents: a verb, then its noun), or free
/// text through `step(text:)`, read by `CommandParser`. Text the parser cannot read is
/// answered in the game's voice ("i don't know the word \"xyzzy\".") and costs a turn; it
/// never throws.
///
/// ## Action space
/// - `.commands` (default): `Discrete(14)`, the commands of `TextAdventure.commands`.
/// - `.words`: `Discrete(15)`, the 7 verbs then the 8 nouns of `TextAdventure.words`. A
///   verb that takes no noun ("look") acts at once; another waits for its noun; a lone
///   direction means "go" there; any other lone noun is answered "what do you want to do?".
///
/// ## Observation space
/// - `.features` (default): `Box(0, 1, shape: [19])` — the room (one-hot, 4), the objects
///   held (key, lamp, book), the objects in the room, the door unlocked and open, and the
///   verb waiting for a noun (one-hot, 7; words mode only).
/// - `.text`: the game's last message as `textLength` ids of `CharacterTokenizer.lessons`.
/// `info["text"]` holds the message; `info["admissible_commands"]` the admissible commands
/// joined by "|".
///
/// ## Rewards
/// +1 for entering the garden; −`stepCost` (0.01) for every step (every word in words mode).
///
/// ## Starting state
/// The hall, the door locked, the lamp in the kitchen, the book in the library, and the key
/// in the kitchen or the library with probability 1/2 (or `options["key_room"]`: 1 kitchen,
/// 2 library).
///
/// ## Episode end
/// Terminated on reaching the garden; truncated after `maxSteps` (50) steps.
///
/// ## Arguments
/// `actions` (`.commands`), `observation` (`.features`), `maxSteps` ≥ 1 (50),
/// `stepCost` (0.01), `textLength` ≥ 8 (96).
///
/// ## Hidden state
/// `state` is [room, key place, lamp place, book place, door (0 locked, 1 closed, 2 open),
/// waiting verb + 1 (0 none)], a place being a room or −1 when held.
public struct TextAdventure: Environment {
    public enum Actions: String, Sendable, CaseIterable { case commands, words }
    public enum Observation: String, Sendable, CaseIterable { case features, text }

    public enum Room: Int, Sendable, CaseIterable {
        case hall, kitchen, library, garden
        var name: String { "\(self)" }
    }

    /// The canonical commands (utterance-level actions).
    public static let commands: [Command] = [
        Command(.go, .north), Command(.go, .south), Command(.go, .east), Command(.go, .west),
        Command(.take, .key), Command(.take, .lamp), Command(.take, .book),
        Command(.drop, .key), Command(.drop, .lamp), Command(.drop, .book),
        Command(.unlock, .door), Command(.open, .door), Command(.look), Command(.inventory),
    ]
    /// The words (token-level actions): the verbs, then the nouns.
    public static let words: [String] = Command.Verb.allCases.map(\.rawValue) + Command.Noun.allCases.map(\.rawValue)
    static let objects: [Command.Noun] = [.key, .lamp, .book]

    public let actions: Actions
    public let observation: Observation
    public let maxSteps: Int
    public let stepCost: Double
    public let textLength: Int
    let tokenizer = CharacterTokenizer.lessons

    public private(set) var room = Room.hall
    /// Where the key, lamp and book are: a room's raw value, or −1 when held.
    public private(set) var places = [1, 1, 2]
    /// 0 locked, 1 unlocked and closed, 2 open.
    public private(set) var door = 0
    /// The verb waiting for its noun (words mode).
    public private(set) var pendingVerb: Command.Verb?
    public private(set) var elapsedSteps = 0
    public private(set) var lastMessage = ""
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(actions: Actions = .commands, observation: Observation = .features, maxSteps: Int = 50,
                stepCost: Double = 0.01, textLength: Int = 96) throws(EnvironmentError) {
        try EnvironmentError.require(maxSteps, atLeast: 1, "maxSteps", in: "TextAdventure")
        try EnvironmentError.requireFinite(stepCost, "stepCost", in: "TextAdventure")
        try EnvironmentError.require(textLength, atLeast: 8, "textLength", in: "TextAdventure")
        self.actions = actions
        self.observation = observation
        self.maxSteps = maxSteps
        self.stepCost = stepCost
        self.textLength = textLength
    }

    public var name: String { "TextAdventure(\(actions), \(observation))" }
    public var observationSize: Int { observation == .features ? 19 : textLength }
    public var observationSpace: Box {
        observation == .features ? Box(low: 0, high: 1, shape: [19]) : Box(low: 0, high: Float(tokenizer.vocabularySize - 1), shape: [textLength])
    }
    public var actionSpace: Discrete { Discrete(actions == .commands ? TextAdventure.commands.count : TextAdventure.words.count) }
    public var state: [Float] {
        [Float(room.rawValue)] + places.map(Float.init) + [Float(door), Float(pendingVerb.map { Command.Verb.allCases.firstIndex(of: $0)! + 1 } ?? 0)]
    }

    // MARK: - The game

    func exits(_ r: Room) -> [(Command.Noun, Room)] {
        switch r {
        case .hall: return [(.north, .garden), (.east, .kitchen), (.west, .library)]
        case .kitchen: return [(.west, .hall)]
        case .library: return [(.east, .hall)]
        case .garden: return [(.south, .hall)]
        }
    }

    func objectIndex(_ n: Command.Noun) -> Int? { TextAdventure.objects.firstIndex(of: n) }

    /// What the player sees in the current room.
    public func describe() -> String {
        var s = "you are in the \(room.name)."
        if room == .hall { s += [" a locked door leads north.", " a closed door leads north.", " an open door leads north."][door] }
        s += " exits: " + exits(room).filter { room != .hall || $0.0 != .north }.map(\.0.rawValue).joined(separator: ", ") + "."
        let here = TextAdventure.objects.enumerated().filter { places[$0.offset] == room.rawValue }.map(\.element.rawValue)
        s += here.isEmpty ? " you see nothing." : " you see a " + here.joined(separator: " and a ") + "."
        return s
    }

    /// The commands the game would carry out now (TextWorld's admissible commands).
    public var admissibleCommands: [Command] {
        TextAdventure.commands.filter { c in
            switch c.verb {
            case .look, .inventory: return true
            case .go: return exits(room).contains { $0.0 == c.noun && !(room == .hall && $0.0 == .north && door < 2) }
            case .take: return places[objectIndex(c.noun!)!] == room.rawValue
            case .drop: return places[objectIndex(c.noun!)!] == -1
            case .unlock: return room == .hall && door == 0 && places[0] == -1
            case .open: return room == .hall && door == 1
            }
        }
    }

    /// Carries out `c`: the game's reply, and whether the garden was reached.
    mutating func execute(_ c: Command) -> (message: String, won: Bool) {
        switch c.verb {
        case .look: return (describe(), false)
        case .inventory:
            let held = TextAdventure.objects.enumerated().filter { places[$0.offset] == -1 }.map(\.element.rawValue)
            return (held.isEmpty ? "you carry nothing." : "you carry: " + held.joined(separator: ", ") + ".", false)
        case .go:
            guard let n = c.noun, n.isDirection else { return ("you cannot go there.", false) }
            guard let (_, to) = exits(room).first(where: { $0.0 == n }) else { return ("you cannot go that way.", false) }
            if room == .hall, n == .north, door < 2 { return (door == 0 ? "the door is locked." : "the door is closed.", false) }
            room = to
            if to == .garden { return ("you step into the garden. you win!", true) }
            return (describe(), false)
        case .take, .drop:
            guard let n = c.noun, let i = objectIndex(n) else { return ("you cannot \(c.verb.rawValue) that.", false) }
            if c.verb == .take {
                if places[i] == -1 { return ("you already have the \(n.rawValue).", false) }
                guard places[i] == room.rawValue else { return ("there is no \(n.rawValue) here.", false) }
                places[i] = -1
                return ("taken.", false)
            }
            guard places[i] == -1 else { return ("you do not have the \(n.rawValue).", false) }
            places[i] = room.rawValue
            return ("dropped.", false)
        case .unlock, .open:
            guard c.noun == .door else { return ("you cannot \(c.verb.rawValue) that.", false) }
            guard room == .hall else { return ("there is no door here.", false) }
            if c.verb == .unlock {
                if door > 0 { return ("it is already unlocked.", false) }
                guard places[0] == -1 else { return ("you need the key.", false) }
                door = 1
                return ("you unlock the door.", false)
            }
            if door == 0 { return ("it is locked.", false) }
            if door == 2 { return ("it is already open.", false) }
            door = 2
            return ("you open the door.", false)
        }
    }

    // MARK: - Reset and step

    /// `options["key_room"]` (1 kitchen, 2 library) fixes where the key lies.
    public mutating func reset(seed: UInt64?, options: ResetOptions, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        var keyRoom = rng.bernoulli(0.5) ? 2 : 1
        if let forced = options["key_room"] {
            guard forced == 1 || forced == 2 else {
                throw .invalidArgument(environment: name, argument: "options[\"key_room\"]", value: "\(forced)", allowed: "1 (kitchen) or 2 (library)")
            }
            keyRoom = Int(forced)
        }
        room = .hall
        places = [keyRoom, 1, 2]
        door = 0
        pendingVerb = nil
        elapsedSteps = 0
        lastMessage = describe()
        phase = .running
        write(into: obs)
        return info()
    }

    public mutating func step(_ action: Int, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        if actions == .commands { return finish(execute(TextAdventure.commands[action]), into: obs) }
        let verbs = Command.Verb.allCases
        if action < verbs.count {
            let v = verbs[action]
            if !v.takesNoun {
                pendingVerb = nil
                return finish(execute(Command(v)), into: obs)
            }
            pendingVerb = v
            return finish((v == .go ? "go where?" : "what do you want to \(v.rawValue)?", false), into: obs)
        }
        let n = Command.Noun.allCases[action - verbs.count]
        if let v = pendingVerb {
            pendingVerb = nil
            return finish(execute(Command(v, n)), into: obs)
        }
        if n.isDirection { return finish(execute(Command(.go, n)), into: obs) }
        return finish(("what do you want to do with the \(n.rawValue)?", false), into: obs)
    }

    /// Plays free text, read by `CommandParser`; text it cannot read gets the game's reply
    /// and costs a step, like any other.
    public mutating func step(text: String) throws(EnvironmentError) -> Transition {
        try phase.check(name)
        var observation = [Float](repeating: 0, count: observationSize)
        let result: StepResult
        switch CommandParser.parse(text) {
        case .command(let c):
            pendingVerb = nil
            result = observation.withUnsafeMutableBufferPointer { finish(execute(c), into: $0) }
        case .failure(let reply):
            result = observation.withUnsafeMutableBufferPointer { finish((reply, false), into: $0) }
        }
        return (observation, result.reward, result.terminated, result.truncated, result.info)
    }

    mutating func finish(_ outcome: (message: String, won: Bool), into obs: UnsafeMutableBufferPointer<Float>) -> StepResult {
        elapsedSteps += 1
        lastMessage = outcome.message
        var result = StepResult(reward: -stepCost + (outcome.won ? 1 : 0), terminated: outcome.won)
        result.truncated = !result.terminated && elapsedSteps >= maxSteps
        if result.done { phase = .finished }
        write(into: obs)
        result.info = info()
        return result
    }

    func info() -> Info {
        ["text": .string(lastMessage), "admissible_commands": .string(admissibleCommands.map(\.description).joined(separator: "|"))]
    }

    func write(into obs: UnsafeMutableBufferPointer<Float>) {
        if observation == .text {
            try? TextSpace(vocabulary: tokenizer.vocabularySize, length: textLength).write(lastMessage, with: tokenizer, into: obs)
            return
        }
        for i in 0..<19 { obs[i] = 0 }
        obs[room.rawValue] = 1
        for i in 0..<3 {
            obs[4 + i] = places[i] == -1 ? 1 : 0
            obs[7 + i] = places[i] == room.rawValue ? 1 : 0
        }
        obs[10] = door >= 1 ? 1 : 0
        obs[11] = door == 2 ? 1 : 0
        if let v = pendingVerb { obs[12 + Command.Verb.allCases.firstIndex(of: v)!] = 1 }
    }

    public func render() -> String {
        "TextAdventure step \(elapsedSteps): \(describe()) | \(lastMessage)"
    }
}

extension TextAdventure: HiddenStateOracle {
    /// The next command of the shortest solution (its verb, then its noun, in words mode).
    public func oracleAction() -> Int {
        let c: Command
        if room == .hall && door == 2 { c = Command(.go, .north) }
        else if places[0] == -1 {
            if room != .hall { c = Command(.go, room == .kitchen ? .west : .east) }
            else { c = door == 0 ? Command(.unlock, .door) : Command(.open, .door) }
        } else if places[0] == room.rawValue { c = Command(.take, .key) }
        else if room == .hall { c = Command(.go, places[0] == 1 ? .east : .west) }
        else { c = Command(.go, room == .kitchen ? .west : .east) }
        if actions == .commands { return TextAdventure.commands.firstIndex(of: c)! }
        let verbs = Command.Verb.allCases
        if pendingVerb == c.verb, let n = c.noun { return verbs.count + Command.Noun.allCases.firstIndex(of: n)! }
        return verbs.firstIndex(of: c.verb)!
    }
}
