/// How the threads of a ``Trainer`` share an epoch.
public enum ParallelMode: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// One minibatch at a time, data-parallel: row tiles of the batch run the per-sample chain,
    /// then blocks of the weight gradients are summed over the whole batch and updated, each by
    /// one thread. Deterministic: the weights are bitwise the same for any thread count.
    case synchronous = "sync"
    /// Each thread runs its own minibatch SGD on its own slice of the epoch, updating the shared
    /// weights without locks (Recht et al., 2011). Not reproducible from run to run; see
    /// `HogwildSchedule`.
    case hogwild

    public var description: String { rawValue }
}
