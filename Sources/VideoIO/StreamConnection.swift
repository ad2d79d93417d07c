import CFFmpeg
import Foundation

/// The thread of one `StreamOutput`: opens the muxer and protocol (retrying with backoff while the receiver is
/// away), starts every connection at a keyframe with timestamps from 0, paces packets to their timestamps, and
/// writes the trailer at the end. Confined to its thread.
final class StreamConnection {
    let output: StreamOutput
    var target: StreamTarget { output.target }
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var backoff = 0.5
    private var connectedBefore = false
    /// Per connection: the first packet's dts (encoder time base) and when it left (wall clock).
    private var origin: (dts: Int64, wall: Double)?
    private var waitingForKeyframe = true

    init(output: StreamOutput) { self.output = output }

    func run() {
        defer {
            close(writeTrailer: true)
            output.markFinished()
        }
        while true {
            if context == nil {
                if output.isStopping { return }
                do {
                    try open()
                } catch {
                    close(writeTrailer: false)
                    output.update { $0.lastError = "\(error)"; $0.connected = false; $0.failed = !target.reconnects }
                    guard target.reconnects else { return }
                    wait(seconds: backoff)
                    output.dropQueued()
                    backoff = min(backoff * 2, 8)
                    continue
                }
                output.update { s in
                    if connectedBefore { s.reconnects += 1 }
                    s.connected = true
                    s.lastError = nil
                }
                connectedBefore = true
                backoff = target.kind == .srt ? 0.1 : 0.5
                waitingForKeyframe = true
                origin = nil
            }
            let (next, stop) = output.next(timeout: 0.1)
            guard let packet = next else {
                if stop { return }
                continue
            }
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            defer { av_packet_free(&owned) }
            if waitingForKeyframe && (packet.pointee.flags & AV_PKT_FLAG_KEY) == 0 {
                output.update { $0.dropped += 1 }
                continue
            }
            waitingForKeyframe = false
            if !write(packet) && !target.reconnects {
                output.update { $0.failed = true }
                output.dropQueued()
                return
            }
        }
    }

    /// Paces and writes one packet; on failure closes the connection (so the loop reconnects) and returns false.
    private func write(_ packet: UnsafeMutablePointer<AVPacket>) -> Bool {
        guard let context, let stream else { return false }
        let tb = output.packetTimeBase
        let dts = packet.pointee.dts != FFmpeg.noPTS ? packet.pointee.dts : packet.pointee.pts
        let now = Date().timeIntervalSinceReferenceDate
        if origin == nil { origin = (dts, now) }
        let due = origin!.wall + Double(dts - origin!.dts) * av_q2d(tb)
        if target.paced, due > now, !output.isStopping {
            Thread.sleep(forTimeInterval: min(due - now, 1))
        } else if target.paced, now - due > 1 {
            origin!.wall += now - due          // fell behind (slow model): pace from here on
        }
        if packet.pointee.pts != FFmpeg.noPTS { packet.pointee.pts -= origin!.dts }
        if packet.pointee.dts != FFmpeg.noPTS { packet.pointee.dts -= origin!.dts }
        av_packet_rescale_ts(packet, tb, stream.pointee.time_base)
        packet.pointee.stream_index = stream.pointee.index
        let written = av_write_frame(context, packet)
        if written < 0 {
            output.update { $0.lastError = FFmpeg.message(written); $0.connected = false; $0.dropped += 1 }
            close(writeTrailer: false)
            if target.reconnects { wait(seconds: backoff) }
            return false
        }
        output.update { $0.sent += 1 }
        return true
    }

    private func open() throws {
        let url = target.muxerURL
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        let allocated = avformat_alloc_output_context2(&ctx, nil, target.formatName, url)
        guard allocated >= 0, let ctx else { throw VideoIOError.cannotCreateOutput(path: url, reason: FFmpeg.message(allocated)) }
        context = ctx
        ctx.pointee.interrupt_callback = AVIOInterruptCB(callback: readInterruptCallback,
                                                         opaque: Unmanaged.passUnretained(output.interruption).toOpaque())
        guard let s = avformat_new_stream(ctx, nil) else {
            throw VideoIOError.ffmpeg(path: url, operation: "adding the video stream", reason: "out of memory")
        }
        avcodec_parameters_copy(s.pointee.codecpar, output.codecParameters)
        s.pointee.codecpar.pointee.codec_tag = 0
        s.pointee.time_base = output.packetTimeBase
        s.pointee.avg_frame_rate = output.packetFrameRate
        stream = s
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        switch target.kind {
        case .rtmp: av_dict_set(&options, "rw_timeout", "5000000", 0)
        case .srt:
            av_dict_set(&options, "listen_timeout", "1000000", 0)
            av_dict_set(&options, "timeout", "5000000", 0)
        case .hls, .stdout: break
        }
        if (ctx.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            let opened = avio_open2(&ctx.pointee.pb, url, AVIO_FLAG_WRITE, &ctx.pointee.interrupt_callback, &options)
            guard opened >= 0 else { throw VideoIOError.cannotCreateOutput(path: url, reason: FFmpeg.message(opened)) }
        }
        var header: OpaquePointer?
        defer { av_dict_free(&header) }
        switch target.kind {
        case .rtmp: av_dict_set(&header, "flvflags", "no_duration_filesize", 0)
        case .srt: break
        case .stdout: av_dict_set(&header, "flush_packets", "1", 0)
        case .hls:
            av_dict_set(&header, "hls_time", String(target.segmentSeconds), 0)
            av_dict_set(&header, "hls_list_size", String(target.playlistSize), 0)
            av_dict_set(&header, "hls_flags", "delete_segments+independent_segments", 0)
        }
        let written = avformat_write_header(ctx, &header)
        guard written >= 0 else { throw VideoIOError.cannotCreateOutput(path: url, reason: FFmpeg.message(written)) }
    }

    private func close(writeTrailer: Bool) {
        guard let ctx = context else { return }
        if writeTrailer { _ = av_write_trailer(ctx) }
        if ctx.pointee.pb != nil, (ctx.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 { avio_closep(&ctx.pointee.pb) }
        avformat_free_context(ctx)
        context = nil
        stream = nil
    }

    /// Sleeps `seconds`, or less once the output is stopping.
    private func wait(seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until, !output.isStopping { Thread.sleep(forTimeInterval: 0.02) }
    }
}
