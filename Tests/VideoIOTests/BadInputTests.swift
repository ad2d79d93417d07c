import Foundation
import Testing
import VideoIO

/// Every bad input ends in one `VideoIOError` whose one-line description names the file — no crash, no hang.
@Suite struct BadInputTests {
    /// Opens `path` and decodes all of it, returning the error it ended with.
    private func failure(opening path: String) -> VideoIOError? {
        do {
            let source = try VideoSource(url: path)
            while try source.nextFrame() != nil {}
            return nil
        } catch let error as VideoIOError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    private func expectOneLine(_ error: VideoIOError?, naming path: String, saying words: String) {
        guard let error else { Issue.record("\(path): no error"); return }
        let text = error.description
        #expect(!text.contains("\n"))
        #expect(text.contains(path), "\(text)")
        #expect(text.lowercased().contains(words), "\(text)")
    }

    @Test func missingFile() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("nope.mp4")
        expectOneLine(failure(opening: path), naming: path, saying: "no such file")
    }

    @Test func zeroByteFile() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("empty.mp4")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        expectOneLine(failure(opening: path), naming: path, saying: "empty")
    }

    @Test func textFile() throws {
        let media = try Media()
        defer { media.remove() }
        for name in ["notes.txt", "notes.mp4"] {
            let path = media.path(name)
            try Data(String(repeating: "this is not a video\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
            expectOneLine(failure(opening: path), naming: path, saying: "cannot open")
        }
    }

    @Test func truncatedMP4() throws {
        let media = try Media()
        defer { media.remove() }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Media.sampleClip))
        let path = media.path("half.mp4")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let source = try VideoSource(url: path)
        var frames = 0
        do {
            while try source.nextFrame() != nil { frames += 1 }
            Issue.record("truncated file decoded without an error")
        } catch let error as VideoIOError {
            expectOneLine(error, naming: path, saying: "truncated")
        }
        #expect(frames > 30 && frames < 60)
        #expect(source.corruptPackets > 0)
        #expect(try source.nextFrame() == nil)   // the error is reported once, then the source is at its end
    }

    @Test func audioOnlyFileHasNoVideo() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("tone.m4a")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.5", "-c:a", "aac", path])
        expectOneLine(failure(opening: path), naming: path, saying: "no video")
        #expect(throws: VideoIOError.self) { try ImageFile.read(path: path) }
    }

    @Test func imageReadOfNonImage() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("fake.png")
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ImageFile.read(path: path)
            Issue.record("fake.png decoded")
        } catch let error as VideoIOError {
            #expect(error.description.contains(path))
        }
    }

    @Test func unwritableOutputDirectory() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("missing-dir/out.mp4")
        do {
            _ = try VideoSink(path: path, width: 64, height: 48, timeBaseNum: 1, timeBaseDen: 25, frameRate: 25, audioFrom: nil)
            Issue.record("sink opened in a missing directory")
        } catch let error as VideoIOError {
            expectOneLine(error, naming: path, saying: "cannot create output")
        }
        #expect(throws: VideoIOError.self) {
            try ImageFile.writePNG(path: path.replacingOccurrences(of: ".mp4", with: ".png"), width: 1, height: 1, rgb: [0, 0, 0])
        }
    }
}
