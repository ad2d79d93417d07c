import Pipeline

/// One frame of a JSON Lines results file, decoded back into pipeline instances.
public struct ResultsFrame: Sendable {
    public var frame: Int
    public var pts: Int64
    public var time: Double
    public var instances: [Instance]
    /// The frame's size in pixels as the results were computed on it (nil in files written before it was recorded:
    /// then the size of a mask's RLE, if any).
    public var width: Int?
    public var height: Int?

    public init(frame: Int, pts: Int64, time: Double, instances: [Instance], width: Int? = nil, height: Int? = nil) {
        self.frame = frame
        self.pts = pts
        self.time = time
        self.instances = instances
        self.width = width
        self.height = height
    }
}

/// A problem inside one results line (the reader adds the file and line number).
struct LineProblem: Error { let reason: String }
