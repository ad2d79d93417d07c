import CFFmpeg

/// The swscale flags used for every RGB conversion: exact-ish rather than fast.
///
/// SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT: full-resolution chroma interpolation and correct
/// rounding. The model's parity fixtures come from PNGs (already RGB, no conversion at all); users comparing
/// with `ffmpeg -pix_fmt rgb24` (default flags `bicubic`, fast chroma path) will see differences of a few
/// levels at chroma edges (mean |Δ| ≈ 1.4 on samples/vtest.mp4). This command gives byte-identical output
/// (tested): `ffmpeg -i IN -vf scale=flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24 -f rawvideo OUT`
/// (FFmpeg 5.1's `-sws_flags` option does not reach the auto-inserted converter).
let exactScaleFlags: Int32 = SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT

/// Converts decoded frames of any pixel format (YUV incl. yuvj, gray, RGBA, paletted, ...) to packed RGB24,
/// honouring each frame's YUV matrix and range; owned by one source, used from one thread.
final class RGBConverter {
    private var context: OpaquePointer?
    private var key: (width: Int32, height: Int32, format: Int32, space: Int32, range: Int32)?

    deinit { sws_freeContext(context) }

    /// Returns width*height*3 bytes of RGB24, or nil when swscale cannot convert this frame.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> [UInt8]? {
        let f = frame.pointee
        let width = Int(f.width), height = Int(f.height)
        guard width > 0, height > 0 else { return nil }
        let space = Int32(bitPattern: f.colorspace.rawValue)
        let range = Int32(bitPattern: f.color_range.rawValue)
        if let k = key, k.width == f.width, k.height == f.height, k.format == f.format, k.space == space, k.range == range {
            // Reuse the context.
        } else {
            sws_freeContext(context)
            context = sws_getContext(f.width, f.height, AVPixelFormat(rawValue: f.format), f.width, f.height,
                                     AV_PIX_FMT_RGB24, exactScaleFlags, nil, nil, nil)
            guard let context else { key = nil; return nil }
            if mrcnn_pix_fmt_is_yuv(f.format) != 0 {
                // Same policy as ffmpeg's scale filter: the frame's matrix (unspecified -> BT.601) and its
                // range when tagged (untagged yuvj* formats stay full range, others limited).
                let full: Int32 = f.color_range == AVCOL_RANGE_JPEG ? 1 : (f.color_range == AVCOL_RANGE_MPEG ? 0 : -1)
                _ = mrcnn_sws_set_source_colorspace(context, Int32(bitPattern: f.colorspace.rawValue), full)
            }
            key = (f.width, f.height, f.format, space, range)
        }
        guard let context else { return nil }
        let stride = width * 3
        var ok = true
        let rgb = [UInt8](unsafeUninitializedCapacity: stride * height) { buffer, count in
            let rows = mrcnn_sws_to_packed(context, frame, buffer.baseAddress, Int32(stride))
            ok = rows == f.height
            if !ok { buffer.initialize(repeating: 0) }
            count = stride * height
        }
        return ok ? rgb : nil
    }
}
