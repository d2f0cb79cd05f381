#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the time of training steps goes, phase by phase, for `fastmlp-benchmarks epoch
/// --breakdown`. Each worker adds its own busy time per phase (on its own cache lines); the
/// regions' wall time × threads minus all busy time is the time threads waited at barriers,
/// and a step's wall time outside its regions is the caller's serial work.
///
/// Timing costs two clock reads per phase of a task; a step without a profile reads no clock.
@_spi(Benchmarks)
public final class StepProfile: @unchecked Sendable {  // each worker writes only its own slots
    /// The phases of a step.
    public enum Phase: Int, CaseIterable, Sendable, CustomStringConvertible {
        case gather, firstLayerForward, forward, loss, backward, firstLayerWeightGradient, weightGradient, update, repack

        public var description: String {
            switch self {
            case .gather: return "gather"
            case .firstLayerForward: return "forward: first layer"
            case .forward: return "forward: other layers"
            case .loss: return "loss"
            case .backward: return "backward: deltas (dZ·Wᵀ ⊙ f′)"
            case .firstLayerWeightGradient: return "weight gradients: first layer"
            case .weightGradient: return "weight gradients: other layers"
            case .update: return "optimiser update"
            case .repack: return "repacking W for the next step"
            }
        }
    }

    /// Slots per worker: one per phase, padded to two cache lines.
    private static let stride = 32
    private let workers: Int
    private let busy: UnsafeMutablePointer<UInt64>
    /// Steps timed.
    public private(set) var steps = 0
    /// Summed wall time of the steps, in nanoseconds.
    public private(set) var stepNanoseconds: UInt64 = 0
    /// Summed wall time × threads of the parallel regions, in nanoseconds.
    public private(set) var regionThreadNanoseconds: UInt64 = 0
    /// Steps whose first layer skipped zero inputs, and the nonzero inputs of their batches: the
    /// work of the first layer's products on those steps.
    public private(set) var sparseSteps = 0
    public private(set) var firstLayerNonzeros = 0

    /// A profile for up to `workers` threads.
    public init(workers: Int) {
        self.workers = workers
        busy = .allocate(capacity: workers * Self.stride)
        busy.initialize(repeating: 0, count: workers * Self.stride)
    }

    deinit { busy.deallocate() }

    /// Forgets everything timed so far.
    public func reset() {
        busy.update(repeating: 0, count: workers * Self.stride)
        steps = 0
        stepNanoseconds = 0
        regionThreadNanoseconds = 0
        sparseSteps = 0
        firstLayerNonzeros = 0
    }

    /// Busy nanoseconds of `phase`, summed over the workers.
    public func nanoseconds(_ phase: Phase) -> UInt64 {
        (0..<workers).reduce(0) { $0 + busy[$1 * Self.stride + phase.rawValue] }
    }

    /// Busy nanoseconds of `phase` on worker `worker` alone: with more than one thread, where
    /// the phases' work went (an uneven split shows here and as waiting at barriers).
    public func nanoseconds(_ phase: Phase, worker: Int) -> UInt64 {
        busy[worker * Self.stride + phase.rawValue]
    }

    /// Thread-nanoseconds spent waiting at the regions' barriers.
    public var waitNanoseconds: UInt64 {
        let working = Phase.allCases.reduce(0) { $0 + nanoseconds($1) }
        return regionThreadNanoseconds > working ? regionThreadNanoseconds - working : 0
    }

    @inline(__always) static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// A stopwatch for one task on `worker`.
    @inline(__always) func clock(worker: Int) -> Clock {
        Clock(slots: busy + worker * Self.stride, last: Self.now())
    }

    func addRegion(nanoseconds: UInt64, threads: Int) {
        regionThreadNanoseconds += nanoseconds * UInt64(threads)
    }

    /// Ends a step; `nonzeros` is its batch's nonzero inputs when its first layer skipped zeros.
    func finishStep(nanoseconds: UInt64, nonzeros: Int?) {
        steps += 1
        stepNanoseconds += nanoseconds
        if let nonzeros {
            sparseSteps += 1
            firstLayerNonzeros += nonzeros
        }
    }

    /// Charges the time since the previous lap to a phase.
    struct Clock {
        let slots: UnsafeMutablePointer<UInt64>
        var last: UInt64

        @inline(__always) mutating func lap(_ phase: Phase) {
            let now = StepProfile.now()
            slots[phase.rawValue] += now - last
            last = now
        }
    }
}
