import ArgumentParser
import Detector
import Job
import Tensor

/// `mrcnn calibrate INPUT... -o FILE`: int8 scales measured on the user's frames (`CalibrationJob`); the detector's
/// options come as generated flags.
struct CalibrateCommand: ParsableCommand {
    static let flags = ShorthandFlags(stages: ["detector"], options: StillImageDetector.options)
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "calibrate", abstract: "Measure int8 scales on your own images or video for --precision int8 --calibration FILE.",
                             discussion: flags.help)
    }

    @Argument(help: "Images, video files, directories, globs, .txt lists: frames are taken evenly over all of them.")
    var inputs: [String]
    @Option(name: .shortAndLong, help: "The calibration file to write (JSON).") var output: String
    @Option(help: "Frames to calibrate on.") var frames = 64
    @Option(help: "Calibration rules tried per input, comma-separated (minmax, pN for a percentile, entropy): each input takes the one with its least quantization error.")
    var rules = "minmax"
    @Option(name: .customLong("stage-option"), help: .hidden) var flagOptions: [String] = []

    func makeJob() throws -> CalibrationJob {
        var job = CalibrationJob(inputs: inputs, output: output, options: try StageFlags.assignments(flagOptions))
        (job.frames, job.cacheDirectory) = (frames, ToolEnvironment.cacheDirectory)
        job.rules = try rules.split(separator: ",").map { guard let r = CalibrationRule(String($0)) else { throw CLIError("--rules: unknown rule '\($0)'") }; return r }
        job.onFrame = { n, total, source in StandardError.write("calibration frame \(n)/\(total): \(source)\n") }
        return job
    }

    func validate() throws { try JobConsole.checked { try makeJob().check() } }

    func run() throws {
        let report = try JobConsole.checked { try makeJob().run() }
        let c = report.calibration, rules = Dictionary(grouping: c.inputs.values, by: \.rule).mapValues(\.count)
        StandardError.write(String(format: "wrote %@: %d inputs of %@ on %d frames at short side %d (%@) in %.1f s\n", output,
                                   c.inputs.count, c.model, c.frames, c.shortSide,
                                   rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), report.seconds))
    }
}
