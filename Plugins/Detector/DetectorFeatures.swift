import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// What the detector leaves in `FrameRecord.features` under `key`: the frame's pyramid and its detections, in
/// `instances` order.
public struct DetectorFeatures: Sendable {
    public let image: ImageFeatures
    public let detections: [Detection]

    /// The typed key of this payload.
    public static let key = FeatureKey<DetectorFeatures>("maskrcnn")
}
