import Detector
import Foundation
import MaskRCNN
import Pipeline
import Results
import VideoIO

/// Detection on still images (files, directories, globs, `.txt` lists: `InputList.images`) written as one COCO
/// results JSON array (bbox, score, category, RLE mask or keypoints): the model from the `detector` stage's options
/// (`options`, "detector.OPTION" → value, checked against its declarations), every image read as PIL reads it,
/// `image_id` the 1-based position in the expanded list or, with `imageIDFromName`, the file name's number. A value you configure, `check()` (before anything is read or written) and `run()`.
public struct StillImageJob {
    /// The inputs as given: image files, directories of images, globs, `%04d` patterns, `.txt` lists.
    public var images: [String]
    /// The COCO results file.
    public var json: String
    /// Detector options as "detector.OPTION" → value: weights, score-threshold, min-size, max-size, precision,
    /// backend, proposals, detections, classes.
    public var options: [String: String]
    public var imageIDFromName = false
    /// How the images are read (EXIF orientation applied, a JPEG cut short refused, by default).
    public var imageOptions = StillImageOptions()
    /// Where unset weights are found.
    public var cacheDirectory = ModelZoo.defaultCacheDirectory
    /// Hears one-line notes: each image accepted though cut short (`imageOptions.acceptTruncated`), the int8
    /// calibration used or measured on the first images (`InputCalibration`), what precision `auto` chose.
    public var warn: (String) -> Void = { _ in }
    /// Called after each image with its path, the number of instances and the seconds it took.
    public var onImage: (_ path: String, _ instances: Int, _ seconds: Double) -> Void = { _, _, _ in }

    public init(images: [String], json: String, options: [String: String] = [:]) {
        self.images = images
        self.json = json
        self.options = options
    }

    /// What a finished job reports.
    public struct Report: Sendable {
        public let images: Int
        public let instances: Int
        public let seconds: Double
    }

    /// 139 for ".../000000000139.jpg"; nil when the name (without extension) is not a number.
    public static func numericID(_ path: String) -> Int? {
        Int(((path as NSString).lastPathComponent as NSString).deletingPathExtension)
    }

    /// Checks the options and the paths without reading an image or writing anything; the detector's values.
    @discardableResult
    public func check() throws -> OptionValues { try checked().values }

    /// `check()`, also returning the image paths the inputs expand to (the file system is walked once per run).
    private func checked() throws -> (values: OptionValues, images: [String]) {
        let values = try StageRegistry.values(of: "detector", declaring: StillImageDetector.options, from: options)
        let images = try InputList.images(self.images)
        if imageIDFromName, let path = images.first(where: { Self.numericID($0) == nil }) { throw JobError.noNumberInName(path) }
        guard !LineFile.isStandardOutput(json) else { return (values, images) }
        try OutputPaths.checkWritable(json)
        for path in images where OutputPaths.same(path, json) { throw JobError.outputIsInput(json) }
        return (values, images)
    }

    /// Loads the model, detects on every image in order and writes the results file.
    public func run() throws -> Report {
        var (values, images) = try checked()
        // int8 without a calibration file: the scales kept for these weights, or measured on the first images.
        if let need = try InputCalibration(values, stage: .anyModel, cache: cacheDirectory) {
            let first = images.prefix(InputCalibration.frames)
            if let path = try need.resolve(what: "the first \(first.count) images", cache: cacheDirectory, log: warn, read: { add in
                for path in first {
                    let image = try ImageFile.read(path: path, options: imageOptions, warn: warn)
                    add(RGBInput(width: image.width, height: image.height, pixels: image.rgb))
                }
            }) {
                values = try StageRegistry.values(of: "detector", declaring: StillImageDetector.options,
                                                  from: options.merging(["detector.calibration": path]) { _, new in new })
            }
        }
        if let note = try ModelOptionKeys.automaticNote(values) { warn(note) }
        let detector = try StillImageDetector(options: values, cache: cacheDirectory)
        var results: [COCOResult] = []
        let start = ContinuousClock.now
        for (i, path) in images.enumerated() {
            let image = try ImageFile.read(path: path, options: imageOptions, warn: warn)
            let t0 = ContinuousClock.now
            let instances = detector.detect(RGBImage(width: image.width, height: image.height, pixels: image.rgb))
            onImage(path, instances.count, t0.duration(to: .now).inSeconds)
            results += instances.map { instance in
                var r = COCOResult(imageID: imageIDFromName ? Self.numericID(path) ?? i + 1 : i + 1,
                                   fileName: (path as NSString).lastPathComponent, instance: instance,
                                   height: image.height, width: image.width)
                if !detector.hasMasks { r.segmentation = nil }   // Faster/Keypoint R-CNN: no (empty) masks
                return r
            }
        }
        StopSignals.ignoreBrokenPipe()
        do { try COCOResults.write(results, to: json) } catch ResultsError.readerGone {}   // `-` piped into a reader that quit
        return Report(images: images.count, instances: results.count, seconds: start.duration(to: .now).inSeconds)
    }
}
