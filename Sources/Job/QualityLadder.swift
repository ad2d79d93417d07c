import Pipeline

/// The one quality ladder a frame-rate controller moves along, best first. Each rung changes one setting of the
/// rung above, in this fixed order: precision fp32 → bf16 (only with `bf16`), proposals → 300, keyframe interval
/// 1 → 2 → 3 (only with `keyframes`), then short side 800 → 640 → 512 → 480 → 416 → 320, never below `floor`.
/// Rung 0 is the user's own settings. Also gives each rung's a-priori relative cost (`estimatedCost`), used until
/// the rung has been measured. A plain value.
public struct QualityLadder: Sendable, Equatable {
    public let rungs: [FrameSettings]

    /// The short sides the ladder steps through below the start.
    public static let shortSides = [800, 640, 512, 480, 416, 320]
    /// Proposals the ladder drops to.
    public static let fewProposals = 300
    /// The largest keyframe interval the ladder uses.
    public static let maxKeyframeInterval = 3

    public init(start: FrameSettings, bf16: Bool = false, keyframes: Bool = true, floor: Int = 320) {
        var rung = start
        rung.precision = start.precision ?? "fp32"
        rung.shortSide = start.shortSide ?? 800
        rung.proposals = start.proposals ?? 1000
        rung.keyframeInterval = start.keyframeInterval ?? 1
        var rungs = [rung]
        func step(_ change: (inout FrameSettings) -> Void) {
            change(&rung)
            rungs.append(rung)
        }
        if bf16, rung.precision == "fp32" { step { $0.precision = "bf16" } }
        if rung.proposals! > Self.fewProposals { step { $0.proposals = Self.fewProposals } }
        if keyframes {
            while rung.keyframeInterval! < Self.maxKeyframeInterval { step { $0.keyframeInterval! += 1 } }
        }
        for side in Self.shortSides where side < rung.shortSide! && side >= floor { step { $0.shortSide = side } }
        self.rungs = rungs
    }

    public var count: Int { rungs.count }
    public subscript(_ i: Int) -> FrameSettings { rungs[i] }

    /// A rough model of a frame's cost relative to rung 0 (from the model's FLOPs at short side 480: backbone+FPN
    /// 85, RPN 30, box head 29 per 1000 proposals; bf16 runs the convolutions ~2.5× faster; non-keyframes skip the
    /// RPN). Only a starting guess: the controller prefers measured costs.
    public func estimatedCost(_ i: Int) -> Double { Self.work(rungs[i]) / Self.work(rungs[0]) }

    static func work(_ s: FrameSettings) -> Double {
        let area = Double(s.shortSide ?? 800) * Double(s.shortSide ?? 800) / (480 * 480)
        let k = Double(max(s.keyframeInterval ?? 1, 1))
        let convs = area * (85 + 30 / k)
        let box = 29 * Double(s.proposals ?? 1000) / 1000 * ((k - 1) / k * 0.1 + 1 / k)   // regressed boxes: ~100
        return (s.precision == "bf16" ? convs / 2.5 : convs) + box
    }
}
