#if canImport(Glibc)
import Glibc
#endif

/// Which library runs a model's convolutions and linear layers: `auto` picks per layer kind (see `ComputeEngine.auto`).
public enum ComputeBackend: String, Sendable, CaseIterable {
    case auto, openblas, onednn
}

/// Arithmetic of the convolutions and linear layers. `bf16`: oneDNN's bf16 kernels (AMX or AVX512-BF16) with fp32
/// accumulation, fp32 with one warning where the CPU has neither; `bf16-emulated`: weights and each layer's input
/// rounded to bf16 (round to nearest even), products accumulated in fp32 on the fp32 kernels — the same numbers as
/// real bf16 on any CPU, at fp32 speed (for accuracy tests and comparisons).
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
    case bf16Emulated = "bf16-emulated"

    /// What `auto` means on this CPU: bf16 where it has bf16 units (its accuracy is bounded by the bf16 accuracy
    /// test), fp32 elsewhere.
    public static var automatic: Precision { CPUFeatures.current.hasBF16Units ? .bf16 : .fp32 }

    /// A precision by its command-line name: fp32, bf16, bf16-emulated, or auto (`automatic`); nil for others.
    public static func named(_ name: String) -> Precision? {
        name == "auto" ? automatic : Precision(rawValue: name)
    }

    /// The precision that runs when this one is asked for: bf16 is fp32 on a CPU without bf16 units.
    public var effective: Precision { self == .bf16 && !CPUFeatures.current.hasBF16Units ? .fp32 : self }

    /// Why `auto` chooses what it chooses on this CPU, e.g. "this CPU has no bf16 units (AVX2+FMA, oneDNN ISA avx2)".
    public static var automaticReason: String {
        let cpu = CPUFeatures.current
        return "this CPU has \(cpu.hasBF16Units ? "" : "no ")bf16 units (\(cpu.summary))"
    }
}

/// The layer kinds that may run on different backends (chosen by measurement, see `ComputeEngine.auto`).
public enum LayerKind: String, Sendable, CaseIterable {
    /// Large kernels (the 7×7 stem).
    case stem
    /// 1×1 convolutions.
    case conv1x1
    /// 3×3 stride-1 convolutions with ≥ 128 input channels (Winograd-eligible on OpenBLAS).
    case conv3x3Wide
    /// 3×3 stride-1 convolutions with < 128 input channels (ResNet layer1).
    case conv3x3Narrow
    /// Strided 3×3 convolutions (the first block of ResNet layers 2–4).
    case conv3x3Strided
    /// Transposed convolutions (the mask head's 2×2 deconv).
    case deconv
    /// Fully connected layers (box head).
    case linear
}

/// How one model instance computes: the backend of each layer kind and the precision. Immutable; pass it to the
/// layers at construction (they prepare their weights for it once).
public struct ComputeEngine: Sendable, CustomStringConvertible {
    public let requestedBackend: ComputeBackend
    public let requestedPrecision: Precision
    /// The precision that actually runs (bf16 becomes fp32 on CPUs without bf16 units).
    public let precision: Precision
    /// Whether oneDNN layers pass activations to each other in the kernels' blocked layout (`BlockedTensor`: the
    /// ResNet body and FPN, the mask head) instead of reordering to and from NCHW around every layer. Off for
    /// `openblas` and `bf16-emulated` (which rounds every layer's NCHW input).
    public let blockedLayout: Bool
    private let choice: [LayerKind: ComputeBackend]

    /// fp32 on OpenBLAS (with Winograd): the exact reference path.
    public static let reference = ComputeEngine(backend: .openblas, precision: .fp32)

    /// The `auto` choice per layer kind, measured on an AMD Zen 3 (AVX2, 2 cores) with `mrcnn bench --layers`
    /// (see Benchmarks/README.md): oneDNN's blocked-layout JIT kernels including the reorders in and out of NCHW
    /// against OpenBLAS im2col/Winograd, at the model's shapes (stem 3.4× faster on oneDNN, 1×1 1.2–2.3×, strided
    /// 3×3 2×, wide 3×3 1.05–1.7×; narrow 3×3 1.45× and the 2×2 deconv 3.4× faster on OpenBLAS; linear a tie).
    public static let auto: [LayerKind: ComputeBackend] = [
        .stem: .onednn, .conv1x1: .onednn, .conv3x3Wide: .onednn, .conv3x3Narrow: .openblas, .conv3x3Strided: .onednn,
        .deconv: .openblas, .linear: .openblas,
    ]

    /// With blocked layouts (`blocked`, default on) `auto` also runs the narrow 3×3 layers (only in the ResNet
    /// body's chain) and the 2×2/2 deconv (as a 1×1 convolution + pixel shuffle) on oneDNN: without the per-layer
    /// reorders they measured faster there (Benchmarks/README.md).
    public static let autoBlocked: [LayerKind: ComputeBackend] = auto.merging([.conv3x3Narrow: .onednn, .deconv: .onednn]) { $1 }

    public init(backend: ComputeBackend = .auto, precision: Precision = .fp32, blocked: Bool = true) {
        requestedBackend = backend
        requestedPrecision = precision
        let effective = precision.effective
        if effective != precision { ComputeEngine.warnOnce() }
        self.precision = effective
        blockedLayout = blocked && backend != .openblas && effective != .bf16Emulated
        var choice: [LayerKind: ComputeBackend] = [:]
        for kind in LayerKind.allCases {
            if effective == .bf16 { choice[kind] = .onednn; continue }
            switch backend {
            case .auto: choice[kind] = (blockedLayout ? ComputeEngine.autoBlocked : ComputeEngine.auto)[kind]
            case .openblas, .onednn: choice[kind] = backend
            }
        }
        self.choice = choice
    }

    /// The backend that runs layers of `kind` (never `.auto`).
    public func backend(for kind: LayerKind) -> ComputeBackend { choice[kind] ?? .openblas }

    /// Whether weights and layer inputs are rounded to bf16 before fp32 kernels run.
    public var emulatesBF16: Bool { precision == .bf16Emulated }

    public var description: String {
        let kinds = LayerKind.allCases.map { "\($0.rawValue)=\(backend(for: $0).rawValue)" }.joined(separator: " ")
        let p = precision == requestedPrecision ? precision.rawValue : "\(precision.rawValue) (\(requestedPrecision.rawValue) requested)"
        let layout = blockedLayout ? "blocked chains" : "NCHW between layers"
        return "precision \(p); layout \(layout); \(kinds)"
    }

    private static let warned = WarnOnce()
    private static func warnOnce() {
        warned.run {
            let isa = CPUFeatures.current.summary
            StandardErrorLine.write("mrcnn: warning: bf16 needs AMX or AVX512-BF16 (this CPU: \(isa)); running fp32")
        }
    }
}

/// Runs a closure once per process.
final class WarnOnce: @unchecked Sendable {
    private var done = false
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func run(_ body: () -> Void) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if !done { done = true; body() }
    }
}

/// One line to standard error (file descriptor 2), from any thread.
enum StandardErrorLine {
    static func write(_ line: String) {
        var s = line + "\n"
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
