import Checkpoint
import Foundation
import MaskRCNN
import Tensor
import Testing
import VideoIO

/// bf16 against the torchvision fp32 reference fixtures (the parity tests' six images and seeded weights), with
/// the issue's bounds: each FPN level's relative L2 error ≤ 1.5e-2; pooled over the images, ≥ 85 % of reference
/// detections scoring ≥ 0.5 found (same class, box IoU ≥ 0.9); median mask IoU ≥ 0.97 and scores within 0.05 on the
/// matched ones. On a CPU with AMX or AVX512-BF16 this runs oneDNN's bf16 kernels; elsewhere the emulated bf16
/// (weights and layer inputs rounded to bf16, fp32 accumulation), which computes the same numbers at fp32 speed.
/// Only vtest_frame30, butterfly_jpg and building_wide_jpg have reference detections ≥ 0.5 (27 + 82 + 100): the three
/// PNGs alone leave 27 detections of one frame, too few for a stable median (an ideal bf16 in PyTorch gets 0.972 on
/// them, 0.998 on all six; tools/reference/bf16_emulation.py).
@Suite(.serialized)
struct BF16AccuracyTests {
    static let stems = ["messi5", "fruits", "vtest_frame30", "messi5_jpg", "butterfly_jpg", "building_wide_jpg"]

    static let precision: Precision = CPUFeatures.current.hasBF16Units ? .bf16 : .bf16Emulated

    static let model: MaskRCNN = {
        var options = ModelOptions()
        options.precision = precision
        return try! MaskRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(), seed: 0), options: options)
    }()

    /// The pooled figures of one model on its fixtures.
    struct Figures {
        var wanted = 0, found = 0, maskIoUs: [Double] = [], worstScore: Float = 0, worstFPN = 0.0
        var median: Double { let s = maskIoUs.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
        var line: String {
            String(format: "worst FPN rel-L2 %.2e; found %d of %d reference detections (%.1f%%); %@; worst score Δ %.4f",
                   worstFPN, found, wanted, 100 * Double(found) / Double(max(wanted, 1)),
                   maskIoUs.isEmpty ? "no masks" : String(format: "median mask IoU %.4f", median), worstScore)
        }
    }

    /// Runs `model` on the fixtures `stems`: every FPN level within 1.5e-2 relative L2 of torchvision fp32, and the
    /// reference detections scoring ≥ `cut` matched greedily (same class, best unused box IoU ≥ 0.9).
    static func measure(_ model: MaskRCNN, stems: [String], cut: Float) throws -> Figures {
        var figures = Figures()
        for stem in stems {
            let ref = try Fixture.json(stem) as! [String: Any]
            let img = try ParityTests.image(of: ref)
            var traced: [String: Tensor] = [:]
            let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { name, t in
                if name.hasPrefix("fpn.") { traced[name] = t }
            }
            let layers = ref["layers"] as! [String: Any]
            for level in ["fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"] {
                let layer = layers[level] as! [String: Any]
                let t = try #require(traced[level])
                var num = 0.0, den = 0.0
                for (i, v) in zip(Fixture.ints(layer["index"]), Fixture.floats(layer["value"])) {
                    num += Double(t.data[i] - v) * Double(t.data[i] - v)
                    den += Double(v) * Double(v)
                }
                let rel = (num / max(den, 1e-30)).squareRoot()
                figures.worstFPN = max(figures.worstFPN, rel)
                #expect(rel <= 1.5e-2, "\(stem) \(level): relative L2 error \(rel)")
            }
            // Greedy matching: each reference detection ≥ cut takes the unused detection of its class with the best IoU.
            var used = Set<Int>(), stemWanted = 0, stemFound = 0, stemIoUs: [Double] = []
            for r in ref["detections"] as! [[String: Any]] {
                let score = (r["score"] as! NSNumber).floatValue
                guard score >= cut else { continue }
                stemWanted += 1
                let label = (r["label"] as! NSNumber).intValue, b = Fixture.floats(r["box"])
                var best = -1, bestIoU = 0.0
                for (i, d) in detections.enumerated() where d.label == label && !used.contains(i) {
                    let iou = Self.boxIoU([d.box.x1, d.box.y1, d.box.x2, d.box.y2], b)
                    if iou > bestIoU { bestIoU = iou; best = i }
                }
                guard best >= 0, bestIoU >= 0.9 else { continue }
                used.insert(best)
                stemFound += 1
                if let rle = r["mask"] as? [String: Any], let mask = detections[best].mask { stemIoUs.append(MaskIoU.iou(mask, rle: rle)) }
                figures.worstScore = max(figures.worstScore, abs(detections[best].score - score))
            }
            stemIoUs.sort()
            print(String(format: "  %@: found %d of %d reference detections ≥ %.2f; median mask IoU %.4f", stem, stemFound, stemWanted,
                         cut, stemIoUs.isEmpty ? Double.nan : stemIoUs[stemIoUs.count / 2]))
            figures.wanted += stemWanted
            figures.found += stemFound
            figures.maskIoUs += stemIoUs
        }
        return figures
    }

    /// The issue's bounds on pooled figures (mask IoU only where the model has masks).
    static func expectWithinBounds(_ f: Figures, masks: Bool) {
        #expect(f.wanted > 0)
        #expect(f.found * 100 >= f.wanted * 85, "found \(f.found) of \(f.wanted) reference detections")
        if masks { #expect(f.median >= 0.97, "median mask IoU \(f.median)") }
        #expect(f.worstScore <= 0.05, "score off by \(f.worstScore)")
    }

    @Test func bf16StaysCloseToTheFP32Reference() throws {
        print("bf16 accuracy: \(Self.precision == .bf16 ? "oneDNN bf16 kernels" : "emulated bf16") on \(CPUFeatures.current.summary); "
              + "engine \(Self.model.options.engine)")
        let figures = try Self.measure(Self.model, stems: Self.stems, cut: 0.5)
        print("bf16 accuracy: " + figures.line)
        Self.expectWithinBounds(figures, masks: true)
    }

    /// The rest of the zoo at the same bounds. v2 and Faster R-CNN v2 (v2's seeded weights minus the mask branch, so
    /// the same reference boxes) on v2's four fixtures: v2's seeded weights score lower than v1's (no reference
    /// detection reaches 0.52), so the detections pooled are those ≥ 0.3, 50 of them (vtest_frame30 26, butterfly
    /// 16, building 8; messi5_jpg has none but still checks the FPN). Faster R-CNN v1 on its two fixtures at ≥ 0.5.
    @Test(arguments: [ModelKind.maskRCNNv2, .fasterRCNNv2, .fasterRCNN])
    func zooStaysCloseToTheFP32Reference(kind: ModelKind) throws {
        var options = ModelOptions()
        options.precision = Self.precision
        let model = try MaskRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 0), options: options)
        let v2 = ["v2_vtest_frame30", "v2_messi5_jpg", "v2_butterfly_jpg", "v2_building_wide_jpg"]
        let figures = try Self.measure(model, stems: kind.isV2 ? v2 : ["frcnn_vtest_frame30", "frcnn_messi5_jpg"], cut: kind.isV2 ? 0.3 : 0.5)
        print("bf16 accuracy \(kind.rawValue): " + figures.line)
        Self.expectWithinBounds(figures, masks: kind.hasMasks)
    }

    static func boxIoU(_ a: [Float], _ b: [Float]) -> Double {
        let ix = max(0, min(a[2], b[2]) - max(a[0], b[0])), iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = Double(ix * iy)
        let union = Double((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
        return union > 0 ? inter / union : 0
    }
}
