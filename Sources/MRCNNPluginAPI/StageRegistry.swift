import Foundation
import Synchronization

/// Stages by name, each with what it needs, reads and provides, the options it declares and its traits. Checks
/// chains and option values (one-line `StageError`s) and turns a chain into `StagePlan`s. Thread-safe.
public final class StageRegistry: Sendable {
    /// One registered stage kind.
    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        /// Must be provided by an earlier stage.
        public let needs: [Capability]
        /// Used when present: every stage that provides them must come earlier.
        public let reads: [Capability]
        public let provides: [Capability]
        public let options: [any StageOption]
        public let traits: StageTraits
        public let factory: @Sendable (StageContext) throws -> any Stage
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    /// Registers (or replaces) the stage `name`.
    public func register(_ name: String, summary: String, needs: [Capability] = [], reads: [Capability] = [],
                         provides: [Capability] = [], options: [any StageOption] = [], traits: StageTraits = StageTraits(),
                         factory: @escaping @Sendable (StageContext) throws -> any Stage) {
        let entry = Entry(name: name, summary: summary, needs: needs, reads: reads, provides: provides, options: options,
                          traits: traits, factory: factory)
        entries.withLock { all in
            if let i = all.firstIndex(where: { $0.name == name }) { all[i] = entry } else { all.append(entry) }
        }
    }

    /// Registered names in registration order.
    public var names: [String] { all.map(\.name) }

    /// Registered entries in registration order (for listings).
    public var all: [Entry] { entries.withLock { $0 } }

    /// The entry for `name`, if registered.
    public func entry(_ name: String) -> Entry? { all.first { $0.name == name } }

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

    /// Checked, typed option values of every registered stage for `assignments` ("STAGE.OPTION" → text, later ones
    /// win), declared defaults filled in. Unknown keys and values an option does not accept are one-line errors.
    public func resolve(_ assignments: [(key: String, value: String)]) throws -> ChainOptions {
        let known = all
        var texts: [String: String] = [:]
        var values: [String: [String: any Sendable]] = [:], explicit: [String: Set<String>] = [:]
        for entry in known {
            values[entry.name] = Dictionary(entry.options.map { ($0.name, $0.defaultBoxed) }, uniquingKeysWith: { a, _ in a })
        }
        for (key, text) in assignments {
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
            guard let value = option.checkedValue(text) else {
                throw StageError.invalidOption(key: key, value: text, expected: option.expected)
            }
            values[entry.name, default: [:]][option.name] = value
            explicit[entry.name, default: []].insert(option.name)
            texts[key] = text
        }
        let stages = Dictionary(uniqueKeysWithValues: values.map { name, v in
            (name, OptionValues(stage: name, values: v, explicit: explicit[name] ?? []))
        })
        return ChainOptions(stages: stages, assignments: texts)
    }

    /// `resolve` for assignments given as a dictionary (order does not matter: each key once).
    public func resolve(_ assignments: [String: String]) throws -> ChainOptions {
        try resolve(assignments.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Checks the chain, then returns one plan per stage; each plan builds its stage with a context holding its
    /// checked option values, what the earlier stages provide, `shared`, and its `StageWaits`.
    public func plans(for chain: [String], options: ChainOptions, upstream: Set<Capability> = [],
                      shared: SharedResources = SharedResources()) throws -> [StagePlan] {
        try validate(chain, upstream: upstream)
        var available = upstream
        return chain.compactMap(entry).map { entry in
            let waits = StageWaits()
            let context = StageContext(options: options[entry.name], upstream: available, shared: shared, waits: waits)
            available.formUnion(entry.provides)
            let factory = entry.factory
            return StagePlan(name: entry.name, waits: waits) { try factory(context) }
        }
    }

    /// `plans` with the options resolved from `assignments` ("STAGE.OPTION" → text) first.
    public func plans(for chain: [String], options assignments: [(key: String, value: String)], upstream: Set<Capability> = [],
                      shared: SharedResources = SharedResources()) throws -> [StagePlan] {
        try plans(for: chain, options: resolve(assignments), upstream: upstream, shared: shared)
    }

    /// The checked values of one stage declaring `options`, from `assignments` ("STAGE.OPTION" → text): for a
    /// host that computes what a stage would without building a chain (a still-image or benchmark job).
    public static func values(of stage: String, declaring options: [any StageOption],
                              from assignments: [String: String]) throws -> OptionValues {
        let registry = StageRegistry()
        registry.register(stage, summary: "", options: options) { _ in throw StageError.failed(stage: stage, message: "not built here") }
        return try registry.resolve(assignments)[stage]
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
