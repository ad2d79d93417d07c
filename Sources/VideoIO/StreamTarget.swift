import Foundation

/// A live destination of the annotated video, as an `-o` argument names it: `rtmp://HOST[:PORT]/APP/STREAM` (FLV
/// pushed to a server), `srt://HOST:PORT[?mode=listener]` (MPEG-TS over SRT; a listener waits for players to
/// connect), `DIR/NAME.m3u8` (HLS: H.264 segments and a rolling playlist on disk) or `-` (MPEG-TS on standard
/// output, for a pipe). The last two are never dropped from: their writer sets the pace. Anything else is a file.
/// A plain value.
public struct StreamTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case rtmp, srt, hls, stdout }

    public let url: String
    public let kind: Kind
    /// HLS segment length in seconds (`--hls-segment`); the encoder puts a keyframe at least this often.
    public var segmentSeconds: Double
    /// HLS: segments kept in the playlist (older ones are deleted).
    public var playlistSize: Int

    /// The stream `text` names, nil when it names a file; a one-line `VideoIOError.cannotCreateOutput` when it is a
    /// stream URL that cannot work (no host, no port, no stream name, a playlist in a missing directory).
    public static func parse(_ text: String, segmentSeconds: Double = 2, playlistSize: Int = 6) throws -> StreamTarget? {
        func bad(_ why: String) -> VideoIOError { .cannotCreateOutput(path: text, reason: why) }
        let lower = text.lowercased()
        let kind: Kind
        if text == "-" {
            kind = .stdout
        } else if lower.hasPrefix("rtmp://") || lower.hasPrefix("rtmps://") {
            kind = .rtmp
            guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else { throw bad("no server in the RTMP URL") }
            let parts = url.path.split(separator: "/")
            guard parts.count >= 2 else { throw bad("an RTMP URL needs an application and a stream name: rtmp://HOST[:PORT]/APP/STREAM") }
        } else if lower.hasPrefix("srt://") {
            kind = .srt
            guard let url = URLComponents(string: text), url.port != nil else { throw bad("an SRT URL needs a port: srt://HOST:PORT") }
            let mode = url.queryItems?.first { $0.name == "mode" }?.value ?? "caller"
            guard ["caller", "listener", "rendezvous"].contains(mode) else { throw bad("SRT mode must be caller, listener or rendezvous") }
            if mode != "listener", url.host?.isEmpty ?? true { throw bad("no host to call in the SRT URL") }
        } else if lower.hasSuffix(".m3u8") && !lower.contains("://") {
            kind = .hls
            let directory = FilePaths.directory(of: text)
            var isDirectory: ObjCBool = false
            if !directory.isEmpty, !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue) {
                throw bad("directory \(directory) does not exist")
            }
        } else if lower.contains("://") && !lower.hasPrefix("file://") {
            throw bad("unsupported stream URL; -o takes a file, rtmp://, srt:// or a .m3u8 playlist")
        } else {
            return nil
        }
        guard segmentSeconds > 0, segmentSeconds.isFinite else { throw bad("the HLS segment length must be positive") }
        return StreamTarget(url: text, kind: kind, segmentSeconds: segmentSeconds, playlistSize: max(1, playlistSize))
    }

    /// The muxer FFmpeg writes this target with.
    var formatName: String {
        switch kind {
        case .rtmp: return "flv"
        case .srt, .stdout: return "mpegts"
        case .hls: return "hls"
        }
    }

    /// The URL FFmpeg opens.
    var muxerURL: String { kind == .stdout ? "pipe:1" : url }

    /// Receivers come and go: reconnect after failures (a local HLS playlist or a closed pipe fails for good).
    var reconnects: Bool { kind == .rtmp || kind == .srt }

    /// Packets leave at their timestamps (live pacing) to a receiver on the network; a playlist on disk and a pipe
    /// are written as fast as they take them, and a full queue waits for them instead of dropping (as a file does).
    var paced: Bool { kind == .rtmp || kind == .srt }

    /// The URL without a login, query or RTMP stream key (what logs and metrics labels show): the key, the last
    /// component of `rtmp://host/app/KEY`, is the stream's password at YouTube, Twitch and nginx-rtmp alike.
    public var redacted: String {
        guard kind == .rtmp || kind == .srt, var url = URLComponents(string: url) else { return description }
        (url.user, url.password, url.query) = (nil, nil, nil)
        if kind == .rtmp, let slash = url.path.lastIndex(of: "/"), slash != url.path.startIndex {
            url.path = String(url.path[...slash]) + "***"
        }
        return url.string ?? description
    }

    public var description: String { kind == .stdout ? "standard output" : url }
}
