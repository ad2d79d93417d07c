/// A stage to be built: its name, a factory the runner calls on the stage's own thread, and where the stage reports
/// its waits (the same `StageWaits` its context was given).
public struct StagePlan: Sendable {
    public let name: String
    public let waits: StageWaits
    public let make: @Sendable () throws -> any Stage

    public init(name: String, waits: StageWaits = StageWaits(), make: @escaping @Sendable () throws -> any Stage) {
        self.name = name
        self.waits = waits
        self.make = make
    }

    /// A plan for a stage that already exists and is `Sendable` (it is still only called from its thread).
    public init(name: String, stage: some Stage & Sendable) {
        self.init(name: name) { stage }
    }
}
