import Foundation
import Tensor

/// torchvision's MultiScaleRoIAlign (aligned=False) over FPN levels P2…P5: each box (resized-image x1y1x2y2) is
/// assigned a level by the LevelMapper (canonical 224 px at level 4, clamped to 2…5) and pooled to
/// [C, out, out] with `samplingRatio`² bilinear samples per bin. Output [R, C, out, out] in box order.
public struct MultiScaleRoIAlign: Sendable {
    public let outputSize: Int
    public let samplingRatio: Int

    public init(outputSize: Int, samplingRatio: Int = 2) {
        self.outputSize = outputSize
        self.samplingRatio = samplingRatio
    }

    /// LevelMapper: floor(4 + log2(√area / 224) + 1e-6) clamped to [2, 5], returned as 0…3.
    public static func level(of b: BoxF) -> Int {
        let s = b.area.squareRoot()
        let target = (Float(4) + log2f(s / 224) + Float(1e-6)).rounded(.down)
        return Int(min(max(target, 2), 5)) - 2
    }

    /// Pools `boxes[i]` from `levels` (P2…P5, each channels-last [1, h, w, C] with C a multiple of 16), where level l
    /// has spatial scale 1/2^(l+2). Each bilinear tap is one contiguous vector over channels (the arithmetic of the
    /// CHW kernel, per channel, in the same order).
    public func callAsFunction(_ levels: [Tensor], boxes: [BoxF]) -> Tensor {
        let c = levels[0].shape[3], o = outputSize
        precondition(c % 16 == 0, "RoIAlign reads channels in groups of 16, got \(c)")
        var out = Tensor(zeros: [boxes.count, c, o, o])
        out.data.withUnsafeMutableBufferPointer { op in
            let base = SharedFloats(op.baseAddress!)
            let per = c * o * o
            Parallel.forEach(boxes.count) { r in
                let l = Self.level(of: boxes[r])
                let f = levels[l]
                let taps = Taps(box: boxes[r], scale: 1 / Float(1 << (l + 2)), height: f.shape[1], width: f.shape[2],
                                output: o, sampling: samplingRatio)
                f.data.withUnsafeBufferPointer { fp in taps.poolChannelsLast(fp.baseAddress!, channels: c, into: base.base + r * per) }
            }
        }
        return out
    }

    /// One RoI on one level (single-level roi_align), for tests and small batches.
    func pool(_ data: UnsafePointer<Float>, channels: Int, height: Int, width: Int, scale: Float, box: BoxF,
              into dst: UnsafeMutablePointer<Float>) {
        Taps(box: box, scale: scale, height: height, width: width, output: outputSize, sampling: samplingRatio)
            .pool(data, channels: channels, plane: height * width, into: dst)
    }
}

/// The bilinear taps of one RoI, as torchvision's roi_align CPU kernel computes them (float32, aligned=False):
/// for every bin and sample, 4 source positions (y·w + x) and weights; samples outside the map contribute 0.
struct Taps {
    var pos: [Int]
    var wts: [Float]
    let bins: Int
    let samples: Int

    init(box: BoxF, scale: Float, height: Int, width: Int, output o: Int, sampling: Int) {
        let startW = box.x1 * scale, startH = box.y1 * scale
        let endW = box.x2 * scale, endH = box.y2 * scale
        let roiW = max(endW - startW, 1), roiH = max(endH - startH, 1)
        let binH = roiH / Float(o), binW = roiW / Float(o)
        let gh = sampling, gw = sampling
        bins = o * o
        samples = gh * gw
        pos = [Int](repeating: 0, count: o * o * gh * gw * 4)
        wts = [Float](repeating: 0, count: o * o * gh * gw * 4)
        var idx = 0
        for ph in 0..<o {
            for pw in 0..<o {
                for iy in 0..<gh {
                    let yy = startH + Float(ph) * binH + (Float(iy) + 0.5) * binH / Float(gh)
                    for ix in 0..<gw {
                        let xx = startW + Float(pw) * binW + (Float(ix) + 0.5) * binW / Float(gw)
                        defer { idx += 4 }
                        var y = yy, x = xx
                        if y < -1 || y > Float(height) || x < -1 || x > Float(width) { continue }
                        if y <= 0 { y = 0 }
                        if x <= 0 { x = 0 }
                        var yl = Int(y), xl = Int(x), yh: Int, xh: Int
                        if yl >= height - 1 { yl = height - 1; yh = yl; y = Float(yl) } else { yh = yl + 1 }
                        if xl >= width - 1 { xl = width - 1; xh = xl; x = Float(xl) } else { xh = xl + 1 }
                        let ly = y - Float(yl), lx = x - Float(xl)
                        let hy = 1 - ly, hx = 1 - lx
                        pos[idx] = yl * width + xl; pos[idx + 1] = yl * width + xh
                        pos[idx + 2] = yh * width + xl; pos[idx + 3] = yh * width + xh
                        wts[idx] = hy * hx; wts[idx + 1] = hy * lx; wts[idx + 2] = ly * hx; wts[idx + 3] = ly * lx
                    }
                }
            }
        }
    }

    /// CHW source: out[ch][bin] = Σ_samples (w1·v1 + w2·v2 + w3·v3 + w4·v4) / samples.
    func pool(_ data: UnsafePointer<Float>, channels: Int, plane: Int, into dst: UnsafeMutablePointer<Float>) {
        let count = Float(max(samples, 1))
        pos.withUnsafeBufferPointer { pp in
            wts.withUnsafeBufferPointer { wp in
                for ch in 0..<channels {
                    let src = data + ch * plane
                    let outPlane = dst + ch * bins
                    var t = 0
                    for bin in 0..<bins {
                        var v: Float = 0
                        for _ in 0..<samples {
                            v += wp[t] * src[pp[t]] + wp[t + 1] * src[pp[t + 1]] + wp[t + 2] * src[pp[t + 2]] + wp[t + 3] * src[pp[t + 3]]
                            t += 4
                        }
                        outPlane[bin] = v / count
                    }
                }
            }
        }
    }

    /// HWC source (channels a multiple of 16): the same sums, 16 channels per vector, bin by bin, so each tap reads
    /// its pixel's channels once and contiguously.
    func poolChannelsLast(_ data: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>) {
        let count = SIMD16<Float>(repeating: Float(max(samples, 1)))
        let groups = channels / 16
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: groups) { acc in
            let acc = acc.baseAddress!
            pos.withUnsafeBufferPointer { pp in
                wts.withUnsafeBufferPointer { wp in
                    let raw = UnsafeRawPointer(data)
                    var t = 0
                    for bin in 0..<bins {
                        for g in 0..<groups { acc[g] = SIMD16<Float>(repeating: 0) }
                        for _ in 0..<samples {
                            let p0 = raw + pp[t] * channels * 4, p1 = raw + pp[t + 1] * channels * 4
                            let p2 = raw + pp[t + 2] * channels * 4, p3 = raw + pp[t + 3] * channels * 4
                            let w0 = wp[t], w1 = wp[t + 1], w2 = wp[t + 2], w3 = wp[t + 3]
                            for g in 0..<groups {
                                let a = w0 * p0.loadUnaligned(fromByteOffset: g * 64, as: SIMD16<Float>.self)
                                let b = w1 * p1.loadUnaligned(fromByteOffset: g * 64, as: SIMD16<Float>.self)
                                let c = w2 * p2.loadUnaligned(fromByteOffset: g * 64, as: SIMD16<Float>.self)
                                let d = w3 * p3.loadUnaligned(fromByteOffset: g * 64, as: SIMD16<Float>.self)
                                acc[g] += a + b + c + d
                            }
                            t += 4
                        }
                        for g in 0..<groups {
                            let r = acc[g] / count
                            for lane in 0..<16 { dst[(g * 16 + lane) * bins + bin] = r[lane] }
                        }
                    }
                }
            }
        }
    }
}

extension MultiScaleRoIAlign {
    /// One box pooled from one feature map [1, C, h, w] at `scale` (single-level roi_align), [1, C, out, out].
    public func poolOnLevel(_ feature: Tensor, scale: Float, box: BoxF) -> Tensor {
        Tensor(shape: [1, feature.c, outputSize, outputSize]) { o in
            feature.data.withUnsafeBufferPointer { fp in
                pool(fp.baseAddress!, channels: feature.c, height: feature.h, width: feature.w, scale: scale, box: box, into: o.baseAddress!)
            }
        }
    }
}
