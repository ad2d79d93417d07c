import CFFmpeg
import Foundation

/// A decoded picture not yet converted to RGB: a reference to the decoder's frame (its planes, YUV as decoded), turned
/// into upright RGB24 — exactly what `DecodedFrame.rgb` holds for an eager read — only when `rgb()` is called. A live
/// stream read at its newest frame decodes every frame (H.264 needs them) but keeps few: deferring the conversion
/// spares the colour conversion of every frame that is dropped. Thread-safe: one source's pictures share a converter
/// under a lock; the frame reference is freed with the picture.
public final class PendingPicture: @unchecked Sendable {
    /// The converter of one source's deferred pictures (swscale contexts are not thread-safe).
    final class Converter: @unchecked Sendable {
        private let lock = NSLock()
        private let converter = RGBConverter()   // used only under `lock`
        func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> [UInt8]? { lock.withLock { converter.convert(frame) } }
    }

    private var frame: UnsafeMutablePointer<AVFrame>?
    private let converter: Converter
    private let rotation: Int

    /// A new reference to `frame` (nil when FFmpeg cannot make one).
    init?(referencing frame: UnsafeMutablePointer<AVFrame>, converter: Converter, rotation: Int) {
        guard let clone = av_frame_clone(frame) else { return nil }
        (self.frame, self.converter, self.rotation) = (clone, converter, rotation)
    }

    deinit { av_frame_free(&frame) }

    /// The picture as width*height*3 bytes of RGB24, upright; nil when swscale cannot convert it.
    public func rgb() -> [UInt8]? {
        guard let frame, let stored = converter.convert(frame) else { return nil }
        return FrameRotation.rotate(stored, width: Int(frame.pointee.width), height: Int(frame.pointee.height), degrees: rotation)
    }
}
