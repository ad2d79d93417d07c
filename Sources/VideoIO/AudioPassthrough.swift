import CFFmpeg

/// Reads the first audio stream of a file packet by packet, for copying into a sink without re-encoding;
/// owned by one sink, used from its thread.
final class AudioPassthrough {
    let path: String
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var pending: UnsafeMutablePointer<AVPacket>?
    private var hasPending = false
    private var exhausted = false
    let streamIndex: Int32
    /// The input stream's codec parameters and time base.
    let parameters: UnsafeMutablePointer<AVCodecParameters>
    let timeBase: AVRational
    /// The stream's start (after encoder priming, as the demuxer reports it), in `timeBase`; nil when unknown.
    let startTime: Int64?

    /// nil when the file has no audio stream; throws when it cannot be opened at all.
    init?(path: String) throws {
        self.path = path
        var fmt: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&fmt, path, nil, nil)
        guard opened >= 0, let fmt else { throw VideoIOError.cannotOpen(path: path, reason: FFmpeg.message(opened)) }
        format = fmt
        let found = avformat_find_stream_info(fmt, nil)
        let index = found >= 0 ? av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0) : -1
        guard index >= 0, let stream = fmt.pointee.streams[Int(index)], let params = stream.pointee.codecpar,
              let packet = av_packet_alloc() else {
            avformat_close_input(&format)
            return nil
        }
        pending = packet
        streamIndex = index
        parameters = params
        timeBase = stream.pointee.time_base
        startTime = stream.pointee.start_time != FFmpeg.noPTS ? stream.pointee.start_time : nil
    }

    deinit {
        av_packet_free(&pending)
        avformat_close_input(&format)
    }

    /// Name of the audio codec, e.g. "aac".
    var codecName: String { String(cString: avcodec_get_name(parameters.pointee.codec_id)) }

    /// The next audio packet without consuming it (in the input time base), or nil at the end.
    func peek() -> UnsafeMutablePointer<AVPacket>? {
        if hasPending { return pending }
        guard !exhausted, let format, let pending else { return nil }
        var errors = 0
        while true {
            let read = av_read_frame(format, pending)
            if read == FFmpeg.eagain { continue }
            if read < 0 {
                // End of file, or a damaged tail: stop copying audio (the video is what matters).
                errors += 1
                if read == FFmpeg.eof || errors > 100 || (format.pointee.pb != nil && format.pointee.pb.pointee.eof_reached != 0) {
                    exhausted = true
                    return nil
                }
                continue
            }
            if pending.pointee.stream_index == streamIndex {
                hasPending = true
                return pending
            }
            av_packet_unref(pending)
        }
    }

    /// Marks the peeked packet as consumed (the caller has moved or unreferenced its data).
    func consume() {
        if let pending { av_packet_unref(pending) }
        hasPending = false
    }
}
