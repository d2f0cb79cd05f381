import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal that asked the run to stop (SIGINT or SIGTERM), or 0; set by the handler and
/// polled by the trainer after every step.
let stopRequest = Atomic<Int32>(0)

/// A run stopped by Ctrl-C (status 130) or SIGTERM (143) after saving what it could.
struct Interrupted: Error {
    let message: String
    var status: Int32 = 130
}

/// Makes the first Ctrl-C or SIGTERM (what Slurm, Kubernetes and systemd send before they kill a
/// job) a request to stop after the current step; a second one exits at once. Both are unblocked
/// too: a parent may have started this process with them blocked.
func installInterruptHandler() {
    for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber) { received in
            if !stopRequest.compareExchange(expected: 0, desired: received, ordering: .relaxed).exchanged {
                _exit(128 + received)
            }
        }
    }
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
