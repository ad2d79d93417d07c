import CFFmpeg
import Foundation

/// Opens anything FFmpeg reads (file path or URL) and decodes its best video stream to RGB24 frames in
/// presentation order; use from one thread at a time.
///
/// Damaged packets inside a stream are skipped and counted in `corruptPackets`. When the input ends with read
/// errors (a cut-off file), every decodable frame is delivered first and then `nextFrame()` throws
/// `VideoIOError.truncated` once; output written so far stays valid.
public final class VideoSource: @unchecked Sendable {
    public let url: String
    public let info: VideoInfo
    /// Packets the demuxer or decoder rejected (skipped); 0 for a healthy file.
    public private(set) var corruptPackets = 0
    /// Frames delivered so far.
    public private(set) var framesDecoded = 0

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let converter = RGBConverter()
    private let deferredConverter = PendingPicture.Converter()
    private let streamIndex: Int32
    private let timeBase: AVRational
    private var startPTS: Int64?
    private let defaultDuration: Int64
    private var lastPTS: Int64?
    private var lastDuration: Int64 = 0
    private var draining = false
    private var finished = false
    /// The last thing read was a damaged packet or a read error (no good packet followed).
    private var damagedTail = false
    /// Seconds from the input's start to the end of the latest packet read, of any stream.
    private var readEnd = 0.0
    /// Set (from any thread) to make a blocked open or read return at once.
    public let interruption: ReadInterrupt

    /// Opens `url`. Network inputs fail with an error after `readTimeout` seconds without data; `interruption`
    /// (shared with whoever may need to stop a blocked read, e.g. a signal handler) aborts opening and reading.
    public init(url: String, readTimeout: Double = 15, interruption: ReadInterrupt = ReadInterrupt()) throws {
        _ = FFmpeg.setUp
        self.url = url
        self.interruption = interruption
        try Self.checkLocalFile(url)
        let opened = try Self.open(url, readTimeout: readTimeout, interruption: interruption)
        format = opened.format
        decoder = opened.decoder
        packet = opened.packet
        frame = opened.frame
        streamIndex = opened.streamIndex
        timeBase = opened.timeBase
        info = opened.info
        if opened.startPTS != FFmpeg.noPTS { startPTS = opened.startPTS }
        let rate = info.averageFrameRate
        defaultDuration = rate > 0 ? max(1, Int64((1 / rate / av_q2d(timeBase)).rounded())) : 1
    }

    private struct Opened {
        var format: UnsafeMutablePointer<AVFormatContext>
        var decoder: UnsafeMutablePointer<AVCodecContext>
        var packet: UnsafeMutablePointer<AVPacket>
        var frame: UnsafeMutablePointer<AVFrame>
        var streamIndex: Int32
        var timeBase: AVRational
        var startPTS: Int64
        var info: VideoInfo
    }

    /// Opens the demuxer and the decoder of the best video stream; frees everything it allocated when it throws.
    private static func open(_ url: String, readTimeout: Double, interruption: ReadInterrupt) throws -> Opened {
        var format: UnsafeMutablePointer<AVFormatContext>?
        var decoder: UnsafeMutablePointer<AVCodecContext>?
        var packet: UnsafeMutablePointer<AVPacket>?
        var frame: UnsafeMutablePointer<AVFrame>?
        var ok = false
        defer {
            if !ok {
                avcodec_free_context(&decoder)
                av_frame_free(&frame)
                av_packet_free(&packet)
                avformat_close_input(&format)
            }
        }
        var (inputFormat, options) = inputFormat(for: url, readTimeout: readTimeout)
        format = avformat_alloc_context()
        format?.pointee.interrupt_callback = AVIOInterruptCB(callback: readInterruptCallback,
                                                              opaque: Unmanaged.passUnretained(interruption).toOpaque())
        let openResult = avformat_open_input(&format, url, inputFormat, &options)
        av_dict_free(&options)
        guard openResult >= 0, let fmt = format else { throw VideoIOError.cannotOpen(path: url, reason: FFmpeg.message(openResult)) }
        if let name = fmt.pointee.iformat?.pointee.name, String(cString: name) == "tty" {
            // FFmpeg would render plain text files as ANSI-art "video"; that is never what a user meant.
            throw VideoIOError.cannotOpen(path: url, reason: "text file, not a video")
        }
        let infoResult = avformat_find_stream_info(fmt, nil)
        guard infoResult >= 0 else { throw VideoIOError.cannotOpen(path: url, reason: FFmpeg.message(infoResult)) }

        var codec: UnsafePointer<AVCodec>?
        let best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard best >= 0, let stream = fmt.pointee.streams[Int(best)], let params = stream.pointee.codecpar else {
            if best == AVERROR_DECODER_NOT_FOUND_CODE, let s = firstVideoStream(fmt) {
                throw VideoIOError.codecUnavailable(path: url, codec: String(cString: avcodec_get_name(s.pointee.codecpar.pointee.codec_id)))
            }
            throw VideoIOError.noVideoStream(path: url)
        }
        let codecName = String(cString: avcodec_get_name(params.pointee.codec_id))
        guard let codec else { throw VideoIOError.codecUnavailable(path: url, codec: codecName) }
        decoder = avcodec_alloc_context3(codec)
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard let ctx = decoder, let packet, let frame else {
            throw VideoIOError.ffmpeg(path: url, operation: "allocating the decoder", reason: "out of memory")
        }
        let copy = avcodec_parameters_to_context(ctx, params)
        guard copy >= 0 else { throw VideoIOError.ffmpeg(path: url, operation: "configuring the decoder", reason: FFmpeg.message(copy)) }
        ctx.pointee.pkt_timebase = stream.pointee.time_base
        ctx.pointee.thread_count = 0   // one thread per core (frame + slice threading)
        let opened = avcodec_open2(ctx, codec, nil)
        guard opened >= 0 else {
            throw VideoIOError.ffmpeg(path: url, operation: "opening the \(codecName) decoder", reason: FFmpeg.message(opened))
        }
        let tb = stream.pointee.time_base
        let timeBase = tb.den > 0 && tb.num > 0 ? tb : AVRational(num: 1, den: 90_000)
        let info = describe(fmt, stream: stream, timeBase: timeBase, rate: frameRate(stream), codecName: codecName)
        try FrameLimits.check(width: info.width, height: info.height, path: url)
        ok = true
        return Opened(format: fmt, decoder: ctx, packet: packet, frame: frame, streamIndex: best, timeBase: timeBase,
                      startPTS: stream.pointee.start_time, info: info)
    }

    deinit { close() }

    /// Makes a blocked open or read return at once (thread-safe); the source then ends (nil or an error).
    public func interrupt() { interruption.set() }

    /// Frees the demuxer and decoder; later `nextFrame()` calls return nil. Safe to call more than once.
    public func close() {
        finished = true
        if decoder != nil { avcodec_free_context(&decoder) }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if format != nil { avformat_close_input(&format) }
    }

    /// The next frame in presentation order, or nil at the end of the stream.
    public func nextFrame() throws -> DecodedFrame? { try nextFrame(deferringConversion: false) }

    /// The next frame; with `deferringConversion`, its picture is converted to RGB only when `pending.rgb()` is called.
    public func nextFrame(deferringConversion: Bool) throws -> DecodedFrame? {
        guard !finished, let decoder, let frame, let packet, let format else { return nil }
        var receiveErrors = 0
        while true {
            let received = avcodec_receive_frame(decoder, frame)
            if received >= 0 {
                defer { av_frame_unref(frame) }
                if let decoded = makeFrame(frame, deferred: deferringConversion) { return decoded }
                corruptPackets += 1
                continue
            }
            if received == FFmpeg.eof {
                finished = true
                if damagedTail || endedEarly() { throw VideoIOError.truncated(path: url, framesDecoded: framesDecoded) }
                return nil
            }
            if received != FFmpeg.eagain {
                // A damaged picture: skip it and keep going (bounded, so a broken decoder cannot spin forever).
                corruptPackets += 1
                receiveErrors += 1
                if receiveErrors < 1000 { continue }
                finished = true
                throw VideoIOError.truncated(path: url, framesDecoded: framesDecoded)
            }
            if draining { finished = true; return nil }   // EAGAIN after flush: nothing more will come.
            feed(decoder: decoder, packet: packet, format: format)
        }
    }

    /// Reads packets until one video packet was sent to the decoder (or the input ended and the decoder is flushed).
    private func feed(decoder: UnsafeMutablePointer<AVCodecContext>, packet: UnsafeMutablePointer<AVPacket>,
                      format: UnsafeMutablePointer<AVFormatContext>) {
        var consecutiveErrors = 0
        while true {
            let read = av_read_frame(format, packet)
            if read == FFmpeg.eagain { usleep(2_000); continue }   // live inputs: no data yet
            if read < 0 {
                let atEnd = read == FFmpeg.eof || (format.pointee.pb != nil && format.pointee.pb.pointee.eof_reached != 0)
                if read != FFmpeg.eof { damagedTail = true; corruptPackets += 1; consecutiveErrors += 1 }
                if atEnd || consecutiveErrors >= 100 {
                    draining = true
                    _ = avcodec_send_packet(decoder, nil)
                    return
                }
                continue
            }
            defer { av_packet_unref(packet) }
            noteReadEnd(packet, format: format)
            guard packet.pointee.stream_index == streamIndex else { continue }
            if (packet.pointee.flags & AV_PKT_FLAG_CORRUPT) != 0 {
                // Cut short by the end of the file, or damaged in transit: skip it.
                damagedTail = true
                corruptPackets += 1
                continue
            }
            damagedTail = false
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != FFmpeg.eagain && sent != FFmpeg.eof {
                corruptPackets += 1
                continue
            }
            return
        }
    }

    private func noteReadEnd(_ packet: UnsafeMutablePointer<AVPacket>, format: UnsafeMutablePointer<AVFormatContext>) {
        let p = packet.pointee
        guard p.stream_index >= 0, p.stream_index < format.pointee.nb_streams,
              let stream = format.pointee.streams[Int(p.stream_index)] else { return }
        let ts = p.pts != FFmpeg.noPTS ? p.pts : p.dts
        guard ts != FFmpeg.noPTS else { return }
        let start = format.pointee.start_time == FFmpeg.noPTS ? 0 : Double(format.pointee.start_time) / Double(AV_TIME_BASE)
        readEnd = max(readEnd, Double(ts + max(p.duration, 0)) * av_q2d(stream.pointee.time_base) - start)
    }

    /// True when the input ended well before the length its container declares (a cut-off Matroska file ends
    /// "cleanly" at a cluster boundary, so only its declared duration tells). Bitrate guesses are not declarations.
    private func endedEarly() -> Bool {
        guard let format, format.pointee.duration != FFmpeg.noPTS, format.pointee.duration > 0,
              format.pointee.duration_estimation_method != AVFMT_DURATION_FROM_BITRATE else { return false }
        let declared = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        let frame = info.averageFrameRate > 0 ? 1 / info.averageFrameRate : 0.04
        return readEnd < declared - (0.5 + 2 * frame)
    }

    private func makeFrame(_ frame: UnsafeMutablePointer<AVFrame>, deferred: Bool) -> DecodedFrame? {
        var pts = frame.pointee.best_effort_timestamp
        if pts == FFmpeg.noPTS { pts = frame.pointee.pts }
        if pts == FFmpeg.noPTS {
            // No timestamp: previous frame + its duration.
            pts = lastPTS.map { $0 + max(lastDuration, 1) } ?? 0
        }
        let duration = mrcnn_frame_pkt_duration(frame)
        if duration > 0 {
            lastDuration = duration
        } else if let last = lastPTS, pts > last {
            lastDuration = pts - last
        } else {
            lastDuration = defaultDuration
        }
        lastPTS = pts
        let pending = deferred ? PendingPicture(referencing: frame, converter: deferredConverter, rotation: info.rotation) : nil
        let stored = pending == nil ? converter.convert(frame) : []
        guard let stored else { return nil }
        if startPTS == nil { startPTS = pts }
        let time = Double(pts - (startPTS ?? 0)) * av_q2d(timeBase)
        let index = framesDecoded
        framesDecoded += 1
        // Upright, as a player shows it: the model sees people standing and results are in display coordinates.
        let (w, h) = (Int(frame.pointee.width), Int(frame.pointee.height))
        let size = FrameRotation.rotatedSize(width: w, height: h, degrees: info.rotation)
        let rgb = pending == nil ? FrameRotation.rotate(stored, width: w, height: h, degrees: info.rotation) : []
        return DecodedFrame(index: index, pts: pts, time: time, width: size.width, height: size.height, rgb: rgb, pending: pending)
    }
}
