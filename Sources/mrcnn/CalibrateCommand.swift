import ArgumentParser
import Detector
import Job

/// `mrcnn calibrate INPUT... -o FILE`: int8 scales measured on the user's frames (`CalibrationJob`); the detector's
/// options come as generated flags.
struct CalibrateCommand: ParsableCommand {
    static let flags = ShorthandFlags(stages: ["detector"], options: StillImageDetector.options)
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "calibrate", abstract: "Measure int8 scales on frames spread over your images or videos for --precision int8 --calibration FILE (without one, run and detect measure on their first 16 frames).",
                             discussion: flags.help)
    }

    @Argument(help: "Images, video files, directories, globs, .txt lists: frames are taken evenly over all of them.") var inputs: [String]
    @Option(name: .shortAndLong, help: "The calibration file to write (JSON).") var output: String
    @Option(help: "Frames to calibrate on.") var frames = 64
    @Option(help: "Calibration rules, comma-separated (minmax, pN for a percentile, entropy): each input takes the one with its least quantization error.")
    var rules = "minmax"
    @Flag(help: "Calibrate Keypoint R-CNN (the keypoints stage's model): --weights seeded:N and unset --weights mean its weights. A weights file is recognised by its tensors without this flag.")
    var keypoints = false
    @Option(name: .customLong("stage-option"), help: .hidden) var flagOptions: [String] = []

    func makeJob() throws -> CalibrationJob {
        var job = CalibrationJob(inputs: inputs, output: output, options: try StageFlags.assignments(flagOptions))
        (job.frames, job.cacheDirectory, job.rules, job.keypoints) = (frames, ToolEnvironment.cacheDirectory, try CalibrationJob.rules(rules), keypoints)
        job.onFrame = { n, total, source in StandardError.write("calibration frame \(n)/\(total): \(source)\n") }
        return job
    }

    func validate() throws { try JobConsole.checked { try makeJob().check() } }

    func run() throws { StandardError.write(try JobConsole.checked { try makeJob().run() }.line + "\n") }
}
