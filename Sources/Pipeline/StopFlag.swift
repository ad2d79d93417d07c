import Foundation

/// A thread-safe one-way flag asking a pipeline to stop reading (set from a signal handler's queue, read by the reader task).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var actions: [@Sendable () -> Void] = []

    public init() {}

    /// Requests the stop; idempotent. Runs the `whenSet` actions once, on the caller's thread.
    public func set() {
        let pending: [@Sendable () -> Void] = lock.withLock {
            guard !value else { return [] }
            value = true
            defer { actions = [] }
            return actions
        }
        for action in pending { action() }
    }

    /// True once `set()` was called.
    public var isSet: Bool { lock.withLock { value } }

    /// Runs `action` when the flag is set (at once if it already is), e.g. to interrupt a source blocked in a read.
    public func whenSet(_ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock {
            if value { return true }
            actions.append(action)
            return false
        }
        if runNow { action() }
    }
}
