import CFFmpeg
import Foundation

/// Encodes RGB24 frames as H.264 (libx264, yuv420p) in MP4 with +faststart at the given timestamps, copying
/// the audio stream of `audioFrom` (no re-encode) when it has one; use from one thread at a time.
///
/// - The encoder time base is the source stream's (`timeBaseNum/timeBaseDen`) and every frame keeps the pts it
///   is given, so variable frame rate survives. Timestamps must increase; a repeated or smaller pts is bumped
///   to previous + 1. Like `ffmpeg`, the output starts at 0: video and audio are shifted by the same amount
///   (the earlier of the first frame's pts and the audio stream's start), so an input starting at 0 keeps its
///   pts exactly and one starting later (e.g. MPEG-TS) keeps every gap and the A/V offset.
/// - yuv420p needs even dimensions: an odd width or height is padded by one pixel (the last column / row is
///   repeated), so the output is `encodedWidth × encodedHeight`.
/// - Audio whose codec MP4 cannot hold (e.g. PCM from a WAV) is left out; `audioSkippedReason` says why.
/// - `finish()` flushes and writes the trailer (safe to call twice). Without it a regular MP4 is unusable, but
///   dropping the sink frees everything.
/// - `fragmented`: crash-safe writing. The file is a fragmented MP4 of the video alone (empty moov, one
///   moof+mdat per frame, flushed per packet, no B-frames so decode order is presentation order): after a kill
///   it plays up to the frames still inside the encoder. `audioFrom` then only sets the time origin; `MP4Join`
///   turns the file (or several resumed segments) into a regular `+faststart` MP4 and copies the audio there.
///   `origin` fixes the output's time 0 (encoder time base) instead of taking it from the first frame, so a
///   resumed segment keeps the first segment's timestamps.
/// - `streams`: live outputs fed from the same encode (`StreamTarget`: RTMP, SRT, HLS), each on its own thread
///   with a bounded queue, so a slow or vanished receiver never blocks `write` (HLS on disk and stdout are waited
///   for instead, as the file is); the encoder then puts a keyframe at
///   least every segment length (2 s by default). `writesFile: false` encodes for the streams alone (`path` then
///   only names the sink in errors).
public final class VideoSink: @unchecked Sendable {
    public let path: String
    public let width: Int
    public let height: Int
    /// Size of the encoded picture (width/height rounded up to even).
    public let encodedWidth: Int
    public let encodedHeight: Int
    /// True when an audio stream is being copied into the output.
    public var hasAudio: Bool { audio != nil }
    /// Why `audioFrom`'s audio was not copied, when it has audio but it could not be used.
    public internal(set) var audioSkippedReason: String?
    /// Frames accepted by `write`.
    public private(set) var framesWritten = 0
    /// When true, `finish()` drops audio that starts after the last frame ends (e.g. when only part of the
    /// input was processed); by default all of the input's audio is copied.
    public var trimAudioToVideo = false
    /// Written as a fragmented MP4 (see above).
    public let fragmented: Bool
    /// The pts (encoder time base) shown at output time 0; known after the first frame or given at init.
    public var origin: Int64? { lastPTS == nil ? fixedOrigin : videoShift }
    private let fixedOrigin: Int64?
    /// Fragmented mode: the audio of `audioFrom`, read only for its start time.
    private var audioProbe: AudioPassthrough?
    /// Live outputs sharing this encode.
    var streams: [StreamOutput] = []
    let streamTargets: [StreamTarget]
    let writesFile: Bool
    /// Each live output and what it has done so far (final figures after `finish()`).
    public var streamStats: [(target: StreamTarget, stats: StreamStats)] { finalStreamStats ?? streams.map { ($0.target, $0.stats) } }
    private var finalStreamStats: [(target: StreamTarget, stats: StreamStats)]?

    // Internal (not private) so the set-up in VideoSink+Setup.swift can fill them.
    var output: UnsafeMutablePointer<AVFormatContext>?
    var encoder: UnsafeMutablePointer<AVCodecContext>?
    var yuv: UnsafeMutablePointer<AVFrame>?
    var packet: UnsafeMutablePointer<AVPacket>?
    var scaler: OpaquePointer?
    var audio: AudioPassthrough?
    var videoStream: UnsafeMutablePointer<AVStream>?
    var audioStream: UnsafeMutablePointer<AVStream>?
    let encoderTimeBase: AVRational
    var headerWritten = false
    private var lastPTS: Int64?
    /// Subtracted from every video pts (encoder time base) and audio timestamp (audio input time base).
    private var videoShift: Int64 = 0
    private var audioShift: Int64 = 0
    private var durations: [Int64: Int64] = [:]
    private var lastDelta: Int64
    private var padded: [UInt8] = []
    private var finished = false

    public init(path: String, width: Int, height: Int, timeBaseNum: Int32, timeBaseDen: Int32, frameRate: Double,
                audioFrom: String?, preset: String = "veryfast", crf: Int = 20, fragmented: Bool = false,
                origin: Int64? = nil, streams: [StreamTarget] = [], writesFile: Bool = true) throws {
        _ = FFmpeg.setUp
        self.path = path
        streamTargets = streams
        self.writesFile = writesFile
        self.fragmented = fragmented
        fixedOrigin = origin
        self.width = width
        self.height = height
        encodedWidth = width + (width & 1)
        encodedHeight = height + (height & 1)
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw VideoIOError.invalidFrame(path: path, reason: "size \(width)x\(height) is not encodable")
        }
        guard timeBaseNum > 0, timeBaseDen > 0 else {
            throw VideoIOError.invalidFrame(path: path, reason: "time base \(timeBaseNum)/\(timeBaseDen) is invalid")
        }
        encoderTimeBase = AVRational(num: timeBaseNum, den: timeBaseDen)
        let rate = frameRate.isFinite && frameRate > 0 ? frameRate : 25
        lastDelta = max(1, Int64((1 / rate / av_q2d(encoderTimeBase)).rounded()))
        do {
            if writesFile { try openOutput() }
            try openEncoder(rate: rate, preset: preset, crf: crf)
            try openStreams()
            if writesFile, let audioFrom {
                if fragmented { audioProbe = try AudioPassthrough(path: audioFrom) } else { try attachAudio(from: audioFrom) }
            }
            try writeHeader()
        } catch {
            // Remove the half-made file, but only if we created it (never a file we failed to open).
            let created = output?.pointee.pb != nil
            release()
            if created { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    deinit { release() }

    /// Encodes one frame of width*height*3 RGB24 bytes shown at `pts` (encoder/source time base).
    public func write(rgb: [UInt8], pts: Int64) throws {
        guard !finished, let encoder, let yuv, let scaler else { throw VideoIOError.sinkFinished(path: path) }
        guard rgb.count == width * height * 3 else {
            throw VideoIOError.invalidFrame(path: path, reason: "expected \(width * height * 3) RGB bytes (\(width)x\(height)), got \(rgb.count)")
        }
        if lastPTS == nil { chooseOrigin(firstPTS: pts) }
        var pts = pts - videoShift
        if let last = lastPTS {
            if pts <= last { pts = last + 1 }
            lastDelta = pts - last
            durations[last] = lastDelta
        }
        lastPTS = pts
        let writable = av_frame_make_writable(yuv)
        guard writable >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "preparing a frame", reason: FFmpeg.message(writable)) }
        let source = encodedWidth == width && encodedHeight == height ? rgb : pad(rgb)
        let rows = source.withUnsafeBufferPointer {
            mrcnn_sws_from_packed(scaler, $0.baseAddress, Int32(encodedWidth * 3), Int32(encodedHeight), yuv)
        }
        guard rows > 0 else { throw VideoIOError.ffmpeg(path: path, operation: "converting RGB to YUV", reason: "swscale failed") }
        yuv.pointee.pts = pts
        let sent = avcodec_send_frame(encoder, yuv)
        guard sent >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "encoding a frame", reason: FFmpeg.message(sent)) }
        framesWritten += 1
        try drainEncoder()
    }

    /// Flushes the encoder, copies the remaining audio and writes the MP4 trailer (moov moved to the front).
    /// Calling it again does nothing.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        defer { release() }
        guard let encoder else { return }
        let flushed = avcodec_send_frame(encoder, nil)
        guard flushed >= 0 || flushed == FFmpeg.eof else {
            throw VideoIOError.ffmpeg(path: path, operation: "flushing the encoder", reason: FFmpeg.message(flushed))
        }
        try drainEncoder()
        // A playlist and a pipe get everything (they set the pace); a receiver on the network gets 2 s to catch up.
        finalStreamStats = streams.map { ($0.target, $0.finish(drain: $0.target.paced ? 2 : 60)) }
        if trimAudioToVideo, let last = lastPTS, let videoStream {
            let end = av_rescale_q(last + lastDelta, encoderTimeBase, videoStream.pointee.time_base)
            try writeAudio(until: (end - 1, videoStream.pointee.time_base))
        } else {
            try writeAudio(until: nil)
        }
        guard let output, headerWritten else { return }
        let trailer = av_write_trailer(output)
        guard trailer >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "writing the MP4 trailer", reason: FFmpeg.message(trailer)) }
    }

    /// Copies width×height RGB into the even-sized buffer, repeating the last column and row.
    private func pad(_ rgb: [UInt8]) -> [UInt8] {
        let inStride = width * 3, outStride = encodedWidth * 3
        if padded.count != outStride * encodedHeight { padded = [UInt8](repeating: 0, count: outStride * encodedHeight) }
        padded.withUnsafeMutableBufferPointer { out in
            rgb.withUnsafeBufferPointer { src in
                for y in 0..<encodedHeight {
                    let sy = min(y, height - 1)
                    let dst = out.baseAddress! + y * outStride
                    dst.update(from: src.baseAddress! + sy * inStride, count: inStride)
                    if encodedWidth != width {
                        dst[inStride] = dst[inStride - 3]
                        dst[inStride + 1] = dst[inStride - 2]
                        dst[inStride + 2] = dst[inStride - 1]
                    }
                }
            }
        }
        return padded
    }

    /// Moves every ready packet from the encoder to the muxer, interleaving audio up to each packet's time.
    private func drainEncoder() throws {
        guard let encoder, let packet else { return }
        while true {
            let received = avcodec_receive_packet(encoder, packet)
            if received == FFmpeg.eagain || received == FFmpeg.eof { return }
            guard received >= 0 else {
                throw VideoIOError.ffmpeg(path: path, operation: "encoding", reason: FFmpeg.message(received))
            }
            if packet.pointee.pts != FFmpeg.noPTS {
                packet.pointee.duration = durations.removeValue(forKey: packet.pointee.pts) ?? lastDelta
            }
            for stream in streams { stream.send(packet) }
            guard let output, let videoStream else {
                av_packet_unref(packet)
                continue
            }
            av_packet_rescale_ts(packet, encoderTimeBase, videoStream.pointee.time_base)
            packet.pointee.stream_index = videoStream.pointee.index
            let dts = packet.pointee.dts != FFmpeg.noPTS ? packet.pointee.dts : packet.pointee.pts
            if dts != FFmpeg.noPTS { try writeAudio(until: (dts, videoStream.pointee.time_base)) }
            let written = av_interleaved_write_frame(output, packet)
            guard written >= 0 else {
                throw VideoIOError.ffmpeg(path: path, operation: "writing video", reason: FFmpeg.message(written))
            }
        }
    }

    /// Sets the shifts that make the output start at 0: the earlier of the first frame and the audio stream's
    /// start (which excludes AAC priming; primed packets keep their negative time and the muxer's edit list hides them).
    private func chooseOrigin(firstPTS: Int64) {
        if let fixedOrigin {
            videoShift = fixedOrigin
            if let audio { audioShift = av_rescale_q(fixedOrigin, encoderTimeBase, audio.timeBase) }
            return
        }
        var origin = (value: firstPTS, base: encoderTimeBase)
        if let audio = audio ?? audioProbe, let start = audio.startTime, av_compare_ts(start, audio.timeBase, origin.value, origin.base) < 0 {
            origin = (start, audio.timeBase)
        }
        videoShift = av_rescale_q(origin.value, origin.base, encoderTimeBase)
        if let audio { audioShift = av_rescale_q(origin.value, origin.base, audio.timeBase) }
    }

    /// Copies audio packets up to (and including) the given output time, or all remaining ones when `until` is nil.
    private func writeAudio(until: (Int64, AVRational)?) throws {
        guard let audio, let audioStream, let output else { return }
        while let next = audio.peek() {
            let ts = next.pointee.dts != FFmpeg.noPTS ? next.pointee.dts : next.pointee.pts
            if let (limit, limitBase) = until, ts != FFmpeg.noPTS,
               av_compare_ts(ts - audioShift, audio.timeBase, limit, limitBase) > 0 { return }
            if next.pointee.pts != FFmpeg.noPTS { next.pointee.pts -= audioShift }
            if next.pointee.dts != FFmpeg.noPTS { next.pointee.dts -= audioShift }
            av_packet_rescale_ts(next, audio.timeBase, audioStream.pointee.time_base)
            next.pointee.stream_index = audioStream.pointee.index
            next.pointee.pos = -1
            let written = av_interleaved_write_frame(output, next)
            audio.consume()
            guard written >= 0 else {
                throw VideoIOError.ffmpeg(path: path, operation: "copying audio", reason: FFmpeg.message(written))
            }
        }
    }

    /// Frees every FFmpeg object; the output file is closed (not finalised). Idempotent.
    private func release() {
        for stream in streams { _ = stream.finish(drain: 0) }
        streams = []
        if let out = output, out.pointee.pb != nil, (out.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            avio_closep(&out.pointee.pb)
        }
        avformat_free_context(output)
        output = nil
        avcodec_free_context(&encoder)
        av_frame_free(&yuv)
        av_packet_free(&packet)
        sws_freeContext(scaler)
        scaler = nil
        audio = nil
        audioProbe = nil
        videoStream = nil
        audioStream = nil
    }
}
