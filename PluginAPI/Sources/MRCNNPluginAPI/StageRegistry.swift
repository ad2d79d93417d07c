import Foundation

/// Stages by name; `requires` lists stage names that must appear earlier in a chain (an entry "a|b" is satisfied
/// by either). Thread-safe.
public final class StageRegistry: @unchecked Sendable {
    /// One registered stage kind.
    public struct Entry: Sendable {
        public let name: String
        public let requires: [String]
        public let summary: String
        public let factory: @Sendable (StageContext) throws -> any Stage
    }

    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    /// Registers (or replaces) the stage `name`.
    public func register(_ name: String, requires: [String] = [], summary: String,
                         factory: @escaping @Sendable (StageContext) throws -> any Stage) {
        let entry = Entry(name: name, requires: requires, summary: summary, factory: factory)
        lock.withLock {
            if let i = entries.firstIndex(where: { $0.name == name }) {
                entries[i] = entry
            } else {
                entries.append(entry)
            }
        }
    }

    /// Registered names in registration order.
    public var names: [String] { lock.withLock { entries.map(\.name) } }

    /// Registered entries in registration order (for help texts).
    public var all: [Entry] { lock.withLock { entries } }

    /// The entry for `name`, if registered.
    public func entry(_ name: String) -> Entry? { lock.withLock { entries.first { $0.name == name } } }

    /// Checks a chain without building it: every name known, no duplicates, every requirement earlier.
    public func validate(_ names: [String]) throws {
        let known = lock.withLock { entries }
        var seen: Set<String> = []
        for name in names {
            guard let entry = known.first(where: { $0.name == name }) else {
                throw StageError.unknownStage(name, available: known.map(\.name))
            }
            guard !seen.contains(name) else { throw StageError.duplicateStage(name) }
            for required in entry.requires where !required.split(separator: "|").contains(where: { seen.contains(String($0)) }) {
                throw StageError.missingRequirement(stage: name, requires: required.replacingOccurrences(of: "|", with: "' or '"))
            }
            seen.insert(name)
        }
    }

    /// Validates the chain, then builds its stages in order with one shared context.
    public func makeChain(_ names: [String], context: StageContext) throws -> [any Stage] {
        try validate(names)
        return try names.map { name in
            guard let entry = entry(name) else { throw StageError.unknownStage(name, available: self.names) }
            return try entry.factory(context)
        }
    }

    /// Splits a comma-separated chain ("detector, mask,render") into trimmed, non-empty names.
    public static func parseChain(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
