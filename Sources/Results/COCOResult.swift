import Foundation
import JSONText
import Pipeline

/// One entry of a COCO results array (what `cocoeval` loads): image id, category, box [x, y, w, h] in pixels,
/// score, and the mask as compressed RLE; `fileName` and `category` are extras pycocotools ignores.
public struct COCOResult: Sendable, Equatable {
    public var imageID: Int
    public var fileName: String?
    public var categoryID: Int
    /// [x, y, w, h] in image pixels.
    public var bbox: [Float]
    public var score: Float
    /// Image height and width of the RLE, and its compressed counts.
    public var segmentation: (size: [Int], counts: String)?
    /// COCO keypoint results: [x, y, v] × 17 (v 2 visible, 1 not), for person keypoint detections.
    public var keypoints: [Float]?

    public init(imageID: Int, fileName: String? = nil, categoryID: Int, bbox: [Float], score: Float,
                segmentation: (size: [Int], counts: String)? = nil) {
        self.imageID = imageID
        self.fileName = fileName
        self.categoryID = categoryID
        self.bbox = bbox
        self.score = score
        self.segmentation = segmentation
    }

    /// The result for one detected instance of image `imageID` (`height`×`width` pixels); no mask = an empty RLE.
    public init(imageID: Int, fileName: String?, instance: Instance, height: Int, width: Int) {
        let b = instance.box
        self.init(imageID: imageID, fileName: fileName, categoryID: instance.categoryID,
                  bbox: [b.x1, b.y1, ResultsFormat.extent(b.x1, b.x2), ResultsFormat.extent(b.y1, b.y2)],
                  score: instance.score,
                  segmentation: COCORLE.encode(instance.mask, height: height, width: width))
        keypoints = instance.keypoints.map { $0.flatMap { [$0.x, $0.y, $0.visible ? 2 : 1] } }
    }

    public static func == (a: COCOResult, b: COCOResult) -> Bool {
        a.imageID == b.imageID && a.fileName == b.fileName && a.categoryID == b.categoryID && a.bbox == b.bbox
            && a.score == b.score && a.segmentation?.size == b.segmentation?.size
            && a.segmentation?.counts == b.segmentation?.counts && a.keypoints == b.keypoints
    }
}
