import Language

/// The items of an immutable host object's list members, built on first use.
///
/// A script reads such members in loops (`for i in 0..<data.count { data.rewards[i] }`);
/// building the whole list again at every index made those loops quadratic (seconds for a
/// few thousand items). Each access still returns a list of its own, sharing the items until
/// it is written, so a script that appends to one does not change the next (as if the
/// member were computed each time).
final class CachedLists {
    private var items: [String: [Value]] = [:]

    /// A fresh list of the items of `name`, built by `build` the first time.
    func list(_ name: String, _ build: () throws -> [Value]) rethrows -> Value {
        if let cached = items[name] { return .array(cached) }
        let built = try build()
        items[name] = built
        return .array(built)
    }
}
