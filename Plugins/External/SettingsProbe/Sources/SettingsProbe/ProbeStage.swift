import Foundation
import MRCNNPluginAPI

/// The `probe` stage: works on each frame at the short side its settings ask for (a frame-rate controller's, else
/// its own `short-side` option), costing `cost-ms` at 480 px and in proportion to the area, and records that
/// short side as one instance whose box is side × side. A stand-in for a model stage, confined to its thread.
public final class ProbeStage: Stage {
    static let shortSide = OptionKey<Int>.int("short-side", default: 480, atLeast: 32, help: "short side of the work")
    static let costMs = OptionKey<Float>.float("cost-ms", default: 0, within: 0...1000, help: "milliseconds per frame at 480 px")

    let shortSide: Int
    let costMs: Float
    let reportWait: @Sendable (Duration) -> Void

    init(shortSide: Int, costMs: Float, reportWait: @escaping @Sendable (Duration) -> Void) {
        self.shortSide = shortSide
        self.costMs = costMs
        self.reportWait = reportWait
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            let side = batch[i].resolveSettings()?.shortSide ?? shortSide
            let scale = Double(side * side) / (480 * 480)
            Thread.sleep(forTimeInterval: Double(costMs) / 1000 * scale)
            reportWait(.zero)   // a stage that waits for a shared resource reports it here
            batch[i].instances.append(Instance(box: Box(x1: 0, y1: 0, x2: Float(side), y2: Float(side)), categoryID: 1, score: 1))
        }
    }
}

@_cdecl("mrcnn_plugin_api_version")
public func mrcnnPluginAPIVersion() -> Int32 { PluginABI.version }

/// Registers `probe`: per frame, and taking a controller's short side (its own option is where the ladder starts).
@_cdecl("mrcnn_plugin_register")
public func mrcnnPluginRegister(_ registry: UnsafeRawPointer) {
    let control = SettingsControl { values in
        SettingsControl.Plan(start: FrameSettings(shortSide: try values[ProbeStage.shortSide]), adjustable: [.shortSide])
    }
    PluginABI.registry(from: registry).register(
        "probe", summary: "work in proportion to each frame's short side setting", provides: [.boxes],
        options: [ProbeStage.shortSide, ProbeStage.costMs], traits: StageTraits(perFrame: true, settings: control)
    ) { context in
        ProbeStage(shortSide: try context[ProbeStage.shortSide], costMs: try context[ProbeStage.costMs], reportWait: context.reportWait)
    }
}
