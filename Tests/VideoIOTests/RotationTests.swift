import Foundation
import Testing
import VideoIO

/// Phone videos: a stream stored sideways with a rotation tag comes out upright, as ffmpeg's player-side autorotate shows it.
@Suite("Rotated video")
struct RotationTests {
    /// The first frame as ffmpeg's command line shows it (autorotate on), RGB24.
    static func ffmpegUpright(_ path: String, media: Media) throws -> [UInt8] {
        let raw = media.path("upright-\(UUID().uuidString).rgb")
        // ffmpeg inserts its autorotate filter first; the explicit scale matches our converter's flags.
        try Media.run("ffmpeg", ["-v", "error", "-y", "-i", path, "-frames:v", "1",
                                 "-vf", "scale=flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24",
                                 "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    }

    /// Mean absolute difference of 8×8 block averages: blind to chroma siting and codec noise (ffmpeg turns
    /// the YUV planes, we turn RGB), not to a picture turned the wrong way.
    static func blockError(_ a: [UInt8], _ b: [UInt8], width: Int, height: Int) -> Double {
        var total = 0.0, blocks = 0
        for by in stride(from: 0, to: height - 7, by: 8) {
            for bx in stride(from: 0, to: width - 7, by: 8) {
                for c in 0..<3 {
                    var sa = 0, sb = 0
                    for y in by..<(by + 8) { for x in bx..<(bx + 8) { sa += Int(a[(y * width + x) * 3 + c]); sb += Int(b[(y * width + x) * 3 + c]) } }
                    total += abs(Double(sa - sb)) / 64
                    blocks += 1
                }
            }
        }
        return total / Double(max(blocks, 1))
    }

    @Test("a rotate tag of 90/180/270 gives upright frames of the display size, equal to ffmpeg's autorotated picture",
          arguments: [90, 180, 270])
    func upright(degrees: Int) throws {
        let media = try Media()
        defer { media.remove() }
        let stored = try media.makeClip("stored.mp4", seconds: 0.4, size: "96x64", audio: false)
        let rotated = media.path("rotated.mp4")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=\(degrees)", rotated])

        let (info, frames) = try Media.decodeAll(rotated)
        let (plainInfo, plainFrames) = try Media.decodeAll(stored)
        // FFmpeg 5.1 stores `rotate=N` as a display matrix of N° counter-clockwise (ffprobe: rotation=N), which
        // players, and ffmpeg's autorotate, undo by turning (360 − N)° clockwise.
        let turn = (360 - degrees) % 360
        #expect(info.rotation == turn)
        let expected = degrees == 180 ? (96, 64) : (64, 96)
        #expect(info.width == expected.0 && info.height == expected.1)
        #expect(frames.count == plainFrames.count && plainInfo.rotation == 0)
        let first = try #require(frames.first)
        #expect(first.width == expected.0 && first.height == expected.1)
        // Exactly the stored picture turned, and the same picture ffmpeg shows (conversion rounding aside).
        #expect(first.rgb == FrameRotation.rotate(plainFrames[0].rgb, width: 96, height: 64, degrees: turn))
        let reference = try Self.ffmpegUpright(rotated, media: media)
        #expect(reference.count == first.rgb.count)
        if reference.count == first.rgb.count {
            // Close to ffmpeg's picture (its filter chain converts colours a little differently), far from the
            // same picture turned the other way up.
            let (w, h) = (first.width, first.height)
            let upsideDown = FrameRotation.rotate(first.rgb, width: w, height: h, degrees: 180)
            #expect(Self.blockError(reference, first.rgb, width: w, height: h) < 8)
            #expect(Self.blockError(reference, upsideDown, width: w, height: h) > 20)
        }
    }

    @Test("the annotated output of a rotated input plays upright: display size, no rotation tag")
    func outputUpright() throws {
        let media = try Media()
        defer { media.remove() }
        let stored = try media.makeClip("stored.mp4", seconds: 0.4, size: "96x64", audio: true)
        let rotated = media.path("rotated.mp4")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        let output = media.path("out.mp4")
        let written = try Media.transcode(rotated, to: output)
        let (info, frames) = try Media.decodeAll(output)
        #expect(info.rotation == 0 && info.width == 64 && info.height == 96)
        #expect(frames.count == written.count)
        let reference = try Self.ffmpegUpright(rotated, media: media)
        if let first = frames.first, first.rgb.count == reference.count {
            #expect(Self.blockError(reference, first.rgb, width: first.width, height: first.height) < 8)
        }
    }

    @Test("quarter turns: four turns of 90 give the picture back; 90 then 270 too")
    func turns() {
        let (w, h) = (5, 3)
        let rgb = (0..<(w * h * 3)).map { UInt8($0) }
        var r = rgb, size = (w, h)
        for _ in 0..<4 {
            r = FrameRotation.rotate(r, width: size.0, height: size.1, degrees: 90)
            size = (size.1, size.0)
        }
        #expect(r == rgb)
        let once = FrameRotation.rotate(rgb, width: w, height: h, degrees: 90)
        #expect(FrameRotation.rotate(once, width: h, height: w, degrees: 270) == rgb)
        // 90° clockwise: the stored top-left pixel ends at the top-right.
        #expect(Array(once[((0 * h) + (h - 1)) * 3..<((0 * h) + (h - 1)) * 3 + 3]) == [0, 1, 2])
    }
}
