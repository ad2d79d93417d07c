import Foundation

/// Resources shared between stages of one chain, created once per key under a lock; safe from any thread.
public final class SharedResources: @unchecked Sendable {
    private let lock = NSRecursiveLock()
    private var values: [String: any Sendable] = [:]

    public init() {}

    /// The value stored under `key`, creating it with `make` on first use (while holding the lock, so it runs once).
    /// Values are keyed by `key` and type together, so two stages asking for different types never collide.
    public func value<T: Sendable>(_ key: String, orMake make: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        let slot = "\(key)|\(String(reflecting: T.self))"
        if let existing = values[slot] as? T { return existing }
        let made = try make()
        values[slot] = made
        return made
    }
}
