/// How one model instance computes: backend, precision, how layers get their kernels, and the engine's tuning
/// switches (what used to be MRCNN_* environment variables). Immutable; pass it to the layers at construction (they
/// prepare their weights for it once and choose their kernel at first use).
public struct ComputeEngine: Sendable, CustomStringConvertible {
    public let requestedBackend: ComputeBackend
    public let requestedPrecision: Precision
    /// The precision that actually runs (bf16 becomes fp32 on CPUs without bf16 units).
    public let precision: Precision
    /// How `auto` picks each layer's kernel.
    public let kernels: KernelPolicy
    /// Whether oneDNN kernels hand each other activations in their own layouts (`FeatureMap`); off, every layer's
    /// output is converted to plain NCHW fp32 (the engine before blocked chains, for comparisons).
    public let blockedLayout: Bool
    /// sgemm library for the OpenBLAS-path GEMMs and Winograd's fp32 products; `auto`: `SGEMMKernels.chosen`'s.
    public let sgemm: ComputeBackend
    /// Winograd F(2×2,3×3) on the OpenBLAS backend for 3×3 stride-1 layers with ≥ 128 channels (off: im2col).
    public let referenceWinograd: Bool
    /// Tiles per Winograd F(4×4,3×3) GEMM block.
    public let winogradTileBlock: Int
    /// Where measured kernel choices persist between processes (nil: in this process only).
    public let planCache: KernelPlanCache?
    /// The int8 scales of the model's convolution and linear inputs (precision int8: layers without one run fp32).
    public let calibration: Int8Calibration?
    /// Records every named convolution's and linear layer's input (calibration runs).
    public let observer: ActivationObserver?
    /// Which rounding draw the emulated bf16 computes (`BF16.Draw`; `exact` unless a test asks for another).
    public let bf16Draw: BF16.Draw

    /// fp32 on OpenBLAS (with Winograd F(2×2,3×3)): the exact reference path.
    public static let reference = ComputeEngine(backend: .openblas, precision: .fp32)

    public init(backend: ComputeBackend = .auto, precision: Precision = .fp32, kernels: KernelPolicy = .measured,
                blocked: Bool = true, sgemm: ComputeBackend = .auto, referenceWinograd: Bool = true,
                winogradTileBlock: Int = 512, planCache: KernelPlanCache? = nil, calibration: Int8Calibration? = nil,
                observer: ActivationObserver? = nil, bf16Draw: BF16.Draw = .exact) {
        requestedBackend = backend
        requestedPrecision = precision
        let effective = precision.effective
        if effective != precision { ComputeEngine.warnOnce() }
        self.precision = effective
        self.kernels = kernels
        blockedLayout = blocked
        self.sgemm = sgemm
        self.referenceWinograd = referenceWinograd
        self.winogradTileBlock = max(8, winogradTileBlock)
        self.planCache = planCache
        self.calibration = calibration
        self.observer = observer
        self.bf16Draw = bf16Draw
    }

    /// The backend that runs the layers: bf16 needs oneDNN's kernels whatever was asked for.
    public var backend: ComputeBackend {
        (precision == .bf16 || precision == .int8) && requestedBackend == .openblas ? .onednn : requestedBackend
    }

    /// The calibrated input of the layer named `name` when it runs int8 on this engine (nil: it runs fp32).
    func int8Input(of name: String) -> Int8Calibration.Input? {
        precision == .int8 && !name.isEmpty ? calibration?.input(of: name) : nil
    }

    /// Whether bf16 operands and stores are emulated (rounded, fp32 kernels computing).
    public var emulatesBF16: Bool { precision == .bf16Emulated }
    /// Whether layers may compute in bf16 (really or emulated).
    public var bf16: Bool { precision == .bf16 || precision == .bf16Emulated }
    /// The element type activations are stored in between layers: bf16 in a real bf16 chain (emulated: fp32 values
    /// rounded to bf16).
    var storage: DataType { precision == .bf16 ? .bf16 : .f32 }
    /// The sgemm library of this engine.
    var sgemmLibrary: ComputeBackend { sgemm == .auto ? SGEMMKernels.chosen.library : sgemm }

    public var description: String {
        let p = precision == requestedPrecision ? precision.rawValue : "\(precision.rawValue) (\(requestedPrecision.rawValue) requested)"
        var kernels = backend == .auto ? "kernels \(self.kernels)" : "\(backend.rawValue) kernels"
        if backend == .auto, self.kernels == .measured, let planCache {
            kernels += " (\(planCache.measured.count) shape classes measured, kept in \(planCache.path ?? "this process"))"
        }
        return "precision \(p); \(kernels); \(blockedLayout ? "layouts kept between layers" : "NCHW between layers")"
    }

    private static let warned = WarnOnce()
    private static func warnOnce() {
        warned.run {
            let isa = CPUFeatures.current.summary
            StandardErrorLine.write("mrcnn: warning: bf16 needs AMX or AVX512-BF16 (this CPU: \(isa)); running fp32")
        }
    }
}
