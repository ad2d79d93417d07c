import Detector
import Foundation
import MaskRCNN
import Pipeline
import Tensor
import VideoIO

/// int8 calibration on the user's own frames (`mrcnn calibrate`): the detector named by the `detector` stage's
/// options (`options`, "detector.OPTION" → value: weights, min-size, max-size, proposals, …) runs fp32 on `frames`
/// frames spread evenly over the inputs (images, directories, globs, `.txt` lists, video files), and the int8 scales
/// of its convolution inputs (`Int8Calibrator`) are written to `output` as JSON, keyed by the weights' identity, the
/// model and the short side. A value you configure, `check()` (before anything is read or written) and `run()`.
public struct CalibrationJob {
    public var inputs: [String]
    public var output: String
    public var options: [String: String]
    /// Frames to calibrate on (fewer when the inputs hold fewer).
    public var frames = 64
    /// Seeded weights and the unset weights option are Keypoint R-CNN's (the `keypoints` stage's model) instead of the
    /// detector's; a weights file is recognised by its tensors either way.
    public var keypoints = false
    /// The rules each input's threshold is chosen among (the one with the least quantization error wins).
    public var rules = CalibrationRule.standard
    public var cacheDirectory = ModelZoo.defaultCacheDirectory
    /// Hears each calibration frame: its 1-based number, the total, where it came from.
    public var onFrame: (_ number: Int, _ total: Int, _ source: String) -> Void = { _, _, _ in }

    public init(inputs: [String], output: String, options: [String: String] = [:]) {
        self.inputs = inputs
        self.output = output
        self.options = options
    }

    /// What a finished calibration reports.
    public struct Report: Sendable {
        public let calibration: Int8Calibration
        public let output: String
        public let seconds: Double

        /// "wrote FILE: 65 inputs of maskrcnn_resnet50_fpn on 24 frames at short side 800 (minmax 65) in 77.9 s;
        /// estimated int8 error ≤ 2.1 % (roi_heads.box_head.fc6)", and the layers kept fp32 if any.
        public var line: String {
            let c = calibration, rules = Dictionary(grouping: c.inputs.values, by: \.rule).mapValues(\.count)
            var text = String(format: "wrote %@: %d inputs of %@ on %d frames at short side %d (%@) in %.1f s", output, c.inputs.count,
                              c.model, c.frames, c.shortSide, rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                                  .joined(separator: ", "), seconds)
            if let worst = c.inputs.max(by: { $0.value.estimatedError ?? 0 < $1.value.estimatedError ?? 0 }), let e = worst.value.estimatedError {
                text += String(format: "; estimated int8 error ≤ %.1f %% (%@)", e * 100, worst.key)
            }
            if let kept = c.fp32Layers, !kept.isEmpty {
                text += String(format: "; kept fp32 (estimated error > %.0f %%): ", Int8Calibration.fp32Limit * 100)
                    + kept.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f %%", $0.key, ($0.value.estimatedError ?? 0) * 100) }
                    .joined(separator: ", ")
            }
            return text
        }
    }

    /// Rules from their comma-separated text forms ("minmax,p99.99,entropy"); one line for an unknown one.
    public static func rules(_ text: String) throws -> [CalibrationRule] {
        try text.split(separator: ",").map { name in
            guard let rule = CalibrationRule(String(name)) else {
                throw JobError.invalidSetting(name: "calibration rule", value: String(name), expected: "minmax, pN (a percentile) or entropy")
            }
            return rule
        }
    }

    /// Checks options, inputs and the output path without reading a frame or writing anything.
    @discardableResult
    public func check() throws -> (values: OptionValues, inputs: [String]) {
        guard frames >= 1 else { throw JobError.invalidSetting(name: "frames", value: String(frames), expected: "at least 1") }
        let values = try StageRegistry.values(of: "detector", declaring: StillImageDetector.options, from: options)
        let paths = try InputList.images(inputs)
        try OutputPaths.checkWritable(output)
        for path in paths where OutputPaths.same(path, output) { throw JobError.outputIsInput(output) }
        return (values, paths)
    }

    static func isVideo(_ path: String) -> Bool { InputList.videoExtensions.contains((path as NSString).pathExtension.lowercased()) }

    /// Loads the model, runs the chosen frames, writes the calibration file (atomically) and returns it.
    public func run() throws -> Report {
        let (values, paths) = try check()
        let start = ContinuousClock.now
        // Every frame of the inputs in order; `frames` of them picked evenly.
        let counts = try paths.map { path in Self.isVideo(path) ? max(1, try VideoSource(url: path).info.estimatedFrameCount ?? 1) : 1 }
        let total = counts.reduce(0, +), wanted = min(frames, total)
        let picks = Set((0..<wanted).map { Int((Double($0) + 0.5) * Double(total) / Double(wanted)) })
        let calibration = try Self.measure(values: values, keypoints: keypoints, rules: rules, cache: cacheDirectory) { add in
            var offset = 0, done = 0
            for (path, count) in zip(paths, counts) {
                defer { offset += count }
                guard picks.contains(where: { $0 >= offset && $0 < offset + count }) else { continue }
                if Self.isVideo(path) {
                    let source = try VideoSource(url: path)
                    defer { source.close() }
                    while let frame = try source.nextFrame(), frame.index < count {
                        guard picks.contains(offset + frame.index) else { continue }
                        add(RGBInput(width: frame.width, height: frame.height, pixels: frame.rgb))
                        done += 1
                        onFrame(done, wanted, "\(path) frame \(frame.index)")
                    }
                } else {
                    let image = try ImageFile.read(path: path)
                    add(RGBInput(width: image.width, height: image.height, pixels: image.rgb))
                    done += 1
                    onFrame(done, wanted, path)
                }
            }
        }
        let temporary = output + ".partial"
        try calibration.encoded().write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, output) == 0 else { throw JobError.notWritable(path: output, folder: FilePaths.directory(of: output)) }
        return Report(calibration: calibration, output: output, seconds: start.duration(to: .now).inSeconds)
    }

    /// The int8 calibration of the model the checked `values` of a model stage name (weights, min-size, …; `keypoints`:
    /// the keypoint stage's), measured fp32 on the frames `feed` hands to `add`, one at a time: what `mrcnn calibrate`
    /// and a run calibrating on its own input (`InputCalibration`) both compute. No frame is `JobError.noImages`.
    static func measure(values: OptionValues, keypoints: Bool = false, rules: [CalibrationRule], cache: URL,
                        feed: (_ add: (RGBInput) -> Void) throws -> Void) throws -> Int8Calibration {
        var options = try ModelOptionKeys.modelOptions(values)
        options.precision = .fp32
        var (calibrator, identity) = try ModelLoader.calibrator(option: try values[ModelOptionKeys.weights], keypoints: keypoints,
                                                                options: options, cache: cache)
        let workspace = Workspace()
        try feed { calibrator.add($0, workspace: workspace) }
        guard calibrator.frames > 0 else { throw JobError.noImages }
        return calibrator.calibration(weights: identity, rules: rules)
    }
}
