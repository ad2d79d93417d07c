import Detector
import Pipeline
import Testing

/// How keypoint detections join a frame's instances, as a pure function.
@Suite struct KeypointMergeTests {
    func person(_ x: Float, _ score: Float, keypoints: Bool) -> Instance {
        Instance(box: Box(x1: x, y1: 0, x2: x + 10, y2: 20), categoryID: 1, score: score,
                 keypoints: keypoints ? (0..<17).map { Keypoint(x: x + Float($0) * 0.1, y: 1, score: 3, visible: true) } : nil)
    }

    @Test func withoutDetectorTheKeypointPeopleAreTheInstances() {
        let people = [person(0, 0.9, keypoints: true), person(50, 0.8, keypoints: true)]
        let merged = KeypointMerge.merge(people, into: [], hadDetector: false)
        #expect(merged.count == 2)
        #expect(merged.allSatisfy { $0.keypoints?.count == 17 })
    }

    @Test func afterDetectorEachPersonTakesItsBestOverlap() {
        let existing = [person(0, 0.9, keypoints: false), person(100, 0.7, keypoints: false),
                        Instance(box: Box(x1: 0, y1: 0, x2: 10, y2: 20), categoryID: 3, score: 0.9)]
        let people = [person(1, 0.95, keypoints: true), person(300, 0.9, keypoints: true)]
        let merged = KeypointMerge.merge(people, into: existing, hadDetector: true)
        #expect(merged.count == 3)
        #expect(merged[0].keypoints?.first?.x == 1)       // IoU(0…10, 1…11) = 9/11 ≥ 0.5
        #expect(merged[1].keypoints == nil)               // nothing overlaps the person at x = 100
        #expect(merged[2].keypoints == nil)               // cars never take keypoints
    }

    @Test func oneKeypointSetIsNotGivenTwice() {
        let existing = [person(0, 0.9, keypoints: false), person(0.5, 0.8, keypoints: false)]
        let merged = KeypointMerge.merge([person(0, 0.9, keypoints: true)], into: existing, hadDetector: true)
        #expect(merged.filter { $0.keypoints != nil }.count == 1)
    }
}
