/// Box in original-image pixels, x1y1x2y2 (torchvision convention, continuous coordinates).
public struct Box: Sendable, Equatable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    /// Area, zero for degenerate boxes.
    public var area: Float { max(0, width) * max(0, height) }
}

/// Binary mask of one instance: a width×height crop placed at (x, y) in image pixels, bits 0/1 row-major.
public struct InstanceMask: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var bits: [UInt8]

    public init(x: Int, y: Int, width: Int, height: Int, bits: [UInt8]) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.bits = bits
    }

    /// True when image pixel (px, py) is inside the crop and its bit is set.
    public func contains(px: Int, py: Int) -> Bool {
        let cx = px - x, cy = py - y
        guard cx >= 0, cy >= 0, cx < width, cy < height, cy * width + cx < bits.count else { return false }
        return bits[cy * width + cx] != 0
    }
}

/// One COCO keypoint in image pixels with its score (visible = score above the head's threshold).
public struct Keypoint: Sendable, Equatable {
    public var x: Float
    public var y: Float
    public var score: Float
    public var visible: Bool

    public init(x: Float, y: Float, score: Float, visible: Bool) {
        self.x = x
        self.y = y
        self.score = score
        self.visible = visible
    }
}

/// One detected object: COCO category id (torchvision label numbering, 1 = person), score, optional mask/keypoints/track id.
public struct Instance: Sendable {
    public var box: Box
    public var categoryID: Int
    public var score: Float
    public var mask: InstanceMask?
    public var keypoints: [Keypoint]?
    public var trackID: Int?

    public init(box: Box, categoryID: Int, score: Float, mask: InstanceMask? = nil,
                keypoints: [Keypoint]? = nil, trackID: Int? = nil) {
        self.box = box
        self.categoryID = categoryID
        self.score = score
        self.mask = mask
        self.keypoints = keypoints
        self.trackID = trackID
    }
}
