import CFFmpeg
import Foundation

/// How a still is read: whether its EXIF orientation is applied and whether a file cut short is accepted.
public struct StillImageOptions: Sendable, Equatable {
    /// Turn the picture upright per its EXIF orientation (PIL's `exif_transpose`, as detectron2 and OpenCV read
    /// photos); false keeps the stored pixels, as PIL's `Image.open` alone gives them (raw-pixel parity).
    public var applyOrientation: Bool
    /// Accept a JPEG that ends before its picture (the rest grey, as PIL's `LOAD_TRUNCATED_IMAGES`) instead of
    /// refusing it.
    public var acceptTruncated: Bool

    public init(applyOrientation: Bool = true, acceptTruncated: Bool = false) {
        self.applyOrientation = applyOrientation
        self.acceptTruncated = acceptTruncated
    }
}

/// Reads one still image (PNG, JPEG, BMP, ...) as packed RGB24 (JPEG through libjpeg-turbo, the rest through FFmpeg), and writes RGB24 as PNG;
/// stateless, callable from any thread.
public enum ImageFile {
    /// The first picture of the file as width*height*3 RGB bytes (alpha dropped, not blended), upright per its EXIF
    /// orientation unless `options` say otherwise. JPEG files are decoded with libjpeg-turbo as PIL decodes them
    /// (the pixels torchvision's users feed); a JPEG cut short is `VideoIOError.truncatedImage`, or under
    /// `options.acceptTruncated` read with its missing rows grey and one line said to `warn`.
    public static func read(path: String, options: StillImageOptions = StillImageOptions(),
                            warn: (String) -> Void = { _ in }) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        var truncated = false
        defer { if truncated { warn("\(path): image file is truncated; read with its missing part grey") } }
        let head = FileHandle(forReadingAtPath: path).flatMap { h in defer { try? h.close() }; return try? h.read(upToCount: 3) }
        guard let head, JPEGDecoder.isJPEG(head) else { return try readWithFFmpeg(path: path) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let stored = try JPEGDecoder.decode(bytes, path: path, acceptTruncated: options.acceptTruncated,
                                                truncated: &truncated) ?? readWithFFmpeg(path: path)
        guard options.applyOrientation, let orientation = ExifOrientation.of(jpeg: bytes) else { return stored }
        return orientation.upright(width: stored.width, height: stored.height, rgb: stored.rgb)
    }

    /// The first frame FFmpeg decodes from the file.
    static func readWithFFmpeg(path: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        let source = try VideoSource(url: path)
        defer { source.close() }
        let frame: DecodedFrame?
        do {
            frame = try source.nextFrame()
        } catch VideoIOError.truncated {
            throw VideoIOError.noImage(path: path)
        }
        guard let frame else { throw VideoIOError.noImage(path: path) }
        return (frame.width, frame.height, frame.rgb)
    }

    /// Writes width*height*3 RGB24 bytes as an 8-bit RGB PNG file.
    public static func writePNG(path: String, width: Int, height: Int, rgb: [UInt8]) throws {
        _ = FFmpeg.setUp
        guard width > 0, height > 0, rgb.count == width * height * 3 else {
            throw VideoIOError.invalidFrame(path: path, reason: "expected \(max(0, width * height * 3)) RGB bytes (\(width)x\(height)), got \(rgb.count)")
        }
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw VideoIOError.codecUnavailable(path: path, codec: "png")
        }
        var context = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer {
            avcodec_free_context(&context)
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let context, let frame, let packet else {
            throw VideoIOError.ffmpeg(path: path, operation: "allocating the PNG encoder", reason: "out of memory")
        }
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_RGB24
        context.pointee.time_base = AVRational(num: 1, den: 1)
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "opening the PNG encoder", reason: FFmpeg.message(opened)) }
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        let allocated = av_frame_get_buffer(frame, 0)
        guard allocated >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "allocating a frame", reason: FFmpeg.message(allocated)) }
        guard let plane = mrcnn_frame_data(frame, 0) else {
            throw VideoIOError.ffmpeg(path: path, operation: "allocating a frame", reason: "no data plane")
        }
        let stride = Int(mrcnn_frame_linesize(frame, 0)), rowBytes = width * 3
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<height {
                (plane + y * stride).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
            }
        }
        frame.pointee.pts = 0
        var sent = avcodec_send_frame(context, frame)
        if sent >= 0 { sent = avcodec_send_frame(context, nil) }
        guard sent >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "encoding PNG", reason: FFmpeg.message(sent)) }
        let received = avcodec_receive_packet(context, packet)
        guard received >= 0, let data = packet.pointee.data else {
            throw VideoIOError.ffmpeg(path: path, operation: "encoding PNG", reason: FFmpeg.message(received))
        }
        let bytes = Data(bytes: data, count: Int(packet.pointee.size))
        do {
            try bytes.write(to: URL(fileURLWithPath: path))
        } catch {
            throw VideoIOError.cannotCreateOutput(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}
