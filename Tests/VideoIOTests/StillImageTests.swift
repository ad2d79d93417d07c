import Foundation
import Testing
import VideoIO

/// Stills as users' tools read them: a JPEG cut short is refused as PIL refuses it (unless accepted, then decoded
/// with the rest grey), and a phone photo's EXIF orientation is applied as detectron2's `read_image` (PIL's
/// `exif_transpose`) and OpenCV's `imread` apply it, or ignored for raw-pixel parity with PIL.
@Suite struct StillImageTests {
    /// A 64×32 JPEG whose four 16×16 corners are red (top left), green (top right), blue (bottom left) and white
    /// (bottom right) on grey; made as PNG here and turned into a JPEG by ffmpeg.
    static func cornersJPEG(_ media: Media, _ name: String) throws -> Data {
        let (w, h) = (64, 32)
        var rgb = [UInt8](repeating: 128, count: w * h * 3)
        let corners: [(Int, Int, [UInt8])] = [(0, 0, [255, 0, 0]), (w - 16, 0, [0, 255, 0]), (0, h - 16, [0, 0, 255]), (w - 16, h - 16, [255, 255, 255])]
        for (x0, y0, colour) in corners {
            for y in y0..<(y0 + 16) { for x in x0..<(x0 + 16) { for c in 0..<3 { rgb[(y * w + x) * 3 + c] = colour[c] } } }
        }
        try ImageFile.writePNG(path: media.path(name + ".png"), width: w, height: h, rgb: rgb)
        try Media.run("ffmpeg", ["-v", "error", "-y", "-i", media.path(name + ".png"), "-q:v", "2", "-pix_fmt", "yuvj444p", media.path(name)])
        return try Data(contentsOf: URL(fileURLWithPath: media.path(name)))
    }

    /// `jpeg` with an EXIF APP1 segment declaring `orientation` inserted after SOI (TIFF in the given byte order).
    static func withOrientation(_ jpeg: Data, _ orientation: Int, bigEndian: Bool) -> Data {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        // TIFF header, IFD0 at offset 8 with one entry (a make tag first would do too; orientation alone is enough).
        var tiff: [UInt8] = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(8)
        tiff += u16(2)                                                          // two entries
        tiff += u16(0x010F) + u16(2) + u32(4) + Array("abc\0".utf8)             // Make "abc" (ASCII, inline)
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)       // Orientation (SHORT)
        tiff += u32(0)                                                          // no next IFD
        let body = Array("Exif\0\0".utf8) + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
        return Data([0xFF, 0xD8] + segment) + jpeg.dropFirst(2)
    }

    /// The colour name nearest to the pixel at (x, y).
    static func colour(_ image: (width: Int, height: Int, rgb: [UInt8]), _ x: Int, _ y: Int) -> String {
        let p = Array(image.rgb[((y * image.width + x) * 3)..<((y * image.width + x) * 3 + 3)]).map(Int.init)
        let names: [(String, [Int])] = [("red", [255, 0, 0]), ("green", [0, 255, 0]), ("blue", [0, 0, 255]), ("white", [255, 255, 255]), ("grey", [128, 128, 128])]
        return names.min { a, b in zip(a.1, p).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) < zip(b.1, p).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }!.0
    }

    @Test func orientationIsAppliedAsDetectron2AndOpenCVDo() throws {
        let media = try Media()
        defer { media.remove() }
        let plain = try Self.cornersJPEG(media, "corners.jpg")
        // Where the stored top-left (red) and top-right (green) corners are seen upright, per EXIF orientation
        // (TIFF 6.0: 6 = the picture must turn 90° clockwise to stand upright, 8 = counter-clockwise, 5/7 mirrored).
        let expected: [Int: (red: String, green: String)] = [
            1: ("top left", "top right"), 2: ("top right", "top left"), 3: ("bottom right", "bottom left"),
            4: ("bottom left", "bottom right"), 5: ("top left", "bottom left"), 6: ("top right", "bottom right"),
            7: ("bottom right", "top right"), 8: ("bottom left", "top left"),
        ]
        for orientation in 1...8 {
            for bigEndian in [false, true] {
                let path = media.path("o\(orientation)\(bigEndian ? "m" : "i").jpg")
                try Self.withOrientation(plain, orientation, bigEndian: bigEndian).write(to: URL(fileURLWithPath: path))
                let raw = try ImageFile.read(path: path, options: StillImageOptions(applyOrientation: false))
                #expect(raw.width == 64 && raw.height == 32 && Self.colour(raw, 2, 2) == "red")
                let upright = try ImageFile.read(path: path)
                let swapped = orientation >= 5
                #expect(upright.width == (swapped ? 32 : 64) && upright.height == (swapped ? 64 : 32), "orientation \(orientation)")
                let (w, h) = (upright.width, upright.height)
                let at: [String: (Int, Int)] = ["top left": (2, 2), "top right": (w - 3, 2), "bottom left": (2, h - 3), "bottom right": (w - 3, h - 3)]
                let want = expected[orientation]!
                #expect(Self.colour(upright, at[want.red]!.0, at[want.red]!.1) == "red", "orientation \(orientation): red not \(want.red)")
                #expect(Self.colour(upright, at[want.green]!.0, at[want.green]!.1) == "green", "orientation \(orientation): green not \(want.green)")
            }
        }
        // Damaged EXIF (segment cut short, offsets past the end) is ignored, never trusted.
        var damaged = [UInt8](Self.withOrientation(plain, 6, bigEndian: false))
        damaged[16] = 0xFF; damaged[17] = 0xFF                                   // IFD0 offset far past the segment
        let path = media.path("damaged.jpg")
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let read = try ImageFile.read(path: path)
        #expect(read.width == 64 && read.height == 32)
    }

    @Test func aTruncatedJPEGIsRefusedAsPILRefusesIt() throws {
        let media = try Media()
        defer { media.remove() }
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x160", "-frames:v", "1", "-q:v", "2", media.path("whole.jpg")])
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: media.path("whole.jpg")))
        let scan = try #require(jpeg.firstRange(of: Data([0xFF, 0xDA]))).lowerBound
        #expect(jpeg.count / 2 > scan + 100, "the half cut must fall inside the scan")
        // Cut inside the header: no picture at all, still said to be truncated.
        let header = media.path("header-only.jpg")
        let tables = try #require(jpeg.firstRange(of: Data([0xFF, 0xC4]))).lowerBound   // the first Huffman table
        try Data(jpeg.prefix(tables)).write(to: URL(fileURLWithPath: header))
        let cut = #expect(throws: VideoIOError.self) { try ImageFile.read(path: header, options: StillImageOptions(acceptTruncated: true)) }
        #expect(cut?.description == "\(header): image file is truncated (it ends before its picture does)")
        for (name, bytes) in [("half.jpg", jpeg.prefix(jpeg.count / 2)), ("no-end-marker.jpg", jpeg.dropLast(2))] {
            let path = media.path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try ImageFile.read(path: path)
                Issue.record("\(name) decoded")
            } catch let error as VideoIOError {
                #expect(error.description.contains(path) && error.description.contains("truncated") && !error.description.contains("\n"),
                        "\(error)")
            }
            let accepted = try ImageFile.read(path: path, options: StillImageOptions(acceptTruncated: true))
            #expect(accepted.width == 320 && accepted.height == 160)
        }
        // Bytes after the end marker are not damage (PIL reads such files too).
        let padded = media.path("padded.jpg")
        try (jpeg + Data("trailing bytes".utf8)).write(to: URL(fileURLWithPath: padded))
        #expect(try ImageFile.read(path: padded).width == 320)
        // A sequence holding a truncated image stops there with the same error.
        try FileManager.default.createDirectory(atPath: media.path("seq"), withIntermediateDirectories: true)
        try jpeg.write(to: URL(fileURLWithPath: media.path("seq/a.jpg")))
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: URL(fileURLWithPath: media.path("seq/b.jpg")))
        let sequence = try ImageSequenceSource(pattern: media.path("seq"))
        #expect(try sequence.nextFrame() != nil)
        #expect(throws: VideoIOError.self) { try sequence.nextFrame() }
    }
}
