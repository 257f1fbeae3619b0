import TensorCore

/// The random stream of a wrapper that draws its own numbers (Flicker), derived from the
/// reset seed so that a seeded episode is reproducible, yet independent of the wrapped
/// environment's stream (which `RNG(seed: seed)` starts): the child key of a split is
/// never reached by the parent's counter.
@inlinable
func wrapperRNG(seed: UInt64, salt: UInt64) -> RNG {
    var parent = RNG(seed: seed ^ salt)
    return parent.split()
}
