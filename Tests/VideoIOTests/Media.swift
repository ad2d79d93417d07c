import Foundation
import VideoIO

/// Test media made at test time with the ffmpeg/ffprobe binaries, in a fresh temporary directory per test.
struct Media {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("videoio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// The repository root, found from this file's location (Tests/VideoIOTests/Media.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var sampleClip: String { repoRoot.appendingPathComponent("samples/vtest.mp4").path }

    /// Runs a tool (found on PATH) and returns its stdout; throws with its stderr when it fails.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        // Files, not pipes: Foundation's pipe reads can trap on EINTR when many tests spawn processes at once.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("videoio-run-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = (try? Data(contentsOf: errURL)) ?? Data()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(message: "\(tool) \(arguments.joined(separator: " ")): \(String(decoding: stderr, as: UTF8.self))")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// Starts a tool (found on PATH) in the background with its stdout and stderr going to `output`.
    static func spawn(_ tool: String, _ arguments: [String], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits up to `seconds` for `process` to exit, then kills it.
    static func wait(_ process: Process?, seconds: Double) {
        guard let process else { return }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct ToolFailure: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// A 320×240 (or other size) 25 fps testsrc clip, H.264 yuv420p in MP4, optionally with a 440 Hz AAC track.
    func makeClip(_ name: String, seconds: Double = 2, size: String = "320x240", audio: Bool,
                  extra: [String] = []) throws -> String {
        let output = path(name)
        var args = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"] }
        args += ["-t", String(seconds)] + extra
        if extra.isEmpty { args += ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast"] }
        if audio { args += ["-c:a", "aac", "-b:a", "64k"] }
        try Self.run("ffmpeg", args + [output])
        return output
    }

    /// Per-stream facts from ffprobe: codec type, codec name and packet count.
    struct StreamFacts: Equatable { let type: String; let codec: String; let packets: Int }

    static func probeStreams(_ path: String) throws -> [StreamFacts] {
        let json = try run("ffprobe", ["-v", "error", "-count_packets", "-show_entries",
                                       "stream=codec_type,codec_name,nb_read_packets", "-of", "json", path])
        let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let streams = root?["streams"] as? [[String: Any]] ?? []
        return streams.map {
            StreamFacts(type: $0["codec_type"] as? String ?? "", codec: $0["codec_name"] as? String ?? "",
                        packets: Int($0["nb_read_packets"] as? String ?? "") ?? -1)
        }
    }

    /// Stream index of each packet in file order.
    static func packetOrder(_ path: String) throws -> [Int] {
        try run("ffprobe", ["-v", "error", "-show_entries", "packet=stream_index", "-of", "csv=p=0", path])
            .split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Every frame of a file (pts, time, rgb) through VideoSource.
    static func decodeAll(_ path: String) throws -> (info: VideoInfo, frames: [DecodedFrame]) {
        let source = try VideoSource(url: path)
        var frames: [DecodedFrame] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        return (source.info, frames)
    }

    /// Decodes `input` and re-encodes every frame into `output` with its own pts (audio copied from `input`).
    static func transcode(_ input: String, to output: String, copyAudio: Bool = true) throws -> [DecodedFrame] {
        let source = try VideoSource(url: input)
        let info = source.info
        let sink = try VideoSink(path: output, width: info.width, height: info.height, timeBaseNum: info.timeBaseNum,
                                 timeBaseDen: info.timeBaseDen, frameRate: info.averageFrameRate,
                                 audioFrom: copyAudio ? input : nil, preset: "ultrafast")
        var frames: [DecodedFrame] = []
        while let frame = try source.nextFrame() {
            try sink.write(rgb: frame.rgb, pts: frame.pts)
            frames.append(frame)
        }
        try sink.finish()
        return frames
    }

    /// Mean absolute difference of two equally long byte buffers.
    static func meanAbsError(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var sum = 0
        for i in a.indices { sum += abs(Int(a[i]) - Int(b[i])) }
        return Double(sum) / Double(max(a.count, 1))
    }
}
