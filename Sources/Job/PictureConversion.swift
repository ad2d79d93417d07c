import Pipeline
import VideoIO

/// The first stage of a chain fed by latest-frame streams: converts each taken frame's deferred picture
/// (`FrameReader` with `deferringConversion`, the picture under `key`) to the RGB24 the stages read, so the frames a
/// stream drops are decoded but never converted. A picture swscale cannot convert becomes black (one frame; the
/// eager reader would have skipped it). Immutable; on its own stage thread.
final class PictureConversion: Stage, Sendable {
    static let key = FeatureKey<PendingPicture>("mrcnn.pending-picture")
    static var plan: StagePlan { StagePlan(name: "convert", stage: PictureConversion()) }

    func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            guard let pending = batch[i].features[Self.key] else { continue }
            batch[i].features[Self.key] = nil
            let image = batch[i].image
            let pixels = pending.rgb() ?? [UInt8](repeating: 0, count: image.width * image.height * 3)
            batch[i].image = RGBImage(width: image.width, height: image.height, pixels: pixels)
        }
    }
}
