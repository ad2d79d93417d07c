import ArgumentParser
import Detector
import Job
import Foundation
import MaskRCNN
import Pipeline
import Results
import Tensor
import VideoIO

/// `mrcnn detect IMAGE... --json OUT.json`: Mask R-CNN on still images, written as a COCO results array.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect and segment objects in images; write COCO results JSON (bbox, score, category, RLE mask).")

    @Argument(help: "Images (PNG, JPEG, anything FFmpeg decodes). image_id is the 1-based argument position.")
    var images: [String]

    @Option(help: "Weights: torchvision checkpoint (.pth, either layout) or .safetensors; 'seeded:N' for reproducible random weights. Default: the official file in the cache directory.")
    var weights: String?

    @Option(help: "Minimum detection score (torchvision's box_score_thresh).")
    var scoreThreshold: Float = 0.05

    @Option(help: "Short side of the model input.")
    var minSize: Int = 800

    @Option(help: "Upper bound of the long side of the model input.")
    var maxSize: Int = 1333

    @Option(help: "Output COCO results JSON.")
    var json: String

    func run() throws {
        do {
            try detect()
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }

    private func detect() throws {
        guard !images.isEmpty else { throw CLIError("no input images") }
        try OutputPaths.checkWritable(json)
        for path in images where !FileManager.default.isReadableFile(atPath: path) {
            throw CLIError("\(path): no such file")
        }
        var options = ModelOptions()
        options.scoreThreshold = scoreThreshold
        options.minSize = minSize
        options.maxSize = maxSize
        let model = try ModelLoader.model(option: weights, options: options)
        let workspace = Workspace()
        var results: [COCOResult] = []
        let start = Date()
        for (i, path) in images.enumerated() {
            let img = try ImageFile.read(path: path)
            let t0 = Date()
            let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb), workspace: workspace)
            StandardError.write(String(format: "%@: %d detections in %.2f s\n", path, detections.count, Date().timeIntervalSince(t0)))
            results += detections.map { d in
                COCOResult(imageID: i + 1, fileName: (path as NSString).lastPathComponent, instance: Instance(d),
                           height: img.height, width: img.width)
            }
        }
        try COCOResults.write(results, to: json)
        StandardError.write(String(format: "wrote %d detections for %d images to %@ (%.1f s)\n",
                                   results.count, images.count, json, Date().timeIntervalSince(start)))
    }
}
