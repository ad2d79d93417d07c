import Foundation
import Testing
import VideoIO

/// A file that declares a picture over 16384 pixels a side is refused with one line before any frame is allocated.
@Suite struct FrameLimitTests {
    @Test("an FFV1 video 16400 pixels wide is refused at open, naming the file and the limit")
    func oversizedVideo() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("wide.mkv")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=s=16400x2", "-frames:v", "1", "-c:v", "ffv1", path])
        do {
            _ = try VideoSource(url: path)
            Issue.record("a 16400-pixel-wide video opened")
        } catch let error as VideoIOError {
            #expect(error.description == "\(path): declares a 16400×2 picture, larger than the limit of 16384 pixels a side")
        }
        // At the limit it opens.
        let edge = media.path("edge.mkv")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=s=16384x2", "-frames:v", "1", "-c:v", "ffv1", edge])
        #expect(try VideoSource(url: edge).info.width == 16384)
    }

    @Test("a JPEG whose header claims 40000×40000 is refused before decoding (no 4.8 GB allocation)")
    func oversizedJPEGHeader() throws {
        let media = try Media()
        defer { media.remove() }
        let small = media.path("small.jpg"), forged = media.path("forged.jpg")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=s=16x16", "-frames:v", "1", small])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: small)))
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0x9C; bytes[sof + 6] = 0x40   // height 40000
        bytes[sof + 7] = 0x9C; bytes[sof + 8] = 0x40   // width 40000
        try Data(bytes).write(to: URL(fileURLWithPath: forged))
        do {
            _ = try ImageFile.read(path: forged)
            Issue.record("a forged 40000×40000 JPEG was decoded")
        } catch let error as VideoIOError {
            #expect(error.description == "\(forged): declares a 40000×40000 picture, larger than the limit of 16384 pixels a side")
        }
    }
}
