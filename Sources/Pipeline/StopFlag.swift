import Foundation

/// A thread-safe one-way flag asking a pipeline to stop reading (set from a signal handler's queue, read by the reader task).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    public init() {}

    /// Requests the stop; idempotent.
    public func set() { lock.withLock { value = true } }

    /// True once `set()` was called.
    public var isSet: Bool { lock.withLock { value } }
}
