import Foundation
import Testing
import VideoIO

/// Inputs whose timestamps are missing or do not start at 0, and how much audio the sink copies.
@Suite struct TimestampTests {
    /// First packet time of each stream type, from ffprobe.
    private func startTimes(_ path: String) throws -> [String: Double] {
        let csv = try Media.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,start_time", "-of", "csv=p=0", path])
        var result: [String: Double] = [:]
        for line in csv.split(separator: "\n") {
            let parts = line.split(separator: ",")
            if parts.count == 2, let t = Double(parts[1]) { result[String(parts[0])] = t }
        }
        return result
    }

    @Test func streamStartingLateIsShiftedToZeroKeepingGapsAndAVOffset() throws {
        let media = try Media()
        defer { media.remove() }
        // MPEG-TS starts at 1.4 s by default.
        let input = try media.makeClip("in.ts", audio: true, extra: ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast"])
        let output = media.path("out.mp4")
        let written = try Media.transcode(input, to: output)
        #expect(abs(written.first?.time ?? 1) < 1e-9)   // `time` counts from the stream start
        let (_, decoded) = try Media.decodeAll(output)
        #expect(decoded.count == written.count)
        let inGaps = zip(written.dropFirst(), written).map { $0.time - $1.time }
        let outGaps = zip(decoded.dropFirst(), decoded).map { $0.time - $1.time }
        #expect(zip(inGaps, outGaps).allSatisfy { abs($0 - $1) < 1e-4 })

        let before = try startTimes(input), after = try startTimes(output)
        let inVideo = try #require(before["video"]), inAudio = try #require(before["audio"])
        let outVideo = try #require(after["video"]), outAudio = try #require(after["audio"])
        #expect(inVideo > 1)
        #expect(min(outVideo, outAudio) < 0.05)
        #expect(abs((inAudio - inVideo) - (outAudio - outVideo)) < 0.002, "A/V offset \(inAudio - inVideo) -> \(outAudio - outVideo)")
    }

    @Test func elementaryStreamWithoutTimestampsGetsSynthesisedOnes() throws {
        let media = try Media()
        defer { media.remove() }
        let input = try media.makeClip("raw.h264", seconds: 1, audio: false,
                                       extra: ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-f", "h264"])
        let (info, frames) = try Media.decodeAll(input)
        #expect(frames.count == 25)
        #expect(info.averageFrameRate > 24 && info.averageFrameRate < 26)
        #expect(zip(frames.dropFirst(), frames).allSatisfy { $0.pts > $1.pts })
        #expect(abs((frames.last?.time ?? 0) - 0.96) < 0.01)
    }

    @Test func audioMP4CannotHoldIsLeftOutWithAReason() throws {
        let media = try Media()
        defer { media.remove() }
        let input = try media.makeClip("pcm.mkv", seconds: 0.5, audio: false, extra: [
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le",
        ])
        // makeClip(audio: false) has no sine input; add one with a second pass.
        let withAudio = media.path("pcm-audio.mkv")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-i", input, "-f", "lavfi", "-i", "sine", "-t", "0.5", "-c:v", "copy",
                                 "-c:a", "pcm_s16le", withAudio])
        let source = try VideoSource(url: withAudio)
        #expect(source.info.hasAudio)
        let sink = try VideoSink(path: media.path("out.mp4"), width: 320, height: 240, timeBaseNum: source.info.timeBaseNum,
                                 timeBaseDen: source.info.timeBaseDen, frameRate: 25, audioFrom: withAudio)
        #expect(!sink.hasAudio)
        #expect(sink.audioSkippedReason?.contains("pcm_s16le") == true)
        while let frame = try source.nextFrame() { try sink.write(rgb: frame.rgb, pts: frame.pts) }
        try sink.finish()
        #expect(try Media.probeStreams(media.path("out.mp4")).map(\.type) == ["video"])
    }

    @Test func trimAudioToVideoStopsAudioAtTheLastFrame() throws {
        let media = try Media()
        defer { media.remove() }
        let input = try media.makeClip("in.mp4", audio: true)
        let source = try VideoSource(url: input)
        let sink = try VideoSink(path: media.path("out.mp4"), width: 320, height: 240, timeBaseNum: source.info.timeBaseNum,
                                 timeBaseDen: source.info.timeBaseDen, frameRate: 25, audioFrom: input, preset: "ultrafast")
        sink.trimAudioToVideo = true
        for _ in 0..<10 {
            let frame = try #require(try source.nextFrame())
            try sink.write(rgb: frame.rgb, pts: frame.pts)
        }
        try sink.finish()
        let json = try Media.run("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "packet=pts_time", "-of", "csv=p=0", media.path("out.mp4")])
        let last = json.split(separator: "\n").compactMap { Double($0) }.max() ?? 99
        #expect(last < 0.4 && last > 0.3, "last audio packet at \(last) s, video ends at 0.4 s")
    }
}
