import Foundation

/// Stages by name, each with what it needs, reads and provides, and the options it declares. Checks chains and
/// option assignments (one-line `StageError`s) and turns a chain into `StagePlan`s. Thread-safe.
public final class StageRegistry: @unchecked Sendable {
    /// One registered stage kind.
    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        /// Must be provided by an earlier stage.
        public let needs: [Capability]
        /// Used when present: every stage that provides them must come earlier.
        public let reads: [Capability]
        public let provides: [Capability]
        public let options: [StageOption]
        public let factory: @Sendable (StageContext) throws -> any Stage
    }

    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    /// Registers (or replaces) the stage `name`.
    public func register(_ name: String, summary: String, needs: [Capability] = [], reads: [Capability] = [],
                         provides: [Capability] = [], options: [StageOption] = [],
                         factory: @escaping @Sendable (StageContext) throws -> any Stage) {
        let entry = Entry(name: name, summary: summary, needs: needs, reads: reads, provides: provides, options: options,
                          factory: factory)
        lock.withLock {
            if let i = entries.firstIndex(where: { $0.name == name }) { entries[i] = entry } else { entries.append(entry) }
        }
    }

    /// Registered names in registration order.
    public var names: [String] { lock.withLock { entries.map(\.name) } }

    /// Registered entries in registration order (for listings).
    public var all: [Entry] { lock.withLock { entries } }

    /// The entry for `name`, if registered.
    public func entry(_ name: String) -> Entry? { lock.withLock { entries.first { $0.name == name } } }

    /// What the chain provides after its last stage (plus `upstream`).
    public func provided(by chain: [String], upstream: Set<Capability> = []) -> Set<Capability> {
        chain.compactMap(entry).reduce(into: upstream) { $0.formUnion($1.provides) }
    }

    /// Checks a chain without building it: every name known, no duplicates, every need provided earlier (or by
    /// `upstream`, what runs before the chain), and whoever provides what a stage reads placed before it.
    public func validate(_ chain: [String], upstream: Set<Capability> = []) throws {
        let known = all
        let stages = try chain.map { name in
            guard let entry = known.first(where: { $0.name == name }) else {
                throw StageError.unknownStage(name, available: known.map(\.name))
            }
            return entry
        }
        var available = upstream, seen: Set<String> = []
        for (i, stage) in stages.enumerated() {
            guard seen.insert(stage.name).inserted else { throw StageError.duplicateStage(stage.name) }
            for need in stage.needs where !available.contains(need) {
                throw StageError.missingCapability(stage: stage.name, capability: need,
                                                   providers: known.filter { $0.provides.contains(need) }.map(\.name))
            }
            for read in stage.reads {
                if let later = stages[(i + 1)...].first(where: { $0.provides.contains(read) }) {
                    throw StageError.providedTooLate(stage: stage.name, capability: read, provider: later.name)
                }
            }
            available.formUnion(stage.provides)
        }
    }

    /// Option values by stage for `assignments` ("STAGE.OPTION" → value, later ones win), with every declared
    /// default filled in; unknown keys and values of the wrong type are one-line errors.
    public func resolveOptions(_ assignments: [(key: String, value: String)]) throws -> [String: [String: String]] {
        let known = all
        var values: [String: [String: String]] = [:]
        for entry in known {
            values[entry.name] = entry.options.reduce(into: [:]) { $0[$1.name] = $1.defaultValue }
        }
        for (key, value) in assignments {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw StageError.unknownOption(key: key, hint: "write STAGE.OPTION=VALUE, e.g. tracker.max-age=30; `mrcnn stages` lists them")
            }
            guard let entry = known.first(where: { $0.name == parts[0] }) else {
                throw StageError.unknownOption(key: key, hint: "no stage '\(parts[0])'; stages: \(known.map(\.name).joined(separator: ", "))")
            }
            guard let option = entry.options.first(where: { $0.name == parts[1] }) else {
                let names = entry.options.map(\.name)
                throw StageError.unknownOption(key: key, hint: names.isEmpty ? "stage '\(entry.name)' has no options"
                                               : "options of '\(entry.name)': \(names.joined(separator: ", "))")
            }
            try option.check(value, key: key)
            values[entry.name, default: [:]][option.name] = value
        }
        return values
    }

    /// Checks the chain and the options, then returns one plan per stage; each plan builds its stage with a
    /// context holding the option values, what the earlier stages provide, and `shared`.
    public func plans(for chain: [String], options assignments: [(key: String, value: String)] = [],
                      upstream: Set<Capability> = [], shared: SharedResources = SharedResources()) throws -> [StagePlan] {
        try validate(chain, upstream: upstream)
        let values = try resolveOptions(assignments)
        var available = upstream
        return chain.compactMap(entry).map { entry in
            let context = StageContext(stage: entry.name, values: values, upstream: available, shared: shared)
            available.formUnion(entry.provides)
            let factory = entry.factory
            return StagePlan(name: entry.name) { try factory(context) }
        }
    }

    /// Splits a comma-separated list ("detector, mask,render") into trimmed, non-empty names.
    public static func parseChain(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// "KEY=VALUE" split at the first '=', nil when there is none or the key is empty.
    public static func parseAssignment(_ text: String) -> (key: String, value: String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }
}
