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

    @Test func bf16StaysCloseToTheFP32Reference() throws {
        print("bf16 accuracy: \(Self.precision == .bf16 ? "oneDNN bf16 kernels" : "emulated bf16") on \(CPUFeatures.current.summary); "
              + "engine \(Self.model.options.engine)")
        var wanted = 0, found = 0, maskIoUs: [Double] = [], worstScore: Float = 0, worstFPN = 0.0
        for stem in Self.stems {
            let ref = try Fixture.json(stem) as! [String: Any]
            let img = try ParityTests.image(of: ref)
            var traced: [String: Tensor] = [:]
            let detections = Self.model(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { name, t in
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
                worstFPN = max(worstFPN, rel)
                #expect(rel <= 1.5e-2, "\(stem) \(level): relative L2 error \(rel)")
            }
            // Greedy matching: each reference detection ≥ 0.5 takes the unused detection of its class with the best IoU.
            var used = Set<Int>(), stemWanted = 0, stemFound = 0, stemIoUs: [Double] = []
            for r in ref["detections"] as! [[String: Any]] {
                let score = (r["score"] as! NSNumber).floatValue
                guard score >= 0.5 else { continue }
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
                stemIoUs.append(MaskIoU.iou(detections[best].mask!, rle: r["mask"] as! [String: Any]))
                worstScore = max(worstScore, abs(detections[best].score - score))
            }
            stemIoUs.sort()
            print(String(format: "  %@: found %d of %d reference detections ≥ 0.5; median mask IoU %.4f", stem, stemFound, stemWanted,
                         stemIoUs.isEmpty ? Double.nan : stemIoUs[stemIoUs.count / 2]))
            wanted += stemWanted
            found += stemFound
            maskIoUs += stemIoUs
        }
        maskIoUs.sort()
        let median = maskIoUs.isEmpty ? 0 : maskIoUs[maskIoUs.count / 2]
        print(String(format: "bf16 accuracy: worst FPN rel-L2 %.2e; found %d of %d reference detections ≥ 0.5 (%.1f%%); "
                     + "median mask IoU %.4f; worst score Δ %.4f", worstFPN, found, wanted, 100 * Double(found) / Double(max(wanted, 1)),
                     median, worstScore))
        #expect(wanted > 0)
        #expect(found * 100 >= wanted * 85, "found \(found) of \(wanted) reference detections")
        #expect(median >= 0.97, "median mask IoU \(median)")
        #expect(worstScore <= 0.05, "score off by \(worstScore)")
    }

    static func boxIoU(_ a: [Float], _ b: [Float]) -> Double {
        let ix = max(0, min(a[2], b[2]) - max(a[0], b[0])), iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = Double(ix * iy)
        let union = Double((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
        return union > 0 ? inter / union : 0
    }
}
