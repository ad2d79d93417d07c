/// Deterministic stand-in weights for a checkpoint layout, bit-identical to `tools/reference/seeded_weights.py`.
///
/// Each tensor has its own SplitMix64 stream, seeded with `fnv1a64(name) ^ (seed &* 0x9E3779B97F4A7C15)`, and is
/// filled in flat row-major order with `lo + span * u`, `u = Float(z >> 40) * 2^-24`, in float32 arithmetic.
/// The per-tensor `(lo, span)` rules (He-like uniform weights, frozen batch-norm statistics with a positive
/// variance, sparsifying box-head biases, a background logit offset) are documented in
/// `tools/reference/SEEDED_WEIGHTS.md`; they make a Mask R-CNN (or Keypoint R-CNN) behave numerically like a
/// trained one.
public enum SeededWeights {
    /// The state dict for `layout` (names and shapes, in order) generated from `seed`.
    public static func stateDict(layout: [(name: String, shape: [Int])], seed: UInt64) -> StateDict {
        var dict = StateDict()
        for entry in layout {
            dict.set(entry.name, CheckpointTensor(shape: entry.shape, values: values(name: entry.name, shape: entry.shape, seed: seed)))
        }
        return dict
    }

    /// The values of one tensor (its stream depends only on its name, its shape and the seed).
    public static func values(name: String, shape: [Int], seed: UInt64) -> [Float] {
        let rule = Rule(name: name, shape: shape)
        let count = shape.reduce(1, *)
        var state = fnv1a64(name) ^ (seed &* golden)
        let lo = Float(rule.lo), span = Float(rule.span)
        var values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                state &+= golden
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let u = Float(UInt32(truncatingIfNeeded: z >> 40)) * 0x1p-24
                let scaled = span * u
                buffer[index] = lo + scaled
            }
            initialized = count
        }
        if let (index, offset) = rule.offset, index < count {
            values[index] = values[index] + Float(offset)
        }
        return values
    }

    static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    static func fnv1a64(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// One tensor's fill rule: `lo + span * u` (computed in Double, rounded to Float), plus an optional constant
/// added to one element afterwards.
private struct Rule {
    var lo: Double
    var span: Double
    var offset: (index: Int, value: Double)?

    /// Gains of the uniform weight rules; the default is √2 (He, for layers followed by ReLU).
    static let gains: [String: Double] = {
        var gains: [String: Double] = [
            "rpn.head.cls_logits.weight": 0.5,
            "rpn.head.bbox_pred.weight": 0.1,
            "roi_heads.box_predictor.cls_score.weight": 2.0,
            "roi_heads.box_predictor.bbox_pred.weight": 1.5,
            "roi_heads.mask_predictor.mask_fcn_logits.weight": 2.0,
            // v2 box head's FC after four conv + BN + ReLU blocks: keeps the class scores from saturating.
            "roi_heads.box_head.5.weight": 0.5,
        ]
        for layer in 1...4 { gains["backbone.body.layer\(layer).0.downsample.0.weight"] = 1.0 }
        for level in 0..<4 {
            gains["backbone.fpn.inner_blocks.\(level).0.weight"] = 1.0
            gains["backbone.fpn.layer_blocks.\(level).0.weight"] = 1.0
        }
        return gains
    }()

    /// Bias ranges [lo, hi); the default is [-0.05, 0.05).
    static let biases: [String: (lo: Double, hi: Double)] = [
        "roi_heads.box_head.fc6.bias": (-4.0, -3.5),
        "roi_heads.box_head.fc7.bias": (-2.0, -1.5),
        "roi_heads.box_head.5.bias": (-1.0, -0.5),
    ]

    /// Constants added to one element after filling (the background class logit bias).
    static let offsets: [String: (index: Int, value: Double)] = [
        "roi_heads.box_predictor.cls_score.bias": (0, 6.0),
    ]

    /// Offsets for one shape only, taking precedence over `offsets`: Keypoint R-CNN's 2-class (background,
    /// person) box predictor, whose person score competes with the background logit alone.
    static let shapeOffsets: [(name: String, shape: [Int], offset: (index: Int, value: Double))] = [
        ("roi_heads.box_predictor.cls_score.bias", [2], (0, 5.0)),
    ]

    /// The BatchNorm2d of a v2 `Conv2dNormActivation` block: `<block>.<i>.1.<param>` in the FPN, box or mask head.
    static func isV2Norm(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        return ["backbone.fpn.", "roi_heads.box_head.", "roi_heads.mask_head."].contains { name.hasPrefix($0) }
            && parts.count >= 3 && parts[parts.count - 2] == "1"
    }

    init(name: String, shape: [Int]) {
        offset = Rule.shapeOffsets.first { $0.name == name && $0.shape == shape }?.offset ?? Rule.offsets[name]
        let isNorm = name.contains(".bn") || name.contains(".downsample.1.") || Rule.isV2Norm(name)
        if name.hasSuffix(".running_var") {
            (lo, span) = (0.5, 1.0)
        } else if name.hasSuffix(".running_mean") {
            (lo, span) = (-0.1, 0.2)
        } else if isNorm && name.hasSuffix(".weight") {
            (lo, span) = name.contains(".bn3.") ? (0.1, 0.2) : (0.8, 0.4)
        } else if isNorm && name.hasSuffix(".bias") {
            (lo, span) = (-0.1, 0.2)
        } else if name.hasSuffix(".weight") {
            let gain = Rule.gains[name] ?? Double(2).squareRoot()
            let fanIn = shape.dropFirst().reduce(1, *)
            let a = gain * (3.0 / Double(fanIn)).squareRoot()
            (lo, span) = (-a, 2 * a)
        } else if name.hasSuffix(".bias") {
            let range = Rule.biases[name] ?? (-0.05, 0.05)
            (lo, span) = (range.lo, range.hi - range.lo)
        } else {
            preconditionFailure("SeededWeights: no rule for \(name)")
        }
    }
}
