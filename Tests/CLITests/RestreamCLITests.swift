import Foundation
import TestPeers
import Testing

/// `-o` beyond a file, as a user types it (issue 24, issue 26 item 2): one encode feeds an MP4 and a push to a real
/// nginx-rtmp that ffprobe reads back, an HLS playlist, and MPEG-TS on standard output piped into ffprobe; a reader
/// that closes the pipe early ends the run cleanly; bad outputs are one-line errors before anything is written.
@Suite("mrcnn run -o: streams and standard output", .serialized)
struct RestreamCLITests {
    /// Video frames ffprobe decodes from `url` (a file, a playlist or a stream), or -1.
    static func frames(_ url: String, in dir: URL, extra: [String] = []) throws -> Int {
        let result = try CLIHarness.run(CLIHarness.tool("ffprobe"), ["-v", "error"] + extra + ["-count_frames", "-select_streams", "v:0",
                                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", url], in: dir, timeout: 60)
        return Int(result.stdout.split(separator: "\n").first?.split(separator: ",").first ?? "") ?? -1
    }

    /// The frame count of the closing report's first line ("mrcnn: N frames in …").
    static func reportedFrames(_ stderr: String) -> Int? {
        stderr.split(separator: "\n").first { $0.hasPrefix("mrcnn: ") && $0.contains(" frames in ") }
            .flatMap { Int($0.dropFirst("mrcnn: ".count).prefix { $0.isNumber }) }
    }

    @Test("a file and an RTMP push from one encode: ffprobe reads the stream back from nginx-rtmp, the file is whole")
    func rtmpAndFile() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let clip = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(clip, seconds: 8, rate: 10)
        let server = try RTMPServer(directory: dir)
        try server.start()
        defer { server.kill() }
        let url = "rtmp://127.0.0.1:\(server.port)/live/cli"
        // --latest reads the file at its frame rate, as a camera delivers it: the push is live.
        let (process, _, err) = try CLIHarness.launch(binary, ["run", clip.path, "--stages", "render", "--latest",
                                                               "-o", output.path, "-o", url, "--hls-segment", "1"], in: dir)
        defer { if process.isRunning { process.terminate() } }
        // The push is under way once frames are written (the first progress line). ffprobe gives up after 3 s without
        // data, so the fixed 1.5 s wait here before raced mrcnn's start-up on a busy machine.
        #expect(waitFor(60) { CLIHarness.read(err).contains("progress:") }, "\(CLIHarness.read(err))")
        let probe = try CLIHarness.run(CLIHarness.tool("ffprobe"), ["-v", "error", "-rw_timeout", "3000000", "-count_frames", "-select_streams", "v:0",
                                                                    "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", url],
                                       in: dir, timeout: 60)
        try CLIHarness.wait(process, timeout: 60)
        let stderr = CLIHarness.read(err)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let fields = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        #expect(fields.count == 4 && fields[0] == "h264" && fields[1] == "160" && fields[2] == "120", "ffprobe read \(probe.stdout) \(probe.stderr)")
        #expect((Int(fields.last ?? "") ?? 0) >= 20, "ffprobe read \(probe.stdout) frames from the server; \(stderr)")
        let written = try #require(Self.reportedFrames(stderr), "\(stderr)")
        let inFile = try CLIHarness.probe(output)["video"]
        #expect(written >= 70 && inFile == written, "the file holds every frame written: \(stderr)")
        // The summary names the stream without its key (the last path component: a stream's password).
        let shown = url.replacingOccurrences(of: "/live/cli", with: "/live/***")
        #expect(stderr.contains("rtmp \(shown): ") && !stderr.contains("/live/cli") && stderr.contains("stream packets dropped"), "\(stderr)")
    }

    @Test("DIR/index.m3u8: an HLS playlist whose segments decode to every frame")
    func hls() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let clip = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, seconds: 3, rate: 10, audio: false)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("hls"), withIntermediateDirectories: true)
        let result = try CLIHarness.mrcnn(["run", clip.path, "--stages", "render", "-o", "hls/index.m3u8", "--hls-segment", "1"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let playlist = try String(contentsOf: dir.appendingPathComponent("hls/index.m3u8"), encoding: .utf8)
        #expect(playlist.contains("#EXT-X-ENDLIST") && playlist.components(separatedBy: ".ts").count - 1 >= 2, "\(playlist)")
        #expect(try Self.frames(dir.appendingPathComponent("hls/index.m3u8").path, in: dir) == 30)
    }

    @Test("-o - is MPEG-TS on stdout: piped into ffprobe it decodes to every frame; the file beside it is whole")
    func standardOutputIntoFFprobe() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 4, rate: 10)
        let result = try CLIHarness.shell("""
            set -o pipefail
            "$MRCNN" run clip.mp4 --stages render -o - -o out.mp4 2>err.txt | ffprobe -v error -count_frames -select_streams v:0 \
              -show_entries stream=codec_name,nb_read_frames -of csv=p=0 -i -
            """, in: dir)
        let stderr = CLIHarness.read(dir.appendingPathComponent("err.txt"))
        #expect(result.status == 0, "\(result.stderr) \(stderr)")
        // (ffprobe lists an MPEG-TS stream under its program and again under the streams.)
        #expect(result.stdout.split(separator: "\n").last == "h264,40", "ffprobe read \(result.stdout); \(stderr)")
        #expect(try CLIHarness.probe(dir.appendingPathComponent("out.mp4"))["video"] == 40)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path), "never a file named -")
    }

    @Test("a reader that closes the pipe early (head -c) ends the run cleanly: exit 0, the file output finalised")
    func closedPipe() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 120, rate: 10, audio: false)
        for output in ["--json -", "-o -"] {
            let result = try CLIHarness.shell("""
                "$MRCNN" run clip.mp4 --stages render \(output) -o keep.mp4 2>err.txt | head -c 2000 >/dev/null
                echo "${PIPESTATUS[0]}"
                """, in: dir)
            let stderr = CLIHarness.read(dir.appendingPathComponent("err.txt"))
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(output): exit \(result.stdout); \(stderr)")
            #expect(stderr.contains("standard output closed by its reader") && !stderr.contains("mrcnn: error"), "\(output): \(stderr)")
            let written = try #require(Self.reportedFrames(stderr), "\(stderr)")
            let inFile = try CLIHarness.probe(dir.appendingPathComponent("keep.mp4"))["video"]
            #expect(written < 1200 && inFile == written, "\(output): \(stderr)")
        }
    }

    @Test("detect --json - writes the COCO results array to stdout, notes on stderr")
    func detectToStandardOutput() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let image = dir.appendingPathComponent("img.png")
        let made = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64", "-frames:v", "1", image.path], in: dir)
        #expect(made.status == 0)
        let result = try CLIHarness.mrcnn(["detect", image.path, "--weights", "seeded:0", "--min-size", "64", "--max-size", "100",
                                           "--json", "-"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let array = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(array != nil && result.stderr.contains("detections for 1 images to -"), "\(result.stdout.prefix(200)) \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
    }

    @Test("bad outputs are one-line errors and nothing is written")
    func badOutputs() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 1, rate: 10, audio: false)
        let cases: [([String], String)] = [
            (["-o", "out.mp4", "-o", "rtmp://127.0.0.1/onlyapp"], "rtmp://127.0.0.1/onlyapp: "),
            (["-o", "out.mp4", "-o", "srt://127.0.0.1"], "an SRT URL needs a port"),
            (["-o", "out.mp4", "-o", "udp://127.0.0.1:1234"], "unsupported stream URL"),
            (["-o", "out.mp4", "-o", "nodir/index.m3u8"], "directory nodir does not exist"),
            (["-o", "out.mp4", "-o", "second.mp4"], "one video file per run"),
            (["-o", "-", "--json", "-"], "only one output can go to standard output"),
        ]
        for (outputs, expected) in cases {
            let result = try CLIHarness.mrcnn(["run", "clip.mp4", "--stages", "render"] + outputs, in: dir, timeout: 60)
            #expect(result.status == 1 && result.stderrLines.count == 1, "\(outputs): \(result.stderr)")
            #expect(result.stderr.hasPrefix("mrcnn: error: ") && result.stderr.contains(expected), "\(outputs): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix("std") }
            #expect(Set(left) == ["clip.mp4"], "\(outputs) left \(left)")
        }
    }
}
