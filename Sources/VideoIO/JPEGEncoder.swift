import CFFmpeg
import Foundation

/// Encodes RGB24 frames as baseline JPEG with FFmpeg's mjpeg encoder (full-range YUV 4:2:0), e.g. for an
/// MJPEG preview stream; keeps its encoder between frames of one size. Use from one thread at a time.
public final class JPEGEncoder: @unchecked Sendable {
    /// mjpeg's quantiser scale, 2 (best) … 31 (smallest).
    public let quality: Int32
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var size: (width: Int, height: Int) = (0, 0)
    /// Increasing timestamps: the encoder refuses a frame whose pts does not follow the previous one's.
    private var nextPTS: Int64 = 0

    public init(quality: Int = 5) {
        _ = FFmpeg.setUp
        self.quality = Int32(min(31, max(2, quality)))
    }

    deinit { release() }

    /// The JPEG file bytes of one width×height RGB24 picture (odd sizes are fine).
    public func encode(rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        guard width > 0, height > 0, rgb.count == width * height * 3 else {
            throw VideoIOError.invalidFrame(path: "jpeg", reason: "expected \(max(0, width * height * 3)) RGB bytes (\(width)x\(height)), got \(rgb.count)")
        }
        if size != (width, height) || context == nil { try open(width: width, height: height) }
        guard let context, let frame, let packet, let scaler else {
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "opening the mjpeg encoder", reason: "not ready")
        }
        let writable = av_frame_make_writable(frame)
        guard writable >= 0 else { throw VideoIOError.ffmpeg(path: "jpeg", operation: "preparing a frame", reason: FFmpeg.message(writable)) }
        let rows = rgb.withUnsafeBufferPointer {
            mrcnn_sws_from_packed(scaler, $0.baseAddress, Int32(width * 3), Int32(height), frame)
        }
        guard rows > 0 else { throw VideoIOError.ffmpeg(path: "jpeg", operation: "converting RGB to YUV", reason: "swscale failed") }
        frame.pointee.pts = nextPTS
        nextPTS += 1
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else { throw VideoIOError.ffmpeg(path: "jpeg", operation: "encoding JPEG", reason: FFmpeg.message(sent)) }
        let received = avcodec_receive_packet(context, packet)
        guard received >= 0, let data = packet.pointee.data else {
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "encoding JPEG", reason: FFmpeg.message(received))
        }
        defer { av_packet_unref(packet) }
        return Array(UnsafeBufferPointer(start: data, count: Int(packet.pointee.size)))
    }

    private func open(width: Int, height: Int) throws {
        release()
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw VideoIOError.codecUnavailable(path: "jpeg", codec: "mjpeg")
        }
        context = avcodec_alloc_context3(codec)
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        guard let context, let frame else {
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "allocating the mjpeg encoder", reason: "out of memory")
        }
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = FF_QP2LAMBDA * quality
        context.pointee.qmin = quality
        context.pointee.qmax = quality
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else {
            release()
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "opening the mjpeg encoder", reason: FFmpeg.message(opened))
        }
        frame.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        let allocated = av_frame_get_buffer(frame, 0)
        guard allocated >= 0 else {
            release()
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "allocating a frame", reason: FFmpeg.message(allocated))
        }
        scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                AV_PIX_FMT_YUVJ420P, SWS_BILINEAR | SWS_ACCURATE_RND, nil, nil, nil)
        guard let scaler else {
            release()
            throw VideoIOError.ffmpeg(path: "jpeg", operation: "creating the RGB to YUV converter", reason: "swscale failed")
        }
        _ = mrcnn_sws_set_destination_colorspace(scaler, Int32(bitPattern: AVCOL_SPC_BT470BG.rawValue), 1)
        size = (width, height)
        nextPTS = 0
    }

    private func release() {
        if context != nil { avcodec_free_context(&context) }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        sws_freeContext(scaler)
        scaler = nil
        size = (0, 0)
    }
}
