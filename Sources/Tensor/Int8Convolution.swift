#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import Synchronization

/// oneDNN's int8 convolution: weights symmetric s8 per output channel (step max|w| / 127, round to nearest even; see
/// `weightLevels` for CPUs without int8 dot products),
/// the input quantized per tensor with its calibrated step (`Int8Calibration.Input`: u8 when it is never negative,
/// s8 otherwise; saturating) unless it arrives quantized with that step, s32 accumulation, then the scales, bias,
/// residual sum and ReLU fused, the output stored fp32 in the primitive's layout (a sum with a float residual bf16
/// where the CPU has bf16 units: `sumsInBF16`) — or, when the next layer is int8
/// too (`run(_:relu:stride:accumulate:storing:workspace:)`), requantized to that layer's input (u8/s8 with its step),
/// which saves the next layer's quantizing pass and 3/4 of the bytes; its residual is then int8 too (u8/s8 with its
/// own step, read in place). One primitive per input shape in a bounded cache.
/// Any thread; calls on one workspace one at a time.
final class Int8Convolution: ConvolutionKernel {
    let g: ConvolutionGeometry
    let input: Int8Calibration.Input
    let choice = KernelChoice.int8Direct
    /// Weights quantized, [Cout, Cin, k, k], and their per-channel steps.
    let quantized: [Int8]
    let weightScales: [Float]
    let bias: [Float]
    private let plans = Mutex<(byKey: [Key: Int8Plan], order: [Key])>(([:], []))
    /// The weights reordered for each layout the plans asked for (plans of other batch sizes share one).
    private let reordered = Mutex<[ReorderedWeights]>([])

    struct Key: Hashable {
        let n: Int, h: Int, w: Int, relu: Bool, residual: Bool, stride: Int
        /// The step and signedness of an int8 output (nil: fp32 output).
        var outStep: Float? = nil, outSigned = false
        /// The step and signedness of an int8 residual (nil: fp32 residual or none).
        var residualStep: Float? = nil, residualSigned = false
        /// A residual sum stored bf16 (`sumsInBF16`).
        var bf16Out = false
    }

    /// Where the CPU has bf16 units, a sum this layer writes with a float residual (a ResNet block's output, an FPN
    /// top-down sum) is stored bf16: half the bytes that the sum, the next sum's residual and the readers' quantizing
    /// passes move (~20 ms of a 360 ms int8 backbone at 800 on a Zen 4); the ideal int8 rounds them the same way.
    static let sumsInBF16 = CPUFeatures.current.hasBF16Units

    init(_ g: ConvolutionGeometry, weights: [Float], bias: [Float], input: Int8Calibration.Input) {
        self.g = g
        self.input = input
        self.bias = bias
        let per = g.inChannels * g.kernel * g.kernel, levels = Int8Convolution.weightLevels(signedInput: input.signed)
        var q = [Int8](repeating: 0, count: weights.count), scales = [Float](repeating: 1, count: g.outChannels)
        for o in 0..<g.outChannels {
            let row = weights[(o * per)..<((o + 1) * per)]
            let top = row.reduce(Float(0)) { max($0, abs($1)) }
            let s = top > 0 ? top / levels : 1
            scales[o] = s
            for i in 0..<per {
                q[o * per + i] = Int8(max(-levels, min(levels, (weights[o * per + i] / s).rounded(.toNearestOrEven))))
            }
        }
        quantized = q
        weightScales = scales
    }

    /// The weights' quantization levels a side: 127, or 63 for u8 inputs on a CPU without int8 dot products (its
    /// u8 × s8 pair sums are 16-bit and would saturate; for s8 inputs oneDNN halves the weights itself).
    static func weightLevels(signedInput: Bool) -> Float {
        CPUFeatures.current.hasInt8DotProducts || signedInput ? 127 : 63
    }

    var implementation: String {
        plans.withLock { p in p.order.last.flatMap { p.byKey[$0]?.implementation } } .map { "oneDNN \($0)" } ?? "oneDNN int8"
    }

    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap {
        run(x, relu: relu, stride: stride, accumulate: accumulate)
    }

    /// relu?(conv(x) + bias + accumulate?), fp32 out (no workspace needed); a sum with a float residual, or with
    /// `summand` a projection shortcut that such a sum reads, bf16 where `sumsInBF16`.
    func run(_ x: FeatureMap, relu: Bool, stride: Int = 0, accumulate: FeatureMap? = nil, summand: Bool = false) -> FeatureMap {
        var key = Key(n: x.n, h: x.h, w: x.w, relu: relu, residual: accumulate != nil, stride: stride)
        key.bf16Out = (accumulate != nil || summand) && Int8Convolution.sumsInBF16
        let p = plan(key)
        let src = source(x, p), dst = FeatureMap.destination(p.dst, accumulating: accumulate?.values)
        withExtendedLifetime(src) { p.execute(src: src.data, dst: dst.data) }
        return dst
    }

    /// relu?(conv(x) + bias + accumulate?) stored as the next int8 layer's input `next` reads it: u8 or s8, value /
    /// `next.scale` rounded to nearest even and saturated (what that layer's quantizing pass would make of the fp32
    /// output). `accumulate` (output-shaped) is int8 with its own step (a block's input, a projection shortcut's
    /// output): the sum post-op reads it in place as its type, × its step / `next.scale`, and the result overwrites it.
    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap? = nil, storing next: Int8Calibration.Input,
             workspace: Workspace) -> FeatureMap {
        precondition(accumulate.map { $0.int8Step != nil } ?? true, "an int8 output sums an int8 residual")
        let p = plan(Key(n: x.n, h: x.h, w: x.w, relu: relu, residual: accumulate != nil, stride: stride, outStep: next.scale,
                         outSigned: next.signed, residualStep: accumulate?.int8Step, residualSigned: accumulate?.type == .s8))
        let src = source(x, p), dst = FeatureMap.destination(p.dst, accumulating: accumulate, residual: p.residual)
        withExtendedLifetime(src) { p.execute(src: src.data, dst: dst.data) }
        dst.int8Step = next.scale
        return dst
    }

    /// `x` as the primitive reads it: quantized with this layer's step (once per map for all layers of that step and
    /// source layout; an int8 map of another step or type requantized), or, when it arrives quantized with that step,
    /// only laid out as the primitive's source.
    private func source(_ x: FeatureMap, _ p: Int8Plan) -> FeatureMap {
        precondition(x.c == g.inChannels, "int8 conv expects \(g.inChannels) channels, got \(x.shape)")
        if x.int8Step == input.scale && x.type == p.src.type { return x.laidOut(as: p.src) }
        return x.quantized(as: p.src, step: input.scale) { p.quantize(x, into: $0) }
    }

    /// The quantized weights in oneDNN's layout `md` (with the compensation it adds), reordered once per layout.
    func weights(in md: MemoryDesc) -> ReorderedWeights {
        reordered.withLock { all in
            if let w = all.first(where: { $0.md == md }) { return w }
            let w = ReorderedWeights(md)
            let user = MemoryDesc([g.outChannels, g.inChannels, g.kernel, g.kernel], .s8, dnnl_oihw)
            quantized.withUnsafeBytes { DNNL.reorder(from: user, $0.baseAddress!, to: md, w.data) }
            all.append(w)
            return w
        }
    }

    /// The cached plan for `key`, built (and the oldest dropped) when missing.
    private func plan(_ key: Key) -> Int8Plan {
        plans.withLock { p in
            if let plan = p.byKey[key] { return plan }
            let plan = Int8Plan(self, key)
            p.byKey[key] = plan
            p.order.append(key)
            if p.order.count > DNNLLayer.cacheLimit { p.byKey[p.order.removeFirst()] = nil }
            return plan
        }
    }
}

/// A oneDNN-owned weights memory in layout `md` (destroyed with this).
final class ReorderedWeights: @unchecked Sendable {
    let md: MemoryDesc, memory: OpaquePointer
    init(_ md: MemoryDesc) { self.md = md; memory = DNNL.memory(md, nil) }
    var data: UnsafeMutableRawPointer {
        var handle: UnsafeMutableRawPointer? = nil
        dnnl_memory_get_data_handle(memory, &handle)
        return handle!
    }
    deinit { dnnl_memory_destroy(memory) }
}

/// One int8 primitive of an `Int8Convolution` for one input shape: its layouts, its weights reordered (with the
/// compensation oneDNN adds for s8 inputs or CPUs without VNNI), and its scales as oneDNN 2.x or 3.x takes them.
final class Int8Plan: @unchecked Sendable {
    let primitive: OpaquePointer
    let implementation: String
    let src: MemoryDesc, dst: MemoryDesc
    /// An int8 residual's layout: its own type in the destination's layout (both NHWC), which the sum reads it as.
    let residual: MemoryDesc?
    let weights: ReorderedWeights
    /// oneDNN 2.x: bias / (input step × weight step) (it adds the bias before scaling); 3.x: the bias.
    let bias: [Float]
    /// The input's quantization step and (oneDNN 3.x's runtime scales) each output channel's weight step and the
    /// int8 output's step.
    let inputStep: Float, weightSteps: [Float], outputStep: Float?
    private let biasMD: MemoryDesc
    /// The quantizing reorder of the last input layout seen (built once: building one costs as much as running it
    /// on a small map).
    private let quantizer = Mutex<QuantizingReorder?>(nil)

    /// A quantizing reorder primitive from the layout `from` whose values are divided by `scale` (destroyed with this).
    final class QuantizingReorder: @unchecked Sendable {
        let from: MemoryDesc, scale: Float, primitive: OpaquePointer
        init(from: MemoryDesc, scale: Float, primitive: OpaquePointer) { self.from = from; self.scale = scale; self.primitive = primitive }
        deinit { dnnl_primitive_destroy(primitive) }
    }

    init(_ layer: Int8Convolution, _ key: Int8Convolution.Key) {
        let g = layer.g, any = dnnl_format_tag_any
        let s = key.stride > 0 ? key.stride : g.stride
        let (oh, ow) = g.outputSize(h: key.h, w: key.w, stride: key.stride)
        let srcType: DataType = layer.input.signed ? .s8 : .u8
        let step = layer.input.scale
        let combined = layer.weightScales.map { $0 * step }
        let v3 = mrcnn_dnnl_v3() != 0
        bias = v3 ? layer.bias : zip(layer.bias, combined).map { $0 / $1 }
        inputStep = step
        weightSteps = layer.weightScales
        outputStep = key.outStep
        biasMD = MemoryDesc([g.outChannels], .f32, dnnl_x)
        let dstType: DataType = key.outStep == nil ? (key.bf16Out ? .bf16 : .f32) : key.outSigned ? .s8 : .u8
        let srcAny = MemoryDesc([key.n, g.inChannels, key.h, key.w], srcType, any)
        // An int8 residual is read in place as its own type: destination and residual NHWC (oneDNN's int8 layout on
        // x64, which the int8 maps it sums — a block's input, a projection's output — are mostly written in already).
        let out = [key.n, g.outChannels, oh, ow], residualType: DataType? = key.residualStep.map { _ in key.residualSigned ? .s8 : .u8 }
        residual = residualType.map { MemoryDesc(out, $0, dnnl_nhwc) }
        let dstAny = MemoryDesc(out, dstType, residualType == nil ? any : dnnl_nhwc)
        let weightsAny = MemoryDesc([g.outChannels, g.inChannels, g.kernel, g.kernel], .s8, any)
        let outputScales = combined.map { $0 / (key.outStep ?? 1) }
        let sumScale = key.residualStep.map { v3 ? $0 : $0 / key.outStep! } ?? 1
        let sumType = residualType.flatMap { $0 == dstType ? nil : $0.dnnl } ?? dnnl_data_type_undef
        let attr = outputScales.withUnsafeBufferPointer {
            mrcnn_attr_int8(key.residual ? 1 : 0, sumScale, sumType, key.relu ? 1 : 0, key.outStep == nil ? 0 : 1,
                            Int64(g.outChannels), $0.baseAddress!)
        }
        defer { dnnl_primitive_attr_destroy(attr) }
        let strides: [Int64] = [Int64(s), Int64(s)], pads: [Int64] = [Int64(g.padding), Int64(g.padding)]
        let biasHandle = biasMD.handle
        guard let pd = DNNL.primitiveDesc({ out in
            strides.withUnsafeBufferPointer { sp in pads.withUnsafeBufferPointer { pp in
                mrcnn_conv_pd(out, DNNL.engine, 0, srcAny.handle, weightsAny.handle, biasHandle, dstAny.handle,
                              sp.baseAddress!, pp.baseAddress!, attr)
            } }
        }) else { preconditionFailure("oneDNN: no int8 convolution for \(g), \(key)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementation(pd)
        src = DNNL.md(pd, dnnl_query_src_md)
        dst = DNNL.md(pd, dnnl_query_dst_md)
        let wmd = DNNL.md(pd, dnnl_query_weights_md)
        primitive = DNNL.primitive(pd)
        weights = layer.weights(in: wmd)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
    }

    /// `x` (fp32 or bf16, any layout; or int8 of another step or type: its integers × its step) divided by the
    /// input's step, rounded and saturated into `out` (the primitive's source layout and type).
    func quantize(_ x: FeatureMap, into out: FeatureMap) {
        let scale = inputStep / (x.int8Step ?? 1)
        let quantizer = self.quantizer.withLock { q -> QuantizingReorder in
            if let q, q.from == x.md, q.scale == scale { return q }
            guard let pd = DNNL.primitiveDesc({ mrcnn_scaled_reorder_pd($0, DNNL.engine, x.md.handle, out.md.handle, scale, 1) }) else {
                preconditionFailure("oneDNN: no quantizing reorder \(x.md) → \(out.md)")
            }
            defer { dnnl_primitive_desc_destroy(pd) }
            let made = QuantizingReorder(from: x.md, scale: scale, primitive: DNNL.primitive(pd))
            q = made
            return made
        }
        let reorder = quantizer.primitive
        let from = DNNL.memory(x.md, x.data), to = DNNL.memory(out.md, out.data)
        defer { dnnl_memory_destroy(from); dnnl_memory_destroy(to) }
        var args = [(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)]
        var scaleMemory: OpaquePointer?
        if mrcnn_dnnl_v3() != 0 {
            scaleMemory = DNNL.scales([scale])
            args.append((Int32(mrcnn_scales_arg(DNNL_ARG_DST)), scaleMemory!))
        }
        defer { if let scaleMemory { dnnl_memory_destroy(scaleMemory) } }
        DNNL.execute(reorder, args)
    }

    /// The convolution on buffers already in the primitive's layouts (`dst` holds the residual if any).
    func execute(src srcData: UnsafeMutableRawPointer, dst dstData: UnsafeMutableRawPointer) {
        let s = DNNL.memory(src, srcData), d = DNNL.memory(dst, dstData)
        bias.withUnsafeBytes { b in
            let bm = DNNL.memory(biasMD, UnsafeMutableRawPointer(mutating: b.baseAddress!))
            var args = [(DNNL_ARG_SRC, s), (DNNL_ARG_WEIGHTS, weights.memory), (DNNL_ARG_BIAS, bm), (DNNL_ARG_DST, d)]
            var extra: [OpaquePointer] = []
            if mrcnn_dnnl_v3() != 0 {
                extra = [DNNL.scales([inputStep]), DNNL.scales(weightSteps)]
                args += [(Int32(mrcnn_scales_arg(DNNL_ARG_SRC)), extra[0]), (Int32(mrcnn_scales_arg(DNNL_ARG_WEIGHTS)), extra[1])]
                if let outputStep {
                    extra.append(DNNL.scales([outputStep]))
                    args.append((Int32(mrcnn_scales_arg(DNNL_ARG_DST)), extra[2]))
                }
            }
            DNNL.execute(primitive, args)
            for m in extra + [bm] { dnnl_memory_destroy(m) }
        }
        dnnl_memory_destroy(s)
        dnnl_memory_destroy(d)
    }
}
