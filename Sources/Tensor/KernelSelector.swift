#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// Chooses one convolution layer's kernel at its first call. `openblas` and `onednn` backends: the reference / the
/// direct kernel. `auto`: the candidates of the layer's shape class — direct in the chain's precision, and for 3×3
/// stride-1 layers Winograd F(4×4,3×3) (bf16 chains: with bf16 and with fp32 GEMMs; a bf16 chain's stem may also run
/// fp32 direct; a calibrated int8 layer: int8 direct, or fp32 Winograd when it takes it) — narrowed by the engine's
/// `KernelPolicy`; `measured` times them on this CPU (one sample shape per
/// class whatever the first input's size: maps of `sampleSide`², RoI batches of `sampleRoIs`; best of 3 after a
/// warm-up, candidates interleaved) unless the engine's `KernelPlanCache` holds the class settled, and records the
/// result there (merged with an unsettled earlier one); in a bf16 chain a candidate must also keep its error (vs
/// fp32, on the sample) within `errorAllowance` of bf16 direct's. Decision layers always run direct. The emulated
/// bf16 takes the real kernels' measured choice on a CPU with bf16 units (so it computes what the real bf16 runs)
/// and bf16 direct elsewhere.
struct KernelSelector {
    let slot: ConvolutionSlot

    /// Maps of a measured sample are this large a side, RoI batches this many (the RoIs' own size).
    static let sampleSide = 64, sampleRoIs = 32

    func choose(sample x: FeatureMap) -> any ConvolutionKernel {
        let e = slot.engine, emulated = e.emulatesBF16
        let direct = slot.int8 != nil ? KernelChoice.int8Direct : KernelChoice(.direct, bf16: e.bf16)
        guard e.backend == .auto, !slot.decision else { return slot.make(direct, emulated: emulated) }
        let candidates = self.candidates
        guard candidates.count > 1 else { return slot.make(direct, emulated: emulated) }
        // A calibrated layer's int8 against fp32 Winograd depends on the map's size (Winograd's transforms leave the
        // caches on large maps): measured on the map itself, its size in the key.
        let sized = slot.int8Contested && !slot.rois
        let key = slot.shapeClass.key + (sized ? " \(x.h)×\(x.w)" : "")
        switch e.kernels {
        case .direct: return slot.make(direct, emulated: emulated)
        case .winograd:
            let winograd = KernelChoice(.winograd, bf16: e.bf16)
            return slot.make(candidates.contains(winograd) ? winograd : direct, emulated: emulated)
        case .plan(let plan):
            if let c = plan.choices[key], candidates.contains(c) { return slot.make(c, emulated: emulated) }
        case .measured: break
        }
        let cache = e.planCache ?? .inProcess
        if let entry = cache.entry(key), candidates.contains(entry.choice), !cache.needsMeasurement(key) {
            return slot.make(entry.choice, emulated: emulated)
        }
        if emulated && !CPUFeatures.current.hasBF16Units { return slot.make(direct, emulated: true) }
        let (_, _, entry, kernels) = measure(candidates, sample: x, capped: !sized)
        cache.record(key, entry) { KernelSelector.merge($0, $1, candidates: candidates) }
        let winner = cache.entry(key)?.choice ?? entry.choice
        return emulated ? slot.make(winner, emulated: true) : kernels[candidates.firstIndex(of: winner) ?? 0]
    }

    /// An unsettled earlier measurement and a new one of the same candidates: each candidate's best time of both, the
    /// new errors, the fastest eligible candidate of those; settled when the new one is or the count reaches the cap.
    static func merge(_ old: KernelPlanCache.Entry, _ new: KernelPlanCache.Entry, candidates: [KernelChoice]) -> KernelPlanCache.Entry {
        guard Set(old.milliseconds.keys) == Set(new.milliseconds.keys) else { return new }
        let ms = new.milliseconds.merging(old.milliseconds, uniquingKeysWith: min)
        let bound = errorAllowance * max(new.errors[candidates[0].description] ?? 0, 1e-12)
        let eligible = candidates.enumerated().filter { $0.offset == 0 || (new.errors[$0.element.description] ?? 0) <= bound }
        let choice = eligible.min { ms[$0.element.description] ?? .infinity < ms[$1.element.description] ?? .infinity }?.element ?? new.choice
        let count = old.measurements + 1
        return KernelPlanCache.Entry(choice: choice, milliseconds: ms, errors: new.errors,
                                     settled: new.settled || count >= KernelPlanCache.maximumMeasurements, measurements: count,
                                     yardstick: new.yardstick)
    }

    /// The candidates of the layer's class in the chain's precision, direct first; in a bf16 chain also fp32 direct
    /// for layers with < 16 input channels (the stem's 3: bf16 products pair channels, so most lanes would idle).
    var candidates: [KernelChoice] {
        let e = slot.engine
        if slot.int8 != nil { return slot.int8Contested ? [.int8Direct, .fp32Winograd] : [.int8Direct] }
        var c = [KernelChoice(.direct, bf16: e.bf16)]
        if e.bf16 && slot.g.inChannels < 16 { c.append(.fp32Direct) }
        if slot.winograd && slot.shapeClass.takesWinograd {
            c += e.bf16 ? [.bf16Winograd, .fp32Winograd] : [.fp32Winograd]
        }
        return c
    }

    /// A candidate may lose at most this factor of accuracy against bf16 direct (relative L2 error against fp32 on
    /// the sample): bf16 Winograd F(4×4,3×3) measured 5–10× bf16 direct's error (the transforms' ±2, ±4 points
    /// spread V's rounding), fp32 Winograd in a bf16 chain about 1× (only the bf16 stores).
    static let errorAllowance = 2.0

    /// Times the real kernels of `choices` on a capped copy of `x`'s shape (random values, the direct kernel's
    /// source layout and the chain's storage type) and, in a bf16 chain, measures each one's error against fp32
    /// direct; the fastest of those within `errorAllowance` of bf16 direct's error, its kernel, and every
    /// candidate's best ms and error.
    /// `capped` false: `x`'s own shape (for `LayerBenchmark`).
    func measure(_ choices: [KernelChoice], sample x: FeatureMap, capped: Bool = true)
        -> (KernelChoice, any ConvolutionKernel, KernelPlanCache.Entry, [any ConvolutionKernel]) {
        let kernels = choices.map { slot.make($0, emulated: false) }
        let n = capped ? (slot.rois ? KernelSelector.sampleRoIs : 1) : x.n
        let h = slot.rois || !capped ? x.h : KernelSelector.sampleSide, w = slot.rois || !capped ? x.w : KernelSelector.sampleSide
        var rng = SplitMix(seed: 0x5e1ec7)
        let values = Tensor(shape: [n, x.c, h, w], data: (0..<(n * x.c * h * w)).map { _ in rng.nextFloat() })
        var input = FeatureMap(values)
        if let dnnl = kernels[0] as? DNNLConvolution {
            input = input.converted(to: dnnl.layer.sourceLayout(n: n, h: h, w: w))
        } else if kernels[0] is Int8Convolution {
            // What an int8 chain hands on: channels-last (its quantized copy, made in the untimed first round, is kept).
            input = input.converted(to: MemoryDesc(input.shape, .f32, dnnl_nhwc))
        }
        let ws = Workspace()
        var best = [Double](repeating: .infinity, count: kernels.count), worst = [Double](repeating: 0, count: kernels.count)
        var outputs = [Tensor?](repeating: nil, count: kernels.count)
        for round in 0..<4 {
            for (i, k) in kernels.enumerated() {
                let t0 = LayerBenchmark.now()
                let y = k.run(input, relu: true, stride: 0, accumulate: nil, workspace: ws)
                let t = LayerBenchmark.now() - t0
                if round > 0 { (best[i], worst[i]) = (min(best[i], t), max(worst[i], t)) } else { outputs[i] = y.tensor() }
            }
        }
        var errors = [Double](repeating: 0, count: kernels.count)
        if slot.engine.bf16 {
            let exact = DNNLConvolution(slot.g, weights: slot.weights, bias: slot.bias, compute: .f32, store: .f32)
            let reference = exact.run(FeatureMap(input.tensor()), relu: true, stride: 0, accumulate: nil, workspace: ws).tensor()
            errors = outputs.map { KernelSelector.relativeError($0!, reference) }
        }
        let bound = KernelSelector.errorAllowance * max(errors[0], 1e-12)
        let ranked = best.indices.filter { $0 == 0 || errors[$0] <= bound }.sorted { best[$0] < best[$1] }
        let winner = ranked[0]
        // Settled when the runner-up is slower by more than either one's spread between rounds.
        let settled = ranked.count < 2 || best[ranked[1]] / best[winner] - 1 > max(worst[winner] / best[winner], worst[ranked[1]] / best[ranked[1]]) - 1
        var ms: [String: Double] = [:], err: [String: Double] = [:]
        for (i, c) in choices.enumerated() { ms[c.description] = best[i] * 1000; err[c.description] = errors[i] }
        let entry = KernelPlanCache.Entry(choice: choices[winner], milliseconds: ms, errors: err, settled: settled)
        return (choices[winner], kernels[winner], entry, kernels)
    }

    /// ‖a − b‖ / ‖b‖.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a.data, b.data) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return (num / max(den, 1e-30)).squareRoot()
    }
}
