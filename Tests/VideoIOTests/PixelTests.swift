import Foundation
import Testing
import VideoIO

/// Colour accuracy of the RGB24 conversions, odd sizes, and the pixel formats FFmpeg hands us.
@Suite struct PixelTests {
    @Test func flatColourSurvivesEncodeAndDecode() throws {
        let media = try Media()
        defer { media.remove() }
        let (w, h) = (96, 64)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) { rgb[3 * i] = 200; rgb[3 * i + 1] = 80; rgb[3 * i + 2] = 40 }
        let sink = try VideoSink(path: media.path("flat.mp4"), width: w, height: h, timeBaseNum: 1, timeBaseDen: 25,
                                 frameRate: 25, audioFrom: nil, crf: 18)
        for pts in 0..<3 { try sink.write(rgb: rgb, pts: Int64(pts)) }
        try sink.finish()
        let frames = try Media.decodeAll(media.path("flat.mp4")).frames
        #expect(frames.count == 3)
        for frame in frames {
            #expect(frame.width == w && frame.height == h)
            #expect(Media.meanAbsError(frame.rgb, rgb) < 2.0)
        }
    }

    @Test func oddDimensionsArePaddedToEven() throws {
        let media = try Media()
        defer { media.remove() }
        // FFV1 keeps the odd 161x121 size exactly (x264 cannot); the sink then pads to 162x122.
        let input = try media.makeClip("odd.mkv", seconds: 0.4, size: "161x121", audio: false,
                                       extra: ["-pix_fmt", "yuv420p", "-c:v", "ffv1"])
        let (info, frames) = try Media.decodeAll(input)
        #expect(info.width == 161 && info.height == 121)
        #expect(frames.count == 10)
        #expect(frames.allSatisfy { $0.rgb.count == 161 * 121 * 3 })

        let sink = try VideoSink(path: media.path("odd.mp4"), width: 161, height: 121, timeBaseNum: info.timeBaseNum,
                                 timeBaseDen: info.timeBaseDen, frameRate: 25, audioFrom: nil, crf: 12)
        #expect(sink.encodedWidth == 162 && sink.encodedHeight == 122)
        for frame in frames { try sink.write(rgb: frame.rgb, pts: frame.pts) }
        try sink.finish()
        let (outInfo, out) = try Media.decodeAll(media.path("odd.mp4"))
        #expect(outInfo.width == 162 && outInfo.height == 122)
        #expect(out.count == frames.count)
        // The original pixels sit unchanged (up to compression) in the top-left corner.
        if let a = frames.first, let b = out.first {
            var cropped: [UInt8] = []
            for y in 0..<121 { cropped += b.rgb[(y * 162 * 3)..<(y * 162 * 3 + 161 * 3)] }
            #expect(Media.meanAbsError(cropped, a.rgb) < 6.0)
        }
    }

    /// Gray, RGBA and full-range JPEG (yuvj420p) inputs, each a flat colour, all come out as the right RGB24.
    @Test(arguments: [
        ("gray.png", ["-pix_fmt", "gray"], [0, 0, 0] as [Int]),
        ("rgba.png", ["-pix_fmt", "rgba"], [48, 128, 192]),
        ("jpeg.jpg", ["-pix_fmt", "yuvj420p", "-q:v", "2"], [48, 128, 192]),
        ("yuv444.mkv", ["-pix_fmt", "yuv444p", "-c:v", "ffv1"], [48, 128, 192]),
    ])
    func pixelFormatsConvertToRGB(name: String, options: [String], expected: [Int]) throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path(name)
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x3080C0:size=64x32",
                                 "-frames:v", "1", "-vf", "scale=33:17"] + options + [path])
        let image = try ImageFile.read(path: path)
        #expect(image.width == 33 && image.height == 17)
        var sums = [0, 0, 0]
        for i in 0..<(33 * 17) { for c in 0..<3 { sums[c] += Int(image.rgb[3 * i + c]) } }
        let means = sums.map { Double($0) / Double(33 * 17) }
        for c in 0..<3 {
            if name.hasPrefix("gray") {
                #expect(abs(means[c] - means[0]) < 0.01)   // gray stays gray
            } else {
                #expect(abs(means[c] - Double(expected[c])) < 3, "\(name) channel \(c): \(means[c])")
            }
        }
    }

    @Test func pngWriteReadIsLossless() throws {
        let media = try Media()
        defer { media.remove() }
        let (w, h) = (17, 9)
        let rgb = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        try ImageFile.writePNG(path: media.path("x.png"), width: w, height: h, rgb: rgb)
        let back = try ImageFile.read(path: media.path("x.png"))
        #expect(back.width == w && back.height == h)
        #expect(back.rgb == rgb)
    }
}
