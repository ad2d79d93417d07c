import Foundation
import Pipeline
import Tensor

/// A calibration file named by a model stage's `calibration` option (precision int8): its path and what it holds,
/// read and checked when the option is (before anything runs), so a missing or foreign file is one line.
public struct Int8CalibrationFile: Sendable, Equatable {
    public let path: String
    public let calibration: Int8Calibration

    /// The file at `path` when it is a readable calibration of this format; nil otherwise.
    public init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path), let c = try? Int8Calibration.decoded(data),
              c.format == Int8Calibration.formatVersion else { return nil }
        self.path = path
        calibration = c
    }

    /// The `calibration` option of the model stages.
    static let option = OptionKey<Int8CalibrationFile?>(
        "calibration", default: nil,
        help: "int8 scales `mrcnn calibrate` measured on these weights (precision int8; without it, int8 calibrates on the input first)",
        flag: .value("calibration"), valueName: "FILE",
        expected: "a calibration file written by `mrcnn calibrate` (readable, format \(Int8Calibration.formatVersion))",
        parse: { path in Int8CalibrationFile(path: path).map { .some($0) } }, format: { $0?.path ?? "unset" })
}
