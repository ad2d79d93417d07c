import Checkpoint
import Foundation
import Tensor

/// Times one model on decoded frames as `mrcnn bench` reports it: `frames[0]` warms up, the rest are timed one at
/// a time (RPN on every `detectEvery`-th frame; in between, the previous frame's boxes scoring ≥ 0.5 are the
/// proposals). Needs ≥ 2 frames and `detectEvery` ≥ 1; runs on the calling thread and prints nothing.
public struct ModelBenchmark {
    public let frames: [RGBInput]
    public let stateDict: StateDict
    public let kind: ModelKind
    public let detectEvery: Int

    public init(frames: [RGBInput], stateDict: StateDict, kind: ModelKind, detectEvery: Int = 1) {
        precondition(frames.count >= 2, "a warm-up frame and at least one timed frame")
        precondition(detectEvery >= 1, "detectEvery ≥ 1")
        self.frames = frames
        self.stateDict = stateDict
        self.kind = kind
        self.detectEvery = detectEvery
    }

    /// Builds the model with `options` (short side `minSize`, `rpnPostNMSTopN` proposals, engine, threshold) and
    /// times it on the frames. Mask R-CNN v1/v2 and Faster R-CNN run the mask head when they have one, Keypoint
    /// R-CNN its keypoint head.
    public func run(options: ModelOptions) throws -> ModelBenchmarkResult {
        let keypoints = kind == .keypointRCNN
        let maskModel = keypoints ? nil : try MaskRCNN(stateDict: stateDict, kind: kind, options: options)
        let keypointModel = keypoints ? try KeypointRCNN(stateDict: stateDict, options: options) : nil
        let detector = maskModel?.detector ?? keypointModel!.detector
        let ws = Workspace()
        _ = maskModel?(frames[0], workspace: ws)
        _ = keypointModel?(frames[0], workspace: ws)
        let timings = Timings()
        let start = Date()
        var detections = 0
        var previous: [BoxF] = []
        for (i, img) in frames.dropFirst().enumerated() {
            // Keyframe mode: the RPN runs every N-th frame; otherwise the last boxes are the proposals.
            let key = i % detectEvery == 0 || previous.isEmpty
            let f = detector.features(img, workspace: ws, regions: key ? nil : previous, timings: timings)
            var d = detector.detect([f], workspace: ws, timings: timings)
            maskModel?.predictMasks([f], &d, workspace: ws, timings: timings)
            keypointModel?.predictKeypoints([f], &d, workspace: ws, timings: timings)
            previous = d[0].filter { $0.score >= 0.5 }.map(\.box)
            detections += d[0].count
        }
        let wall = Date().timeIntervalSince(start)
        let n = Double(frames.count - 1)
        let transform = ImageTransform(minSize: options.minSize, maxSize: options.maxSize)
        let size = transform.resizedSize(h: frames[0].height, w: frames[0].width)
        let padded = transform.paddedSize(h: size.h, w: size.w)
        let components = timings.order.map { ModelBenchmarkResult.Component(name: $0, millisecondsPerFrame: timings.milliseconds[$0]! / n) }
        let work = ModelFLOPs.perFrame(kind: kind, paddedH: padded.h, paddedW: padded.w, proposals: options.rpnPostNMSTopN,
                                       detectionsPerFrame: Double(detections) / n).map { c in
            let ms = timings.milliseconds[c.name].map { $0 / n }
            return ModelBenchmarkResult.Work(name: c.name, gflop: c.gflop, gflopPerSecond: ms.flatMap { $0 > 0 ? c.gflop / ($0 / 1000) : nil })
        }
        return ModelBenchmarkResult(minSize: options.minSize, proposals: options.rpnPostNMSTopN, timedFrames: frames.count - 1,
                                    components: components, endToEndMilliseconds: wall * 1000 / n, framesPerSecond: n / wall,
                                    detections: detections, inputSize: size, paddedSize: padded, work: work)
    }
}

/// What one `ModelBenchmark.run` measured: per-component ms/frame in `Timings.order`, end to end, the input's
/// resized and padded sizes (h, w), detections over all timed frames, GFLOP per frame and the rate of each
/// component that was timed. A plain value.
public struct ModelBenchmarkResult: Sendable {
    /// One timed component (`Timings` name) and its mean wall time per timed frame.
    public struct Component: Sendable {
        public let name: String
        public let millisecondsPerFrame: Double
    }

    /// One component's work per frame (`ModelFLOPs`) and its rate; `gflopPerSecond` is nil when it was not timed.
    public struct Work: Sendable {
        public let name: String
        public let gflop: Double
        public let gflopPerSecond: Double?
    }

    public let minSize: Int
    public let proposals: Int
    public let timedFrames: Int
    public let components: [Component]
    public let endToEndMilliseconds: Double
    public let framesPerSecond: Double
    public let detections: Int
    public let inputSize: (h: Int, w: Int)
    public let paddedSize: (h: Int, w: Int)
    public let work: [Work]

    /// The work entry of `component` (e.g. "backbone+fpn"), if counted.
    public func work(of component: String) -> Work? { work.first { $0.name == component } }
}

/// Floating-point operations (2 × multiply-adds, direct convolution) of the model's heavy components: pure functions
/// of the padded input size, the model kind and the RoI counts. The yardstick behind `mrcnn bench`'s GFLOP/s.
public enum ModelFLOPs {
    /// ResNet-50 (stem, layers 1–4; stride on the 3×3 of each stage's first block) + FPN (lateral 1×1 and output
    /// 3×3 on C2–C5) for a padded input of `h`×`w` (multiples of 32).
    public static func resnet50FPN(h: Int, w: Int) -> Double {
        var total = 0.0
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ oh: Int, _ ow: Int) { total += 2.0 * Double(cin * cout * k * k * oh * ow) }
        var hh = h / 2, ww = w / 2
        conv(3, 64, 7, hh, ww)
        hh /= 2; ww /= 2
        var inC = 64
        for (li, (blocks, width)) in [(3, 64), (4, 128), (6, 256), (3, 512)].enumerated() {
            for b in 0..<blocks {
                let s = (b == 0 && li > 0) ? 2 : 1
                conv(inC, width, 1, hh, ww)
                let oh = hh / s, ow = ww / s
                conv(width, width, 3, oh, ow)
                conv(width, width * 4, 1, oh, ow)
                if b == 0 { conv(inC, width * 4, 1, oh, ow) }
                hh = oh; ww = ow; inC = width * 4
            }
            let lh = h >> (li + 2), lw = w >> (li + 2)
            conv(inC, 256, 1, lh, lw)
            conv(256, 256, 3, lh, lw)
        }
        return total
    }

    /// The RPN head on P2–P6 of a padded `h`×`w` input: the 3×3 conv (two in v2) and the 1×1 objectness (3) and
    /// box (12) convs at every pixel of every level.
    public static func rpnHead(h: Int, w: Int, isV2: Bool) -> Double {
        let pixels = (2...6).reduce(0.0) { $0 + Double((h >> $1) * (w >> $1)) }
        return pixels * 2 * (Double(isV2 ? 2 : 1) * 256 * 256 * 9 + 256 * 15)
    }

    /// The box head per RoI. v1: fc6 + fc7; v2: four 3×3 convs on 7×7 maps + one FC; both: the predictor
    /// (91 class scores + 364 box deltas).
    public static func boxHeadPerRoI(isV2: Bool) -> Double {
        isV2 ? 2 * (4 * 256 * 256 * 9 * 49 + 12544 * 1024 + 1024 * 455)
             : 2 * (12544 * 1024 + 1024 * 1024 + 1024 * 455)
    }

    /// The mask head per RoI: four 3×3 convs on 14×14, the 2×2/2 deconvolution to 28×28, the 1×1 logits of the RoI's
    /// own class (`MaskLogits`; torchvision's 91 classes would add 256·90·784 multiply-adds).
    public static let maskHeadPerRoI: Double = 2 * (4 * 256 * 256 * 9 * 196 + 256 * 256 * 4 * 196 + 256 * 784)

    /// GFLOP per frame of backbone+FPN, RPN, box head and mask head (named as `Timings` measures them), for a model of `kind` on a padded `h`×`w` input with `proposals`
    /// box-head RoIs and `detectionsPerFrame` mask-head RoIs.
    public static func perFrame(kind: ModelKind, paddedH h: Int, paddedW w: Int, proposals: Int,
                                detectionsPerFrame: Double) -> [(name: String, gflop: Double)] {
        [("backbone+fpn", resnet50FPN(h: h, w: w) / 1e9),
         ("rpn", rpnHead(h: h, w: w, isV2: kind.isV2) / 1e9),
         ("box head", Double(proposals) * boxHeadPerRoI(isV2: kind.isV2) / 1e9),
         ("mask head", detectionsPerFrame * maskHeadPerRoI / 1e9)]
    }
}
