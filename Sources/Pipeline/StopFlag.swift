import Synchronization

/// A thread-safe one-way flag asking a pipeline to stop reading (set from a signal handler's queue, read by the reader task).
public final class StopFlag: Sendable {
    private struct State {
        var value = false
        var actions: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Requests the stop; idempotent. Runs the `whenSet` actions once, on the caller's thread.
    public func set() {
        let pending: [@Sendable () -> Void] = state.withLock { s in
            guard !s.value else { return [] }
            s.value = true
            defer { s.actions = [] }
            return s.actions
        }
        for action in pending { action() }
    }

    /// True once `set()` was called.
    public var isSet: Bool { state.withLock { $0.value } }

    /// Runs `action` when the flag is set (at once if it already is), e.g. to interrupt a source blocked in a read.
    public func whenSet(_ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = state.withLock { s in
            if s.value { return true }
            s.actions.append(action)
            return false
        }
        if runNow { action() }
    }
}
