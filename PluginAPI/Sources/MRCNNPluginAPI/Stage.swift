import Foundation

/// A pipeline stage. The runner calls `process` with micro-batches in frame order, from one task at a time; `finish` once at the end.
///
/// `process` may edit records in place (add instances, fill `features`, draw into `image`) but must keep
/// the batch's count and order.
public protocol Stage: AnyObject, Sendable {
    var name: String { get }
    func process(_ batch: inout [FrameRecord]) throws
    func finish() throws
}

extension Stage {
    /// Default: nothing to flush.
    public func finish() throws {}
}

/// What a stage factory gets: CLI options by key (e.g. "weights", "score-threshold") and a lock-protected store for resources shared between stages (e.g. the loaded model).
public struct StageContext: Sendable {
    public let options: [String: String]
    public let shared: SharedResources

    public init(options: [String: String] = [:], shared: SharedResources = SharedResources()) {
        self.options = options
        self.shared = shared
    }

    /// The option parsed as a Float, `defaultValue` when absent; throws a one-line error when malformed.
    public func float(_ key: String, default defaultValue: Float) throws -> Float {
        guard let text = options[key] else { return defaultValue }
        guard let value = Float(text), value.isFinite else { throw StageError.invalidOption(key: key, value: text) }
        return value
    }

    /// The option parsed as an Int, `defaultValue` when absent; throws a one-line error when malformed.
    public func int(_ key: String, default defaultValue: Int) throws -> Int {
        guard let text = options[key] else { return defaultValue }
        guard let value = Int(text) else { throw StageError.invalidOption(key: key, value: text) }
        return value
    }
}

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

/// Errors from building or running stages; `description` is one line.
public enum StageError: Error, CustomStringConvertible, Equatable {
    case unknownStage(String, available: [String])
    case missingRequirement(stage: String, requires: String)
    case duplicateStage(String)
    case invalidOption(key: String, value: String)
    case failed(stage: String, message: String)

    public var description: String {
        switch self {
        case let .unknownStage(name, available):
            return "unknown stage '\(name)' (available: \(available.joined(separator: ", ")))"
        case let .missingRequirement(stage, requires):
            return "stage '\(stage)' requires '\(requires)' earlier in the chain"
        case let .duplicateStage(name):
            return "stage '\(name)' appears more than once in the chain"
        case let .invalidOption(key, value):
            return "invalid value '\(value)' for option '\(key)'"
        case let .failed(stage, message):
            return "stage '\(stage)' failed: \(message)"
        }
    }
}
