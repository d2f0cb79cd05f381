import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by the SIGINT handler; polled by the trainer after every step.
let interruptRequested = Atomic<Bool>(false)

/// A run stopped by Ctrl-C after saving what it could: exit status 130.
struct Interrupted: Error {
    let message: String
}

/// Makes the first Ctrl-C a request to stop after the current step; a second one exits at once.
/// SIGINT is unblocked too: a parent may have started this process with it blocked.
func installInterruptHandler() {
    signal(SIGINT) { _ in
        if interruptRequested.exchange(true, ordering: .relaxed) { _exit(130) }
    }
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
