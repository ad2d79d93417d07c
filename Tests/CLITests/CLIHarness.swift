import Foundation
import Testing

/// Runs the built `mrcnn` binary and the FFmpeg command-line tools for the CLI tests.
enum CLIHarness {
    struct Result {
        var status: Int32
        var exitedNormally: Bool
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(whereSeparator: \.isNewline).map(String.init) }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The `mrcnn` executable in the build products directory that holds this test bundle.
    static let binary: URL? = {
        var starts: [URL] = Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe))
        }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL)
        for start in starts {
            var dir = start.deletingLastPathComponent()
            for _ in 0..<5 {
                let candidate = dir.appendingPathComponent("mrcnn")
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                   FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// A fresh temporary directory, removed by the caller with `cleanUp`.
    static func makeTemporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mrcnn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func cleanUp(_ dir: URL) { try? FileManager.default.removeItem(at: dir) }

    /// Starts `executable` with `arguments` (and `environment` added to this process's), stdout and stderr going
    /// to files in `dir`.
    static func launch(_ executable: URL, _ arguments: [String], in dir: URL, environment: [String: String] = [:]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = dir
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let tag = UUID().uuidString
        let out = dir.appendingPathComponent("stdout-\(tag).txt"), err = dir.appendingPathComponent("stderr-\(tag).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits for `process`, terminating it (and failing) after `timeout` seconds.
    static func wait(_ process: Process, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw Failure(description: "\(process.executableURL?.lastPathComponent ?? "process") hung for \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
    }

    static func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    /// Runs a program to completion.
    static func run(_ executable: URL, _ arguments: [String], in dir: URL, timeout: TimeInterval = 180,
                    environment: [String: String] = [:]) throws -> Result {
        let (process, out, err) = try launch(executable, arguments, in: dir, environment: environment)
        try wait(process, timeout: timeout)
        return Result(status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
                      stdout: read(out), stderr: read(err))
    }

    /// Runs `mrcnn` with `arguments` in `dir`.
    static func mrcnn(_ arguments: [String], in dir: URL, timeout: TimeInterval = 180, environment: [String: String] = [:]) throws -> Result {
        guard let binary else { throw Failure(description: "mrcnn binary not found next to the test bundle") }
        return try run(binary, arguments, in: dir, timeout: timeout, environment: environment)
    }

    /// Runs a bash pipeline in `dir` (`MRCNN` in it is the binary's path): what a user types into a shell.
    static func shell(_ script: String, in dir: URL, timeout: TimeInterval = 120) throws -> Result {
        guard let binary else { throw Failure(description: "mrcnn binary not found next to the test bundle") }
        return try run(tool("bash"), ["-c", script], in: dir, timeout: timeout, environment: ["MRCNN": binary.path])
    }

    /// The port of the preview a running `mrcnn` announced in its stderr file ("preview at http://127.0.0.1:PORT/"),
    /// waiting up to 30 s for it.
    static func previewPort(_ err: URL) -> Int? {
        var port: Int?
        waitFor(30) {
            let text = read(err)
            guard let range = text.range(of: "preview at http://127.0.0.1:") else { return false }
            port = Int(text[range.upperBound...].prefix { $0.isNumber })
            return port != nil
        }
        return port
    }

    static func tool(_ name: String) -> URL {
        for dir in ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: "/usr/bin/\(name)")
    }

    /// Generates a test clip (testsrc + 440 Hz sine audio) with ffmpeg.
    static func makeClip(_ path: URL, seconds: Int, size: String = "160x120", rate: Int = 25,
                         audio: Bool = true, faststart: Bool = false) throws {
        var args = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate):duration=\(seconds)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)"] }
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if audio { args += ["-c:a", "aac", "-shortest"] }
        if faststart { args += ["-movflags", "+faststart"] }
        args.append(path.path)
        let result = try run(tool("ffmpeg"), args, in: path.deletingLastPathComponent())
        guard result.status == 0 else { throw Failure(description: "ffmpeg failed: \(result.stderr)") }
    }

    /// Decoded frame counts per stream type ("video", "audio") as ffprobe reports them.
    static func probe(_ path: URL) throws -> [String: Int] {
        let result = try run(tool("ffprobe"), ["-v", "error", "-count_frames", "-show_entries",
                                                "stream=codec_type,nb_read_frames", "-of", "csv=p=0", path.path],
                             in: path.deletingLastPathComponent())
        guard result.status == 0 else { throw Failure(description: "ffprobe failed: \(result.stderr)") }
        var counts: [String: Int] = [:]
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",").map(String.init)
            if fields.count >= 2, let n = Int(fields[1]) { counts[fields[0]] = n }
        }
        return counts
    }
}
