import Foundation
import Testing
import VideoIO

/// Image sequences as INPUT: globs, printf patterns and directories, in name order, decoded as stills are.
@Suite struct ImageSequenceTests {
    /// Writes `count` PNGs (each a flat grey of its own level) named by `name(i)` into the media folder.
    static func writeFrames(_ media: Media, count: Int, width: Int = 24, height: Int = 16, name: (Int) -> String) throws {
        for i in 0..<count {
            let rgb = [UInt8](repeating: UInt8(10 + i * 20), count: width * height * 3)
            try ImageFile.writePNG(path: media.path(name(i)), width: width, height: height, rgb: rgb)
        }
    }

    @Test func globPatternAndDirectoryReadEveryImageInOrder() throws {
        let media = try Media()
        defer { media.remove() }
        try Self.writeFrames(media, count: 5) { String(format: "img_%04d.png", $0 + 1) }
        for input in [media.path("img_*.png"), media.path("img_%04d.png"), media.directory.path] {
            #expect(ImageSequenceSource.isSequence(input), "\(input)")
            let source = try ImageSequenceSource(pattern: input, frameRate: 10)
            var levels: [UInt8] = [], times: [Double] = []
            while let frame = try source.nextFrame() { levels.append(frame.rgb[0]); times.append(frame.time) }
            #expect(levels == [10, 30, 50, 70, 90], "\(input)")
            #expect(times == [0, 0.1, 0.2, 0.3, 0.4])
            #expect(source.info.estimatedFrameCount == 5 && source.info.width == 24 && source.info.height == 16)
        }
        #expect(!ImageSequenceSource.isSequence(media.path("img_0001.png")))
        #expect(!ImageSequenceSource.isSequence("udp://127.0.0.1:5000"))
    }

    @Test func noMatchAndSizeChangeAreOneLineErrors() throws {
        let media = try Media()
        defer { media.remove() }
        #expect(throws: VideoIOError.self) { _ = try ImageSequenceSource(pattern: media.path("none_*.jpg")) }
        do { _ = try ImageSequenceSource(pattern: media.path("none_*.jpg")) } catch {
            #expect(String(describing: error).contains("no image files match"))
        }
        try Self.writeFrames(media, count: 1) { _ in "a.png" }
        try Self.writeFrames(media, count: 1, width: 30) { _ in "b.png" }
        let source = try ImageSequenceSource(pattern: media.path("*.png"))
        _ = try source.nextFrame()
        do {
            _ = try source.nextFrame()
            Issue.record("expected a size error")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("b.png") && text.contains("same size") && !text.contains("\n"))
        }
    }
}
