import CFFmpeg

/// Small helpers shared by the sources and sinks: FFmpeg error text and one-time library set-up.
enum FFmpeg {
    /// FFmpeg's message for a negative return code, e.g. "Invalid data found when processing input".
    static func message(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let eof = mrcnn_averror_eof()
    static let eagain = mrcnn_averror_eagain()
    static let noPTS = mrcnn_nopts()

    /// Runs once: keeps FFmpeg's own logging to real errors, since every failure is also reported as a VideoIOError.
    static let setUp: Void = {
        // Only when nobody changed FFmpeg's default (info) level yet.
        if av_log_get_level() == AV_LOG_INFO { av_log_set_level(AV_LOG_FATAL) }
    }()
}

/// Controls how much FFmpeg itself prints to stderr (VideoIO sets "fatal only" unless told otherwise); call from any thread before opening files.
public enum FFmpegLog {
    public enum Level: Int32, Sendable { case quiet = -8, fatal = 8, error = 16, warning = 24, info = 32, debug = 48 }

    public static func set(_ level: Level) {
        _ = FFmpeg.setUp
        av_log_set_level(level.rawValue)
    }
}
