import Foundation
import Testing
import VideoIO

/// Decode -> encode -> decode: frame counts, timestamps and the copied audio stream survive.
@Suite struct RoundTripTests {
    @Test func roundTripWithAudioKeepsFramesTimestampsAndAudio() throws {
        let media = try Media()
        defer { media.remove() }
        let input = try media.makeClip("in.mp4", audio: true)
        let output = media.path("out.mp4")
        let written = try Media.transcode(input, to: output)
        #expect(written.count == 50)

        let (info, decoded) = try Media.decodeAll(output)
        #expect(info.hasAudio)
        #expect(decoded.count == written.count)
        for (a, b) in zip(written, decoded) {
            #expect(abs(a.time - b.time) < 1e-3, "frame \(a.index): \(a.time) vs \(b.time)")
        }
        #expect(abs((decoded.first?.time ?? 1)) < 1e-6)
        #expect(decoded.map(\.pts) == written.map(\.pts))

        let inStreams = try Media.probeStreams(input), outStreams = try Media.probeStreams(output)
        let inAudio = try #require(inStreams.first { $0.type == "audio" })
        let outAudio = try #require(outStreams.first { $0.type == "audio" })
        #expect(outAudio.codec == inAudio.codec)
        #expect(abs(outAudio.packets - inAudio.packets) <= 1)
        #expect(outStreams.first { $0.type == "video" }?.codec == "h264")
        // Interleaved by time, not all audio at the end: both streams appear among the first packets.
        let order = try Media.packetOrder(output)
        #expect(Set(order.prefix(30)).count == 2)
    }

    @Test func roundTripWithoutAudio() throws {
        let media = try Media()
        defer { media.remove() }
        let input = try media.makeClip("in.mp4", audio: false)
        let output = media.path("out.mp4")
        let written = try Media.transcode(input, to: output)
        let (info, decoded) = try Media.decodeAll(output)
        #expect(!info.hasAudio)
        #expect(decoded.map(\.pts) == written.map(\.pts))
        #expect(info.timeBaseDen == (try VideoSource(url: input)).info.timeBaseDen)
        #expect(try Media.probeStreams(output).map(\.type) == ["video"])
    }

    @Test func variableFrameRateKeepsTrueTimestamps() throws {
        let media = try Media()
        defer { media.remove() }
        // Frame n at 40n + 13(n mod 3) ms: irregular gaps of 53, 53, 14 ms.
        let input = try media.makeClip("vfr.mp4", audio: false, extra: [
            "-vf", "settb=1/1000,setpts=N*40+mod(N\\,3)*13", "-fps_mode", "passthrough", "-enc_time_base", "1:1000",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
        ])
        let (_, original) = try Media.decodeAll(input)
        let gaps = Set(zip(original.dropFirst(), original).map { Int((($0.time - $1.time) * 1000).rounded()) })
        #expect(gaps == [53, 14], "input is not VFR: \(gaps)")

        let output = media.path("out.mp4")
        let written = try Media.transcode(input, to: output)
        let (_, decoded) = try Media.decodeAll(output)
        #expect(decoded.count == written.count)
        #expect(decoded.map(\.pts) == written.map(\.pts))
    }

    @Test func sinkFinishTwiceAndDropWithoutFinish() throws {
        let media = try Media()
        defer { media.remove() }
        let pixels = [UInt8](repeating: 128, count: 64 * 48 * 3)
        let sink = try VideoSink(path: media.path("a.mp4"), width: 64, height: 48, timeBaseNum: 1, timeBaseDen: 25,
                                 frameRate: 25, audioFrom: nil)
        for pts in 0..<5 { try sink.write(rgb: pixels, pts: Int64(pts)) }
        try sink.finish()
        try sink.finish()
        #expect(throws: VideoIOError.self) { try sink.write(rgb: pixels, pts: 9) }
        #expect(try Media.decodeAll(media.path("a.mp4")).frames.count == 5)

        do {
            let abandoned = try VideoSink(path: media.path("b.mp4"), width: 64, height: 48, timeBaseNum: 1,
                                          timeBaseDen: 25, frameRate: 25, audioFrom: nil)
            for pts in 0..<3 { try abandoned.write(rgb: pixels, pts: Int64(pts)) }
        }
        #expect(throws: VideoIOError.self) {
            try VideoSink(path: media.path("c.mp4"), width: 64, height: 48, timeBaseNum: 1, timeBaseDen: 25,
                          frameRate: 25, audioFrom: nil).write(rgb: [1, 2, 3], pts: 0)
        }
    }
}
