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

    /// Writes the first half of `input`'s bytes to `output` (a file cut off mid-way) and returns `output`.
    private func halve(_ input: String, into output: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: output))
        return output
    }

    /// Decodes `path` to its end, expecting every good frame first and then one one-line "truncated" error.
    private func decodeExpectingTruncation(_ path: String) throws -> (VideoSource, frames: Int) {
        let source = try VideoSource(url: path)
        var frames = 0
        do {
            while try source.nextFrame() != nil { frames += 1 }
            Issue.record("\(path): truncated file decoded without an error")
        } catch let error as VideoIOError {
            expectOneLine(error, naming: path, saying: "truncated")
        }
        return (source, frames)
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
        let path = try halve(Media.sampleClip, into: media.path("half.mp4"))
        let (source, frames) = try decodeExpectingTruncation(path)
        #expect(frames > 30 && frames < 60)
        #expect(source.corruptPackets > 0)
        #expect(try source.nextFrame() == nil)   // the error is reported once, then the source is at its end
    }

    /// The same rule for every container: a cut-off file delivers its frames, then one "truncated" error;
    /// a whole file (also one whose audio outlasts its video) ends without one.
    @Test(arguments: ["mkv", "mp4", "webm", "mov"])
    func truncatedContainers(ext: String) throws {
        let media = try Media()
        defer { media.remove() }
        let codec = ext == "webm" ? ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "2M"]
                                  : ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        let whole = media.path("whole.\(ext)")
        // Noise keeps every frame large, so half the bytes is about half the frames.
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10,noise=alls=40:allf=t",
                                 "-t", "4"] + codec + (ext == "mp4" || ext == "mov" ? ["-movflags", "+faststart"] : []) + [whole])
        #expect(failure(opening: whole) == nil, "\(ext): a whole file ends cleanly")
        let path = try halve(whole, into: media.path("half.\(ext)"))
        let (_, frames) = try decodeExpectingTruncation(path)
        #expect(frames > 5 && frames < 35, "\(ext): \(frames) frames")
    }

    @Test func wholeMKVWithLongerAudioIsNotTruncated() throws {
        let media = try Media()
        defer { media.remove() }
        let path = media.path("long-audio.mkv")
        try Media.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                                 "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libx264", "-preset", "ultrafast",
                                 "-pix_fmt", "yuv420p", "-c:a", "libopus", path])
        #expect(failure(opening: path) == nil)
    }

    @Test func damagedPacketInsideTheStreamIsSkipped() throws {
        let media = try Media()
        defer { media.remove() }
        // 20 MJPEG frames (every frame stands alone); garble the 10th frame.
        let path = try media.makeClip("m.mkv", seconds: 0.8, size: "160x120", audio: false, extra: ["-c:v", "mjpeg", "-q:v", "3"])
        let json = try Media.run("ffprobe", ["-v", "error", "-show_entries", "packet=pos,size", "-of", "json", path])
        let packets = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["packets"] as? [[String: Any]]
        let tenth = try #require(packets?[9])
        let pos = try #require(Int(tenth["pos"] as? String ?? "")), size = try #require(Int(tenth["size"] as? String ?? ""))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Garble the picture data after the JPEG start marker (the container's framing stays intact), so the
        // demuxer delivers the packet and the decoder rejects it.
        let window = bytes[pos..<min(bytes.count, pos + size)]
        let soi = try #require(zip(window.indices, window.indices.dropFirst()).first { bytes[$0.0] == 0xFF && bytes[$0.1] == 0xD8 }?.0)
        var seed: UInt32 = 12345
        for i in (soi + 2)..<min(bytes.count, soi + size / 2) {
            seed = seed &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: seed >> 16)
        }
        try bytes.write(to: URL(fileURLWithPath: path))

        let source = try VideoSource(url: path)
        var frames: [DecodedFrame] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        #expect(frames.count == 19)
        #expect(source.corruptPackets == 1)
        #expect(frames.allSatisfy { $0.rgb.count == 160 * 120 * 3 })
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
