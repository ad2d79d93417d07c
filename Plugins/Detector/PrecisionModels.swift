import Foundation
import Synchronization
import Pipeline
import Tensor

/// One model (Mask R-CNN or Keypoint R-CNN) loaded at each precision a run asks for: the stage's own precision is
/// built at once; another one (a frame-rate controller's bf16 rung, a frame whose `FrameSettings.precision` says
/// so) on first use, or at once when `eager` names it. Each precision is keyed by what actually runs (`bf16` on a
/// CPU without bf16 units is the fp32 model), so no model is loaded twice. Shared by the model stages; thread-safe.
public final class PrecisionModels<Model: Sendable>: Sendable {
    /// The precision frames without settings run at (the stage's option, `auto` resolved).
    public let standard: Precision
    private let build: @Sendable (Precision) throws -> Model
    private let models: Mutex<[Precision: Model]>

    /// `build` loads the model at a precision (called once per precision, under the lock, never concurrently).
    public init(standard: Precision, eager: [Precision] = [],
                build: @escaping @Sendable (Precision) throws -> Model) throws {
        self.standard = standard.effective
        self.build = build
        var loaded: [Precision: Model] = [:]
        for p in [standard.effective] + eager.map(\.effective) where loaded[p] == nil {
            loaded[p] = try build(p)
        }
        models = Mutex(loaded)
    }

    /// The model of the stage's own precision.
    public var primary: Model {
        // Built in init, so never nil here.
        models.withLock { $0[standard]! }
    }

    /// The model for a frame: its settings' precision (nil, or a name the engine does not know: the stage's own).
    public func model(for precision: ModelPrecision?) throws -> Model {
        let p = (precision.flatMap { Precision(rawValue: $0.name) } ?? standard).effective
        return try models.withLock { loaded in
            if let m = loaded[p] { return m }
            let m = try build(p)
            loaded[p] = m
            return m
        }
    }

    /// Runs `body` once per group of frames sharing a precision (`groups`), with that precision's model and the
    /// group's frame indices.
    public func forEachGroup(_ precisions: [ModelPrecision?], _ body: (Model, [Int]) throws -> Void) throws {
        for group in Self.groups(precisions) { try body(try model(for: group.precision), group.indices) }
    }

    /// Indices of `batch` grouped by the precision each frame runs at, in first-seen order (usually one group).
    public static func groups(_ precisions: [ModelPrecision?]) -> [(precision: ModelPrecision?, indices: [Int])] {
        var out: [(precision: ModelPrecision?, indices: [Int])] = []
        for (i, p) in precisions.enumerated() {
            if let g = out.firstIndex(where: { $0.precision == p }) { out[g].indices.append(i) } else { out.append((p, [i])) }
        }
        return out
    }
}
