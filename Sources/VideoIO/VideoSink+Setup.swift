import CFFmpeg
import Foundation

/// Opening the MP4 muxer, the libx264 encoder and the audio copy of a `VideoSink`.
extension VideoSink {
    func openOutput() throws {
        let directory = FilePaths.directory(of: path)
        if !directory.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw VideoIOError.cannotCreateOutput(path: path, reason: "directory \(directory) does not exist")
            }
        }
        var context: UnsafeMutablePointer<AVFormatContext>?
        let allocated = avformat_alloc_output_context2(&context, nil, "mp4", path)
        guard allocated >= 0, let context else {
            throw VideoIOError.cannotCreateOutput(path: path, reason: FFmpeg.message(allocated))
        }
        output = context
        let opened = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
        guard opened >= 0 else { throw VideoIOError.cannotCreateOutput(path: path, reason: FFmpeg.message(opened)) }
    }
}

extension VideoSink {
    /// libx264 at the source time base, yuv420p tagged BT.601 limited range (what the RGB->YUV conversion produces).
    func openEncoder(rate: Double, preset: String, crf: Int) throws {
        guard let codec = avcodec_find_encoder_by_name("libx264") else {
            throw VideoIOError.codecUnavailable(path: path, codec: "libx264")
        }
        encoder = avcodec_alloc_context3(codec)
        packet = av_packet_alloc()
        yuv = av_frame_alloc()
        guard let ctx = encoder, packet != nil, let yuv else {
            throw VideoIOError.ffmpeg(path: path, operation: "allocating the encoder", reason: "out of memory")
        }
        ctx.pointee.width = Int32(encodedWidth)
        ctx.pointee.height = Int32(encodedHeight)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.time_base = encoderTimeBase
        ctx.pointee.framerate = av_d2q(rate, 100_000)
        ctx.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        ctx.pointee.colorspace = AVCOL_SPC_SMPTE170M
        ctx.pointee.color_range = AVCOL_RANGE_MPEG
        ctx.pointee.thread_count = 0
        if fragmented || !streamTargets.isEmpty { ctx.pointee.max_b_frames = 0 }
        // Live outputs: a keyframe at least every segment (players join and HLS cuts there).
        if let segment = streamTargets.map(\.segmentSeconds).min() { ctx.pointee.gop_size = Int32(max(1, (segment * rate).rounded(.down))) }
        // MP4 and FLV carry the SPS/PPS out of band; MPEG-TS muxers (SRT, HLS) put them back before keyframes.
        if let output, (output.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
            ctx.pointee.flags |= mrcnn_codec_flag_global_header()
        }
        if streamTargets.contains(where: { $0.kind == .rtmp }) { ctx.pointee.flags |= mrcnn_codec_flag_global_header() }
        var options: OpaquePointer?
        av_dict_set(&options, "preset", preset, 0)
        av_dict_set(&options, "crf", String(crf), 0)
        let opened = avcodec_open2(ctx, codec, &options)
        av_dict_free(&options)
        guard opened >= 0 else {
            throw VideoIOError.ffmpeg(path: path, operation: "opening libx264 (preset \(preset), crf \(crf))", reason: FFmpeg.message(opened))
        }
        if let output {
            guard let stream = avformat_new_stream(output, nil) else {
                throw VideoIOError.ffmpeg(path: path, operation: "adding the video stream", reason: "out of memory")
            }
            let copied = avcodec_parameters_from_context(stream.pointee.codecpar, ctx)
            guard copied >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "configuring the video stream", reason: FFmpeg.message(copied)) }
            stream.pointee.time_base = encoderTimeBase
            stream.pointee.avg_frame_rate = ctx.pointee.framerate
            videoStream = stream
        }

        yuv.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        yuv.pointee.width = Int32(encodedWidth)
        yuv.pointee.height = Int32(encodedHeight)
        yuv.pointee.colorspace = AVCOL_SPC_SMPTE170M
        yuv.pointee.color_range = AVCOL_RANGE_MPEG
        let buffer = av_frame_get_buffer(yuv, 0)
        guard buffer >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "allocating a frame", reason: FFmpeg.message(buffer)) }
        // Same exact-ish flags as decoding (see exactScaleFlags), BT.601 limited range out.
        scaler = sws_getContext(Int32(encodedWidth), Int32(encodedHeight), AV_PIX_FMT_RGB24, Int32(encodedWidth),
                                Int32(encodedHeight), AV_PIX_FMT_YUV420P, exactScaleFlags, nil, nil, nil)
        guard let scaler else { throw VideoIOError.ffmpeg(path: path, operation: "creating the RGB->YUV converter", reason: "swscale failed") }
        _ = mrcnn_sws_set_destination_colorspace(scaler, Int32(bitPattern: AVCOL_SPC_SMPTE170M.rawValue), 0)
    }

    /// Starts one `StreamOutput` per live target, fed the encoder's packets.
    func openStreams() throws {
        guard let encoder, !streamTargets.isEmpty else { return }
        guard let parameters = avcodec_parameters_alloc() else {
            throw VideoIOError.ffmpeg(path: path, operation: "allocating stream parameters", reason: "out of memory")
        }
        var p: UnsafeMutablePointer<AVCodecParameters>? = parameters
        defer { avcodec_parameters_free(&p) }
        let copied = avcodec_parameters_from_context(parameters, encoder)
        guard copied >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "configuring the live outputs", reason: FFmpeg.message(copied)) }
        streams = try streamTargets.map {
            try StreamOutput(target: $0, parameters: parameters, timeBase: encoderTimeBase, frameRate: encoder.pointee.framerate)
        }
    }

    /// Adds a copy of the first audio stream of `source` (skipped, with a reason, when MP4 cannot hold it).
    func attachAudio(from source: String) throws {
        guard let output, let passthrough = try AudioPassthrough(path: source) else { return }
        let codecID = passthrough.parameters.pointee.codec_id
        if avformat_query_codec(output.pointee.oformat, codecID, FF_COMPLIANCE_NORMAL) == 0 {
            audioSkippedReason = "audio codec \(passthrough.codecName) cannot be copied into MP4"
            return
        }
        guard let stream = avformat_new_stream(output, nil) else {
            throw VideoIOError.ffmpeg(path: path, operation: "adding the audio stream", reason: "out of memory")
        }
        let copied = avcodec_parameters_copy(stream.pointee.codecpar, passthrough.parameters)
        guard copied >= 0 else { throw VideoIOError.ffmpeg(path: path, operation: "copying audio parameters", reason: FFmpeg.message(copied)) }
        stream.pointee.codecpar.pointee.codec_tag = 0
        stream.pointee.time_base = passthrough.timeBase
        audio = passthrough
        audioStream = stream
    }

    /// Writes the MP4 header; `+faststart` moves the index to the front when the trailer is written. Fragmented:
    /// an empty moov now, then one fragment per frame, each flushed to the file at once.
    func writeHeader() throws {
        guard let output else { return }
        var options: OpaquePointer?
        if fragmented {
            av_dict_set(&options, "movflags", "+frag_every_frame+empty_moov+default_base_moof", 0)
            av_dict_set(&options, "flush_packets", "1", 0)
        } else {
            av_dict_set(&options, "movflags", "+faststart", 0)
        }
        let written = avformat_write_header(output, &options)
        av_dict_free(&options)
        guard written >= 0 else {
            throw VideoIOError.ffmpeg(path: path, operation: "writing the MP4 header", reason: FFmpeg.message(written))
        }
        headerWritten = true
    }
}
