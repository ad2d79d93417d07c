import Foundation
import Testing
import VideoIO

/// Our RGB24 against the ffmpeg command line's, for the first frame of the sample clip.
@Suite struct FFmpegParityTests {
    private func ffmpegRGB(flags: String?) throws -> [UInt8] {
        let media = try Media()
        defer { media.remove() }
        let raw = media.path("frame.rgb")
        var args = ["-v", "error", "-y"]
        args += ["-i", Media.sampleClip, "-frames:v", "1"]
        // (`-sws_flags` does not reach the auto-inserted converter in FFmpeg 5.1; an explicit scale filter does.)
        if let flags { args += ["-vf", "scale=flags=\(flags),format=rgb24"] }
        args += ["-pix_fmt", "rgb24", "-f", "rawvideo", raw]
        try Media.run("ffmpeg", args)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    }

    @Test func matchesFFmpegWithTheSameScaleFlagsAndIsCloseToItsDefault() throws {
        let source = try VideoSource(url: Media.sampleClip)
        let frame = try #require(try source.nextFrame())
        let exact = try ffmpegRGB(flags: "bilinear+accurate_rnd+full_chroma_int")
        #expect(exact.count == frame.rgb.count)
        #expect(exact == frame.rgb)
        let defaults = try ffmpegRGB(flags: nil)
        let error = Media.meanAbsError(defaults, frame.rgb)
        #expect(error < 2.0, "mean abs difference to plain `ffmpeg -pix_fmt rgb24`: \(error)")
    }
}
