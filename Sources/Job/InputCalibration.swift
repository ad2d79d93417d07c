import Detector
import Foundation
import MaskRCNN
import Pipeline
import Tensor
import VideoIO

/// int8 without a calibration file: a run whose detector or keypoints stage asks for precision int8 and names no
/// calibration measures the
/// scales on the first `frames` frames of its own input (as `mrcnn calibrate` measures them: `CalibrationJob.measure`)
/// and keeps them in the cache directory (`CalibrationCache`: by the weights' identity, model and short side), where
/// the next run of the same weights finds them; precision `auto` uses a kept calibration when there is one (int8
/// where the CPU has no bf16 units, the ladder's int8 rung) and never measures. File inputs are read for it in a pass
/// of their own before the run; a live input's calibration frames are read from the run's own connection and
/// processed first (`PrefetchedSource`; in latest-frame mode one at a time, `StreamInput`), so none is lost. One line
/// to the log either way. A value.
struct InputCalibration {
    /// Frames a run calibrates on.
    static let frames = 16

    let values: OptionValues
    let entry: CalibrationCache
    /// Precision int8 (measure when nothing is kept); false for `auto` (a kept calibration only).
    let measures: Bool
    /// The model stage whose weights are calibrated (`anyModel`: a still image's, whichever model its file holds).
    let stage: CalibrationCache.Stage

    /// What a model stage with the checked `values` needs: nil when it names a calibration, computes neither int8 nor
    /// `auto`, or its weights are no model of its kind (the model stage then says why in its own words).
    init?(_ values: OptionValues, stage: CalibrationCache.Stage, cache: URL) throws {
        let precision = try values[ModelOptionKeys.precision]
        guard try values[ModelOptionKeys.calibration] == nil, precision == nil || precision == .int8,
              let entry = try? CalibrationCache(weights: try values[ModelOptionKeys.weights], stage: stage,
                                                shortSide: try values[ModelOptionKeys.minSize], cache: cache) else { return nil }
        (self.values, self.entry, measures, self.stage) = (values, entry, precision == .int8, stage)
    }

    /// How the log lines begin: "int8", "int8 (keypoints)" for the keypoints stage's model.
    var label: String { stage == .keypoints ? "int8 (keypoints)" : "int8" }
    /// The command that makes a reusable calibration file for this model.
    var command: String { stage == .keypoints ? "mrcnn calibrate --keypoints" : "mrcnn calibrate" }

    /// The calibration file the model stage is to use: the kept one, or (int8) one measured first on the frames `read`
    /// hands to its closure (`what` names them in the log line) and kept; nil for `auto` when nothing is kept.
    func resolve(what: String, cache: URL, log: @escaping (String) -> Void, read: (_ add: (RGBInput) -> Void) throws -> Void) throws -> String? {
        if entry.exists, let kept = Int8CalibrationFile(path: entry.path) {
            log("\(label): using the scales measured on \(kept.calibration.frames) frames for these weights at short side \(entry.shortSide) (\(entry.path))")
            return entry.path
        }
        guard measures else { return nil }
        // Said once the first frame is read: an input that cannot be read is its one-line error alone.
        var said = false
        let calibration = try CalibrationJob.measure(values: values, keypoints: stage == .keypoints, rules: CalibrationRule.standard,
                                                     cache: cache) { add in
            try withoutActuallyEscaping(add) { add in try read { frame in
                if !said { log("\(label): no calibration file given; measuring the scales on \(what) (kept in \(entry.path) for the next run of these weights; `\(command)` makes a reusable file from more frames)") }
                said = true
                add(frame)
            } }
        }
        try entry.store(try calibration.encoded())
        return entry.path
    }

    /// The log line saying what precision `auto` chose for the detector of `plan` and why (nil for a fixed precision,
    /// or when a frame-rate controller steps precisions: its note says it then).
    static func automaticNote(_ plan: JobPlan) throws -> String? {
        guard plan.ladder == nil, plan.plans.contains(where: { $0.name == "detector" }) else { return nil }
        return try ModelOptionKeys.automaticNote(plan.options["detector"])
    }

    /// Up to `count` first frames of the file input `input` (a video, an image sequence, a still), in a pass of their own.
    static func firstFrames(of input: String, count: Int, live: LiveSettings, add: (RGBInput) -> Void) throws {
        let source: any FrameSource = ImageSequenceSource.isSequence(input)
            ? try ImageSequenceSource(pattern: input, options: live.stills) : try VideoSource(url: input)
        defer { source.close() }
        for _ in 0..<count {
            guard let frame = try source.nextFrame() else { break }
            add(RGBInput(width: frame.width, height: frame.height, pixels: frame.rgb))
        }
    }

    /// The model stages a run may calibrate, by name.
    static let stages: [(String, CalibrationCache.Stage)] = [("detector", .detector), ("keypoints", .keypoints)]

    /// The calibrations of a run of `inputs` (the first frames of each, `frames` spread over them) resolved for the
    /// model stages' options in `options` ("detector.OPTION", "keypoints.OPTION" → value) and `plan`: the options naming
    /// them and the live inputs opened for them, by position, holding their calibration frames. The frames are read
    /// once: kept in memory when a second stage measures on them too.
    static func apply(to options: [String: String], plan: JobPlan, inputs: [String], live: LiveSettings, cache: URL,
                      log: @escaping @Sendable (String) -> Void) throws -> (options: [String: String], opened: [Int: PrefetchedSource]) {
        let needs = try stages.compactMap { name, stage in
            try plan.plans.contains(where: { $0.name == name }) ? InputCalibration(plan.options[name], stage: stage, cache: cache)
                .map { (name, $0) } : nil
        }
        guard !needs.isEmpty else { return (options, [:]) }
        let each = max(1, (frames + inputs.count - 1) / inputs.count)
        let what = inputs.count == 1 ? "the first \(each) frames of \(inputs[0])" : "the first \(each) frames of each of the \(inputs.count) inputs"
        var opened: [Int: PrefetchedSource] = [:]
        var kept: [RGBInput]?
        let measuring = needs.filter { !$0.1.entry.exists && $0.1.measures }.count
        var options = options
        do {
            for (name, need) in needs {
                guard let path = try need.resolve(what: what + (inputs.contains(where: VideoInput.isLive) ? " (live frames processed after)" : ""),
                                                  cache: cache, log: log, read: { add in
                    if let kept { kept.forEach(add); return }
                    var frames: [RGBInput] = []
                    func keep(_ frame: RGBInput) {
                        if measuring > 1 { frames.append(frame) }
                        add(frame)
                    }
                    for (i, input) in inputs.enumerated() {
                        guard VideoInput.isLive(input) else { try firstFrames(of: input, count: each, live: live, add: keep); continue }
                        let source = try PrefetchedSource.reading(each, of: try live.openSource(input, log: log))
                        opened[i] = source
                        for frame in source.kept { keep(RGBInput(width: frame.width, height: frame.height, pixels: frame.rgb)) }
                    }
                    if measuring > 1 { kept = frames }
                }) else { continue }
                options["\(name).calibration"] = path
            }
            return (options, opened)
        } catch {
            for source in opened.values { source.close() }
            throw error
        }
    }
}
