import Foundation
import Pipeline
import Results
import Testing

/// `mrcnn compare`'s figures: reference detections ≥ the cut matched greedily by score to the best same-category box
/// of the same image, found at IoU ≥ 0.9; mask IoU on the RLE runs, worst score difference, visible keypoints within
/// 1 px — as the accuracy tests and tools/reference/compare_results.py compute them.
@Suite struct ResultsComparisonTests {
    /// A 4×4 RLE whose foreground is pixels `first..<end` (column-major).
    static func mask(_ first: Int, _ end: Int) -> (size: [Int], counts: String) {
        ([4, 4], COCORLE.compress([first, end - first, 16 - end]))
    }

    static func result(_ image: Int, _ category: Int, _ box: [Float], _ score: Float, mask: (size: [Int], counts: String)? = nil,
                       keypoints: [Float]? = nil) -> COCOResult {
        var r = COCOResult(imageID: image, categoryID: category, bbox: box, score: score, segmentation: mask)
        r.keypoints = keypoints
        return r
    }

    @Test func figures() {
        let reference = [
            Self.result(1, 1, [0, 0, 10, 10], 0.9, mask: Self.mask(2, 8), keypoints: [1, 1, 2, 5, 5, 2, 9, 9, 1]),
            Self.result(1, 3, [20, 20, 10, 10], 0.8, mask: Self.mask(0, 4)),
            Self.result(1, 1, [40, 40, 10, 10], 0.7),
            Self.result(1, 1, [60, 60, 10, 10], 0.3),          // below the cut
            Self.result(2, 1, [0, 0, 10, 10], 0.6)]            // an image the other file lacks
        let other = [
            Self.result(1, 1, [0, 0, 10, 10.5], 0.85, mask: Self.mask(4, 10), keypoints: [1.5, 1.5, 2, 7, 5, 2, 0, 0, 1]),
            Self.result(1, 3, [20, 20, 10, 10], 0.78, mask: Self.mask(0, 4)),
            Self.result(1, 2, [40, 40, 10, 10], 0.7),          // another category: not found
            Self.result(1, 1, [45, 40, 10, 10], 0.7)]          // IoU 1/3: not found
        let c = ResultsComparison.compare(reference: reference, other: other)
        #expect(c.wanted == 4 && c.found == 2 && c.imagesMissing == 1)
        #expect(c.maskIoUs == [0.5, 1.0] && c.medianMaskIoU == 1.0)   // {2…7} ∩ {4…9} = 4 of 8 pixels
        #expect(abs(c.worstScoreDelta - 0.05) < 1e-6)
        #expect(c.visibleKeypoints == 2 && c.keypointsWithin1px == 1)  // 0.71 px in, 2 px out; v = 1 not counted
        let line = c.line()
        #expect(line.hasPrefix("found 2 of 4 (50.0 %) at box IoU ≥ 0.9; median mask IoU 1.0000; worst score difference 0.0500"), "\(line)")
        #expect(line.contains("visible keypoints within 1 px 50.0 % (1 of 2)") && line.contains("1 image with no detection in the second file"))
        #expect(!line.contains("\n"))
    }

    @Test("greedy by reference score: the higher-scoring detection takes the better box")
    func greedy() {
        let reference = [Self.result(1, 1, [0, 0, 10, 10], 0.6), Self.result(1, 1, [0, 0, 10, 10.2], 0.9)]
        let other = [Self.result(1, 1, [0, 0, 10, 10.2], 0.9)]
        let c = ResultsComparison.compare(reference: reference, other: other)
        #expect(c.found == 1 && c.worstScoreDelta == 0, "the 0.9 reference detection matched first")
        #expect(ResultsComparison.compare(reference: reference, other: reference).line()
                    == "found 2 of 2 (100.0 %) at box IoU ≥ 0.9; worst score difference 0.0000")
    }

    @Test func masks() {
        #expect(ResultsComparison.maskIoU(Self.mask(0, 0), Self.mask(0, 0)) == 1)
        #expect(ResultsComparison.maskIoU(Self.mask(0, 16), Self.mask(8, 16)) == 0.5)
        #expect(ResultsComparison.maskIoU(Self.mask(0, 4), ([2, 8], COCORLE.compress([0, 4, 12]))) == nil)
    }
}
