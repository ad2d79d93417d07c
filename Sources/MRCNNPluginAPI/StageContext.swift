/// What a stage factory gets: its own stage's checked option values (read typed with `try context[key]`), the
/// capabilities earlier stages provide, a store for resources shared by the stages of one chain (e.g. a loaded
/// model), and where to report time spent waiting. Factories run on their stages' threads, one after the other
/// in chain order, so a stage finds in `shared` what an earlier stage's factory put there.
public struct StageContext: Sendable {
    /// The stage being built.
    public var stage: String { options.stage }
    /// Its checked option values.
    public let options: OptionValues
    /// What the stages before it in the chain provide.
    public let upstream: Set<Capability>
    public let shared: SharedResources
    private let waits: StageWaits

    public init(options: OptionValues, upstream: Set<Capability> = [], shared: SharedResources = SharedResources(),
                waits: StageWaits = StageWaits()) {
        self.options = options
        self.upstream = upstream
        self.shared = shared
        self.waits = waits
    }

    /// The value of this stage's option `key`.
    public subscript<Value>(key: OptionKey<Value>) -> Value {
        get throws { try options[key] }
    }

    /// Reports time the stage's `process` spent waiting rather than working (call it from `process`, e.g. around
    /// a shared lock), so the run's per-stage timing and a frame-rate controller see the stage's own cost.
    public var reportWait: @Sendable (Duration) -> Void {
        let waits = self.waits
        return { waits.add($0) }
    }
}
