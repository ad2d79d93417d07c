import Foundation
import Testing

/// Every bad input ends with a non-zero exit, exactly one `mrcnn: error:` line on stderr, and no crash or hang.
@Suite("mrcnn run with bad input", .serialized)
struct BadInputTests {
    enum Case: String, CaseIterable, Sendable {
        case missingFile, zeroByteFile, textFile, audioOnlyFile, truncatedMP4, truncatedFaststartMP4
        case unwritableOutput, outputIsInput, unknownStage, invalidChain, badBatchSize
        case unknownOption, badOptionValue, drawBeforeDetect
    }

    /// Arguments that make a run on a good clip fail before it starts: stage chains, options, batch size.
    static let badSettings: [Case: [String]] = [
        .unknownStage: ["--stages", "render,bogus"],
        .invalidChain: ["--stages", "render,render"],
        .badBatchSize: ["--batch-size", "0"],
        .unknownOption: ["--option", "nosuch=1"],
        .badOptionValue: ["--stages", "render", "--option", "tracker.max-age=soon"],
        .drawBeforeDetect: ["--stages", "render,detector"],
    ]

    /// Prepares the case's files in `dir` and returns the `mrcnn` arguments.
    func arguments(for kase: Case, in dir: URL) throws -> [String] {
        let out = dir.appendingPathComponent("out.mp4").path
        let clip = dir.appendingPathComponent("clip.mp4")
        func write(_ name: String, _ data: Data) -> String {
            let url = dir.appendingPathComponent(name)
            _ = FileManager.default.createFile(atPath: url.path, contents: data)
            return url.path
        }
        switch kase {
        case .missingFile:
            return ["run", dir.appendingPathComponent("nope.mp4").path, "-o", out]
        case .zeroByteFile:
            return ["run", write("empty.mp4", Data()), "-o", out]
        case .textFile:
            return ["run", write("notes.mp4", Data("just some text\nnot a video\n".utf8)), "-o", out]
        case .audioOnlyFile:
            let audio = dir.appendingPathComponent("tone.m4a")
            let result = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-y", "-f", "lavfi", "-i",
                                            "sine=duration=1", "-c:a", "aac", audio.path], in: dir)
            #expect(result.status == 0)
            return ["run", audio.path, "-o", out]
        case .truncatedMP4, .truncatedFaststartMP4:
            try CLIHarness.makeClip(clip, seconds: 4, size: "320x240", faststart: kase == .truncatedFaststartMP4)
            let data = try Data(contentsOf: clip)
            return ["run", write("cut.mp4", data.prefix(data.count / 2)), "-o", out]
        case .unwritableOutput:
            try CLIHarness.makeClip(clip, seconds: 1, audio: false)
            return ["run", clip.path, "-o", dir.appendingPathComponent("missing-dir/out.mp4").path]
        case .outputIsInput:
            try CLIHarness.makeClip(clip, seconds: 1, audio: false)
            return ["run", clip.path, "-o", clip.path]
        case .unknownStage, .invalidChain, .badBatchSize, .unknownOption, .badOptionValue, .drawBeforeDetect:
            try CLIHarness.makeClip(clip, seconds: 1, audio: false)
            return ["run", clip.path, "-o", out] + Self.badSettings[kase, default: []]
        }
    }

    @Test("non-zero exit and one error line", arguments: Case.allCases)
    func badInput(_ kase: Case) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let args = try arguments(for: kase, in: dir)
        let inputBefore = try? Data(contentsOf: URL(fileURLWithPath: args[1]))
        let result = try CLIHarness.mrcnn(args, in: dir, timeout: 120)
        #expect(result.exitedNormally, "\(kase): crashed")
        #expect(result.status != 0 && result.status != 130, "\(kase): exit \(result.status)")
        let errors = result.stderrLines.filter { $0.hasPrefix("mrcnn: error: ") }
        #expect(errors.count == 1, "\(kase): stderr was \(result.stderr)")
        #expect(result.stderrLines.last?.hasPrefix("mrcnn: error: ") == true, "\(kase): \(result.stderr)")
        if kase != .truncatedFaststartMP4 {
            // Nothing was decoded, so nothing but the error line is printed.
            #expect(result.stderrLines.count == 1, "\(kase): stderr was \(result.stderr)")
        }
        let inputAfter = try? Data(contentsOf: URL(fileURLWithPath: args[1]))
        #expect(inputBefore == inputAfter, "\(kase): the input file changed")
    }
}
