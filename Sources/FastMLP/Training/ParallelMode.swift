/// How the threads of a ``Trainer`` share an epoch.
public enum ParallelMode: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// One minibatch at a time, every product and elementwise pass split over the threads by
    /// output elements. Deterministic: the weights are bitwise the same for any thread count.
    case synchronous = "sync"
    /// Each thread runs its own minibatch SGD on its own slice of the epoch, updating the shared
    /// weights without locks (Recht et al., 2011). Not reproducible from run to run; see
    /// ``HogwildSchedule``.
    case hogwild

    public var description: String { rawValue }
}
