#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// One prepared implementation of a convolution layer (weights already in the layout and type it reads): reads a
/// `FeatureMap` in any layout (converting it when it is not its own) and writes one in its own layout and store type.
/// Any thread; calls on one workspace one at a time.
protocol ConvolutionKernel: AnyObject, Sendable {
    /// e.g. "oneDNN brgconv:avx512_core_bf16", "Winograd F(4x4,3x3), bf16 GEMMs", "OpenBLAS im2col+sgemm".
    var implementation: String { get }
    var choice: KernelChoice { get }
    /// relu?(conv(x) + bias + accumulate?); `stride` > 0 overrides the layer's (a 1×1 layer read strided); the
    /// accumulated map (output-shaped) may be consumed (its buffer receives the result).
    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap
}

/// A convolution's shape: channels, square kernel, stride, padding.
struct ConvolutionGeometry: Sendable, Hashable {
    let outChannels: Int, inChannels: Int, kernel: Int, stride: Int, padding: Int

    func outputSize(h: Int, w: Int, stride s: Int = 0) -> (h: Int, w: Int) {
        let stride = s > 0 ? s : self.stride
        return ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }
}

/// oneDNN's direct convolution: `compute` bf16 runs its bf16 kernels (fp32 accumulation), the output is stored as
/// `store` (an fp32 kernel storing bf16 writes fp32 and converts: oneDNN has no such kernel). With `plainOutput` every
/// result is converted to dense NCHW fp32 (the per-layer engine, for comparisons).
final class DNNLConvolution: ConvolutionKernel {
    let layer: DNNLLayer
    let choice: KernelChoice
    let plainOutput: Bool
    let store: DataType

    init(_ g: ConvolutionGeometry, weights: [Float], bias: [Float], compute: DataType, store: DataType, plainOutput: Bool = false) {
        layer = DNNLLayer(op: .conv(kernel: g.kernel, stride: g.stride, padding: g.padding), weights: weights, bias: bias,
                          inC: g.inChannels, outC: g.outChannels, compute: compute, store: compute == .f32 ? .f32 : store)
        choice = KernelChoice(.direct, bf16: compute == .bf16)
        self.plainOutput = plainOutput
        self.store = plainOutput ? .f32 : store
    }

    var implementation: String { "oneDNN \(layer.implementation)" }

    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap {
        let y = layer.run(x, relu: relu, stride: stride, accumulate: accumulate)
        if plainOutput { return y.laidOut(as: MemoryDesc(y.shape, .f32, dnnl_nchw)) }
        if store == y.type { return y }
        return y.converted(to: MemoryDesc(y.shape, store, FeatureMap.tag(block: y.channelBlock ?? 1, channels: y.c) ?? dnnl_nchw))
    }
}

/// bf16 on fp32 kernels: `inner` runs on weights rounded to bf16 where the real kernel's products take bf16
/// operands; the input is rounded when the real kernel converts it to bf16 (`roundInput`), the output — and a residual
/// summed into it, which the real kernel reads from its bf16 destination — when the real one stores bf16
/// (`roundOutput`): the numbers of the real bf16 kernel up to fp32 summation order.
final class EmulatedBF16Convolution: ConvolutionKernel {
    let inner: any ConvolutionKernel
    let roundInput: Bool, roundOutput: Bool
    let choice: KernelChoice
    let draw: BF16.Draw

    init(_ inner: any ConvolutionKernel, choice: KernelChoice, roundInput: Bool, roundOutput: Bool, draw: BF16.Draw) {
        self.inner = inner
        self.draw = draw
        self.choice = choice
        self.roundInput = roundInput
        self.roundOutput = roundOutput
    }

    var implementation: String { "\(inner.implementation), bf16 emulated" }

    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap {
        var input = x
        if roundInput {
            input = x.type == .f32 ? x.converted(to: x.md) : x.converted(to: x.md.with(.f32, tag: dnnl_nchw))
            input.roundToBF16(draw: draw)
        }
        // The real kernel reads a residual through its bf16 destination: rounded.
        var sum = accumulate
        if roundOutput, let a = accumulate { sum = a.converted(to: a.md); sum!.roundToBF16(draw: draw) }
        let y = inner.run(input, relu: relu, stride: stride, accumulate: sum, workspace: workspace)
        if roundOutput { y.roundToBF16(draw: draw) }
        return y
    }
}
