import CFFmpeg
import Foundation

/// Remuxes (no re-encode) the video of one or more MP4 segments written by fragmented `VideoSink`s into one
/// regular `+faststart` MP4: the first `frames` video packets of each segment in order (segments of one run share
/// codec parameters and, through `VideoSink`'s `origin`, timestamps), with the audio of the original input copied
/// as `VideoSink` copies it (same origin shift, interleaved, optionally cut at the video's end). Any thread.
public enum MP4Join {
    /// One input: a file and how many of its video frames to take (nil = all).
    public struct Segment: Sendable, Equatable {
        public let path: String
        public let frames: Int?
        public init(path: String, frames: Int? = nil) {
            self.path = path
            self.frames = frames
        }
    }

    /// The audio to copy: the first audio stream of `path`, shifted so that `origin` (a pts in the time base
    /// `timeBase`, the sink's encoder time base) is time 0; `trimToVideo` drops audio after the last frame.
    public struct Audio: Sendable, Equatable {
        public let path: String
        public let origin: Int64
        public let timeBase: (num: Int32, den: Int32)
        public let trimToVideo: Bool
        public init(path: String, origin: Int64, timeBase: (num: Int32, den: Int32), trimToVideo: Bool) {
            self.path = path
            self.origin = origin
            self.timeBase = timeBase
            self.trimToVideo = trimToVideo
        }
        public static func == (a: Audio, b: Audio) -> Bool {
            a.path == b.path && a.origin == b.origin && a.timeBase == b.timeBase && a.trimToVideo == b.trimToVideo
        }
    }

    /// The pts of every video packet of `path`, in file order (stream time base), and that time base.
    public static func videoTimestamps(path: String) throws -> (pts: [Int64], timeBase: (num: Int32, den: Int32)) {
        let input = try Input(path: path)
        defer { input.close() }
        guard let video = input.videoIndex else { throw VideoIOError.noVideoStream(path: path) }
        var pts: [Int64] = []
        try input.forEachPacket { packet in
            if packet.pointee.stream_index == video { pts.append(packet.pointee.pts) }
            return true
        }
        let tb = input.context.pointee.streams[Int(video)]!.pointee.time_base
        return (pts, (tb.num, tb.den))
    }

    /// Writes `output` (through a temporary file renamed at the end, so `output` may be one of the segments).
    public static func join(_ segments: [Segment], audio: Audio? = nil, into output: String) throws {
        guard let first = segments.first else { return }
        _ = FFmpeg.setUp
        let temporary = output + ".mrcnn-join.mp4"
        let head = try Input(path: first.path)
        defer { head.close() }
        guard let headVideo = head.videoIndex else { throw VideoIOError.noVideoStream(path: first.path) }
        var context: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&context, nil, "mp4", temporary) >= 0, let out = context else {
            throw VideoIOError.cannotCreateOutput(path: output, reason: "no MP4 muxer")
        }
        defer {
            if out.pointee.pb != nil { avio_closep(&out.pointee.pb) }
            avformat_free_context(out)
        }
        let source = head.context.pointee.streams[Int(headVideo)]!
        guard let video = avformat_new_stream(out, nil),
              avcodec_parameters_copy(video.pointee.codecpar, source.pointee.codecpar) >= 0 else {
            throw VideoIOError.ffmpeg(path: output, operation: "copying stream parameters", reason: "out of memory")
        }
        video.pointee.codecpar.pointee.codec_tag = 0
        video.pointee.time_base = source.pointee.time_base
        video.pointee.avg_frame_rate = source.pointee.avg_frame_rate
        var sound: (passthrough: AudioPassthrough, stream: UnsafeMutablePointer<AVStream>, shift: Int64)?
        if let audio, let passthrough = try AudioPassthrough(path: audio.path),
           avformat_query_codec(out.pointee.oformat, passthrough.parameters.pointee.codec_id, FF_COMPLIANCE_NORMAL) != 0,
           let stream = avformat_new_stream(out, nil), avcodec_parameters_copy(stream.pointee.codecpar, passthrough.parameters) >= 0 {
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = passthrough.timeBase
            let base = AVRational(num: audio.timeBase.num, den: audio.timeBase.den)
            sound = (passthrough, stream, av_rescale_q(audio.origin, base, passthrough.timeBase))
        }
        let opened = avio_open(&out.pointee.pb, temporary, AVIO_FLAG_WRITE)
        guard opened >= 0 else { throw VideoIOError.cannotCreateOutput(path: output, reason: FFmpeg.message(opened)) }
        var options: OpaquePointer?
        av_dict_set(&options, "movflags", "+faststart", 0)
        let header = avformat_write_header(out, &options)
        av_dict_free(&options)
        guard header >= 0 else { throw VideoIOError.ffmpeg(path: output, operation: "writing the MP4 header", reason: FFmpeg.message(header)) }

        /// Copies audio packets up to (and including) `limit` in the output video time base; all when nil.
        func writeAudio(until limit: Int64?) throws {
            guard let (audio, stream, shift) = sound else { return }
            while let next = audio.peek() {
                let ts = next.pointee.dts != FFmpeg.noPTS ? next.pointee.dts : next.pointee.pts
                if let limit, ts != FFmpeg.noPTS, av_compare_ts(ts - shift, audio.timeBase, limit, video.pointee.time_base) > 0 { return }
                if next.pointee.pts != FFmpeg.noPTS { next.pointee.pts -= shift }
                if next.pointee.dts != FFmpeg.noPTS { next.pointee.dts -= shift }
                av_packet_rescale_ts(next, audio.timeBase, stream.pointee.time_base)
                next.pointee.stream_index = stream.pointee.index
                next.pointee.pos = -1
                let written = av_interleaved_write_frame(out, next)
                audio.consume()
                guard written >= 0 else { throw VideoIOError.ffmpeg(path: output, operation: "copying audio", reason: FFmpeg.message(written)) }
            }
        }

        var lastDTS: Int64?
        var videoEnd: Int64 = 0
        var lastPTS: Int64?
        var frameDuration: Int64 = 1
        for segment in segments {
            // A later segment whose timestamps start over (a fragmented file read without its fragments' decode
            // times) is moved to follow the previous one frame-exactly; one that continues them is left as it is.
            var shift: Int64?
            let input = segment.path == first.path ? head : try Input(path: segment.path)
            defer { if input !== head { input.close() } }
            guard let index = input.videoIndex else { throw VideoIOError.noVideoStream(path: segment.path) }
            let inBase = input.context.pointee.streams[Int(index)]!.pointee.time_base
            var left = segment.frames ?? Int.max
            try input.forEachPacket { packet in
                guard packet.pointee.stream_index == index else { return true }
                guard left > 0 else { return false }
                left -= 1
                av_packet_rescale_ts(packet, inBase, video.pointee.time_base)
                if shift == nil {
                    let start = packet.pointee.dts != FFmpeg.noPTS ? packet.pointee.dts : packet.pointee.pts
                    if let lastPTS, start != FFmpeg.noPTS, start <= lastPTS { shift = lastPTS + frameDuration - start } else { shift = 0 }
                }
                if let shift, shift != 0 {
                    if packet.pointee.pts != FFmpeg.noPTS { packet.pointee.pts += shift }
                    if packet.pointee.dts != FFmpeg.noPTS { packet.pointee.dts += shift }
                }
                if packet.pointee.pts != FFmpeg.noPTS {
                    if let lastPTS, packet.pointee.pts > lastPTS { frameDuration = packet.pointee.pts - lastPTS }
                    if packet.pointee.duration > 0 { frameDuration = packet.pointee.duration }
                    lastPTS = max(lastPTS ?? packet.pointee.pts, packet.pointee.pts)
                }
                let dts = packet.pointee.dts != FFmpeg.noPTS ? packet.pointee.dts : packet.pointee.pts
                if let lastDTS, dts != FFmpeg.noPTS, dts <= lastDTS { return true }
                if dts != FFmpeg.noPTS {
                    lastDTS = dts
                    try writeAudio(until: dts)
                }
                if packet.pointee.pts != FFmpeg.noPTS { videoEnd = max(videoEnd, packet.pointee.pts + max(packet.pointee.duration, 1)) }
                packet.pointee.stream_index = video.pointee.index
                packet.pointee.pos = -1
                let written = av_interleaved_write_frame(out, packet)
                guard written >= 0 else {
                    throw VideoIOError.ffmpeg(path: output, operation: "writing \(segment.path)'s video", reason: FFmpeg.message(written))
                }
                return true
            }
        }
        try writeAudio(until: audio?.trimToVideo == true ? videoEnd - 1 : nil)
        let trailer = av_write_trailer(out)
        guard trailer >= 0 else { throw VideoIOError.ffmpeg(path: output, operation: "writing the MP4 trailer", reason: FFmpeg.message(trailer)) }
        avio_closep(&out.pointee.pb)
        guard rename(temporary, output) == 0 else {
            throw VideoIOError.cannotCreateOutput(path: output, reason: String(cString: strerror(errno)))
        }
    }

    /// An opened input file, read packet by packet.
    private final class Input {
        var context: UnsafeMutablePointer<AVFormatContext>
        let path: String

        init(path: String) throws {
            self.path = path
            _ = FFmpeg.setUp
            var fmt: UnsafeMutablePointer<AVFormatContext>?
            let opened = avformat_open_input(&fmt, path, nil, nil)
            guard opened >= 0, let fmt else { throw VideoIOError.cannotOpen(path: path, reason: FFmpeg.message(opened)) }
            context = fmt
            let found = avformat_find_stream_info(fmt, nil)
            guard found >= 0 else { throw VideoIOError.cannotOpen(path: path, reason: FFmpeg.message(found)) }
        }

        func close() {
            var fmt: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&fmt)
        }

        var videoIndex: Int32? { index(of: AVMEDIA_TYPE_VIDEO) }

        func index(of kind: AVMediaType) -> Int32? {
            let found = av_find_best_stream(context, kind, -1, -1, nil, 0)
            return found >= 0 ? found : nil
        }

        /// Calls `body` with each packet until it returns false or the file ends.
        func forEachPacket(_ body: (UnsafeMutablePointer<AVPacket>) throws -> Bool) throws {
            var owned = av_packet_alloc()
            defer { av_packet_free(&owned) }
            guard let packet = owned else { return }
            while true {
                let read = av_read_frame(context, packet)
                if read < 0 { return }
                defer { av_packet_unref(packet) }
                if try !body(packet) { return }
            }
        }
    }
}
