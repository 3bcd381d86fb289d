import Foundation
import Synchronization

/// The error thrown where work stops because the user interrupted the process (SIGINT, SIGTERM
/// or SIGHUP).
public struct InterruptedError: Error, CustomStringConvertible, Equatable {
    /// The signal that asked the process to stop.
    public let signal: Int32

    public init(signal: Int32) { self.signal = signal }

    public var description: String { "interrupted by \(Interruption.name(of: signal))" }
}

/// Stopping on SIGINT, SIGTERM and SIGHUP without crashing.
///
/// Exiting from a signal handler while worker threads are inside OpenBLAS or ICU crashes:
/// `exit` runs the libraries' destructors under the threads' feet. Instead:
///
/// 1. The handler (async-signal-safe: an atomic store and a `write` to a pipe) only records
///    the signal; `requested` turns true.
/// 2. Long-running loops check `requested` (or call `check()`) at batch or chunk boundaries,
///    stop their workers and throw `InterruptedError`; the command unwinds, its `OutputFile`s
///    remove their temporaries, and the entry point calls `finish`, which removes what is left
///    in `TemporaryFiles` and ends the process with `_exit(128 + signal)`.
/// 3. A watcher thread is the safety net: when no cooperating work runs (`cooperating` not
///    entered), or when the work has not stopped within `grace` seconds, or on a second signal,
///    it removes the temporaries and calls `_exit(128 + signal)` itself. `_exit` runs no
///    destructors and no `atexit` handlers, so threads still running cannot be hurt by it.
public enum Interruption {
    /// The first signal received, 0 while none.
    private static let received = Atomic<Int32>(0)
    /// Nesting depth of `cooperating` sections.
    private static let depth = Atomic<Int>(0)
    /// The write end of the watcher's pipe (-1 before `install`).
    private static let wakeDescriptor = Atomic<Int32>(-1)
    /// Taken by `finish` and never released: the process ends with it held.
    private static let ending = NSLock()
    private static let installed = Atomic<Bool>(false)

    /// Whether a signal asked the process to stop.
    public static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The signal that asked the process to stop, or nil.
    public static var signal: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Throws `InterruptedError` once a signal asked the process to stop.
    public static func check() throws {
        let value = received.load(ordering: .relaxed)
        if value != 0 { throw InterruptedError(signal: value) }
    }

    /// Runs `body`, which checks `requested` often enough to stop within `grace` seconds; while
    /// it runs, a signal waits for it to stop instead of ending the process at once.
    public static func cooperating<T>(_ body: () throws -> T) rethrows -> T {
        depth.add(1, ordering: .sequentiallyConsistent)
        defer { depth.subtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }

    /// Installs the handlers for SIGINT, SIGTERM and SIGHUP and starts the watcher thread. Call
    /// once, from the command-line entry point, before any other thread starts.
    /// - Parameter grace: seconds that cooperating work has to stop before the watcher ends the
    ///   process itself.
    public static func install(grace: Double = 5) {
        guard !installed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        // Touch every static the handler uses, so that none is first initialized inside it.
        _ = received.load(ordering: .relaxed)
        wakeDescriptor.store(ends[1], ordering: .sequentiallyConsistent)
        _ = TemporaryFiles.shared
        let reader = ends[0]
        let watcher = Thread { watch(reader: reader, grace: grace) }
        watcher.stackSize = 1 << 18
        watcher.start()
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            // SIGINT and SIGHUP ignored from the start stay ignored: a shell does that for
            // background jobs, and `nohup` for SIGHUP.
            var previous = sigaction()
            sigaction(number, nil, &previous)
            #if os(Linux)
            let ignored = unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            #else
            let ignored = unsafeBitCast(previous.__sigaction_u.__sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            #endif
            if ignored && number != SIGTERM { continue }
            sigaddset(&unblock, number)
            var action = sigaction()
            #if os(Linux)
            action.__sigaction_handler.sa_handler = { number in Interruption.handle(number) }
            #else
            action.__sigaction_u.__sa_handler = { number in Interruption.handle(number) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        // A parent may hand down a mask that blocks them (threads started later inherit this
        // thread's mask; threads that libraries started earlier keep theirs, and the kernel
        // delivers to a thread that does not block the signal).
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The signal handler: async-signal-safe (atomics and `write` only).
    private static func handle(_ number: Int32) {
        let saved = errno
        _ = received.compareExchange(expected: 0, desired: number, ordering: .sequentiallyConsistent)
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(wakeDescriptor.load(ordering: .relaxed), &byte, 1)
        errno = saved
    }

    /// The watcher thread: acts on the first signal at once when no cooperating work runs,
    /// else after `grace` seconds or a second signal.
    private static func watch(reader: Int32, grace: Double) {
        var byte: UInt8 = 0
        while read(reader, &byte, 1) != 1 {
            if errno != EINTR { return }
        }
        let number = received.load(ordering: .sequentiallyConsistent)
        if depth.load(ordering: .sequentiallyConsistent) == 0 { finish(signal: number) }
        StandardError.write("\ninterrupted (\(name(of: number))): stopping; interrupt again to quit at once\n")
        let deadline = MonotonicClock.now() + grace
        while true {
            let left = deadline - MonotonicClock.now()
            if left <= 0 { break }
            var entry = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(min(left, 1) * 1000) + 1)
            if ready > 0 && read(reader, &byte, 1) == 1 { finish(signal: number, message: "interrupted again: partial outputs removed") }
        }
        finish(signal: number, message: "interrupted: the work did not stop within \(Int(grace)) s; partial outputs removed")
    }

    /// Removes every registered temporary, prints `message` and ends the process with
    /// 128 + `signal`, without running destructors or `atexit` handlers (`_exit`). Safe to
    /// call from several threads: the first one ends the process, the others wait for it.
    public static func finish(signal number: Int32, message: String = "interrupted: partial outputs removed") -> Never {
        ending.lock()
        TemporaryFiles.shared.removeAllAndSeal()
        StandardError.write("\n\(message)\n")
        _exit(128 + number)
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`, or `signal N`.
    public static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }
}
