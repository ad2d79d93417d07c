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

    /// Pools `boxes[i]` from `levels` (P2…P5, each [1, C, h, w]), where level l has spatial scale 1/2^(l+2).
    public func callAsFunction(_ levels: [Tensor], boxes: [BoxF]) -> Tensor {
        let c = levels[0].c, o = outputSize
        var out = Tensor(zeros: [boxes.count, c, o, o])
        out.data.withUnsafeMutableBufferPointer { op in
            let base = op.baseAddress!
            let per = c * o * o
            Parallel.forEach(boxes.count) { r in
                let l = Self.level(of: boxes[r])
                let f = levels[l]
                f.data.withUnsafeBufferPointer { fp in
                    pool(fp.baseAddress!, channels: c, height: f.h, width: f.w, scale: 1 / Float(1 << (l + 2)),
                         box: boxes[r], into: base + r * per)
                }
            }
        }
        return out
    }

    /// One RoI on one level, as torchvision's roi_align CPU kernel (float32, aligned=False).
    func pool(_ data: UnsafePointer<Float>, channels: Int, height: Int, width: Int, scale: Float, box: BoxF,
              into dst: UnsafeMutablePointer<Float>) {
        let startW = box.x1 * scale, startH = box.y1 * scale
        let endW = box.x2 * scale, endH = box.y2 * scale
        let roiW = max(endW - startW, 1), roiH = max(endH - startH, 1)
        let o = outputSize
        let binH = roiH / Float(o), binW = roiW / Float(o)
        let gh = samplingRatio, gw = samplingRatio
        let count = Float(max(gh * gw, 1))
        // Pre-computed taps: 4 positions and weights per sample, for every bin.
        var pos = [Int](repeating: 0, count: o * o * gh * gw * 4)
        var wts = [Float](repeating: 0, count: o * o * gh * gw * 4)
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
        let samples = gh * gw
        pos.withUnsafeBufferPointer { pp in
            wts.withUnsafeBufferPointer { wp in
                for ch in 0..<channels {
                    let plane = data + ch * height * width
                    let outPlane = dst + ch * o * o
                    var t = 0
                    for bin in 0..<(o * o) {
                        var v: Float = 0
                        for _ in 0..<samples {
                            v += wp[t] * plane[pp[t]] + wp[t + 1] * plane[pp[t + 1]]
                                + wp[t + 2] * plane[pp[t + 2]] + wp[t + 3] * plane[pp[t + 3]]
                            t += 4
                        }
                        outPlane[bin] = v / count
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
