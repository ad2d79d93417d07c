#if canImport(Glibc)
import Glibc
#endif

/// Runs a closure once per process.
final class WarnOnce: @unchecked Sendable {
    private var done = false
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func run(_ body: () -> Void) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if !done { done = true; body() }
    }
}

/// One line to standard error (file descriptor 2), from any thread.
enum StandardErrorLine {
    static func write(_ line: String) {
        var s = line + "\n"
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
