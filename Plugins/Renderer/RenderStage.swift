import Pipeline

/// The `render` stage: draws each record's instances into its image with an `InstanceRenderer`.
public final class RenderStage: Stage {
    public let name = "render"
    public let renderer: InstanceRenderer

    public init(renderer: InstanceRenderer = InstanceRenderer()) {
        self.renderer = renderer
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            renderer.draw(batch[i].instances, on: &batch[i].image)
        }
    }
}

/// Registers the renderer's stages.
public enum RendererPlugin {
    /// Adds `render` (options: "min-score", default 0.5; "mask-alpha", default 0.45).
    public static func register(in registry: StageRegistry) {
        registry.register("render", summary: "draw masks, boxes, labels and keypoints onto the frame") { context in
            let minScore = try context.float("min-score", default: 0.5)
            let alpha = try context.float("mask-alpha", default: 0.45)
            return RenderStage(renderer: InstanceRenderer(minScore: minScore, maskAlpha: alpha))
        }
    }
}
