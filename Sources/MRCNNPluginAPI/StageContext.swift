import Foundation

/// What a stage factory gets: its stage's option values (declared defaults filled in, types already checked),
/// the capabilities earlier stages provide, and a store for resources shared by the stages of one chain (e.g. a
/// loaded model). Factories run on their stages' threads, possibly at the same time.
public struct StageContext: Sendable {
    /// The stage being built.
    public let stage: String
    /// What the stages before it in the chain provide.
    public let upstream: Set<Capability>
    public let shared: SharedResources
    /// Option values by stage, then option name.
    let values: [String: [String: String]]

    public init(stage: String, values: [String: [String: String]] = [:], upstream: Set<Capability> = [],
                shared: SharedResources = SharedResources()) {
        self.stage = stage
        self.values = values
        self.upstream = upstream
        self.shared = shared
    }

    /// The value of option `name` of `stage` (default: this stage); nil when unset and without default.
    public func string(_ name: String, of stage: String? = nil) -> String? { values[stage ?? self.stage]?[name] }

    public func int(_ name: String, of stage: String? = nil) throws -> Int {
        try parse(name, of: stage, Int.init)
    }

    public func float(_ name: String, of stage: String? = nil) throws -> Float {
        try parse(name, of: stage) { Float($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    public func bool(_ name: String, of stage: String? = nil) throws -> Bool {
        try parse(name, of: stage, Bool.init)
    }

    private func parse<T>(_ name: String, of stage: String?, _ make: (String) -> T?) throws -> T {
        let owner = stage ?? self.stage
        guard let text = values[owner]?[name] else { throw StageError.undeclaredOption(stage: owner, option: name) }
        guard let value = make(text) else { throw StageError.invalidOption(key: "\(owner).\(name)", value: text, expected: "\(T.self)") }
        return value
    }
}
