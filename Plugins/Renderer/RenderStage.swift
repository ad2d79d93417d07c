import Pipeline

/// The `render` stage: draws each record's instances into its image with an `InstanceRenderer`. Confined to its
/// stage thread.
public final class RenderStage: Stage {
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
    /// Adds `render`: it draws whatever instances, masks, keypoints and track ids there are, so every stage that
    /// provides them must come before it (alone it draws nothing and copies the video).
    public static func register(in registry: StageRegistry) {
        registry.register("render", summary: "draw masks, boxes, labels and keypoints onto the frame",
                          reads: [.boxes, .masks, .keypoints, .trackIDs],
                          options: [.float("min-score", default: 0.5, help: "draw only instances scoring at least this"),
                                    .float("mask-alpha", default: 0.45, help: "opacity of the mask overlay, 0…1")]) { context in
            RenderStage(renderer: InstanceRenderer(minScore: try context.float("min-score"),
                                                   maskAlpha: try context.float("mask-alpha")))
        }
    }
}
