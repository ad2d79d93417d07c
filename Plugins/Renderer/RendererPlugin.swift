import Pipeline

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
