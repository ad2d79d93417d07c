import Tensor

/// MaskRCNNPredictor's `mask_fcn_logits` (a 1×1 convolution, C = 256 channels → K = 91 class logits per pixel),
/// evaluated only for the classes asked: the paper decouples masks from classes — of the K masks of a RoI only its
/// detected class's is used — so the mask head computes one logit map per detection instead of K. Reads the mask
/// deconvolution's sub-pixel channel groups ([N, f²·C, H, W], any layout and store type, `ConvTranspose2D.subpixelGroups`)
/// and writes the pixel-shuffled logits [N, classes asked, f·H, f·W] fp32. fp32 products and sums, with the weights
/// rounded to bf16 in a bf16 chain (what a bf16 kernel of this layer multiplies). Immutable, thread-safe.
struct MaskLogits: Sendable {
    /// [K, C] row-major and [K].
    let weight: [Float], bias: [Float]
    let classes: Int, channels: Int

    init(_ w: WeightSource, numClasses: Int, channels: Int = 256) throws {
        let name = "roi_heads.mask_predictor.mask_fcn_logits"
        let raw = try w.tensor("\(name).weight", [numClasses, channels, 1, 1])
        weight = w.engine.bf16 ? BF16.round(raw) : raw
        bias = try w.tensor("\(name).bias", [numClasses])
        (classes, self.channels) = (numClasses, channels)
    }

    var implementation: String { "fp32 dot products of each detection's own class (\(classes) classes, 1×1 \(channels)→1)" }

    /// Each RoI's logits of the class `labels[i]`: groups [N, f²·C, H, W] → [N, 1, f·H, f·W].
    func callAsFunction(_ groups: FeatureMap, factor f: Int, labels: [Int]) -> Tensor {
        logits(groups, factor: f, classes: labels.map { [$0] })
    }

    /// Every class's logits, [N, K, f·H, f·W] (torchvision's `mask_logits`, for traces).
    func all(_ groups: FeatureMap, factor f: Int) -> Tensor {
        logits(groups, factor: f, classes: [[Int]](repeating: Array(0..<classes), count: groups.n))
    }

    /// RoI i's logit maps of `classes[i]` (the same count for every RoI), pixel-shuffled.
    private func logits(_ groups: FeatureMap, factor f: Int, classes: [[Int]]) -> Tensor {
        let n = groups.n, h = groups.h, w = groups.w, c = channels, g = f * f, k = classes.first?.count ?? 1
        precondition(groups.c == g * c && classes.count == n, "mask logits read [N, \(g)·\(c), H, W], got \(groups.shape)")
        precondition(classes.allSatisfy { $0.count == k && $0.allSatisfy { (0..<self.classes).contains($0) } }, "class out of range")
        let oh = h * f, ow = w * f
        return groups.withChannelsLast { features in
            let src = SharedFloats(UnsafeMutablePointer(mutating: features))
            return weight.withUnsafeBufferPointer { wp in
                let weights = SharedFloats(UnsafeMutablePointer(mutating: wp.baseAddress!))
                return Tensor(shape: [n, k, oh, ow]) { o in
                    let dst = SharedFloats(o.baseAddress!)
                    Parallel.forEach(n * k) { job in
                        let i = job / k, label = classes[i][job % k]
                        let row = weights.base + label * c, b = bias[label], out = dst.base + job * oh * ow
                        for y in 0..<h {
                            for x in 0..<w {
                                let pixel = src.base + ((i * h + y) * w + x) * g * c
                                for s in 0..<g {
                                    out[(y * f + s / f) * ow + x * f + s % f] = b + MaskLogits.dot(row, pixel + s * c, c)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Σ a[i]·b[i] over `count` values, 16 lanes at a time. Products and sums rounded apart: the package builds for
    /// baseline x86-64, where a fused multiply-add (`addProduct`) is a libm call per lane (6× slower here).
    @inline(__always)
    static func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(), i = 0
        while i + 16 <= count {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            acc += va * vb
            i += 16
        }
        var sum = acc.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }
}
