import Pipeline

/// The one quality ladder a frame-rate controller moves along, best first. Each rung changes one setting of the
/// rung above, in this fixed order, each only when the controlled stage lists it as adjustable: precision along the
/// stage's precisions (fp32 → bf16 → int8, each where the stage offers it), proposals → 300, keyframe interval 1 → 2 → 3, then the short side down in steps of 32 (800 → 768 → … →
/// 320: each step 7–17 % fewer pixels, so a rung near any target exists), never below `floor`.
/// Rung 0 is the user's own settings. Also gives each rung's a-priori relative cost (`estimatedCost`), used until
/// the rung has been measured. A plain value.
public struct QualityLadder: Sendable, Equatable {
    public let rungs: [FrameSettings]

    /// The step between the short sides the ladder goes through (the model pads to multiples of 32 anyway).
    public static let shortSideStep = 32
    /// Proposals the ladder drops to.
    public static let fewProposals = 300
    /// The largest keyframe interval the ladder uses.
    public static let maxKeyframeInterval = 3

    /// `precisions`: with `.precision` adjustable, the precisions to step through, slowest first (`SettingsControl.Plan`).
    public init(start: FrameSettings, adjustable: Set<FrameSettings.Field> = [.shortSide, .proposals, .keyframeInterval],
                precisions: [ModelPrecision] = [.fp32, .bf16], floor: Int = 320) {
        // Rung 0 is `start`; an adjustable field it leaves unset starts at torchvision's value.
        var rung = start
        if adjustable.contains(.precision) { rung.precision = start.precision ?? precisions.first ?? .fp32 }
        if adjustable.contains(.shortSide) { rung.shortSide = start.shortSide ?? 800 }
        if adjustable.contains(.proposals) { rung.proposals = start.proposals ?? 1000 }
        if adjustable.contains(.keyframeInterval) { rung.keyframeInterval = start.keyframeInterval ?? 1 }
        var rungs = [rung]
        func step(_ change: (inout FrameSettings) -> Void) {
            change(&rung)
            rungs.append(rung)
        }
        if let first = rung.precision, adjustable.contains(.precision), let at = precisions.firstIndex(of: first) {
            for p in precisions[(at + 1)...] { step { $0.precision = p } }
        }
        if let proposals = rung.proposals, proposals > Self.fewProposals, adjustable.contains(.proposals) {
            step { $0.proposals = Self.fewProposals }
        }
        while let k = rung.keyframeInterval, k < Self.maxKeyframeInterval, adjustable.contains(.keyframeInterval) {
            step { $0.keyframeInterval = k + 1 }
        }
        if let side = rung.shortSide, adjustable.contains(.shortSide) {
            var smaller = (side - 1) / Self.shortSideStep * Self.shortSideStep
            while smaller >= max(floor, 1) {
                step { $0.shortSide = smaller }
                smaller -= Self.shortSideStep
            }
            if let last = rung.shortSide, last > floor, floor > 0 { step { $0.shortSide = floor } }
        }
        self.rungs = rungs
    }

    public var count: Int { rungs.count }
    public subscript(_ i: Int) -> FrameSettings { rungs[i] }

    /// A rough model of a frame's cost relative to rung 0 (from the model's FLOPs at short side 480: backbone+FPN
    /// 85, RPN 30, box head 29 per 1000 proposals; bf16 runs the convolutions ~2.5× faster, int8 ~3× (its dot
    /// products multiply twice bf16's pairs per instruction; measured 1.9× fp32 end to end against bf16's 1.3× on a
    /// Zen 4, Benchmarks/README.md); non-keyframes skip the RPN). Only a starting guess: the controller prefers
    /// measured costs.
    public func estimatedCost(_ i: Int) -> Double { Self.work(rungs[i]) / Self.work(rungs[0]) }

    static func work(_ s: FrameSettings) -> Double {
        let area = Double(s.shortSide ?? 800) * Double(s.shortSide ?? 800) / (480 * 480)
        let k = Double(max(s.keyframeInterval ?? 1, 1))
        let convs = area * (85 + 30 / k)
        let box = 29 * Double(s.proposals ?? 1000) / 1000 * ((k - 1) / k * 0.1 + 1 / k)   // regressed boxes: ~100
        let speedup = s.precision == .bf16 ? 2.5 : s.precision == .int8 ? 3 : 1
        return convs / speedup + box
    }
}
