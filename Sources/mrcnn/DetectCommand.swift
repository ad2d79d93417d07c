import ArgumentParser
import Detector
import Foundation
import Job

/// `mrcnn detect IMAGE... --json OUT.json`: Mask R-CNN (or any torchvision R-CNN) on still images, written as a
/// COCO results array (`StillImageJob`). The detector's options come as generated flags.
struct DetectCommand: ParsableCommand {
    static let flags = ShorthandFlags(stages: ["detector"], options: StillImageDetector.options)

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "detect",
                             abstract: "Detect and segment objects in images; write COCO results JSON (bbox, score, category, RLE mask).",
                             discussion: flags.help)
    }

    @Argument(help: "Images (PNG, JPEG as PIL decodes it, anything FFmpeg decodes): files, directories, globs ('photos/*.jpg'), .txt lists; each sorted by name. image_id is the 1-based position, or the file name's number with --image-id-from-name.")
    var images: [String]
    @OptionGroup(title: "Still images") var stills: StillFlags

    @Option(help: "Output COCO results JSON; - writes it to stdout.")
    var json: String
    @Flag(help: "Take each image_id from the file name's number (000000000139.jpg → 139), as COCO's val2017 files are named, so COCOeval reads the output as it is.")
    var imageIDFromName = false
    @Option(name: .customLong("stage-option"), help: .hidden)
    var flagOptions: [String] = []

    func makeJob() throws -> StillImageJob {
        var job = StillImageJob(images: images, json: json, options: try StageFlags.assignments(flagOptions))
        (job.imageIDFromName, job.imageOptions.applyOrientation) = (imageIDFromName, !stills.ignoreOrientation)
        (job.imageOptions.acceptTruncated, job.warn) = (stills.acceptTruncated, { StandardError.write("mrcnn: \($0)\n") })
        job.cacheDirectory = ToolEnvironment.cacheDirectory
        job.onImage = { path, count, seconds in
            StandardError.write(String(format: "%@: %d detections in %.2f s\n", path, count, seconds))
        }
        return job
    }

    func validate() throws {
        try JobConsole.checked { try makeJob().check() }
    }

    func run() throws {
        let job = try JobConsole.checked { try makeJob() }
        let report = try JobConsole.checked { try job.run() }
        StandardError.write(String(format: "wrote %d detections for %d images to %@ (%.1f s)\n",
                                   report.instances, report.images, job.json, report.seconds))
    }
}
