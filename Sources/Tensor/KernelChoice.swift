/// What computes one layer: the algorithm and the precision of its products — fp32 direct, fp32 Winograd
/// F(4×4,3×3), bf16 direct (oneDNN's bf16 kernels, fp32 accumulation), bf16 Winograd (fp32 transforms, bf16
/// batched GEMMs) or int8 direct (calibrated s8/u8 inputs, s8 weights per channel, s32 accumulation). A value; its text form ("bf16 Winograd") is what reports and the plan cache hold.
public struct KernelChoice: Hashable, Sendable, CustomStringConvertible {
    /// How the layer computes: direct convolution, or Winograd F(4×4,3×3).
    public enum Algorithm: String, Sendable, CaseIterable {
        case direct
        case winograd = "Winograd"
    }

    public let algorithm: Algorithm
    /// Whether the products take bf16 operands (fp32 accumulation).
    public let bf16: Bool
    /// Whether the products take int8 operands (s32 accumulation).
    public let int8: Bool

    public init(_ algorithm: Algorithm, bf16: Bool, int8: Bool = false) {
        self.algorithm = algorithm
        self.bf16 = bf16
        self.int8 = int8
    }

    public static let fp32Direct = KernelChoice(.direct, bf16: false)
    public static let fp32Winograd = KernelChoice(.winograd, bf16: false)
    public static let bf16Direct = KernelChoice(.direct, bf16: true)
    public static let bf16Winograd = KernelChoice(.winograd, bf16: true)
    public static let int8Direct = KernelChoice(.direct, bf16: false, int8: true)

    public var description: String { "\(int8 ? "int8" : bf16 ? "bf16" : "fp32") \(algorithm.rawValue)" }

    /// A choice by its text form ("fp32 direct", "bf16 Winograd", …); nil for others.
    public init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, ["fp32", "bf16", "int8"].contains(parts[0]),
              let a = Algorithm.allCases.first(where: { $0.rawValue.lowercased() == parts[1].lowercased() }) else { return nil }
        self.init(a, bf16: parts[0] == "bf16", int8: parts[0] == "int8")
    }
}

/// How a model's layers get their `KernelChoice`: `measured` (the default) times the candidates of each shape class
/// on this CPU at first use and keeps the fastest (cached per CPU and library version, see `KernelPlanCache`);
/// `direct` and `winograd` fix the algorithm (Winograd where a layer takes it, direct elsewhere) in the model's
/// precision; `plan` takes the choices of a `KernelPlan` (another model's, to emulate exactly what it runs), and
/// measures the shape classes it lacks.
public enum KernelPolicy: Sendable, Equatable, CustomStringConvertible {
    case measured
    case direct
    case winograd
    case plan(KernelPlan)

    /// A policy by its command-line name: measured, direct or winograd; nil for others.
    public static func named(_ name: String) -> KernelPolicy? {
        ["measured": .measured, "direct": .direct, "winograd": .winograd][name]
    }

    public var description: String {
        switch self {
        case .measured: return "measured"
        case .direct: return "direct"
        case .winograd: return "winograd"
        case .plan(let p): return "plan of \(p.choices.count) shape classes"
        }
    }
}

/// The choices of a model instance by shape class (`ShapeClass.key`, e.g. "bf16 conv3x3/1 256→256 maps"). A value.
public struct KernelPlan: Sendable, Equatable {
    public var choices: [String: KernelChoice]
    public init(_ choices: [String: KernelChoice] = [:]) { self.choices = choices }
}

/// The shapes one measured choice serves: convolution kernel size and stride, channels in and out, single maps (a
/// frame's levels) or RoI batches, the chain's precision, and in a bf16 chain whether the layer stores fp32 (" f32
/// out": a sum or RoIAlign reads it) rather than bf16, and for a calibrated int8 layer its input's signedness. Layers of
/// one class share one measurement (ResNet layer 3's
/// 3×3 convs and the RPN conv are one class; the FPN outputs, stored fp32, another).
struct ShapeClass: Hashable, Sendable {
    let kernel: Int, stride: Int, inChannels: Int, outChannels: Int
    let rois: Bool
    let bf16Chain: Bool
    var storesFP32 = false
    /// A calibrated int8 layer's input signedness (s8: true, u8: false; nil: not int8): oneDNN's int8 kernels run
    /// s8 inputs slower than u8 where there are no int8 dot products.
    var int8Signed: Bool? = nil

    var key: String {
        let precision = int8Signed.map { "int8 \($0 ? "s8" : "u8")" } ?? (bf16Chain ? "bf16" : "fp32")
        return "\(precision) conv\(kernel)x\(kernel)/\(stride) \(inChannels)→\(outChannels) \(rois ? "rois" : "maps")"
            + (bf16Chain && storesFP32 ? " f32 out" : "")
    }

    /// Whether Winograd F(4×4,3×3) can run it: 3×3, stride 1, channels in groups of 8.
    var takesWinograd: Bool { kernel == 3 && stride == 1 && inChannels % 8 == 0 && outChannels % 8 == 0 }
}
