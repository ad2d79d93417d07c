import Checkpoint
import Foundation
import MaskRCNN
import Tensor
import Testing
import VideoIO

/// bf16 against torchvision's fp32 reference fixtures (seeded weights), held to the ideal bf16 on the same pools
/// (Fixtures/bf16_ideal.json, tools/reference/bf16_emulation.py: PyTorch with every convolution's and linear layer's
/// weights and input rounded to bf16, fp32 accumulation, in four draws that differ only by how fp32 values round —
/// the spread an exact bf16 computation has by chance). Each pool holds ≥ 150 reference detections per model (Mask
/// R-CNN v1 and Faster R-CNN v1 at ≥ 0.5; v2 and Faster R-CNN v2 at ≥ 0.3, their seeded weights score lower; the
/// Faster R-CNNs are the Mask R-CNNs' seeded tensors without the mask branch, so the same fixtures). Bounds: every FPN
/// level within 1e-2 relative L2; pooled, found ≥ the ideal's lowest − 3 points, median mask IoU ≥ its lowest −
/// 0.005, worst score Δ ≤ its highest + 0.01; on each image with ≥ 50 reference detections, median mask IoU ≥ 0.97
/// (or the ideal's lowest − 0.005 where that is lower). Smaller images are in the pooled figures only: with 16–30
/// detections an image's median moves by up to 0.06 between the ideal's own draws. Keypoint R-CNN: visible keypoints
/// within 1 px ≥ the ideal's lowest − 3 points. On a CPU with AMX or AVX512-BF16 this runs oneDNN's bf16 kernels;
/// elsewhere the emulated bf16.
@Suite(.serialized)
struct BF16AccuracyTests {
    static let precision: Precision = CPUFeatures.current.hasBF16Units ? .bf16 : .bf16Emulated

    /// Runs `run` on each fixture of the ideal's pool; per-image and pooled figures, each image's line printed.
    static func measure(_ ideal: BF16Ideal, label: String,
                        run: (RGBInput, @escaping Tracer) -> [Detection]) throws -> (pooled: BF16Figures, images: [String: BF16Figures]) {
        var pooled = BF16Figures(), images: [String: BF16Figures] = [:]
        for stem in ideal.fixtures {
            let ref = try Fixture.json(stem) as! [String: Any]
            let img = try ParityTests.image(of: ref)
            let traced = TracedLevels()
            let detections = run(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { name, t in
                if name.hasPrefix("fpn.") { traced.levels[name] = t }
            }
            let f = BF16Figures(detections: detections, fpn: traced.levels, ref: ref, cut: ideal.cut)
            print("  \(label) \(stem): \(f.line)")
            images[stem] = f
            pooled.add(f)
        }
        print("bf16 accuracy \(label): \(pooled.line)")
        return (pooled, images)
    }

    /// The bounds against the ideal (see the suite's comment).
    static func expectWithinIdeal(_ f: (pooled: BF16Figures, images: [String: BF16Figures]), _ ideal: BF16Ideal, label: String) {
        let p = f.pooled
        #expect(p.worstFPN <= 1e-2, "\(label): FPN relative L2 error \(p.worstFPN)")
        #expect(p.foundShare >= ideal.lowestFoundShare - 0.03,
                "\(label): found \(p.found) of \(p.wanted), the ideal's draws as few as \(ideal.lowestFoundShare)")
        if let worst = ideal.highest("worst_score_delta") {
            #expect(Double(p.worstScore) <= worst + 0.01, "\(label): score off by \(p.worstScore), the ideal's draws by up to \(worst)")
        }
        if let median = p.medianMaskIoU, let lowest = ideal.lowest("median_mask_iou") {
            #expect(median >= lowest - 0.005, "\(label): median mask IoU \(median), the ideal's draws as low as \(lowest)")
        }
        for (stem, image) in f.images where image.wanted >= 50 {
            guard let median = image.medianMaskIoU, let lowest = ideal.lowestMedian(of: stem) else { continue }
            let bound = min(0.97, lowest - 0.005)
            #expect(median >= bound, "\(label) \(stem): median mask IoU \(median) < \(bound) (the ideal's draws as low as \(lowest))")
        }
    }

    static func model(_ kind: ModelKind, _ precision: Precision, kernels: KernelPolicy = .measured) throws -> MaskRCNN {
        var options = ModelOptions()
        options.precision = precision
        options.kernels = kernels
        return try MaskRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 0), options: options)
    }

    @Test(arguments: [ModelKind.maskRCNN, .maskRCNNv2, .fasterRCNN, .fasterRCNNv2])
    func bf16FollowsTheIdealBF16(kind: ModelKind) throws {
        let ideal = try BF16Ideal(model: kind.rawValue)
        let model = try Self.model(kind, Self.precision)
        print("bf16 accuracy \(kind.rawValue): \(Self.precision == .bf16 ? "oneDNN bf16 kernels" : "emulated bf16") on "
              + "\(CPUFeatures.current.summary); engine \(model.options.engine)")
        let figures = try Self.measure(ideal, label: "\(kind.rawValue) \(Self.precision.rawValue)") { image, trace in
            model(image, trace: trace)
        }
        #expect(figures.pooled.wanted >= 150, "a pool of \(figures.pooled.wanted) reference detections cannot carry these bounds")
        Self.expectWithinIdeal(figures, ideal, label: kind.rawValue)
    }

    /// Keypoint R-CNN on its fixtures (257 people: the three parity images and eight vtest frames): the detections'
    /// figures as above and the visible keypoints (reference heatmap score > 2) within 1 px of the reference's. With
    /// seeded weights the heatmaps are flat (argmax margins ~1e-3 relative), so even the ideal keeps only 82–84 % of the
    /// keypoints and 13–21 % of the people within 1 px; it finds 221–228 of the 257 people. The emulated bf16 is judged
    /// by the median of three draws (`BF16.Draw`, by people found), as the ideal by its draws: the pool is eleven
    /// crowded frames whose people come and go together on near-ties — on oneDNN's AVX2 fp32 kernels the exact draw
    /// found 211 (one frame lost 9 of its 24 people), draws 1–5 found 224, 233, 228, 228, 226. Real bf16 has one draw.
    @Test func keypointsFollowTheIdealBF16() throws {
        let ideal = try BF16Ideal(model: ModelKind.keypointRCNN.rawValue)
        let draws = Self.precision == .bf16Emulated ? [BF16.Draw.exact, BF16.Draw(1), BF16.Draw(2)] : [.exact]
        let measured = try draws.map { draw in
            var options = ModelOptions()
            (options.precision, options.bf16Draw) = (Self.precision, draw)
            let model = try KeypointRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.keypointParameters(), seed: 0),
                                         options: options)
            return try Self.measure(ideal, label: "keypointrcnn \(Self.precision.rawValue) draw \(draw.k)") { image, trace in
                model(image, trace: trace)
            }
        }
        let figures = measured.sorted { $0.pooled.found < $1.pooled.found }[measured.count / 2]
        Self.expectWithinIdeal(figures, ideal, label: "keypointrcnn")
        let within = figures.pooled.keypointsWithin1px ?? 0, lowest = ideal.lowest("keypoints_within_1px")!
        #expect(within >= lowest - 0.03, "visible keypoints within 1 px: \(within), the ideal's draws as few as \(lowest)")
    }
}

/// The FPN levels a traced forward hands out (a reference type: the tracer is an escaping closure).
final class TracedLevels: @unchecked Sendable {
    var levels: [String: Tensor] = [:]
}
