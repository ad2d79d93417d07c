import Foundation
import Tensor

/// torchvision's KeypointRCNNHeads + KeypointRCNNPredictor: pooled RoIs [N, 256, 14, 14] → 8 × (3×3 conv 512 +
/// ReLU) → 4×4 stride-2 transposed conv to 17 maps → ×2 bilinear (align_corners=False) → heatmap logits [N, 17, 56, 56].
struct KeypointHead: Sendable {
    let convs: [Conv2D]
    let deconv: ConvTranspose2D

    init(_ w: WeightSource, keypoints: Int = 17) throws {
        var inC = 256
        var convs: [Conv2D] = []
        for i in 0..<8 {
            convs.append(try w.conv("roi_heads.keypoint_head.\(i * 2)", inC: inC, outC: 512, kernel: 3, padding: 1, rois: true))
            inC = 512
        }
        self.convs = convs
        deconv = ConvTranspose2D(weight: try w.tensor("roi_heads.keypoint_predictor.kps_score_lowres.weight", [512, keypoints, 4, 4]),
                                 bias: try w.tensor("roi_heads.keypoint_predictor.kps_score_lowres.bias", [keypoints]),
                                 inChannels: 512, outChannels: keypoints, kernel: 4, stride: 2, padding: 1, decision: true,
                                 engine: w.engine)
    }

    /// RoIs per chain run.
    static let chunk = 32

    /// Chunk by chunk: the 8 convs, the predictor's transposed convolution (fp32 out), then ×2 bilinear.
    func callAsFunction(_ pooled: Tensor, _ ws: Workspace, trace: Tracer?) -> Tensor {
        var features: [Tensor] = []
        let empty = Tensor(zeros: [0, deconv.outChannels, pooled.h * 4, pooled.w * 4])
        let heatmaps = RoIChunks.map(pooled, limit: KeypointHead.chunk, empty: empty) { chunk in
            let x = convs.chain(FeatureMap(chunk), workspace: ws)
            if trace != nil { features.append(x.tensor()) }
            let low = deconv(x, workspace: ws)
            return Resample.bilinear(low, h: low.h * 2, w: low.w * 2)
        }
        if let trace, !features.isEmpty { trace("roi_heads.keypoint_head", Tensor.concat(features)) }
        return heatmaps
    }
}

/// One decoded keypoint: position in original-image pixels and its heatmap logit at the peak (torchvision's
/// `keypoint_scores`).
public struct DetectedKeypoint: Sendable, Equatable {
    public var x: Float
    public var y: Float
    public var score: Float
}

/// torchvision's heatmaps_to_keypoints as a pure function: each 56×56 map is resized bicubically (A = −0.75,
/// align_corners=False, border-clamped) to ⌈box w⌉×⌈box h⌉ of the box in model-input pixels, its first maximum taken,
/// and the cell centre mapped back into the box.
public enum KeypointDecoder {
    /// Keypoints for one detection in resized-image coordinates; `maps` holds `count` planes of side×side logits.
    public static func decode(maps: UnsafePointer<Float>, count: Int, side: Int, box: BoxF) -> [DetectedKeypoint] {
        let widths = max(box.x2 - box.x1, 1), heights = max(box.y2 - box.y1, 1)
        let mw = Int(widths.rounded(.up)), mh = Int(heights.rounded(.up))
        let wc = widths / Float(mw), hc = heights / Float(mh)
        let tx = cubicTaps(input: side, output: mw), ty = cubicTaps(input: side, output: mh)
        return (0..<count).map { k in
            let plane = maps + k * side * side
            var best = -Float.infinity, bx = 0, by = 0
            for oy in 0..<mh {
                let a = ty[oy]
                for ox in 0..<mw {
                    let b = tx[ox]
                    var v: Float = 0
                    for i in 0..<4 {
                        let row = plane + a.index[i] * side
                        let r = b.weight[0] * row[b.index[0]] + b.weight[1] * row[b.index[1]]
                            + b.weight[2] * row[b.index[2]] + b.weight[3] * row[b.index[3]]
                        v += a.weight[i] * r
                    }
                    if v > best { best = v; bx = ox; by = oy }
                }
            }
            return DetectedKeypoint(x: (Float(bx) + 0.5) * wc + box.x1, y: (Float(by) + 0.5) * hc + box.y1, score: best)
        }
    }

    /// Four clamped source indices and cubic-convolution weights per output sample.
    struct CubicTap {
        let index: [Int]
        let weight: [Float]
    }

    /// As PyTorch's CPU kernel: scale = input/output in float32, source index and weights in double (as for the
    /// bilinear taps, see `Resample.linearTaps`), weights stored as float32.
    static func cubicTaps(input: Int, output: Int) -> [CubicTap] {
        let scale = Double(Float(input) / Float(output))
        let a = -0.75
        func c1(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func c2(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return (0..<output).map { i in
            let src = scale * (Double(i) + 0.5) - 0.5
            let i0 = min(Int(src.rounded(.down)), input - 1)
            let t = min(max(src - Double(i0), 0), 1)
            let w = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)].map { Float($0) }
            let idx = (0..<4).map { min(max(i0 - 1 + $0, 0), input - 1) }
            return CubicTap(index: idx, weight: w)
        }
    }
}
