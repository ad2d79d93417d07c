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

    @Argument(help: "Images (PNG, JPEG as PIL decodes it, anything FFmpeg decodes). image_id is the 1-based argument position, or the file name's number with --image-id-from-name.")
    var images: [String]

    @Option(help: "Weights: torchvision checkpoint (.pth, either layout) or .safetensors; 'seeded:N' for reproducible random weights. Default: the official file in the cache directory.")
    var weights: String?

    @Option(help: "Minimum detection score (torchvision's box_score_thresh).")
    var scoreThreshold: Float = 0.05

    @Option(help: "Short side of the model input.")
    var minSize: Int = 800

    @Option(help: "Upper bound of the long side of the model input.")
    var maxSize: Int = 1333

    @Option(help: "Model arithmetic: fp32 (default, torchvision parity), bf16 (AMX/AVX512-BF16; fp32 with a warning elsewhere), auto (bf16 where the CPU has bf16 units, else fp32) or bf16-emulated.")
    var precision: String = "fp32"

    @Option(help: "RPN proposals kept per image after NMS (torchvision's rpn_post_nms_top_n_test).")
    var proposals: Int = 1000

    @Option(help: "Most detections kept per image (torchvision's box_detections_per_img).")
    var detections: Int = 100

    @Option(help: "Output COCO results JSON.")
    var json: String

    @Option(help: "Keep only these COCO classes, by name or id (e.g. person,car), before the mask head.")
    var classes: String?

    @Flag(help: "Take each image_id from the file name's number (000000000139.jpg → 139), as COCO's val2017 files are named, so COCOeval reads the output as it is.")
    var imageIDFromName = false

    func validate() throws {
        try JobConsole.reportingErrors {
            guard scoreThreshold.isFinite, (0...1).contains(scoreThreshold) else {
                throw CLIError("--score-threshold must be a score from 0 to 1 (got \(scoreThreshold))")
            }
            _ = try classes.map(RenderCommand.parseClasses)
            guard proposals >= 1 else { throw CLIError("--proposals must be at least 1 (got \(proposals))") }
            guard detections >= 1 else { throw CLIError("--detections must be at least 1 (got \(detections))") }
            if imageIDFromName {
                for path in images where Self.numericID(path) == nil {
                    throw CLIError("--image-id-from-name: '\(path)' has no number as its file name (e.g. 000000000139.jpg)")
                }
            }
        }
    }

    /// 139 for ".../000000000139.jpg"; nil when the name (without extension) is not a number.
    static func numericID(_ path: String) -> Int? {
        Int(((path as NSString).lastPathComponent as NSString).deletingPathExtension)
    }

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
        options.rpnPostNMSTopN = proposals
        options.detectionsPerImage = detections
        guard let p = Precision.named(precision) else { throw CLIError("--precision must be fp32, bf16, auto or bf16-emulated (got '\(precision)')") }
        options.precision = p
        // Any torchvision R-CNN file, recognised by its tensors: Keypoint R-CNN writes COCO keypoint results.
        let model = try ModelLoader.anyModel(option: weights, options: options, cache: ToolEnvironment.cacheDirectory)
        let keep = try classes.map(RenderCommand.parseClasses)
        let workspace = Workspace()
        var results: [COCOResult] = []
        let start = Date()
        for (i, path) in images.enumerated() {
            let img = try ImageFile.read(path: path)
            let t0 = Date()
            let input = RGBInput(width: img.width, height: img.height, pixels: img.rgb)
            let detections: [Detection]
            var hasMasks = false
            switch model {
            case .detector(let model):
                // Transform, backbone, RPN and box head; the class filter; then the mask head on what is kept.
                let features = model.features(input, workspace: workspace)
                var found = model.detect([features], workspace: workspace)
                if let keep { found[0] = found[0].filter { keep.contains($0.label) } }
                model.predictMasks([features], &found, workspace: workspace)
                detections = found[0]
                hasMasks = model.hasMasks
            case .keypoints(let model):
                detections = model(input, workspace: workspace).filter { keep?.contains($0.label) ?? true }
            }
            StandardError.write(String(format: "%@: %d detections in %.2f s\n", path, detections.count, Date().timeIntervalSince(t0)))
            results += detections.map { d in
                var r = COCOResult(imageID: imageIDFromName ? Self.numericID(path) ?? i + 1 : i + 1, fileName: (path as NSString).lastPathComponent,
                                   instance: Instance(d), height: img.height, width: img.width)
                if !hasMasks { r.segmentation = nil }  // Faster/Keypoint R-CNN: no (empty) masks
                return r
            }
        }
        try COCOResults.write(results, to: json)
        StandardError.write(String(format: "wrote %d detections for %d images to %@ (%.1f s)\n",
                                   results.count, images.count, json, Date().timeIntervalSince(start)))
    }
}
