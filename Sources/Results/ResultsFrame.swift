import Pipeline

/// One frame of a JSON Lines results file, decoded back into pipeline instances.
public struct ResultsFrame: Sendable {
    public var frame: Int
    public var pts: Int64
    public var time: Double
    public var instances: [Instance]

    public init(frame: Int, pts: Int64, time: Double, instances: [Instance]) {
        self.frame = frame
        self.pts = pts
        self.time = time
        self.instances = instances
    }
}

/// A problem inside one results line (the reader adds the file and line number).
struct LineProblem: Error { let reason: String }
