import Foundation
import Glibc
import MaskRCNN

/// Where runs keep the int8 calibrations they measure on their own input (int8 without a calibration file): one file
/// per weights' identity (`ModelLoader.weightsIdentity`: "seeded:N" or the file's SHA-256), model and short side,
/// `CACHE/int8/MODEL-IDENTITY-sSIDE.json`, so the next run of the same weights at that short side finds it. A value.
public struct CalibrationCache: Sendable, Equatable {
    /// Which model a weights option is read as: the detector's (`ModelLoader.model`: Mask/Faster R-CNN, seeded
    /// weights Mask R-CNN's), the keypoints stage's (`ModelLoader.keypointModel`: Keypoint R-CNN), or whichever
    /// model a still image's file holds (`ModelLoader.anyModel`; seeded weights Mask R-CNN's).
    public enum Stage: Sendable, Equatable {
        case detector, keypoints, anyModel
    }

    public let identity: String
    public let model: ModelKind
    public let shortSide: Int
    /// The calibration file's path.
    public let path: String

    /// The folder of a cache directory the calibrations go in.
    public static func directory(in cache: URL) -> URL { cache.appendingPathComponent("int8") }

    public init(identity: String, model: ModelKind, shortSide: Int, cache: URL) {
        (self.identity, self.model, self.shortSide) = (identity, model, shortSide)
        // "seeded:0" → "seeded-0", "sha256:…" → "sha256-…": a plain file name.
        let name = "\(model.rawValue)-\(identity.replacingOccurrences(of: ":", with: "-"))-s\(shortSide).json"
        path = Self.directory(in: cache).appendingPathComponent(name).path
    }

    /// The entry for the weights `option` names read as `stage` reads them (unset is the official file in `cache`),
    /// at `shortSide`; a file is recognised by its tensors and hashed (seeded weights are Keypoint R-CNN's for the
    /// keypoints stage, else Mask R-CNN's, and not built). One-line `ZooError`s as loading gives.
    public init(weights option: String?, stage: Stage = .detector, shortSide: Int, cache: URL) throws {
        if let option, try ModelLoader.seed(option) != nil {
            self.init(identity: option, model: stage == .keypoints ? .keypointRCNN : .maskRCNN, shortSide: shortSide, cache: cache)
            return
        }
        let (_, kind, file) = stage == .anyModel ? try ModelLoader.load(option: option, cache: cache)
            : try ModelLoader.checked(option: option, keypoints: stage == .keypoints, cache: cache)
        self.init(identity: try ModelLoader.weightsIdentity(option: option, file: file), model: kind, shortSide: shortSide, cache: cache)
    }

    /// Whether a calibration has been kept here.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Keeps `data` (a calibration's JSON) here: written to a temporary file and renamed, so a reader never sees half.
    public func store(_ data: Data) throws {
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            let temporary = path + ".\(getpid()).partial"
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw ZooError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as ZooError {
            throw error
        } catch {
            throw ZooError.cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}
