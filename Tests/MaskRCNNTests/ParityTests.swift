import Checkpoint
import Foundation
import MaskRCNN
import Tensor
import Testing
import VideoIO

/// The proof: torchvision 0.14 (Debian's python3-torchvision, compiled ops) and mrcnn, given the same seeded weights
/// in the exact checkpoint layout and the same images, agree layer by layer and on the final detections
/// (fixtures from tools/reference/make_maskrcnn_fixtures.py).
@Suite(.serialized) struct ParityTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model: MaskRCNN = make(.openblas)
    static let oneDNNModel: MaskRCNN = make(.onednn)
    static let autoModel: MaskRCNN = make(.auto)

    /// The fixture's image, read as mrcnn reads stills (JPEG as PIL decodes it).
    static func image(of ref: [String: Any]) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        try ImageFile.read(path: repoRoot.appendingPathComponent(ref["image"] as! String).path)
    }

    /// fp32 parity holds on every backend: OpenBLAS (the reference path), oneDNN for every layer kind, and `auto`
    /// (the default: blocked oneDNN chains, OpenBLAS linear layers and Winograd on the large FPN/RPN maps).
    static let backends: [ComputeBackend] = [.openblas, .onednn, .auto]

    static func make(_ backend: ComputeBackend) -> MaskRCNN {
        var options = ModelOptions()
        options.backend = backend
        return try! MaskRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(), seed: 0), options: options)
    }

    /// PNG stills, a video frame, and JPEG photos: one whose float32 resize has a row fewer than a double rule
    /// (butterfly 356×493 → 799×1107) and one that hits the 1333 long-side cap (building_wide 480×868 → 737×1332).
    @Test(arguments: backends, ["messi5", "fruits", "vtest_frame30", "messi5_jpg", "butterfly_jpg", "building_wide_jpg"])
    func matchesTorchvision(backend: ComputeBackend, stem: String) throws {
        let model = backend == .onednn ? Self.oneDNNModel : backend == .auto ? Self.autoModel : Self.model
        let ref = try Fixture.json(stem) as! [String: Any]
        let img = try Self.image(of: ref)
        var traced: [String: Tensor] = [:]
        let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { traced[$0] = $1 }

        ReferenceComparison.check(ref, traced: traced, label: "\(stem) [\(backend.rawValue)]")

        // Final detections: same count and labels, boxes within 0.5 px, scores within 1e-3, mask IoU ≥ 0.99.
        DetectionComparison.check(detections, ref, label: stem)
    }
}

/// Pairs each reference proposal with the row of the same box (within 0.01 px) among ours.
enum ProposalMatch {
    static func rows(ours: Tensor, reference: [[Float]]) -> [Int?] {
        var byKey: [String: [Int]] = [:]
        func key(_ b: [Float]) -> String { b.map { String(Int(($0 * 10).rounded())) }.joined(separator: ",") }
        for r in 0..<ours.n { byKey[key(Array(ours.data[(r * 4)..<(r * 4 + 4)])), default: []].append(r) }
        return reference.enumerated().map { i, b in
            let candidates = byKey[key(b)] ?? []
            if candidates.contains(i) { return i }
            return candidates.first { r in (0..<4).allSatisfy { abs(ours.data[r * 4 + $0] - b[$0]) < 0.01 } }
        }
    }
}

/// IoU between a pasted mask and an uncompressed COCO RLE (column-major runs starting with zeros).
enum MaskIoU {
    static func iou(_ m: BinaryMask, rle: [String: Any]) -> Double {
        let size = Fixture.ints(rle["size"]), h = size[0], w = size[1]
        var ref = [UInt8](repeating: 0, count: h * w)   // column-major
        var pos = 0, value: UInt8 = 0
        for run in Fixture.ints(rle["counts"]) {
            if value == 1 { for p in pos..<(pos + run) { ref[p] = 1 } }
            pos += run
            value ^= 1
        }
        var inter = 0, ours = 0
        for y in 0..<m.height {
            for x in 0..<m.width where m.bits[y * m.width + x] == 1 {
                ours += 1
                if ref[(m.x + x) * h + (m.y + y)] == 1 { inter += 1 }
            }
        }
        let refArea = ref.reduce(0) { $0 + Int($1) }
        let union = ours + refArea - inter
        return union == 0 ? 1 : Double(inter) / Double(union)
    }
}
