import ArgumentParser
import Detector
import Foundation
import MaskRCNN
import Pipeline
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

    @Option(help: "Model arithmetic: fp32 (default, torchvision parity), bf16 (AMX/AVX512-BF16; fp32 with a warning elsewhere) or bf16-emulated.")
    var precision: String = "fp32"

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
        try OutputPath.checkWritable(json)
        for path in images where !FileManager.default.isReadableFile(atPath: path) {
            throw CLIError("\(path): no such file")
        }
        var options = ModelOptions()
        options.scoreThreshold = scoreThreshold
        options.minSize = minSize
        options.maxSize = maxSize
        guard let p = Precision(rawValue: precision) else { throw CLIError("--precision must be fp32, bf16 or bf16-emulated (got '\(precision)')") }
        options.precision = p
        let model = try ModelLoader.model(option: weights, options: options)
        let workspace = Workspace()
        var results: [[String: Any]] = []
        let start = Date()
        for (i, path) in images.enumerated() {
            let img = try ImageFile.read(path: path)
            let t0 = Date()
            let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb), workspace: workspace)
            StandardError.write(String(format: "%@: %d detections in %.2f s\n", path, detections.count, Date().timeIntervalSince(t0)))
            for d in detections {
                let mask = d.mask.map { InstanceMask(x: $0.x, y: $0.y, width: $0.width, height: $0.height, bits: $0.bits) }
                let rle = COCORLE.encode(mask, height: img.height, width: img.width)
                results.append([
                    "image_id": i + 1,
                    "file_name": (path as NSString).lastPathComponent,
                    "category_id": d.label,
                    "category": COCOCategories.name(d.label),
                    "bbox": [d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1].map { Double($0) },
                    "score": Double(d.score),
                    "segmentation": ["size": rle.size, "counts": rle.counts],
                ])
            }
        }
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: json))
        StandardError.write(String(format: "wrote %d detections for %d images to %@ (%.1f s)\n",
                                   results.count, images.count, json, Date().timeIntervalSince(start)))
    }
}

/// Checks, before any heavy work, that an output file can be created.
enum OutputPath {
    static func checkWritable(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue,
              FileManager.default.isWritableFile(atPath: folder) else {
            throw CLIError("cannot write \(path): directory '\(folder)' does not exist or is not writable")
        }
    }
}
