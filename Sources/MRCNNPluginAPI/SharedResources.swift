import Synchronization

/// The typed key of one resource in `SharedResources` (the `FeatureKey` pattern): a loaded model, a compute gate.
public struct SharedKey<Value: Sendable>: Sendable, Hashable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// Resources shared between the stages of one chain, each made once per key under a lock of its own, so making
/// one (loading a model) never waits for another. Safe from any thread; `make` must not ask for the same key.
public final class SharedResources: Sendable {
    private final class Slot: Sendable {
        let value = Mutex<(any Sendable)?>(nil)
    }

    private let slots = Mutex<[String: Slot]>([:])

    public init() {}

    private func slot<T>(_ key: SharedKey<T>) -> Slot {
        slots.withLock { all in
            let name = "\(key.name)|\(String(reflecting: T.self))"
            if let slot = all[name] { return slot }
            let slot = Slot()
            all[name] = slot
            return slot
        }
    }

    /// The value stored under `key`, made with `make` on first use (while holding that key's lock, so it runs once).
    public func value<T>(_ key: SharedKey<T>, orMake make: () throws -> T) throws -> T {
        try slot(key).value.withLock { stored in
            if let existing = stored as? T { return existing }
            let made = try make()
            stored = made
            return made
        }
    }

    /// The value stored under `key` by an earlier stage, if any.
    public func existing<T>(_ key: SharedKey<T>) -> T? {
        slot(key).value.withLock { $0 as? T }
    }
}
