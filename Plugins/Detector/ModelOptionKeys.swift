import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// Every option of the model stages (`detector`, `mask`, `keypoints`), each declared once with its type, default,
/// range or choices and the command-line flag a host may offer for it. `detector` and `keypoints` declare the model
/// options (`model`) with their own weights; `StillImageDetector` reads the same keys. `precision` is nil for
/// `auto` (bf16 where the CPU has bf16 units, else int8 when a calibration is at hand, else fp32; under a frame-rate
/// controller fp32 first, then bf16 and int8 where they are: `ladderPrecisions`).
public enum ModelOptionKeys {
    public static let weights = OptionKey<String?>.text(
        "weights", default: nil, help: "checkpoint (.pth, .safetensors) or seeded:N; unset: the official file in the cache directory",
        valueName: "FILE|seeded:N", flag: .value("weights"))
    public static let keypointWeights = OptionKey<String?>.text(
        "weights", default: nil, help: "Keypoint R-CNN checkpoint (.pth, .safetensors) or seeded:N; unset: the official file in the cache directory",
        valueName: "FILE|seeded:N", flag: .value("keypoint-weights"))
    public static let scoreThreshold = OptionKey<Float>.float(
        "score-threshold", default: 0.05, within: 0...1, score: true,
        help: "lowest detection score kept (torchvision's box_score_thresh): lower ones never reach the heads or the results",
        flag: .value("score-threshold"))
    public static let minSize = OptionKey<Int>.int("min-size", default: 800, atLeast: 32,
                                              help: "short side of the model input (smaller is faster)", flag: .value("min-size"))
    public static let maxSize = OptionKey<Int>.int("max-size", default: 1333, atLeast: 32,
                                              help: "upper bound of the long side of the model input", flag: .value("max-size"))
    public static let precision = OptionKey<Precision?>.choice(
        "precision", default: .fp32,
        choices: [("fp32", .fp32), ("bf16", .bf16), ("int8", .int8), ("auto", nil), ("bf16-emulated", .bf16Emulated)],
        help: "fp32 (torchvision parity), bf16 (AMX/AVX512-BF16, else fp32 with a warning), int8 (calibrated int8 convolutions on any x86 CPU: --calibration FILE from `mrcnn calibrate`, else measured on the input's first frames and cached), auto (bf16 where the CPU has bf16 units, else int8 with a calibration given or cached, else fp32; a frame-rate controller starts at fp32 and may step to bf16, then int8) or bf16-emulated (bf16 rounding on fp32 kernels)",
        flag: .value("precision"))
    public static let calibration = Int8CalibrationFile.option
    public static let backend = OptionKey<ComputeBackend>.choice(
        "backend", default: .auto, choices: ComputeBackend.allCases.map { ($0.rawValue, $0) },
        help: "which library runs the layers: auto (per layer kind, by measurement), openblas or onednn", flag: .value("backend"))
    public static let kernels = OptionKey<KernelPolicy>.choice(
        "kernels", default: .measured, choices: [("measured", .measured), ("direct", .direct), ("winograd", .winograd)],
        help: "how backend auto picks each layer's kernel: measured (the fastest candidate on this CPU, measured once and kept in the cache directory), direct, or winograd (Winograd F(4×4,3×3) wherever a layer takes it)",
        flag: .value("kernels"))
    public static let proposals = OptionKey<Int>.int(
        "proposals", default: 1000, atLeast: 1,
        help: "RPN proposals kept after NMS per frame (torchvision's rpn_post_nms_top_n_test; fewer is faster)", flag: .value("proposals"))
    public static let detections = OptionKey<Int>.int(
        "detections", default: 100, atLeast: 1, help: "most detections kept per frame (torchvision's box_detections_per_img)",
        flag: .value("detections"))
    public static let detectEvery = OptionKey<Int>.int(
        "detect-every", default: 1, atLeast: 1,
        help: "keyframe mode: the RPN runs on every N-th frame only; in between the previous frame's boxes are the proposals",
        flag: .value("detect-every"))
    public static let classes = OptionKey<Set<Int>?>.classes(
        "classes", default: nil, help: "keep only these COCO classes (e.g. person,car), before the mask and keypoint heads",
        flag: .value("classes"))
    /// The heads' own cut: no head work on detections scoring below it (a host sets it to the drawing threshold when
    /// nothing else uses the rest).
    public static let headMinScore = OptionKey<Float>.float("min-score", default: 0, within: 0...1, score: true,
                                                     help: "run the head only on detections scoring at least this; the rest get none")
    public static let keypointThreshold = OptionKey<Float>.float("keypoint-threshold", default: 2,
                                                          help: "heatmap logit above which a keypoint is visible")

    /// The options both model stages declare, after their weights.
    public static let model: [any StageOption] = [scoreThreshold, minSize, maxSize, precision, calibration, backend, kernels, proposals,
                                                  detections]

    /// `ModelOptions` from a model stage's checked values (`auto` resolved for this CPU).
    public static func modelOptions(_ values: OptionValues) throws -> ModelOptions {
        var options = ModelOptions()
        options.scoreThreshold = try values[scoreThreshold]
        options.minSize = try values[minSize]
        options.maxSize = try values[maxSize]
        options.precision = running(try values[precision], calibrated: try values[calibration] != nil)
        options.calibration = try values[calibration]?.calibration
        options.backend = try values[backend]
        options.kernels = try values[kernels]
        options.rpnPostNMSTopN = try values[proposals]
        options.detectionsPerImage = try values[detections]
        return options
    }

    /// The precision a model computes with for the option's value: `auto` (nil) is `Precision.automatic` (bf16 where
    /// the CPU has bf16 units, else int8 when `calibrated`, else fp32; the one place `auto` is resolved).
    public static func running(_ precision: Precision?, calibrated: Bool) -> Precision {
        precision ?? Precision.automatic(calibrated: calibrated)
    }

    /// `running(_:calibrated:)` without a calibration.
    public static func running(_ precision: Precision?) -> Precision { running(precision, calibrated: false) }

    /// The precisions a frame-rate controller may step a model stage through, slowest first: with `auto` (nil) fp32,
    /// bf16 where `cpu` has bf16 units (bf16 on fp32 kernels would run no faster), int8 when a calibration is at hand
    /// (its dot products multiply twice bf16's pairs per instruction: measured faster than bf16 in Benchmarks/README.md);
    /// a fixed precision alone.
    public static func ladderPrecisions(_ precision: Precision?, calibrated: Bool, cpu: CPUFeatures = .current) -> [Precision] {
        if let precision { return [precision] }
        return [.fp32] + (cpu.hasBF16Units ? [.bf16] : []) + (calibrated ? [.int8] : [])
    }

    /// The report's line on what `auto` chose (nil for a fixed precision): "precision auto: int8 (this CPU has …)".
    public static func automaticNote(_ values: OptionValues) throws -> String? {
        guard try values[precision] == nil else { return nil }
        let calibrated = try values[calibration] != nil
        return "precision auto: \(Precision.automatic(calibrated: calibrated).rawValue) (\(Precision.automaticReason(calibrated: calibrated)))"
    }

    /// The frame-rate controller's view of a model stage: it starts from the stage's short side, proposals, keyframe
    /// interval (`keyframes`: the detector's option; else 1, fixed) and precision (`auto` starts at fp32), and may
    /// change the short side, the proposals, the keyframe interval where there is one, and with `auto` the precision
    /// along `ladderPrecisions`.
    static func settingsControl(keyframes: OptionKey<Int>?) -> SettingsControl {
        SettingsControl { values in
            let precision = try values[precision], calibrated = try values[calibration] != nil
            let steps = ladderPrecisions(precision, calibrated: calibrated)
            var adjustable: Set<FrameSettings.Field> = [.shortSide, .proposals]
            if keyframes != nil { adjustable.insert(.keyframeInterval) }
            if steps.count > 1 { adjustable.insert(.precision) }
            let start = FrameSettings(shortSide: try values[minSize], proposals: try values[proposals],
                                      keyframeInterval: try keyframes.map { try values[$0] } ?? 1,
                                      precision: ModelPrecision((precision ?? .fp32).rawValue))
            let reason = Precision.automaticReason(calibrated: calibrated)
            let int8 = steps.last == .int8 ? "" : "; no int8 step: no int8 calibration is at hand (an int8 run or `mrcnn calibrate` makes one)"
            let note = precision != nil ? nil : steps.count > 1
                ? "precision auto: the ladder's first step is fp32 → \(steps[1].rawValue)\(steps.count > 2 ? ", then → \(steps[2].rawValue)" : "") (\(reason))\(int8)"
                : "precision auto: fp32 on every rung: \(reason) (an int8 run or `mrcnn calibrate` makes one)"
            return SettingsControl.Plan(start: start, adjustable: adjustable, note: note,
                                        precisions: steps.map { ModelPrecision($0.rawValue) })
        }
    }
}
