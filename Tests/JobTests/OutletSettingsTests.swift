import Foundation
import Job
import Pipeline
import Publish
import Testing
import VideoIO

/// What a run checks of its doors out before any I/O: `-o` values sorted into one file and live outputs, one
/// standard output at most, the broker settings, and the option lists a host reads with the stages' declarations.
@Suite("outlet settings")
struct OutletSettingsTests {
    @Test("-o values: one file, any number of streams (- is MPEG-TS on stdout), HLS segments as given")
    func outputsSplit() throws {
        let (file, streams) = try OutputPaths.split(["out.mp4", "rtmp://h/live/k", "srt://:9000?mode=listener", "-", "index.m3u8"],
                                                    hlsSegment: 1.5)
        #expect(file == "out.mp4")
        #expect(streams.map(\.kind) == [.rtmp, .srt, .stdout, .hls])
        #expect(streams.last?.segmentSeconds == 1.5)
        #expect(try OutputPaths.split(["-"]).file == nil)
        #expect(throws: JobError.videoFilesCollide(["a.mp4", "b.mp4"])) { try OutputPaths.split(["a.mp4", "b.mp4"]) }
        #expect(throws: VideoIOError.self) { try OutputPaths.split(["a.mp4", "rtmp://h/onlyapp"]) }
    }

    @Test("standard output is one output's, and a run writing there cannot be resumed")
    func oneStandardOutput() throws {
        var job = VideoJob(input: "in.mp4", chain: ["render"])
        try job.setOutputs(["-"])
        job.results.json = "-"
        #expect(throws: JobError.standardOutputTwice) { try job.checkPaths() }
        job.results.json = nil
        job.resume = true
        #expect(throws: JobError.resumeToStandardOutput) { try job.checkPaths() }
    }

    @Test("broker settings: the URL, the login file and the CA are checked before anything connects")
    func publishSettings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outlets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let login = dir.appendingPathComponent("login").path
        try "cam:pw\n".write(toFile: login, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: login)
        let env = PublishCredentials(user: "envuser", password: "envpw")
        let fromFile = try PublishSettings(url: "mqtt://b/t", credentialsFile: login, login: env).resolve()
        #expect(fromFile.options.credentials == PublishCredentials(user: "cam", password: "pw"), "the file wins over the environment")
        #expect(try PublishSettings(url: "mqtt://b/t", login: env).resolve().options.credentials == env)
        #expect(try PublishSettings(url: "mqtts://b/t").resolve().target.port == 8883)
        for bad in [PublishSettings(url: "http://b/t"), PublishSettings(url: "mqtt://b/t", caFile: login),
                    PublishSettings(url: "mqtts://b/t", caFile: dir.appendingPathComponent("none.pem").path),
                    PublishSettings(url: "mqtt://b/t", credentialsFile: dir.appendingPathComponent("none").path)] {
            #expect(throws: PublishError.self, "\(bad.url)") { try bad.resolve() }
        }
    }

    @Test("a host's own flags read values as the stages declare them")
    func flagValues() throws {
        let key = OptionKey<Int>.int("min-size", default: 800, atLeast: 32, help: "")
        #expect(try StageFlags.list("800,480", key, flag: "min-sizes") == [800, 480])
        #expect(throws: StageFlags.Problem.invalid(flag: "min-sizes", value: "abc", expected: key.expected)) {
            try StageFlags.list("800,abc", key, flag: "min-sizes")
        }
        #expect(throws: StageFlags.Problem.noValues(flag: "min-sizes")) { try StageFlags.list("", key, flag: "min-sizes") }
        #expect(try StageFlags.assignments(["a.b=1", "a.b=2", "c.d=x"]) == ["a.b": "2", "c.d": "x"])
        #expect(throws: StageFlags.Problem.invalid(flag: "option", value: "nodot", expected: "STAGE.OPTION=VALUE")) {
            try StageFlags.assignments(["nodot"])
        }
    }
}
