

/// A stage to be built: its name and a factory the runner calls on the stage's own thread.
public struct StagePlan: Sendable {
    public let name: String
    public let make: @Sendable () throws -> any Stage

    public init(name: String, make: @escaping @Sendable () throws -> any Stage) {
        self.name = name
        self.make = make
    }

    /// A plan for a stage that already exists and is `Sendable` (it is still only called from its thread).
    public init(name: String, stage: some Stage & Sendable) {
        self.init(name: name) { stage }
    }
}
