import ArgumentParser
import Foundation
import Job
import ModelZoo
import Pipeline
import Preview

/// Writes to standard error without buffering surprises, and prints errors as one line in the tool's words.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints "mrcnn: error: <one line>" for any error.
    static func report(_ error: any Error) {
        let text = describe(error).split(whereSeparator: \.isNewline).joined(separator: " ")
        write("mrcnn: error: \(text)\n")
    }

    /// The library's errors name no command-line flag; the ones a flag of this tool caused get it here.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let JobError.nothingToControl(stages):
            return "--target-fps needs a stage that takes frame settings to adjust (\(stages.joined(separator: " or ")))"
        case let JobError.cannotResume(output, reason):
            return "cannot resume \(output): \(reason); run without --resume to start over"
        case let JobError.invalidSetting(name, value, expected): return "--\(name) must be \(expected) (got \(value))"
        case JobError.tokenWithoutServer: return "--serve-token needs --serve or --metrics HOST:PORT"
        case let JobError.badShard(text): return "--shard expects INDEX/COUNT with 0 <= INDEX < COUNT, got '\(text)'"
        case let JobError.noNumberInName(path):
            return "--image-id-from-name: '\(path)' has no number as its file name (e.g. 000000000139.jpg)"
        case let ZooError.insecureURL(base): return "refusing plain http to '\(base)': use https, a loopback mirror, or --insecure-http"
        case let ZooError.wrongModel(path, found, wanted):
            let flag = found == .keypointRCNN ? "keypoints.weights, --keypoint-weights" : "detector.weights, --weights"
            return "\(path) is a \(found.displayName) checkpoint (torchvision's \(found.rawValue)), not \(wanted.displayName): it belongs to the \(found == .keypointRCNN ? "keypoints" : "detector") stage (\(flag))"
        case let failure as StageFailure: return "stage '\(failure.stage)' failed: " + describe(failure.underlying)
        case let preview as PreviewError where preview.subject == .address: return "--serve " + preview.problem
        case let preview as PreviewError where preview.subject == .token: return "--serve-token " + preview.problem
        default: return String(describing: error)
        }
    }
}
