#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs a closure once per process.
final class WarnOnce: @unchecked Sendable {
    private var done = false
    private let lock = Mutex(())
    func run(_ body: () -> Void) {
        lock.withLock { _ in
            if !done { done = true; body() }
        }
    }
}

/// One line to standard error (file descriptor 2), from any thread.
enum StandardErrorLine {
    static func write(_ line: String) {
        var s = line + "\n"
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
