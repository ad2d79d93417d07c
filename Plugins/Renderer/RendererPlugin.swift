import Pipeline

/// Registers the renderer's stage; its options are declared once here.
public enum RendererPlugin {
    public static let minScore = OptionKey<Float>.float(
        "min-score", default: 0.5, within: 0...1, score: true,
        help: "drawing threshold: draw only instances scoring at least this (results files keep every instance the detector kept)",
        flag: .value("min-score"))
    public static let maskAlpha = OptionKey<Float>.float("mask-alpha", default: 0.45, within: 0...1,
                                                         help: "opacity of the mask overlay", flag: .value("mask-alpha"))

    /// Adds `render`: it draws whatever instances, masks, keypoints and track ids there are, so every stage that
    /// provides them must come before it (alone it draws nothing and copies the video). Per frame; it uses only
    /// the instances it draws.
    public static func register(in registry: StageRegistry) {
        registry.register("render", summary: "draw masks, boxes, labels and keypoints onto the frame",
                          reads: [.boxes, .masks, .keypoints, .trackIDs], options: [minScore, maskAlpha],
                          traits: StageTraits(perFrame: true, replayable: true, instanceUse: .scoring(atLeast: minScore))) { context in
            RenderStage(renderer: InstanceRenderer(minScore: try context[minScore], maskAlpha: try context[maskAlpha]))
        }
    }
}
