import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal that asked the run to stop (SIGINT or SIGTERM), or 0.
let stopRequest = Atomic<Int32>(0)

/// A run stopped by Ctrl-C (status 130) or SIGTERM (143) after saving what it could.
struct Interrupted: Error {
    let message: String
    var status: Int32 = 130
}

/// A value handed to the task that `runCancellingOnSignals` starts. Unchecked because the value
/// is not `Sendable` (a trainer, the progress line): the calling thread waits, doing nothing,
/// while the task runs, so exactly one thread uses it at any time.
struct Handoff<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs `operation` in a Task and waits for it on this thread. The first Ctrl-C or SIGTERM (what
/// Slurm, Kubernetes and systemd send before they kill a job) cancels the task — a trainer's
/// async `fit` then stops after the current step — and is recorded in ``stopRequest``; a second
/// one exits at once (status 128 + the signal). Both signals are unblocked too: a parent may have started this process
/// with them blocked.
func runCancellingOnSignals<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) throws -> Value {
    let outcome = Mutex<Result<Value, any Error>?>(nil)
    let finished = DispatchSemaphore(value: 0)
    let task = Task {
        let result: Result<Value, any Error>
        do { result = .success(try await operation()) } catch { result = .failure(error) }
        outcome.withLock { $0 = result }
        finished.signal()
    }
    var set = sigset_t()
    sigemptyset(&set)
    let sources = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        sigaddset(&set, number)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {  // the cycle ends when the source is cancelled
            // Signals that arrive together are delivered as one event counting them.
            if source.data == 1, stopRequest.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
                task.cancel()
            } else {
                _exit(128 + number)
            }
        }
        source.resume()
        return source
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    finished.wait()
    // From here on (saving, evaluating) a signal ends the process as usual; files are written
    // atomically, so none is left half-written.
    for source in sources { source.cancel() }
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    return try outcome.withLock { $0! }.get()
}
