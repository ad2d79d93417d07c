import Checkpoint
import MaskRCNN
import Testing

/// The benchmark's pure parts (FLOP counts, derived here layer by layer from the architecture, independently of
/// `ModelFLOPs`' loop) and the structure of a run on tiny frames. Nothing here looks at a timing's value.
@Suite struct ModelBenchmarkTests {
    /// ResNet-50-FPN at a padded 800×1216: multiply-adds per output pixel of each layer, grouped by the grid it
    /// runs on (stride 2, C2 = /4 … C5 = /32). Each stage's first 1×1 runs on the previous grid (the stride is on
    /// the 3×3); the projection shortcut runs on the new grid.
    @Test func resnet50FPNAt800x1216() {
        let (h, w) = (800, 1216)
        func grid(_ stride: Int) -> Int { (h / stride) * (w / stride) }
        // bottleneck(in, width): 1×1 in→width, 3×3 width→width, 1×1 width→4·width
        func tail(_ width: Int) -> Int { 9 * width * width + width * 4 * width }
        let stem = 3 * 64 * 7 * 7 * grid(2)
        let layer1 = grid(4) * (64 * 64 + tail(64) + 64 * 256 + 2 * (256 * 64 + tail(64)))
        let layer2 = grid(4) * 256 * 128 + grid(8) * (tail(128) + 256 * 512 + 3 * (512 * 128 + tail(128)))
        let layer3 = grid(8) * 512 * 256 + grid(16) * (tail(256) + 512 * 1024 + 5 * (1024 * 256 + tail(256)))
        let layer4 = grid(16) * 1024 * 512 + grid(32) * (tail(512) + 1024 * 2048 + 2 * (2048 * 512 + tail(512)))
        let lateral = grid(4) * 256 * 256 + grid(8) * 512 * 256 + grid(16) * 1024 * 256 + grid(32) * 2048 * 256
        let output = (grid(4) + grid(8) + grid(16) + grid(32)) * 9 * 256 * 256
        let flops = 2 * (stem + layer1 + layer2 + layer3 + layer4 + lateral + output)
        #expect(flops == 268_679_577_600)
        #expect(ModelFLOPs.resnet50FPN(h: h, w: w) == Double(flops))
    }

    /// RPN head at 800×1216: P2–P6 hold 200·304 + 100·152 + 50·76 + 25·38 + 12·19 = 80,978 pixels.
    @Test func rpnHeadAt800x1216() {
        let pixels = 200 * 304 + 100 * 152 + 50 * 76 + 25 * 38 + 12 * 19
        #expect(pixels == 80_978)
        let head = 256 * 9 * 256 + 256 * 3 + 256 * 12   // 3×3 conv, objectness (3 anchors), deltas (3 × 4)
        #expect(ModelFLOPs.rpnHead(h: 800, w: 1216, isV2: false) == Double(2 * pixels * head))
        #expect(ModelFLOPs.rpnHead(h: 800, w: 1216, isV2: true) == Double(2 * pixels * (head + 256 * 9 * 256)))
    }

    /// Box head per RoI: the 7×7×256 pooled map through fc6/fc7 (v1) or four convs + one FC (v2), then the
    /// class scores (91) and per-class deltas (91 × 4).
    @Test func boxHeadPerRoI() {
        let predictor = 1024 * 91 + 1024 * 91 * 4
        let v1 = 2 * (256 * 7 * 7 * 1024 + 1024 * 1024 + predictor)
        let v2 = 2 * (4 * 256 * 9 * 256 * 7 * 7 + 256 * 7 * 7 * 1024 + predictor)
        #expect(v1 == 28_719_104 && v2 == 257_832_960)
        #expect(ModelFLOPs.boxHeadPerRoI(isV2: false) == Double(v1))
        #expect(ModelFLOPs.boxHeadPerRoI(isV2: true) == Double(v2))
    }

    /// Mask head per RoI: four 3×3 convs at 14×14, the 2×2/2 deconvolution (each 28×28 output pixel takes one
    /// input pixel × 256 channels), the 1×1 logits of the RoI's own class at 28×28.
    @Test func maskHeadPerRoI() {
        let flops = 2 * (4 * 256 * 9 * 256 * 14 * 14 + 256 * 256 * 28 * 28 + 256 * 28 * 28)
        #expect(flops == 1_028_005_888)
        #expect(ModelFLOPs.maskHeadPerRoI == Double(flops))
    }

    @Test func perFrameScalesTheHeadsByTheirRoIs() {
        let work = ModelFLOPs.perFrame(kind: .maskRCNN, paddedH: 800, paddedW: 1216, proposals: 1000, detectionsPerFrame: 10)
        #expect(work.map(\.name) == ["backbone+fpn", "rpn", "box head", "mask head"])
        #expect(work[2].gflop == 1000 * ModelFLOPs.boxHeadPerRoI(isV2: false) / 1e9)
        #expect(work[3].gflop == 10 * ModelFLOPs.maskHeadPerRoI / 1e9)
    }

    /// A run on tiny frames with seeded weights: every stage reported once, in order, sizes and counts filled in.
    /// Keyframe mode on Mask R-CNN (3 frames, RPN every 2nd), every frame on Keypoint R-CNN (2 frames).
    @Test(arguments: [(ModelKind.maskRCNN, 2), (.keypointRCNN, 1)])
    func runOnTinyFrames(kind: ModelKind, detectEvery: Int) throws {
        let dict = SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 0)
        let count = detectEvery == 1 ? 2 : 3
        let frames = (0..<count).map { f in
            RGBInput(width: 64, height: 64, pixels: (0..<(64 * 64 * 3)).map { UInt8(($0 * 37 + f * 11) % 251) })
        }
        var options = ModelOptions()
        options.minSize = 64
        options.rpnPostNMSTopN = 50
        options.scoreThreshold = 0
        let r = try ModelBenchmark(frames: frames, stateDict: dict, kind: kind, detectEvery: detectEvery).run(options: options)
        #expect(r.minSize == 64 && r.proposals == 50 && r.timedFrames == count - 1)
        #expect(r.inputSize.h == 64 && r.inputSize.w == 64 && r.paddedSize.h == 64 && r.paddedSize.w == 64)
        let names = r.components.map(\.name)
        for c in ["transform", "backbone+fpn", "rpn", "box roi-align", "box head", "box postprocess"] {
            #expect(names.contains(c), "\(c) missing from \(names)")
        }
        #expect(names.contains(kind == .keypointRCNN ? "keypoint head" : "mask head"))
        #expect(Set(names).count == names.count)
        #expect(r.components.allSatisfy { $0.millisecondsPerFrame >= 0 })
        #expect(r.endToEndMilliseconds > 0 && r.framesPerSecond > 0)
        #expect(r.detections > 0)
        #expect(r.work.map(\.name) == ["backbone+fpn", "rpn", "box head", "mask head"])
        #expect(r.work.prefix(3).allSatisfy { $0.gflop > 0 && $0.gflopPerSecond != nil })
        let mask = try #require(r.work(of: "mask head"))
        #expect(mask.gflop > 0)
        #expect((mask.gflopPerSecond != nil) == kind.hasMasks, "the mask head's rate only where it ran")
    }
}
