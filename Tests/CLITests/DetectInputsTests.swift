import Foundation
import Testing

/// `mrcnn detect` takes its images as `run` takes inputs (files, directories, globs, `.txt` lists; each sorted, image
/// ids by position), turns phone photos upright unless `--ignore-orientation`, and refuses a JPEG cut short in one
/// line unless `--accept-truncated` (then it warns).
@Suite("mrcnn detect inputs", .serialized)
struct DetectInputsTests {
    static let model = ["--weights", "seeded:0"]

    /// Writes `name` in `dir` as a JPEG of the sample photo (or of a test pattern) with ffmpeg.
    static func jpeg(_ dir: URL, _ name: String, source: String = "fruits") throws -> URL {
        let out = dir.appendingPathComponent(name)
        let input = source == "fruits"
            ? ["-i", ModelCommandTests.root.appendingPathComponent("samples/images/fruits.png").path]
            : ["-f", "lavfi", "-i", "testsrc=size=320x160"]
        let result = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-y"] + input + ["-frames:v", "1", "-q:v", "3", out.path], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        return out
    }

    /// `jpeg` with a little-endian EXIF APP1 segment holding only an orientation tag, inserted after SOI.
    static func withOrientation(_ jpeg: Data, _ orientation: UInt8) -> Data {
        let tiff: [UInt8] = Array("II".utf8) + [42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
        let body = Array("Exif\0\0".utf8) + tiff
        return Data([0xFF, 0xD8, 0xFF, 0xE1, 0, UInt8(body.count + 2)] + body) + jpeg.dropFirst(2)
    }

    /// Runs detect and returns the results' (image_id, file_name, segmentation size) per detection.
    static func detect(_ inputs: [String], _ extra: [String] = [], in dir: URL) throws -> (CLIHarness.Result, [(Int, String, [Int])]) {
        let out = dir.appendingPathComponent("results-\(UUID().uuidString).json")
        let result = try CLIHarness.mrcnn(["detect"] + inputs + model + extra + ["--json", out.path], in: dir)
        guard result.status == 0, let data = try? Data(contentsOf: out),
              let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return (result, []) }
        return (result, array.map { r in
            (r["image_id"] as? Int ?? 0, r["file_name"] as? String ?? "",
             ((r["segmentation"] as? [String: Any])?["size"] as? [Int]) ?? [])
        })
    }

    @Test("a directory, a glob and a .txt list give the same images, sorted, ids by position")
    func directoriesGlobsAndLists() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let photos = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["b.jpg", "a.jpg"] { _ = try Self.jpeg(photos, name) }
        try Data("not an image".utf8).write(to: photos.appendingPathComponent("notes.md"))
        try Data("# the photos\nphotos/b.jpg\n\nphotos/a.jpg\n".utf8).write(to: dir.appendingPathComponent("list.txt"))
        var seen: [[String: Set<Int>]] = []
        for input in [photos.path, photos.path + "/*.jpg", dir.appendingPathComponent("list.txt").path] {
            let (result, detections) = try Self.detect([input], in: dir)
            #expect(result.status == 0, "\(input): \(result.stderr)")
            #expect(!detections.isEmpty, "\(input): no detections")
            seen.append(Dictionary(grouping: detections, by: { $0.1 }).mapValues { Set($0.map(\.0)) })
        }
        #expect(seen[0] == ["a.jpg": [1], "b.jpg": [2]], "directory: \(seen[0])")
        #expect(seen[1] == seen[0], "glob: \(seen[1])")
        // A list keeps its own order (b then a), as torchvision users' lists do.
        #expect(seen[2] == ["b.jpg": [1], "a.jpg": [2]], "list: \(seen[2])")
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        for input in [empty.path, dir.path + "/nothing-*.jpg"] {
            let (result, _) = try Self.detect([input], in: dir)
            #expect(result.status == 1 && result.stderrLines.count == 1 && result.stderr.hasPrefix("mrcnn: error: "), "\(input): \(result.stderr)")
        }
    }

    @Test("a photo tagged orientation 6 is detected upright; --ignore-orientation keeps the stored pixels")
    func phonePhotosComeOutUpright() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let stored = try Data(contentsOf: try Self.jpeg(dir, "stored.jpg"))
        let phone = dir.appendingPathComponent("phone.jpg")
        try Self.withOrientation(stored, 6).write(to: phone)
        let (upright, uprightDets) = try Self.detect([phone.path], in: dir)
        #expect(upright.status == 0, "\(upright.stderr)")
        #expect(!uprightDets.isEmpty && uprightDets.allSatisfy { $0.2 == [512, 480] }, "sizes: \(uprightDets.map(\.2))")
        let (raw, rawDets) = try Self.detect([phone.path], ["--ignore-orientation"], in: dir)
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(!rawDets.isEmpty && rawDets.allSatisfy { $0.2 == [480, 512] }, "sizes: \(rawDets.map(\.2))")
    }

    @Test("a JPEG cut short is one error line naming it; --accept-truncated reads it with a warning")
    func truncatedPhotos() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let whole = try Data(contentsOf: try Self.jpeg(dir, "whole.jpg", source: "testsrc"))
        let half = dir.appendingPathComponent("half.jpg")
        try whole.prefix(whole.count / 2).write(to: half)
        let out = dir.appendingPathComponent("refused.json")
        let refused = try CLIHarness.mrcnn(["detect", half.path] + Self.model + ["--json", out.path], in: dir)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderrLines == ["mrcnn: error: \(half.path): image file is truncated (it ends before its picture does)"],
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let (accepted, _) = try Self.detect([half.path], ["--accept-truncated"], in: dir)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stderrLines.contains("mrcnn: \(half.path): image file is truncated; read with its missing part grey"),
                "\(accepted.stderr)")
    }
}
