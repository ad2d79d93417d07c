import Foundation
import Glibc
import TestPeers
import Testing
import VideoIO

/// Restreaming the encoded video through FFmpeg's own muxers, against real peers on loopback: nginx with Debian's
/// RTMP module receives the push and ffprobe reads it back from the server (also across a receiver killed and
/// started again), ffprobe calls mrcnn's SRT listener, and HLS segments and playlist decode with ffprobe. The file
/// output of the same encode is never affected.
@Suite(.serialized) struct StreamOutputTests {
    /// `count` frames of a moving 160×120 pattern, handed to the sink at 25 fps, as a live source delivers them.
    static func writeFrames(_ sink: VideoSink, count: Int, during: ((Int) throws -> Void)? = nil) throws {
        let start = Date()
        for i in 0..<count {
            let due = start.addingTimeInterval(Double(i) / 25)
            if due > Date() { Thread.sleep(until: due) }
            var rgb = [UInt8](repeating: 0, count: 160 * 120 * 3)
            for y in 0..<120 { for x in 0..<160 { let p = (y * 160 + x) * 3; rgb[p] = UInt8((x + i * 4) & 255); rgb[p + 1] = UInt8(y * 2); rgb[p + 2] = UInt8(i * 5 & 255) } }
            try sink.write(rgb: rgb, pts: Int64(i))
            try during?(i)
        }
    }

    static func frames(of url: String, extra: [String] = []) throws -> Int {
        let out = try Media.run("ffprobe", ["-v", "error"] + extra + ["-count_frames", "-select_streams", "v:0", "-show_entries",
                                                                       "stream=nb_read_frames", "-of", "csv=p=0", url])
        let first = out.split(separator: "\n").first.map(String.init) ?? ""
        return Int(first.split(separator: ",").first ?? "") ?? -1
    }

    @Test func hlsSegmentsDecodeAndOldOnesAreDeleted() throws {
        let media = try Media()
        defer { media.remove() }
        try FileManager.default.createDirectory(atPath: media.path("all"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: media.path("rolling"), withIntermediateDirectories: true)
        let all = try #require(try StreamTarget.parse(media.path("all/index.m3u8"), segmentSeconds: 0.4, playlistSize: 100))
        let rolling = try #require(try StreamTarget.parse(media.path("rolling/index.m3u8"), segmentSeconds: 0.4, playlistSize: 2))
        let sink = try VideoSink(path: media.path("out.mp4"), width: 160, height: 120, timeBaseNum: 1, timeBaseDen: 25, frameRate: 25,
                                 audioFrom: nil, streams: [all, rolling])
        try Self.writeFrames(sink, count: 50)
        try sink.finish()
        #expect(try Self.frames(of: media.path("out.mp4")) == 50, "the file output of the same encode holds every frame")
        let hlsFrames = try Self.frames(of: media.path("all/index.m3u8"))
        #expect(hlsFrames == 50, "HLS holds \(hlsFrames) frames: \((try? FileManager.default.contentsOfDirectory(atPath: media.path("all"))) ?? []), \(sink.streamStats.map(\.stats))")
        let duration = try Media.run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", media.path("all/index.m3u8")])
        #expect(abs((Double(duration.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) - 2.0) < 0.15, "duration \(duration)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: media.path("rolling")).filter { $0.hasSuffix(".ts") }
        let listed = try String(contentsOfFile: media.path("rolling/index.m3u8"), encoding: .utf8).split(separator: "\n").filter { $0.hasSuffix(".ts") }
        #expect(listed.count == 2 && kept.count <= 3, "playlist \(listed), files \(kept)")
        #expect(try Self.frames(of: media.path("rolling/index.m3u8")) > 0)
    }

    @Test func rtmpPushReachesTheServerAndSurvivesItsRestart() throws {
        let media = try Media()
        defer { media.remove() }
        let server = try RTMPServer(directory: media.directory)
        try server.start()
        let url = "rtmp://127.0.0.1:\(server.port)/live/test"
        let target = try #require(try StreamTarget.parse(url, segmentSeconds: 0.4))
        let sink = try VideoSink(path: media.path("out.mp4"), width: 160, height: 120, timeBaseNum: 1, timeBaseDen: 25, frameRate: 25,
                                 audioFrom: nil, streams: [target])
        var reader: Process?
        try Self.writeFrames(sink, count: 175) { i in
            if i == 25 { server.kill() }                       // the receiver dies …
            if i == 60 { try server.start() }                  // … and comes back
            if i == 90 { reader = try Media.spawn("ffprobe", ["-v", "error", "-rw_timeout", "3000000", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                              "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", url],
                                                  output: media.path("probe.txt")) }
        }
        try sink.finish()
        let stats = try #require(sink.streamStats.first?.stats)
        Media.wait(reader, seconds: 15)
        let probe = (try? String(contentsOfFile: media.path("probe.txt"), encoding: .utf8)) ?? ""
        let fields = probe.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        #expect(fields.count == 4 && fields[0] == "h264" && fields[1] == "160" && fields[2] == "120", "ffprobe read: \(probe)")
        // The push resumes within the backoff (≤ 2 s here) after the restart at 2.4 s, so of the last ~4.6 s at least
        // a second's worth reaches the server and its player.
        #expect((Int(fields.last ?? "") ?? 0) >= 25, "ffprobe read \(probe) frames from the server after its restart")
        #expect(stats.reconnects >= 1 && stats.sent >= 40 && stats.dropped > 0, "\(stats)")
        #expect(try Self.frames(of: media.path("out.mp4")) == 175, "the file output is unaffected")
    }

    @Test func playersCallTheSRTListener() throws {
        let media = try Media()
        defer { media.remove() }
        let port = StreamServer.freePort()
        let url = "srt://127.0.0.1:\(port)?mode=listener"
        let target = try #require(try StreamTarget.parse(url))
        let sink = try VideoSink(path: url, width: 160, height: 120, timeBaseNum: 1, timeBaseDen: 25, frameRate: 25,
                                 audioFrom: nil, streams: [target], writesFile: false)
        var reader: Process?
        try Self.writeFrames(sink, count: 100) { i in
            if i == 10 {
                for _ in 0..<100 where !StreamOutputTests.udpBound(port) { Thread.sleep(forTimeInterval: 0.05) }
                reader = try Media.spawn("ffprobe", ["-v", "error", "-timeout", "3000000", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                              "stream=codec_name,nb_read_frames", "-of", "csv=p=0", "srt://127.0.0.1:\(port)"],
                                                  output: media.path("probe.txt"))
            }
        }
        try sink.finish()
        Media.wait(reader, seconds: 15)
        let probe = (try? String(contentsOfFile: media.path("probe.txt"), encoding: .utf8)) ?? ""
        #expect(probe.hasPrefix("h264,"), "ffprobe as SRT caller read: \(probe)")
        #expect((Int(probe.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").last ?? "") ?? 0) >= 40, "\(probe)")
    }

    /// Whether a UDP socket is bound to `port` on 127.0.0.1 (the SRT listener is up).
    static func udpBound(_ port: Int) -> Bool {
        let table = (try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").contains { $0.contains(String(format: ":%04X ", port)) }
    }

    @Test func streamURLsAreCheckedBeforeAnythingOpens() throws {
        #expect(try StreamTarget.parse("out.mp4") == nil)
        #expect(try StreamTarget.parse("rtmp://host/live/key")?.kind == .rtmp)
        #expect(try StreamTarget.parse("rtmp://user:pw@host:1935/live2/SECRET-KEY?x=1")?.redacted == "rtmp://host:1935/live2/***")
        #expect(try StreamTarget.parse("srt://h:9000?mode=caller&passphrase=secret123456")?.redacted == "srt://h:9000")
        for bad in ["rtmp://host/onlyapp", "srt://host", "srt://:9000?mode=caller", "/no/such/dir/index.m3u8", "udp://h:1", "srt://h:1?mode=x"] {
            #expect(throws: VideoIOError.self, "\(bad)") { try StreamTarget.parse(bad) }
        }
    }
}
