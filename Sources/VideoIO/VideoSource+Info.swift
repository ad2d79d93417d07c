import CFFmpeg
import Foundation

/// Opening checks and the stream description of a `VideoSource`.
extension VideoSource {
    /// Plain paths (no "scheme://") get checked up front so users see "no such file" / "empty" instead of FFmpeg's guess.
    static func checkLocalFile(_ url: String) throws {
        if url.contains("://") || url.hasPrefix("pipe:") { return }
        if VideoInput.isDevice(url), !FileManager.default.fileExists(atPath: url) {
            throw VideoIOError.deviceNotFound(path: url, available: VideoInput.cameraDevices())
        }
        let path = url.hasPrefix("file:") ? String(url.dropFirst(5)) : url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VideoIOError.fileNotFound(path: url)
        }
        if isDirectory.boolValue { throw VideoIOError.cannotOpen(path: url, reason: "is a directory") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if attributes?[.type] as? FileAttributeType == .typeRegular, (attributes?[.size] as? NSNumber)?.intValue == 0 {
            throw VideoIOError.emptyFile(path: url)
        }
    }

    /// The demuxer to force, and its options: V4L2 for camera device nodes (/dev/videoN), a read timeout for
    /// network URLs so a dead server ends in an error instead of a hang.
    static func inputFormat(for url: String, readTimeout: Double) -> (format: UnsafePointer<AVInputFormat>?, options: OpaquePointer?) {
        var options: OpaquePointer?
        var format: UnsafePointer<AVInputFormat>?
        if VideoInput.isDevice(url) {
            avdevice_register_all()
            format = av_find_input_format("video4linux2")
        } else if url.contains("://"), !url.hasPrefix("file://") {
            let micros = String(Int64(max(0.1, readTimeout) * 1_000_000))
            av_dict_set(&options, "rw_timeout", micros, 0)
            if url.hasPrefix("udp://") { av_dict_set(&options, "timeout", micros, 0) }   // µs
        }
        return (format, options)
    }

    /// Average frames per second of a stream: avg_frame_rate, else r_frame_rate, else 0.
    static func frameRate(_ stream: UnsafeMutablePointer<AVStream>) -> Double {
        for rate in [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            let value = av_q2d(rate)
            if value.isFinite, value > 0, value < 1000 { return value }
        }
        return 0
    }

    static func describe(_ format: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>,
                         timeBase: AVRational, rate: Double, codecName: String) -> VideoInfo {
        var duration: Double?
        if stream.pointee.duration != FFmpeg.noPTS, stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * av_q2d(timeBase)
        } else if format.pointee.duration != FFmpeg.noPTS, format.pointee.duration > 0 {
            duration = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        }
        var count: Int?
        if stream.pointee.nb_frames > 0 {
            count = Int(stream.pointee.nb_frames)
        } else if let duration, rate > 0 {
            count = Int((duration * rate).rounded())
        }
        var hasAudio = false
        for i in 0..<Int(format.pointee.nb_streams) {
            if format.pointee.streams[i]?.pointee.codecpar?.pointee.codec_type == AVMEDIA_TYPE_AUDIO { hasAudio = true }
        }
        let params = stream.pointee.codecpar.pointee
        let rotation = Int(mrcnn_stream_rotation(stream))
        let size = FrameRotation.rotatedSize(width: Int(params.width), height: Int(params.height), degrees: rotation)
        return VideoInfo(width: size.width, height: size.height, timeBaseNum: timeBase.num,
                         timeBaseDen: timeBase.den, averageFrameRate: rate, duration: duration,
                         estimatedFrameCount: count, hasAudio: hasAudio, codecName: codecName, rotation: rotation)
    }
}

extension VideoSource {
    /// AVERROR_DECODER_NOT_FOUND, which Swift cannot import (FFERRTAG macro).
    static let AVERROR_DECODER_NOT_FOUND_CODE = mrcnn_averror_decoder_not_found()

    static func firstVideoStream(_ format: UnsafeMutablePointer<AVFormatContext>) -> UnsafeMutablePointer<AVStream>? {
        for i in 0..<Int(format.pointee.nb_streams) {
            if let s = format.pointee.streams[i], s.pointee.codecpar?.pointee.codec_type == AVMEDIA_TYPE_VIDEO { return s }
        }
        return nil
    }
}
