#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import Synchronization

/// A 2-D convolution with folded bias: weights [Cout, Cin, k, k] (PyTorch's layout), input and output feature maps
/// [N, C, H, W]. Its kernel (`ConvolutionKernel`) is chosen once, at first use, by `ConvolutionSlot` from the
/// engine: the OpenBLAS reference, oneDNN direct, or by the engine's `KernelPolicy` among direct and Winograd in
/// fp32 and bf16. `rois`: the layer runs on RoI batches (its own shape class); `decision`: its outputs are decisions
/// (RPN objectness and deltas, mask logits), written in fp32 by a direct kernel whatever the precision; `storesFP32`:
/// in a bf16 chain its output is still stored fp32 (it feeds a sum or RoIAlign, which bf16's ideal computes in fp32);
/// `name`: the checkpoint name (without ".weight") that int8 calibrations and observers key it by. Immutable,
/// thread-safe.
public struct Conv2D: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// The fp32 weights (empty when the layer runs int8: they are held quantized, a quarter of the bytes).
    public var weight: [Float] { slot.weights }
    public let bias: [Float]
    /// The kind of layer this is, for reports.
    public let kind: LayerKind
    /// The checkpoint name ("" for anonymous layers, which never run int8).
    public let name: String
    /// The engine the layer computes with.
    public var engine: ComputeEngine { slot.engine }
    let slot: ConvolutionSlot

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                rois: Bool = false, decision: Bool = false, storesFP32: Bool = false, allowWinograd: Bool = true,
                engine: ComputeEngine = .reference, name: String = "") {
        precondition(weight.count == outChannels * inChannels * kernel * kernel, "conv weight size")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
        kind = LayerKind.convolution(kernel: kernel, stride: stride, inChannels: inChannels)
        self.name = name
        let g = ConvolutionGeometry(outChannels: outChannels, inChannels: inChannels, kernel: kernel, stride: stride, padding: padding)
        slot = ConvolutionSlot(g, weights: weight, bias: self.bias, engine: engine, rois: rois, decision: decision,
                               storesFP32: storesFP32, winograd: allowWinograd, name: name)
    }

    /// The implementation that runs this layer, e.g. "oneDNN brgconv:avx512_core_bf16" ("not chosen yet" before the
    /// first call, when the choice is measured then).
    public var implementation: String { slot.implementation }
    /// The algorithm and precision this layer runs (nil before its first call).
    public var choice: KernelChoice? { slot.chosen?.choice }
    /// The shape class whose measured choice this layer takes, e.g. "bf16 conv3x3/1 256→256 maps".
    public var shapeClass: String { slot.shapeClass.key }

    /// Output spatial size for an input of `h`×`w`.
    public func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    /// y = relu?(conv(x) + bias + accumulate?) in the kernel's layout and store type. `stride` overrides the layer's
    /// (a 1×1 projection shortcut reads every s-th pixel). `accumulate` (the residual, output-shaped) is consumed: the
    /// result is written into its buffer when the layouts agree. `feeding`: the layer that reads y (the int8 layers
    /// reading it share its input step: a block output's readers); when both run int8 and the residual, if any, is
    /// int8 too, y is stored quantized as that layer reads it (other readers requantize it, `tensor()` dequantizes).
    public func callAsFunction(_ x: FeatureMap, relu: Bool = false, stride: Int? = nil, accumulate: FeatureMap? = nil,
                               feeding next: Conv2D? = nil, workspace: Workspace) -> FeatureMap {
        let y = slot.g.outputSize(h: x.h, w: x.w, stride: stride ?? 0)
        return run(x, relu: relu, stride: stride, accumulate: accumulate, storing: next?.slot.int8Input(reading: (x.n, y.h, y.w)),
                   workspace: workspace)
    }

    /// A projection shortcut: y = conv(x) + bias, summed into the output of a block that `reader` reads. When both
    /// run int8, y is stored s8 with the reader's threshold (`Int8Calibration.Input.residual`) for the sum to read.
    public func callAsFunction(_ x: FeatureMap, stride: Int? = nil, shortcutOf reader: Conv2D?, workspace: Workspace) -> FeatureMap {
        run(x, relu: false, stride: stride, accumulate: nil, storing: reader?.slot.int8Input(reading: nil)?.residual, workspace: workspace)
    }

    /// A projection shortcut that `sum` (a block's last layer) adds its output to: y = conv(x) + bias, stored as that
    /// sum is stored when both run int8 (bf16 where the CPU has bf16 units: `Int8Convolution.sumsInBF16`), which
    /// spares converting it before the sum; bit for bit what the sum would make of it.
    public func callAsFunction(_ x: FeatureMap, stride: Int? = nil, summedBy sum: Conv2D, workspace: Workspace) -> FeatureMap {
        run(x, relu: false, stride: stride, accumulate: nil, storing: nil, summand: sum.slot.int8 != nil, workspace: workspace)
    }

    /// `summand`: y is a residual that an int8 layer sums (stored as that sum is, when this layer runs int8 too).
    private func run(_ x: FeatureMap, relu: Bool, stride: Int?, accumulate: FeatureMap?, storing: Int8Calibration.Input?,
                     summand: Bool = false, workspace: Workspace) -> FeatureMap {
        precondition(x.c == inChannels, "conv expects [N,\(inChannels),H,W], got \(x.shape)")
        if slot.quantizable { slot.engine.observer?.record(name, x) }
        let kernel = slot.kernel(for: x)
        if let int8 = kernel as? Int8Convolution {
            if let storing, accumulate.map({ $0.int8Step != nil }) ?? true {
                return int8.run(x, relu: relu, stride: stride ?? 0, accumulate: accumulate, storing: storing, workspace: workspace)
            }
            return int8.run(x, relu: relu, stride: stride ?? 0, accumulate: accumulate, summand: summand)   // reads int8 maps itself
        }
        return kernel.run(x.values, relu: relu, stride: stride ?? 0, accumulate: accumulate?.values, workspace: workspace)
    }

    /// The same on dense NCHW fp32 tensors: y = relu?(conv(x) + bias + residual?).
    public func callAsFunction(_ x: Tensor, relu: Bool = false, residual: Tensor? = nil, workspace: Workspace) -> Tensor {
        precondition(x.rank == 4 && x.c == inChannels, "conv expects [N,\(inChannels),H,W], got \(x.shape)")
        return self(FeatureMap(x), relu: relu, accumulate: residual.map { FeatureMap($0) }, workspace: workspace).tensor()
    }
}

extension Array where Element == Conv2D {
    /// The layers in turn, each with ReLU, each feeding the next and the last feeding `next` (int8 layers hand int8
    /// maps on).
    public func chain(_ x: FeatureMap, feeding next: Conv2D? = nil, workspace: Workspace) -> FeatureMap {
        indices.reduce(x) { y, i in self[i](y, relu: true, feeding: i + 1 < count ? self[i + 1] : next, workspace: workspace) }
    }
}

/// A layer's kernel, built and chosen at its first call (see `Conv2D`); the choice comes from the engine's policy,
/// measured per `ShapeClass` through the engine's `KernelPlanCache`. Thread-safe.
final class ConvolutionSlot: @unchecked Sendable {
    let g: ConvolutionGeometry
    let bias: [Float]
    let engine: ComputeEngine
    let rois: Bool, decision: Bool, storesFP32: Bool, winograd: Bool
    let name: String
    /// The layer's int8 kernel when it is calibrated in an int8 engine (built at once: it needs no measuring).
    let int8: Int8Convolution?
    private var kernel: (any ConvolutionKernel)?
    private let lock = Mutex(())
    /// The fp32 weights, released once the layer runs int8 (a calibrated layer keeps them only while fp32 Winograd
    /// competes with its int8 kernel).
    private let weightStore: Mutex<[Float]>

    init(_ g: ConvolutionGeometry, weights: [Float], bias: [Float], engine: ComputeEngine, rois: Bool, decision: Bool,
         storesFP32: Bool = false, winograd: Bool, name: String = "") {
        self.g = g
        self.bias = bias
        self.engine = engine
        self.rois = rois
        self.decision = decision
        self.storesFP32 = storesFP32
        self.winograd = winograd
        self.name = name
        let input = ConvolutionSlot.quantizable(decision: decision, name: name) ? engine.int8Input(of: name) : nil
        int8 = input.map { Int8Convolution(g, weights: weights, bias: bias, input: $0) }
        weightStore = Mutex(weights)
        // A calibrated layer runs int8 from the start, its fp32 weights not kept, unless fp32 Winograd competes.
        if let int8, !int8Contested {
            kernel = int8
            weightStore.withLock { $0 = [] }
        }
    }

    /// The fp32 weights ([Cout, Cin, k, k]; empty once the layer runs int8).
    var weights: [Float] { weightStore.withLock { $0 } }

    /// Whether a calibrated layer measures its int8 kernel against fp32 Winograd F(4×4,3×3) (`KernelSelector`): on
    /// CPUs without int8 dot products (AVX2's 16-bit pair sums) Winograd's quarter of the multiplies can beat int8's
    /// direct products on wide 3×3 layers. Measured and planned kernel policies on the automatic backend only.
    var int8Contested: Bool {
        guard int8 != nil, engine.backend == .auto, winograd, shapeClass.takesWinograd else { return false }
        switch engine.kernels {
        case .measured, .plan: return true
        case .direct, .winograd: return false
        }
    }

    /// The calibrated input of this layer when it runs int8: an int8 engine, not a decision layer, a calibrated
    /// input, and (when fp32 Winograd competes) int8 chosen — asked by the layer that writes this one's input, so
    /// the choice is made then, measured on `input` (n, h, w: the map that layer is about to write; nil: a sample of
    /// the shape class), never after a first frame read otherwise.
    func int8Input(reading input: (n: Int, h: Int, w: Int)?) -> Int8Calibration.Input? {
        guard let int8 else { return nil }
        if let chosen { return chosen === int8 ? int8.input : nil }
        if int8Contested {
            let shape = input ?? (rois ? (KernelSelector.sampleRoIs, 14, 14) : (1, KernelSelector.sampleSide, KernelSelector.sampleSide))
            guard kernel(for: FeatureMap(md: MemoryDesc([shape.n, g.inChannels, shape.h, shape.w], .f32, dnnl_nhwc))) === int8 else { return nil }
        }
        return int8.input
    }

    /// Whether the layer runs int8 in an int8 model (and so is calibrated): named and not a decision layer (the stem
    /// too: its input, the normalised image, is calibrated like any other; a calibration without it keeps it fp32).
    var quantizable: Bool { ConvolutionSlot.quantizable(decision: decision, name: name) }

    static func quantizable(decision: Bool, name: String) -> Bool {
        !name.isEmpty && !decision
    }

    var shapeClass: ShapeClass {
        ShapeClass(kernel: g.kernel, stride: g.stride, inChannels: g.inChannels, outChannels: g.outChannels, rois: rois,
                   bf16Chain: engine.bf16, storesFP32: !storesBF16, int8Signed: int8?.input.signed)
    }

    var chosen: (any ConvolutionKernel)? {
        lock.withLock { _ in
            return kernel
        }
    }

    var implementation: String { chosen?.implementation ?? "not chosen yet" }

    /// The kernel, chosen (and for a measured policy timed on `x`'s shape) at the first call.
    func kernel(for x: FeatureMap) -> any ConvolutionKernel {
        lock.withLock { _ in
            if let kernel { return kernel }
            let k = KernelSelector(slot: self).choose(sample: x)
            kernel = k
            if k === int8 { weightStore.withLock { $0 = [] } }
            return k
        }
    }

    /// Whether this layer's outputs are stored as bf16 (really, or rounded in the emulation).
    var storesBF16: Bool { engine.bf16 && !decision && !storesFP32 }

    /// The kernel of `choice` for this layer; `emulated`: its bf16 emulation on fp32 kernels. (int8 layers have theirs
    /// from the start.)
    func make(_ choice: KernelChoice, emulated: Bool) -> any ConvolutionKernel {
        if choice.int8, let int8 { return int8 }
        let weights = self.weights, store: DataType = storesBF16 ? .bf16 : .f32
        if engine.backend == .openblas {
            let reference = ReferenceConvolution(g, weights: emulated ? BF16.round(weights) : weights, bias: bias,
                                                 winograd: winograd && engine.referenceWinograd, library: engine.sgemmLibrary)
            return emulated ? EmulatedBF16Convolution(reference, choice: .bf16Direct, roundInput: true, roundOutput: storesBF16,
                                                           draw: engine.bf16Draw) : reference
        }
        if choice.algorithm == .winograd {
            return WinogradF4(weight: weights, bias: bias, outChannels: g.outChannels, inChannels: g.inChannels, bf16: choice.bf16,
                              store: store, emulated: emulated, tileBlock: engine.winogradTileBlock)
        }
        if emulated {
            let inner = DNNLConvolution(g, weights: choice.bf16 ? BF16.round(weights) : weights, bias: bias, compute: .f32,
                                        store: .f32, plainOutput: !engine.blockedLayout)
            return EmulatedBF16Convolution(inner, choice: choice, roundInput: choice.bf16, roundOutput: storesBF16,
                                           draw: engine.bf16Draw)
        }
        return DNNLConvolution(g, weights: weights, bias: bias, compute: choice.bf16 ? .bf16 : .f32, store: store,
                               plainOutput: !engine.blockedLayout)
    }
}
