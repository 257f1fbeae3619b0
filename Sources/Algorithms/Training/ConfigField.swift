/// One setting of an algorithm's configuration as the language sees it: its snake_case
/// name, the key path of the field it sets, and a one-line doc with the paper's symbol.
/// The default is the config's own (read through the key path from `C()`), so each value
/// is written once. A config lists its fields in a static `fields` table beside its
/// declaration; the runtime builds the constructor's keyword arguments from it.
public struct ConfigField<C> {
    public let name: String
    public let keyPath: PartialKeyPath<C>
    public let doc: String

    public init(_ name: String, _ keyPath: PartialKeyPath<C>, _ doc: String) {
        self.name = name
        self.keyPath = keyPath
        self.doc = doc
    }
}
